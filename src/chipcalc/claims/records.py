"""Claims: reported statements, in the calculator's terms, and their verdicts.

A claim file (``specs/claims/<id>.toml``) holds the words as reported, the source id where they were
reported, and what they assert:

* ``kind = "comparison"``: ``assert = "h20.hbm_bandwidth < h100-sxm.hbm_bandwidth"`` (an expression of
  :mod:`chipcalc.claims.expr`; ``==`` needs a ``tolerance``);
* ``kind = "ratio"``: ``numerator``, ``denominator``, ``factor`` ("2x", "1/3"), ``relation``
  (about | at-least | at-most) and, for "about", a ``tolerance``;
* ``kind = "bound"``: a decode throughput (and TPOT) on a system or chip serving a model, judged
  against peak compute, HBM bandwidth and capacity (:mod:`chipcalc.claims.bound`).

A comparison or ratio claim may list ``[[readings]]``: other ways to read the same words (another
precision, per package instead of per die, HBM instead of "fast memory"), each with a ``label`` and
its own ``assert`` (comparison) or ``numerator`` / ``denominator`` / ``factor`` (ratio; what is left
out is the claim's own). Each reading is judged like the claim and shown beside its verdict.

Verdicts are :mod:`chipcalc.claims.verdicts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.claims import evaluate, expr, figref
from chipcalc.core.errors import ChipcalcError, Problem, UnitError
from chipcalc.core.figure import Figure, Provenance

KINDS = ("comparison", "ratio", "bound", "volume")
RELATIONS = {"about": "==", "at-least": ">=", "at-most": "<=", "more-than": ">", "less-than": "<"}
COMMON_KEYS = {"id", "title", "words", "source", "detail", "seen_in", "kind", "note"}
KIND_KEYS = {
    "comparison": {"assert", "tolerance", "readings"},
    "ratio": {"numerator", "denominator", "factor", "relation", "tolerance", "readings"},
    "bound": {"system", "model", "throughput", "tpot", "batch", "context", "precision", "kv_precision",
              "device", "chips", "tp", "mtp"},
    "volume": {"claimed", "relation", "tolerance", "supply", "attribution", "assert"},  # chipcalc.claims.supply
}


@dataclass(frozen=True)
class Reading:
    label: str  # what this reading takes the words to mean
    node: Any  # the parsed comparison


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
    readings: tuple[Reading, ...] = ()

    @property
    def literal(self) -> Provenance:
        """Provenance of the numbers the claim itself states: the source that reported them."""
        return Provenance.source(self.source, self.detail or _short(self.words))


def _short(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# -- reading claim files -----------------------------------------------------------------------

def tolerance_of(value: Any) -> float:
    """A relative tolerance: 0.1, "10 %" or "10%"."""
    from chipcalc.core.units import parse

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
        evaluate.check_compare(node, env)
    else:
        evaluate.value(node, env)


def parse_claim(cat: Any, rf: Any, problems: list[Problem]) -> Claim | None:
    """One claim file into a :class:`Claim`; every problem is reported with file and field."""
    from chipcalc.catalog.figures import _closest

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
        elif kind == "volume":
            from chipcalc.claims import supply as volume

            field_ = "supply"
            lit = Provenance.source(d.get("source") or "?", str(d.get("detail") or _short(str(d.get("words", "")))))
            spec = volume.parse_spec(cat, d, problem, lit, tol)
            node = expr.parse(d["assert"]) if isinstance(d.get("assert"), str) else None
        else:
            field_ = "throughput"
            spec = _bound_spec(cat, d, problem)
        if node is not None and node.op == "==" and "tolerance" not in d:
            problem("tolerance", "'==' and relation = \"about\" need a tolerance, e.g. tolerance = \"10 %\"")
        readings = _readings(cat, d, kind, problem) if node is not None else ()
    except expr.ExprError as exc:
        problem(field_, str(exc))
    except ChipcalcError as exc:
        problem(field_, str(exc))
    if len(problems) > n0:
        return None
    return Claim(id=d["id"], title=d["title"].strip(), words=" ".join(d["words"].split()), source=src, kind=kind,
                 node=node, tolerance=tol, bound=spec, detail=str(d.get("detail", "")), seen_in=str(d.get("seen_in", "")),
                 note=" ".join(str(d.get("note", "")).split()), file=file, readings=readings)


def _readings(cat: Any, d: dict[str, Any], kind: str, problem: Any) -> tuple[Reading, ...]:
    """The ``[[readings]]`` of a comparison or ratio claim, parsed (references and units are checked by
    ``chipcalc validate``, like the claim's own expression, not at load)."""
    raw = d.get("readings", [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        problem("readings", "must be an array of tables: [[readings]] with label and assert (or numerator/denominator)")
        return ()
    allowed = {"label", "assert"} if kind == "comparison" else {"label", "numerator", "denominator", "factor"}
    out = []
    for i, r in enumerate(raw):
        where = f"readings[{i}]"
        extra = set(r) - allowed
        if extra:
            problem(f"{where}.{', '.join(sorted(extra))}", f"unknown key(s) for a reading of a {kind} claim; allowed: {', '.join(sorted(allowed))}")
            continue
        label = r.get("label")
        if not isinstance(label, str) or not label.strip():
            problem(f"{where}.label", "missing; add label = \"what this reading takes the words to mean\"")
            continue
        try:
            if kind == "comparison":
                if not isinstance(r.get("assert"), str):
                    problem(f"{where}.assert", "missing; add assert = \"<expression> <op> <expression>\"")
                    continue
                node = expr.parse(r["assert"])
                if not isinstance(node, expr.Compare):
                    problem(f"{where}.assert", "must compare two sides (<, <=, >, >=, ==)")
                    continue
                if node.op == "==" and "tolerance" not in d:
                    problem(f"{where}.assert", "'==' needs the claim's tolerance, e.g. tolerance = \"10 %\"")
                    continue
            else:
                parts = {k: r.get(k, d.get(k)) for k in ("numerator", "denominator", "factor")}
                if not any(k in r for k in parts):
                    problem(where, "a reading of a ratio claim changes at least one of numerator, denominator, factor")
                    continue
                node = compile_ratio(parts["numerator"], parts["denominator"], parts["factor"], d.get("relation", "about"))
        except (expr.ExprError, ChipcalcError) as exc:
            problem(where, str(exc))
            continue
        out.append(Reading(" ".join(label.split()), node))
    return tuple(out)


def _bound_spec(cat: Any, d: dict[str, Any], problem: Any) -> Any:
    from chipcalc.catalog import schema
    from chipcalc.claims import bound
    from chipcalc.core.units import check_dimension, parse

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


def parse_claims(cat: Any, problems: list[Problem]) -> dict[str, Claim]:
    out = {}
    for cid, rf in sorted(cat.raw_claims.items()):
        c = parse_claim(cat, rf, problems)
        if c is not None:
            out[cid] = c
    return out
