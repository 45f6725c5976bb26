"""Sweeps: one vectorised evaluation of the latency model over a batch x context grid.

Grid specs: ``START:STOP`` (step = START), ``START:STOP:STEP`` or ``START:STOP:xF`` (geometric,
factor F). ``k`` and ``M`` suffixes are binary (1k = 1024 tokens), as context lengths are quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Provenance

_NUM = re.compile(r"^(\d+(?:\.\d+)?)([kKmM]?)$")


def _int(text: str, option: str) -> int:
    m = _NUM.match(text.strip())
    if not m:
        raise UsageError(f"{option}: '{text}' is not a whole number (suffixes k = 1024, M = 1024^2)")
    v = float(m.group(1)) * {"": 1, "k": 1024, "K": 1024, "m": 1024**2, "M": 1024**2}[m.group(2)]
    if v != int(v):
        raise UsageError(f"{option}: '{text}' is not a whole number")
    return int(v)


def grid(spec: str, option: str, limit: int = 10**7) -> Any:
    """The integer values of a grid spec, as a numpy array."""
    import numpy as np

    parts = spec.split(":")
    if len(parts) == 1:
        vals = [_int(p, option) for p in spec.split(",")]
        arr = np.array(vals, dtype=np.int64)
    elif len(parts) in (2, 3):
        start, stop = _int(parts[0], option), _int(parts[1], option)
        if start <= 0:
            raise UsageError(f"{option} '{spec}': values must be positive")
        if stop < start:
            raise UsageError(f"{option} '{spec}': stop {stop} is below start {start}; write START:STOP with START <= STOP")
        step = parts[2] if len(parts) == 3 else str(start)
        if step.startswith(("x", "*")):
            try:
                factor = float(step[1:])
            except ValueError:
                raise UsageError(f"{option} '{spec}': geometric step must look like x2") from None
            if factor <= 1:
                raise UsageError(f"{option} '{spec}': geometric factor must be above 1")
            vals, v = [], float(start)
            while v <= stop * (1 + 1e-12):
                vals.append(int(round(v)))
                v *= factor
            arr = np.unique(np.array(vals, dtype=np.int64))
        else:
            s = _int(step, option)
            if s <= 0:
                raise UsageError(f"{option} '{spec}': step must be positive")
            if (stop - start) // s + 1 > limit:
                raise UsageError(f"{option} '{spec}': more than {limit:,} values")
            arr = np.arange(start, stop + 1, s, dtype=np.int64)
    else:
        raise UsageError(f"{option} '{spec}': write START:STOP, START:STOP:STEP or START:STOP:xFACTOR")
    if (arr <= 0).any():
        raise UsageError(f"{option} '{spec}': values must be positive")
    return arr


@dataclass(frozen=True)
class SweepResult:
    batch: Any  # 1-D arrays over the flattened grid
    context: Any
    tpot_ms: Any
    tokens_per_chip: Any
    step_ms: Any
    bound: Any
    fits: Any
    prov: Provenance
    layout: str


def latency_sweep(catalog: Any, target: Any, model: Any, batches: Any, contexts: Any, kn: Any, *,
                  precision: str = "bf16", kv_precision: str = "bf16", chips: int | None = None,
                  tp: int | None = None, ep: int | None = None, mtp: int = 0, device: str = "package") -> SweepResult:
    """Decode over every (batch, context) pair in one vectorised call; the layout is fixed by the
    smallest batch and context (or by --chips/--tp/--ep)."""
    import numpy as np

    from chipcalc.calc import serving as L

    hw = L.hardware(target, precision, device, kn)
    lay = L.auto_layout(model, hw, kn, int(batches.min()), int(contexts.min()), kv_precision, chips, tp, ep, mtp)
    B, C = np.meshgrid(batches, contexts, indexing="ij")
    B, C = B.ravel(), C.ravel()
    d = L.decode(model, hw, lay, kn, B, C, kv_precision)
    prov = d.tpot.prov | d.per_chip.prov
    bound = np.broadcast_to(np.asarray(d.step.bound), B.shape)
    fits = np.broadcast_to(np.asarray(d.memory.fits), B.shape)
    return SweepResult(B, C, np.broadcast_to(d.tpot.q.m_as("ms"), B.shape), np.broadcast_to(d.per_chip.q.m_as("token/s"), B.shape),
                       np.broadcast_to(d.step.time.q.m_as("ms"), B.shape), bound, fits, prov,
                       f"{lay.chips} chips, TP{lay.tp} EP{lay.ep}")


COLUMNS = ("batch", "context", "tpot_ms", "tokens_per_s_per_chip", "step_ms", "binding", "fits_in_hbm")


def to_csv(r: SweepResult) -> str:
    import io

    import numpy as np

    buf = io.StringIO()
    buf.write(",".join(COLUMNS) + "\n")
    cols = [r.batch, r.context, r.tpot_ms, r.tokens_per_chip, r.step_ms]
    nums = np.column_stack([np.asarray(c, dtype=float) for c in cols])
    for row, b, f in zip(nums.tolist(), r.bound.tolist(), r.fits.tolist()):
        buf.write(f"{int(row[0])},{int(row[1])},{row[2]!r},{row[3]!r},{row[4]!r},{b},{'yes' if f else 'no'}\n")
    return buf.getvalue()


def to_json(r: SweepResult, catalog: Any) -> str:
    import json

    import numpy as np

    data = {
        "columns": list(COLUMNS),
        "units": {"tpot_ms": "ms", "tokens_per_s_per_chip": "token/s", "step_ms": "ms"},
        "layout": r.layout,
        "status": r.prov.status,
        "sources": sorted({s.id for s in r.prov.sources}),
        "assumptions": [{"name": a.name, "text": a.text} for a in sorted(r.prov.assumptions)],
        "rows": [[int(b), int(c), float(t), float(p), float(s), str(k), bool(f)]
                 for b, c, t, p, s, k, f in zip(r.batch, r.context, np.asarray(r.tpot_ms), np.asarray(r.tokens_per_chip),
                                                np.asarray(r.step_ms), r.bound, r.fits)],
    }
    return json.dumps(data) + "\n"
