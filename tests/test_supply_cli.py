"""`chipcalc supply`, its ranges and inverse mode, sensitivity, fleets, the plot, and bad input."""

from __future__ import annotations

import json
import textwrap

import pytest
from typer.testing import CliRunner

from chipcalc.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def rows(out: str) -> dict:
    """{row key: first cell} of the first table of a JSON rendering."""
    data = json.loads(out)
    tables = data["tables"] if isinstance(data, dict) else data
    return {r["key"]: r for r in tables[0]["rows"]}


def test_funnel_names_the_binding_constraint():
    r = run("supply", "ascend-910c", "--year", "2025")
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    for text in ("Supply funnel: Huawei Ascend 910C, 2025", "good dies from new wafers", "dies from the die bank",
                 "packages the HBM stacks allow", "binding constraint", "HBM stacks", "487,500", "◀ binding"):
        assert text in out, text
    assert "A1 ASSUMPTION (ascend-910c-2025" in out and "[semianalysis-production-ramp]" in out
    # every row with a value has a basis (S#/A#)
    for line in out.splitlines():
        if " package " in f" {line} " and "n/a" not in line and line.strip().startswith(("packages", "logic")):
            assert " S" in line or " A" in line, line


def test_ranges_show_how_wide():
    r = run("supply", "ascend-910c", "--year", "2025", "--ranges")
    assert r.exit_code == 0 and "487,500* [187,500–731,250]" in r.stdout


def test_montecarlo_is_seeded_and_inside_the_interval():
    a = run("supply", "ascend-910c", "--year", "2025", "--method", "montecarlo", "--samples", "4000", "--seed", "1", "-f", "json")
    b = run("supply", "ascend-910c", "--year", "2025", "--method", "montecarlo", "--samples", "4000", "--seed", "1", "-f", "json")
    assert a.exit_code == 0, a.stderr
    assert a.stdout == b.stdout
    pk = list(rows(a.stdout)["packages"]["cells"].values())[0]
    assert pk["value"] == pytest.approx(487_500)
    assert 187_500 <= pk["low"] <= pk["value"] <= pk["high"] <= 731_250
    assert pk["high"] - pk["low"] < 731_250 - 187_500  # percentiles are narrower than the worst case
    text = run("supply", "ascend-910c", "--method", "montecarlo", "--samples", "2000").stdout
    assert "of samples" in text and "Monte Carlo, 2,000 samples" in text


def test_inverse_mode_200k_and_700k():
    r2 = run("supply", "ascend-910c", "--target", "200000", "--per", "year")
    r7 = run("supply", "ascend-910c", "--target", "700000")
    assert r2.exit_code == 0 and r7.exit_code == 0, (r2.stderr, r7.stderr)
    for text in ("wafer starts per month needed at the stated yield", "die yield needed at the stated wafers",
                 "HBM stacks needed", "available"):
        assert text in r2.stdout and text in r7.stdout
    assert "every sourced input covers the target" in r2.stdout
    assert "Short at the nominal values" in r7.stdout and "HBM stacks needed (1.436x" in r7.stdout
    assert "2,517" in r7.stdout  # wafer starts per month at 30 % yield after the die bank


def test_listing_and_set_in_the_funnel():
    r = run("supply")
    assert r.exit_code == 0 and "ascend-910c-2025 (default)" in r.stdout and "h20-2024" in r.stdout
    r = run("supply", "ascend-910c", "--set", "ascend-910c-2025.hbm_share=60%")
    assert r.exit_code == 0 and "user override --set ascend-910c-2025.hbm_share=60%" in r.stdout
    assert "619,275" in r.stdout


def test_sensitivity_on_supply():
    r = run("sensitivity", "ascend-910c", "--year", "2025")
    assert r.exit_code == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("ascend-910c")]
    assert lines[0].startswith("ascend-910c-2025.hbm_share") and "304,688" in lines[0] and "619,275" in lines[0]
    # the cluster form still works
    assert run("sensitivity", "cloudmatrix384", "--vs", "gb200-nvl72").exit_code == 0


def test_fleet_takes_a_supply_result():
    r = run("fleet", "ascend-910c:supply-2025", "h20:1000000", "-f", "json")
    assert r.exit_code == 0, r.stderr
    data = rows(r.stdout)
    chips = list(data["chips"]["cells"].values())[0]
    assert chips["value"] == pytest.approx(487_500) and chips["low"] == pytest.approx(187_500)
    bf16 = list(data["bf16_dense"]["cells"].values())[0]
    assert bf16["value"] == pytest.approx(487_500 * 752e12 / 1e18)  # EFLOPS
    assert run("fleet", "ascend-910c:supply-2031").exit_code == 2
    assert run("fleet", "h100-sxm:supply-2025").exit_code == 2


def test_plot_supply(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "s.png"
    r = run("plot", "supply", "ascend-910c", "--year", "2025", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000
    from chipcalc.calc import supply as S
    from chipcalc.claims.load import load_checked
    from chipcalc.output.plot.supply import supply_bars

    cat = load_checked()
    chart = supply_bars(S.funnel(cat, cat.supply.scenarios["ascend-910c-2025"]))
    texts = [t.get_text() for ax in chart.figure.axes for t in ax.texts]
    assert any("◀ binding" in t and "487,500" in t for t in texts)
    assert "ascend-910c-2025.hbm_share" in chart.assumptions


# -- bad input: one line, names the file and field or the option ---------------------------------

PRODUCT = """
id = "{id}"
kind = "product"
name = "Test product"
chip = "ascend-910c"
[wafer_diameter]
value = "300 mm"
source = "wccftech-ms-smic-yields"
{extra}
"""

SCENARIO = """
id = "t-2025"
kind = "scenario"
name = "Test scenario"
product = "ascend-910c"
year = 2025
period = "{period}"
[packaging_yield]
value = "75 %"
source = "wiredfocus-csis-750k"
{extra}
"""


def _specs(tmp_path, name, text):
    d = tmp_path / "specs"
    (d / "supply").mkdir(parents=True, exist_ok=True)
    (d / "supply" / f"{name}.toml").write_text(textwrap.dedent(text))
    return d


@pytest.mark.parametrize("name, text, where, message", [
    ("big", PRODUCT.format(id="big", extra='[die_area]\nvalue = "80000 mm^2"\nsource = "toms-910b-dieshot"'),
     "supply/big.toml: die_area", "does not fit a 300 mm wafer"),
    ("noarea", PRODUCT.format(id="noarea", extra=""), "supply/noarea.toml: die_area", "missing"),
    ("t-2025", SCENARIO.format(period="1 year", extra='[die_yield]\nvalue = "120 %"\nsource = "filibuster-ms-smic"'),
     "supply/t-2025.toml: die_yield", "above 100 %"),
    ("t-2025", SCENARIO.format(period="1 year", extra='[die_bank]\nvalue = "2e6 die"\nsource = "toms-csis-dies"\n'
                                                      '[die_bank_share]\nvalue = "-5 %"\nassumption = "a test share for bad input"'),
     "supply/t-2025.toml: die_bank_share", "must not be negative"),
    ("t-2025", SCENARIO.format(period="1 year", extra='[hbm_stock]\nvalue = "-1e6 stack"\nsource = "semianalysis-production-ramp"'),
     "supply/t-2025.toml: hbm_stock", "must not be negative"),
    ("t-2025", SCENARIO.format(period="0 year", extra=""), "supply/t-2025.toml: period", "positive time"),
    ("t-2025", SCENARIO.format(period="1 year", extra='[hbm_stock]\nvalue = "13e6"\nsource = "semianalysis-production-ramp"'),
     "supply/t-2025.toml: hbm_stock", "has no unit"),
    ("t-2025", SCENARIO.format(period="1 year", extra='[die_bank]\nvalue = "2e6 stack"\nsource = "toms-csis-dies"'),
     "supply/t-2025.toml: die_bank", "expected dies made earlier"),
])
def test_bad_spec_is_one_line_naming_file_and_field(tmp_path, name, text, where, message):
    d = _specs(tmp_path, name, text)
    r = run("validate", str(d))
    assert r.exit_code == 1
    first = [ln for ln in r.stderr.splitlines() if not ln.startswith("warning:")][0]  # the catalog may warn first
    assert where in first and message in first, r.stderr
    r = run("supply", "ascend-910c", "--specs", str(d))
    errors = [ln for ln in r.stderr.strip().splitlines() if not ln.startswith("warning:")]
    assert r.exit_code == 1 and "Traceback" not in r.stderr and len(errors) == 1, r.stderr


@pytest.mark.parametrize("args, message", [
    (["supply", "ascend-910c", "--set", "ascend-910c-2025.die_yield=150%"], "--set ascend-910c-2025.die_yield: '150%' is above 100 %"),
    (["supply", "ascend-910c", "--set", "ascend-910c-2025.hbm_stock=-3"], "must not be negative"),
    (["supply", "ascend-910c", "--set", "ascend-910c-2025.hbm_stock=3 W"], "expected HBM stacks in stock"),
    (["supply", "ascend-910c", "--target", "700000", "--per", "0 month"], "--per '0 month' must be a positive period"),
    (["supply", "ascend-910c", "--target", "0"], "--target must be a positive whole number"),
    (["supply", "ascend-910c", "--target", "lots"], "--target 'lots' is not a number"),
    (["supply", "ascend-910x"], "unknown supply product or scenario 'ascend-910x'; did you mean"),
    (["supply", "ascend-910c", "--year", "2031"], "no supply scenario for 2031"),
    (["supply", "ascend-910c", "--scenario", "h20-2024"], "is a scenario of h20, not of ascend-910c"),
    (["supply", "ascend-910c", "--method", "magic"], "--method must be"),
    (["supply", "ascend-910c", "--set", "ascend-910c-2025.yield_model=magic"], "is not one of poisson, murphy"),
    (["supply", "ascend-910c", "--set", "ascend-910c-2025.hbm_share=50%", "--set", "ascend-910c-2025.hbm_share=60%"],
     "--set ascend-910c-2025.hbm_share is given twice (50% and 60%)"),
])
def test_bad_options_are_usage_errors(args, message):
    r = run(*args)
    assert r.exit_code == 2, (r.exit_code, r.stdout[:300], r.stderr)
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_prefer_picks_the_analyst_wafers():
    r = run("supply", "ascend-910c", "--prefer", "analyst", "-f", "json")
    assert r.exit_code == 0, r.stderr
    wpm = list(rows(r.stdout)["wafers_per_month"]["cells"].values())[0]
    assert wpm["value"] == pytest.approx(45_000) and wpm["low"] == pytest.approx(7_000)  # SemiAnalysis; range kept
