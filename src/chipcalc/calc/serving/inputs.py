"""The inputs of the serving formulas, read once from the records and lowered to each number type.

:func:`input_figures` collects every figure the formulas read (hardware per rank, the efficiency
assumptions, the model's shapes) as Figures; :func:`lower` turns that set into SI floats, ranged
floats, dimension/provenance tracers or leaves them as Figures. Counts of the layout stay Python ints.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from chipcalc.calc import workload
from chipcalc.calc.serving.hardware import ACT_PRECISION, Hardware, Knobs
from chipcalc.catalog.records import Model
from chipcalc.core.figure import Figure

#: The number types a set of inputs can be lowered to.
KINDS = ("figure", "float", "range", "sym")


def attention_peak(hw: Hardware, kn: Knobs, kv_precision: str) -> Any:
    """The attention math's peak per rank: BF16, or ``fp8_attention_speedup`` times it with the KV cache in
    FP8 on a chip that has an FP8 peak (engines then run FP8 attention)."""
    from chipcalc.catalog import schema

    if kv_precision == "fp8" and hw.chip.get(schema.compute_name("fp8")) is not None:
        return hw.peak_attn * kn.fp8_attn
    return hw.peak_attn


def attention_projections(model: Model, hw: Hardware) -> tuple[Any, Any]:
    """(peak per rank, bytes per weight) of the attention projections where the model's checkpoint at the
    GEMM precision keeps them at a higher one (:func:`workload.kept_attention`); (None, None) otherwise.
    The peak carries the provenance of the card figure that says so."""
    kept = workload.kept_attention(model, hw.precision)
    if kept is None:
        return None, None
    from chipcalc.calc.serving.hardware import peak_of

    fmt, bytes_per_weight = kept
    return (peak_of(hw.chip, fmt) / hw.per_chip).with_prov(bytes_per_weight.prov), bytes_per_weight


def input_figures(model: Model, hw: Hardware, kn: Knobs, kv_precision: str) -> dict[str, Any]:
    """name -> Figure (or a pint quantity without provenance, an int, or None where absent)."""
    p = workload.params(model)
    moe = workload.is_moe(model)
    dqk_d, dv_d = workload.attention_dims(model, "decode")
    dqk_p, dv_p = workload.attention_dims(model, "prefill")
    attn_peak, attn_w = attention_projections(model, hw)
    emb_w = kn.emb_w if workload.keeps_embeddings_wider(hw.precision) else None  # quantized checkpoints keep embeddings in BF16
    disp = hw.precision if workload.BITS[hw.precision] <= 8 else ACT_PRECISION
    out: dict[str, Any] = {
        "peak": hw.peak, "peak_attn": attention_peak(hw, kn, kv_precision), "hbm_bw": hw.hbm_bw, "hbm_cap": hw.hbm_cap,
        "up_bw": hw.up.bandwidth if hw.up else None, "up_lat": hw.up.latency if hw.up else None,
        "out_bw": hw.out.bandwidth if hw.out else None, "out_lat": hw.out.latency if hw.out else None,
        "power": hw.power, "chips_total": hw.chips_total, "per_chip": hw.per_chip,
        "host_cap": hw.host.capacity if hw.host else None, "host_link": hw.host.link if hw.host else None,
        "host_mem_bw": hw.host.bandwidth if hw.host else None, "host_usable": kn.host_usable,
        "mfu": kn.mfu, "mbu": kn.mbu, "link": kn.link, "collective": kn.collective, "layer": kn.layer,
        "usable": kn.usable, "acceptance": kn.acceptance, "exposed_decode": kn.exposed_decode, "exposed_prefill": kn.exposed_prefill, "alltoall": kn.alltoall, "imbalance": kn.imbalance,
        "workspace": kn.workspace, "activation_factor": kn.activation, "prefill_chunk": kn.chunk,
        "group_limit": model.get("routing_group_limit"),
        "nrm": p.non_routed_matmul, "head": p.embed_out, "attn_params": p.attention if attn_w is not None else None,
        "attn_peak": attn_peak, "attn_w": attn_w, "non_routed": p.non_routed,
        "emb_w": emb_w, "emb_params": p.embed_in + p.embed_out if emb_w is not None else None,
        "peak_bf16": hw.peak_attn if emb_w is not None else None,
        "expert": p.expert if moe else 0,
        "k": workload.fig(model, "experts_per_token") if moe else None,
        "E": workload.fig(model, "routed_experts") if moe else None,
        "moe_layers": workload.moe_layers(model), "dense_layers": workload.dense_layers(model),
        "layers": workload.fig(model, "layers"), "hidden": workload.fig(model, "hidden_size"),
        "heads": workload.fig(model, "attention_heads"),
        "dqk_decode": dqk_d, "dv_decode": dv_d, "dqk_prefill": dqk_p, "dv_prefill": dv_p,
        "kv_tok": workload.kv_bytes_per_token(model, kv_precision),
        "w": _bytes(hw.precision, kn), "act": workload.element_bytes(ACT_PRECISION), "disp": _bytes(disp, kn),
    }
    return out


def _bytes(precision: str, kn: Knobs) -> Any:
    """Bytes per element: FP4 with its block scales (the assumption ``fp4_weight_bytes``), else the format's width."""
    return kn.fp4_w if precision == "fp4" else workload.element_bytes(precision)


def lower(figs: dict[str, Any], kind: str) -> SimpleNamespace:
    """The inputs as one number type (see :data:`KINDS`)."""
    if kind == "figure":
        return SimpleNamespace(**figs)
    from chipcalc.calc.serving.values import Ranged, Sym, dims_of

    out = {}
    for name, f in figs.items():
        if f is None or isinstance(f, int):
            out[name] = f
            continue
        q = f.q if isinstance(f, Figure) else f
        base = q.to_base_units()
        if kind == "float":
            out[name] = _plain(base.magnitude)
        elif kind == "range":
            if isinstance(f, Figure) and (f.low is not None or f.high is not None):
                u = base.units
                out[name] = Ranged(_plain(base.magnitude), _plain(f.lo.m_as(u)), _plain(f.hi.m_as(u)))
            else:
                out[name] = Ranged(_plain(base.magnitude))
        else:
            prov = f.prov if isinstance(f, Figure) else None
            from chipcalc.core.figure import Provenance

            # "ranged" as Figure arithmetic has it: low/high set (equal ends are still ends)
            ranged = isinstance(f, Figure) and (f.low is not None or f.high is not None)
            out[name] = Sym(dims_of(q), prov or Provenance(), ranged, name,
                            f.range_prov if isinstance(f, Figure) else Provenance())
    return SimpleNamespace(**out)


def _plain(x: Any) -> Any:
    """A Python float for a scalar (fast arithmetic), the array itself otherwise."""
    import numpy as np

    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=float)
