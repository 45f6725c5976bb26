"""Claims: reported statements, in the calculator's terms, and their verdicts.

A claim file (``specs/claims/<id>.toml``) holds the words as reported, the source id where they were
reported, and what they assert:

* ``kind = "comparison"``: ``assert = "h20.hbm_bandwidth < h100-sxm.hbm_bandwidth"`` (an expression of
  :mod:`chipcalc.expr`; ``==`` needs a ``tolerance``);
* ``kind = "ratio"``: ``numerator``, ``denominator``, ``factor`` ("2x", "1/3"), ``relation``
  (about | at-least | at-most) and, for "about", a ``tolerance``;
* ``kind = "bound"``: a decode throughput (and TPOT) on a system or chip serving a model, judged
  against peak compute, HBM bandwidth and capacity (:mod:`chipcalc.bound`).

A verdict is consistent, contradicted (by the figures), implausible (a bound broken, by how much) or
unresolved (the catalog cannot decide it), with the margin, whether it is robust across the ranges of
the figures used or flips inside one (naming the figure or assumption), and the working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc import expr, figref, judge
from chipcalc.errors import ChipcalcError, Problem, UnitError
from chipcalc.figure import Figure, Provenance

KINDS = ("comparison", "ratio", "bound")
RELATIONS = {"about": "==", "at-least": ">=", "at-most": "<=", "more-than": ">", "less-than": "<"}
COMMON_KEYS = {"id", "title", "words", "source", "detail", "seen_in", "kind", "note"}
KIND_KEYS = {
    "comparison": {"assert", "tolerance"},
    "ratio": {"numerator", "denominator", "factor", "relation", "tolerance"},
    "bound": {"system", "model", "throughput", "tpot", "batch", "context", "precision", "kv_precision",
              "device", "chips", "tp", "mtp"},
}


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    words: str  # as reported
    source: str  # bibliography id of where it was reported
    kind: str
    node: Any = None  # comparison / ratio: the parsed comparison
    tolerance: float = 0.0
    bound: Any = None  # bound.BoundSpec
    detail: str = ""  # page, table or quote in the source
    seen_in: str = ""  # where the words were read, when that is not a citable source
    note: str = ""
    file: str = ""

    @property
    def literal(self) -> Provenance:
        """Provenance of the numbers the claim itself states: the source that reported them."""
        return Provenance.source(self.source, self.detail or _short(self.words))


def _short(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    label: str  # consistent | consistent (near the limit) | contradicted | implausible | unresolved | evaluated
    margin: str
    robustness: str  # long form
    robust_short: str  # for the summary table
    measured: Figure | None = None
    claimed: str = ""
    outcome: judge.Outcome | None = None
    bound: Any = None  # bound.BoundResult
    reason: str = ""  # why unresolved


# -- reading claim files -----------------------------------------------------------------------

def tolerance_of(value: Any) -> float:
    """A relative tolerance: 0.1, "10 %" or "10%"."""
    from chipcalc.units import parse

    if isinstance(value, bool):
        raise UnitError(f"tolerance must be a number like 0.1 or '10 %', got {value!r}")
    q = parse(value)
    if not q.dimensionless:
        raise UnitError(f"tolerance must be a plain fraction like 0.1 or '10 %', got {value!r}")
    t = float(q.m_as(""))
    if not 0 <= t < 1:
        raise UnitError(f"tolerance must be between 0 and 1 (0 % to 100 %), got {value!r}")
    return t


def compile_ratio(numerator: str, denominator: str, factor: str, relation: str) -> Any:
    """The comparison ``ratio(numerator, denominator) OP factor`` for a ratio claim."""
    if relation not in RELATIONS:
        raise expr.ExprError(f"relation '{relation}' is not one of {', '.join(RELATIONS)}")
    num, den, fac = expr.parse(numerator), expr.parse(denominator), expr.parse(factor)
    for what, n in (("numerator", num), ("denominator", den), ("factor", fac)):
        if isinstance(n, expr.Compare):
            raise expr.ExprError(f"{what} must be an expression, not a comparison")
    return expr.Compare(RELATIONS[relation], expr.Call("ratio", (num, den), 1), fac, 1)


def figures_for(cat: Any, node: Any) -> dict[str, Figure]:
    """The figure behind every reference of a tree (raises ExprError for an unknown one)."""
    return {r.name: _resolve(cat, r) for r in expr.refs(node)}


def _resolve(cat: Any, ref: expr.Ref) -> Figure:
    return figref.resolve(cat, ref.name, ref.col)


def check_units(cat: Any, node: Any) -> None:
    """Evaluate once at nominal values: unknown figures and unit mismatches raise ExprError."""
    figs = figures_for(cat, node)
    env = lambda r: figs[r.name].q  # noqa: E731
    if isinstance(node, expr.Compare):
        expr.check_compare(node, env)
    else:
        expr.value(node, env)


def parse_claim(cat: Any, rf: Any, problems: list[Problem]) -> Claim | None:
    """One claim file into a :class:`Claim`; every problem is reported with file and field."""
    from chipcalc.loader import _closest

    d, file = rf.data, rf.path
    n0 = len(problems)

    def problem(fieldname: str, message: str) -> None:
        problems.append(Problem(file, fieldname, message))

    kind = d.get("kind")
    if kind not in KINDS:
        problem("kind", f"'{kind}' is not one of {', '.join(KINDS)}" if kind else f"missing; add kind = one of {', '.join(KINDS)}")
        return None
    extra = set(d) - COMMON_KEYS - KIND_KEYS[kind]
    if extra:
        problem(", ".join(sorted(extra)), f"unknown key(s) for a {kind} claim; allowed: {', '.join(sorted(COMMON_KEYS | KIND_KEYS[kind]))}")
    for key in ("title", "words", "source"):
        if not isinstance(d.get(key), str) or not d[key].strip():
            problem(key, f"missing; add {key} = \"...\"")
    src = d.get("source")
    if isinstance(src, str) and src and src not in cat.sources:
        problem("source", f"'{src}' is not in the bibliography (sources*.toml){_closest(src, cat.sources)}")
    tol = 0.0
    if "tolerance" in d:
        try:
            tol = tolerance_of(d["tolerance"])
        except UnitError as exc:
            problem("tolerance", str(exc))
    node = spec = None
    try:
        if kind == "comparison":
            field_ = "assert"
            if not isinstance(d.get("assert"), str):
                problem("assert", "missing; add assert = \"<expression> <op> <expression>\", e.g. \"h20.hbm_bandwidth < h100-sxm.hbm_bandwidth\"")
            else:
                node = expr.parse(d["assert"])
                if not isinstance(node, expr.Compare):
                    problem("assert", "must compare two sides (<, <=, >, >=, ==)")
                    node = None
        elif kind == "ratio":
            field_ = "numerator"
            missing = [k for k in ("numerator", "denominator", "factor") if not isinstance(d.get(k), str)]
            if missing:
                problem(", ".join(missing), "missing; a ratio claim needs numerator, denominator and factor (strings)")
            else:
                node = compile_ratio(d["numerator"], d["denominator"], d["factor"], d.get("relation", "about"))
        else:
            field_ = "throughput"
            spec = _bound_spec(cat, d, problem)
        if node is not None and node.op == "==" and "tolerance" not in d:
            problem("tolerance", "'==' and relation = \"about\" need a tolerance, e.g. tolerance = \"10 %\"")
    except expr.ExprError as exc:
        problem(field_, str(exc))
    except ChipcalcError as exc:
        problem(field_, str(exc))
    if len(problems) > n0:
        return None
    return Claim(id=d["id"], title=d["title"].strip(), words=" ".join(d["words"].split()), source=src, kind=kind,
                 node=node, tolerance=tol, bound=spec, detail=str(d.get("detail", "")), seen_in=str(d.get("seen_in", "")),
                 note=" ".join(str(d.get("note", "")).split()), file=file)


def _bound_spec(cat: Any, d: dict[str, Any], problem: Any) -> Any:
    from chipcalc import bound, schema
    from chipcalc.units import check_dimension, parse

    lit = Provenance.source(d.get("source") or "?", str(d.get("detail") or _short(str(d.get("words", "")))))
    ok = True
    target = d.get("system")
    if not isinstance(target, str):
        problem("system", "missing; add system = \"<system or chip id>\"")
        ok = False
    elif target not in cat.systems and target not in cat.chips:
        problem("system", f"'{target}' is not a system or chip in the catalog")
        ok = False
    model = d.get("model")
    if not isinstance(model, str) or model not in cat.models:
        problem("model", f"'{model}' is not a model in the catalog" if model else "missing; add model = \"<model id>\"")
        ok = False
    figs = {}
    for key, dim, example in (("throughput", "throughput", "1943 token/s"), ("tpot", "time", "50 ms")):
        if key not in d:
            if key == "throughput":
                problem(key, f"missing; add {key} = \"{example}\" (decode tokens/s per chip)")
                ok = False
            continue
        try:
            q = parse(d[key])
        except UnitError as exc:
            problem(key, str(exc))
            ok = False
            continue
        if not check_dimension(q, dim) or not 0 < float(q.magnitude) < float("inf"):
            problem(key, f"expected a positive value like '{example}', got {d[key]!r}")
            ok = False
            continue
        figs[key] = Figure(q, lit, label=f"claim.{key}")
    ints = {}
    for key in ("batch", "context", "chips", "tp", "mtp"):
        v = d.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int) or v < (0 if key == "mtp" else 1):
            problem(key, f"must be a whole number{' >= 0' if key == 'mtp' else ' >= 1'}, got {v!r}")
            ok = False
        ints[key] = v
    for key in ("precision", "kv_precision"):
        if key in d and d[key] not in schema.PRECISIONS:
            problem(key, f"'{d[key]}' is not one of {', '.join(schema.PRECISIONS)}")
            ok = False
    if d.get("device", "package") not in ("package", "die"):
        problem("device", f"'{d['device']}' is not 'package' or 'die'")
        ok = False
    if "tpot" not in figs and "batch" not in ints and ok:
        problem("tpot", "a bound claim needs tpot (or batch) to imply the batch per chip")
        ok = False
    if not ok:
        return None
    return bound.BoundSpec(target, model, figs["throughput"], figs.get("tpot"), ints.get("batch"), ints.get("context"),
                           d.get("precision", "bf16"), d.get("kv_precision", "bf16"), d.get("device", "package"),
                           ints.get("chips"), ints.get("mtp", 0), ints.get("tp"))


def reference_problems(cat: Any) -> list[Problem]:
    """Claims whose figures are unknown or whose units disagree (run by ``chipcalc validate``).

    Not checked at load: a user folder that replaces a chip must not stop every command because a
    built-in claim can no longer be evaluated; ``chipcalc check`` reports such a claim as unresolved.
    """
    out = []
    for c in cat.claims.values():
        if c.node is None:
            continue
        try:
            check_units(cat, c.node)
        except ChipcalcError as exc:
            out.append(Problem(c.file, "assert" if c.kind == "comparison" else "numerator", str(exc)))
    return out


def parse_claims(cat: Any, problems: list[Problem]) -> dict[str, Claim]:
    out = {}
    for cid, rf in sorted(cat.raw_claims.items()):
        c = parse_claim(cat, rf, problems)
        if c is not None:
            out[cid] = c
    return out


def attach(cat: Any, fp: Any) -> None:
    """Parse fleet volumes and claims into the catalog (called by :func:`chipcalc.catalog.load`)."""
    from chipcalc.fleet import parse_volumes

    cat.volumes = parse_volumes(cat.folders, fp, cat.chips)
    cat.claims = parse_claims(cat, fp.problems)


# -- verdicts ----------------------------------------------------------------------------------

def _range_text(f: Figure) -> str:
    from chipcalc.claims_report import unit_for
    from chipcalc.table import fmt_number

    u = unit_for([f]) if not f.q.dimensionless else ""
    lo, hi = float(f.lo.m_as(u)), float(f.hi.m_as(u))
    return f"{fmt_number(lo)}–{fmt_number(hi)}{' ' + u if u else ''}"


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
        figs = figures_for(cat, claim.node)
        o = judge.judge(claim.node, figs, claim.literal, claim.tolerance)
    except ChipcalcError as exc:
        return Verdict(claim, "unresolved", "", "", "", reason=str(exc))
    label = "consistent" if o.holds else "contradicted"
    if not o.holds:
        assumed = sorted({a.name for _, f in o.inputs for a in f.prov.assumptions})
        label += f" (rests on assumption {', '.join(assumed)})" if assumed else " by sourced figures"
    long, short = robustness(o)
    return Verdict(claim, label, _margin(o), long, short, _measured(o), _claimed_text(o), o)


def _bound_verdict(cat: Any, claim: Claim, literal: Provenance | None = None) -> Verdict:
    from chipcalc import bound

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


def adhoc(cat: Any, text: str, tolerance: float | None = None) -> Verdict:
    """An expression typed on the command line, judged like a comparison claim."""
    node = expr.parse(text)
    if isinstance(node, expr.Compare) and node.op == "==" and tolerance is None:
        raise expr.ExprError("'==' needs a tolerance: add --tolerance, e.g. --tolerance 5%")
    figs = figures_for(cat, node)
    claim = Claim(id="ad-hoc", title=text, words="", source="", kind="comparison", node=node,
                  tolerance=tolerance or 0.0)
    literal = Provenance.assume("ad-hoc claim", f"the numbers written in '{text}', given on the command line")
    o = judge.judge(node, figs, literal, claim.tolerance)
    if o.holds is None:
        return Verdict(claim, "evaluated", "", "", "", o.lhs, "", o)
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
