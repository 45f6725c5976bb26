"""`chipcalc train`: FLOP count and time on a hand-computed case, DeepSeek-V3's implied MFU, errors."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from chipcalc.calc import train
from chipcalc.claims.load import load
from chipcalc.cli.root import app
from chipcalc.core.errors import UsageError
from tests.conftest import CHIP, SOURCES, SYSTEM, write_specs

# A small dense model and round assumptions, so every number below can be checked by hand.
MODEL = """
id = "tinylm"
name = "Tiny LM"
vendor = "Test"
architecture = "dense"
attention = "mha"
[params_total]
value = "1e9"
source = "src-a"
[params_active]
value = "1e9"
source = "src-a"
[layers]
value = "10"
source = "src-a"
[hidden_size]
value = "512"
source = "src-a"
[attention_heads]
value = "8"
source = "src-a"
[head_dim]
value = "64"
source = "src-a"
[kv_heads]
value = "8"
source = "src-a"
[vocab_size]
value = "32000"
source = "src-a"
"""

ASSUMPTIONS = """
[train_mfu]
value = "0.5"
assumption = "a round utilisation for the hand-computed test"
[train_seq_len]
value = "1000"
assumption = "a round sequence length for the test"
[train_attention_causal_fraction]
value = "0.5"
assumption = "causal kernels skip the masked half (test)"
[train_weight_bytes_per_param]
value = "2 B"
assumption = "BF16 weights (test)"
[train_gradient_bytes_per_param]
value = "2 B"
assumption = "BF16 gradients (test)"
[train_optimizer_bytes_per_param]
value = "12 B"
assumption = "FP32 master and Adam moments (test)"
[train_activation_checkpoint_bytes]
value = "2 B"
assumption = "full recomputation (test)"
[train_activation_working_bytes]
value = "34 B"
assumption = "one layer's working set (test)"
[train_microbatch_sequences]
value = "1"
assumption = "one sequence per chip (test)"
[train_hbm_usable_fraction]
value = "0.9"
assumption = "ten percent reserved (test)"
[train_global_batch_tokens]
value = "1e6 token"
assumption = "a round batch for the test"
[train_allreduce_efficiency]
value = "0.8"
assumption = "eighty percent of the link (test)"
"""

runner = CliRunner()


@pytest.fixture
def tiny(tmp_path):
    root = write_specs(tmp_path / "specs", {
        "sources.toml": SOURCES, "chips/testchip.toml": CHIP, "systems/testsys.toml": SYSTEM,
        "models/tinylm.toml": MODEL, "assumptions-train.toml": ASSUMPTIONS,
    })
    cat, problems = load([root])  # built-ins plus the test folder, whose assumptions override
    assert problems == [], problems
    return cat, root


def _run(cat, target: str, chips=None, **kw):
    model = cat.model("tinylm")
    a = train.assumptions(cat)
    fc = train.training_flops(model, train.parse_amount("1T", "--tokens", "token"), a["train_seq_len"],
                              a["train_attention_causal_fraction"])
    n = None if chips is None else train.parse_amount(str(chips), "--chips", whole=True)
    return fc, train.run(model, train.make_target(cat.target(target), n, cat.systems), fc, "bf16", a, **kw)


def test_flops_and_time_hand_computed(tiny):
    cat, _ = tiny
    fc, r = _run(cat, "testsys")
    # dense: 6 x 1e9 = 6e9 FLOP/token
    assert fc.dense_per_token.m("FLOP/token") == pytest.approx(6e9)
    # attention: 6 x 10 layers x 1000 seq x 8 heads x (64 + 64) x 0.5 = 30,720,000 FLOP/token
    assert fc.attention_per_token.m("FLOP/token") == pytest.approx(30_720_000)
    # total: 1e12 tokens x 6.03072e9 = 6.03072e21 FLOP
    assert fc.total.m("FLOP") == pytest.approx(6.03072e21)
    # time: 6.03072e21 / (10 chips x 100e12 FLOPS x 0.5) = 1.206144e7 s = 139.6 days
    assert r.time.m("s") == pytest.approx(1.206144e7)
    assert r.time.m("day") == pytest.approx(1.206144e7 / 86400)
    # chip-hours: 10 x 1.206144e7 s / 3600 = 33,504 h; energy at TDP: 33,504 h x 500 W = 16.752 MWh
    assert r.hours.m("h") == pytest.approx(33_504)
    assert r.energy_tdp.m("MWh") == pytest.approx(16.752)
    assert r.energy_tdp.assumed  # the test chip's TDP is an assumption
    # all-in: the system's 8 kW over 10 chips = 800 W per chip -> 33,504 h x 800 W = 26.8032 MWh
    assert r.energy_allin.m("MWh") == pytest.approx(26.8032)
    # the chip's BF16 figure has an alternative (120 TFLOPS): the time carries the range
    assert r.time.has_range and r.time.lo.m_as("s") == pytest.approx(6.03072e21 / (10 * 120e12 * 0.5))


def test_allreduce_and_memory_hand_computed(tiny):
    cat, _ = tiny
    _, r = _run(cat, "testsys")
    c, m = r.comm, r.mem
    # 1e9 params x 2 B = 2 GB; ring: 2 x 9/10 x 2 GB = 3.6 GB per chip per step
    assert c.grad_bytes.m("GB") == pytest.approx(2)
    assert c.sent_per_chip.m("GB") == pytest.approx(3.6)
    # all 10 chips in the 10-chip scale-up tier: 3.6 GB / (200 GB/s x 0.8) = 0.0225 s
    assert c.link.kind == "scale-up"
    assert c.time_at["scale-up"].m("s") == pytest.approx(0.0225)
    # compute per step: 1e6 tokens x 6.03072e9 FLOP / (10 x 100e12 x 0.5) = 12.06144 s
    assert c.compute_step.m("s") == pytest.approx(12.06144)
    assert c.share.m("") == pytest.approx(0.0225 / (0.0225 + 12.06144))
    # memory: 16 B/param -> 16 GB state, 1.6 GB per chip; activations 1000 x 512 x (10 x 2 + 34) B
    assert m.state_per_chip.m("GB") == pytest.approx(1.6)
    assert m.activations.m("B") == pytest.approx(1000 * 512 * 54)
    assert m.usable.m("GB") == pytest.approx(72)  # 2 dies x 40 GB x 0.9
    assert m.fits is True and m.fewest_chips.m("") == 1


def test_cli_small_case(tiny):
    _, root = tiny
    res = runner.invoke(app, ["train", "tinylm", "--tokens", "1T", "--chip", "testchip", "--chips", "10", "--specs", str(root)])
    assert res.exit_code == 0, res.stderr
    assert "139.6" in res.stdout  # days, as computed above
    assert "33,504" in res.stdout  # chip-hours
    assert "input: --tokens 1T; --chips 10" in res.stdout


def test_deepseek_v3_implied_mfu(catalog):
    """DeepSeek-V3 report (arXiv 2412.19437, Table 1): 2.788M H800 GPU-hours in total for 14.8T tokens.

    By hand, with the catalog's card and the default assumptions (seq 4096, causal fraction 0.5):
      dense      6 x 37e9                                   = 2.22e11 FLOP/token
      attention  6 x 61 x 4096 x 128 x (192 + 128) x 0.5    = 3.0702e10 FLOP/token
      total      2.52702e11 x 14.8e12 tokens                = 3.73999e24 FLOP
      available  2.788e6 h x 3600 s/h x 989.4e12 FLOPS     = 9.93041e24 FLOP (H800 BF16 dense peak)
      implied MFU = 3.73999e24 / 9.93041e24                 = 0.3766 (37.7 %; 6ND alone: 33.1 %)
    Against the FP8 peak (1979 TFLOPS) the same budget implies 18.8 %.
    """
    model, a = catalog.model("deepseek-v3"), train.assumptions(catalog)
    fc = train.training_flops(model, train.parse_amount("14.8T", "--tokens", "token"), a["train_seq_len"],
                              a["train_attention_causal_fraction"])
    assert fc.per_token.m("GFLOP/token") == pytest.approx(252.7, abs=0.1)  # ISCA '25 Table 2 gives ~250
    budget = train.parse_amount("2.788M", "--gpu-hours", "h")
    r = train.run(model, train.make_target(catalog.chip("h800"), None, catalog.systems), fc, "bf16", a, budget_hours=budget)
    assert r.mfu.m("") == pytest.approx(0.3766, abs=0.0005)
    assert train.plausible(r.mfu).startswith("plausible")
    r8 = train.run(model, train.make_target(catalog.chip("h800"), None), fc, "fp8", a, budget_hours=budget)
    assert r8.mfu.m("") == pytest.approx(0.1883, abs=0.0005)
    res = runner.invoke(app, ["train", "deepseek-v3", "--tokens", "14.8T", "--chip", "h800", "--gpu-hours", "2.788M"])
    assert res.exit_code == 0, res.stderr
    assert "37.66" in res.stdout and "plausible" in res.stdout


def test_implausible_budget_flagged(catalog):
    res = runner.invoke(app, ["train", "deepseek-v3", "--tokens", "14.8T", "--chip", "h800", "--gpu-hours", "500k"])
    assert res.exit_code == 0, res.stderr
    assert "IMPLAUSIBLE" in res.stdout


@pytest.mark.parametrize("text", ["15T", "1.5e13", "15e12", "15000B", "15,000,000,000,000"])
def test_token_counts_parse(text):
    assert train.parse_amount(text, "--tokens", "token").m("token") == pytest.approx(1.5e13)


@pytest.mark.parametrize("text", ["15X", "T", "", "abc", "0", "-5T", "nan"])
def test_token_counts_rejected(text):
    with pytest.raises(UsageError):
        train.parse_amount(text, "--tokens", "token")


def test_issue_commands_run():
    for args in (
        ["deepseek-v3", "--tokens", "14.8T", "--system", "cloudmatrix384", "--precision", "bf16"],
        ["llama-3.1-70b", "--tokens", "15T", "--chips", "1024", "--chip", "ascend-910b", "--mfu", "0.35"],
        ["deepseek-v3", "--tokens", "14.8T", "--chip", "h800", "--gpu-hours", "2.788M"],
        ["llama-3.1-70b", "--tokens", "15T", "--compare", "ascend-910b", "h20", "h100-sxm", "--chips", "1024"],
        ["llama-3.1-70b", "--tokens", "1.5e13", "--chip", "h20", "--chips", "64", "--format", "json"],
        ["llama-3.1-70b", "--tokens", "15e12", "--chip", "h20", "--chips", "64", "--format", "csv"],
    ):
        res = runner.invoke(app, ["train", *args])
        assert res.exit_code == 0, (args, res.stderr)


def test_compare_columns():
    res = runner.invoke(app, ["train", "llama-3.1-70b", "--tokens", "15T", "--compare", "ascend-910b", "h20", "h100-sxm",
                              "--chips", "1024", "--format", "json"])
    import json

    data = json.loads(res.stdout)
    time = next(t for t in data["tables"] if t["key"] == "train.time")
    assert time["columns"] == ["ascend-910b", "h20", "h100-sxm"]


@pytest.mark.parametrize("args, words", [
    (["--tokens", "15X", "--chip", "h800", "--chips", "8"], "not a number"),
    (["--tokens", "0", "--chip", "h800", "--chips", "8"], "must be a positive, finite number"),
    (["--tokens", "-5T", "--chip", "h800", "--chips", "8"], "must be a positive, finite number"),
    (["--tokens", "15T", "--chip", "h800", "--chips", "0"], "must be a positive, finite number"),
    (["--tokens", "15T", "--chip", "h800", "--chips", "-3"], "must be a positive, finite number"),
    (["--tokens", "15T", "--chip", "h800", "--chips", "many"], "not a number"),
    (["--tokens", "15T", "--chip", "h800", "--chips", "8", "--mfu", "1.5"], "(0, 1]"),
    (["--tokens", "15T", "--chip", "h800", "--chips", "8", "--mfu", "0"], "(0, 1]"),
    (["--tokens", "15T", "--chip", "h800", "--chips", "8", "--mfu", "-0.3"], "(0, 1]"),
    (["--tokens", "15T", "--chip", "ascend-910c", "--chips", "8", "--precision", "fp8"], "no fp8_dense figure"),
    (["--tokens", "15T", "--system", "cloudmatrix384", "--precision", "fp8"], "no fp8_dense figure"),
    (["--tokens", "15T", "--chip", "h800"], "--chips"),
    (["--chip", "h800", "--chips", "8"], "missing --tokens"),
    (["--tokens", "15T", "--chip", "h800", "--gpu-hours", "1M", "--mfu", "0.4"], "exclude"),
])
def test_errors_one_line(args, words):
    res = runner.invoke(app, ["train", "deepseek-v3", *args])
    assert res.exit_code != 0
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chipcalc: error:"), res.stderr
    assert words in lines[0]
    assert "Traceback" not in res.stderr
