"""Issue 15 claims: the verdict of each new claim with the numbers worked by hand, the readings that
say where a ratio holds (one precision, one count, one level), the basis notes, <system>.dies_total,
and the errors of a malformed [[readings]] entry."""

import pytest
from conftest import SOURCES, write_specs
from typer.testing import CliRunner

from chipcalc.claims import basis, expr, figref
from chipcalc.claims import verdicts as claims
from chipcalc.claims.lint import reference_problems
from chipcalc.claims.load import load
from chipcalc.cli.root import app
from chipcalc.output.claims_tables import claim_table, summary_table

runner = CliRunner()


def v(catalog, cid):
    return claims.verdict(catalog, catalog.claims[cid])


def readings(verdict):
    return {r.label: r for r in verdict.readings}


def x(fig):
    return float(fig.q.m_as(""))


# -- claims on hardware that was already in the catalog ------------------------------------------

def test_h200_nearly_six_times_h20_holds_for_compute_only(catalog):
    r = v(catalog, "h200-six-times-h20")
    assert r.label == "consistent" and r.robust_short == "robust"
    assert x(r.measured) == pytest.approx(989.5 / 148)  # 6.686, +11 % on "six", within 15 %
    rd = readings(r)
    assert rd["FP8 dense peak"].holds and x(rd["FP8 dense peak"].measured) == pytest.approx(1979 / 296)
    bw = rd["HBM bandwidth (what bounds decode)"]
    assert not bw.holds and x(bw.measured) == pytest.approx(4.8 / 4.0)
    assert not rd["HBM capacity"].holds and x(rd["HBM capacity"].measured) == pytest.approx(141 / 96)


def test_910c_sixty_percent_of_h100_is_no_hardware_ratio(catalog):
    r = v(catalog, "910c-60pct-h100")
    assert r.label == "contradicted by sourced figures" and r.robust_short == "robust"
    assert x(r.measured) == pytest.approx(752 / 989.4)  # 0.760; 707.8-780 keeps it above 0.66
    lo, hi = r.measured.bounds("")[1:]
    assert lo == pytest.approx(707.8 / 989.4) and hi == pytest.approx(780 / 989.4)
    rd = readings(r)
    assert x(rd["HBM bandwidth (decode is bandwidth-bound)"].measured) == pytest.approx(3.2 / 3.35)
    mixed = rd["8-bit peak as each chip serves it (910C INT8, H100 FP8)"]
    assert x(mixed.measured) == pytest.approx(1504 / 1978.9) and not mixed.holds
    assert any("precision differs" in b and "INT8" in b and "FP8" in b for b in mixed.basis)
    assert not rd["INT8 peak on both"].basis  # like for like: no note
    assert all(not rr.holds for rr in r.readings)


def test_310w_against_the_h100_is_contradicted_by_the_h100_figure(catalog):
    r = v(catalog, "910c-310w-above-h100")
    assert r.label == "contradicted by sourced figures"
    assert r.measured.m("W") == pytest.approx(700)  # the H100 SXM's 700 W, not 300
    rd = readings(r)
    near = rd["the 910C near 310 W"]
    assert not near.holds and near.assumed  # the 910C's 700 W (600-800) is an assumption
    above = rd["the 910C above the H100"]
    assert not above.holds and "depends on" in above.robust_short  # 700 vs 700 flips inside 600-800 W
    per_watt = rd["BF16 per watt at least the H100's"]
    assert x(per_watt.measured) == pytest.approx((752 / 700) / (989.4 / 700))


def test_910c_third_of_blackwell_in_semianalysis_words(catalog):
    c = catalog.claims["910c-third-of-blackwell"]
    assert c.source == "semianalysis-cm384" and "one-third the performance of an Nvidia Blackwell" in c.words
    r = v(catalog, "910c-third-of-blackwell")
    assert r.label == "consistent" and x(r.measured) == pytest.approx(752 / 2500)
    assert "flips in range of ascend-910c.bf16_dense" in r.robust_short  # 707.8 / 2,500 = 0.283 < 0.2833
    assert x(readings(r)["HBM bandwidth"].measured) == pytest.approx(3.2 / 8)


# -- claims on the next-generation hardware ------------------------------------------------------

def test_56_8x_npus_counts_packages_against_dies(catalog):
    r = v(catalog, "atlas950-56.8x-npus")
    assert r.label == "consistent" and x(r.measured) == pytest.approx(8192 / 144)
    assert any(b.startswith("counts differ: packages on one side, dies on the other") for b in r.basis)
    assert any("160 cabinets" in b and "144 dies" in b for b in r.basis)
    per_package = readings(r)["package for package (72 Rubin packages)"]
    assert not per_package.holds and x(per_package.measured) == pytest.approx(8192 / 72)


def test_6_7x_compute_holds_at_fp8_only(catalog):
    r = v(catalog, "atlas950-6.7x-compute")
    assert r.label == "consistent" and x(r.measured) == pytest.approx(8 / 1.2)
    assert "reading" in r.robustness  # rests on the dense readings of both vendors' FP8
    rd = readings(r)
    assert not rd["FP4 (Huawei MXFP4, NVIDIA NVFP4)"].holds
    assert x(rd["FP4 (Huawei MXFP4, NVIDIA NVFP4)"].measured) == pytest.approx(16 / 3.6)
    assert x(rd["per chip, FP8 (one 950DT against one Rubin package)"].measured) == pytest.approx(1 / 16.67)


def test_15x_memory_is_not_an_hbm_ratio(catalog):
    r = v(catalog, "atlas950-15x-memory")
    assert r.label == "contradicted by sourced figures"
    assert x(r.measured) == pytest.approx(1152 / 20.7)  # 55.7: "15x" matches 1,152 / 75 TB, HBM + LPDDR
    assert x(readings(r)["per chip (one 950DT against one Rubin package)"].measured) == pytest.approx(144 / 288)


def test_62x_interconnect_is_a_total_over_8192_npus(catalog):
    r = v(catalog, "atlas950-62x-interconnect")
    assert r.label == "consistent" and x(r.measured) == pytest.approx(16000 / 260)
    per_chip = readings(r)["per chip (scale-up bandwidth of one NPU against one Rubin GPU)"]
    assert not per_chip.holds and x(per_chip.measured) == pytest.approx(2 / 3.6)


def test_supercluster_does_not_beat_oci_at_any_reading(catalog):
    r = v(catalog, "atlas950-supercluster-beats-oci")
    assert r.label.startswith("contradicted (rests on assumption")  # Huawei's FP4 read as dense
    assert r.measured.m("ZFLOPS") == pytest.approx(1)
    rd = readings(r)
    dense = rd["OCI counted dense (131,072 x B200 dense FP4)"]
    assert not dense.holds and x(dense.measured) == pytest.approx(1e21 / (131072 * 9e15))
    fp8 = rd["at FP8 (131,072 x B200 dense FP8)"]
    assert not fp8.holds and x(fp8.measured) == pytest.approx(524e18 / (131072 * 4.5e15))


def test_ppu_equal_to_h20_not_lower(catalog):
    r = v(catalog, "alibaba-ppu-below-h20-power")
    assert r.label == "contradicted by sourced figures" and x(r.measured) == pytest.approx(400 / 400)
    rd = readings(r)
    assert not rd["the H20 at the summary's 550 W"].holds
    assert rd["the PPU below 550 W, as written"].holds


def test_950_six_percent_only_fp8_against_one_rubin_package(catalog):
    r = v(catalog, "ascend950-6pct-vr200")
    assert r.label.startswith("contradicted") and x(r.measured) == pytest.approx(2 / 100)
    rd = readings(r)
    assert x(rd["FP8 against the superchip (two Rubin packages)"].measured) == pytest.approx(1 / (2 * 16.67))
    assert x(rd["FP4 against one Rubin package"].measured) == pytest.approx(2 / 50)
    one = rd["FP8 against one Rubin package"]
    assert one.holds and x(one.measured) == pytest.approx(1 / 16.67)
    assert [rr.holds for rr in r.readings] == [False, False, True]


def test_readings_show_in_the_working_and_the_summary(catalog):
    r = v(catalog, "atlas950-56.8x-npus")
    t = claim_table(r, catalog)
    assert "reading.0" in [row.key for row in t.rows]
    assert any(n.startswith("Basis: counts differ") for n in t.notes)
    assert any(n.startswith("Reading package for package") and "does not hold" in n for n in t.notes)
    s = summary_table([r, v(catalog, "h200-six-times-h20"), v(catalog, "cm384-384-chips")])
    robust = {row.key: row.cells[3].text for row in s.rows}
    assert robust["atlas950-56.8x-npus"].endswith("other readings: 0 of 1 hold")
    assert robust["h200-six-times-h20"].endswith("other readings: 1 of 3 hold")
    assert "readings" not in robust["cm384-384-chips"]


def test_check_cli_prints_readings_and_basis():
    res = runner.invoke(app, ["check", "ascend950-6pct-vr200"])
    assert res.exit_code == 0, res.stderr
    assert "Reading FP8 against one Rubin package: holds" in res.stdout
    res = runner.invoke(app, ["check", "atlas950-56.8x-npus"])
    assert "Basis: counts differ: packages on one side, dies on the other" in res.stdout


# -- references and basis ------------------------------------------------------------------------

def test_dies_total_counts_packages_times_dies(catalog):
    assert figref.resolve(catalog, "cloudmatrix384.dies_total").m("") == pytest.approx(384 * 2)
    f = figref.resolve(catalog, "vera-rubin-nvl144.dies_total")
    assert f.m("") == pytest.approx(72 * 2)
    assert {s.id for s in f.prov.sources} >= {"timewell-vera-rubin"}  # chips and dies both sourced
    with pytest.raises(expr.ExprError, match="h100-sxm has no 'dies' figure.*use dgx-h100.chips"):
        figref.resolve(catalog, "dgx-h100.dies_total")
    assert "cloudmatrix384.dies_total" in figref.names(catalog)
    assert "dgx-h100.dies_total" not in figref.names(catalog)


@pytest.mark.parametrize("text, fragment", [
    ("ascend-910c.int8_dense / h100-sxm.fp8_dense == 1", "precision differs: INT8 on one side, FP8 on the other"),
    ("ratio(h100-sxm.bf16_sparse, h20.bf16_dense) > 1", "sparsity differs: sparse on one side, dense on the other"),
    ("ratio(cloudmatrix384.bf16_dense_total, gb200.bf16_dense) > 1", "levels differ: system on one side, package"),
    ("ascend-910c.hbm_capacity.per_die < h20.hbm_capacity", "levels differ: die on one side, package"),
    ("ratio(cloudmatrix384.dies_total, gb200-nvl72.chips) > 1", "counts differ: dies on one side, packages"),
    ("ratio(atlas-950-superpod.marketed_count, vera-rubin-nvl144.marketed_count) > 1", "counts differ: packages on one side, dies"),
])
def test_basis_names_the_mismatch(catalog, text, fragment):
    notes = basis.mismatches(catalog, expr.parse(text))
    assert any(fragment in n for n in notes), notes


@pytest.mark.parametrize("text", [
    "ratio(h200.bf16_dense, h20.bf16_dense) > 1",  # like for like
    "gb200-nvl72.fp8_dense_total > 72 * b200.fp8_dense",  # a count times a chip figure is a system too
    "h20.tdp < 500 W",  # one side is a number
])
def test_basis_is_quiet_when_like_for_like(catalog, text):
    assert basis.mismatches(catalog, expr.parse(text)) == []


# -- malformed readings ---------------------------------------------------------------------------

CHIP = """
id = "c1"
name = "Chip 1"
vendor = "T"
[bf16_dense]
value = "100 TFLOPS"
source = "src-a"
[hbm_bandwidth]
value = "2 TB/s"
source = "src-a"
"""


def claim_file(extra):
    return f"""
id = "t1"
title = "t"
words = "w"
source = "src-b"
kind = "ratio"
numerator = "c1.bf16_dense"
denominator = "c1.bf16_dense"
factor = "1x"
relation = "about"
tolerance = "5 %"
{extra}
"""


def load_with(tmp_path, extra):
    root = write_specs(tmp_path / "specs", {"sources.toml": SOURCES, "chips/c1.toml": CHIP,
                                            "claims/t1.toml": claim_file(extra)})
    return load([root], builtin=False)


@pytest.mark.parametrize("extra, field, fragment", [
    ('[[readings]]\nnumerator = "c1.hbm_bandwidth"', "readings[0].label", "missing; add label"),
    ('[[readings]]\nlabel = "x"\nassert = "c1.bf16_dense > 1 TFLOPS"', "readings[0].assert", "unknown key"),
    ('[[readings]]\nlabel = "x"', "readings[0]", "changes at least one of numerator, denominator, factor"),
    ('[[readings]]\nlabel = "x"\nnumerator = "c1.bf16_dense +"', "readings[0]", "column"),
    ('readings = "per die"', "readings", "must be an array of tables"),
])
def test_malformed_reading_is_reported_with_its_field(tmp_path, extra, field, fragment):
    _, problems = load_with(tmp_path, extra)
    hits = [p for p in problems if p.field.startswith(field)]
    assert hits and fragment in hits[0].message, problems


def test_reading_with_unknown_figure_fails_validate_not_load(tmp_path):
    cat, problems = load_with(tmp_path, '[[readings]]\nlabel = "memory"\nnumerator = "c1.hbm_capacity"\ndenominator = "c1.hbm_capacity"')
    assert problems == []  # a user folder replacing a chip must not stop every command
    lint = reference_problems(cat)
    assert len(lint) == 1 and lint[0].field == "readings[0]" and "c1.hbm_capacity" in lint[0].message
    r = claims.verdict(cat, cat.claims["t1"])
    assert r.label == "consistent" and r.readings[0].holds is None and "unknown figure" in r.readings[0].reason
    assert r.readings[0].text.startswith("memory: unresolved: ")


def test_reading_units_must_agree(tmp_path):
    cat, problems = load_with(tmp_path, '[[readings]]\nlabel = "mixed"\nnumerator = "c1.hbm_bandwidth"')
    assert problems == []
    lint = reference_problems(cat)
    assert [p.field for p in lint] == ["readings[0]"]
    assert "unit mismatch" in lint[0].message and "c1.hbm_bandwidth" in lint[0].message


def test_validate_cli_names_the_reading(tmp_path):
    root = write_specs(tmp_path / "specs", {"sources.toml": SOURCES, "chips/c1.toml": CHIP,
                                            "claims/t1.toml": claim_file('[[readings]]\nlabel = "m"\nnumerator = "c1.nope"')})
    res = runner.invoke(app, ["validate", "--no-builtin", str(root)])
    assert res.exit_code == 1
    assert "readings[0]" in res.stderr + res.stdout and "Traceback" not in res.stderr + res.stdout
