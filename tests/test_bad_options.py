"""Options that used to give a silently wrong number (exit 0) now give a one-line usage error (exit 2): found by a
bad-input audit of every command."""

import pytest
from typer.testing import CliRunner

from chipcalc.cli.root import app

runner = CliRunner()
LONG = ("is above deepseek-r1's maximum context of 163,840 tokens (specs/models/deepseek-r1.toml: max_context); "
        "use a context of at most 163,840")


@pytest.mark.parametrize("args, message", [
    # a count with commas out of place was read as the digits run together (123 chips)
    (["fleet", "h20:1,2,3"], "'1,2,3' is not a count or a named volume (write e.g. h20:200000, h20:200k)"),
    (["fleet", "h20:1,5k"], "'1,5k' is not a count or a named volume (write e.g. h20:200000, h20:200k)"),
    # a volume of dies (of several models) counted as packages: 2x the compute
    (["fleet", "ascend-910c:ascend-dies-2025"], "volume 'ascend-dies-2025' counts dies (Ascend compute dies (two per 910C) "
     "made in 2025, including dies from inventory), and a fleet counts packages; give a package count, e.g. ascend-910c:200000"),
    (["fleet", "ascend-910c:h20-2024"], "volume 'h20-2024' counts h20, not ascend-910c; write h20:h20-2024 or h20-2024"),
    # limits that limit nothing
    (["pareto", "cloudmatrix384", "deepseek-r1", "--ttft", "inf s"], "--ttft: expected a positive, finite time like 50ms, got 'inf s'"),
    (["latency", "cloudmatrix384", "deepseek-r1", "--tpot", "inf ms"], "--tpot: expected a positive, finite time like 50ms, got 'inf ms'"),
    # contexts above the model's maximum, in every command that takes one
    (["pareto", "cloudmatrix384", "deepseek-r1", "-c", "1M"], f"--context 1,000,000 {LONG}"),
    (["sweep", "latency", "cloudmatrix384", "deepseek-r1", "--context", "1Ki:1Mi:x2"], f"--context up to 1,048,576 {LONG}"),
    (["check", "--system", "hgx-h20", "-m", "deepseek-r1", "--tpot", "50ms", "--decode-tokens-per-chip", "100", "-c", "10M"],
     f"--context 10,000,000 {LONG}"),
    (["sensitivity", "cloudmatrix384", "-m", "deepseek-r1", "-c", "1M"], f"--context 1000000 {LONG}"),
    # a grid of 1e12 points ran for days
    (["sweep", "latency", "cloudmatrix384", "deepseek-r1", "--batch", "1:1e6", "--context", "1:1e6", "--summary"],
     "--batch x --context is 1,000,000,000,000 points; a sweep takes at most 1,000,000,000 (about a minute); "
     "use a coarser step (e.g. :x2) or a shorter range"),
])
def test_one_line_usage_error(args, message):
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and r.stderr.strip() == f"chipcalc: error: {message}", (r.exit_code, r.stderr, r.stdout[:200])


@pytest.mark.parametrize("kind, args", [
    ("latency", ["plot", "latency", "cloudmatrix384", "--model", "deepseek-r1", "-c", "1M"]),
    ("roofline", ["plot", "roofline", "h20", "-m", "deepseek-r1", "-c", "1M"]),
    ("pareto", ["plot", "pareto", "cloudmatrix384", "deepseek-r1", "-c", "1M"]),
])
def test_plots_refuse_a_context_above_the_model_and_write_nothing(tmp_path, kind, args):
    out = tmp_path / f"{kind}.png"
    r = runner.invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 2 and r.stderr.strip() == f"chipcalc: error: --context 1,000,000 {LONG}" and not out.exists()


def test_good_counts_and_volumes_still_read():
    for text, shown in (("h20:1,000,000", "1 M"), ("h20:1_000", "1,000"), ("h20:200k", "200,000"), ("h20:h20-2024", "")):
        r = runner.invoke(app, ["fleet", text])
        assert r.exit_code == 0 and shown in r.stdout, (text, r.stderr)


def test_a_chip_without_a_bf16_peak_is_a_data_gap_not_a_precision_choice(tmp_path):
    """Attention runs at BF16 whatever --precision: a chip without bf16_dense gets an error that says so (exit 1),
    not 'choose another --precision' when the precision it names was chosen."""
    user = tmp_path / "mine" / "chips"
    user.mkdir(parents=True)
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "specs" / "chips" / "tpu-v7.toml").read_text()
    text = re.sub(r"\n\[bf16_dense\]\n(?:[^\[]*\n)", "\n", text, count=1).replace('id = "tpu-v7"', 'id = "qa-tpu"')
    (user / "qa-tpu.toml").write_text(text)
    r = runner.invoke(app, ["latency", "qa-tpu", "deepseek-r1", "-p", "fp8", "--chips", "64", "--specs", str(tmp_path / "mine")])
    assert r.exit_code == 1, (r.exit_code, r.stderr)
    assert "qa-tpu has no bf16 peak (bf16_dense, " in r.stderr and "whatever --precision" in r.stderr
    # the catalog's own TPU v7 now has Google Cloud's BF16 peak
    r = runner.invoke(app, ["latency", "tpu-v7-pod", "deepseek-r1", "-p", "fp8", "--kv-precision", "fp8"])
    assert r.exit_code == 0, r.stderr


@pytest.mark.parametrize("args, message", [
    (["train", "deepseek-v3", "-t", "1T", "--chip", "h20", "-n", "1e30"],
     "--chips '1e30': at most 2^53 (9,007,199,254,740,992), the largest count computed exactly"),
    (["train", "deepseek-v3", "-t", "1T", "--chip", "h20", "-n", "1,5k"],
     "--chips '1,5k': a comma only separates thousands (1,024); write e.g. 1.5k"),
    (["train", "deepseek-v3", "-t", "1e400", "--chip", "h20", "-n", "1k"], "--tokens must be a positive, finite number, got '1e400'"),
    (["cluster", "cloudmatrix384", "--method", "montecarlo", "--samples", "10"], "--samples: must be at least 100, got '10'"),
    (["latency", "cloudmatrix384", "deepseek-r1", "--isl", "1k", "--osl", "1k", "--tpot", "50ms"],
     "--tpot is for decode; with --isl/--osl the context is the request length and the batch the largest that fits (or --batch)"),
])
def test_more_one_line_usage_errors(args, message):
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and r.stderr.strip() == f"chipcalc: error: {message}", (r.exit_code, r.stderr)


def test_a_latency_plot_where_not_one_sequence_fits_says_so(tmp_path):
    r = runner.invoke(app, ["plot", "latency", "hgx-h20", "deepseek-r1", "-o", str(tmp_path / "l.png")])
    assert r.exit_code == 2 and "Not one sequence fits: try a system with more chips" in r.stderr
    assert "Try smaller --batch" not in r.stderr and not (tmp_path / "l.png").exists()


def test_layers_changed_alone_is_refused():
    """--set llama-3.1-70b.layers=160 gave the 80 extra layers attention and no FFN (82.6 B parameters)."""
    r = runner.invoke(app, ["model", "llama-3.1-70b", "--set", "llama-3.1-70b.layers=160"])
    assert r.exit_code == 2 and r.stderr.strip() == (
        "chipcalc: error: --set llama-3.1-70b.layers=160: llama-3.1-70b.layers: 160 layers is not dense_layers 80 = 80; "
        "every layer has a dense or a MoE FFN, so set dense_layers with layers")
    r = runner.invoke(app, ["model", "llama-3.1-70b", "--set", "llama-3.1-70b.layers=160", "--set", "llama-3.1-70b.dense_layers=160"])
    assert r.exit_code == 0 and "139 B" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["compare", "h20", "h20"], "each chip once: h20, h20 names one twice"),
    (["pareto", "cloudmatrix384", "cloudmatrix384", "deepseek-r1"], "each target once: cloudmatrix384, cloudmatrix384 names one twice"),
    (["sensitivity", "cloudmatrix384", "--vs", "cloudmatrix384"], "each system once: cloudmatrix384, cloudmatrix384 names one twice"),
    (["train", "deepseek-v3", "-t", "1T", "--compare", "h20", "h20", "-n", "8"], "each target once: h20, h20 names one twice"),
    (["list", "--vendor", "zzz"], "--vendor 'zzz' matches no chip or system; vendors: AMD, Alibaba (T-Head), Google, Huawei, "
     "Kunlunxin (Baidu), Moore Threads, NVIDIA"),
    # options that did nothing without the mode they belong to
    (["cluster", "cloudmatrix384", "--samples", "1000"], "--samples applies to --method montecarlo; add it, or drop --samples"),
    (["supply", "ascend-910c", "--seed", "3"], "--seed applies to --method montecarlo; add it, or drop --seed"),
    (["latency", "cloudmatrix384", "deepseek-r1", "-p", "int8", "--mtp-acceptance", "0.5"],
     "--mtp-acceptance applies to speculative tokens: add --mtp N (N >= 1), or drop --mtp-acceptance"),
    (["plot", "roofline", "h20", "-b", "8", "-o", "never.png"],
     "--batch and --context place a model's steps on the roofline: add --model, or drop them"),
])
def test_duplicates_empty_filters_and_idle_options(args, message):
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and r.stderr.strip() == f"chipcalc: error: {message}", (r.exit_code, r.stderr)


@pytest.mark.parametrize("args, message", [
    (["supply", "ascend-910c", "--scenario", "ascend-910c-2025", "--year", "2026"],
     "--scenario ascend-910c-2025 is of 2025, not --year 2026: drop one of them"),
    (["supply", "ascend-910c", "--per", "quarter"], "--per is the period of --target: add --target N, or drop --per"),
    (["supply", "ascend-910c", "--target", "1.5"], "--target must be a positive whole number of packages, got '1.5'"),
    (["supply", "ascend-910c", "--target", "1,5k"], "--target '1,5k' is not a number of packages (write e.g. 700000, 700k or 1.5M)"),
])
def test_supply_options(args, message):
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and r.stderr.strip() == f"chipcalc: error: {message}", (r.exit_code, r.stderr)


def test_a_prefill_step_whose_prompts_do_not_fit_is_refused():
    """--prefill-tokens 1e12 gave a TTFT of 1.4e8 s; the KV cache of those prompts cannot be held."""
    r = runner.invoke(app, ["latency", "cloudmatrix384", "deepseek-r1", "-p", "int8", "--prefill-tokens", "1e12"])
    assert r.exit_code == 2 and "does not fit in cloudmatrix384's HBM beside the weights; at most " in r.stderr
    assert r.stdout == ""
    r = runner.invoke(app, ["latency", "cloudmatrix384", "deepseek-r1", "-p", "int8", "--prefill-tokens", "16384"])
    assert r.exit_code == 0 and "TTFT" in r.stdout


def test_computing_commands_warn_of_what_validate_fails_on_in_user_folders(tmp_path):
    """A user chip with 3.6 TiB/s and no detail showing the source wrote TiB: `validate` fails; `chip` computes
    (3.958 TB/s, pint's conversion) and says why validate would fail, on stderr, once."""
    from pathlib import Path

    chips = tmp_path / "mine" / "chips"
    chips.mkdir(parents=True)
    text = (Path(__file__).resolve().parents[1] / "specs" / "chips" / "h20.toml").read_text()
    (chips / "qa-tib.toml").write_text(text.replace('id = "h20"', 'id = "qa-tib"').replace('value = "4.0 TB/s"', 'value = "3.6 TiB/s"'))
    r = runner.invoke(app, ["chip", "qa-tib", "--specs", str(tmp_path / "mine")])
    assert r.exit_code == 0 and "3.958" in r.stdout
    warned = [ln for ln in r.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warned) == 1 and "hbm_bandwidth: 3.6 TiB/s uses a binary prefix" in warned[0] and "`chipcalc validate` fails on it" in warned[0]
    assert runner.invoke(app, ["validate", str(tmp_path / "mine")]).exit_code == 1
    assert "warning" not in runner.invoke(app, ["chip", "h20"]).stderr  # the built-ins alone: nothing to say


def test_resizing_a_system_with_set_is_refused():
    """--set cloudmatrix384.chips=100 kept the 559 kW of 384 chips: 5,590 W all-in per chip."""
    r = runner.invoke(app, ["cluster", "cloudmatrix384", "--set", "cloudmatrix384.chips=100"])
    assert r.exit_code == 2 and r.stderr.strip() == (
        "chipcalc: error: --set cloudmatrix384.chips=100: cloudmatrix384's all-in power, parts, reported totals, "
        "scale-up domain are published for 384 chips and would not follow; deploy fewer chips of it with --chips "
        "(latency, pareto, train), or write a spec of the smaller system")


def test_an_expression_error_shows_the_token_as_typed():
    r = runner.invoke(app, ["check", "--claim", "h20.tdp ** 2 > 1W"])
    assert r.exit_code == 2 and r.stderr.strip() == "chipcalc: error: unexpected token at column 9 ('**') of 'h20.tdp ** 2 > 1W'"


def test_a_training_sequence_above_the_model_context_is_refused():
    r = runner.invoke(app, ["train", "deepseek-v3", "-t", "14.8T", "--chip", "h800", "-n", "2048", "--seq-len", "1000000000"])
    assert r.exit_code == 2 and r.stderr.strip() == (
        "chipcalc: error: a training sequence of 1,000,000,000 tokens is above deepseek-v3's maximum context of "
        "163,840 tokens (specs/models/deepseek-v3.toml: max_context); use a context of at most 163,840")
