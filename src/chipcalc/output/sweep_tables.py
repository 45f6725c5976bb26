"""Sweep outputs: every point as CSV or JSON (written in vectorised blocks), the TPOT pivot table for
small grids, and the summary tables (best points, binding shares, Pareto front) for grids of any size."""

from __future__ import annotations

from typing import Any, Iterator

from chipcalc.calc.sweep import OBJECTIVES, Summary, Sweep, SweepResult
from chipcalc.core.figure import Figure
from chipcalc.output.table import Cell, Table

COLUMNS = ("batch", "context", "tpot_ms", "tokens_per_s_per_chip", "step_ms", "binding", "fits_in_hbm")
#: Added with --ranges: the low and high ends of TPOT and tokens/s per chip.
RANGE_COLUMNS = ("tpot_ms_low", "tpot_ms_high", "tokens_per_s_per_chip_low", "tokens_per_s_per_chip_high")
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

    yield ",".join(COLUMNS + (RANGE_COLUMNS if r.ranged else ())) + "\n"
    names = np.array(BOUND_NAMES)
    fits = np.array(["no", "yes"])
    for i in range(0, len(r.batch), BLOCK):
        s = slice(i, i + BLOCK)
        tpot = _floats(r.tpot_ms[s])  # equal to the step time without MTP: its text is written once
        step = tpot if np.array_equal(r.tpot_ms[s], r.step_ms[s]) else _floats(r.step_ms[s])
        cols = [list(map(str, r.batch[s].tolist())), list(map(str, r.context[s].tolist())),
                tpot, _floats(r.tokens_per_chip[s]), step,
                names[r.bound[s]].tolist(), fits[r.fits[s].astype(np.int8)].tolist()]
        if r.ranged:
            cols += [_floats(a[s]) for a in (r.tpot_ms_low, r.tpot_ms_high, r.tokens_per_chip_low, r.tokens_per_chip_high)]
        yield "\n".join(map(",".join, zip(*cols))) + "\n"


def to_csv(r: SweepResult) -> str:
    return "".join(csv_blocks(r))


def to_json(r: SweepResult, catalog: Any) -> str:
    import json

    from chipcalc.calc.serving.compiled import BOUND_NAMES

    extra = list(RANGE_COLUMNS) if r.ranged else []
    ends = list(zip(r.tpot_ms_low.tolist(), r.tpot_ms_high.tolist(), r.tokens_per_chip_low.tolist(),
                    r.tokens_per_chip_high.tolist())) if r.ranged else None
    units = {"tpot_ms": "ms", "tokens_per_s_per_chip": "token/s", "step_ms": "ms"}
    if r.ranged:
        units.update({c: ("ms" if c.startswith("tpot") else "token/s") for c in RANGE_COLUMNS})
    data = {
        "columns": list(COLUMNS) + extra,
        "units": units,
        "layout": r.layout,
        "status": r.prov.status,
        "sources": sorted({s.id for s in r.prov.sources}),
        "assumptions": [{"name": a.name, "text": a.text} for a in sorted(r.prov.assumptions)],
        "rows": [[b, c, t, p, s, BOUND_NAMES[k], bool(f)] for b, c, t, p, s, k, f in
                 zip(r.batch.tolist(), r.context.tolist(), r.tpot_ms.tolist(), r.tokens_per_chip.tolist(),
                     r.step_ms.tolist(), r.bound.tolist(), r.fits.tolist())],
        **({"range_sources": sorted({s.id for s in r.range_prov.sources}),
            "range_assumptions": sorted({a.name for a in r.range_prov.assumptions})} if r.ranged else {}),
    }
    if ends is not None:
        data["rows"] = [row + list(e) for row, e in zip(data["rows"], ends)]
    return json.dumps(data) + "\n"


def pivot(r: SweepResult, b: Any, c: Any, tid: str, mid: str) -> Table:
    """TPOT (ms), batch (rows) x context (columns)."""
    import numpy as np

    from chipcalc.core.units import Q

    t = Table(f"TPOT (ms) of {mid} on {tid}, {r.layout}: batch (rows) x context (columns)", [str(x) for x in c],
              key="sweep.tpot")
    shape = (len(b), len(c))
    tp = np.asarray(r.tpot_ms).reshape(shape)
    fits = np.asarray(r.fits).reshape(shape)
    lo = hi = None
    if r.ranged:  # each cell carries its range (a † in text; nominal [low–high] with --ranges)
        lo, hi = np.asarray(r.tpot_ms_low).reshape(shape), np.asarray(r.tpot_ms_high).reshape(shape)

    def cell(i: int, j: int) -> Cell:
        if not fits[i, j]:
            return Cell(text="no fit")
        if lo is None:
            return Cell(fig=Figure(Q(float(tp[i, j]), "ms"), r.prov))
        return Cell(fig=Figure(Q(float(tp[i, j]), "ms"), r.prov, low=Q(float(lo[i, j]), "ms"), high=Q(float(hi[i, j]), "ms"),
                               range_prov=r.range_prov))

    for i, bb in enumerate(b):
        cells = [cell(i, j) for j in range(len(c))]
        t.add(f"batch {bb}", f"batch {bb}", "ms", cells)
    t.notes.append("'no fit': weights + KV cache exceed usable HBM at that point.")
    return t


def summary_tables(sw: Sweep, sm: Summary, tid: str, mid: str) -> list[Table]:
    """The best point per objective, the binding-resource shares and the Pareto front. Each point shown is
    re-evaluated as Figures (:meth:`Sweep.point`), so it carries its range like ``chipcalc latency``."""
    from chipcalc.calc.serving.compiled import BOUND_NAMES

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
        f = sw.point(b.batch, b.context)
        unit, shown = {OBJECTIVES[0]: ("token/s", f["per_chip"]), OBJECTIVES[1]: ("token/s/kW", f["per_kw"]),
                       OBJECTIVES[2]: ("ms", f["tpot"]), OBJECTIVES[3]: ("token/s", f["per_chip"])}[name]
        best.add(name, name, "", [Cell(text=f"{b.batch:,}"), Cell(text=f"{b.context:,}"),
                                  Cell(fig=f["tpot"], unit="ms"), Cell(fig=f["per_chip"], unit="token/s"),
                                  Cell(fig=shown, unit=unit)])
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
    for i, (_, _, bb, cc, _) in enumerate(rows.tolist()):
        f = sw.point(int(bb), int(cc))
        front.add(f"p{i}", f"point {i + 1}", "", [Cell(fig=f["per_user"], unit="token/s"), Cell(fig=f["per_chip"], unit="token/s"),
                                                  Cell(fig=f["tpot"], unit="ms"),
                                                  Cell(text=f"{int(bb):,}"), Cell(text=f"{int(cc):,}")])
    return [best, shares, front]
