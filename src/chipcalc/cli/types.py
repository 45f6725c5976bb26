"""Option types shared by the commands: counts with the one suffix rule of :mod:`chipcalc.core.counts`."""

from __future__ import annotations

import click


class CountType(click.ParamType):
    """A whole number with an optional suffix: 4096, 4k (4,000), 4Ki (4,096), 1.5M."""

    name = "COUNT"

    def __init__(self, minimum: int = 1):
        self.minimum = minimum

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201
        from chipcalc.core.counts import parse_count
        from chipcalc.core.errors import UsageError

        if value is None or isinstance(value, int):
            return value
        try:
            return parse_count(value, param.opts[0] if param is not None and param.opts else "value", self.minimum)
        except UsageError as exc:
            msg = str(exc).split(": ", 1)[1] if ": " in str(exc) else str(exc)
            self.fail(msg, param, ctx)


COUNT = CountType()
COUNT0 = CountType(minimum=0)

#: --pp, the same in `latency` and `sweep latency`.
PP_HELP = ("Pipeline-parallel stages (dense models): each holds layers/PP of the layers, PP micro-batches in flight; "
           "ranks = TP x PP x DP (default 1).")
