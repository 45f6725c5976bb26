"""Choices the model makes for the user: the layout when none is given, the largest batch for a TPOT."""

from __future__ import annotations

from chipcalc.calc import workload
from chipcalc.calc.serving.hardware import Hardware, Knobs
from chipcalc.calc.serving.layout import Layout, _count, layout
from chipcalc.calc.serving.phases import Decode, decode
from chipcalc.calc.serving.step import memory
from chipcalc.catalog.records import Model
from chipcalc.core.counts import whole
from chipcalc.core.errors import ChipcalcError
from chipcalc.core.figure import Figure

# -- choices the model makes for the user ------------------------------------------------------

def auto_layout(model: Model, hw: Hardware, kn: Knobs, batch: int, context: int, kv_precision: str,
                chips: int | None, tp: int | None, ep: int | None, mtp: int, pp: int | None = None,
                kv_offload: float = 0.0) -> Layout:
    """Fill in what the user left out.

    chips: a system's every chip; for a bare chip the smallest power of two (that holds the PP stages)
    whose memory holds the weights and the asked batch. tp: 1 for MoE models (attention data-parallel,
    experts spread by EP); for dense models the smallest power of two that fits, within the scale-up
    domain, with TP x PP dividing the ranks. pp: 1 unless given. kv_offload: the share of the KV cache in
    host memory, as given (memory fit counts only the HBM part, and the host part against host memory).
    """
    if chips is not None and chips <= 0:
        whole("--chips", chips, "chips")
    pp = 1 if pp is None else int(whole("--pp", pp, "stages"))
    cands_chips = [chips] if chips is not None else (
        [int(hw.chips_total.m(""))] if hw.chips_total is not None else
        [c for c in _powers(max(_limit(model), pp)) if (c * hw.rpc) % pp == 0])
    last: Layout | None = None
    for c in cands_chips or [1]:
        ranks = c * hw.rpc
        tps = [tp] if tp is not None else ([1] if workload.is_moe(model) else
                                           [t for t in _powers(ranks) if ranks % (t * pp) == 0 and _tp_ok(model, hw, t)])
        for t in tps or [1]:  # none: the layout check says why
            lay = layout(model, hw, c, t, ep, mtp, pp, kv_offload)
            last = lay
            if bool(memory(model, hw, lay, kn, batch, context, kv_precision).fits.all()):
                return lay
    if last is None:
        raise ChipcalcError(f"no layout of {model.id} on {hw.id} was found")
    return last


def _limit(model: Model) -> int:
    """Largest chip count tried when choosing one: the heads (TP limit) or the routed experts."""
    return max(_count(model, "attention_heads"), _count(model, "routed_experts"))


def _powers(n: int) -> list[int]:
    out, x = [], 1
    while x <= n:
        out.append(x)
        x *= 2
    return out


def _tp_ok(model: Model, hw: Hardware, t: int) -> bool:
    heads, kvh = _count(model, "attention_heads"), _count(model, "kv_heads")
    if heads % t or (model.attention != "mla" and t % kvh and kvh % t):
        return False
    if t > 1 and (hw.up is None or (hw.up.domain is not None and t > hw.up.domain)):
        return False
    return True


def largest_batch_for_tpot(model: Model, hw: Hardware, lay: Layout, kn: Knobs, context: int, target: Figure,
                           kv_precision: str = "bf16") -> tuple[int | None, Decode]:
    """The largest batch per chip (that fits in memory) whose nominal TPOT meets ``target``; one
    vectorised decode over every batch from 1 to the memory limit."""
    import numpy as np

    probe = decode(model, hw, lay, kn, 1, context, kv_precision)
    limit = int(np.asarray(probe.memory.max_batch.q.m_as("")).max())
    if limit < 1:
        return None, probe
    batches = np.arange(1, limit + 1)
    d = decode(model, hw, lay, kn, batches, context, kv_precision)
    ok = np.asarray(d.tpot.q.m_as("ms")) <= target.q.m_as("ms")
    if not ok.any():
        return None, d
    return int(batches[np.nonzero(ok)[0].max()]), d
