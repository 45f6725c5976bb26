"""The working of a volume claim (`chipcalc check huawei-200k-2025`): the supply model's packages per
scenario and their binding limits, what the claimed number needs, and the inputs that flip the verdict."""

from __future__ import annotations

from typing import Any

from chipcalc.calc.supply import LIMITS
from chipcalc.claims import expr
from chipcalc.core.format import fmt_count, fmt_number
from chipcalc.output.table import Table


def volume_rows(t: Table, v: Any) -> None:
    """Rows and notes of one volume claim's table (``v.bound`` is a claims.supply.VolumeResult)."""
    r = v.bound
    spec = r.spec
    for f in r.funnels:
        bind = LIMITS.get(f.binding or "", "none")
        t.add(f"supply.{f.scenario.id}", f"{f.scenario.id}: packages (binding: {bind})", "package", [f.packages],
              detail=f"(chipcalc supply {f.product.id} --scenario {f.scenario.id})")
    if len(r.funnels) > 1:
        t.add("supply.total", "supply model: packages, summed", "package", [r.model])
    t.add("claimed", "claimed", "package", [spec.claimed])
    for sid, part, items in r.needs:
        for n in items:
            if n.key not in ("wafers_per_month", "hbm", "die_yield", "packaging_capacity") or n.needed is None:
                continue
            t.add(f"need.{sid}.{n.key}", f"{sid}: {n.label}", n.unit, [n.needed],
                  detail=f"(for {fmt_count(float(part.q.m_as('package')))} packages)")
            if n.available is not None:
                t.add(f"have.{sid}.{n.key}", "  available (sourced / assumed)", n.unit, [n.available])
    for name, fig in r.flips:
        unit = "%" if fig.q.dimensionless else f"{fig.q.units:~P}"
        t.add(f"flip.{name}", f"flips it: {name}", unit, [fig])
    what = " + ".join(f"packages of {f.scenario.id}" for f in r.funnels)
    tol = f" (tolerance {spec.tolerance:.0%} below)" if spec.relation == "about" else ""
    t.notes.append(f"Asserts (supply model): {what} {'<=' if spec.relation == 'at-most' else '>='} "
                   f"{fmt_count(float(spec.claimed.q.m_as('package')))}{tol}"
                   + (" (a ceiling)" if spec.relation == "at-most" else " (the claimed number must be possible)"))
    if r.needs:
        t.notes.append("Needs: the claimed number split over the scenarios in proportion to their modelled packages, "
                       "each run backwards (`chipcalc supply ... --target N`).")
    if spec.attribution:
        t.notes.append(f"Attribution: {spec.attribution}")
    o = r.comparison
    if o is not None and o.holds is not None:
        lit = not expr.refs(o.node.right)  # a number on the right: show the left side, else left / right
        shown = o.lhs if lit else o.measured
        ratio = ""
        if shown is not None and shown.q.dimensionless:
            ratio = f" (left side {fmt_count(float(shown.q.m_as('')))})" if lit else f" (left / right {float(shown.q.m_as('')):.3g}x)"
        t.notes.append(f"Compared with each other: {expr.show(o.node)}: {'holds' if o.holds else 'does not hold'}{ratio}"
                       + ("" if o.robust else "; flips inside the ranges"))
