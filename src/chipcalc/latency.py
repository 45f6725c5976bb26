"""The serving model: a careful roofline for prefill (TTFT) and decode (TPOT) of one LLM.

One model for every chip. Per step and per rank (a rank is one package, or one die with
``device="die"``), each kind of work takes the longer of its compute time and its memory time:

* non-routed matmuls (attention projections, dense FFN, shared experts, router, output head):
  FLOPs at the GEMM precision's peak x ``mfu``; bytes = those weights (split by TP) / (HBM x ``mbu``);
* routed experts: FLOPs of top-k experts per token; bytes = the experts this rank holds that the
  step's tokens touch (uniform routing);
* attention: FLOPs over the context at the BF16 peak; bytes = the KV cache read (decode) or written
  (prefill).

To that sum it adds communication (TP all-reduce: two-shot, reduce-scatter then all-gather, i.e.
2(t-1)/t of the message per rank and two latency hops; EP all-to-all: dispatch at
the GEMM precision when it is 8-bit or less, combine at BF16) over the scale-up tier, and the
scale-out tier for the share of peers outside one scale-up domain, each collective paying link
latency per hop plus ``collective_overhead``; and ``layer_overhead`` per layer. Every efficiency and
overhead is a named assumption read from the catalog (specs/assumptions.toml).

Everything is vectorised with numpy: ``batch`` and ``context`` may be arrays that broadcast, so a
range of batches is one call. Results are :class:`Figure` objects with the provenance of every input.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from chipcalc import schema, workload
from chipcalc.errors import ChipcalcError, UsageError
from chipcalc.figure import Figure, Provenance, total
from chipcalc.records import Chip, Model, System

#: Assumption names this model reads (specs/assumptions.toml).
KNOBS = ("mfu", "mbu", "link_efficiency", "scaleup_latency", "scaleout_latency", "collective_overhead",
         "layer_overhead", "hbm_usable", "mtp_acceptance")
#: Precision of activations on the wire and of the attention math.
ACT_PRECISION = "bf16"


# -- small helpers on figures ------------------------------------------------------------------

def fmax(*figs: Figure) -> Figure:
    """Elementwise maximum of figures of one dimension (provenance and ranges combined)."""
    import numpy as np

    from chipcalc.units import Q

    unit = figs[0].q.units
    pick = lambda attr: functools.reduce(np.maximum, [getattr(f, attr).m_as(unit) for f in figs])  # noqa: E731
    ranged = any(f.low is not None or f.high is not None for f in figs)
    prov = Provenance.union(f.prov for f in figs)
    if not ranged:
        return Figure(Q(pick("q"), unit), prov)
    return Figure(Q(pick("q"), unit), prov, low=Q(pick("lo"), unit), high=Q(pick("hi"), unit))


def apply(f: Figure, fn: Any, unit: str = "") -> Figure:
    """A monotone non-decreasing function applied to nominal, low and high (e.g. floor)."""
    from chipcalc.units import Q

    q = Q(fn(f.q.m_as(unit)), unit)
    if f.low is None and f.high is None:
        return Figure(q, f.prov)
    return Figure(q, f.prov, low=Q(fn(f.lo.m_as(unit)), unit), high=Q(fn(f.hi.m_as(unit)), unit))


def at(f: Figure | None, idx: Any) -> Figure | None:
    """One element (or slice) of an array-valued figure."""
    if f is None:
        return None
    import numpy as np

    from chipcalc.units import Q

    def pick(x: Any) -> Any:
        m = np.asarray(x.magnitude)
        return Q(m[idx] if m.ndim else m, x.units)

    return Figure(pick(f.q), f.prov, low=None if f.low is None else pick(f.low),
                  high=None if f.high is None else pick(f.high), label=f.label, note=f.note)


def whole(name: str, value: Any, what: str, minimum: int = 1) -> Any:
    """Check user counts (batch, context, chips, ...): whole numbers >= minimum; returns an int array."""
    import numpy as np

    arr = np.asarray(value, dtype=float)
    bad = lambda mask: ", ".join(f"{x:g}" for x in arr.ravel()[mask.ravel()][:3])  # noqa: E731
    if arr.size == 0:
        raise UsageError(f"{name} needs a value")
    if not np.all(np.isfinite(arr)):
        raise UsageError(f"{name} must be a whole number of {what}, got {bad(~np.isfinite(arr))}")
    if np.any(arr != np.round(arr)):
        raise UsageError(f"{name} must be a whole number of {what}, got {bad(arr != np.round(arr))}")
    if np.any(arr < minimum):
        raise UsageError(f"{name} must be at least {minimum}, got {bad(arr < minimum)}")
    return arr.astype(int)


# -- efficiency knobs --------------------------------------------------------------------------

@dataclass(frozen=True)
class Knobs:
    mfu: Figure
    mbu: Figure
    link: Figure
    up_latency: Figure
    out_latency: Figure
    collective: Figure
    layer: Figure
    usable: Figure
    acceptance: Figure


def knobs(catalog: Any, overrides: dict[str, Figure] | None = None) -> Knobs:
    """The model's assumptions from the catalog, with command-line overrides applied."""
    o = overrides or {}
    get = lambda n: o.get(n) or catalog.assumption(n)  # noqa: E731
    return Knobs(*(get(n) for n in KNOBS))


def override(catalog: Any, name: str, text: str, how: str) -> Figure:
    """An assumption set on the command line: same dimension as the catalog's, no range."""
    from chipcalc.units import parse

    base = catalog.assumption(name)
    q = parse(text)
    if q.dimensionality != base.q.dimensionality:
        raise UsageError(f"{name}={text}: expected a value like '{base.q:~P}'")
    if float(q.magnitude) <= 0:
        raise UsageError(f"{name}={text}: must be positive")
    if name in ("mfu", "mbu", "link_efficiency", "hbm_usable", "mtp_acceptance") and float(q.m_as("")) > 1:
        raise UsageError(f"{name}={text}: must be a fraction in (0, 1]")
    return Figure(q.to(base.q.units), Provenance.assume(name, f"set on the command line ({how})"), label=name)


# -- hardware as the model sees it: one rank ---------------------------------------------------

@dataclass(frozen=True)
class Link:
    kind: str
    domain: int | None  # ranks in one domain (None: every rank of the deployment)
    bandwidth: Figure  # per rank, per direction
    latency: Figure


@dataclass(frozen=True)
class Hardware:
    id: str
    chip: Chip
    system: System | None
    device: str  # package | die
    per_chip: Figure | int  # ranks per chip
    precision: str
    peak: Figure  # per rank, GEMM precision
    peak_attn: Figure  # per rank, BF16
    hbm_bw: Figure
    hbm_cap: Figure
    up: Link | None
    out: Link | None
    power: Figure | None  # per chip
    power_basis: str
    chips_total: Figure | None  # chips of the system

    @property
    def rpc(self) -> int:
        return 1 if isinstance(self.per_chip, int) else int(round(self.per_chip.m("")))


def _need(chip: Chip, name: str, why: str) -> Figure:
    f = chip.get(name)
    if f is None:
        raise UsageError(f"{chip.id} has no {name} figure ({chip.file}); {why}")
    return f


def peak_of(chip: Chip, precision: str) -> Figure:
    name = schema.compute_name(precision)
    f = chip.get(name)
    if f is None:
        known = [p for p in schema.PRECISIONS if chip.get(schema.compute_name(p)) is not None]
        hint = f"; it has {', '.join(known)}" if known else ""
        raise UsageError(f"{chip.id} has no {precision} peak ({name}){hint}: choose another --precision")
    return f


def hardware(target: Chip | System, precision: str, device: str, kn: Knobs) -> Hardware:
    system = target if isinstance(target, System) else None
    chip = system.chip if system is not None else target
    if device not in ("package", "die"):
        raise UsageError(f"--device must be 'package' or 'die', not '{device}'")
    workload.element_bytes(precision)
    per_chip: Figure | int = 1
    if device == "die":
        per_chip = _need(chip, "dies", "per-die ranks need it")
    peak = peak_of(chip, precision) / per_chip
    peak_attn = peak_of(chip, ACT_PRECISION) / per_chip
    bw = _need(chip, "hbm_bandwidth", "the memory time needs it") / per_chip
    cap = _need(chip, "hbm_capacity", "the memory fit needs it") / per_chip
    rpc = 1 if isinstance(per_chip, int) else int(round(per_chip.m("")))
    up = out = None
    if system is not None:
        from chipcalc import cluster

        t_up, t_out = system.tier("scale-up"), system.tier("scale-out")
        if t_up is not None:
            size = None if t_up.size is None else int(round(t_up.size.m(""))) * rpc
            up = Link("scale-up", size, t_up.bandwidth / per_chip, t_up.latency or kn.up_latency)
        if t_out is not None:
            out = Link("scale-out", None, t_out.bandwidth / per_chip, t_out.latency or kn.out_latency)
        power, basis = cluster.allin_power_per_chip(system), "all-in system power"
        chips_total = system.chips
    else:
        su, so = chip.get("scaleup_bandwidth"), chip.get("scaleout_bandwidth")
        if su is not None:
            up = Link("scale-up", None, su / per_chip, kn.up_latency)
        if so is not None:
            out = Link("scale-out", None, so / per_chip, kn.out_latency)
        power, basis = chip.get("tdp"), "chip TDP only"
        chips_total = None
    return Hardware(target.id, chip, system, device, per_chip, precision, peak, peak_attn, bw, cap, up, out,
                    power, basis, chips_total)


# -- the parallel layout -----------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    chips: int
    ranks: int
    tp: int  # tensor parallel (attention and dense FFN)
    ep: int  # expert parallel (MoE FFN); 1 for a dense model
    mtp: int  # speculative tokens per step

    @property
    def tokens_per_step(self) -> int:
        return 1 + self.mtp


def _count(model: Model, name: str) -> int:
    f = model.get(name)
    return 0 if f is None else int(round(f.m("")))


def layout(model: Model, hw: Hardware, chips: int, tp: int = 1, ep: int | None = None, mtp: int = 0) -> Layout:
    """Check and build a layout; every impossible combination is a one-line UsageError."""
    chips = int(whole("--chips", chips, "chips"))
    tp = int(whole("--tp", tp, "ranks"))
    mtp = int(whole("--mtp", mtp, "tokens", minimum=0))
    if hw.chips_total is not None and chips > hw.chips_total.m("") and hw.out is None:
        raise UsageError(f"--chips {chips} is more than the {hw.chips_total.m(''):g} chips of {hw.id}, "
                         "and it has no scale-out tier to join several")
    ranks = chips * hw.rpc
    unit = "dies" if hw.device == "die" else "chips"
    if ranks % tp:
        raise UsageError(f"--tp {tp} does not divide the {ranks} {unit} of the deployment")
    heads, kvh = _count(model, "attention_heads"), _count(model, "kv_heads")
    if heads % tp:
        raise UsageError(f"--tp {tp} does not divide the {heads} attention heads of {model.id}")
    if model.attention != "mla" and tp % kvh and kvh % tp:
        raise UsageError(f"--tp {tp} and the {kvh} KV heads of {model.id} do not divide one another")
    if tp > 1 and (hw.up is None or (hw.up.domain is not None and tp > hw.up.domain)):
        raise UsageError(f"--tp {tp} needs a scale-up domain of {tp} {unit}; {hw.id} has "
                         f"{'none' if hw.up is None else hw.up.domain}")
    if not workload.is_moe(model):
        if ep not in (None, 1):
            raise UsageError(f"{model.id} is a dense model: --ep applies to mixture-of-experts models only")
        ep = 1
    else:
        E = _count(model, "routed_experts")
        ep = ranks if ep is None else int(whole("--ep", ep, "ranks"))
        if ep > ranks:
            raise UsageError(f"--ep {ep} needs {ep} {unit}; the deployment has {ranks}")
        if ranks % ep:
            raise UsageError(f"--ep {ep} does not divide the {ranks} {unit} of the deployment")
    if mtp and model.get("mtp_modules") is None:
        raise UsageError(f"{model.id} has no multi-token-prediction module (mtp_modules); --mtp needs one")
    return Layout(chips, ranks, tp, ep, mtp)


def experts_held(model: Model, lay: Layout) -> int:
    """Routed experts per rank per layer: E / EP rounded up (where EP does not divide E, some ranks
    hold a redundant copy); with EP above the expert count each rank holds one (replicas)."""
    E = _count(model, "routed_experts")
    return max(-(-E // lay.ep), 1) if E else 0


def kv_shard(model: Model, tp: int) -> int:
    """How many ways TP splits one sequence's KV cache (MLA's latent is not split by heads)."""
    if model.attention == "mla":
        return 1
    return min(tp, _count(model, "kv_heads"))


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

    from chipcalc.units import Q

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

    from chipcalc.units import Q

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

    from chipcalc.units import Q

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


# -- choices the model makes for the user ------------------------------------------------------

def auto_layout(model: Model, hw: Hardware, kn: Knobs, batch: int, context: int, kv_precision: str,
                chips: int | None, tp: int | None, ep: int | None, mtp: int) -> Layout:
    """Fill in what the user left out.

    chips: a system's every chip; for a bare chip the smallest power of two whose memory holds the
    weights and the asked batch. tp: 1 for MoE models (attention data-parallel, experts spread by
    EP); for dense models the smallest power of two that fits, within the scale-up domain.
    """
    if chips is not None and chips <= 0:
        whole("--chips", chips, "chips")
    cands_chips = [chips] if chips is not None else (
        [int(hw.chips_total.m(""))] if hw.chips_total is not None else _powers(_limit(model)))
    last: Layout | None = None
    for c in cands_chips:
        ranks = c * hw.rpc
        tps = [tp] if tp is not None else ([1] if workload.is_moe(model) else [t for t in _powers(ranks) if ranks % t == 0 and _tp_ok(model, hw, t)])
        for t in tps:
            lay = layout(model, hw, c, t, ep, mtp)
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
