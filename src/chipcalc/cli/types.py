"""Option types shared by the commands: counts with the one suffix rule of :mod:`chipcalc.core.counts`."""

from __future__ import annotations

import click


class CountType(click.ParamType):
    """A whole number with an optional suffix: 4096, 4k (4,000), 4Ki (4,096), 1.5M."""

    name = "COUNT"

    def __init__(self, minimum: int = 1, allow_max: bool = False):
        self.minimum, self.allow_max = minimum, allow_max

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201
        from chipcalc.core.counts import parse_count
        from chipcalc.core.errors import UsageError

        if value is None or isinstance(value, int):
            return value
        if self.allow_max and str(value).strip().lower() == "max":
            return "max"
        try:
            return parse_count(value, param.opts[0] if param is not None and param.opts else "value", self.minimum)
        except UsageError as exc:
            msg = str(exc).split(": ", 1)[1] if ": " in str(exc) else str(exc)
            self.fail(msg, param, ctx)


class OutputPath(click.ParamType):
    """An output file name as typed: a name ending in '/' names a folder (pathlib would drop the slash and a
    file of that name would be written), and an empty one names nothing (pathlib reads it as '.')."""

    name = "PATH"

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201
        from pathlib import Path

        if value is None or isinstance(value, Path):
            return value
        text = str(value)
        if not text.strip():
            self.fail("empty; give a file name, or - for standard output", param, ctx)
        if text.endswith(("/", "\\")) and text != "/":
            self.fail(f"'{text}' names a folder (it ends with /); give a file name", param, ctx)
        return Path(text)


OUTPUT = OutputPath()
COUNT = CountType()
COUNT0 = CountType(minimum=0)
#: Monte Carlo samples: the tables show the 5th-95th percentiles, which a handful of samples cannot give.
SAMPLES = CountType(minimum=100)
#: A count or ``max`` (a batch: the largest that fits).
COUNT_OR_MAX = CountType(allow_max=True)

#: --pp, the same in `latency` and `sweep latency`.
PP_HELP = ("Pipeline-parallel stages (dense models): each holds layers/PP of the layers, PP micro-batches in flight; "
           "ranks = TP x PP x DP (default 1).")

#: --kv-offload, the same in `latency` and `sweep latency` (`pareto` takes it repeatable: shares to try).
KV_OFFLOAD_HELP = ("Share of the KV cache kept in host memory, e.g. 0.5, on a system whose CPUs give host memory: decode "
                   "reads that share over the host link; the memory fit counts only the HBM part in HBM.")


def time_option(text: str, option: str) -> float:
    """A time option like 50ms, in seconds: positive and finite ('nan ms', 'inf s' and '0 ms' limit nothing),
    else a one-line usage error naming the option."""
    import math

    from chipcalc.core.errors import UnitError, UsageError
    from chipcalc.core.units import check_dimension, parse

    try:
        q = parse(text)
    except UnitError:
        q = None
    seconds = float(q.m_as("s")) if q is not None and check_dimension(q, "time") else float("nan")
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(f"{option}: expected a positive, finite time like 50ms, got '{text}'")
    return seconds


def share(text: str, name: str, whole: bool = False) -> float:
    """A share like 0.56 or 56%, in [0, 1) (or [0, 1] where ``whole``); else a one-line usage error naming ``name``."""
    from chipcalc.core.errors import UsageError

    t = text.strip()
    try:
        v = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise UsageError(f"{name}: expected a share like 0.56 or 56%, got '{text}'") from None
    if not (0 <= v <= 1 if whole else 0 <= v < 1):
        raise UsageError(f"{name}: expected a share in [0, 1{']' if whole else ')'}, got '{text}'")
    return v
