"""One step of the serving model per rank: memory fit, communication, and the roofline of the step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.calc import workload
from chipcalc.calc.serving.hardware import ACT_PRECISION, Hardware, Knobs
from chipcalc.calc.serving.layout import Layout, experts_held, kv_shard
from chipcalc.catalog.records import Model
from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Figure, apply, fmax, total

# -- memory ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Memory:
    weights: Figure  # per rank, stored
    kv: Figure  # per rank at the batch and context asked
    usable: Figure  # per rank
    fits: Any  # bool array
    max_batch: Figure  # per chip, largest batch whose KV fits (0 when even the weights do not)


def memory(model: Model, hw: Hardware, lay: Layout, kn: Knobs, batch: Any, context: Any, kv_precision: str) -> Memory:
    import numpy as np

    p = workload.params(model)
    w = workload.element_bytes(hw.precision)
    stored = p.non_routed / lay.tp
    if workload.is_moe(model):
        stored = stored + p.expert * experts_held(model, lay) * workload.moe_layers(model)
    weights = (stored * w).to("GB").relabel("weights per rank")
    kv_tok = workload.kv_bytes_per_token(model, kv_precision) * (lay.tp / kv_shard(model, lay.tp))
    per_seq = (kv_tok * np.asarray(context, dtype=float)).to("GB")  # one sequence, per rank
    kv = (per_seq * np.asarray(batch, dtype=float) / hw.rpc).to("GB").relabel("KV cache per rank")
    usable = (hw.hbm_cap * kn.usable).to("GB")
    free = usable - weights
    max_batch = apply((free / per_seq) * hw.rpc, lambda x: np.maximum(np.floor(x), 0.0))
    fits = np.asarray((weights + kv).q.m_as("GB") <= usable.q.m_as("GB"))
    return Memory(weights, kv, usable, fits, max_batch)




# -- communication -----------------------------------------------------------------------------

def _collective(hw: Hardware, kn: Knobs, group: int, nbytes: Figure, hops: int) -> Figure:
    """Time of one collective moving ``nbytes`` per rank over a group of ``group`` ranks."""
    up = hw.up
    if up is None:
        raise UsageError(f"{hw.id} has no scale-up bandwidth figure; parallelism across chips needs one")
    if up.domain is None or group <= up.domain:
        wire = nbytes / (up.bandwidth * kn.link)
        lat = up.latency
    else:
        if hw.out is None:
            raise UsageError(f"a group of {group} ranks spans more than one scale-up domain of {hw.id} and it has no scale-out tier")
        f_out = (group - up.domain) / (group - 1)
        wire = fmax(nbytes * (1 - f_out) / (up.bandwidth * kn.link), nbytes * f_out / (hw.out.bandwidth * kn.link))
        lat = hw.out.latency
    return (wire + lat * hops + kn.collective).to("s")


def communication(model: Model, hw: Hardware, lay: Layout, kn: Knobs, tokens: Any) -> Figure | None:
    """TP all-reduce and EP all-to-all time per step per rank for ``tokens`` tokens per rank."""
    import numpy as np

    h = workload.fig(model, "hidden_size")
    act = workload.element_bytes(ACT_PRECISION)
    tok = np.asarray(tokens, dtype=float)
    parts = []
    if lay.tp > 1:
        t = lay.tp
        msg = h * act * tok * t  # the TP group's tokens
        per_layer = 2 * workload.dense_layers(model) + workload.moe_layers(model)  # attention + dense FFN
        one = _collective(hw, kn, t, msg * (2 * (t - 1) / t), hops=2)
        parts.append(one * per_layer)
    if workload.is_moe(model) and lay.ep > 1:
        e, k = lay.ep, workload.fig(model, "experts_per_token")
        disp_prec = hw.precision if workload.BITS[hw.precision] <= 8 else ACT_PRECISION
        remote = h * k * tok * ((e - 1) / e)
        dispatch = _collective(hw, kn, e, remote * workload.element_bytes(disp_prec), hops=1)
        combine = _collective(hw, kn, e, remote * act, hops=1)
        parts.append((dispatch + combine) * workload.moe_layers(model))
    return total(parts).to("ms") if parts else None




# -- one step ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """Per-rank times of one step; arrays broadcast over batch and context."""

    compute: Figure  # all FLOPs at achievable peak
    memory: Figure  # all bytes at achievable bandwidth
    comm: Figure | None
    overhead: Figure
    time: Figure  # sum over kinds of max(compute, memory) + comm + overhead
    bound: Any  # array of "compute" | "memory" | "communication" | "overhead"
    flops: Figure
    bytes: Figure


def step(model: Model, hw: Hardware, lay: Layout, kn: Knobs, *, tokens: Any, attn_context: Any,
         kv_bytes: Figure, phase: str) -> Step:
    """Roofline of one step: ``tokens`` tokens per rank, attending to ``attn_context`` tokens each,
    with ``kv_bytes`` of KV traffic per rank."""
    import numpy as np

    from chipcalc.core.units import Q

    p = workload.params(model)
    w = workload.element_bytes(hw.precision)
    tok = np.asarray(tokens, dtype=float)
    peak, peak_a = hw.peak * kn.mfu, hw.peak_attn * kn.mfu
    bw = hw.hbm_bw * kn.mbu
    kinds = []  # (flops, peak, bytes)
    kinds.append((p.non_routed_matmul * Q(2, "FLOP") * tok, peak, (p.non_routed - p.embed_in) / lay.tp * w))
    if workload.is_moe(model):
        k, ml = workload.fig(model, "experts_per_token"), workload.moe_layers(model)
        touched = workload.experts_touched(model, tok * lay.ep, experts_held(model, lay))
        kinds.append((p.expert * k * ml * Q(2, "FLOP") * tok, peak, p.expert * touched * ml * w))
    kinds.append((workload.attention_flops_per_token(model, attn_context, phase) * tok, peak_a, kv_bytes))
    c_times = [(f / pk).to("ms") for f, pk, _ in kinds]
    m_times = [(b / bw).to("ms") for _, _, b in kinds]
    comm = communication(model, hw, lay, kn, tok)
    overhead = (kn.layer * workload.fig(model, "layers")).to("ms")
    parts = [fmax(c, m) for c, m in zip(c_times, m_times)]
    time = total(parts + ([comm] if comm is not None else []) + [overhead]).to("ms")
    # which resource binds: the largest of the compute-bound, memory-bound, comm and overhead shares
    cm = [c.q.m_as("ms") for c in c_times]
    mm = [m.q.m_as("ms") for m in m_times]
    c_share = sum(np.where(c >= m, c, 0.0) for c, m in zip(cm, mm))
    m_share = sum(np.where(c >= m, 0.0, m) for c, m in zip(cm, mm))
    shares = np.broadcast_arrays(c_share, m_share, comm.q.m_as("ms") if comm is not None else 0.0,
                                 overhead.q.m_as("ms") + 0 * c_share)
    names = np.array(["compute", "memory", "communication", "overhead"])
    bound = names[np.argmax(np.stack(shares), axis=0)]
    flops = total([f for f, _, _ in kinds]).to("GFLOP")
    nbytes = total([b for _, _, b in kinds]).to("GB")
    return Step(total(c_times), total(m_times), comm, overhead, time, bound, flops, nbytes)
