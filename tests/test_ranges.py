"""Issue 5: ranges (interval and Monte Carlo), what-if overrides, source preference, sensitivity."""

import json

import pytest
from typer.testing import CliRunner

from chipcalc.calc import cluster
from chipcalc.calc import ranges as rg
from chipcalc.catalog.overrides import apply_overrides, prefer
from chipcalc.cli.root import app

runner = CliRunner()


def cells(args, table_key, row_key):
    r = runner.invoke(app, [*args, "-f", "json"])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    t = next(t for t in data["tables"] if t["key"] == table_key)
    return next(row for row in t["rows"] if row["key"] == row_key)["cells"]


def test_interval_ranges_hand_computed():
    c = cells(["cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "--ranges"], "cluster.system", "pflops_per_kw")
    cm = c["cloudmatrix384"]
    # 384 x [707.8, 780] TFLOPS over [559, 600] kW
    assert cm["value"] == pytest.approx(384 * 752 / 559 / 1000)
    assert cm["low"] == pytest.approx(384 * 707.8 / 600 / 1000)
    assert cm["high"] == pytest.approx(384 * 780 / 559 / 1000)
    nv = c["gb200-nvl72"]
    # 72 x [2250, 2500] TFLOPS over [120, 145] kW
    assert nv["low"] == pytest.approx(72 * 2250 / 145 / 1000)
    assert nv["high"] == pytest.approx(72 * 2500 / 120 / 1000)
    # the ratio's interval: low/high of a over high/low of b
    assert c["ratio"]["low"] == pytest.approx(cm["low"] / nv["high"])
    assert c["ratio"]["high"] == pytest.approx(cm["high"] / nv["low"])


def test_montecarlo_inside_interval_and_reproducible():
    args = ["cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "--method", "montecarlo", "--samples", "20000", "--seed", "7"]
    mc = cells(args, "cluster.system", "pflops_per_kw")
    iv = cells(["cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "--ranges"], "cluster.system", "pflops_per_kw")
    for col in ("cloudmatrix384", "gb200-nvl72", "ratio"):
        assert mc[col]["value"] == pytest.approx(iv[col]["value"])
        assert iv[col]["low"] <= mc[col]["low"] + 1e-12
        assert mc[col]["high"] <= iv[col]["high"] + 1e-12
    # the ratio's p5-p95 band is strictly narrower than the worst-case interval
    assert mc["ratio"]["high"] - mc["ratio"]["low"] < iv["ratio"]["high"] - iv["ratio"]["low"]
    again = cells(args, "cluster.system", "pflops_per_kw")
    assert again == mc
    other = cells(args[:-1] + ["8"], "cluster.system", "pflops_per_kw")
    assert other["ratio"]["low"] != mc["ratio"]["low"]


def test_montecarlo_single_input_matches_uniform_percentiles(catalog):
    # total BF16 of CM384 depends on one uncertain input (910C BF16, uniform on [707.8, 780]):
    # p5/p95 of 384 x U(707.8, 780) TFLOPS are 384 x (707.8 + 0.05/0.95 x 72.2)
    inputs = rg.uncertain_inputs(catalog, ["cloudmatrix384"])
    sampled = rg.sample_catalog(catalog, inputs, 200_000, 1)
    fig = rg.collapse(cluster.system_total(catalog.system("cloudmatrix384"), "bf16_dense"),
                      cluster.system_total(sampled.system("cloudmatrix384"), "bf16_dense"))
    _, lo, hi = fig.bounds("PFLOPS")
    assert lo == pytest.approx(384 * (707.8 + 0.05 * 72.2) / 1000, rel=2e-3)
    assert hi == pytest.approx(384 * (707.8 + 0.95 * 72.2) / 1000, rel=2e-3)


def test_override_is_reported_as_user_assumption():
    r = runner.invoke(app, ["cluster", "cloudmatrix384", "--set", "ascend-910c.tdp=600W"])
    assert r.exit_code == 0, r.stderr
    assert "user override --set ascend-910c.tdp=600W (catalog value: 700 W)" in r.stdout
    c = cells(["cluster", "cloudmatrix384", "--set", "ascend-910c.tdp=600W"], "cluster.system", "power_accelerators")
    assert c["cloudmatrix384"]["value"] == pytest.approx(384 * 0.6)
    assert c["cloudmatrix384"]["status"] == "assumed"


def test_override_a_sourced_figure_makes_results_assumed(catalog):
    cat = apply_overrides(catalog, ["cloudmatrix384.power=600kW"])
    s = cat.system("cloudmatrix384")
    per = cluster.allin_power_per_chip(s)
    assert per.m("W") == pytest.approx(600000 / 384)
    assert per.assumed
    assert not cluster.allin_power_per_chip(catalog.system("cloudmatrix384")).assumed


def test_prefer_analyst_changes_nominal_keeps_range(catalog):
    cat = prefer(catalog, "analyst")
    f = cat.chip("ascend-910c").get("bf16_dense")
    assert f.bounds("TFLOPS") == pytest.approx((780, 707.8, 780))
    assert {s.id for s in f.prov.sources} == {"semianalysis-cm384"}
    assert 752 in [round(a.m("TFLOPS")) for a in f.alternatives]
    assert cat.system("cloudmatrix384").chip is cat.chip("ascend-910c")
    assert cluster.system_total(cat.system("cloudmatrix384"), "bf16_dense").m("PFLOPS") == pytest.approx(299.52)


def test_sensitivity_ranks_inputs_by_swing():
    r = runner.invoke(app, ["sensitivity", "cloudmatrix384", "--vs", "gb200-nvl72", "--metric", "pflops_per_kw", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)["tables"][0]["rows"]
    names = [row["key"] for row in rows]
    assert names[0] == "gb200-nvl72.power"  # 120-145 kW moves the ratio most
    top = rows[0]["cells"]
    nominal = 384 * 752 / 559 / (72 * 2500 / 145)
    assert top["metric at low"]["value"] == pytest.approx(nominal * 120 / 145)
    assert top["metric at high"]["value"] == pytest.approx(nominal)
    swings = [row["cells"]["swing"]["value"] for row in rows]
    assert swings == sorted(swings, reverse=True)
    assert "ascend-910c.tdp" not in names  # the all-in power is reported, so TDP does not move it


@pytest.mark.parametrize("args,msg", [
    (["cluster", "cloudmatrix384", "--set", "ascend-910c.tdpp=600W"], "unknown figure 'ascend-910c.tdpp'; did you mean ascend-910c.tdp"),
    (["cluster", "cloudmatrix384", "--set", "ascend-910c.tdp=600GB/s"], "expected a value like '700W', got '600GB/s'"),
    (["cluster", "cloudmatrix384", "--set", "ascend-910c.tdp"], "write NAME=VALUE"),
    (["cluster", "cloudmatrix384", "--set", "ascend-910c.tdp=-5W"], "must be a positive finite number"),
    (["cluster", "cloudmatrix384", "--prefer", "blog"], "--prefer must be one of"),
    (["cluster", "cloudmatrix384", "--method", "montecarlo", "--samples", "0"], "--samples: must be at least 100, got '0'"),
    (["cluster", "cloudmatrix384", "--method", "montecarlo", "--samples", "1"], "--samples: must be at least 100, got '1'"),
    (["cluster", "cloudmatrix384", "--method", "guess"], "--method must be"),
    (["sensitivity", "cloudmatrix384", "--metric", "pflops_per_kww"], "unknown metric 'pflops_per_kww'; did you mean pflops_per_kw"),
])
def test_bad_input(args, msg):
    r = runner.invoke(app, args)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert msg in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_set_reaches_every_command():
    # an assumption read outside the latency knobs (default_context) must not be silently ignored
    r = runner.invoke(app, ["latency", "h20", "llama-3.1-70b", "--chips", "8", "--tp", "8", "-p", "fp8",
                            "--set", "default_context=8192", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    assert '"8192"' in r.stdout or "8192" in r.stdout
    # a plain-number assumption is a fraction when its range is: 0.3 is fine, 1.3 is refused
    r = runner.invoke(app, ["train", "llama-3.1-70b", "--tokens", "15T", "--chips", "1024", "--chip", "ascend-910b",
                            "--set", "train_mfu=0.3", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    assert "user override --set train_mfu=0.3" in r.stdout
    r = runner.invoke(app, ["train", "llama-3.1-70b", "--tokens", "15T", "--chips", "1024", "--chip", "ascend-910b",
                            "--set", "train_mfu=1.3"])
    assert r.exit_code == 2 and "must be a fraction in (0, 1]" in r.stderr
    # a claim re-judged under a what-if
    c = runner.invoke(app, ["check", "cm384-4x-power", "--set", "cloudmatrix384.power=600kW"])
    assert c.exit_code == 0 and "CONSISTENT" in c.stdout and "user override" in c.stdout


def test_range_keeps_the_disagreeing_sources_visible():
    c = cells(["cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "--ranges"], "cluster.system", "bf16_dense_total")
    cm = c["cloudmatrix384"]
    assert {s["id"] for s in cm["sources"]} == {"cm384-paper"}  # the nominal rests on the paper
    assert "semianalysis-cm384" in cm["range_sources"]  # 780 TFLOPS, the high end
    assert "msmodeling-device" in cm["range_sources"]  # 707.8 TFLOPS, the low end
    r = runner.invoke(app, ["cluster", "cloudmatrix384", "--ranges"])
    assert "(range: " in r.stdout and "semianalysis-cm384" in r.stdout


def test_one_pass_sensitivity_equals_the_loop():
    """The supply model's sensitivity in one array pass gives the loop's swings, input by input."""
    from dataclasses import replace

    import pytest

    from chipcalc.calc import ranges as rg
    from chipcalc.calc import supply_ranges as sr
    from chipcalc.catalog.supply_whatif import supply_of
    from chipcalc.claims.load import load_checked

    cat = load_checked(None)
    cat = replace(cat, supply=supply_of(cat))
    scenarios = list(cat.supply.scenarios.values())
    ins = sr.uncertain(cat, scenarios)
    assert len(ins) >= 5
    metric = sr.packages_metric([s.id for s in scenarios])
    loop = rg.sensitivity(cat, metric, ins, "package", putter=sr.put_input)
    fast = rg.sensitivity(cat, metric, ins, "package", putter=sr.put_input, vectorised=True)
    assert [s.name for s in fast] == [s.name for s in loop]
    for a, b in zip(fast, loop):
        assert a.at_low.m("package") == pytest.approx(b.at_low.m("package"), rel=1e-12)
        assert a.at_high.m("package") == pytest.approx(b.at_high.m("package"), rel=1e-12)
        assert a.at_low.prov == b.at_low.prov
