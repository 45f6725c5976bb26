"""Verdicts on claims: consistent, contradicted (by the figures), implausible (a bound broken, by how
much) or unresolved (the catalog cannot decide it), with the margin, whether it is robust across the
ranges of the figures used or flips inside one (naming the figure or assumption), and the working."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.claims import basis, expr, judge
from chipcalc.claims.records import Claim, Reading, figures_for
from chipcalc.core.errors import ChipcalcError
from chipcalc.core.figure import Figure, Provenance


@dataclass(frozen=True)
class ReadingVerdict:
    """One other reading of a claim's words, judged like the claim."""

    label: str
    holds: bool | None  # None: the catalog cannot evaluate it (reason says why)
    margin: str = ""
    robust_short: str = ""
    measured: Figure | None = None
    claimed: str = ""
    basis: tuple[str, ...] = ()
    reason: str = ""
    assumed: tuple[str, ...] = ()  # assumptions the figures of this reading rest on

    @property
    def text(self) -> str:
        if self.holds is None:
            return f"{self.label}: unresolved: {self.reason}"
        text = f"{self.label}: {'holds' if self.holds else 'does not hold'}" + (f": {self.margin}" if self.margin else "")
        if self.robust_short and self.robust_short != "robust":
            text += f"; {self.robust_short}"
        if self.assumed:
            text += f"; rests on assumption {', '.join(self.assumed)}"
        return text


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    label: str  # consistent | consistent (near the limit) | contradicted | implausible | unresolved
    margin: str
    robustness: str  # long form
    robust_short: str  # for the summary table
    measured: Figure | None = None
    claimed: str = ""
    outcome: judge.Outcome | None = None
    bound: Any = None  # bound.BoundResult
    reason: str = ""  # why unresolved
    basis: tuple[str, ...] = ()  # how the two sides are not like for like (precision, level, counts)
    readings: tuple[ReadingVerdict, ...] = ()


def _range_text(f: Figure) -> str:
    from chipcalc.core.format import fmt_count, fmt_number, unit_for

    u = unit_for([f]) if not f.q.dimensionless else ""
    lo, hi = float(f.lo.m_as(u)), float(f.hi.m_as(u))
    fmt = fmt_number if u else fmt_count  # counts: 320,000–1 M
    return f"{fmt(lo)}–{fmt(hi)}{' ' + u if u else ''}"


def robustness(o: judge.Outcome) -> tuple[str, str]:
    """(long, short) robustness of an outcome: robust, or which figure / assumption flips it."""
    if o.holds is None:
        return "", ""
    if o.robust:
        assumed = sorted({a.name for _, f in o.inputs for a in f.prov.assumptions})
        ranged = [r for r, f in o.inputs if f.has_range]
        text = "robust: the same at both ends of every range" if ranged else "robust: no figure used has a range"
        if not o.corners_checked:
            text += " (each range alone; too many ranges to try every combination)"
        if assumed:
            text += f"; rests on assumption {', '.join(assumed)}"
        return text, "robust"
    longs, shorts = [], []
    for ref in o.flips:
        f = o.input(ref)
        if f.assumed:
            names = sorted({a.name for a in f.prov.assumptions})
            longs.append(f"depends on assumption {', '.join(names)} ({ref}: {_range_text(f)})")
            shorts.append(f"depends on {', '.join(names)}")
        else:
            srcs = sorted({s.id for s in f.prov.sources} | {s.id for a in f.alternatives for s in a.prov.sources})
            longs.append(f"flips inside the range of {ref} ({_range_text(f)}; sources: {', '.join(srcs)})")
            shorts.append(f"flips in range of {ref}")
    if o.combined:
        longs.append(f"flips when the ranges of {', '.join(o.combined)} combine")
        shorts.append("flips when ranges combine")
    return "; ".join(longs), "; ".join(shorts)


_SYMBOL = {"==": "≈", ">=": "≥", "<=": "≤", ">": ">", "<": "<"}


def _is_ratio(node: Any) -> bool:
    return isinstance(node, expr.Compare) and isinstance(node.left, expr.Call) and node.left.fn == "ratio"


def _literal_right(node: Any) -> bool:
    return isinstance(node, expr.Compare) and not expr.refs(node.right)


def _claimed_text(o: judge.Outcome) -> str:
    """What the claim asserts, in the units of the 'measured' column."""
    node = o.node
    if not isinstance(node, expr.Compare):
        return ""
    tol = f" (±{o.tolerance:.0%})" if node.op == "==" and o.tolerance else ""
    if _is_ratio(node) or _literal_right(node):
        return f"{_SYMBOL[node.op]} {expr.show(node.right)}{tol}"
    return f"left {_SYMBOL[node.op]} right{tol}"


def _measured(o: judge.Outcome) -> Figure | None:
    """The number to show against the claim: the ratio of a ratio claim, the left side when the right
    is a plain number, else left / right."""
    if _is_ratio(o.node) or _literal_right(o.node):
        return o.lhs
    return o.measured


def _margin(o: judge.Outcome) -> str:
    node = o.node
    if o.measured is None or not isinstance(node, expr.Compare):
        return ""
    r = float(o.measured.q.m_as(""))
    lhs, rhs = expr.show(node.left), expr.show(node.right)
    if _is_ratio(node):
        a, b = (f"({expr.show(x)})" if isinstance(x, expr.Bin) else expr.show(x) for x in node.left.args)
        got = float(o.lhs.q.m_as(""))
        want = float(o.rhs.q.m_as(""))
        return f"{a} / {b} = {got:.4g}x against {want:.4g}x claimed ({(got / want - 1):+.1%})" if want else ""
    return f"{lhs} is {r:.4g}x {rhs} ({(r - 1):+.1%})"


def verdict(cat: Any, claim: Claim) -> Verdict:
    """Judge one claim against the catalog (never raises for a data problem: that is 'unresolved')."""
    try:
        if claim.kind == "bound":
            return _bound_verdict(cat, claim)
        if claim.kind == "volume":  # against the supply model; its `assert` (if any) as a comparison
            from chipcalc.claims import supply as volume

            cmp = judge.judge(claim.node, figures_for(cat, claim.node), claim.literal, claim.tolerance) if claim.node else None
            return Verdict(claim, **volume.judgement(cat, claim, cmp))
        figs = figures_for(cat, claim.node)
        o = judge.judge(claim.node, figs, claim.literal, claim.tolerance)
    except ChipcalcError as exc:
        return Verdict(claim, "unresolved", "", "", "", reason=str(exc))
    label = "consistent" if o.holds else "contradicted"
    if not o.holds:
        assumed = sorted({a.name for _, f in o.inputs for a in f.prov.assumptions})
        label += f" (rests on assumption {', '.join(assumed)})" if assumed else " by sourced figures"
    long, short = robustness(o)
    readings = tuple(_reading(cat, claim, r) for r in claim.readings)
    return Verdict(claim, label, _margin(o), long, short, _measured(o), _claimed_text(o), o,
                   basis=tuple(basis.mismatches(cat, claim.node)), readings=readings)


def _reading(cat: Any, claim: Claim, r: Reading) -> ReadingVerdict:
    """Judge one other reading of the claim's words (never raises: unresolved says why)."""
    try:
        o = judge.judge(r.node, figures_for(cat, r.node), claim.literal, claim.tolerance)
    except ChipcalcError as exc:
        return ReadingVerdict(r.label, None, reason=str(exc))
    _, short = robustness(o)
    assumed = tuple(sorted({a.name for _, f in o.inputs for a in f.prov.assumptions}))
    return ReadingVerdict(r.label, bool(o.holds), _margin(o), short, _measured(o), _claimed_text(o),
                          tuple(basis.mismatches(cat, r.node)), assumed=assumed)


def _bound_verdict(cat: Any, claim: Claim, literal: Provenance | None = None) -> Verdict:
    from chipcalc.claims import bound

    res = bound.evaluate(cat, claim.bound, literal or claim.literal)
    label, _ = bound.label(res)
    margin = "needs " + ", ".join(f"{float(o.lhs.q.m_as('')):.0%} of {what}" for _, what, o in res.checks)
    shaky = [(what, robustness(o)) for _, what, o in res.checks if not o.robust]
    if not shaky:
        long, short = "robust: every fraction stays on the same side of 100 % across every range", "robust"
    else:
        long = "; ".join(f"{what}: {text}" for what, (text, _) in shaky)
        short = "; ".join(dict.fromkeys(sh for _, (_, sh) in shaky))
    worst = res.worst[2]
    return Verdict(claim, label, margin, long, short, worst.lhs, "<= 100 % of peak", worst, res)


def _tolerance(value: Any) -> float:
    """A tolerance of an '==' claim: a share like 0.05 or '5%', finite and in [0, 1) (a negative one gave a
    wrong verdict; NaN one too)."""
    import math

    try:
        t = str(value).strip()
        v = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise expr.ExprError(f"tolerance {value!r} is not a share like 0.05 or 5%") from None
    if not (math.isfinite(v) and 0 <= v < 1):
        raise expr.ExprError(f"tolerance {value!r} must be a share in [0, 1), like 0.05 or 5%")
    return v


def adhoc(cat: Any, text: str, tolerance: float | None = None) -> Verdict:
    """An expression typed on the command line, judged like a comparison claim."""
    node = expr.parse(text)
    if not isinstance(node, expr.Compare):
        shown = expr.show(node) if len(expr.show(node)) <= 100 else expr.show(node)[:90] + " …"
        raise expr.ExprError(f"'{shown}' has no comparison, so it is not a claim: add one, e.g. "
                             f"'{shown} < ...' (<, <=, >, >= or == with --tolerance)")
    if tolerance is not None:
        tolerance = _tolerance(tolerance)
    if node.op == "==" and tolerance is None:
        raise expr.ExprError("'==' needs a tolerance: add --tolerance, e.g. --tolerance 5%")
    figs = figures_for(cat, node)
    claim = Claim(id="ad-hoc", title=text, words="", source="", kind="comparison", node=node,
                  tolerance=tolerance or 0.0)
    literal = Provenance.assume("ad-hoc claim", f"the numbers written in '{text}', given on the command line")
    o = judge.judge(node, figs, literal, claim.tolerance)
    label = "consistent" if o.holds else "contradicted"
    long, short = robustness(o)
    return Verdict(claim, label, _margin(o), long, short, _measured(o), _claimed_text(o), o)


def adhoc_bound(cat: Any, spec: Any) -> Verdict:
    """A throughput claim typed on the command line (``--system --model --decode-tokens-per-chip --tpot``)."""
    claim = Claim(id="ad-hoc", title=f"{spec.throughput.q:~P} per chip of {spec.model} on {spec.target}",
                  words="", source="", kind="bound", bound=spec)
    literal = Provenance.assume("ad-hoc claim", "throughput and TPOT given on the command line")
    return _bound_verdict(cat, claim, literal)


def all_verdicts(cat: Any) -> list[Verdict]:
    return [verdict(cat, c) for c in cat.claims.values()]


def cached_verdicts(cat: Any) -> list[Verdict]:
    """:func:`all_verdicts` of the catalog as its spec folders give it (never a what-if's: no --set or
    --prefer), from the on-disk cache when the spec files and the code are unchanged (the cache of
    :mod:`chipcalc.catalog.cache`, keyed by their content, as the parsed catalog and the model's accuracy
    table are)."""
    from chipcalc.catalog.cache import cached

    return cached("verdicts", list(cat.folders), lambda: all_verdicts(cat))
