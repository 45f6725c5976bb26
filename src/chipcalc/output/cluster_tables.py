"""Build the tables that the commands print: list, chip sheet, compare, cluster."""

from __future__ import annotations

from chipcalc.calc import cluster
from chipcalc.catalog import schema
from chipcalc.catalog.records import Chip, System
from chipcalc.catalog.store import Catalog
from chipcalc.output.table import Cell, Table, ratio_cell

_label = cluster.label_of
_unit = cluster.display_unit


def _status(rec) -> tuple[str, str]:
    st = getattr(rec, "status", None)
    return (st.status, st.date) if st is not None else ("", "")


def list_tables(cat: Catalog, vendor: str | None = None, status: str | None = None,
                kind: str | None = None) -> list[Table]:
    """The catalog's chips and systems (with status and date), models and sources. ``vendor``
    (case-insensitive, a part of the name), ``status`` and ``kind`` ("chip" or "system") filter;
    with a filter, only chips and systems are listed."""
    def keep(rec) -> bool:
        if vendor and vendor.lower() not in rec.vendor.lower():
            return False
        return not status or _status(rec)[0] == status

    tables = []
    if kind in (None, "chip"):
        chips = Table("Chips", ["name", "vendor", "status", "date", "file"], key="list.chips")
        for c in sorted(cat.chips.values(), key=lambda c: c.id):
            if keep(c):
                chips.add(c.id, c.id, "", [c.name, c.vendor, *_status(c), c.file])
        tables.append(chips)
    if kind in (None, "system"):
        systems = Table("Systems", ["name", "accelerators", "status", "date", "file"], key="list.systems")
        for s in sorted(cat.systems.values(), key=lambda s: s.id):
            if keep(s):
                count = f"{s.chips.q.m:g} x {s.chip.id}"
                if s.marketed is not None:
                    count += f" (marketed: {s.marketed.figure.q.m:g} {s.marketed.counts})"
                systems.add(s.id, s.id, "", [s.name, count, *_status(s), s.file])
        tables.append(systems)
    if vendor or status or kind:
        return tables
    tables += catalog_extra_tables(cat, None)
    if cat.models:
        models = Table("Models", ["name", "architecture", "file"], key="list.models")
        for m in sorted(cat.models.values(), key=lambda m: m.id):
            models.add(m.id, m.id, "", [m.name, f"{m.architecture}, {m.attention}", m.file])
        tables.append(models)
    sources = Table("Sources", ["kind", "date", "title"], key="list.sources")
    for s in sorted(cat.sources.values(), key=lambda s: s.id):
        sources.add(s.id, s.id, "", [s.kind, s.date, s.title])
    tables.append(sources)
    return tables


#: What `chipcalc list WHAT` can list.
KINDS = ("chips", "systems", "models", "claims", "fleets", "assumptions", "sources")


def catalog_extra_tables(cat: Catalog, what: str | None) -> list[Table]:
    """Claims, fleet volumes and assumptions (the names --set takes): ``what`` one of them, or None for all."""
    out = []
    if what in (None, "claims") and cat.claims:
        t = Table("Claims (chipcalc check ID)", ["kind", "title"], key="list.claims")
        for c in sorted(cat.claims.values(), key=lambda c: c.id):
            t.add(c.id, c.id, "", [c.kind, _cut(c.title)])
        out.append(t)
    if what in (None, "fleets") and cat.volumes:
        t = Table("Fleet volumes (chipcalc fleet CHIP:ID)", ["chip", "count", "counts"], key="list.fleets")
        for v in sorted(cat.volumes.values(), key=lambda v: v.id):
            t.add(v.id, v.id, "", [v.chip or "", v.figure, _cut(v.counts, 60)])
        out.append(t)
    if what in (None, "assumptions"):
        t = Table("Assumptions (--set NAME=VALUE)", ["value", "about"], key="list.assumptions")
        for name in sorted(cat.assumptions):
            a = cat.assumptions[name]
            unit = "" if a.q.dimensionless else f"{a.q.units:~P}"
            about = next(iter(a.prov.assumptions)).text if a.prov.assumptions else ""
            t.add(name, name, unit, [a, _cut(about, 70)])
        out.append(t)
    return out


def list_what(cat: Catalog, what: str) -> list[Table]:
    """One kind of record (`chipcalc list claims`)."""
    if what in ("chips", "systems"):
        return list_tables(cat, kind=what[:-1])
    if what in ("claims", "fleets", "assumptions"):
        return catalog_extra_tables(cat, what)
    full = list_tables(cat)
    return [t for t in full if t.key == f"list.{what}"]


def chip_table(chip: Chip, per: str = "package") -> Table:
    """Spec sheet: every figure with its range, its alternatives (other sources) and its basis."""
    title = f"{chip.name} ({chip.id}), per {per}"
    t = Table(title, ["value"], key=f"chip.{chip.id}")
    order = ["dies"] + [schema.compute_name(p, s) for s in schema.SPARSITY for p in schema.PRECISIONS] + [
        k for k in schema.CHIP_FIGURES if k != "dies"]
    dies = chip.get("dies")
    for name in order:
        fig = chip.get(name)
        if fig is None:
            continue
        if per == "die" and name != "dies":
            fig = cluster.per_die(chip, name)
            if fig is None:
                continue
        unit = _unit(name)
        label = _label(name) if per != "die" or name == "dies" else per_die_label(_label(name))
        t.add(name, label, unit, [fig], detail=f"({fig.note})" if fig.note else "")
        for alt in fig.alternatives if per != "die" else chip.get(name).alternatives:
            a = alt if per != "die" else alt / dies
            t.add(f"{name}.alt", "  alternative", unit, [a], detail=f"({alt.note})" if alt.note else "")
    if chip.notes:
        t.notes.append(f"Notes: {chip.notes}")
    return t


def per_die_label(label: str) -> str:
    """A chip-sheet label for a per-die figure: "per chip" becomes "per die", else ", per die" is added."""
    return label.replace("per chip", "per die") if "per chip" in label else f"{label}, per die"


def _cut(text: str, n: int = 90) -> Cell:
    """A text cell cut to ``n`` characters for reading, keeping the whole text for csv/json/xlsx."""
    return Cell(text=_short(text, n), full=text if len(text) > n else "")


def _short(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def compare_table(chips: list[Chip]) -> Table:
    cols = [c.id for c in chips]
    two = len(chips) == 2
    if two:
        cols.append(f"{chips[0].id} / {chips[1].id}")
    t = Table("Per-chip comparison: " + " vs ".join(c.name for c in chips), cols, key="compare")
    names = []
    for s in schema.SPARSITY:
        for p in schema.PRECISIONS:
            n = schema.compute_name(p, s)
            if any(n in c.figures for c in chips):
                names.append(n)
    names += [k for k in schema.CHIP_FIGURES if k != "dies" and any(k in c.figures for c in chips)]
    for name in names:
        figs = [c.get(name) for c in chips]
        row = [f.to(_unit(name)) if f is not None else None for f in figs]
        if two:
            row.append(ratio_cell(cluster.ratio(figs[0], figs[1])))
        t.add(name, _label(name), _unit(name), row)
    # derived rows
    for p in ("bf16", "fp8", "int8"):
        n = schema.compute_name(p)
        if not any(n in c.figures for c in chips):
            continue
        eff = [cluster.efficiency(c.get(n), c.get("tdp"), f"{schema.compute_unit(p)}/W") if c.get(n) and c.get("tdp") else None for c in chips]
        row = list(eff) + ([ratio_cell(cluster.ratio(eff[0], eff[1]))] if two else [])
        t.add(f"{n}_per_watt", f"{p.upper()} dense per watt of TDP", f"{schema.compute_unit(p)}/W", row)
    ridge = [cluster.ridge_point(c, "bf16") for c in chips]
    if any(ridge):
        t.add("ridge_bf16", "BF16 ridge point (peak / HBM bandwidth)", "FLOP/B", ridge + ([ratio_cell(cluster.ratio(ridge[0], ridge[1]))] if two else []))
    return t


def cluster_tables(a: System, b: System | None = None,
                   metrics: tuple[list[cluster.Metric], list[cluster.Metric]] | None = None,
                   *, more: tuple[System, ...] = (), base: int = 0) -> list[Table]:
    """Every table of `chipcalc cluster` for ``a``, ``b`` and ``more`` systems side by side, ratios of the
    ``base``-th (the first by default) over each other; ``metrics`` replaces the computed per-chip and
    system rows (Monte Carlo ranges)."""
    systems = [a] + ([b] if b is not None else []) + list(more)
    pc, sy = metrics if metrics is not None else (None, None)
    return ([per_chip_table(systems, pc, base), system_table(systems, sy, base)] + [power_table(s) for s in systems]
            + [crosscheck_table(s) for s in systems if s.reported])


def ratio_columns(systems: list[System], base: int = 0) -> list[str]:
    """'ratio' for two systems (the first over the second), else 'BASE / OTHER' for each other system."""
    if len(systems) == 2 and base == 0:
        return ["ratio"]
    return [f"{systems[base].id} / {s.id}" for j, s in enumerate(systems) if j != base] if len(systems) > 1 else []


def _cols(systems: list[System], base: int = 0) -> list[str]:
    return [s.id for s in systems] + ratio_columns(systems, base)


def metrics_table(title: str, key: str, systems: list[System], metrics: list[cluster.Metric], base: int = 0) -> Table:
    """A table of metrics: one column per system, and the ratios of the base system to the others."""
    t = Table(title, _cols(systems, base), key=key)
    for m in metrics:
        cells: list = list(m.values) + [ratio_cell(r) for r in m.ratios]
        t.add(m.key, m.label, m.unit, cells)
    return t


def per_chip_table(systems: list[System], metrics: list[cluster.Metric] | None = None, base: int = 0) -> Table:
    title = "Per chip: " + " vs ".join(f"{s.chip.name} in {s.name}" for s in systems)
    return metrics_table(title, "cluster.per_chip", systems,
                         cluster.per_chip_metrics(systems, base) if metrics is None else metrics, base)


def system_table(systems: list[System], metrics: list[cluster.Metric] | None = None, base: int = 0) -> Table:
    title = "Whole system: " + " vs ".join(f"{s.name} ({s.chips.q.m:g} x {s.chip.id})" for s in systems)
    t = metrics_table(title, "cluster.system", systems,
                      cluster.system_metrics(systems, base) if metrics is None else metrics, base)
    _count_rows(t, systems, base)
    t.notes.append("All-in power is the reported figure where a source gives one, else the bottom-up sum of known parts.")
    return t


def _count_rows(t: Table, systems: list[System], base: int = 0) -> None:
    """What each system's count counts: packages (``chips``), dies (chips x dies) and the vendor's
    headline count with what it counts, so die-vs-package claims can be checked both ways."""
    dies = [s.dies_total() for s in systems]
    if any(d is not None for d in dies):
        t.add("dies_total", "compute dies (accelerators x dies per package)", "",
              dies + [ratio_cell(r) for r in cluster.ratios_to(dies, base)])
    if any(s.marketed is not None for s in systems):
        heads = [s.marketed.figure if s.marketed is not None else s.chips for s in systems]
        t.add("marketed_count", "headline count, as marketed", "",
              heads + [ratio_cell(r) for r in cluster.ratios_to(heads, base)])
        for s in systems:
            what = s.marketed.counts if s.marketed is not None else "packages"
            t.notes.append(f"{s.id}: accelerators counts packages ({s.chips.q.m:g}); its headline count "
                           f"({(s.marketed.figure if s.marketed else s.chips).q.m:g}) counts {what}.")


def power_table(s: System) -> Table:
    pb = cluster.power_breakdown(s)
    t = Table(f"Power breakdown: {s.name}", ["count", "per unit", "total"], key=f"cluster.power.{s.id}")
    for ln in pb.lines:
        per_unit = Cell(fig=ln.unit_power.to("W"), unit="W") if ln.unit_power is not None else Cell(text="unknown")
        t.add(ln.name, ln.name, "kW", [Cell(fig=ln.count, unit=""), per_unit, ln.total])
    if pb.bottom_up is not None:
        t.add("bottom_up", "bottom-up sum", "kW", [Cell(blank=True), Cell(blank=True), pb.bottom_up])
    if pb.reported is not None:
        t.add("reported", "all-in, as reported", "kW", [Cell(blank=True), Cell(blank=True), pb.reported])
    if pb.missing:
        t.notes.append("No power figure for: " + ", ".join(pb.missing) + " (not in the bottom-up sum).")
    if pb.reported is None:
        t.notes.append("No source gives this system's all-in power; the bottom-up sum is used.")
    return t


def crosscheck_table(s: System) -> Table:
    t = Table(f"Derived totals vs published totals: {s.name}", ["derived", "published", "derived / published"],
              key=f"cluster.crosscheck.{s.id}")
    for key, rep in s.reported.items():
        if key == "power":
            continue
        der = cluster.system_total(s, key)
        if der is None:
            continue
        unit = _unit(key, "system")
        t.add(key, _label(key).replace("per chip, ", "aggregate, "), unit, [der.to(unit), rep.to(unit), ratio_cell(cluster.ratio(der, rep))])
    return t
