"""Tables for `chipcalc check` (verdicts and the working of each claim) and `chipcalc fleet`."""

from __future__ import annotations

from typing import Any

from chipcalc.catalog import schema
from chipcalc.claims import expr
from chipcalc.claims.verdicts import Verdict, _is_ratio
from chipcalc.core.figure import Figure
from chipcalc.core.format import unit_for
from chipcalc.output.table import Cell, Table, ratio_cell

# -- check -------------------------------------------------------------------------------------

def _measured_cell(v: Verdict) -> tuple[str, Cell]:
    if v.measured is None:
        return "", Cell()
    if v.claim.kind == "bound":
        return "%", Cell(fig=v.measured, unit="%")
    o = v.outcome
    if o is not None and (v.measured is o.measured or _is_ratio(o.node)):
        return "x", ratio_cell(v.measured)
    unit = unit_for([v.measured])
    return unit, Cell(fig=v.measured, unit=unit)


def summary_table(verdicts: list[Verdict]) -> Table:
    t = Table("Claims: verdicts", ["verdict", "measured", "claimed", "robustness"], key="check.summary")
    for v in verdicts:
        unit, cell = _measured_cell(v)
        robust = v.robust_short if v.label != "unresolved" else v.reason
        if v.readings:
            held = sum(1 for r in v.readings if r.holds)
            robust += f"; other readings: {held} of {len(v.readings)} hold"
        t.add(v.claim.id, v.claim.id, unit, [v.label, cell, v.claimed or "", robust])
    t.notes.append("measured: the ratio (x) of a ratio claim; the left side of a comparison with a number; left / right "
                   "of a comparison of two figures; for a throughput bound the largest share of a peak it needs (%). "
                   "`chipcalc check ID` shows one claim with its full working.")
    return t


def _fig_row(t: Table, key: str, label: str, fig: Figure, unit: str | None = None) -> None:
    u = unit if unit is not None else unit_for([fig])
    detail = f"({fig.note})" if fig.note else ""
    t.add(key, label, u, [Cell(fig=fig, unit=u if u else None)], detail=detail)


def claim_table(v: Verdict, catalog: Any = None) -> Table:
    """One claim: the figures it uses, the two sides, the ratio, and the verdict as notes."""
    c = v.claim
    t = Table(f"Claim {c.id}: {c.title}", ["value"], key=f"claim.{c.id}")
    o = v.outcome
    if v.label == "unresolved":
        pass
    elif c.kind == "bound" and v.bound is not None:
        res = v.bound
        for name, fig in res.working:
            _fig_row(t, name, fig.label or name, fig)
        for key, what, out in res.checks:
            _fig_row(t, f"share.{key}", f"share of {what} needed", out.lhs, "%")
        _fig_row(t, "model.tpot", "latency model: TPOT at this batch", res.model_tpot)
        _fig_row(t, "model.throughput", "latency model: tokens/s per chip at this batch", res.model_throughput)
    elif c.kind == "volume" and v.bound is not None:
        from chipcalc.output.supply_claims import volume_rows

        volume_rows(t, v)
    elif o is not None:
        for ref, fig in o.inputs:
            _fig_row(t, ref, ref, fig)
            unit = unit_for([fig])
            for alt in fig.alternatives:  # which source gives which value
                _fig_row(t, f"{ref}.alt", "  alternative", alt, unit)
        if isinstance(o.node, expr.Compare):
            for side, fig, node in (("left", o.lhs, o.node.left), ("right", o.rhs, o.node.right)):
                if not isinstance(node, expr.Ref):
                    _fig_row(t, side, f"{side}: {expr.show(node)}", fig)
            if o.measured is not None and v.measured is o.measured:
                _fig_row(t, "ratio", "left / right", o.measured, "x")
        else:
            _fig_row(t, "value", expr.show(o.node), o.lhs)
        for i, r in enumerate(v.readings):
            if r.measured is not None:
                unit = "x" if r.measured.q.dimensionless else unit_for([r.measured])
                _fig_row(t, f"reading.{i}", f"reading: {r.label}", r.measured, unit)
    t.notes.extend(claim_notes(v, catalog))
    return t



def claim_notes(v: Verdict, catalog: Any = None) -> list[str]:
    c = v.claim
    notes = []
    if c.words:
        notes.append(f"Reported: \"{c.words}\"")
    if c.source:
        src = catalog.sources.get(c.source) if catalog is not None else None
        notes.append(f"Reported in: [{c.source}] {src.cite() if src is not None else ''}".rstrip())
    if c.seen_in:
        notes.append(f"Seen in: {c.seen_in}")
    if c.kind == "bound" and c.bound is not None:
        b = c.bound
        tp = f", TPOT <= {b.tpot.q:~P}" if b.tpot is not None else ""
        notes.append(f"Asserts: {b.throughput.q:~P} per chip of {b.model} decode on {b.target}{tp}")
        if v.bound is not None:
            notes.append(f"Deployment (latency model): {v.bound.layout}; batch {v.bound.batch} sequences per chip")
    elif c.node is not None:
        notes.append(f"Asserts: {expr.show(c.node)}" + (f" (tolerance ±{c.tolerance:.0%})" if c.tolerance else ""))
    if v.label == "unresolved":
        notes.append(f"Verdict: UNRESOLVED: {v.reason}")
    else:
        notes.append(f"Verdict: {v.label.upper()}" + (f": {v.margin}" if v.margin else ""))
        if v.robustness:
            notes.append(f"Robustness: {v.robustness}")
        for b in v.basis:
            notes.append(f"Basis: {b}")
        for r in v.readings:
            notes.append(f"Reading {r.text}")
            for b in r.basis:
                notes.append(f"  basis of that reading: {b}")
    if c.note:
        notes.append(f"Note: {c.note}")
    return notes


def check_tables(verdicts: list[Verdict], catalog: Any, working: bool = True) -> list[Table]:
    tables = [summary_table(verdicts)]
    if working:
        tables += [claim_table(v, catalog) for v in verdicts]
    return tables


# -- fleet -------------------------------------------------------------------------------------

_ROW_LABEL = {"chips": "chips", "hbm_capacity": "HBM capacity", "hbm_bandwidth": "HBM bandwidth",
              "tdp": "power: chips x TDP (accelerators only)"}


def fleet_table(fleets: list[Any]) -> Table:
    """Totals of each fleet (:class:`chipcalc.calc.fleet.Fleet` records) per figure, and their ratio for two."""
    from chipcalc.calc import fleet

    two = len(fleets) == 2
    cols = [f.text for f in fleets] + ([f"{fleets[0].text} / {fleets[1].text}"] if two else [])
    t = Table("Fleet totals: " + " vs ".join(f.label for f in fleets), cols, key="fleet")
    for name in fleet.row_names(fleets):
        figs = [fleet.fleet_total(f, name) for f in fleets]
        pc = schema.parse_compute_name(name)
        label = f"{pc[0].upper()} dense peak" if pc else _ROW_LABEL[name]
        unit = unit_for(figs)
        row: list[Any] = [Cell(fig=f, unit=unit or None) if f is not None else None for f in figs]
        if two:
            row.append(ratio_cell(_ratio(figs[0], figs[1])))
        t.add(name, label, unit, row)
        for f in fleets:
            gone = fleet.missing(f, name)
            if gone and name != "chips":
                t.notes.append(f"{label} of {f.text}: n/a, {', '.join(gone)} has no {name} figure")
    for f in fleets:
        for i in f.items:
            if i.volume is not None:
                v = i.volume
                t.notes.append(f"{v.id} ({v.name}) counts {v.counts}; priced as {i.chip.id}." + (f" {v.notes}" if v.notes else ""))
    t.notes.append("Power is the accelerators' TDP only: hosts, network, cooling and conversion losses are not included.")
    return t


def _ratio(a: Figure | None, b: Figure | None) -> Figure | None:
    from chipcalc.calc.cluster import ratio

    return ratio(a, b)


def volumes_table(cat: Any) -> Table:
    """The named volumes of specs/fleets*.toml: count (with range), chip, what it counts."""
    t = Table("Named volumes (use as CHIP:VOLUME, or alone when a chip is given)", ["count", "chip", "what, stage", "counts"],
              key="fleet.volumes")
    for v in cat.volumes.values():
        tag = ", ".join(x for x in (f"{v.unit}s" if v.unit else "", v.stage) if x)
        t.add(v.id, v.id, "", [v.figure, v.chip or "(say which)", tag, v.counts])
        for alt in v.figure.alternatives:
            t.add(f"{v.id}.alt", "  alternative", "", [alt, Cell(blank=True), Cell(blank=True), Cell(blank=True)])
    t.notes.append("A count of the supply model is CHIP:supply-YEAR (e.g. ascend-910c:supply-2025; `chipcalc supply`).")
    return t
