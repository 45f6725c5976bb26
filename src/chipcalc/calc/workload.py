"""Model arithmetic: parameters by kind, weight bytes, FLOPs per token, KV-cache bytes per token.

Pure functions over a :class:`~chipcalc.catalog.records.Model` card; every result is a :class:`Figure`
carrying the provenance of the card figures it was computed from. Shapes only: no hardware here.

Formulas (standard decoder, gated FFN):

* attention, GQA/MHA: ``q + k + v + o = h*H*d + 2*h*Hkv*d + H*d*h`` per layer (h hidden, H heads,
  Hkv KV heads, d head dim); MLA (DeepSeek): ``h*rq + rq*H*(dn+dr) + h*(rkv+dr) + rkv*H*(dn+dv) + H*dv*h``.
* gated FFN (SwiGLU: gate, up, down matrices): ``3 * h * intermediate``; one expert likewise with the
  expert intermediate size; the router ``h * routed_experts`` per MoE layer.
* embeddings: input table and output head, ``2 * vocab * h`` (none of the cards ties them).
* a matmul costs 2 FLOP per parameter per token; attention over a context of L tokens costs
  ``2 * H * L * (d_qk + d_v)`` per layer and token. MLA decode uses the absorbed form (scores and
  values over the 512+64 latent); MLA prefill the expanded form (192-dim q/k, 128-dim v heads).
* KV cache per token: GQA ``2 * layers * Hkv * d * bytes``; MLA ``layers * (rkv + dr) * bytes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.catalog.records import Model
from chipcalc.core.errors import ChipcalcError, UsageError
from chipcalc.core.figure import Figure

#: Bits per element of each number format: the definition of the format, not a measured figure.
BITS = {"fp32": 32, "tf32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "fp4": 4}
#: The floating-point format a checkpoint keeps unquantized layers in, by bytes per weight.
KEPT_FORMAT = {1.0: "fp8", 2.0: "bf16"}


def element_bytes(precision: str) -> Any:
    """Bytes per element of a number format, as a quantity in bytes."""
    from chipcalc.core.units import Q

    if precision not in BITS:
        raise UsageError(f"unknown precision '{precision}'; use one of {', '.join(BITS)}")
    return Q(BITS[precision] / 8, "B")


def fig(model: Model, name: str) -> Figure:
    """A required model figure; a missing one is a data error naming the file."""
    f = model.get(name)
    if f is None:
        raise ChipcalcError(f"model {model.id} has no '{name}' figure ({model.file}); it is needed here")
    return f


def opt(model: Model, name: str) -> Figure | int:
    """An optional count figure; absent means 0 (e.g. Qwen3 has no shared experts)."""
    f = model.get(name)
    return 0 if f is None else f


def is_moe(model: Model) -> bool:
    return model.architecture == "moe"


def moe_layers(model: Model) -> Figure | int:
    return fig(model, "moe_layers") if is_moe(model) else 0


def dense_layers(model: Model) -> Figure | int:
    """Layers with a dense FFN: the card's figure, else layers - moe_layers."""
    f = model.get("dense_layers")
    if f is not None:
        return f
    if not is_moe(model):
        return fig(model, "layers")
    return fig(model, "layers") - fig(model, "moe_layers")


def attention_params(model: Model) -> Figure:
    """Attention weights of one layer."""
    h, H = fig(model, "hidden_size"), fig(model, "attention_heads")
    if model.attention == "mla":
        rq, rkv = model.get("q_lora_rank"), fig(model, "kv_lora_rank")
        dn, dr, dv = fig(model, "qk_nope_head_dim"), fig(model, "qk_rope_head_dim"), fig(model, "v_head_dim")
        q = h * rq + rq * H * (dn + dr) if rq is not None else h * H * (dn + dr)
        return (q + h * (rkv + dr) + rkv * H * (dn + dv) + H * dv * h).relabel(f"{model.id}.attention_params")
    d, Hkv = fig(model, "head_dim"), fig(model, "kv_heads")
    return (h * H * d * 2 + h * Hkv * d * 2).relabel(f"{model.id}.attention_params")


def gated_ffn(h: Figure, inter: Figure) -> Figure:
    """Gate, up and down projections of a SwiGLU FFN."""
    return h * inter * 3


@dataclass(frozen=True)
class Params:
    """Parameter counts by kind (whole model)."""

    attention: Figure
    dense_ffn: Figure | int
    shared: Figure | int
    routed: Figure | int
    router: Figure | int
    embed_in: Figure
    embed_out: Figure
    expert: Figure | int  # one expert in one layer
    total: Figure
    active: Figure

    @property
    def non_routed(self) -> Figure:
        """Everything a rank keeps whatever the expert layout: attention, dense FFN, shared experts,
        router, embeddings."""
        return self.total - self.routed

    @property
    def non_routed_matmul(self) -> Figure:
        """Non-routed weights used as matmuls for every token (the input embedding is a lookup)."""
        return self.non_routed - self.embed_in


def params(model: Model) -> Params:
    h, L = fig(model, "hidden_size"), fig(model, "layers")
    attn = attention_params(model) * L
    dl = dense_layers(model)
    dense = gated_ffn(h, fig(model, "intermediate_size")) * dl if not _is_zero(dl) else 0
    vocab = fig(model, "vocab_size")
    emb_in = (vocab * h).relabel(f"{model.id}.embedding")
    emb_out = (vocab * h).relabel(f"{model.id}.lm_head")
    if is_moe(model):
        ml = moe_layers(model)
        expert = gated_ffn(h, fig(model, "moe_intermediate_size")).relabel(f"{model.id}.expert_params")
        E, k = fig(model, "routed_experts"), fig(model, "experts_per_token")
        routed = expert * E * ml
        shared = expert * opt(model, "shared_experts") * ml
        router = h * E * ml
        active_routed = expert * k * ml
    else:
        expert = routed = shared = router = active_routed = 0
    base = attn + dense + shared + router + emb_in + emb_out
    total = (base + routed).relabel(f"{model.id}.params_total_computed", "sum of the shapes on the card")
    active = (base + active_routed).relabel(f"{model.id}.params_active_computed", "sum of the shapes on the card, top-k experts")
    return Params(attn, dense, shared, routed, router, emb_in, emb_out, expert, total, active)


def _is_zero(x: Any) -> bool:
    return isinstance(x, (int, float)) and x == 0


def keeps_embeddings_wider(precision: str) -> bool:
    """Whether weights at ``precision`` are quantized below 16 bits, so that the checkpoint keeps the embedding
    table and output head wider (the assumption ``embedding_weight_bytes``)."""
    return BITS[precision] < 16


def kept_attention(model: Model, precision: str) -> tuple[str, Figure] | None:
    """Where the model's checkpoint at ``precision`` keeps the attention projections at a higher precision
    (its card's ``fp4_attention_bytes``, at FP4 only): that format and the bytes per weight; else None."""
    f = model.get("fp4_attention_bytes") if precision == "fp4" else None
    return None if f is None else (KEPT_FORMAT[float(f.q.m_as("B"))], f)


def weight_bytes(model: Model, precision: str, fp4_bytes: Figure | None = None,
                 embed_bytes: Figure | None = None) -> Figure:
    """All weights at one precision (norms included at that precision). At FP4 each weight takes
    ``fp4_bytes`` with its block scales, when given, and the attention projections the precision the model's
    FP4 checkpoint keeps them in, where its card says; below 16 bits the embedding table and output head take
    ``embed_bytes`` each, when given."""
    p = params(model)
    each = fp4_bytes if precision == "fp4" and fp4_bytes is not None else element_bytes(precision)
    kept = []
    attn = kept_attention(model, precision)
    if attn is not None:
        kept.append((p.attention, attn[1]))
    if embed_bytes is not None and keeps_embeddings_wider(precision):
        kept.append((p.embed_in + p.embed_out, embed_bytes))
    rest = p.total
    for n, _ in kept:
        rest = rest - n
    out = rest * each
    for n, b in kept:
        out = out + n * b
    return out.to("GB").relabel(f"{model.id}.weights_{precision}")


def kv_bytes_per_token(model: Model, precision: str = "bf16") -> Figure:
    """KV-cache bytes per token over all layers at a cache precision (MLA caches the latent)."""
    b = element_bytes(precision)
    L = fig(model, "layers")
    if model.attention == "mla":
        out = L * (fig(model, "kv_lora_rank") + fig(model, "qk_rope_head_dim")) * b
        how = "layers x (kv_lora_rank + qk_rope_head_dim) x bytes"
    else:
        out = L * fig(model, "kv_heads") * fig(model, "head_dim") * 2 * b
        how = "2 (K and V) x layers x kv_heads x head_dim x bytes"
    return out.to("B").relabel(f"{model.id}.kv_per_token_{precision}", how)


def attention_dims(model: Model, phase: str) -> tuple[Figure, Figure]:
    """(d_qk, d_v) per head for the attention math of a phase ("decode" or "prefill")."""
    if model.attention == "mla":
        if phase == "decode":  # absorbed: scores and values over the compressed latent
            rkv, dr = fig(model, "kv_lora_rank"), fig(model, "qk_rope_head_dim")
            return rkv + dr, rkv
        return fig(model, "qk_nope_head_dim") + fig(model, "qk_rope_head_dim"), fig(model, "v_head_dim")
    d = fig(model, "head_dim")
    return d, d


def matmul_flops_per_token(model: Model) -> Figure:
    """2 FLOP per active matmul parameter (all non-routed weights but the input embedding, plus top-k experts)."""
    from chipcalc.core.units import Q

    p = params(model)
    return ((p.active - p.embed_in) * Q(2, "FLOP")).relabel(f"{model.id}.matmul_flops_per_token")


def attention_flops_per_token(model: Model, context: Any, phase: str = "decode") -> Figure:
    """Score and value FLOPs of one token attending to ``context`` tokens (array-friendly).

    ``context`` is the number of tokens attended to on average: the full context in decode; for a
    prompt of length L in prefill the caller passes L/2 (causal mask).
    """
    import numpy as np

    from chipcalc.core.units import Q

    dqk, dv = attention_dims(model, phase)
    per_layer = fig(model, "attention_heads") * (dqk + dv) * np.asarray(context, dtype=float) * Q(2, "FLOP")
    return (per_layer * fig(model, "layers")).relabel(f"{model.id}.attention_flops_per_token")


def flops_per_token(model: Model, context: Any, phase: str = "decode") -> Figure:
    return matmul_flops_per_token(model) + attention_flops_per_token(model, context, phase)


def experts_touched(model: Model, tokens: Any, held: Any) -> Figure:
    """Expected number of a rank's ``held`` experts (per layer) that ``tokens`` routed tokens hit.

    Routing is taken as uniform and independent: each token picks k of E experts, so an expert is
    missed by all tokens with probability (1 - k/E)^tokens.
    """
    import numpy as np

    from chipcalc.core.units import Q

    E, k = fig(model, "routed_experts"), fig(model, "experts_per_token")
    p_miss = np.power(1.0 - float(k.m("")) / float(E.m("")), np.asarray(tokens, dtype=float))
    frac = Figure(Q(1.0 - p_miss, ""), k.prov | E.prov)
    return frac * held


def check_context(model: Any, longest: float, what: str, option: bool = True) -> None:
    """A one-line usage error when ``longest`` tokens of context exceed the model's ``max_context``: the
    model's own positions end there, so a latency beyond it is no serving the model can do. ``option``:
    the command has ``--allow-long-context`` (the error offers it); else it names the largest context."""
    limit = model.get("max_context")
    if limit is None or longest <= float(limit.m("")):
        return
    top = float(limit.m(""))
    fix = ("pass --allow-long-context (in Python: allow_long_context=True) to run it anyway" if option
           else f"use a context of at most {top:,.0f}")
    raise UsageError(f"{what} is above {model.id}'s maximum context of {top:,.0f} tokens ({model.file}: max_context); {fix}")
