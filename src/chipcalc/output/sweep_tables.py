"""Sweep outputs: every point as CSV or JSON (written in vectorised blocks), the TPOT pivot table for
small grids, and the summary tables (best points, binding shares, Pareto front) for grids of any size."""

from __future__ import annotations

from typing import Any, Iterator

from chipcalc.calc.sweep import OBJECTIVES, Summary, Sweep, SweepResult
from chipcalc.core.figure import Figure
from chipcalc.output.table import Cell, Table

COLUMNS = ("batch", "context", "tpot_ms", "tokens_per_s_per_chip", "step_ms", "binding", "fits_in_hbm")
BLOCK = 1 << 16
#: Points of the Pareto front shown in a table (the ends and evenly spaced ones between).
FRONT_SHOWN = 16


def _floats(a: Any) -> list[str]:
    """Shortest round-trip text of each float (Python's repr, done for a whole block at once)."""
    return repr(a.tolist())[1:-1].split(", ") if len(a) else []


def csv_blocks(r: SweepResult) -> Iterator[str]:
    """The CSV text in blocks of rows (header first)."""
    import numpy as np

    from chipcalc.calc.serving.compiled import BOUND_NAMES

    yield ",".join(COLUMNS) + "\n"
    names = np.array(BOUND_NAMES)
    fits = np.array(["no", "yes"])
    for i in range(0, len(r.batch), BLOCK):
        s = slice(i, i + BLOCK)
        tpot = _floats(r.tpot_ms[s])  # equal to the step time without MTP: its text is written once
        step = tpot if np.array_equal(r.tpot_ms[s], r.step_ms[s]) else _floats(r.step_ms[s])
        cols = [list(map(str, r.batch[s].tolist())), list(map(str, r.context[s].tolist())),
                tpot, _floats(r.tokens_per_chip[s]), step,
                names[r.bound[s]].tolist(), fits[r.fits[s].astype(np.int8)].tolist()]
        yield "\n".join(map(",".join, zip(*cols))) + "\n"


def to_csv(r: SweepResult) -> str:
    return "".join(csv_blocks(r))


def to_json(r: SweepResult, catalog: Any) -> str:
    import json

    from chipcalc.calc.serving.compiled import BOUND_NAMES

    data = {
        "columns": list(COLUMNS),
        "units": {"tpot_ms": "ms", "tokens_per_s_per_chip": "token/s", "step_ms": "ms"},
        "layout": r.layout,
        "status": r.prov.status,
        "sources": sorted({s.id for s in r.prov.sources}),
        "assumptions": [{"name": a.name, "text": a.text} for a in sorted(r.prov.assumptions)],
        "rows": [[b, c, t, p, s, BOUND_NAMES[k], bool(f)] for b, c, t, p, s, k, f in
                 zip(r.batch.tolist(), r.context.tolist(), r.tpot_ms.tolist(), r.tokens_per_chip.tolist(),
                     r.step_ms.tolist(), r.bound.tolist(), r.fits.tolist())],
    }
    return json.dumps(data) + "\n"


def pivot(r: SweepResult, b: Any, c: Any, tid: str, mid: str) -> Table:
    """TPOT (ms), batch (rows) x context (columns)."""
    import numpy as np

    from chipcalc.core.units import Q

    t = Table(f"TPOT (ms) of {mid} on {tid}, {r.layout}: batch (rows) x context (columns)", [str(x) for x in c],
              key="sweep.tpot")
    tp = np.asarray(r.tpot_ms).reshape(len(b), len(c))
    fits = np.asarray(r.fits).reshape(len(b), len(c))
    for i, bb in enumerate(b):
        cells = [Cell(fig=Figure(Q(float(tp[i, j]), "ms"), r.prov)) if fits[i, j] else Cell(text="no fit")
                 for j in range(len(c))]
        t.add(f"batch {bb}", f"batch {bb}", "ms", cells)
    t.notes.append("'no fit': weights + KV cache exceed usable HBM at that point.")
    return t


def _fig(value: float, unit: str, prov: Any) -> Figure:
    from chipcalc.core.units import Q

    return Figure(Q(value, unit), prov)


def summary_tables(sw: Sweep, sm: Summary, tid: str, mid: str) -> list[Table]:
    """The best point per objective, the binding-resource shares and the Pareto front."""
    from chipcalc.calc.serving.compiled import BOUND_NAMES

    prov = sw.prov
    title = f"Sweep of {mid} on {tid}, {sw.layout}: {sm.points:,} points, {sm.fitting:,} fit in HBM"
    best = Table(f"{title}: the best point per objective",
                 ["batch", "context", "TPOT", "tokens/s per chip", "value"], key="sweep.best")
    for name in OBJECTIVES:
        b = sm.best.get(name)
        if b is None:
            continue
        if b.value is None:
            best.add(name, name, "", [Cell(text="none"), Cell(blank=True), Cell(blank=True), Cell(blank=True), Cell(blank=True)])
            continue
        unit, shown = {OBJECTIVES[0]: ("token/s", b.value), OBJECTIVES[1]: ("token/s/kW", b.value * 1e3),
                       OBJECTIVES[2]: ("ms", b.value * 1e3), OBJECTIVES[3]: ("token/s", b.value)}[name]
        best.add(name, name, "", [Cell(text=f"{b.batch:,}"), Cell(text=f"{b.context:,}"),
                                  Cell(fig=_fig(b.tpot * 1e3, "ms", prov), unit="ms"),
                                  Cell(fig=_fig(b.per_chip, "token/s", prov), unit="token/s"),
                                  Cell(fig=_fig(shown, unit, prov), unit=unit)])
    if sm.tpot_target is not None:
        best.notes.append(f"TPOT target: at most {sm.tpot_target * 1e3:g} ms.")
    if sw.per_kw_basis:
        best.notes.append(f"tokens/s per kW on the {sw.per_kw_basis} basis.")
    shares = Table(f"Binding resource over the {sm.fitting:,} points that fit", ["points", "share"], key="sweep.binding")
    for code, name in enumerate(BOUND_NAMES):
        n = int(sm.bound_counts[code]) if sm.bound_counts is not None else 0
        shares.add(name, name, "", [Cell(text=f"{n:,}"), Cell(text=f"{n / sm.fitting:.1%}" if sm.fitting else "n/a")])
    front = Table("Pareto front: tokens/s per chip vs tokens/s per sequence (1/TPOT), best first by speed per user",
                  ["tokens/s per sequence", "tokens/s per chip", "TPOT", "batch", "context"], key="sweep.pareto")
    import numpy as np

    rows = sm.front
    if len(rows) > FRONT_SHOWN:
        rows = rows[np.unique(np.linspace(0, len(rows) - 1, FRONT_SHOWN).round().astype(int))]
        front.notes.append(f"The front has {len(sm.front):,} points; {len(rows)} evenly spaced along it are shown "
                           "(--format json or csv gives every point of the grid).")
    for i, (x, y, bb, cc, tpot) in enumerate(rows.tolist()):
        front.add(f"p{i}", f"point {i + 1}", "", [Cell(fig=_fig(x, "token/s", prov), unit="token/s"),
                                                  Cell(fig=_fig(y, "token/s", prov), unit="token/s"),
                                                  Cell(fig=_fig(tpot * 1e3, "ms", prov), unit="ms"),
                                                  Cell(text=f"{int(bb):,}"), Cell(text=f"{int(cc):,}")])
    return [best, shares, front]
