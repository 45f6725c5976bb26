import pytest

from chipcalc.core.figure import Figure, Provenance, ProvenanceError, total
from chipcalc.core.units import Q

S1 = Provenance.source("s1", "table 1")
S2 = Provenance.source("s2")
A1 = Provenance.assume("x.tdp", "no official figure")


def fig(text, prov, low=None, high=None):
    return Figure(Q(text), prov, low=Q(low) if low else None, high=Q(high) if high else None)


def test_figure_refuses_to_exist_without_provenance():
    with pytest.raises(ProvenanceError):
        Figure(Q("1 W"), Provenance())


def test_product_carries_union_of_provenance():
    a = fig("752 TFLOPS", S1)
    n = fig("384", S2)
    t = a * n
    assert t.m("PFLOPS") == pytest.approx(288.768)
    assert {s.id for s in t.prov.sources} == {"s1", "s2"}
    assert not t.assumed


def test_one_assumed_input_makes_the_result_assumed():
    peak = fig("752 TFLOPS", S1)
    tdp = fig("700 W", A1)
    eff = peak / tdp
    assert eff.assumed and eff.status == "assumed"
    assert [a.name for a in eff.prov.assumptions] == ["x.tdp"]
    assert eff.m("TFLOPS/W") == pytest.approx(752 / 700)


def test_interval_product_and_ratio_hand_computed():
    # 910C BF16: 752 nominal, 707.8..800 range; 384 chips
    peak = fig("752 TFLOPS", S1, "707.8 TFLOPS", "800 TFLOPS")
    sys_total = peak * 384
    n, lo, hi = sys_total.bounds("PFLOPS")
    assert (n, lo, hi) == pytest.approx((288.768, 271.7952, 307.2))
    # power 559 kW .. 600 kW
    power = fig("559 kW", S2, "559 kW", "600 kW")
    eff = sys_total / power
    n, lo, hi = eff.bounds("PFLOPS/kW")
    assert n == pytest.approx(288.768 / 559)
    assert lo == pytest.approx(271.7952 / 600)
    assert hi == pytest.approx(307.2 / 559)


def test_interval_sum_and_difference():
    a = fig("10 W", S1, "8 W", "12 W")
    b = fig("5 W", S2, "4 W", "6 W")
    assert (a + b).bounds("W") == pytest.approx((15, 12, 18))
    assert (a - b).bounds("W") == pytest.approx((5, 2, 8))


def test_ratio_both_ways_is_one():
    a = fig("4.0 TB/s", S1)
    b = fig("3.35 TB/s", S2)
    assert float((a / b).q * (b / a).q) == pytest.approx(1.0)


def test_total():
    figs = [fig("1 kW", S1), fig("500 W", A1), fig("0.25 kW", S2)]
    t = total(figs)
    assert t.m("kW") == pytest.approx(1.75)
    assert t.assumed


def test_division_by_range_through_zero_is_refused():
    from chipcalc.core.errors import ChipcalcError

    a = fig("1 W", S1)
    b = Figure(Q("1 W"), S2, low=Q("-1 W"), high=Q("2 W"))
    with pytest.raises(ChipcalcError):
        a / b


def test_division_by_an_exact_zero_is_refused_not_infinite():
    """32 sequences fit on one side, none on the other: no 'inf' ratio, and no numpy warning on the way."""
    import warnings

    from chipcalc.core.errors import ChipcalcError

    a = fig("32", S1, low="20", high="40")  # ranged numerator: the nominal is divided before the range
    for b in (fig("0", S2), fig("0 W", S2)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ChipcalcError, match="cannot divide by zero"):
                a / b


def test_division_by_an_array_with_a_zero_is_refused_and_nan_is_not_zero():
    """Monte Carlo divides by sampled arrays: one zero among them is refused; a NaN or -0.0 is judged as before."""
    import numpy as np

    from chipcalc.core.errors import ChipcalcError

    a = Figure(Q(np.ones(4), "W"), S1)
    with pytest.raises(ChipcalcError, match="cannot divide by zero"):
        a / Figure(Q(np.array([1.0, 2.0, 0.0, 3.0]), "W"), S2)
    with pytest.raises(ChipcalcError, match="cannot divide by zero"):
        a / Figure(Q(np.array([1.0, -0.0]), "W"), S2)
    r = a / Figure(Q(np.array([1.0, 2.0, np.nan, 4.0]), "W"), S2)
    assert np.isnan(r.q.m_as("")[2]) and r.q.m_as("")[1] == 0.5
