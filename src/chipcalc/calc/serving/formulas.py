"""The serving model's formulas, written once for every number type (see :mod:`.values`).

Per step and per rank (a package, or a die with ``device="die"``), each kind of work takes the longer
of its compute time and its memory time:

* non-routed matmuls (attention projections, dense FFN, shared experts, router, output head): FLOPs at
  the GEMM precision's peak x ``mfu`` (the output head's only for the tokens sampled: in prefill, each prompt's
  last); bytes = those weights (split by TP) / (HBM x ``mbu``), at ``fp4_weight_bytes`` each at FP4. What
  quantized checkpoints keep wider is a kind of its own, at its format's peak and bytes per weight: below 16
  bits the output head (and, in the memory fit, the embedding table) in BF16 (``embedding_weight_bytes``); at
  FP4, where the model's card says its FP4 checkpoint keeps them in FP8 or BF16, the attention projections
  (``fp4_attention_bytes``);
* routed experts: FLOPs of top-k experts per token; bytes = the experts this rank holds that the step's
  tokens touch (uniform routing), each read once whatever its number of tokens (no per-token streaming
  penalty: it made a step of one token per expert slower than one of eight, which an engine would pad
  to); the busiest rank gets ``expert_imbalance`` times the mean of tokens;
* attention: FLOPs over the context at the BF16 peak; bytes = the KV cache read (decode) or written
  (prefill).

Communication (:mod:`.comm`) is added, all but the share ``comm_exposed_decode`` or ``comm_exposed_prefill``
hidden under the step's compute (two micro-batches, as DeepSeek and SGLang run them; never more than the compute there is to hide
it under), then ``layer_overhead`` per layer; with multi-token prediction each draft token also costs one
pass of the MTP module (one layer of the model). Memory: weights, KV cache, the activations of the tokens
of one step (``activation_factor`` hidden-sizes per token) and ``serving_workspace`` must fit in
``hbm_usable`` of HBM.

Pipeline parallelism (dense models; ranks = TP x PP x DP): each stage holds ceil(layers / PP) layers at most,
so a rank stores that share (``s.stage``) of the weights, and the KV of its layers for PP times the sequences
(at a batch per chip, the KV per rank of an even split is that of PP1). The batch runs as PP micro-batches of
``b`` tokens per rank; one micro-batch at a time is in each stage, and a micro-batch comes round to the first
stage once its token is sampled. So a decode step (the time between two tokens of a sequence) is the sum of
the stage times, which is the PP1 step at the same tokens per rank, plus the PP - 1 stage-to-stage transfers
(:func:`.comm.pipeline`); with an uneven split the busiest stage paces the pipeline, max(that, PP x the busiest
stage's time). Every stage is busy with some micro-batch, so tokens/s per rank = b x accepted tokens / step.
Prefill: one prompt passes every stage in turn, TTFT = the sum of the stage times + the transfers of its
activations; prompts stream through the pipeline (a loaded server's prefill), so its tokens/s per rank is
that of every stage busy (prompt tokens per rank / PP x the busiest stage's time), with no fill or drain
bubble. Offline, a cohort's prompts are m = PP x (prompt tokens per rank / chunk) chunk passes, which fill
and drain the pipeline once: (m + PP - 1) stage times (the bubble (PP - 1) / m) plus the last chunk's
transfers. The embedding and output head are counted with the layers (spread over the stages).

Offline throughput: :func:`inflight` (the default) runs each step as the batch's decode plus the prompt tokens
of the requests that replace finished ones, one pass over the weights for both; :func:`offline` alternates the
phases per cohort of requests.

KV offload (``s.kv_offload`` = f, a system with host memory): f of every sequence's KV cache is kept in host
memory (its capacity per rank x ``host_memory_usable`` bounds it), 1 - f in HBM (only that part counts in the
HBM fit); a step moves the host part over the host link at min(link x ``link_efficiency``, host memory
bandwidth x ``mbu``) while it moves the HBM part, so attention's memory time is the longer of the two.

In a product a figure comes before a constant (``o.const``): the Figure path multiplies Figures by pint
quantities, not the other way round. ``x`` holds the inputs (:mod:`.inputs`), ``s`` the layout's counts
(:class:`Shape`), ``o`` the number type's operations. Batch and context are exact numbers or arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.calc.serving.comm import communication, pipeline


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
    domains: int = 1  # scale-up domains the EP group spans
    group_limited: bool = False  # routing caps the nodes a token visits below the domains spanned
    node_factor: float = 1.0  # nodes per routing group when the EP group spans more domains than groups
    cache_hit: float = 0.0  # share of prompt tokens a prefix cache serves (prefill)
    pp: int = 1  # pipeline stages
    stage: float = 1.0  # the busiest stage's share of the layers: ceil(layers / PP) / layers
    pace: float = 1.0  # PP x stage: the busiest stage's time over the mean stage's (1: an even split)
    pp_up: int = 0  # stage-to-stage hops of the slowest pipeline inside one scale-up domain
    pp_out: int = 0  # ... and across domains (over scale-out)
    kv_offload: float = 0.0  # share of the KV cache kept in host memory

    @property
    def key(self) -> tuple:
        """What the structure of the calculation depends on (which terms exist, which tier a group uses)."""
        return (self.tp > 1, self.ep > 1, self.mtp, self.moe, self.system, self.domains > 1, self.group_limited,
                self.up_domain is not None and self.tp > self.up_domain, self.pp > 1, self.pace != 1.0,
                self.pp_up > 0, self.pp_out > 0, self.kv_offload > 0, self.kv_offload == 1.0)


def memory(o: Any, x: Any, s: Shape, batch: Any, context: Any, seq_tokens: Any, fixed_tokens: Any = 0) -> dict[str, Any]:
    """Per rank: weights, KV cache of ``batch`` sequences per chip at ``context`` tokens, activations of a
    step (``seq_tokens`` per sequence, plus ``fixed_tokens`` whatever the batch, e.g. a prefill chunk),
    workspace; per chip: the largest batch whose KV and activations fit (0 when even the weights do not)."""
    stored = x.non_routed / s.tp
    if s.moe:
        stored = stored + x.expert * s.held * x.moe_layers
    kept = []  # weights a quantized checkpoint keeps at a higher precision: (parameters per rank, bytes each)
    if x.attn_w is not None:  # the model's FP4 checkpoint keeps the attention projections in FP8 or BF16
        kept.append((x.attn_params / s.tp, x.attn_w))
    if x.emb_w is not None:  # quantized checkpoints keep the embedding table and output head in BF16
        kept.append((x.emb_params / s.tp, x.emb_w))
    for n, _ in kept:
        stored = stored - n
    weights = o.total([stored * x.w] + [n * b for n, b in kept])
    per_seq = x.kv_tok * (s.tp / s.kv_shard) * context  # one sequence's KV cache, per rank
    if s.pp > 1:  # a rank holds its stage's layers: 1/PP of the weights (the busiest stage's share)
        weights = weights * s.stage
        if s.pace != 1.0:  # and their KV for PP times the sequences: the busiest stage holds more layers
            per_seq = per_seq * s.pace
    act_tok = x.hidden * x.act * x.activation_factor  # live activations of one token in a step
    usable = x.hbm_cap * x.usable
    fixed = x.workspace + act_tok * fixed_tokens
    free = usable - weights - fixed
    host_kv = host_usable = None
    if s.kv_offload > 0:  # that share of the KV cache lives in host memory, the rest in HBM
        host_seq = per_seq * s.kv_offload
        host_kv, host_usable = host_seq * (batch / s.rpc), x.host_cap * x.host_usable
        by_host = host_usable * s.rpc / host_seq
        per_seq = per_seq * (1 - s.kv_offload)
        by_hbm = free * s.rpc / (per_seq + act_tok * seq_tokens) if s.kv_offload < 1 else free * s.rpc / (act_tok * seq_tokens)
        max_batch = o.floor0(o.min(by_hbm, by_host))
    else:
        max_batch = o.floor0(free * s.rpc / (per_seq + act_tok * seq_tokens))
    return {"weights": weights, "kv": per_seq * (batch / s.rpc),
            "activations": act_tok * (seq_tokens * (batch / s.rpc) + fixed_tokens), "workspace": x.workspace,
            "usable": usable, "max_batch": max_batch, "host_kv": host_kv, "host_usable": host_usable}


def step(o: Any, x: Any, s: Shape, tokens: Any, attn_context: Any, kv_bytes: Any, phase: str,
         compute_tokens: Any = None, logit_tokens: Any = None, attn_tokens: Any = None,
         extra_attention: tuple = ()) -> dict[str, Any]:
    """Roofline of one step: ``tokens`` tokens per rank attending to ``attn_context`` tokens each, with
    ``kv_bytes`` of KV traffic per rank (``compute_tokens``: the tokens computed, when a prefix cache
    serves the rest; ``logit_tokens``: the tokens the output head runs for, when not every computed token
    is sampled, as in prefill; ``attn_tokens``: the tokens of that attention, when the step computes others
    too; ``extra_attention``: more attention of its own, (tokens, context, d_qk, d_v, KV bytes) each, as the
    prompt tokens of an in-flight step). Returns the per-kind compute and memory times and the sums."""
    flop2 = o.const(2.0, "FLOP")
    ct = tokens if compute_tokens is None else compute_tokens
    peak, peak_a = x.peak * x.mfu, x.peak_attn * x.mfu
    bw = x.hbm_bw * x.mbu
    lt = ct if logit_tokens is None else logit_tokens  # tokens the output head runs for
    nr, own = x.nrm, []  # non-routed matmuls at the GEMM precision; kinds of their own
    if x.attn_w is not None:  # the attention projections at the precision the checkpoint keeps them in
        nr = nr - x.attn_params
        own.append((x.attn_params * flop2 * ct, x.attn_peak * x.mfu, x.attn_params / s.tp * x.attn_w))
    if x.emb_w is not None:  # the output head in BF16 (quantized checkpoints keep it so)
        nr = nr - x.head
        own.append((x.head * flop2 * lt, x.peak_bf16 * x.mfu, x.head / s.tp * x.emb_w))
        nr_flops = nr * flop2 * ct
    else:
        nr_flops = nr * flop2 * ct if logit_tokens is None else (nr - x.head) * flop2 * ct + x.head * flop2 * lt
    kinds = [(nr_flops, peak, nr / s.tp * x.w), *own]
    if s.moe:
        busy = ct * x.imbalance if s.ep > 1 else ct  # the busiest rank's routed tokens
        touched = o.touch(x.k, x.E, ct * s.ep) * s.held  # hot experts get more tokens, not more experts touched
        kinds.append((x.expert * x.k * x.moe_layers * flop2 * busy, peak, x.expert * x.moe_layers * x.w * touched))
    dqk, dv = (x.dqk_decode, x.dv_decode) if phase == "decode" else (x.dqk_prefill, x.dv_prefill)
    host_bytes = host_time = None
    if s.kv_offload > 0:  # the host's share of the KV traffic goes over the host link, beside the HBM part
        host_bytes = kv_bytes * s.kv_offload
        kv_bytes = kv_bytes * (1 - s.kv_offload)
        host_bw = x.host_link * x.link if x.host_mem_bw is None else o.min(x.host_link * x.link, x.host_mem_bw * x.mbu)
        host_time = host_bytes / host_bw
    for a_tok, a_ctx, a_qk, a_v, a_bytes in extra_attention:  # before the main one: host KV reads apply to the last
        kinds.append((x.heads * (a_qk + a_v) * flop2 * x.layers * a_ctx * a_tok, peak_a, a_bytes))
    at = ct if attn_tokens is None else attn_tokens
    kinds.append((x.heads * (dqk + dv) * flop2 * x.layers * attn_context * at, peak_a, kv_bytes))
    c_times = [f / pk for f, pk, _ in kinds]
    m_times = [b / bw for _, _, b in kinds]
    if host_time is not None:  # the two reads run at once on their own paths: the longer one counts
        m_times[-1] = o.max(m_times[-1], host_time)
    comm = communication(o, x, s, ct)
    overhead = x.layer * x.layers
    parts = [o.max(c, m) for c, m in zip(c_times, m_times)]
    work = o.total(parts)
    share = x.exposed_decode if phase == "decode" else x.exposed_prefill
    exposed = None if comm is None else o.max(comm * share, comm - work)  # what overlap cannot hide
    time = o.total([work] + ([exposed] if exposed is not None else []) + [overhead])
    return {"c_times": c_times, "m_times": m_times, "compute": o.total(c_times), "memory": o.total(m_times),
            "work": work, "comm": comm, "exposed": exposed, "overhead": overhead, "time": time,
            "flops": o.total([f for f, _, _ in kinds]), "bytes": o.total([b for _, _, b in kinds]),
            "host_bytes": host_bytes, "host_time": host_time}


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


def _decode_step(o: Any, x: Any, s: Shape, b: Any, context: Any, prompt: Any = None) -> tuple[dict[str, Any], Any, Any]:
    """A decode step of ``b`` sequences per rank: the step, the tokens accepted per sequence, the step
    time with the MTP draft passes. ``prompt`` = (p, isl): p prompt tokens per rank of prompts of isl tokens
    computed in the same step (in-flight batching: one pass over the weights serves both)."""
    kv_per_token = x.kv_tok * (s.tp / s.kv_shard)
    dec = b * (1 + s.mtp)
    if prompt is None:
        st = step(o, x, s, dec, context, kv_per_token * (b * context), "decode")
    else:  # the prompt tokens: matmuls and experts with the decode tokens, their own attention (causal: isl / 2)
        p, isl = prompt
        st = step(o, x, s, dec + p, context, kv_per_token * (b * context), "decode", logit_tokens=dec + p / isl,
                  attn_tokens=dec, extra_attention=((p, isl * 0.5, x.dqk_prefill, x.dv_prefill, kv_per_token * p),))
    acc = accepted(o, x, s.mtp)
    time = st["time"]
    if s.mtp:  # each draft token: one pass of the one-layer MTP module over the batch
        draft = st["time"] / x.layers * s.mtp
        time = time + draft
        st = {**st, "draft": draft, "time": time}
    transfer = pipeline(o, x, s, dec if prompt is None else dec + prompt[0])
    if transfer is not None:  # PP micro-batches of b per rank: each passes every stage, then comes round again
        time = time + transfer if s.pace == 1.0 else o.max(time + transfer, time * s.pace)
        st = {**st, "time": time}
    return {**st, "transfer": transfer}, acc, time


def decode(o: Any, x: Any, s: Shape, batch: Any, context: Any) -> dict[str, Any]:
    """Decode at ``batch`` sequences per chip and ``context`` tokens of KV each."""
    b = batch / s.rpc
    st, acc, time = _decode_step(o, x, s, b, context)
    per_rank = b * acc / time * o.const(1.0, "token")
    per_chip = _times(per_rank, x.per_chip)
    per_system, per_kw = _scale(x, s, per_chip)
    mem = memory(o, x, s, batch, context, 1 + s.mtp)
    return {**st, "accepted": acc, "tpot": time / acc, "per_rank": per_rank, "per_chip": per_chip,
            "per_system": per_system, "per_kw": per_kw, **{f"mem_{k}": v for k, v in mem.items()}}


def prefill(o: Any, x: Any, s: Shape, prompt: Any, tokens: Any, cache_hit: float = 0.0) -> dict[str, Any]:
    """Prefill of prompts of ``prompt`` tokens with ``tokens`` prompt tokens per rank in one step; a prefix
    cache serves ``cache_hit`` of them (only the rest is computed; they attend to the cached part too).
    TTFT is the step time; tokens/s counts every prompt token. The output head runs for each prompt's last
    token only (``tokens / prompt`` per rank)."""
    kv_per_token = x.kv_tok * (s.tp / s.kv_shard)
    new = tokens * (1 - cache_hit)
    # the output head runs for each prompt's last token only (engines sample one token per prompt)
    st = step(o, x, s, tokens, prompt * ((1 + cache_hit) / 2), kv_per_token * new, "prefill", compute_tokens=new,
              logit_tokens=tokens / prompt)
    transfer = pipeline(o, x, s, tokens)
    ttft, busy = st["time"], st["time"]
    if transfer is not None:  # the prompt passes every stage; prompts stream, so every stage is busy
        ttft = st["time"] + transfer
        busy = st["time"] * s.pace if s.pace != 1.0 else busy
    per_chip = _times(tokens / busy, x.per_chip) * o.const(1.0, "token")
    per_system, per_kw = _scale(x, s, per_chip)
    return {**st, "transfer": transfer, "ttft": ttft, "per_chip": per_chip, "per_system": per_system, "per_kw": per_kw}


def offline(o: Any, x: Any, s: Shape, batch: Any, lengths: tuple[Any, Any]) -> dict[str, Any]:
    """Offline (end-to-end) throughput: ``batch`` requests per chip of fixed input and output lengths,
    the two phases alternated: each cohort's prompts are prefilled in chunks of ``prefill_chunk_tokens``,
    then decoded to the output length at the mean context. Output tokens/s count prefill time."""
    isl, osl = lengths
    b = batch / s.rpc
    prompt_tokens = b * isl  # per rank
    chunk = o.min(prompt_tokens, x.prefill_chunk)
    pre = prefill(o, x, s, isl, chunk)
    t_prefill = pre["time"] * (prompt_tokens / chunk)
    if s.pp > 1:  # PP x (prompt tokens / chunk) chunks pass the stages one after another: (m + PP - 1) stage times
        t_prefill = t_prefill * s.pace + pre["time"] * (s.stage * (s.pp - 1)) + pre["transfer"]
    st, acc, step_time = _decode_step(o, x, s, b, isl + osl / 2)
    tpot = step_time / acc
    e2e = t_prefill + tpot * osl
    per_rank = b * osl / e2e * o.const(1.0, "token")
    per_chip = _times(per_rank, x.per_chip)
    per_system, per_kw = _scale(x, s, per_chip)
    mem = memory(o, x, s, batch, isl + osl, 1 + s.mtp, x.prefill_chunk)
    return {**st, "prefill_time": t_prefill, "accepted": acc, "tpot": tpot, "e2e": e2e, "per_rank": per_rank,
            "per_chip": per_chip, "per_system": per_system, "per_kw": per_kw,
            "decode_share": tpot * osl / e2e, **{f"mem_{k}": v for k, v in mem.items()}}


def inflight(o: Any, x: Any, s: Shape, batch: Any, lengths: tuple[Any, Any]) -> dict[str, Any]:
    """Offline (end-to-end) throughput with in-flight batching: ``batch`` requests per chip in flight, and
    each step decodes them all and computes the prompt tokens of the requests that replace the finished ones.
    In the steady state every step completes accepted / ``osl`` of each request, so it computes
    b x accepted x ``isl`` / ``osl`` prompt tokens per rank. Output tokens/s count every step."""
    isl, osl = lengths
    b = batch / s.rpc
    acc = accepted(o, x, s.mtp)
    share = acc * (isl / osl)  # prompt tokens per sequence per step
    st, acc, step_time = _decode_step(o, x, s, b, isl + osl / 2, prompt=(b * share, isl))
    tpot = step_time / acc
    per_rank = b * acc / step_time * o.const(1.0, "token")
    per_chip = _times(per_rank, x.per_chip)
    per_system, per_kw = _scale(x, s, per_chip)
    # activations: the decode tokens and at most a prefill chunk of prompt tokens (engines cap the tokens of a
    # step, max_num_tokens; more prompt tokens than that run over more steps), as the alternated model counts them
    mem = memory(o, x, s, batch, isl + osl, 1 + s.mtp, x.prefill_chunk)
    return {**st, "prefill_time": None, "accepted": acc, "tpot": tpot, "e2e": tpot * osl, "per_rank": per_rank,
            "per_chip": per_chip, "per_system": per_system, "per_kw": per_kw, "decode_share": None,
            "prompt_tokens": b * share, **{f"mem_{k}": v for k, v in mem.items()}}
