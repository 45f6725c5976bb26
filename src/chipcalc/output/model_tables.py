"""The table of `chipcalc model`: a model card and what follows from its shapes."""

from __future__ import annotations

from typing import Any

from chipcalc.calc import workload
from chipcalc.catalog import schema
from chipcalc.catalog.records import Model
from chipcalc.output.table import Table, ratio_cell


def model_table(model: Model, catalog: Any) -> list[Table]:
    t = Table(f"Model card: {model.name} ({model.id}), {model.architecture}, {model.attention.upper()} attention",
              ["value"], key=f"model.{model.id}")
    for name, (dim, label) in schema.MODEL_FIGURES.items():
        f = model.get(name)
        if f is not None:
            unit = "B" if dim == "information" else ""
            t.add(name, label, unit, [f], detail=f"({f.note})" if f.note else "")
    if model.notes:
        t.notes.append(f"Notes: {model.notes}")
    d = Table(f"Derived from the card's shapes: {model.id}", ["value"], key=f"model.{model.id}.derived")
    p = workload.params(model)
    d.add("params_total", "total parameters (sum of shapes)", "", [p.total])
    d.add("params_active", "parameters active per token (sum of shapes)", "", [p.active])
    for name, computed in (("params_total", p.total), ("params_active", p.active)):
        card = model.get(name)
        if card is not None:
            d.add(f"{name}_check", f"  {name.replace('_', ' ')}: shapes / card", "x", [ratio_cell((computed / card).to(""))])
    d.add("attention_params", "attention parameters per layer", "", [workload.attention_params(model)])
    if workload.is_moe(model):
        d.add("expert_params", "parameters per expert per layer", "", [p.expert])
        d.add("routed_params", "routed-expert parameters (all layers)", "", [p.routed])
        d.add("non_routed_params", "non-routed parameters (attention, dense FFN, shared experts, embeddings)", "", [p.non_routed])
    for prec in ("bf16", "fp8"):
        d.add(f"kv_{prec}", f"KV cache per token at {prec.upper()} (computed)", "B", [workload.kv_bytes_per_token(model, prec)])
    for prec in ("bf16", "fp8", "int8", "fp4"):
        fp4 = catalog.assumption("fp4_weight_bytes") if prec == "fp4" else None
        emb = catalog.assumption("embedding_weight_bytes") if workload.keeps_embeddings_wider(prec) else None
        d.add(f"weights_{prec}", f"weight bytes at {prec.upper()}" + (" (block scales included)" if fp4 else ""), "GB",
              [workload.weight_bytes(model, prec, fp4, emb)])
    ctx = catalog.assumption("default_context")
    d.add("matmul_flops", "matmul FLOPs per token (2 x active, less the input embedding)", "GFLOP", [workload.matmul_flops_per_token(model)])
    d.add("attention_flops", f"attention FLOPs per decoded token at {ctx.m(''):g} tokens of context", "GFLOP",
          [workload.attention_flops_per_token(model, ctx.q.m_as(""), "decode").with_prov(ctx.prov)])
    d.notes.append("FFNs are gated (3 matrices); embeddings untied; MLA decode counts the absorbed form. "
                   "Weight bytes put every weight at the one precision named, except what quantized checkpoints keep "
                   "wider: below 16 bits the embeddings and output head at embedding_weight_bytes; at FP4 the attention "
                   "projections as the card's fp4_attention_bytes says where it does, and fp4_weight_bytes per FP4 weight.")
    return [t, d]


