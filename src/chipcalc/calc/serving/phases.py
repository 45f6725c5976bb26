"""Decode (TPOT, tokens/s) and prefill (TTFT) of one model on one deployment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.calc import workload
from chipcalc.calc.serving.hardware import Hardware, Knobs
from chipcalc.calc.serving.layout import Layout, kv_shard
from chipcalc.calc.serving.step import Memory, Step, memory, step
from chipcalc.catalog.records import Model
from chipcalc.core.counts import whole
from chipcalc.core.figure import Figure

# -- decode and prefill ------------------------------------------------------------------------

@dataclass(frozen=True)
class Decode:
    step: Step
    accepted: Figure | int  # tokens per sequence per step
    tpot: Figure
    per_rank: Figure  # tokens/s
    per_chip: Figure
    per_system: Figure | None
    per_kw: Figure | None
    memory: Memory


def accepted_tokens(kn: Knobs, mtp: int) -> Figure | int:
    """1 + a + a^2 + ... + a^mtp tokens per sequence per step."""
    if not mtp:
        return 1
    acc = 1 + kn.acceptance
    term = kn.acceptance
    for _ in range(mtp - 1):
        term = term * kn.acceptance
        acc = acc + term
    return acc


def decode(model: Model, hw: Hardware, lay: Layout, kn: Knobs, batch: Any, context: Any,
           kv_precision: str = "bf16") -> Decode:
    """Decode at ``batch`` sequences per chip and ``context`` tokens of KV each (arrays broadcast)."""
    import numpy as np

    from chipcalc.core.units import Q

    batch = whole("--batch", batch, "sequences")
    context = whole("--context", context, "tokens")
    b, ctx = np.broadcast_arrays(batch.astype(float) / hw.rpc, context.astype(float))
    kv_tok = workload.kv_bytes_per_token(model, kv_precision) * (lay.tp / kv_shard(model, lay.tp))
    st = step(model, hw, lay, kn, tokens=b * lay.tokens_per_step, attn_context=ctx,
              kv_bytes=kv_tok * (b * ctx), phase="decode")
    acc = accepted_tokens(kn, lay.mtp)
    tpot = (st.time / acc).to("ms").relabel("TPOT")
    per_rank = ((1 / st.time) * Q(1.0, "token") * b * acc).to("token/s")
    per_chip = (per_rank * hw.per_chip).to("token/s")
    return Decode(st, acc, tpot, per_rank, per_chip, *_scale(hw, lay, per_chip),
                  memory(model, hw, lay, kn, batch, context, kv_precision))


def _scale(hw: Hardware, lay: Layout, per_chip: Figure) -> tuple[Figure | None, Figure | None]:
    per_system = (per_chip * hw.chips_total).to("token/s") if hw.chips_total is not None else (per_chip * lay.chips).to("token/s")
    per_kw = (per_chip / hw.power).to("token/s/kW") if hw.power is not None else None
    return per_system, per_kw


@dataclass(frozen=True)
class Prefill:
    step: Step
    tokens: Any  # per rank
    ttft: Figure
    per_chip: Figure  # input tokens/s
    per_system: Figure | None
    per_kw: Figure | None


def prefill(model: Model, hw: Hardware, lay: Layout, kn: Knobs, prompt: Any, tokens_per_chip: Any = None,
            kv_precision: str = "bf16") -> Prefill:
    """Prefill of prompts of ``prompt`` tokens, ``tokens_per_chip`` prompt tokens per chip per step
    (default: one prompt per TP group, i.e. prompt / tp per chip). TTFT is the step time."""
    import numpy as np

    from chipcalc.core.units import Q

    prompt = whole("--context", prompt, "tokens").astype(float)
    if tokens_per_chip is None:
        tok = prompt / lay.tp / hw.rpc
    else:
        tok = whole("--prefill-tokens", tokens_per_chip, "tokens").astype(float) / hw.rpc
    tok, prompt = np.broadcast_arrays(tok, prompt)
    kv_tok = workload.kv_bytes_per_token(model, kv_precision) * (lay.tp / kv_shard(model, lay.tp))
    st = step(model, hw, lay, kn, tokens=tok, attn_context=prompt / 2, kv_bytes=kv_tok * tok, phase="prefill")
    per_chip = ((1 / st.time) * Q(1.0, "token") * tok * hw.per_chip).to("token/s")
    return Prefill(st, tok, st.time.relabel("TTFT"), per_chip, *_scale(hw, lay, per_chip))
