"""Pipeline parallelism (--pp) for dense models: stages, memory, TPOT, prefill, offline, placement, errors.

Numbers are computed here by hand from the catalog's figures: HGX H20 (8 x H20, 96 GB, 4 TB/s, NVLink 450 GB/s
per direction in domains of 8, one 400 Gbit/s NIC per GPU), Llama 3.1 70B (80 layers, hidden 8,192, 8 KV heads
of 128), Llama 3.1 405B (126 layers, hidden 16,384); assumptions at their nominal values (link_efficiency 0.7,
scaleup_latency 2 us, scaleout_latency 5 us, collective_overhead 10 us).
"""

from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from chipcalc.calc import serving as L
from chipcalc.calc import workload as w
from chipcalc.calc.serving.layout import pipeline_hops
from chipcalc.cli.root import app
from chipcalc.core.errors import UsageError

US = 1e-6
HIDDEN_BYTES = 8192 * 2  # one token's activations at BF16, Llama 3.1 70B
NVLINK = 450e9 * 0.7  # H20 scale-up per direction x link_efficiency
NIC = 50e9 * 0.7  # 400 Gbit/s x link_efficiency


@pytest.fixture(scope="module")
def kn(catalog):
    return L.knobs(catalog)


def _h20(catalog, kn, chips, tp, pp, model="llama-3.1-70b"):
    m = catalog.model(model)
    hw = L.hardware(catalog.target("hgx-h20"), "fp8", "package", kn)
    return m, hw, L.layout(m, hw, chips, tp, None, 0, pp)


def test_pp2_vs_pp1_on_the_same_chips(catalog, kn):
    """8 H20s, TP4: DP2 (PP1) vs PP2. Weights per rank halve; the KV per rank at the same batch per chip is the
    same (half the layers of twice the sequences); TPOT = the sum of the two stage times (= the PP1 step at the
    same tokens per rank) + one NVLink hop of the micro-batch's activations."""
    m, hw, one = _h20(catalog, kn, 8, 4, 1)
    _, _, two = _h20(catalog, kn, 8, 4, 2)
    assert (one.dp, two.dp) == (2, 1)
    d1, d2 = L.decode(m, hw, one, kn, 32, 4096), L.decode(m, hw, two, kn, 32, 4096)
    p = w.params(m)
    emb = p.embed_in.m("") + p.embed_out.m("")  # kept in BF16 (embedding_weight_bytes)
    weights = ((p.non_routed.m("") - emb) * 1 + emb * 2) / 4  # FP8: 1 byte per parameter, TP4
    assert d1.memory.weights.m("B") == pytest.approx(weights, rel=1e-12)
    assert d2.memory.weights.m("B") == pytest.approx(weights / 2, rel=1e-12)
    kv = 32 * 4096 * 327_680 * (4 / 4)  # batch x context x KV bytes per token (2 x 80 x 8 x 128 x 2 B) x TP / KV split
    assert d1.memory.kv.m("B") == pytest.approx(kv) and d2.memory.kv.m("B") == pytest.approx(kv)
    hop = 32 * HIDDEN_BYTES / NVLINK + 2 * US + 10 * US  # 32 tokens per rank, one hop inside the NVLink domain
    assert hop == pytest.approx(13.664e-6, rel=1e-4)
    assert d2.step.transfer.m("s") == pytest.approx(hop, rel=1e-12)
    assert d1.step.transfer is None
    assert d2.tpot.m("s") == pytest.approx(d1.tpot.m("s") + hop, rel=1e-12)
    assert d2.per_chip.m("token/s") == pytest.approx(32 / d2.tpot.m("s"), rel=1e-12)  # every stage busy
    usable, ws, act = 96e9 * 0.9, 2e9, 8192 * 2 * 16  # hbm_usable, serving_workspace, activation_factor
    per_seq = 4096 * 327_680
    assert d2.memory.max_batch.m("") == np.floor((usable - weights / 2 - ws) / (per_seq + act)) == 56
    assert d1.memory.max_batch.m("") == np.floor((usable - weights - ws) / (per_seq + act)) == 49


def test_a_hop_across_scale_up_domains_goes_over_scale_out(catalog, kn):
    """16 H20s (two 8-GPU NVLink domains), TP8 PP2: the stages sit in different servers, so the one hop goes
    over the 400G NIC (5 us latency)."""
    m, hw, lay = _h20(catalog, kn, 16, 8, 2)
    s = L.shape(m, hw, lay)
    assert (s.pp_up, s.pp_out) == (0, 1)
    d = L.decode(m, hw, lay, kn, 16, 4096)
    hop = 16 * HIDDEN_BYTES / NIC + 5 * US + 10 * US
    assert d.step.transfer.m("s") == pytest.approx(hop, rel=1e-12)
    assert hop == pytest.approx(22.49e-6, rel=1e-3)


def test_an_uneven_split_is_paced_by_the_busiest_stage(catalog, kn):
    """Llama 3.1 405B's 126 layers in 4 stages: 32, 32, 31, 31. The busiest stage holds 32/126 of the weights
    and the KV of 32 layers; with 4 micro-batches it sets the pace: TPOT = 4 x 32/126 of the PP1 step (the
    transfers, 3 x ~0.1 ms, are less than the 2/126 of the step they would add)."""
    m = catalog.model("llama-3.1-405b")
    hw = L.hardware(catalog.target("h100-sxm"), "fp8", "package", kn)
    one, four = L.layout(m, hw, 8, 2, None, 0, 1), L.layout(m, hw, 8, 2, None, 0, 4)
    s = L.shape(m, hw, four)
    assert s.stage == 32 / 126 and s.pace == 128 / 126 and (s.pp_up, s.pp_out) == (3, 0)  # a bare chip's links
    d1, d4 = L.decode(m, hw, one, kn, 8, 2048), L.decode(m, hw, four, kn, 8, 2048)
    p = w.params(m)
    emb = p.embed_in.m("") + p.embed_out.m("")  # kept in BF16 (embedding_weight_bytes)
    assert d4.memory.weights.m("B") == pytest.approx(((p.non_routed.m("") - emb) + emb * 2) / 2 * 32 / 126, rel=1e-12)
    assert d4.memory.kv.m("B") == pytest.approx(d1.memory.kv.m("B") * 128 / 126, rel=1e-12)
    hops = 3 * (8 * 16384 * 2 / (450e9 * 0.7) + 2 * US + 10 * US)
    assert d4.step.transfer.m("s") == pytest.approx(hops, rel=1e-12)
    assert d1.tpot.m("s") * 2 / 126 > hops
    assert d4.tpot.m("s") == pytest.approx(d1.tpot.m("s") * 128 / 126, rel=1e-12)


def test_prefill_passes_every_stage(catalog, kn):
    """TTFT = the PP1 prefill at the same TP (the sum of the stage times) + one hop of the prompt's
    activations (4,096 / TP4 = 1,024 tokens per rank); tokens/s per chip is that of every stage busy."""
    m, hw, one = _h20(catalog, kn, 8, 4, 1)
    _, _, two = _h20(catalog, kn, 8, 4, 2)
    p1, p2 = L.prefill(m, hw, one, kn, 4096), L.prefill(m, hw, two, kn, 4096)
    hop = 1024 * HIDDEN_BYTES / NVLINK + 2 * US + 10 * US
    assert p2.step.transfer.m("s") == pytest.approx(hop, rel=1e-12)
    assert p2.ttft.m("s") == pytest.approx(p1.ttft.m("s") + hop, rel=1e-12)
    assert p2.per_chip.m("token/s") == pytest.approx(p1.per_chip.m("token/s"), rel=1e-12)
    assert p2.per_chip.m("token/s") == pytest.approx(1024 / p1.ttft.m("s"), rel=1e-12)


def test_offline_prefill_pays_the_pipeline_bubble(catalog, kn):
    """A cohort of 8 requests per chip of 2,048 tokens in: 16,384 prompt tokens per rank, chunks of 8,192
    (prefill_chunk_tokens), so m = PP x 2 = 4 chunk passes through 2 stages: (4 + 2 - 1) stage times of half a
    chunk step each, plus the last chunk's hop; PP1 takes 2 chunk steps."""
    m, hw, one = _h20(catalog, kn, 8, 4, 1)
    _, _, two = _h20(catalog, kn, 8, 4, 2)
    setup = L.setup_for(m, hw, kn, "bf16")
    o1 = L.Outputs(setup, "offline", L.shape(m, hw, one), 8.0, (2048.0, 256.0)).values
    o2 = L.Outputs(setup, "offline", L.shape(m, hw, two), 8.0, (2048.0, 256.0)).values
    chunk = L.Outputs(setup, "prefill", L.shape(m, hw, two), 2048.0, 8192.0).values["time"]
    assert o1["prefill_time"] == pytest.approx(2 * chunk, rel=1e-12)
    hop = 8192 * HIDDEN_BYTES / NVLINK + 2 * US + 10 * US
    assert o2["prefill_time"] == pytest.approx((4 + 2 - 1) * chunk / 2 + hop, rel=1e-12)
    assert o2["e2e"] == pytest.approx(o2["prefill_time"] + o2["tpot"] * 256, rel=1e-12)


@pytest.mark.parametrize("domain, ranks, tp, pp, want", [
    (8, 8, 1, 8, (7, 0)),  # one 8-GPU server
    (8, 16, 8, 2, (0, 1)),  # two servers, a stage each
    (72, 144, 4, 4, (2, 1)),  # 9 pipelines of 16 in two NVL72s: the fifth straddles (ranks 64-79)
    (72, 144, 8, 9, (8, 0)),  # one pipeline per NVL72
    (None, 8, 2, 4, (3, 0)),  # bare chips' links: no domain boundary
])
def test_where_the_hops_go(catalog, kn, domain, ranks, tp, pp, want):
    hw = L.hardware(catalog.target("hgx-h20"), "fp8", "package", kn)
    hw = replace(hw, up=replace(hw.up, domain=domain))
    assert pipeline_hops(hw, ranks, tp, pp) == want


def test_layouts_that_cannot_hold_a_pipeline(catalog, kn):
    m, hw, _ = _h20(catalog, kn, 8, 1, 1)
    with pytest.raises(UsageError, match=r"^--pp 2 sends activations .* no scale-up or scale-out bandwidth"):
        L.layout(m, replace(hw, up=None, out=None), 8, 1, None, 0, 2)
    small = replace(hw, up=replace(hw.up, domain=4), out=None)  # domains of 4 GPUs, no NIC
    with pytest.raises(UsageError, match=r"^--pp 2 with --tp 4: a pipeline of 8 chips spans more than one scale-up "
                                         r"domain of hgx-h20 \(4 chips\) .* at most --pp 1$"):
        L.layout(m, small, 8, 4, None, 0, 2)


def test_the_search_includes_pipelines_for_dense_models_only(catalog, kn):
    from chipcalc.calc.serving.pareto import search

    dense = search(catalog, catalog.target("hgx-h20"), catalog.model("llama-3.1-70b"), kn, precision="fp8")
    assert any(p.pp > 1 for p in dense.points)
    p = next(p for p in dense.points if p.pp > 1)
    assert p.ranks == p.tp * p.pp * p.dp and f"PP{p.pp}" in p.layout
    moe = search(catalog, catalog.target("hgx-h20"), catalog.model("qwen3-235b-a22b"), kn, precision="fp8")
    assert all(p.pp == 1 for p in moe.points)


runner = CliRunner()


@pytest.mark.parametrize("args, needle", [
    (["latency", "hgx-h20", "llama-3.1-70b", "--pp", "0"], "--pp: must be at least 1, got '0'"),
    (["latency", "hgx-h20", "llama-3.1-70b", "--pp", "96"],
     "--pp 96 is more than the 80 layers of llama-3.1-70b: each stage needs a layer, so --pp is at most 80"),
    (["latency", "hgx-h20", "llama-3.1-70b", "-p", "fp8", "--pp", "3"],
     "--pp 3 x --tp 1 = 3 ranks per pipeline does not divide the 8 chips of the deployment (ranks = TP x PP x DP)"),
    (["latency", "hgx-h20", "llama-3.1-70b", "-p", "fp8", "--tp", "4", "--pp", "4"],
     "--pp 4 x --tp 4 = 16 ranks per pipeline does not divide the 8 chips"),
    (["latency", "cloudmatrix384", "deepseek-r1", "--pp", "2"],
     "--pp 2: deepseek-r1 is a mixture-of-experts model; pipeline stages are modelled for dense models only"),
    (["sweep", "latency", "hgx-h20", "llama-3.1-70b", "--pp", "5"], "--pp 5 x --tp 1 = 5 ranks per pipeline"),
    (["latency", "hgx-h20", "llama-3.1-70b", "-p", "fp8", "--tp", "4", "--pp", "2", "--attn-dp", "2"],
     "--attn-dp 2: hgx-h20 has 8 ranks at attention TP4 and PP2, i.e. DP1; for DP2 give --attn-tp 2"),
])
def test_bad_pp_is_a_one_line_usage_error(args, needle):
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and needle in err, err


def test_latency_shows_the_pipeline(catalog):
    r = runner.invoke(app, ["latency", "hgx-h20", "llama-3.1-70b", "-p", "fp8", "--tp", "4", "--pp", "2", "-f", "json"])
    assert r.exit_code == 0, r.output
    import json

    tables = {t["key"]: t for t in json.loads(r.stdout)["tables"]}
    rows = {row["key"]: row["cells"]["hgx-h20"] for row in tables["latency.setup"]["rows"]}
    assert rows["parallel"]["text"] == "TP4 x PP2 x DP1, EP1"
    assert rows["stage_layers"]["text"] == "40"
    dec = {row["key"]: row["cells"]["hgx-h20"] for row in tables["latency.decode"]["rows"]}
    assert dec["transfer"]["value"] == pytest.approx(13.664e-3, rel=1e-4) and dec["transfer"]["unit"] == "ms"  # as above
    assert "collective_overhead" in {a["name"] for a in dec["transfer"]["assumptions"]}


def test_sweep_and_the_python_face_take_pp(catalog, kn):
    """The sweep's TPOT at batch 32 is the latency model's (the PP1 step + the 13.664 us hop, as above)."""
    import chipcalc as cc
    from chipcalc.calc import sweep as sw

    m, hw, two = _h20(catalog, kn, 8, 4, 2)
    want = L.decode(m, hw, two, kn, 32, 4096).tpot.m("s")
    prep = sw.prepare(catalog.target("hgx-h20"), m, np.array([32]), np.array([4096]), kn, precision="fp8", tp=4, pp=2)
    assert "TP4 PP2" in prep.layout
    assert float(sw.collect(prep).tpot_ms[0]) == pytest.approx(want * 1e3, rel=1e-12)
    rows = cc.latency("hgx-h20", model="llama-3.1-70b", precision="fp8", tp=4, pp=2, batch=32, catalog=catalog).rows()
    assert next(r["text"] for r in rows if r["row"] == "parallel") == "TP4 x PP2 x DP1, EP1"
    with pytest.raises(UsageError, match="^pp must be at least 1, got 0$"):
        cc.latency("hgx-h20", model="llama-3.1-70b", pp=0, catalog=catalog)
