"""At FP4, a model whose card says its FP4 checkpoint keeps the attention projections in BF16
(``fp4_attention_bytes = "2 B"``: DeepSeek-V3/R1 as NVIDIA's ModelOpt scripts write them) has those projections
costed at the BF16 peak and 2 bytes per weight, in the memory fit and in every step; any other precision, and a
model without the figure, as before. Hand-computed from the DeepSeek-V3 config."""

import pytest

from chipcalc.calc import serving as L
from chipcalc.calc import workload

# MLA per layer: q_a (7168 x 1536), q_b (1536 x 128 x 192), kv_a (7168 x 576), kv_b (512 x 128 x 256), o (128 x 128 x 7168)
ATTN_PER_LAYER = 7168 * 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 * 128 * 256 + 128 * 128 * 7168
ATTN = ATTN_PER_LAYER * 61
HEAD = 129280 * 7168  # output head: vocabulary x hidden (the input embedding is as large)
EMB = 2 * HEAD
NVFP4 = 0.5 + 1 / 16  # bytes per FP4 weight: 4 bits and one FP8 scale per 16 weights (fp4_weight_bytes)


def test_the_attention_parameters_by_hand(catalog):
    assert ATTN_PER_LAYER == 187_105_280
    assert workload.params(catalog.model("deepseek-r1")).attention.m("") == ATTN


def test_fp4_weight_bytes_keep_the_attention_projections_in_bf16(catalog):
    m = catalog.model("deepseek-r1")
    total = workload.params(m).total.m("")
    fp4 = workload.weight_bytes(m, "fp4")
    assert fp4.m("B") == pytest.approx((total - ATTN) * 0.5 + ATTN * 2.0, rel=1e-12)
    assert fp4.m("B") - total * 0.5 == pytest.approx(17.120133120e9, rel=1e-9)  # 1.5 B more per attention weight
    assert "modelopt-deepseek-ptq" in fp4.sources
    fp8 = workload.weight_bytes(m, "fp8")
    assert fp8.m("B") == pytest.approx(total, rel=1e-12) and "modelopt-deepseek-ptq" not in fp8.sources
    llama = catalog.model("llama-3.1-70b")  # no such figure: every weight at FP4
    assert workload.weight_bytes(llama, "fp4").m("B") == pytest.approx(workload.params(llama).total.m("") * 0.5, rel=1e-12)


def _decode(catalog, precision, model="deepseek-r1", batch=64):
    kn = L.knobs(catalog)
    hw = L.hardware(catalog.target("b200"), precision, "package", kn)
    lay = L.Layout(chips=8, ranks=8, tp=1, ep=8, mtp=0)  # attention DP8, experts EP8
    return L.decode(catalog.model(model), hw, lay, kn, batch, 2000), kn


def test_a_decode_step_costs_the_projections_at_the_bf16_peak_and_bf16_bytes(catalog):
    d, kn = _decode(catalog, "fp4")
    v = d.out.values
    chip = catalog.chip("b200")
    mfu, mbu = kn.mfu.m(""), kn.mbu.m("")
    bf16, fp4 = chip["bf16_dense"].m("FLOP/s"), chip["fp4_dense"].m("FLOP/s")
    hbm = chip["hbm_bandwidth"].m("B/s")
    # other non-routed matmuls, attention projections, output head, routed experts, attention
    assert len(v["c_times"]) == 5
    # 64 tokens per rank; TP1: each rank reads every attention weight and the whole head, 2 B each
    assert v["c_times"][1] == pytest.approx(ATTN * 2 * 64 / (bf16 * mfu), rel=1e-9)
    assert v["m_times"][1] == pytest.approx(ATTN * 2.0 / (hbm * mbu), rel=1e-9)
    assert v["c_times"][2] == pytest.approx(HEAD * 2 * 64 / (bf16 * mfu), rel=1e-9)
    assert v["m_times"][2] == pytest.approx(HEAD * 2.0 / (hbm * mbu), rel=1e-9)
    nrm = workload.params(catalog.model("deepseek-r1")).non_routed_matmul.m("")
    assert v["c_times"][0] == pytest.approx((nrm - ATTN - HEAD) * 2 * 64 / (fp4 * mfu), rel=1e-9)
    assert v["m_times"][0] == pytest.approx((nrm - ATTN - HEAD) * NVFP4 / (hbm * mbu), rel=1e-9)
    assert "modelopt-deepseek-ptq" in d.tpot.sources
    assert {"fp4_weight_bytes", "embedding_weight_bytes"} <= set(d.tpot.assumptions)


def test_other_precisions_and_models_have_fewer_kinds(catalog):
    """FP8: the head apart (embedding_weight_bytes), no attention kind (no FP8 reading on the card); BF16: one
    non-routed kind; Qwen3 at FP4: no fp4_attention_bytes figure, so the head alone is apart."""
    fp8, _ = _decode(catalog, "fp8")
    assert len(fp8.out.values["c_times"]) == 4 and "modelopt-deepseek-ptq" not in fp8.tpot.sources
    assert "embedding_weight_bytes" in fp8.tpot.assumptions and "fp4_weight_bytes" not in fp8.tpot.assumptions
    bf16, _ = _decode(catalog, "bf16", batch=8)
    assert len(bf16.out.values["c_times"]) == 3 and "embedding_weight_bytes" not in bf16.tpot.assumptions
    qwen, _ = _decode(catalog, "fp4", model="qwen3-235b-a22b")
    assert len(qwen.out.values["c_times"]) == 4


def test_the_memory_fit_holds_the_projections_in_bf16(catalog):
    """Per rank (TP1, EP8): every non-routed weight, 32 of the 256 routed experts of each of the 58 MoE layers;
    the attention projections, embedding table and head at 2 B, the rest at 0.5625 B (NVFP4 with its scales). Without the card figure the same deployment holds
    1.5 B less per attention weight and fits a larger batch."""
    import dataclasses

    d, kn = _decode(catalog, "fp4")
    m = catalog.model("deepseek-r1")
    p = workload.params(m)
    assert p.embed_in.m("") + p.embed_out.m("") == EMB
    expected = (p.non_routed.m("") - ATTN - EMB) * NVFP4 + (ATTN + EMB) * 2.0 + p.expert.m("") * 32 * 58 * NVFP4
    assert d.out.values["mem_weights"] == pytest.approx(expected, rel=1e-12)
    bare = dataclasses.replace(m, figures={k: f for k, f in m.figures.items() if k != "fp4_attention_bytes"})
    hw = L.hardware(catalog.target("b200"), "fp4", "package", kn)
    without = L.decode(bare, hw, L.Layout(chips=8, ranks=8, tp=1, ep=8, mtp=0), kn, 64, 2000).out.values
    assert d.out.values["mem_weights"] - without["mem_weights"] == pytest.approx(ATTN * (2.0 - NVFP4), rel=1e-12)
    assert without["mem_max_batch"] > d.out.values["mem_max_batch"]
    assert without["time"] < d.out.values["time"]


def test_the_latency_table_says_which_precision_the_projections_ran_at(catalog):
    from typer.testing import CliRunner

    from chipcalc.cli.root import app

    r = CliRunner().invoke(app, ["latency", "b200", "deepseek-r1", "-p", "fp4", "--chips", "8", "--batch", "64"])
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "attention projections BF16" in lines[0]
    row = next(line for line in lines if line.startswith("attention projections' bytes per weight"))
    assert " 2 " in row
    peak = next(line for line in lines if line.startswith("BF16 dense peak per rank (attention projections)"))
    bf16 = catalog.chip("b200")["bf16_dense"].m("TFLOPS")
    assert f"{bf16:,.0f}" in peak
    plain = CliRunner().invoke(app, ["latency", "b200", "deepseek-r1", "-p", "fp8", "--chips", "8", "--batch", "64"])
    assert plain.exit_code == 0 and "attention projections" not in plain.stdout



def test_fp4_weights_carry_their_block_scales(catalog):
    """fp4_weight_bytes: NVFP4's 4 bits plus one FP8 scale per 16 weights, 0.5625 B, MXFP4's 0.53125 B at the
    low end; the model table's FP4 weight bytes use it (Llama 3.1 70B: every weight at 0.5625 B)."""
    f = catalog.assumption("fp4_weight_bytes")
    assert f.bounds("B") == (pytest.approx(0.5625), pytest.approx(0.53125), pytest.approx(0.5625))
    llama = catalog.model("llama-3.1-70b")
    total = workload.params(llama).total.m("")
    assert workload.weight_bytes(llama, "fp4", f).m("B") == pytest.approx(total * 0.5625, rel=1e-12)
    assert workload.weight_bytes(llama, "fp8", f).m("B") == pytest.approx(total * 1.0, rel=1e-12)
    m = catalog.model("deepseek-r1")
    p = workload.params(m)
    assert workload.weight_bytes(m, "fp4", f).m("B") == pytest.approx((p.total.m("") - ATTN) * 0.5625 + ATTN * 2, rel=1e-12)
    emb = catalog.assumption("embedding_weight_bytes")
    assert workload.weight_bytes(m, "fp4", f, emb).m("B") == pytest.approx(
        (p.total.m("") - ATTN - EMB) * 0.5625 + (ATTN + EMB) * 2, rel=1e-12)
    assert workload.weight_bytes(m, "int8", None, emb).m("B") == pytest.approx((p.total.m("") - EMB) * 1 + EMB * 2, rel=1e-12)
    assert workload.weight_bytes(m, "bf16", None, emb).m("B") == pytest.approx(p.total.m("") * 2, rel=1e-12)
