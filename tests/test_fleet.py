"""Fleet totals: chip counts x per-chip figures, sourced volumes with ranges, and bad input."""

import json

import pytest
from conftest import SOURCES, write_specs
from typer.testing import CliRunner

from chipcalc.calc import fleet
from chipcalc.claims.load import load
from chipcalc.cli.root import app
from chipcalc.core.errors import UsageError

runner = CliRunner()


def total(cat, text, name, unit):
    return fleet.fleet_total(fleet.parse_fleet(cat, text), name).m(unit)


def test_hand_computed_totals(catalog):
    # 200,000 x 752 TFLOPS = 150.4 EFLOPS BF16; 1,000,000 x 148 TFLOPS = 148 EFLOPS
    assert total(catalog, "ascend-910c:200000", "bf16_dense", "EFLOPS") == pytest.approx(150.4)
    assert total(catalog, "h20:1000000", "bf16_dense", "EFLOPS") == pytest.approx(148)
    assert total(catalog, "h20:1M", "hbm_capacity", "PB") == pytest.approx(96)
    assert total(catalog, "h20:1e6", "hbm_bandwidth", "PB/s") == pytest.approx(4000)
    assert total(catalog, "h20:1,000,000", "tdp", "MW") == pytest.approx(400)
    assert total(catalog, "ascend-910c:200k", "int8_dense", "EOPS") == pytest.approx(200e3 * 1504 / 1e6)


def test_mixed_fleet_adds_up(catalog):
    f = "ascend-910b:550k+ascend-910c:653k"
    assert total(catalog, f, "chips", "") == pytest.approx(1.203e6)
    assert total(catalog, f, "bf16_dense", "EFLOPS") == pytest.approx((550e3 * 353.9 + 653e3 * 752) / 1e6)


def test_missing_figure_is_na_not_a_partial_sum(catalog):
    f = fleet.parse_fleet(catalog, "ascend-910c:100+h20:100")
    assert fleet.fleet_total(f, "fp8_dense") is None  # the 910C has no FP8
    assert fleet.missing(f, "fp8_dense") == ["ascend-910c"]


def test_named_volume_carries_sources_and_range(catalog):
    f = fleet.parse_fleet(catalog, "ascend-910c:huawei-ascend-2025")
    t = fleet.fleet_total(f, "bf16_dense")
    nominal, lo, hi = t.bounds("EFLOPS")
    assert nominal == pytest.approx(150.4)
    assert lo == pytest.approx(200e3 * 707.8 / 1e6) and hi == pytest.approx(805e3 * 780 / 1e6)
    assert {"itnews-huawei-200k", "cm384-paper"} <= {s.id for s in t.prov.sources}
    assert not t.assumed  # a sourced count, unlike a number typed on the command line
    alone = fleet.parse_fleet(catalog, "h20-2024")
    assert alone.items[0].chip.id == "h20" and alone.items[0].count.bounds("") == (1e6, 320e3, 1e6)


def test_typed_count_is_marked_as_given(catalog):
    c = fleet.parse_fleet(catalog, "h20:1000").items[0].count
    assert c.assumed and "given on the command line" in next(iter(c.prov.assumptions)).text


@pytest.mark.parametrize("text, words", [
    ("h20:0", "positive whole number"),
    ("h20:1.5", "positive whole number"),
    ("h20:-5", "is not a count or a named volume"),
    ("h20:lots", "is not a count or a named volume"),
    ("h2:1000", "unknown chip 'h2'"),
    ("h20:h20-2042", "unknown volume 'h20-2042'; did you mean h20-2024"),
    ("huawei-ascend-2025", "say which chip to use"),
    ("huawei-ascend-2052", "did you mean huawei-ascend-2025"),
    ("h20:100+", "empty fleet item"),
])
def test_bad_items(catalog, text, words):
    with pytest.raises(UsageError, match=words.replace("(", r"\(")):
        fleet.parse_fleet(catalog, text)


def test_cli_fleets_side_by_side():
    r = runner.invoke(app, ["fleet", "ascend-910c:200000", "h20:1000000", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    t = json.loads(r.stdout)["tables"][0]
    assert t["columns"] == ["ascend-910c:200000", "h20:1000000", "ascend-910c:200000 / h20:1000000"]
    rows = {row["key"]: row for row in t["rows"]}
    assert rows["bf16_dense"]["unit"] == "EFLOPS"
    assert rows["bf16_dense"]["cells"]["ascend-910c:200000"]["value"] == pytest.approx(150.4)
    assert rows["bf16_dense"]["cells"]["ascend-910c:200000 / h20:1000000"]["value"] == pytest.approx(150.4 / 148)
    assert rows["fp8_dense"]["cells"]["ascend-910c:200000"] is None


def test_cli_lists_volumes_and_rejects_bad_input():
    r = runner.invoke(app, ["fleet"])
    assert r.exit_code == 0 and "huawei-ascend-2025" in r.stdout and "805,000" in r.stdout
    r = runner.invoke(app, ["fleet", "h20:many"])
    assert r.exit_code == 2
    assert r.stderr.startswith("chipcalc: error: ") and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_volume_file_problems(tmp_path):
    root = write_specs(tmp_path / "user", {"sources.toml": SOURCES, "fleets.toml": """
        [no-volume]
        name = "x"
        counts = "y"

        [bad-count]
        name = "x"
        counts = "y"
        chip = "h21"
        [bad-count.volume]
        value = "2.5 W"
        source = "src-a"
    """})
    _, problems = load([root])
    text = "\n".join(str(p) for p in problems)
    assert "fleets.toml: no-volume.volume: missing" in text
    assert "fleets.toml: bad-count.chip: 'h21' is not a chip in the catalog" in text
    assert "fleets.toml: bad-count.volume: expected a plain count" in text
