"""Volume claims: a reported number of chips made (or that can be made) against the supply model.

A claim file with ``kind = "volume"`` states the number (``claimed = "200000"``: packages), how to read
it (``relation``: ``at-most`` for a ceiling such as "capacity at or below 200,000"; ``at-least`` or
``about`` for an output or an estimate), and the supply scenarios whose packages it counts
(``supply = ["ascend-910b-2025", "ascend-910c-2025"]``, summed). An optional ``assert`` compares the
reported numbers with each other (the expression language), judged as a comparison claim.

The verdict says whether the number is possible within the sourced ranges, needs more than the sourced
wafers or HBM (from the inverse mode), or depends on an assumption (each uncertain input varied alone
over its range: which ones flip it). ``attribution`` says where a claim's attribution rests on a
secondary source only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.core.errors import ChipcalcError, UnitError
from chipcalc.core.figure import Figure, Provenance

RELATIONS = ("at-most", "at-least", "about")
KEYS = {"claimed", "relation", "tolerance", "supply", "attribution", "assert"}
_SYMBOL = {"at-most": "≤", "at-least": "≥", "about": "≈"}


@dataclass(frozen=True)
class VolumeSpec:
    claimed: Figure  # packages, with the claim's source
    relation: str
    scenarios: tuple[str, ...]
    tolerance: float = 0.0
    attribution: str = ""
    targets: tuple[str, ...] = ()  # the chips the scenarios make (what the claim is about)


@dataclass(frozen=True)
class VolumeResult:
    spec: VolumeSpec
    funnels: tuple[Any, ...]  # calc.supply.Funnel per scenario
    model: Figure  # the packages of every scenario, summed
    flips: tuple[tuple[str, Figure], ...]  # inputs whose range alone flips the verdict
    needs: tuple[tuple[str, Figure, list], ...]  # scenario id, its part of the target, calc.supply_inverse.Need list
    comparison: Any = None  # judge.Outcome of the claim's own `assert`, when it has one


def parse_spec(cat: Any, d: dict[str, Any], problem: Any, literal: Provenance, tolerance: float = 0.0) -> VolumeSpec | None:
    """The volume part of a claim file; problems go to ``problem(field, message)``."""
    from chipcalc.catalog.supply import Spec, quantity
    from chipcalc.catalog.supply_whatif import supply_of
    from chipcalc.core.units import parse

    ok = True
    raw = d.get("claimed")
    fig = None
    if raw is None:
        problem("claimed", "missing; add claimed = \"200000\" (packages)")
        ok = False
    else:
        text = f"{raw} package" if isinstance(raw, (int, float)) and not isinstance(raw, bool) else raw
        try:
            if isinstance(text, str) and parse(text).dimensionless:
                text = f"{text} package"
            q = quantity(text, Spec("[package]", "package", "a number of packages", "200000"), "claimed")
            fig = Figure(q, literal, label="claim.claimed")
        except UnitError as exc:
            problem("claimed", str(exc).partition(": ")[2] or str(exc))
            ok = False
    rel = d.get("relation", "")
    if rel not in RELATIONS:
        problem("relation", f"'{rel}' is not one of {', '.join(RELATIONS)}" if rel else f"missing; add relation = one of {', '.join(RELATIONS)}")
        ok = False
    scen = d.get("supply")
    if isinstance(scen, str):
        scen = [scen]
    known = supply_of(cat).scenarios
    if not isinstance(scen, list) or not scen or not all(isinstance(s, str) for s in scen):
        problem("supply", "missing; add supply = [\"<scenario id>\", ...] (specs/supply/)")
        ok = False
    else:
        for s in scen:
            if s not in known:
                problem("supply", f"'{s}' is not a supply scenario (specs/supply/); known: {', '.join(sorted(known))}")
                ok = False
    tol = tolerance  # parsed (and any problem reported) by the common claim parser
    if rel == "about" and "tolerance" not in d:
        problem("tolerance", "relation = \"about\" needs a tolerance, e.g. tolerance = \"20 %\"")
        ok = False
    if not ok or fig is None:
        return None
    supply = supply_of(cat)
    chips = tuple(dict.fromkeys(supply.products[known[s].product].chip for s in scen if known[s].product in supply.products))
    return VolumeSpec(fig, rel, tuple(scen), tol, " ".join(str(d.get("attribution", "")).split()), chips)


def holds(spec: VolumeSpec, packages: float) -> bool:
    """Does a model count of ``packages`` bear the claim out?"""
    n = float(spec.claimed.q.m_as("package"))
    if spec.relation == "at-most":
        return packages <= n
    if spec.relation == "about":
        return packages >= n * (1 - spec.tolerance)
    return packages >= n


#: (id of the catalog, scenario ids) -> (the catalog, funnels, swings): several claims judge the same
#: scenarios (four of the 2025 claims sum the 910B and 910C), and `chipcalc check` judges them all.
_SEEN: dict[tuple[int, tuple[str, ...]], tuple[Any, tuple, list]] = {}


def _model_of(cat: Any, ids: tuple[str, ...]) -> tuple[tuple, list]:
    """The funnels of the scenarios and the swings of their summed packages, once per catalog."""
    from chipcalc.calc import supply as S
    from chipcalc.calc.supply_ranges import sensitivity
    from chipcalc.catalog.supply_whatif import supply_of

    key = (id(cat), ids)
    hit = _SEEN.get(key)
    if hit is not None and hit[0] is cat:  # the same object, not a new one at a reused id
        return hit[1], hit[2]
    scenarios = [supply_of(cat).scenarios[s] for s in ids]
    funnels = tuple(S.funnel(cat, s) for s in scenarios)
    swings = sensitivity(cat, scenarios) if all(f.packages is not None for f in funnels) else []
    if len(_SEEN) >= 16:
        _SEEN.pop(next(iter(_SEEN)))
    _SEEN[key] = (cat, funnels, swings)
    return funnels, swings


def evaluate(cat: Any, claim: Any, comparison: Any = None) -> VolumeResult:
    """The supply model's packages for the claim's scenarios, what flips the verdict, what the claim needs."""
    from chipcalc.calc import supply_inverse as inv

    spec: VolumeSpec = claim.bound
    funnels, swings = _model_of(cat, tuple(spec.scenarios))
    missing = [f.scenario.id for f in funnels if f.packages is None]
    if missing:
        raise ChipcalcError(f"supply scenario {', '.join(missing)} gives no package count (no limit is sourced)")
    model = funnels[0].packages
    for f in funnels[1:]:
        model = model + f.packages
    model = model.relabel("supply model", " + ".join(f.scenario.id for f in funnels))
    base = holds(spec, float(model.q.m_as("package")))
    flips = tuple((sw.name, sw.input) for sw in swings
                  if holds(spec, float(sw.at_low.q.m_as("package"))) != base
                  or holds(spec, float(sw.at_high.q.m_as("package"))) != base)
    needs = []
    if spec.relation != "at-most" and not base:
        total = float(model.q.m_as("package"))
        for f in funnels:
            part = spec.claimed * (float(f.packages.q.m_as("package")) / total) if len(funnels) > 1 else spec.claimed
            needs.append((f.scenario.id, part, inv.needs(f, part)))
    return VolumeResult(spec, funnels, model, flips, tuple(needs), comparison)


def _label(r: VolumeResult) -> str:
    spec, m = r.spec, r.model
    at = {k: holds(spec, float(getattr(m, k).m_as("package"))) for k in ("q", "lo", "hi")}
    if spec.relation == "at-most":
        if at["hi"]:
            return "consistent"
        if at["q"]:
            return "consistent at nominal"
        if at["lo"]:
            return "contradicted at nominal"
        return "contradicted by the supply model"
    if at["lo"]:
        return "possible"
    if at["q"]:
        return "possible within the sourced ranges"
    if at["hi"]:
        return "possible only at the high ends of the ranges"
    short = sorted({n.label for _, _, items in r.needs for n in _short(items)})
    return "needs more than the sourced " + (" and ".join(_what(s) for s in short) if short else "inputs")


def _short(items: list) -> list:
    return [n for n in items if n.ratio is not None and float(n.ratio.q) > 1 and n.key in ("wafers_per_month", "hbm", "packaging_capacity")]


def _what(label: str) -> str:
    return "HBM" if "HBM" in label else "packaging capacity" if "packaging" in label else "wafers (at the stated yield)"


def _range_text(f: Figure) -> str:
    from chipcalc.core.format import fmt_count, fmt_number

    unit = f"{f.q.units:~P}"
    scale = 100.0 if f.q.dimensionless else 1.0
    lo, hi = float(f.lo.magnitude) * scale, float(f.hi.magnitude) * scale
    show = fmt_number if f.q.dimensionless else fmt_count
    return f"{show(lo)}–{show(hi)} {'%' if f.q.dimensionless else unit}"


def robustness(r: VolumeResult) -> tuple[str, str]:
    """(long, short): robust, or which inputs' ranges flip the verdict."""
    if not r.flips:
        assumed = sorted({a.name for a in r.model.prov.assumptions})
        spans = r.model.has_range
        text = "robust: the same at both ends of every range" if spans else "robust: no input has a range"
        if _label(r).startswith(("contradicted at nominal", "consistent at nominal", "possible within", "possible only")):
            text = "flips only when the ranges combine (no input alone flips it)"
        names = ", ".join(assumed[:4]) + (f" and {len(assumed) - 4} more" if len(assumed) > 4 else "")
        short = ("robust" if "robust" in text else "ranges combine") + ("; rests on assumptions" if assumed else "")
        return text + (f"; rests on assumptions {names}" if assumed else ""), short
    longs, shorts = [], []
    for name, f in r.flips:
        if f.assumed:
            longs.append(f"depends on assumption {name} ({_range_text(f)})")
            shorts.append(f"depends on {name}")
        else:
            srcs = sorted({s.id for s in f.prov.sources} | {s.id for a in f.alternatives for s in a.prov.sources})
            longs.append(f"flips inside the range of {name} ({_range_text(f)}; sources: {', '.join(srcs)})")
            shorts.append(f"flips in range of {name}")
    return "; ".join(longs), "; ".join(shorts[:3]) + (f"; +{len(shorts) - 3} more" if len(shorts) > 3 else "")


def judgement(cat: Any, claim: Any, comparison: Any = None) -> dict[str, Any]:
    """The fields of a :class:`chipcalc.claims.verdicts.Verdict` for a volume claim (``comparison``: the
    claim's own ``assert``, judged by the caller). Raises ChipcalcError on a data problem (unresolved)."""
    from chipcalc.core.format import fmt_count

    r = evaluate(cat, claim, comparison)
    spec = r.spec
    n = float(spec.claimed.q.m_as("package"))
    m = float(r.model.q.m_as("package"))
    lo, hi = float(r.model.lo.m_as("package")), float(r.model.hi.m_as("package"))
    margin = (f"supply model {fmt_count(m)} [{fmt_count(lo)}–{fmt_count(hi)}] packages vs {fmt_count(n)} claimed "
              f"({m / n:.3g}x)")
    long, short = robustness(r)
    tol = f" (±{spec.tolerance:.0%})" if spec.relation == "about" else ""
    return {"label": _label(r), "margin": margin, "robustness": long, "robust_short": short, "measured": r.model,
            "claimed": f"{_SYMBOL[spec.relation]} {fmt_count(n)}{tol}", "bound": r}
