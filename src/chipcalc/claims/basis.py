"""What each side of a claim compares: precision, dense or sparse, level (die, package, system) and
what a count counts (dies or packages). A ratio is only meaningful like for like; where the two sides
differ, :func:`mismatches` says how, so that a verdict can say "this ratio holds only for FP8" or
"this counts dies against packages" instead of letting the number stand alone.

Pure: reads references (names), the catalog only to tell chips from systems and to size systems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.catalog import schema
from chipcalc.claims import expr


@dataclass(frozen=True)
class Trait:
    ref: str
    level: str  # "die" | "package" | "system" | "" (models, volumes, assumptions)
    precision: str = ""  # fp8, int8, ... for a compute figure
    sparsity: str = ""  # dense | sparse
    counts: str = ""  # "dies" | "packages" for a count of chips
    system: str = ""  # the system id a system-level reference belongs to


def trait(cat: Any, ref: str) -> Trait:
    """Classify one reference (as written, with or without ``@source``)."""
    name = ref.partition("@")[0]
    head, _, rest = name.partition(".")
    head = head.lower()
    if head in cat.systems:
        if rest == "chips":
            return Trait(ref, "system", counts="packages", system=head)
        if rest == "dies_total":
            return Trait(ref, "system", counts="dies", system=head)
        if rest == "marketed_count":  # the vendor's headline count says what it counts
            marketed = getattr(cat.systems[head], "marketed", None)
            return Trait(ref, "system", counts=marketed.counts if marketed else "", system=head)
        key, level = rest, "package"
        if rest.startswith("reported."):
            key, level = rest.split(".", 1)[1], "system"
        elif rest.endswith("_total"):
            key, level = rest[: -len("_total")], "system"
        elif rest in ("power", "power_bottom_up"):
            level = "system"
        pc = schema.parse_compute_name(key)
        return Trait(ref, level, *(pc or ("", "")), system=head if level == "system" else "")
    if head in cat.chips:
        key, _, per = rest.partition(".")
        pc = schema.parse_compute_name(key)
        return Trait(ref, "die" if per == "per_die" else "package", *(pc or ("", "")))
    return Trait(ref, "")


def sides(node: Any) -> tuple[Any, Any] | None:
    """The two things a claim sets against each other: the arguments of ``ratio(a, b)``, the two
    operands of a top-level ``a / b``, else the two sides of the comparison."""
    if not isinstance(node, expr.Compare):
        return None
    left = node.left
    if isinstance(left, expr.Call) and left.fn == "ratio" and len(left.args) == 2:
        return left.args[0], left.args[1]
    if isinstance(left, expr.Bin) and left.op == "/" and not expr.refs(node.right):
        return left.left, left.right
    return node.left, node.right


def _side_traits(cat: Any, node: Any) -> list[Trait]:
    return [trait(cat, r.name) for r in expr.refs(node)]


def _one(values: set[str]) -> str:
    return next(iter(values)) if len(values) == 1 else ""


def mismatches(cat: Any, node: Any) -> list[str]:
    """One sentence per way the two sides of a claim are not like for like (empty if they are)."""
    pair = sides(node)
    if pair is None:
        return []
    a, b = (_side_traits(cat, n) for n in pair)
    if not a or not b:
        return []
    out = []
    for what, get in (("precision", lambda t: t.precision.upper()), ("sparsity", lambda t: t.sparsity)):
        pa = {get(t) for t in a if get(t)}
        pb = {get(t) for t in b if get(t)}
        if pa and pb and pa != pb:
            out.append(f"{what} differs: {'/'.join(sorted(pa))} on one side, {'/'.join(sorted(pb))} on the other; "
                       f"the ratio holds for that pairing only")
    ca = {t.counts for t in a if t.counts}
    cb = {t.counts for t in b if t.counts}
    if ca and cb and ca != cb:
        out.append(f"counts differ: {_one(ca) or '/'.join(sorted(ca))} on one side, "
                   f"{_one(cb) or '/'.join(sorted(cb))} on the other")
    la = {t.level for t in a if t.level}
    lb = {t.level for t in b if t.level}
    bare = all(isinstance(n, expr.Ref) for n in pair)  # "131072 * b200.fp4_dense" is a system on its own
    if bare and la and lb and la != lb:
        out.append(f"levels differ: {'/'.join(sorted(la))} on one side, {'/'.join(sorted(lb))} on the other")
    sa = {t.system for t in a if t.system}
    sb = {t.system for t in b if t.system}
    if len(sa) == 1 and len(sb) == 1 and sa != sb:
        out.append(_sizes(cat, _one(sa), _one(sb)))
    return out


def _sizes(cat: Any, a: str, b: str) -> str:
    """Two systems of different size: how many packages each is (and dies, where known)."""
    from chipcalc.core.format import fmt_number

    def size(sid: str) -> str:
        s = cat.systems[sid]
        n = float(s.chips.q.m_as(""))
        text = f"{sid}: {fmt_number(n)} {s.chip.id} packages"
        dies = s.chip.get("dies")
        if dies is not None and float(dies.q.m_as("")) != 1:
            text += f" ({fmt_number(n * float(dies.q.m_as('')))} dies)"
        cabinets = getattr(s, "layout", {}).get("cabinets")
        if cabinets is not None:
            text += f" in {fmt_number(float(cabinets.q.m_as('')))} cabinets"
        return text

    return f"whole systems of different sizes ({size(a)}; {size(b)}): a ratio of totals, not a per-chip one"
