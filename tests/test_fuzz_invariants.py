"""Issue 8: invariants as properties (hypothesis, derandomized)."""

from __future__ import annotations

import math
import operator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipcalc.calc import cluster
from chipcalc.catalog.overrides import put
from chipcalc.core.figure import Figure, Provenance
from chipcalc.core.units import Q

PROPS = settings(max_examples=100, derandomize=True, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))

POSITIVE = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)
UNITS = ["W", "kW", "TFLOPS", "PFLOPS", "GB", "TiB", "TB/s", "GiB/s", "Gbit/s", "ms", "us", "h", "token/s", ""]


@st.composite
def figures(draw, unit=None):
    u = unit or draw(st.sampled_from(UNITS))
    v = draw(POSITIVE)
    if draw(st.booleans()):
        prov = Provenance.source(draw(st.sampled_from(["s1", "s2", "s3"])))
    else:
        prov = Provenance.assume(draw(st.sampled_from(["a1", "a2"])), "an assumption made for the property test")
    if draw(st.booleans()):
        lo, hi = sorted([v * draw(st.floats(0.5, 1.0)), v * draw(st.floats(1.0, 2.0))])
        return Figure(Q(v, u), prov, low=Q(lo, u), high=Q(hi, u))
    return Figure(Q(v, u), prov)


@PROPS
@given(figures(), figures())
def test_ratio_times_inverse_is_one(a, b):
    if a.q.dimensionality != b.q.dimensionality:
        b = Figure(Q(b.q.m, str(a.q.units)), b.prov)
    r = (a / b).q * (b / a).q
    assert float(r.m_as("")) == pytest.approx(1.0, rel=1e-9)


@PROPS
@given(st.lists(figures(), min_size=1, max_size=5), st.lists(st.sampled_from(["*", "/"]), min_size=4, max_size=4))
def test_assumed_input_never_yields_sourced_result(figs, ops):
    acc = figs[0]
    for f, op in zip(figs[1:], ops):
        acc = {"*": operator.mul, "/": operator.truediv}[op](acc, f)
    any_assumed = any(f.assumed for f in figs)
    assert acc.assumed == any_assumed
    assert {a.name for f in figs for a in f.prov.assumptions} == {a.name for a in acc.prov.assumptions}
    assert {s.id for f in figs for s in f.prov.sources} == {s.id for s in acc.prov.sources}


@PROPS
@given(st.lists(figures(), min_size=1, max_size=5), st.lists(st.sampled_from(["*", "/"]), min_size=4, max_size=4))
def test_interval_contains_nominal(figs, ops):
    acc = figs[0]
    for f, op in zip(figs[1:], ops):
        acc = {"*": operator.mul, "/": operator.truediv}[op](acc, f)
    u = acc.q.units
    n, lo, hi = acc.q.m_as(u), acc.lo.m_as(u), acc.hi.m_as(u)
    assert lo <= n * (1 + 1e-12) and n <= hi * (1 + 1e-12)


@PROPS
@given(POSITIVE, st.sampled_from(UNITS), st.sampled_from(UNITS))
def test_conversion_never_changes_si_magnitude(v, u1, u2):
    q = Q(v, u1)
    base = q.to_base_units().m
    if q.dimensionality == Q(1, u2).dimensionality:
        again = q.to(u2).to_base_units().m
        assert again == pytest.approx(base, rel=1e-12)
        assert q.to(u2).to(u1).m == pytest.approx(v, rel=1e-12)


@PROPS
@given(st.integers(1, 100_000), st.sampled_from(["cloudmatrix384", "gb200-nvl72", "hgx-h20", "dgx-h100", "h800-node"]))
def test_cluster_totals_are_n_times_per_chip(catalog, n, sid):
    cat = put(catalog, f"{sid}.chips", Figure(Q(n, ""), Provenance.assume(f"{sid}.chips", "property test count")))
    s2 = cat.system(sid)
    for k in ("bf16_dense", "hbm_capacity", "hbm_bandwidth", "tdp", "scaleup_bandwidth"):
        per = cluster.per_chip(s2, k)
        if per is None:
            continue
        tot = cluster.system_total(s2, k)
        assert tot.m(str(per.q.units)) == pytest.approx(n * per.q.m, rel=1e-12)
        assert tot.assumed  # the count is an assumption here, so every total is marked


LAT = settings(max_examples=40, derandomize=True, deadline=None, database=None,
               suppress_health_check=list(HealthCheck))


@LAT
@given(st.floats(0.05, 1.0), st.sampled_from([("h20", "llama-3.1-70b", "fp8", 8, 8), ("h100-sxm", "llama-3.1-70b", "bf16", 8, 8),
                                               ("cloudmatrix384", "deepseek-r1", "int8", None, None)]),
       st.integers(1, 64), st.sampled_from([1024, 4096, 32768]), st.sampled_from(["hbm_bandwidth", "scaleup_bandwidth"]))
def test_tpot_never_falls_when_bandwidth_falls(catalog, factor, case, batch, context, which):
    import numpy as np

    from chipcalc.calc import serving as L

    tid, mid, prec, chips, tp = case
    kn = L.knobs(catalog)
    rec = catalog.target(tid)
    chip = rec.chip if hasattr(rec, "chip") else rec
    model = catalog.model(mid)
    hw = L.hardware(rec, prec, "package", kn)
    lay = L.auto_layout(model, hw, kn, batch, context, "bf16", chips, tp, None, 0)
    base = float(np.asarray(L.decode(model, hw, lay, kn, batch, context).tpot.q.m_as("ms")).ravel()[0])
    slower = put(catalog, f"{chip.id}.{which}", chip.get(which) * factor)
    if which == "scaleup_bandwidth" and hasattr(rec, "tier") and rec.tier("scale-up") is not None:
        slower = put(slower, f"{rec.id}.scale-up.bandwidth", rec.tier("scale-up").bandwidth * factor)
    rec2 = slower.target(tid)
    hw2 = L.hardware(rec2, prec, "package", kn)
    t2 = float(np.asarray(L.decode(model, hw2, lay, kn, batch, context).tpot.q.m_as("ms")).ravel()[0])
    assert t2 >= base * (1 - 1e-12)


@pytest.mark.parametrize("tid, mid, prec, chips, tp", [
    ("cloudmatrix384", "deepseek-r1", "int8", None, None), ("gb200-nvl72", "deepseek-r1", "fp4", None, None),
    ("gb200-nvl72", "deepseek-r1", "int8", 32, None), ("hgx-h20", "deepseek-r1", "fp8", 16, None),
    ("dgx-b200", "deepseek-r1", "fp4", 8, None), ("h800-node", "deepseek-v3", "fp8", 32, None),
    ("dgx-b200", "qwen3-235b-a22b", "fp4", 8, None), ("hgx-h20", "llama-3.1-70b", "fp8", 8, 8),
    ("cloudmatrix384", "llama-3.1-405b", "int8", 16, 16),
])
@pytest.mark.parametrize("context", [1024, 4096, 32768])
def test_tpot_never_falls_when_the_batch_grows(catalog, tid, mid, prec, chips, tp, context):
    """A step of more sequences is never faster than one of fewer on the same layout (an engine could pad the
    smaller batch): TPOT is non-decreasing in the batch, over every batch that fits (MoE and dense)."""
    import numpy as np

    from chipcalc.calc import serving as L

    kn = L.knobs(catalog)
    model = catalog.model(mid)
    hw = L.hardware(catalog.target(tid), prec, "package", kn)
    lay = L.auto_layout(model, hw, kn, 1, context, "bf16", chips, tp, None, 0)
    batches = np.unique(np.round(np.geomspace(1, 2048, 60)).astype(np.int64))
    d = L.decode(model, hw, lay, kn, batches, np.full(batches.shape, context))
    fits = np.broadcast_to(np.asarray(d.memory.fits), batches.shape)
    tpot = np.broadcast_to(np.asarray(d.tpot.q.m_as("ms"), dtype=float), batches.shape)[fits]
    assert len(tpot) >= 2
    assert np.all(np.diff(tpot) >= -1e-9 * tpot[:-1]), (batches[fits][:8], tpot[:8])


# -- issue 16: claim expressions of any size and depth end in a verdict or a one-line error -----------

LEAVES = st.sampled_from(["h20.tdp", "h20.hbm_bandwidth", "h100-sxm.hbm_bandwidth", "cloudmatrix384.power",
                          "assumption.mfu", "1 W", "2x", "0", "1e308", "1e-308 W", "4 TB/s", "50 ms", "nan", "1e400"])


def _grow(children):
    return st.one_of(
        st.tuples(children, st.sampled_from([" + ", " - ", " * ", " / "]), children).map("".join),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"-{c}"),
        st.tuples(st.sampled_from(["max", "min", "ratio"]), children, children).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
    )


POWERS = st.sampled_from(["h20.tdp", "cloudmatrix384.power", "h100-sxm.tdp", "1 W", "700 W", "1e308 W", "0 W"])


def _grow_power(children):  # stays a power, so most of these reach a verdict
    return st.one_of(
        st.tuples(children, st.sampled_from([" + ", " - "]), children).map("".join),
        st.tuples(children, st.sampled_from([" * 2x", " / 3", " * 0.5"])).map("".join),
        children.map(lambda c: f"({c})"),
        st.tuples(st.sampled_from(["max", "min"]), children, children).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
    )


EXPRESSIONS = st.one_of(
    st.recursive(POWERS, _grow_power, max_leaves=40),
    st.recursive(POWERS, _grow_power, max_leaves=40),
    st.recursive(LEAVES, _grow, max_leaves=40),
    st.builds(lambda n, op: f" {op} ".join(["h20.tdp"] * n), st.integers(1, 300), st.sampled_from(["+", "*", "-"])),
    st.builds(lambda n, inner: "(" * n + inner + ")" * n, st.integers(0, 300), LEAVES),
    st.builds(lambda n, inner: "-" * n + inner, st.integers(0, 300), LEAVES),
)


@settings(max_examples=150, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(EXPRESSIONS, st.sampled_from(["", " > 1 W", " < 1 TB/s", " >= 1", " == 2x", " <= h20.tdp", " > 1 kW", " == 700 W"]))
def test_any_claim_expression_gets_a_verdict_or_one_line_error(catalog, text, cmp):
    from chipcalc.claims import verdicts
    from chipcalc.core.errors import ChipcalcError

    claim = text + cmp
    try:
        v = verdicts.adhoc(catalog, claim, 0.05 if "==" in cmp else None)
    except ChipcalcError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400, str(exc)[:500]
        assert cmp or "no comparison" in str(exc) or len(claim) > 2000 or "at most" in str(exc) or "nested" in str(exc) \
            or exc.__class__.__name__ in ("ExprError", "UsageError", "UnitError")
        return
    assert cmp, claim  # a bare expression is not a claim
    assert v.label in ("consistent", "contradicted")
    assert (v.label == "consistent") == bool(v.outcome.holds)
    for side in (v.outcome.lhs, v.outcome.rhs):  # never 'inf' or 'nan' in a verdict
        assert math.isfinite(float(side.q.magnitude)), claim
