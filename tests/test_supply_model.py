"""The supply model: dies per wafer, yield models, the funnel, the binding constraint, the inverse mode."""

from __future__ import annotations

import math

import pytest

from chipcalc.calc import supply as S
from chipcalc.calc.supply_inverse import needs, target_figure
from chipcalc.catalog.supply_whatif import apply_settings


def funnel(cat, sid, *sets):
    c = apply_settings(cat, list(sets))
    return S.funnel(c, c.supply.scenarios[sid])


def pk(fig):
    return float(fig.q.m_as("package"))


# -- formulas against hand-computed values ------------------------------------------------------------

def test_dies_per_wafer_estimate_by_hand():
    # 300 mm wafer, 100 mm^2 die: pi*150^2/100 = 706.858; pi*300/sqrt(200) = 66.643
    assert float(S.dies_per_wafer_estimate(300, 100)) == pytest.approx(706.858 - 66.643, abs=1e-3)
    # the 910B die (665.61 mm^2): 106.197 - 25.831
    assert float(S.dies_per_wafer_estimate(300, 665.61)) == pytest.approx(80.366, abs=1e-3)


def test_published_dies_per_wafer_within_its_rounding(catalog):
    # Morgan Stanley's 78 die/wafer (a rounded count) lies inside the estimate's range (0-5 mm edge
    # exclusion) and within 2 % of the nominal estimate (3 mm exclusion: 76.68)
    f = S.funnel(catalog, catalog.supply.scenarios["ascend-910c-2025"])
    est = f.row("dies_per_wafer_estimate").fig
    n, lo, hi = (float(x) for x in est.bounds("die/wafer"))
    assert n == pytest.approx(76.68, abs=0.01) and lo <= 78 - 0.5 and 78 + 0.5 <= hi
    assert abs(n / 78 - 1) < 0.02
    assert f.row("dies_per_wafer").fig.m("die/wafer") == 78  # the published figure is the one used


@pytest.mark.parametrize("ad, poisson, murphy, nb2", [
    (0.5, 0.606531, 0.619272, 0.64),       # e^-0.5; ((1-e^-0.5)/0.5)^2; 1.25^-2
    (1.0, 0.367879, 0.399576, 0.444444),   # e^-1; (0.632121)^2; 1.5^-2
])
def test_yield_models_by_hand(ad, poisson, murphy, nb2):
    assert float(S.yield_poisson(ad)) == pytest.approx(poisson, abs=1e-6)
    assert float(S.yield_murphy(ad)) == pytest.approx(murphy, abs=1e-6)
    assert float(S.yield_negative_binomial(ad, 2)) == pytest.approx(nb2, abs=1e-6)


def test_yield_model_limits():
    assert float(S.yield_murphy(0.0)) == 1.0
    assert float(S.yield_negative_binomial(0.5, 1)) == pytest.approx(1 / 1.5)  # Seeds: alpha = 1
    assert float(S.yield_negative_binomial(0.5, 1e7)) == pytest.approx(math.exp(-0.5), rel=1e-6)  # -> Poisson


def test_h20_yield_from_defect_density(catalog):
    # GH100 8.14 cm^2 x 0.10 /cm^2 = 0.814 defects per die; Murphy: ((1 - e^-0.814) / 0.814)^2 = 0.4681
    y = S.funnel(catalog, catalog.supply.scenarios["h20-2024"]).row("die_yield").fig
    assert y.m("") == pytest.approx(((1 - math.exp(-0.814)) / 0.814) ** 2, rel=1e-6)
    assert y.lo.m_as("") == pytest.approx(((1 - math.exp(-0.8954)) / 0.8954) ** 2, rel=1e-6)  # D0 0.11
    assert "h20-2024.yield_model" in y.assumptions and "anandtech-n5-defects" in y.sources
    y2 = funnel(catalog, "h20-2024", "h20-2024.yield_model=poisson").row("die_yield").fig
    assert y2.m("") == pytest.approx(math.exp(-0.814), rel=1e-6) and "h20-2024.yield_model" in y2.assumptions


# -- the funnel --------------------------------------------------------------------------------------

def test_910c_2025_funnel_by_hand(catalog):
    f = S.funnel(catalog, catalog.supply.scenarios["ascend-910c-2025"])
    p = f.parts
    assert p["wafers"].m("wafer") == pytest.approx(7000 * 0.25 * 12)
    assert p["gross_dies"].m("die") == pytest.approx(21000 * 78)
    assert p["wafer_dies"].m("die") == pytest.approx(21000 * 78 * 0.30)
    assert p["bank_dies"].m("die") == pytest.approx(2.9e6 * 0.40)
    assert pk(f.limit("dies").packages) == pytest.approx((491_400 + 1_160_000) / 2 * 0.75)
    assert pk(f.limit("hbm").packages) == pytest.approx(13e6 * 0.40 / 8 * 0.75)
    assert f.limit("packaging").packages is None  # no source gives it
    assert pk(f.packages) == pytest.approx(487_500) and f.binding == "hbm"
    # ranges: the low end of the die bank and the share make the logic dies bind at the low ends
    assert pk(f.packages) > float(f.packages.lo.m_as("package")) == pytest.approx(2e6 * 0.25 / 2 * 0.75)
    assert f.binding_low == "dies" and f.binding_high == "hbm"
    # every row's basis: sources or assumptions, and the shares are named assumptions
    assert set(f.packages.assumptions) == {"ascend-910c-2025.hbm_share", "ascend-910c-2025.die_bank_share",
                                           "ascend-910c-2025.wafer_share"}
    assert {"semianalysis-production-ramp", "wccftech-ms-smic-yields", "techpowerup-920c"} <= set(f.packages.sources)


@pytest.mark.parametrize("setting, binding, packages", [
    ("ascend-910c-2025.hbm_share=60%", "dies", 619_275),          # more HBM: the logic dies bind
    ("ascend-910c-2025.wafer_share=0", "dies", 2.9e6 * 0.4 / 2 * 0.75),  # no new wafers: the die bank alone
    ("ascend-910c-2025.hbm_stock=1e6", "hbm", 1e6 * 0.4 / 8 * 0.75),       # a plain number takes the unit (stack)
    ("ascend-910c.hbm_stacks=4", "dies", 619_275),                # a product figure
    ("ascend-910c.dies=1", "hbm", 487_500),                        # a chip figure the model reads (1 die: more dies)
])
def test_binding_constraint_switches_with_set(catalog, setting, binding, packages):
    f = funnel(catalog, "ascend-910c-2025", setting)
    assert f.binding == binding and pk(f.packages) == pytest.approx(packages)
    name = setting.partition("=")[0]
    assert name in f.packages.assumptions  # the override is a named user assumption


def test_packaging_capacity_binds_for_h20(catalog):
    f = S.funnel(catalog, catalog.supply.scenarios["h20-2024"])
    assert f.binding == "packaging" and pk(f.packages) == pytest.approx(480_000 * 12 * 0.95)
    assert f.limit("dies").packages is None and f.limit("hbm").packages is None


# -- inverse mode --------------------------------------------------------------------------------------

def _need(items, key):
    return {n.key: n for n in items}[key]


def test_inverse_by_hand(catalog):
    f = S.funnel(catalog, catalog.supply.scenarios["ascend-910c-2025"])
    items = needs(f, target_figure("700k", "year", f.months))
    assembled = 700_000 / 0.75
    assert _need(items, "dies").needed.m("die") == pytest.approx(assembled * 2)
    from_wafers = assembled * 2 - 1_160_000
    assert _need(items, "wafer_dies").needed.m("die") == pytest.approx(from_wafers)
    assert _need(items, "wafers_per_month").needed.m("wafer/month") == pytest.approx(from_wafers / (78 * 0.3) / 12)
    assert _need(items, "die_yield").needed.m("") == pytest.approx(from_wafers / (21_000 * 78))
    assert _need(items, "hbm").needed.m("stack") == pytest.approx(assembled * 8)
    assert _need(items, "hbm").ratio.m("") == pytest.approx(assembled * 8 / 5.2e6)


@pytest.mark.parametrize("target", [700_000, 200_000 * 3])
def test_inverse_round_trips(catalog, target):
    f = S.funnel(catalog, catalog.supply.scenarios["ascend-910c-2025"])
    items = needs(f, target_figure(str(target), "year", f.months))
    # wafers needed at the stated yield, fed back (all of them for the 910C, HBM not binding)
    w = _need(items, "wafers_per_month").needed.m("wafer/month")
    g = funnel(catalog, "ascend-910c-2025", f"ascend-910c-2025.wafers_per_month={w}", "ascend-910c-2025.wafer_share=100%",
               "ascend-910c-2025.hbm_share=100%")
    assert g.binding == "dies" and pk(g.packages) == pytest.approx(target, rel=1e-9)
    # the yield needed at the stated wafers, fed back
    y = _need(items, "die_yield").needed.m("")
    g = funnel(catalog, "ascend-910c-2025", f"ascend-910c-2025.die_yield={y}", "ascend-910c-2025.hbm_share=100%")
    assert pk(g.packages) == pytest.approx(target, rel=1e-9)
    # the HBM stacks needed, fed back as the stock (the dies made plentiful)
    h = _need(items, "hbm").needed.m("stack")
    g = funnel(catalog, "ascend-910c-2025", f"ascend-910c-2025.hbm_stock={h}", "ascend-910c-2025.hbm_share=100%",
               "ascend-910c-2025.die_bank_share=100%", "ascend-910c-2025.wafer_share=100%")
    assert g.binding == "hbm" and pk(g.packages) == pytest.approx(target, rel=1e-9)


def test_target_period_scales(catalog):
    t = target_figure("70k", "month", 12.0)
    assert t.m("package") == pytest.approx(840_000) and "supply target" in t.assumptions
    assert target_figure("1.5M", "6 month", 12.0).m("package") == pytest.approx(3e6)
    assert target_figure("300000", "quarter", 12.0).m("package") == pytest.approx(1.2e6)


def test_select_by_year_and_default(catalog):
    assert S.select(catalog, "ascend-910c").id == "ascend-910c-2025"  # the product's default
    assert S.select(catalog, "ascend-910c", year=2026).id == "ascend-910c-2026"
    assert S.select(catalog, "ascend-910c-2026").id == "ascend-910c-2026"
    assert S.select(catalog, "h20", scenario="h20-2024").id == "h20-2024"
