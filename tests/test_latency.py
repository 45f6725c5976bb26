"""The serving model: binding resource, memory fit, MTP, per-die normalisation, vectorisation, bad input."""

import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from chipcalc.calc import serving as L
from chipcalc.calc import workload as w
from chipcalc.cli.root import app
from chipcalc.core.errors import UsageError


@pytest.fixture(scope="module")
def kn(catalog):
    return L.knobs(catalog)


def _h100_70b(catalog, kn, chips=2, tp=2):
    m = catalog.model("llama-3.1-70b")
    hw = L.hardware(catalog.target("h100-sxm"), "fp8", "package", kn)
    return m, hw, L.layout(m, hw, chips, tp)


def test_binding_switches_from_memory_to_compute(catalog, kn):
    m, hw, lay = _h100_70b(catalog, kn)
    d = L.decode(m, hw, lay, kn, [1, 8, 2048], 128)
    assert list(d.step.bound) == ["memory", "memory", "compute"]
    # more batch: more tokens per step per chip, longer steps
    t = d.per_chip.m("token/s")
    assert t[0] < t[1] < t[2]


def test_memory_time_by_hand(catalog, kn):
    m, hw, lay = _h100_70b(catalog, kn, chips=1, tp=1)
    d = L.decode(m, hw, lay, kn, 1, 1000)
    p = w.params(m)
    # FP8: 1 byte per weight, the output head 2 (embedding_weight_bytes: kept in BF16); input embedding not read
    weights = (p.total.m("") - p.embed_in.m("") - p.embed_out.m("")) * 1 + p.embed_out.m("") * 2
    kv = 1000 * 327_680
    bw = 3.35e12 * kn.mbu.m("")
    assert d.step.memory.m("s") == pytest.approx((weights + kv) / bw, rel=1e-9)
    assert d.step.comm is None  # one chip: no communication


def test_largest_batch_that_fits_by_hand(catalog, kn):
    m, hw, lay = _h100_70b(catalog, kn, chips=2, tp=2)
    mem = L.memory(m, hw, lay, kn, 1, 1000, "bf16")
    usable = 80e9 * kn.usable.m("")
    p = w.params(m)
    emb = p.embed_in.m("") + p.embed_out.m("")  # kept in BF16 (embedding_weight_bytes): 2 bytes each
    weights = ((p.non_routed.m("") - emb) * 1 + emb * 2) / 2  # FP8: 1 byte per parameter, TP2 splits every weight
    per_seq = 1000 * 327_680  # per chip of batch: TP2 halves each sequence's KV and doubles the sequences per rank
    act = 8192 * 2 * kn.activation.m("")  # activations of a decode token: hidden x 2 B x activation_factor
    workspace = kn.workspace.m("B")
    assert mem.weights.m("B") == pytest.approx(weights)
    assert mem.workspace.m("B") == pytest.approx(workspace)
    assert mem.max_batch.m("") == np.floor((usable - weights - workspace) / (per_seq + act)) == 102
    assert mem.max_batch.m("") > 0
    big = L.memory(m, hw, lay, kn, int(mem.max_batch.m("")) + 1, 1000, "bf16")
    assert not big.fits.all()


def test_does_not_fit_reports_zero_batch(catalog, kn):
    m = catalog.model("llama-3.1-405b")
    hw = L.hardware(catalog.target("h100-sxm"), "bf16", "package", kn)
    mem = L.memory(m, hw, L.layout(m, hw, 1, 1), kn, 1, 1000, "bf16")
    assert mem.max_batch.m("") == 0 and not mem.fits.all()


def test_vectorised_equals_scalar(catalog, kn):
    m = catalog.model("deepseek-r1")
    hw = L.hardware(catalog.target("cloudmatrix384"), "int8", "die", kn)
    lay = L.layout(m, hw, 160, 1, 320, 1)
    batches = np.array([8, 24, 96])
    vec = L.decode(m, hw, lay, kn, batches, 4224).tpot.m("ms")
    for b, v in zip(batches, vec):
        assert L.decode(m, hw, lay, kn, int(b), 4224).tpot.m("ms") == pytest.approx(v)


def test_mtp_and_per_die(catalog, kn):
    m = catalog.model("deepseek-r1")
    hw = L.hardware(catalog.target("cloudmatrix384"), "int8", "die", kn)
    lay = L.layout(m, hw, 160, 1, 320, 2)
    d = L.decode(m, hw, lay, kn, 96, 4096)
    a = kn.acceptance.m("")
    assert d.accepted.m("") == pytest.approx(1 + a + a * a)
    assert d.tpot.m("ms") == pytest.approx(d.step.time.m("ms") / (1 + a + a * a))
    # a rank is a die: the package does twice a rank's work
    assert d.per_chip.m("token/s") == pytest.approx(2 * d.per_rank.m("token/s"))
    assert hw.peak.m("TOPS") == pytest.approx(752)
    # results carry the provenance of the assumptions they rest on
    names = {x.name for x in d.tpot.prov.assumptions}
    assert {"mfu", "mbu", "mtp_acceptance", "layer_overhead"} <= names


def test_tpot_search_meets_target(catalog, kn):
    from chipcalc.core.figure import Figure, Provenance
    from chipcalc.core.units import Q

    m = catalog.model("deepseek-r1")
    hw = L.hardware(catalog.target("cloudmatrix384"), "int8", "package", kn)
    lay = L.layout(m, hw, 384, 1, 384, 0)
    target = Figure(Q(50, "ms"), Provenance.assume("tpot target", "test"))
    best, _ = L.largest_batch_for_tpot(m, hw, lay, kn, 4096, target)
    assert best is not None
    assert L.decode(m, hw, lay, kn, best, 4096).tpot.m("ms") <= 50
    assert L.decode(m, hw, lay, kn, best + 1, 4096).tpot.m("ms") > 50


@pytest.mark.parametrize("kwargs,msg", [
    (dict(chips=0), "--chips must be at least 1"),
    (dict(chips=2, tp=3), "--tp 3 does not divide"),
    (dict(chips=8, tp=8, ep=8), "dense model"),
])
def test_layout_errors(catalog, kn, kwargs, msg):
    m = catalog.model("llama-3.1-70b")
    hw = L.hardware(catalog.target("h100-sxm"), "fp8", "package", kn)
    with pytest.raises(UsageError, match=msg):
        L.layout(m, hw, **kwargs)


def test_missing_precision(catalog, kn):
    with pytest.raises(UsageError, match="ascend-910c has no fp8 peak"):
        L.hardware(catalog.target("ascend-910c"), "fp8", "package", kn)


runner = CliRunner()


@pytest.mark.parametrize("args,needle", [
    (["cloudmatrix384", "deepseek-r1", "--batch", "0"], "--batch: must be at least 1"),
    (["cloudmatrix384", "deepseek-r1", "--batch", "-4"], "--batch: expected a whole number"),
    (["cloudmatrix384", "deepseek-r1", "--batch", "1.5"], "--batch: '1.5' is not a whole number"),
    (["cloudmatrix384", "deepseek-r1", "--batch", "lots"], "--batch: expected a whole number"),
    (["cloudmatrix384", "deepseek-r1", "--context", "0"], "--context: must be at least 1"),
    (["cloudmatrix384", "deepseek-r1", "--context", "2.5"], "--context: '2.5' is not a whole number"),
    (["h20", "llama-3.1-70b", "--chips", "0"], "--chips: must be at least 1"),
    (["h20", "llama-3.1-70b", "--chips", "-8"], "--chips: expected a whole number"),
    (["h20", "llama-3.1-70b", "--chips", "2.5"], "--chips: '2.5' is not a whole number"),
    (["h20", "llama-3.1-70b", "--chips", "6", "--tp", "6"], "does not divide the 64 attention heads"),
    (["h20", "llama-3.1-70b", "--chips", "8", "--ep", "8"], "dense model"),
    (["hgx-h20", "deepseek-r1", "--chips", "8", "--ep", "16"], "--ep 16 needs 16 chips"),
    (["hgx-h20", "deepseek-r1", "--chips", "8", "--ep", "3"], "--ep 3 does not divide the 8 chips"),
    (["h20", "llama-3.1-70b", "--tp", "3", "--batch", "1"], "--tp 3 does not divide the 1 chip of the deployment: "
     "use a --tp that divides 1, or --chips with a multiple of 3"),
    (["cloudmatrix384", "deepseek-r1", "--chips", "4", "--tp", "3", "--device", "die"],
     "the 8 dies of the deployment: use a --tp that divides 8, or --chips with a multiple of 3"),
    (["cloudmatrix384", "deepseek-r1", "--attn-tp", "3"], "--attn-tp 3 does not divide the 128 attention heads"),
    (["cloudmatrix384", "deepseek-r1", "--attn-tp", "7"], "--attn-tp 7 does not divide the 384 chips of the "
     "deployment: use a --attn-tp that divides 384"),
    (["cloudmatrix384", "deepseek-r1", "--attn-dp", "96"],
     "--attn-dp 96: cloudmatrix384 has 384 ranks at attention TP1, i.e. DP384; for DP96 give --attn-tp 4"),
    (["cloudmatrix384", "deepseek-r1", "--attn-dp", "5"], "i.e. DP384; --attn-dp must divide the 384 ranks"),
    (["ascend-910c", "llama-3.1-70b", "--precision", "fp8"], "ascend-910c has no fp8 peak"),
    (["h20", "llama-3.1-70b", "--mtp", "1"], "no multi-token-prediction module"),
    (["h20", "llama-3.1-70b", "--set", "mfux=0.5"], "unknown figure 'mfux'; did you mean mfu"),
    (["h20", "llama-3.1-70b", "--mfu", "1.5"], "must be a fraction"),
    (["h20", "llama-3.1-70b", "--tpot", "50GB"], "--tpot: expected a positive, finite time like 50ms, got '50GB'"),
    (["h20", "llama-3.1-70b", "--tpot", "nan ms"], "--tpot: expected a positive, finite time like 50ms, got 'nan ms'"),
    (["h20", "llama-3.1-70b", "--mfu", "nan"], "--mfu nan: value nan is out of range; mfu must be a fraction in (0, 1]"),
    (["cloudmatrix384", "deepseek-r1", "--set", "expert_imbalance=0.5"],
     "--set expert_imbalance=0.5: value 0.5 is out of range; expert_imbalance must be a plain number in [1, 1000]"),
    (["h20", "llama-3.1-7b"], "unknown model"),
    (["deepseek-r1"], "name a target and a model"),
])
def test_bad_input_one_line_error(args, needle):
    r = runner.invoke(app, ["latency", *args])
    assert r.exit_code != 0, r.stdout
    err = r.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    assert needle in err


@pytest.mark.parametrize("args", [
    ["model", "deepseek-r1"],
    ["latency", "cloudmatrix384", "deepseek-r1", "--precision", "int8", "--batch", "96", "--context", "4096"],
    ["latency", "h20", "llama-3.1-70b", "--chips", "8", "--tp", "8", "--precision", "fp8"],
    ["latency", "cloudmatrix384", "deepseek-r1", "--tpot", "50ms"],
    ["latency", "ascend-910c", "h20", "h100-sxm", "--model", "llama-3.1-70b", "--format", "json"],
    ["latency", "cloudmatrix384", "deepseek-r1", "--precision", "int8", "--device", "die", "--chips", "160",
     "--ep", "320", "--mtp", "1", "--batch", "8,24,96", "--set", "layer_overhead=30us", "--mbu", "0.7"],
])
def test_issue_commands_run(args):
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.stderr


def test_override_shows_as_assumption():
    r = runner.invoke(app, ["latency", "h20", "llama-3.1-70b", "--precision", "fp8", "--set", "layer_overhead=30us"])
    assert r.exit_code == 0, r.stderr
    assert "user override --set layer_overhead=30us (catalog value: 20 µs)" in r.stdout


def test_json_has_every_target():
    import json

    r = runner.invoke(app, ["latency", "ascend-910c", "h20", "h100-sxm", "--model", "llama-3.1-70b", "--format", "json"])
    data = json.loads(r.stdout)
    decode = next(t for t in data["tables"] if t["key"] == "latency.decode")
    tpot = next(row for row in decode["rows"] if row["key"] == "tpot")
    assert set(tpot["cells"]) == {"ascend-910c", "h20", "h100-sxm"}
    assert all(c["unit"] == "ms" and c["value"] > 0 for c in tpot["cells"].values())


def test_help_does_not_import_pint():
    code = "import sys; from chipcalc import cli; assert 'pint' not in sys.modules and 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_batch_max_in_a_comma_list():
    """`--batch max,128`: one column for the largest batch that fits and one for 128; 'max' may sit anywhere
    in the list, and a bad item is still a one-line usage error."""
    from typer.testing import CliRunner

    from chipcalc.cli import app

    runner = CliRunner()
    args = ["latency", "h200", "deepseek-r1", "-p", "fp8", "--chips", "8", "--ep", "8", "--isl", "1024", "--osl", "2048"]
    r = runner.invoke(app, args + ["--batch", "max,128"])
    assert r.exit_code == 0, r.stderr
    row = next(line for line in r.stdout.splitlines() if line.startswith("batch (sequences per chip)"))
    fits = int(row.split("largest that fits: ")[1].split(")")[0])
    assert 1 <= fits < 128 and row.rstrip().endswith("128")
    assert "the KV cache does not fit" in r.stdout  # 128 per GPU does not fit: the column says so
    r = runner.invoke(app, args + ["--batch", "128,max"])
    assert r.exit_code == 0 and f"largest that fits: {fits}" in r.stdout
    r = runner.invoke(app, args + ["--batch", "max,lots"])
    assert r.exit_code == 2 and "--batch" in r.stderr and "lots" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_empty_item_and_a_pipeline_with_no_room_name_the_whole_value():
    from typer.testing import CliRunner

    from chipcalc.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["latency", "hgx-h20", "llama-3.1-70b", "-p", "fp8", "--batch", ",max"])
    assert r.exit_code == 2 and "--batch ',max' has an empty item" in r.stderr
    r = runner.invoke(app, ["latency", "hgx-h20", "llama-3.1-70b", "-p", "fp8", "--pp", "2", "--tp", "8", "--chips", "8"])
    assert r.exit_code == 2 and "--tp 8 already uses all 8; lower --tp or add --chips" in r.stderr


def test_ep_above_the_expert_count_is_shown_as_replicas():
    """EP above the routed experts is what redundant experts do (CloudMatrix384 serves DeepSeek's 256 routed
    experts with EP320): allowed, and the table says each rank holds one expert with about EP / E copies."""
    import click.testing
    import typer.main

    from chipcalc.cli.root import app

    run = click.testing.CliRunner().invoke
    cmd = typer.main.get_command(app)
    args = ["latency", "cloudmatrix384", "deepseek-r1", "-p", "int8", "--device", "die", "--batch", "8"]
    r = run(cmd, args + ["--chips", "160", "--ep", "320"])
    assert r.exit_code == 0, r.output
    row = next(line for line in r.output.splitlines() if line.startswith("routed experts per rank per layer"))
    assert "1 (EP320 > 256 experts: 1.25 copies each)" in row
    r = run(cmd, args + ["--chips", "64", "--ep", "128"])
    row = next(line for line in r.output.splitlines() if line.startswith("routed experts per rank per layer"))
    assert row.split()[-1] == "2"
