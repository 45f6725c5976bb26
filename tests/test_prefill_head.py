"""Prefill samples one token per prompt, so the output head runs for each prompt's last token only."""

import pytest

from chipcalc.calc import serving as L
from chipcalc.calc import workload


def test_prefill_runs_the_output_head_for_each_prompts_last_token_only(catalog):
    """Llama 3.1 70B on one B200, two prompts of 4,096 tokens in one step: the non-routed matmuls cost 2 FLOP
    per weight per prompt token, except the output head (128,256 x 8,192), which runs for the two last tokens
    only; a decode step runs it for every token. In BF16 the head is one kind with the other matmuls; at FP8 it
    is a kind of its own, at the BF16 peak (embedding_weight_bytes: quantized checkpoints keep it in BF16)."""
    kn = L.knobs(catalog)
    m = catalog.model("llama-3.1-70b")
    lay = L.Layout(chips=1, ranks=1, tp=1, ep=1, mtp=0)
    p = workload.params(m)
    head = 128256 * 8192
    assert p.embed_out.m("") == head
    nrm = p.non_routed_matmul.m("")
    chip = catalog.chip("b200")
    mfu = kn.mfu.m("")
    bf16, fp8 = chip["bf16_dense"].m("FLOP/s") * mfu, chip["fp8_dense"].m("FLOP/s") * mfu
    hw16 = L.hardware(catalog.target("b200"), "bf16", "package", kn)
    pre = L.prefill(m, hw16, lay, kn, 4096, 8192).out.values
    assert pre["c_times"][0] == pytest.approx(((nrm - head) * 2 * 8192 + head * 2 * 2) / bf16, rel=1e-9)
    hw8 = L.hardware(catalog.target("b200"), "fp8", "package", kn)
    pre = L.prefill(m, hw8, lay, kn, 4096, 8192).out.values
    assert pre["c_times"][0] == pytest.approx((nrm - head) * 2 * 8192 / fp8, rel=1e-9)
    assert pre["c_times"][1] == pytest.approx(head * 2 * 2 / bf16, rel=1e-9)
    dec = L.decode(m, hw8, lay, kn, 16, 4096).out.values
    assert dec["c_times"][0] == pytest.approx((nrm - head) * 2 * 16 / fp8, rel=1e-9)
    assert dec["c_times"][1] == pytest.approx(head * 2 * 16 / bf16, rel=1e-9)
    hbm = chip["hbm_bandwidth"].m("B/s") * kn.mbu.m("")
    assert dec["m_times"][1] == pytest.approx(head * 2.0 / hbm, rel=1e-9)


def test_the_deployment_table_names_the_bytes_kept_wider():
    """Below 16 bits the table shows the embedding/head bytes it used, at FP4 the FP4 bytes too; BF16 shows neither."""
    from typer.testing import CliRunner

    from chipcalc.cli.root import app

    run = lambda *a: CliRunner().invoke(app, ["latency", "b200", "llama-3.1-70b", "--batch", "8", *a])  # noqa: E731
    fp4, fp8, bf16 = run("-p", "fp4"), run("-p", "fp8"), run("-p", "bf16", "--chips", "2", "--tp", "2")
    assert fp4.exit_code == fp8.exit_code == bf16.exit_code == 0, (fp4.stderr, fp8.stderr, bf16.stderr)
    row = lambda r, label: next((ln for ln in r.stdout.splitlines() if ln.startswith(label)), None)  # noqa: E731
    assert " 2*" in row(fp8, "bytes per embedding and output-head weight") and row(fp8, "bytes per FP4 weight") is None
    assert " 0.5625*" in row(fp4, "bytes per FP4 weight") and row(fp4, "bytes per embedding") is not None
    assert row(bf16, "bytes per embedding") is None and row(bf16, "bytes per FP4 weight") is None
