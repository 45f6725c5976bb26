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


def _numbers(cols: list[Any]) -> list[bytes]:
    """Each row of these columns as CSV text (``b"1,9.399641884444444"``), numbers as their shortest
    round-trip text: orjson formats a whole numpy block in C (ryu), ~10x faster than Python's repr, which
    stays for blocks holding a NaN or an infinity (orjson writes those as null)."""
    import numpy as np
    import orjson

    m = np.column_stack(cols)
    if m.dtype.kind == "f" and not np.isfinite(m).all():
        return [",".join(map(repr, row)).encode() for row in m.tolist()]
    return orjson.dumps(m, option=orjson.OPT_SERIALIZE_NUMPY)[2:-2].split(b"],[")


def _words(codes: Any, texts: list[str]) -> list[bytes]:
    """Each row's text for small integer codes (``texts[code]``), looked up in one numpy pass."""
    import numpy as np

    return np.array([t.encode() for t in texts], dtype=object)[codes].tolist()


def csv_blocks(r: SweepResult) -> Iterator[bytes]:
    """The CSV text (UTF-8) in blocks of rows (header first). The floats are their shortest round-trip text:
    ``float(text)`` gives the computed number back exactly."""
    import numpy as np

    from chipcalc.calc.serving.compiled import BOUND_NAMES

    yield (",".join(COLUMNS + (RANGE_COLUMNS if r.ranged else ())) + "\n").encode()
    # binding and fits_in_hbm as one code: a text per (binding, fits) pair
    words = [f"{name},{fit}" for name in BOUND_NAMES for fit in ("no", "yes")]
    for i in range(0, len(r.batch), BLOCK):
        s = slice(i, i + BLOCK)
        pieces = [_numbers([r.batch[s], r.context[s]]),
                  _numbers([r.tpot_ms[s], r.tokens_per_chip[s], r.step_ms[s]]),
                  _words(np.asarray(r.bound[s], dtype=np.intp) * 2 + r.fits[s], words)]
        if r.ranged:
            pieces.append(_numbers([a[s] for a in (r.tpot_ms_low, r.tpot_ms_high, r.tokens_per_chip_low,
                                                   r.tokens_per_chip_high)]))
        yield b"\n".join(map(b",".join, zip(*pieces))) + b"\n"


def to_csv(r: SweepResult) -> str:
    return b"".join(csv_blocks(r)).decode()


def to_json(r: SweepResult, catalog: Any) -> str:
    """Every point as JSON (orjson: the same shortest round-trip floats as ``json``, written in C; a NaN or an
    infinity would be null, which is valid JSON, where ``json`` writes the invalid NaN)."""
    import numpy as np
    import orjson

    from chipcalc.calc.serving.compiled import BOUND_NAMES

    extra = list(RANGE_COLUMNS) if r.ranged else []
    units = {"tpot_ms": "ms", "tokens_per_s_per_chip": "token/s", "step_ms": "ms"}
    if r.ranged:
        units.update({c: ("ms" if c.startswith("tpot") else "token/s") for c in RANGE_COLUMNS})
    names = np.array(BOUND_NAMES, dtype=object)[np.asarray(r.bound, dtype=np.intp)].tolist()
    cols = [r.batch.tolist(), r.context.tolist(), r.tpot_ms.tolist(), r.tokens_per_chip.tolist(), r.step_ms.tolist(),
            names, np.asarray(r.fits, dtype=bool).tolist()]
    if r.ranged:
        cols += [a.tolist() for a in (r.tpot_ms_low, r.tpot_ms_high, r.tokens_per_chip_low, r.tokens_per_chip_high)]
    data = {
        "columns": list(COLUMNS) + extra,
        "units": units,
        "layout": r.layout,
        "status": r.prov.status,
        "sources": sorted({s.id for s in r.prov.sources}),
        "assumptions": [{"name": a.name, "text": a.text} for a in sorted(r.prov.assumptions)],
        "rows": list(zip(*cols)),
        **({"range_sources": sorted({s.id for s in r.range_prov.sources}),
            "range_assumptions": sorted({a.name for a in r.range_prov.assumptions})} if r.ranged else {}),
    }
    return orjson.dumps(data).decode() + "\n"


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
