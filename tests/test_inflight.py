"""Offline throughput with in-flight batching (the default of `latency --isl --osl`): every step decodes the
batch and computes the prompt tokens of the requests that replace finished ones (b x accepted x isl / osl per
rank), one pass over the weights for both. Hand-computed on one H200 with Llama 3.1 70B at FP8."""

import pytest
from typer.testing import CliRunner

from chipcalc.calc import serving as L
from chipcalc.calc import workload
from chipcalc.cli.root import app

ISL, OSL, B = 1000.0, 1000.0, 8.0


def _setup(catalog):
    kn = L.knobs(catalog)
    m = catalog.model("llama-3.1-70b")
    hw = L.hardware(catalog.target("h200"), "fp8", "package", kn)
    lay = L.Layout(chips=1, ranks=1, tp=1, ep=1, mtp=0)
    return kn, m, hw, lay, L.setup_for(m, hw, kn, "bf16")


def test_one_inflight_step_by_hand(catalog):
    kn, m, hw, lay, setup = _setup(catalog)
    v = L.Outputs(setup, "inflight", L.shape(m, hw, lay), B, (ISL, OSL)).values
    chip = catalog.chip("h200")
    mfu, mbu = kn.mfu.m(""), kn.mbu.m("")
    fp8, bf16 = chip["fp8_dense"].m("FLOP/s") * mfu, chip["bf16_dense"].m("FLOP/s") * mfu
    bw = chip["hbm_bandwidth"].m("B/s") * mbu
    p = workload.params(m)
    head, nrm = p.embed_out.m(""), p.non_routed_matmul.m("")
    kv_tok = 2 * 80 * 8 * 128 * 2  # BF16 KV: K and V x layers x KV heads x head dim x 2 B
    prompt = B * ISL / OSL  # 8 prompt tokens per step: each step completes 1/1000 of each of the 8 requests
    assert v["prompt_tokens"] == pytest.approx(prompt)
    attn = 2 * 64 * (128 + 128) * 80  # FLOP per token per token of context: 2 x heads x (d_qk + d_v) x layers
    kinds = [((nrm - head) * 2 * (B + prompt) / fp8, (nrm - head) * 1.0 / bw),  # FP8 matmuls, decode and prompt tokens
             (head * 2 * (B + prompt / ISL) / bf16, head * 2.0 / bw),  # the BF16 head: every decode token, each prompt's last
             (attn * (ISL * 0.5) * prompt / bf16, kv_tok * prompt / bw),  # the prompt tokens' attention (causal: isl / 2)
             (attn * (ISL + OSL / 2) * B / bf16, kv_tok * B * (ISL + OSL / 2) / bw)]  # decode at the mean context
    assert v["c_times"] == pytest.approx([c for c, _ in kinds], rel=1e-9)
    assert v["m_times"] == pytest.approx([mm for _, mm in kinds], rel=1e-9)
    step = sum(max(c, mm) for c, mm in kinds) + kn.layer.m("s") * 80  # one chip: no communication
    assert v["tpot"] == pytest.approx(step, rel=1e-9)
    assert v["per_chip"] == pytest.approx(B / step, rel=1e-9)
    assert v["e2e"] == pytest.approx(step * OSL, rel=1e-9)


def test_inflight_beats_alternated_where_decode_leaves_compute_idle(catalog):
    """A memory-bound decode step has compute to spare for the prompt tokens, so in-flight batching delivers
    more than prefilling each cohort apart; --alternate keeps the older model."""
    kn, m, hw, lay, setup = _setup(catalog)
    s = L.shape(m, hw, lay)
    inflight = L.Outputs(setup, "inflight", s, 64.0, (ISL, OSL)).values["per_chip"]
    alternated = L.Outputs(setup, "offline", s, 64.0, (ISL, OSL)).values["per_chip"]
    assert 1.2 < inflight / alternated < 1.35  # 64 sequences: 2,261 against 1,793 tokens/s (this catalog)
    runner = CliRunner()
    args = ["latency", "h200", "llama-3.1-70b", "-p", "fp8", "--isl", "1000", "--osl", "1000", "--batch", "8"]
    default, alt = runner.invoke(app, args), runner.invoke(app, args + ["--alternate"])
    assert default.exit_code == alt.exit_code == 0, (default.stderr, alt.stderr)
    assert "in-flight batching" in default.stdout and "(the two phases alternated)" in alt.stdout
    assert "prompt tokens per rank computed in each step" in default.stdout
    assert "prefill of the cohort's prompts" in alt.stdout and "prefill of the cohort's prompts" not in default.stdout


def test_the_offline_mode_without_isl_osl_is_a_usage_error():
    for flag in ("--inflight", "--alternate"):
        r = CliRunner().invoke(app, ["latency", "h200", "llama-3.1-70b", "-p", "fp8", flag])
        assert r.exit_code == 2 and f"{flag} chooses how offline throughput runs: give --isl and --osl too" in r.stderr
