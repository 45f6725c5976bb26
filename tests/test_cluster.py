"""Cluster math on the real catalog, against hand computation and published totals."""

import pytest

from chipcalc.calc import cluster


def test_cm384_bf16_total_from_per_chip(catalog):
    cm = catalog.system("cloudmatrix384")
    t = cluster.system_total(cm, "bf16_dense")
    # 384 x 752 TFLOPS (paper) = 288.768 PFLOPS; range 384 x 707.8 .. 384 x 780
    n, lo, hi = t.bounds("PFLOPS")
    assert n == pytest.approx(288.768)
    assert lo == pytest.approx(384 * 707.8 / 1000)
    assert hi == pytest.approx(384 * 780 / 1000)
    # SemiAnalysis' published "300 PFLOPS" is inside 5% of chips x per-chip
    assert t.m("PFLOPS") / cm.reported["bf16_dense"].m("PFLOPS") == pytest.approx(0.9626, abs=1e-3)


def test_cm384_memory_totals_match_published(catalog):
    cm = catalog.system("cloudmatrix384")
    assert cluster.system_total(cm, "hbm_capacity").m("TB") == pytest.approx(49.152)
    assert cm.reported["hbm_capacity"].m("TB") == pytest.approx(49.2)
    assert cluster.system_total(cm, "hbm_bandwidth").m("TB/s") == pytest.approx(1228.8)


def test_nvl72_totals(catalog):
    nvl = catalog.system("gb200-nvl72")
    assert cluster.system_total(nvl, "bf16_dense").m("PFLOPS") == pytest.approx(180)
    assert cluster.system_total(nvl, "hbm_bandwidth").m("TB/s") == pytest.approx(576)


def test_cluster_vs_ratios(catalog):
    cm, nvl = catalog.system("cloudmatrix384"), catalog.system("gb200-nvl72")
    r = cluster.ratio(cluster.system_total(cm, "bf16_dense"), cluster.system_total(nvl, "bf16_dense"))
    assert r.m("") == pytest.approx(288.768 / 180)  # 1.60x, not "almost double"
    per_chip = cluster.ratio(cm.chip.get("bf16_dense"), nvl.chip.get("bf16_dense"))
    assert per_chip.m("") == pytest.approx(752 / 2500)  # ~0.30: "1/3 of a Blackwell"
    mem = cluster.ratio(cluster.system_total(cm, "hbm_capacity"), cluster.system_total(nvl, "hbm_capacity"))
    assert mem.m("") == pytest.approx(384 * 128 / (72 * 192))  # 3.56x


def test_power_sourced_vs_assumed(catalog):
    cm = catalog.system("cloudmatrix384")
    pb = cluster.power_breakdown(cm)
    assert pb.reported.m("kW") == pytest.approx(559)
    assert not pb.reported.assumed  # SemiAnalysis' all-in figure is sourced
    assert pb.lines[0].total.assumed  # 384 x an assumed 910C TDP
    assert pb.bottom_up.assumed
    # all-in per chip: 559 kW / 384 = 1,456 W (sourced: both inputs sourced)
    per = cluster.allin_power_per_chip(cm)
    assert per.m("W") == pytest.approx(559000 / 384)
    assert not per.assumed
    lo, hi = per.bounds("W")[1:]
    assert hi == pytest.approx(600000 / 384)


def test_efficiency_with_one_assumed_input_is_flagged(catalog):
    c910 = catalog.chip("ascend-910c")
    eff = cluster.efficiency(c910.get("bf16_dense"), c910.get("tdp"), "TFLOPS/W")
    assert eff.assumed
    assert {a.name for a in eff.prov.assumptions} == {"ascend-910c.tdp"}
    h100 = catalog.chip("h100-sxm")
    eff2 = cluster.efficiency(h100.get("bf16_dense"), h100.get("tdp"), "TFLOPS/W")
    assert not eff2.assumed
    assert eff2.m("TFLOPS/W") == pytest.approx(989.4 / 700, rel=1e-3)


def test_per_die_of_910c(catalog):
    c = catalog.chip("ascend-910c")
    assert cluster.per_die(c, "bf16_dense").m("TFLOPS") == pytest.approx(376)
    assert cluster.per_die(c, "hbm_capacity").m("GB") == pytest.approx(64)
    assert cluster.per_die(c, "int8_dense").m("TOPS") == pytest.approx(752)


def test_additive_totals_are_n_times_per_chip(catalog):
    for s in catalog.systems.values():
        n = s.chips.m("")
        for k in ("bf16_dense", "hbm_capacity", "hbm_bandwidth"):
            per = cluster.per_chip(s, k)
            if per is None:
                continue
            assert cluster.system_total(s, k).m(str(per.q.units)) == pytest.approx(n * per.q.m)


def test_h20_vs_h100_bandwidth(catalog):
    # "H20 has reduced memory bandwidth vs H100" is false: 4.0 vs 3.35 TB/s
    r = cluster.ratio(catalog.chip("h20").get("hbm_bandwidth"), catalog.chip("h100-sxm").get("hbm_bandwidth"))
    assert r.m("") == pytest.approx(4.0 / 3.35)


def test_ridge_point(catalog):
    # H100: 989.4 TFLOPS / 3.35 TB/s = 295.3 FLOP/B; H20: 148 / 4.0 = 37
    assert cluster.ridge_point(catalog.chip("h100-sxm")).m("FLOP/B") == pytest.approx(989.4 / 3.35, rel=1e-3)
    assert cluster.ridge_point(catalog.chip("h20")).m("FLOP/B") == pytest.approx(37)
