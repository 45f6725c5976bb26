"""Tables for `chipcalc supply`: the funnel, the constraints side by side, and what a target needs."""

from __future__ import annotations

from typing import Any

from chipcalc.calc.supply import LIMITS, Funnel
from chipcalc.calc.supply_inverse import Need
from chipcalc.core.figure import Figure
from chipcalc.core.format import fmt_count, fmt_number
from chipcalc.output.table import Cell, Table, ratio_cell


def _count(fig: Figure | None, unit: str = "package", attr: str = "q") -> str:
    return "n/a" if fig is None else fmt_count(float(getattr(fig, attr).m_as(unit)))


def binding_ends(f: Funnel) -> list[str]:
    """Where another limit binds at the ends of the ranges."""
    ends = []
    for end, key, attr in (("low", f.binding_low, "lo"), ("high", f.binding_high, "hi")):
        if key is not None and key != f.binding:
            ends.append(f"at the {end} ends of the ranges, {LIMITS[key]} ({_count(f.limit(key).packages, attr=attr)})")
    return ends


def binding_text(f: Funnel) -> str:
    """'HBM stacks (487,500 packages)', with the range ends where another limit binds."""
    if f.binding is None:
        return "none: no limit is sourced"
    ends = binding_ends(f)
    return f"{LIMITS[f.binding]} ({_count(f.limit(f.binding).packages)} packages)" + ("; " + "; ".join(ends) if ends else "")


def funnel_table(f: Funnel) -> Table:
    s, p = f.scenario, f.product
    t = Table(f"Supply funnel: {s.name} ({s.id}; {f.months:g} months)", ["value"], key="supply.funnel")
    group = None
    for r in f.rows:
        if r.group != group:
            group = r.group
            t.add(f"group.{group}", f"{group}:", "", [Cell(blank=True)])
        t.add(r.key, f"  {r.label}", r.unit, [r.fig], detail=f"({r.note})" if r.note else "")
    ends = binding_ends(f)
    t.add("binding", "binding constraint", "", [LIMITS[f.binding] if f.binding else "none (no limit is sourced)"],
          detail=f"({'; '.join(ends)})" if ends else "")
    t.notes.append(f"Counts: {s.counts or s.name}. Product {p.id}: {p.die}." if p.die else f"Counts: {s.counts or s.name}.")
    missing = [lim.label for lim in f.limits if lim.packages is None]
    if missing:
        t.notes.append(f"No source gives: {', '.join(missing)}; not a constraint here, so the answer is an upper bound on "
                       "what those inputs would allow.")
    t.notes.append("Packaging yield applies to every limit (a package that fails loses its dies and HBM). "
                   "Shares of shared stocks (wafers, die bank, HBM) are assumptions where no source splits them.")
    if s.notes:
        t.notes.append(s.notes)
    return t


def constraints_table(f: Funnel, shares: dict[str, float] | None = None) -> Table:
    """Each limit: the packages it allows, relative to the binding one."""
    cols = ["packages allowed", "x the binding limit", "binds"] + (["binds in (Monte Carlo)"] if shares else [])
    t = Table(f"Constraints: packages each input allows, {f.scenario.name}", cols, key="supply.constraints")
    bind = f.limit(f.binding).packages if f.binding else None
    for lim in f.limits:
        mark = Cell(text="◀ binding") if lim.key == f.binding else Cell(text="not sourced") if lim.packages is None else Cell(blank=True)
        rel = None
        if lim.packages is not None and bind is not None:
            rel = Figure((lim.packages.q / bind.q).to(""), lim.packages.prov | bind.prov)
        row: list[Any] = [lim.packages, ratio_cell(rel), mark]
        if shares:
            row.append(Cell(text=f"{shares.get(lim.key, 0.0):.0%} of samples") if lim.packages is not None else Cell(blank=True))
        t.add(lim.key, lim.label, "package", row, detail=f"({lim.how})")
    t.notes.append(f"Binding constraint: {binding_text(f)}.")
    return t


def needs_table(f: Funnel, target: Figure, items: list[Need]) -> Table:
    """What ``target`` packages need, next to what the sources say is available."""
    n = _count(target)
    t = Table(f"What {n} packages of {f.product.id} in {f.months:g} months need ({f.scenario.id})",
              ["needed", "available", "needed / available"], key="supply.needs")
    t.add("target", "target (good packages)", "package", [target, Cell(blank=True), Cell(blank=True)])
    for it in items:
        t.add(it.key, it.label, it.unit, [it.needed, it.available, ratio_cell(it.ratio)],
              detail=f"({it.note})" if it.note else "")
    short = [it for it in items if it.ratio is not None and float(it.ratio.q) > 1 and it.key not in ("dies", "wafer_dies", "assembled")]
    if short:
        t.notes.append("Short at the nominal values: " + "; ".join(
            f"{it.label} ({fmt_number(float(it.ratio.q))}x what is available)" for it in short) + ".")
    else:
        t.notes.append("At the nominal values every sourced input covers the target.")
    t.notes.append("Needed figures carry the target's provenance (an assumption: the number given on the command line). "
                   "Feed one back with --set (e.g. wafers_per_month with wafer_share=100%) and the funnel gives the target.")
    return t


def scenarios_table(supply: Any) -> Table:
    """Every product and its scenarios (``chipcalc supply`` with no argument)."""
    t = Table("Supply products and scenarios (chipcalc supply PRODUCT --year Y, or --scenario ID)",
              ["chip", "year", "period", "counts"], key="supply.list")
    for p in sorted(supply.products.values(), key=lambda x: x.id):
        t.add(p.id, p.id, "", [p.chip, "", "", p.name])
        for s in supply.scenarios_of(p.id):
            t.add(s.id, f"  {s.id}" + (" (default)" if s.default else ""), "",
                  [p.chip, str(s.year), f"{s.period.m_as('month'):g} months", s.counts or s.name])
    return t
