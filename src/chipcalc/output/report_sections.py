"""The parts of the HTML report that are not plain comparison tables: the headline (the five numbers that
decide a comparison, and one sentence of them), the claims about the systems shown, and the serving
tables of a model. Layout only: every figure comes from :mod:`chipcalc.calc` and :mod:`chipcalc.claims`."""

from __future__ import annotations

from typing import Any, Sequence

from chipcalc.calc import cluster
from chipcalc.catalog import schema
from chipcalc.core.errors import ChipcalcError
from chipcalc.core.figure import Figure
from chipcalc.core.format import fmt_number
from chipcalc.output.table import Table, ratio_cell

HEADLINE_KEYS = ("peak_chip", "peak_system", "hbm_bandwidth_system", "power_allin", "peak_per_kw")


def headline_figures(systems: Sequence[Any], precision: str) -> list[tuple[str, str, str, list[Figure | None]]]:
    """(key, label, unit, one figure per system) for the five numbers that decide a comparison: the dense
    peak per chip and per system, the system's HBM bandwidth, its all-in power, and compute per kW."""
    n = schema.compute_name(precision)
    p = precision.upper()
    sys_unit = cluster.display_unit(n, "system")
    power = [cluster.power_breakdown(s).best for s in systems]
    totals = [cluster.system_total(s, n) if s.chip.get(n) is not None else None for s in systems]
    per_kw = [cluster.efficiency(t, pw, f"{sys_unit}/kW") if t is not None and pw is not None else None
              for t, pw in zip(totals, power)]
    return [
        ("peak_chip", f"{p} dense peak per chip", cluster.display_unit(n), [s.chip.get(n) for s in systems]),
        ("peak_system", f"{p} dense peak, whole system", sys_unit, totals),
        ("hbm_bandwidth_system", "HBM bandwidth, whole system", "TB/s",
         [cluster.system_total(s, "hbm_bandwidth") for s in systems]),
        ("power_allin", "all-in power (as reported, else the bottom-up sum)", "kW", power),
        ("peak_per_kw", f"{p} dense peak per kW of all-in power", f"{sys_unit}/kW", per_kw),
    ]


def headline_table(systems: Sequence[Any], precision: str, base: int = 0) -> Table:
    """The five numbers per system, and the ratios of the ``base``-th system over each other."""
    others = [j for j in range(len(systems)) if j != base]
    t = Table("Headline: the five numbers that decide the comparison",
              [s.id for s in systems] + [f"{systems[base].id} / {systems[j].id}" for j in others], key="report.headline")
    for key, label, unit, figs in headline_figures(systems, precision):
        row: list[Any] = [f.to(unit) if f is not None else None for f in figs]
        row += [ratio_cell(cluster.ratio(figs[base], figs[j])) for j in others] if len(systems) > 1 else []
        t.add(key, label, unit, row)
    return t


def _times(f: Figure | None) -> str | None:
    return None if f is None else f"{fmt_number(f.m(''))}×"


def headline_sentence(systems: Sequence[Any], precision: str, base: int = 0) -> str:
    """The headline, one sentence per other system: "Against B, A has 0.3008× the BF16 dense peak per chip, ..."."""
    if len(systems) < 2:
        return ""
    a = systems[base]
    return " ".join(x for x in (_sentence(a, b, precision) for j, b in enumerate(systems) if j != base) if x)


def _sentence(a: Any, b: Any, precision: str) -> str:
    r = {key: _times(cluster.ratio(f[0], f[1])) for key, _, _, f in headline_figures([a, b], precision)}
    p = precision.upper()
    parts = []
    if r["peak_chip"]:
        parts.append(f"{r['peak_chip']} the {p} dense peak per chip")
    if r["peak_system"]:
        parts.append(f"{r['peak_system']} as a whole system ({fmt_number(a.chips.m(''))} vs {fmt_number(b.chips.m(''))} chips)")
    if r["hbm_bandwidth_system"]:
        parts.append(f"{r['hbm_bandwidth_system']} the HBM bandwidth")
    if not parts and not r["power_allin"]:
        return ""
    text = f"Against {b.name}, {a.name} has " + ", ".join(parts)
    if r["power_allin"]:
        text += (", at " if parts else "") + f"{r['power_allin']} the all-in power"
        if r["peak_per_kw"]:
            text += f": {r['peak_per_kw']} the {p} compute per kW"
    return text + "."


# -- claims --------------------------------------------------------------------------------------

def related_claims(catalog: Any, ids: set[str]) -> list[Any]:
    """The catalog's claims that name one of ``ids`` (systems or chips): in an expression or as a target."""
    from chipcalc.claims import expr

    out = []
    for c in sorted(getattr(catalog, "claims", {}).values(), key=lambda c: c.id):
        names = set()
        if c.node is not None:
            names = {r.name.split("@")[0].split(".")[0] for r in expr.refs(c.node)}
        if c.bound is not None:  # a bound claim's target; a volume claim's chips (chipcalc.claims.supply)
            names |= set(getattr(c.bound, "targets", None) or {c.bound.target})
        if names & ids:
            out.append(c)
    return out


def claims_table(catalog: Any, systems: Sequence[Any], whatif: bool = False) -> Table | None:
    """The verdicts on every claim about these systems or their chips (None when there is none); from the
    cached verdicts of the catalog as its folders give it, unless the catalog is a what-if (``--set``, ``--prefer``)."""
    from chipcalc.claims.verdicts import cached_verdicts, verdict
    from chipcalc.output.claims_tables import summary_table

    ids = {s.id for s in systems} | {s.chip.id for s in systems}
    claims = related_claims(catalog, ids)
    if not claims:
        return None
    if whatif:
        verdicts = [verdict(catalog, c) for c in claims]
    else:
        by_id = {v.claim.id: v for v in cached_verdicts(catalog)}
        verdicts = [by_id[c.id] for c in claims]
    t = summary_table(verdicts)
    t.title = "Claims about " + " and ".join(s.name for s in systems) + ": verdicts"
    t.key = "report.claims"
    for row, c in zip(t.rows, claims):
        row.label = f"{c.title} ({c.id})"
    return t


# -- serving -------------------------------------------------------------------------------------

def serving_tables(catalog: Any, systems: Sequence[Any], model: Any, precision: str) -> tuple[list[Table], list[str]]:
    """`chipcalc latency SYSTEMS MODEL -p PRECISION` at the default batch and context: the tables, or a
    note saying why there are none (a chip without that precision, a model that does not fit)."""
    from chipcalc.calc import serving as L
    from chipcalc.calc.serving.request import Request, run
    from chipcalc.output.serving_tables import latency_tables

    req = Request(precision=precision)
    try:
        kn = L.knobs(catalog)
        cases = run(catalog, model, list(systems), req, kn)
        return latency_tables(model, cases, kn, req), []
    except ChipcalcError as exc:
        return [], [f"No serving tables for {model.id} at {precision.upper()}: {exc}"]
