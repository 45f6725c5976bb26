"""The serving model's formulas, written once for every number type (see :mod:`.values`).

Per step and per rank (a package, or a die with ``device="die"``), each kind of work takes the longer
of its compute time and its memory time:

* non-routed matmuls (attention projections, dense FFN, shared experts, router, output head): FLOPs at
  the GEMM precision's peak x ``mfu``; bytes = those weights (split by TP) / (HBM x ``mbu``);
* routed experts: FLOPs of top-k experts per token; bytes = the experts this rank holds that the step's
  tokens touch (uniform routing);
* attention: FLOPs over the context at the BF16 peak; bytes = the KV cache read (decode) or written
  (prefill).

To that sum it adds communication (TP all-reduce: two-shot, reduce-scatter then all-gather, i.e.
2(t-1)/t of the message per rank and two latency hops; EP all-to-all: dispatch at the GEMM precision when
it is 8-bit or less, combine at BF16) over the scale-up tier, and the scale-out tier for the share of peers
outside one scale-up domain, each collective paying link latency per hop plus ``collective_overhead``; and
``layer_overhead`` per layer. In a product, a figure comes before a constant (``o.const``): the Figure
path multiplies Figures by pint quantities, not the other way round. ``x`` holds the inputs (:mod:`.inputs`), ``s`` the layout's counts
(:class:`Shape`), ``o`` the number type's operations. Batch and context are exact numbers or arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.core.errors import UsageError


@dataclass(frozen=True)
class Shape:
    """The counts of a deployment the formulas branch on (all exact)."""

    id: str  # the target, for messages
    chips: int
    ranks: int
    rpc: int  # ranks per chip
    tp: int
    ep: int
    mtp: int
    held: int  # routed experts per rank per layer
    kv_shard: int  # ways TP splits one sequence's KV cache
    up_domain: int | None  # ranks in one scale-up domain (None: all)
    moe: bool
    system: bool  # the target is a system (its chip count scales the throughput)

    @property
    def key(self) -> tuple:
        """What the structure of the calculation depends on (which terms exist, which tier a group uses)."""
        return (self.tp > 1, self.ep > 1, self.mtp, self.moe, self.system,
                self.up_domain is not None and self.tp > self.up_domain,
                self.up_domain is not None and self.ep > self.up_domain)


def memory(o: Any, x: Any, s: Shape, batch: Any, context: Any) -> dict[str, Any]:
    stored = x.non_routed / s.tp
    if s.moe:
        stored = stored + x.expert * s.held * x.moe_layers
    weights = stored * x.w
    per_seq = x.kv_tok * (s.tp / s.kv_shard) * context  # one sequence's KV cache, per rank
    usable = x.hbm_cap * x.usable
    free = usable - weights
    return {"weights": weights, "kv": per_seq * (batch / s.rpc), "usable": usable,
            "max_batch": o.floor0(free * s.rpc / per_seq)}


def collective(o: Any, x: Any, s: Shape, group: int, nbytes: Any, hops: int) -> Any:
    """Time of one collective moving ``nbytes`` per rank over a group of ``group`` ranks."""
    if x.up_bw is None:
        raise UsageError(f"{s.id} has no scale-up bandwidth figure; parallelism across chips needs one")
    if s.up_domain is None or group <= s.up_domain:
        wire = nbytes / (x.up_bw * x.link)
        lat = x.up_lat
    else:
        if x.out_bw is None:
            raise UsageError(f"a group of {group} ranks spans more than one scale-up domain of {s.id} and it has no scale-out tier")
        f_out = (group - s.up_domain) / (group - 1)
        wire = o.max(nbytes * (1 - f_out) / (x.up_bw * x.link), nbytes * f_out / (x.out_bw * x.link))
        lat = x.out_lat
    return wire + (lat * hops + x.collective)


def communication(o: Any, x: Any, s: Shape, tokens: Any) -> Any:
    """TP all-reduce and EP all-to-all time per step per rank for ``tokens`` tokens per rank (None: none)."""
    parts = []
    if s.tp > 1:
        t = s.tp
        per_layer = 2 * x.dense_layers + x.moe_layers  # attention + dense FFN
        sent = x.hidden * x.act * t * (2 * (t - 1) / t)  # of the TP group's tokens, per token per rank
        parts.append(collective(o, x, s, t, sent * tokens, hops=2) * per_layer)
    if s.moe and s.ep > 1:
        e = s.ep
        remote = x.hidden * x.k * ((e - 1) / e)  # per token
        dispatch = collective(o, x, s, e, remote * x.disp * tokens, hops=1)
        combine = collective(o, x, s, e, remote * x.act * tokens, hops=1)
        parts.append((dispatch + combine) * x.moe_layers)
    return o.total(parts) if parts else None


def step(o: Any, x: Any, s: Shape, tokens: Any, attn_context: Any, kv_bytes: Any, phase: str) -> dict[str, Any]:
    """Roofline of one step: ``tokens`` tokens per rank attending to ``attn_context`` tokens each, with
    ``kv_bytes`` of KV traffic per rank. Returns the per-kind compute and memory times and the sums."""
    flop2 = o.const(2.0, "FLOP")
    peak, peak_a = x.peak * x.mfu, x.peak_attn * x.mfu
    bw = x.hbm_bw * x.mbu
    kinds = [(x.nrm * flop2 * tokens, peak, x.nr_matmul / s.tp * x.w)]
    if s.moe:
        touched = o.touch(x.k, x.E, tokens * s.ep) * s.held
        kinds.append((x.expert * x.k * x.moe_layers * flop2 * tokens, peak, x.expert * x.moe_layers * x.w * touched))
    dqk, dv = (x.dqk_decode, x.dv_decode) if phase == "decode" else (x.dqk_prefill, x.dv_prefill)
    kinds.append((x.heads * (dqk + dv) * flop2 * x.layers * attn_context * tokens, peak_a, kv_bytes))
    c_times = [f / pk for f, pk, _ in kinds]
    m_times = [b / bw for _, _, b in kinds]
    comm = communication(o, x, s, tokens)
    overhead = x.layer * x.layers
    parts = [o.max(c, m) for c, m in zip(c_times, m_times)]
    time = o.total(parts + ([comm] if comm is not None else []) + [overhead])
    return {"c_times": c_times, "m_times": m_times, "compute": o.total(c_times), "memory": o.total(m_times),
            "comm": comm, "overhead": overhead, "time": time,
            "flops": o.total([f for f, _, _ in kinds]), "bytes": o.total([b for _, _, b in kinds])}


def accepted(o: Any, x: Any, mtp: int) -> Any:
    """1 + a + a^2 + ... + a^mtp tokens per sequence per step."""
    if not mtp:
        return 1
    acc = 1 + x.acceptance
    term = x.acceptance
    for _ in range(mtp - 1):
        term = term * x.acceptance
        acc = acc + term
    return acc


def _times(a: Any, b: Any) -> Any:
    """a x b, skipping an exact 1 (ranks per chip of a one-die package)."""
    return a if isinstance(b, int) and b == 1 else a * b


def _scale(x: Any, s: Shape, per_chip: Any) -> tuple[Any, Any]:
    per_system = per_chip * x.chips_total if x.chips_total is not None else per_chip * s.chips
    return per_system, (per_chip / x.power if x.power is not None else None)


def decode(o: Any, x: Any, s: Shape, batch: Any, context: Any) -> dict[str, Any]:
    """Decode at ``batch`` sequences per chip and ``context`` tokens of KV each."""
    b = batch / s.rpc
    kv_per_token = x.kv_tok * (s.tp / s.kv_shard)
    st = step(o, x, s, b * (1 + s.mtp), context, kv_per_token * (b * context), "decode")
    acc = accepted(o, x, s.mtp)
    per_rank = b * acc / st["time"] * o.const(1.0, "token")
    per_chip = _times(per_rank, x.per_chip)
    per_system, per_kw = _scale(x, s, per_chip)
    return {**st, "accepted": acc, "tpot": st["time"] / acc, "per_rank": per_rank, "per_chip": per_chip,
            "per_system": per_system, "per_kw": per_kw, **{f"mem_{k}": v for k, v in memory(o, x, s, batch, context).items()}}


def prefill(o: Any, x: Any, s: Shape, prompt: Any, tokens: Any) -> dict[str, Any]:
    """Prefill of prompts of ``prompt`` tokens with ``tokens`` prompt tokens per rank in one step; TTFT is
    the step time."""
    kv_per_token = x.kv_tok * (s.tp / s.kv_shard)
    st = step(o, x, s, tokens, prompt / 2, kv_per_token * tokens, "prefill")
    per_chip = _times(tokens / st["time"], x.per_chip) * o.const(1.0, "token")
    per_system, per_kw = _scale(x, s, per_chip)
    return {**st, "ttft": st["time"], "per_chip": per_chip, "per_system": per_system, "per_kw": per_kw}
