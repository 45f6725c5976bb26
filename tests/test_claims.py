"""Claims: each kind, robust and assumption-dependent verdicts, implausible bounds, claim-file problems, CLI."""

import json

import pytest
from conftest import SOURCES, write_specs
from typer.testing import CliRunner

from chipcalc.claims import bound
from chipcalc.claims import verdicts as claims
from chipcalc.claims.load import load
from chipcalc.cli.root import app
from chipcalc.core.figure import Figure, Provenance
from chipcalc.core.units import Q

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def v(catalog, cid):
    return claims.verdict(catalog, catalog.claims[cid])


def test_every_shipped_claim_gets_a_verdict(catalog):
    assert len(catalog.claims) >= 20
    for c in catalog.claims.values():
        assert c.source in catalog.sources
        verdict = claims.verdict(catalog, c)
        assert verdict.label != "unresolved", (c.id, verdict.reason)
        assert verdict.robust_short


# -- comparison --------------------------------------------------------------------------------

def test_comparison_contradicted_robustly(catalog):
    r = v(catalog, "h20-reduced-memory-bandwidth")
    assert r.label == "contradicted by sourced figures"
    assert r.measured.m("") == pytest.approx(4.0 / 3.35)
    assert r.robust_short == "robust"
    assert "1.194x" in r.margin


def test_comparison_consistent_robustly(catalog):
    r = v(catalog, "h20-compute-lower-than-h100")
    assert r.label == "consistent" and r.robust_short == "robust"
    assert r.measured.m("") == pytest.approx(148 / 989.4)


def test_equal_is_not_more(catalog):
    # both have 900 GB/s NVLink: "weaker" is contradicted
    r = v(catalog, "h20-interconnect-weaker")
    assert r.label.startswith("contradicted") and r.measured.m("") == pytest.approx(1.0)


def test_flips_inside_the_range_of_a_sourced_figure(catalog):
    # 288.8 PF is within 5 % of 300; 271.8 PF (msmodeling BF16) is not
    r = v(catalog, "cm384-300pf-bf16")
    assert r.label == "consistent"
    assert r.outcome.flips == ("cloudmatrix384.bf16_dense_total",)
    assert "flips inside the range of cloudmatrix384.bf16_dense_total (271.8–299.5 PFLOPS" in r.robustness
    assert "msmodeling-device" in r.robustness


def test_assumption_dependent_verdict(catalog):
    # the 910C's TDP is an assumption: 700 W nominal, 600-800 W
    r = claims.adhoc(catalog, "ascend-910c.tdp < 650 W")
    assert r.label == "contradicted"
    assert r.outcome.flips == ("ascend-910c.tdp",)
    assert r.robust_short == "depends on ascend-910c.tdp"
    assert r.robustness.startswith("depends on assumption ascend-910c.tdp (ascend-910c.tdp: 600–800 W)")
    robust = claims.adhoc(catalog, "ascend-910c.tdp < 900 W")
    assert robust.label == "consistent" and robust.robust_short == "robust"
    assert "rests on assumption ascend-910c.tdp" in robust.robustness


def test_flips_only_when_ranges_combine(catalog):
    # 1.604x nominal; only 780 TFLOPS (910C) with 2,250 TFLOPS (GB200) together reach 1.85x
    r = v(catalog, "cm384-2x-nvl72")
    assert r.label.startswith("contradicted")
    assert r.outcome.flips == () and set(r.outcome.combined) == {"cloudmatrix384.bf16_dense_total", "gb200-nvl72.bf16_dense_total"}
    assert r.outcome.lhs.bounds("")[2] == pytest.approx(384 * 780 / (72 * 2250))


# -- ratio -------------------------------------------------------------------------------------

def test_ratio_about_with_tolerance(catalog):
    r = v(catalog, "cm384-3.6x-hbm-capacity")
    assert r.label == "consistent"
    assert r.measured.m("") == pytest.approx(384 * 128 / (72 * 192))
    assert r.claimed == "≈ 3.6x (±5%)"
    bad = v(catalog, "cm384-2x-nvl72")
    assert bad.measured.m("") == pytest.approx(288.8 / 180, rel=1e-3)
    assert "-19.8%" in bad.margin


def test_ratio_more_than_between_two_sources_of_one_volume(catalog):
    # the claim is judged against the supply model (tests/test_supply_claims.py); its `assert` keeps the
    # ratio of the two sources of one volume
    o = v(catalog, "huawei-700k-triple-us-estimate").bound.comparison
    assert o.holds and o.lhs.m("") == pytest.approx(3.5)


def test_fleet_claim_in_compute(catalog):
    # 1 M H20s x 148 TFLOPS vs 200k 910Cs x 752 TFLOPS: about equal, not "dwarfed"
    r = v(catalog, "h20-fleet-dwarfs-huawei-compute")
    assert r.measured.m("") == pytest.approx(1e6 * 148 / (2e5 * 752))
    assert r.label.startswith("contradicted") and r.robust_short == "robust"


# -- bound -------------------------------------------------------------------------------------

def test_bound_cm384_decode_is_consistent(catalog):
    r = v(catalog, "cm384-decode-1943")
    assert r.label == "consistent"
    fr = {k: o.lhs.m("") for k, _, o in r.bound.checks}
    assert 0.2 < fr["bandwidth"] < 0.3  # the HBM floor is about a quarter of the step (fact sheet claim 12)
    assert 0.25 < fr["compute"] < 0.4
    assert r.bound.batch == 97  # 1,943 tok/s x 50 ms
    assert "EP 320" in r.bound.layout and "320 dies" in r.bound.layout
    # the shares follow from the working: bytes x steps/s / bandwidth, steps/s = tokens/s / (batch x accepted)
    w = dict(r.bound.working)
    steps = 1943 / (97 * w["step.accepted"].m(""))
    assert fr["bandwidth"] == pytest.approx(w["step.bytes"].m("B") * steps / w["rank.hbm_bandwidth"].m("B/s"))


def _adhoc_bound(catalog, thr, tpot, target="hgx-h20", model="llama-3.1-70b", **kw):
    lit = Provenance.assume("ad-hoc claim", "test")
    spec = bound.BoundSpec(target, model, Figure(Q(thr, "token/s"), lit), Figure(Q(tpot, "ms"), lit), **kw)
    return claims.adhoc_bound(catalog, spec)


def test_bound_implausible_needs_more_than_the_hbm_bandwidth(catalog):
    # 500 tok/s per H20 at 4 ms: batch 2, 250 steps/s; each step reads 1/8 of Llama-3.1-70B's BF16
    # weights (TP 8) plus 2 x 4,096 tokens of KV: about 20 GB x 250 /s = 5 TB/s > 4.0 TB/s
    r = _adhoc_bound(catalog, 500, 4)
    assert r.label == "implausible"
    fr = {k: o.lhs.m("") for k, _, o in r.bound.checks}
    assert fr["compute"] < 1 < fr["bandwidth"]
    weights = (70.55e9 - 128256 * 8192) * 2 / 8  # non-routed matmul weights per rank, bytes
    kv = 2 * 4096 * 327680
    assert fr["bandwidth"] == pytest.approx((weights + kv) * 250 / 4.0e12, rel=0.02)
    assert "needs" in r.margin and "HBM bandwidth" in r.margin


def test_bound_near_the_limit_is_labelled(catalog):
    r = _adhoc_bound(catalog, 600, 6)
    assert r.label == "consistent (near the limit)"
    assert 0.8 <= max(o.lhs.m("") for _, _, o in r.bound.checks) <= 1


def test_overridden_chip_makes_a_claim_unresolved_not_a_load_error(tmp_path):
    root = write_specs(tmp_path / "user", {"chips/h20.toml": """
        id = "h20"
        name = "H20 (memory only)"
        vendor = "NVIDIA"
        [hbm_bandwidth]
        value = "3.6 TB/s"
        assumption = "measured with a stream benchmark on our own box"
    """})
    cat, problems = load([root])
    assert problems == []
    r = claims.verdict(cat, cat.claims["h20-compute-lower-than-h100"])
    assert r.label == "unresolved" and "h20 has no 'bf16_dense' figure" in r.reason
    # the user's own (assumed) 3.6 TB/s still exceeds the H100's 3.35 TB/s
    assert claims.verdict(cat, cat.claims["h20-reduced-memory-bandwidth"]).label == \
        "contradicted (rests on assumption h20.hbm_bandwidth)"


def test_bound_that_cannot_run_is_unresolved(tmp_path):
    root = write_specs(tmp_path / "user", {"claims/bad-precision.toml": """
        id = "bad-precision"
        title = "a claim at a precision the chip lacks"
        words = "fp8 decode"
        source = "cm384-paper"
        kind = "bound"
        system = "cloudmatrix384"
        model = "deepseek-r1"
        throughput = "1000 token/s"
        tpot = "50 ms"
        precision = "fp8"
    """})
    cat, problems = load([root])
    assert problems == []
    r = claims.verdict(cat, cat.claims["bad-precision"])
    assert r.label == "unresolved" and "no fp8 peak" in r.reason


# -- claim files: problems with file and field -------------------------------------------------

BAD_CLAIMS = {
    "sources.toml": SOURCES,
    "claims/typo.toml": """
        id = "typo"
        title = "t"
        words = "w"
        source = "src-a"
        kind = "comparison"
        assert = "h20.hbm_bandwith < h100-sxm.hbm_bandwidth"
    """,
    "claims/units.toml": """
        id = "units"
        title = "t"
        words = "w"
        source = "src-a"
        kind = "comparison"
        assert = "h20.hbm_bandwidth < h100-sxm.bf16_dense"
    """,
    "claims/nosource.toml": """
        id = "nosource"
        title = "t"
        words = "w"
        source = "nowhere"
        kind = "ratio"
        numerator = "h20.tdp"
        denominator = "h100-sxm.tdp"
        factor = "0.5x"
    """,
    "claims/kind.toml": """
        id = "kind"
        title = "t"
        words = "w"
        source = "src-a"
        kind = "vibes"
    """,
    "claims/bound.toml": """
        id = "bound"
        title = "t"
        words = "w"
        source = "src-a"
        kind = "bound"
        system = "cloudmatrix384"
        model = "deepseek-r1"
        throughput = "1943 TB/s"
    """,
}


def test_claim_file_problems_name_file_and_field(tmp_path):
    from chipcalc.claims.lint import all_problems as hygiene_problems

    root = write_specs(tmp_path / "user", BAD_CLAIMS)
    cat, problems = load([root])
    text = "\n".join(str(p) for p in problems + hygiene_problems(cat))
    assert "claims/typo.toml: assert: unknown figure 'h20.hbm_bandwith' at column 1; did you mean h20.hbm_bandwidth?" in text
    assert "claims/units.toml: assert: unit mismatch at column 19" in text
    assert "claims/nosource.toml: source: 'nowhere' is not in the bibliography" in text
    assert "claims/nosource.toml: tolerance: '==' and relation = \"about\" need a tolerance" in text
    assert "claims/kind.toml: kind: 'vibes' is not one of comparison, ratio, bound" in text
    assert "claims/bound.toml: throughput: expected a positive value like '1943 token/s'" in text


def test_validate_reports_claim_problems(tmp_path):
    root = write_specs(tmp_path / "user", BAD_CLAIMS)
    r = run("validate", str(root))
    assert r.exit_code == 1
    assert "claims/typo.toml: assert: unknown figure" in r.stderr
    assert "Traceback" not in r.stderr


# -- CLI ---------------------------------------------------------------------------------------

def test_check_all_shows_verdicts_and_working():
    r = run("check")
    assert r.exit_code == 0, r.stderr
    assert "Claims: verdicts" in r.stdout
    assert "h20-reduced-memory-bandwidth" in r.stdout and "contradicted by sourced figures" in r.stdout
    assert "Claim cm384-decode-1943:" in r.stdout  # the working of every claim follows
    assert "arxiv.org/abs/2506.12708" in r.stdout


def test_check_one_claim_json():
    r = run("check", "cm384-2x-nvl72", "-f", "json")
    assert r.exit_code == 0, r.stderr
    t = json.loads(r.stdout)["tables"][0]
    rows = {row["key"]: row for row in t["rows"]}
    assert rows["cloudmatrix384.bf16_dense_total"]["cells"]["value"]["value"] == pytest.approx(288.768)
    assert any(n.startswith("Verdict: CONTRADICTED") for n in t["notes"])


def test_check_adhoc_claim():
    r = run("check", "--claim", "h20.hbm_bandwidth < h100-sxm.hbm_bandwidth")
    assert r.exit_code == 0
    assert "Verdict: CONTRADICTED: h20.hbm_bandwidth is 1.194x h100-sxm.hbm_bandwidth" in r.stdout


def test_check_adhoc_throughput_claim():
    r = run("check", "--system", "cloudmatrix384", "--model", "deepseek-r1", "--decode-tokens-per-chip", "1943", "--tpot", "50ms")
    assert r.exit_code == 0, r.stderr
    assert "Verdict: CONSISTENT" in r.stdout and "share of HBM bandwidth needed" in r.stdout


def test_check_throughput_claim_at_the_largest_batch_that_fits():
    """--batch max gives the claim the largest batch per chip that fits (what `chipcalc latency --batch max`
    says at the same context and layout: 8 chips at TP8, the layout the claim check takes), with the memory
    fit's provenance."""
    import re

    base = ["--system", "hgx-h20", "--model", "llama-3.1-70b", "-p", "fp8"]
    lat = run("latency", "hgx-h20", "llama-3.1-70b", "-p", "fp8", "--chips", "8", "--tp", "8", "--batch", "max")
    largest = re.search(r"largest that fits: (\d+)", lat.stdout).group(1)
    r = run("check", *base, "--decode-tokens-per-chip", "500", "--batch", "max")
    assert r.exit_code == 0, r.stderr
    row = next(ln for ln in r.stdout.splitlines() if ln.startswith("claim.batch"))
    assert re.search(rf"\s{largest}\*", row) and "the largest batch per chip that fits (--batch max)" in row
    assert f"8 chips (8 ranks), TP 8" in r.stdout and f"batch {largest} sequences per chip" in r.stdout
    bad = run("check", *base, "--decode-tokens-per-chip", "500", "--batch", "most")
    assert bad.exit_code == 2 and "--batch" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args, words", [
    (["--claim", "h20.hbm_bandwith < h100-sxm.hbm_bandwidth"], "unknown figure 'h20.hbm_bandwith' at column 1; did you mean h20.hbm_bandwidth?"),
    (["--claim", "h20.hbm_bandwidth < h100-sxm.bf16_dense"], "unit mismatch at column 19 ('<'): cannot compare h20.hbm_bandwidth (a bandwidth (TB/s))"),
    (["--claim", "h20.hbm_bandwidth <"], "expression ends too early at column 20"),
    (["--claim", "hello world"], "unknown name 'hello'"),
    (["--claim", "cloudmatrix384.power == 600 kW"], "'==' needs a tolerance"),
    (["--claim", "1 < 2", "--tolerance", "2 W"], "--tolerance: tolerance must be a plain fraction"),
    (["--tolerance", "5%"], "--tolerance applies to --claim only"),
    (["cm384-decode-194"], "unknown claim 'cm384-decode-194'; did you mean cm384-decode-1943"),
    (["cm384-2x-nvl72", "--claim", "1 < 2"], "give one of"),
    (["--system", "cloudmatrix384", "--decode-tokens-per-chip", "1943", "--tpot", "50ms"], "needs --model"),
    (["--system", "cloudmatrix384", "--model", "deepseek-r1", "--decode-tokens-per-chip", "1943"], "needs --tpot"),
    (["--system", "cloudmatrix384", "--model", "deepseek-r1", "--decode-tokens-per-chip", "fast", "--tpot", "50ms"], "--decode-tokens-per-chip"),
    (["--system", "cloudmatrix384", "--model", "deepseek-r1", "--decode-tokens-per-chip", "1943", "--tpot", "50 GB"], "--tpot must be a positive value like 50ms"),
    (["--system", "cloudmatrix385", "--model", "deepseek-r1", "--decode-tokens-per-chip", "1943", "--tpot", "50ms"], "did you mean cloudmatrix384"),
])
def test_bad_input_is_one_line_and_nonzero(args, words):
    r = run("check", *args)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    err = r.stderr.strip()
    assert words in err
    assert len(err.splitlines()) == 1 and err.startswith("chipcalc: error: ")
    assert "Traceback" not in r.stderr and r.stdout == ""
