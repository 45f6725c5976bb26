"""FP8 KV cache on a chip with an FP8 peak: attention runs fp8_attention_speedup times the BF16 attention
peak (engines quantise Q too and run FP8 attention); any other KV precision, or a chip without FP8, keeps
attention in BF16. One rule for every chip."""

import pytest

from chipcalc.calc import serving as L
from chipcalc.calc.serving.inputs import input_figures


def _peak_attn(catalog, target, kv, precision="fp8"):
    kn = L.knobs(catalog)
    hw = L.hardware(catalog.target(target), precision, "package", kn)
    return input_figures(catalog.model("deepseek-r1"), hw, kn, kv)["peak_attn"], hw, kn


@pytest.mark.parametrize("target", ["h20", "b200", "gb200-nvl72", "h100-sxm"])
def test_fp8_kv_speeds_attention_by_the_assumption(catalog, target):
    fp8, hw, kn = _peak_attn(catalog, target, "fp8")
    bf16, _, _ = _peak_attn(catalog, target, "bf16")
    speedup = kn.fp8_attn.m("")
    assert fp8.m("TFLOPS") == pytest.approx(bf16.m("TFLOPS") * speedup, rel=1e-12)
    assert bf16.m("TFLOPS") == pytest.approx(hw.peak_attn.m("TFLOPS"), rel=1e-12)
    assert "fp8_attention_speedup" in {a.name for a in fp8.prov.assumptions}
    assert "fp8_attention_speedup" not in {a.name for a in bf16.prov.assumptions}
    lo, hi = fp8.bounds("TFLOPS")[1:]
    assert lo <= bf16.bounds("TFLOPS")[1] * 1.0 + 1e-9 and hi == pytest.approx(bf16.bounds("TFLOPS")[2] * 2.0, rel=1e-12)


def test_int8_kv_and_chips_without_fp8_keep_bf16_attention(catalog):
    int8, _, _ = _peak_attn(catalog, "h20", "int8")
    bf16, _, _ = _peak_attn(catalog, "h20", "bf16")
    assert int8.m("TFLOPS") == bf16.m("TFLOPS")
    no_fp8, hw, _ = _peak_attn(catalog, "cloudmatrix384", "fp8", precision="int8")  # the 910C has no FP8 peak
    assert no_fp8.m("TFLOPS") == pytest.approx(hw.peak_attn.m("TFLOPS"), rel=1e-12)


def test_the_speedup_never_passes_the_fp8_peak(catalog):
    """The assumption's high end (2) is the FP8 / BF16 dense ratio of every chip that has both."""
    hi = catalog.assumption("fp8_attention_speedup").bounds("")[2]
    ratios = {cid: c.get("fp8_dense").m("TFLOPS") / c.get("bf16_dense").m("TFLOPS")
              for cid, c in ((i, catalog.chip(i)) for i in catalog.chips)
              if c.get("fp8_dense") is not None and c.get("bf16_dense") is not None}
    assert len(ratios) >= 8 and min(ratios.values()) >= hi - 1e-9


def test_fp8_kv_shortens_an_attention_bound_decode_step(catalog):
    """Ant Group's H20 decode (attention-bound in BF16): FP8 KV and attention give a shorter TPOT, by less
    than the speedup itself (other terms stay)."""
    kn = L.knobs(catalog)
    hw = L.hardware(catalog.target("hgx-h20"), "fp8", "package", kn)
    m = catalog.model("deepseek-r1")
    tpot = {}
    for kv in ("bf16", "fp8"):
        lay = L.auto_layout(m, hw, kn, 48, 4864, kv, 16, None, 16, 1)
        tpot[kv] = L.decode(m, hw, lay, kn, 48, 4864, kv_precision=kv).tpot.m("ms")
    assert 1.0 < tpot["bf16"] / tpot["fp8"] < kn.fp8_attn.m("")


def test_latency_table_shows_the_attention_peak_it_used():
    """With FP8 KV the deployment table shows the attention peak the model ran at (148 x 1.7 on an H20),
    marked as resting on the assumption; with BF16 KV the row is absent."""
    from typer.testing import CliRunner

    from chipcalc.cli.root import app

    runner = CliRunner()
    r = runner.invoke(app, ["latency", "hgx-h20", "deepseek-r1", "-p", "fp8", "--kv-precision", "fp8", "--batch", "48"])
    assert r.exit_code == 0, r.stderr
    row = next(line for line in r.stdout.splitlines() if line.startswith("attention peak per rank with FP8 KV"))
    assert "251.6*" in row
    plain = runner.invoke(app, ["latency", "hgx-h20", "deepseek-r1", "-p", "fp8", "--batch", "48"])
    assert plain.exit_code == 0 and "attention peak per rank with FP8 KV" not in plain.stdout


def test_sensitivity_varies_the_speedup_only_with_fp8_kv(catalog):
    from chipcalc.calc.metrics import ServingPoint, serving_inputs

    fp8 = serving_inputs(catalog, ServingPoint("hgx-h20", "llama-3.1-70b", "fp8", "fp8"))
    bf16 = serving_inputs(catalog, ServingPoint("hgx-h20", "llama-3.1-70b", "fp8", "bf16"))
    assert "fp8_attention_speedup" in fp8 and "fp8_attention_speedup" not in bf16
    assert set(fp8) - set(bf16) == {"fp8_attention_speedup"}
