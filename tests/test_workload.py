"""Model arithmetic on hand-computed cases: parameters, KV bytes, FLOPs per token, experts touched."""

import pytest

from chipcalc.calc import workload as w


def test_kv_bytes_per_token_gqa_llama_70b(catalog):
    m = catalog.model("llama-3.1-70b")
    # 2 (K, V) x 80 layers x 8 KV heads x 128 dims x 2 B
    assert w.kv_bytes_per_token(m, "bf16").m("B") == 2 * 80 * 8 * 128 * 2 == 327_680
    assert w.kv_bytes_per_token(m, "fp8").m("B") == 163_840


def test_kv_bytes_per_token_mla_deepseek(catalog):
    for mid in ("deepseek-v3", "deepseek-r1"):
        m = catalog.model(mid)
        kv = w.kv_bytes_per_token(m, "bf16")
        assert kv.m("B") == 61 * 576 * 2 == 70_272
        # the card's published figure (DeepSeek ISCA '25, Table 1) agrees
        assert kv.m("B") == m.get("kv_cache_per_token").m("B")
        assert {s.id for s in kv.prov.sources} >= {f"{mid}-config"}


def test_kv_bytes_405b_matches_published(catalog):
    m = catalog.model("llama-3.1-405b")
    assert w.kv_bytes_per_token(m).m("B") == m.get("kv_cache_per_token").m("B") == 516_096


@pytest.mark.parametrize("mid", ["deepseek-r1", "llama-3.1-70b", "llama-3.1-405b", "qwen3-235b-a22b"])
def test_params_from_shapes_match_cards(catalog, mid):
    m = catalog.model(mid)
    p = w.params(m)
    assert p.total.m("") == pytest.approx(m.get("params_total").m(""), rel=0.02)
    assert p.active.m("") == pytest.approx(m.get("params_active").m(""), rel=0.03)


def test_llama_70b_params_by_hand(catalog):
    m = catalog.model("llama-3.1-70b")
    attn = 8192 * 64 * 128 * 2 + 8192 * 8 * 128 * 2  # q, o + k, v
    ffn = 3 * 8192 * 28672
    emb = 128256 * 8192
    p = w.params(m)
    assert w.attention_params(m).m("") == attn
    assert p.total.m("") == 80 * (attn + ffn) + 2 * emb
    # matmul FLOPs per token: 2 per parameter, the input embedding is a lookup
    assert w.matmul_flops_per_token(m).m("FLOP") == 2 * (80 * (attn + ffn) + emb)


def test_deepseek_mla_attention_params_by_hand(catalog):
    m = catalog.model("deepseek-r1")
    h, H, rq, rkv, dn, dr, dv = 7168, 128, 1536, 512, 128, 64, 128
    by_hand = h * rq + rq * H * (dn + dr) + h * (rkv + dr) + rkv * H * (dn + dv) + H * dv * h
    assert w.attention_params(m).m("") == by_hand  # ~187 M per layer
    assert w.params(m).expert.m("") == 3 * 7168 * 2048
    # Qwen3: no shared experts and no dense layers (absent on the card means 0)
    q = w.params(catalog.model("qwen3-235b-a22b"))
    assert float(q.shared.m("")) == 0 and float(q.dense_ffn.m("")) == 0


def test_attention_flops_per_token(catalog):
    m = catalog.model("llama-3.1-70b")
    # 2 x heads x context x (d_qk + d_v) per layer
    assert w.attention_flops_per_token(m, 1000).m("FLOP") == 2 * 64 * 1000 * 256 * 80
    ds = catalog.model("deepseek-r1")
    # MLA decode (absorbed): scores over 512 + 64, values over 512
    assert w.attention_flops_per_token(ds, 1000, "decode").m("FLOP") == 2 * 128 * 1000 * (576 + 512) * 61
    # MLA prefill (expanded): 192-dim q/k, 128-dim v
    assert w.attention_flops_per_token(ds, 1000, "prefill").m("FLOP") == 2 * 128 * 1000 * (192 + 128) * 61


def test_attention_flops_vectorised(catalog):
    m = catalog.model("llama-3.1-70b")
    f = w.attention_flops_per_token(m, [1000, 2000])
    assert list(f.m("FLOP")) == [2 * 64 * c * 256 * 80 for c in (1000, 2000)]


def test_weight_bytes_follow_precision(catalog):
    m = catalog.model("deepseek-r1")
    assert w.weight_bytes(m, "bf16").m("GB") == pytest.approx(2 * w.weight_bytes(m, "int8").m("GB"))
    llama = catalog.model("llama-3.1-70b")  # DeepSeek's FP4 checkpoint keeps attention in BF16: tests/test_fp4_attention.py
    assert w.weight_bytes(llama, "fp4").m("GB") == pytest.approx(w.weight_bytes(llama, "fp8").m("GB") / 2)


def test_experts_touched(catalog):
    m = catalog.model("deepseek-r1")  # 256 routed, top-8
    t = w.experts_touched(m, [1, 1_000_000], 256)
    assert t.m("")[0] == pytest.approx(8)  # one token touches k experts
    assert t.m("")[1] == pytest.approx(256)  # a large batch touches them all
    assert w.experts_touched(m, 1, 2).m("") == pytest.approx(2 * 8 / 256)


def test_unknown_precision():
    from chipcalc.core.errors import UsageError

    with pytest.raises(UsageError):
        w.element_bytes("fp6")
