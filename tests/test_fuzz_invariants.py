"""Issue 8: invariants as properties (hypothesis, derandomized)."""

from __future__ import annotations

import math
import operator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipcalc import cluster
from chipcalc.figure import Figure, Provenance
from chipcalc.units import Q
from chipcalc.whatif import put

PROPS = settings(max_examples=800, derandomize=True, deadline=None, database=None,
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
