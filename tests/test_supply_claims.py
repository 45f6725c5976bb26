"""Volume claims judged against the supply model; supply units; supply records in validate."""

from __future__ import annotations

import textwrap

import pytest
from typer.testing import CliRunner

from chipcalc.claims import verdicts
from chipcalc.cli import app

runner = CliRunner()


def v(catalog, cid):
    return verdicts.verdict(catalog, catalog.claims[cid])


def test_200k_ceiling_against_the_supply_model(catalog):
    r = v(catalog, "huawei-200k-2025")
    assert r.label == "contradicted by the supply model"
    model = r.bound.model
    # 910B 2025 (HBM-bound: 13e6 x 10 % / 4 x 75 %) + 910C 2025 (13e6 x 40 % / 8 x 75 %)
    assert model.m("package") == pytest.approx(243_750 + 487_500)
    assert float(model.lo.m_as("package")) > 200_000
    assert "rests on assumptions" in r.robustness and r.claimed == "≤ 200,000"
    o = r.bound.comparison  # compared with the other 2025 estimates: holds only at the US figure itself
    assert o.holds and not o.robust


def test_700k_possible_but_depends_on_the_hbm_share(catalog):
    r = v(catalog, "huawei-700k-triple-us-estimate")
    assert r.label == "possible within the sourced ranges"
    flips = dict(r.bound.flips)
    assert "ascend-910c-2025.hbm_share" in flips and flips["ascend-910c-2025.hbm_share"].assumed
    assert "depends on assumption ascend-910c-2025.hbm_share (25–60 %)" in r.robustness
    assert "Mizuho" in r.bound.spec.attribution and "press articles" in r.bound.spec.attribution


def test_claims_that_need_more_hbm(catalog):
    r = v(catalog, "bloomberg-600k-910c-2026")
    assert r.label == "needs more than the sourced HBM"
    (sid, part, items), = r.bound.needs
    hbm = {n.key: n for n in items}["hbm"]
    assert sid == "ascend-910c-2026" and hbm.needed.m("stack") == pytest.approx(600_000 / 0.75 * 8)
    assert hbm.ratio.m("") > 1
    r = v(catalog, "semianalysis-653k-910c-2025")
    assert r.label == "possible only at the high ends of the ranges"
    assert "ascend-910c-2025.hbm_share" in dict(r.bound.flips)


def test_h20_million_possible_within_packaging(catalog):
    r = v(catalog, "nvidia-1m-h20-2024")
    assert r.label == "possible"
    assert r.bound.funnels[0].binding == "packaging"


def test_check_shows_the_working():
    for cid in ("huawei-200k-2025", "huawei-700k-triple-us-estimate"):
        r = runner.invoke(app, ["check", cid])
        assert r.exit_code == 0, r.stderr
        out = r.stdout
        for text in ("packages (binding: HBM stacks)", "supply model: packages, summed", "Asserts (supply model)",
                     "Verdict:", "Compared with each other"):
            assert text in out, (cid, text)
    out = runner.invoke(app, ["check", "huawei-700k-triple-us-estimate"]).stdout
    assert "Attribution: The 700,000 figure is attributed to Mizuho Securities only in press articles" in out
    assert "flips it: ascend-910c-2025.hbm_share" in out
    out = runner.invoke(app, ["check", "--brief"]).stdout
    assert "huawei-200k-2025" in out and "≤ 200,000" in out


def test_volume_claim_problems_are_reported(tmp_path):
    d = tmp_path / "specs" / "claims"
    d.mkdir(parents=True)
    (d / "bad-volume.toml").write_text(textwrap.dedent('''
        id = "bad-volume"
        title = "a volume claim with a wrong scenario"
        words = "test words"
        source = "itnews-huawei-200k"
        kind = "volume"
        claimed = "200000"
        relation = "about"
        supply = ["ascend-910c-2099"]
    '''))
    r = runner.invoke(app, ["validate", str(tmp_path / "specs")])
    assert r.exit_code == 1
    assert "bad-volume.toml: supply: 'ascend-910c-2099' is not a supply scenario" in r.stderr
    assert "bad-volume.toml: tolerance: relation = \"about\" needs a tolerance" in r.stderr


# -- units --------------------------------------------------------------------------------------------

def test_production_units_are_dimensions():
    from chipcalc.core.units import parse

    assert parse("2 dies").m_as("die") == 2 and parse("7000 wafers/month").m_as("wafer/year") == pytest.approx(84_000)
    assert (parse("78 die/wafer") * parse("100 wafer")).m_as("die") == pytest.approx(7800)
    assert (parse("16 stack") / parse("8 stack/package")).m_as("package") == pytest.approx(2)
    assert parse("665.61 mm^2").m_as("cm^2") == pytest.approx(6.6561)
    assert parse("12 inch").m_as("mm") == pytest.approx(304.8)
    assert parse("1 quarter").m_as("month") == pytest.approx(3)
    with pytest.raises(Exception):
        parse("1 die") + parse("1 package")  # a die is not a package
    with pytest.raises(Exception):
        parse("1 wafer").to("stack")


def test_validate_counts_supply_records_and_reports_unknown_kinds(tmp_path):
    d = tmp_path / "specs" / "supply"
    d.mkdir(parents=True)
    (d / "odd.toml").write_text('id = "odd"\nkind = "factory"\n')
    (d / "orphan.toml").write_text(textwrap.dedent('''
        id = "orphan"
        kind = "scenario"
        name = "no such product"
        product = "nope"
        year = 2025
        period = "1 year"
        [packaging_yield]
        value = "75 %"
        assumption = "a test value for a scenario without its product"
        [hbm_share]
        value = "50 %"
        assumption = "a share of a stock the scenario does not have"
    '''))
    r = runner.invoke(app, ["validate", str(tmp_path / "specs")])
    err = r.stderr
    assert r.exit_code == 1
    assert "supply/odd.toml: kind: 'factory' is not one of product, scenario, methods" in err
    assert "supply/orphan.toml: product: 'nope' is not a product in specs/supply/" in err
    assert "supply/orphan.toml: hbm_share: a share of nothing" in err


def test_a_control_character_in_a_supply_value_stays_on_one_line(tmp_path):
    d = tmp_path / "specs" / "supply"
    d.mkdir(parents=True)
    (d / "ctl.toml").write_text('id = "ctl"\nkind = "product"\nname = "x"\nchip = "a\\nb"\n'
                                '[die_area]\nvalue = "1\\n0 mm^2"\nsource = "toms-910b-dieshot"\n')
    r = runner.invoke(app, ["validate", str(tmp_path / "specs")])
    assert r.exit_code == 1
    lines = [ln for ln in r.stderr.splitlines() if "ctl.toml" in ln]
    assert any("chip: 'a\\nb' is not a chip" in ln for ln in lines), r.stderr
    assert all(ln.startswith(("specs/", str(tmp_path))) or "ctl.toml" in ln for ln in lines)
    assert "\nb' is not" not in r.stderr  # never split over two lines
