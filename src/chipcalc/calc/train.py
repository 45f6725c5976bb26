"""Training: FLOPs, time, chip-hours, energy, gradient all-reduce and memory fit; implied MFU.

Pure functions from catalog records to figures. Every efficiency or byte count is a named
assumption read from ``specs/assumptions.toml`` through ``Catalog.assumption``; values the
user types are figures whose provenance is the source ``input`` (the option, as typed).

Formulas (stated in the output too):

* dense FLOPs per token  = 6 x active parameters (2 FLOPs per multiply-add; the backward pass
  costs twice the forward pass),
* attention FLOPs per token = 6 x layers x sequence x heads x (d_qk + d_v) x causal fraction
  (the QK^T and AV products, which the parameter count misses),
* time = FLOPs / (chips x peak at the precision x MFU); chip-hours = chips x time,
* gradient all-reduce (ring): each chip sends 2 (N-1)/N x total parameters x gradient bytes per step.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Any

from chipcalc.catalog import schema
from chipcalc.catalog.records import Chip, Model, System
from chipcalc.core.errors import ChipcalcError, UsageError
from chipcalc.core.figure import Figure, Provenance

#: FLOPs per multiply-add, and passes per token in training (forward + backward at twice the cost).
FLOP_PER_MAC = 2
PASSES = 3
#: A ring all-reduce is a reduce-scatter plus an all-gather, each moving (N-1)/N of the data per chip.
RING_PHASES = 2

#: The source id of a value given on the command line (its detail is the option as typed).
INPUT = "input"

_AMOUNT = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([kKMGBTP]?)$")
#: Count suffixes as pint prefixes (B for billion is G).
_PREFIX = {"": "", "k": "k", "K": "k", "M": "M", "G": "G", "B": "G", "T": "T", "P": "P"}


# -- inputs ----------------------------------------------------------------------------------
def parse_amount(text: str, option: str, unit: str = "", whole: bool = False) -> Figure:
    """A positive amount typed by the user: ``"15T"``, ``"1.5e13"``, ``"2.788M"``, ``"1024"``.

    Returns a figure in ``unit`` whose provenance is the option as typed. Raises UsageError.
    """
    from chipcalc.core.units import Q

    from chipcalc.core.errors import UnitError
    from chipcalc.core.units import strip_thousands

    try:
        s = strip_thousands(str(text).strip(), str(text)).replace("_", "")
    except UnitError:  # '1,5': a comma only separates thousands
        raise UsageError(f"{option} '{text}': a comma only separates thousands (1,024); write e.g. 1.5k") from None
    m = _AMOUNT.match(s)
    if not m:
        raise UsageError(f"{option} '{text}' is not a number; write e.g. 15T, 1.5e13 or 15e12 (suffixes k, M, B/G, T, P)")
    number = float(m.group(1))
    if not math.isfinite(number) or number <= 0:
        raise UsageError(f"{option} must be a positive, finite number, got '{text}'")
    q = Q(number, f"{_PREFIX[m.group(2)]}{unit}" if unit else "").to(unit) if unit else Q(number * _scale(m.group(2)), "")
    if whole and float(q.m) != round(float(q.m)):
        raise UsageError(f"{option} must be a whole number, got '{text}'")
    from chipcalc.core.counts import MAX_WHOLE

    if whole and float(q.m) > MAX_WHOLE:  # beyond it whole numbers are not exact in floating point
        raise UsageError(f"{option} '{text}': at most 2^53 ({MAX_WHOLE:,}), the largest count computed exactly")
    return Figure(q, Provenance.source(INPUT, f"{option} {text}"), label=option.lstrip("-"))


def _scale(suffix: str) -> float:
    """The factor of a count suffix, read from the unit registry's prefixes (no numbers here)."""
    from chipcalc.core.units import Q

    return float(Q(1, f"{_PREFIX[suffix]}token").m_as("token"))


def parse_fraction(text: str, option: str) -> Figure:
    """A fraction in (0, 1] typed by the user: ``0.35`` or ``35%``."""
    from chipcalc.core.units import parse

    try:
        q = parse(text)
        v = float(q.m_as(""))
    except Exception:
        raise UsageError(f"{option} '{text}' is not a fraction; write e.g. 0.35 or 35%") from None
    if not math.isfinite(v) or v <= 0 or v > 1:
        raise UsageError(f"{option} must be in (0, 1], got '{text}'")
    from chipcalc.core.units import Q

    # an efficiency typed by the user is still an assumption (a what-if), never a sourced figure
    return Figure(Q(v, ""), Provenance.assume(option.lstrip("-"), f"user-supplied {option} {text}"), label=option.lstrip("-"))


def peak(chip: Chip, precision: str) -> Figure:
    """The chip's dense peak at ``precision``; UsageError when the chip has no such figure."""
    p = precision.strip().lower()
    if p not in schema.PRECISIONS:
        raise UsageError(f"unknown precision '{precision}'; use one of {', '.join(schema.PRECISIONS)}")
    fig = chip.get(schema.compute_name(p))
    if fig is None:
        have = [q for q in schema.PRECISIONS if chip.get(schema.compute_name(q)) is not None]
        raise UsageError(f"{chip.id} has no {schema.compute_name(p)} figure ({chip.file or 'its spec'}); "
                         f"use --precision {' or '.join(have) if have else '...'}")
    return fig


# -- FLOPs -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FlopCount:
    tokens: Figure
    params_active: Figure
    seq_len: Figure
    causal: Figure
    layers: Figure
    heads: Figure
    d_qk: Figure
    d_v: Figure
    dense_per_token: Figure  # FLOP/token
    attention_per_token: Figure  # FLOP/token
    per_token: Figure  # FLOP/token
    total: Figure  # FLOP


def _need(model: Model, name: str) -> Figure:
    fig = model.get(name)
    if fig is None:
        raise ChipcalcError(f"model {model.id} has no '{name}' figure ({model.file or 'its card'}); training FLOPs need it")
    return fig


def head_dims(model: Model) -> tuple[Figure, Figure]:
    """(d_qk, d_v) per head: MLA's query/key head is the no-RoPE plus the RoPE part."""
    nope, rope, v = model.get("qk_nope_head_dim"), model.get("qk_rope_head_dim"), model.get("v_head_dim")
    if nope is not None and rope is not None and v is not None:
        return (nope + rope).relabel(f"{model.id}.d_qk"), v
    hd = _need(model, "head_dim")
    return hd, hd


def training_flops(model: Model, tokens: Figure, seq_len: Figure, causal: Figure) -> FlopCount:
    """6 x active params x tokens + attention FLOPs at ``seq_len`` (at most the model's max_context)."""
    from chipcalc.calc.workload import check_context
    from chipcalc.core.units import Q

    check_context(model, float(seq_len.m("token") if seq_len.q.dimensionality else seq_len.m("")),
                  f"a training sequence of {float(seq_len.q.magnitude):,.0f} tokens", option=False)

    per_flop = Q(FLOP_PER_MAC * PASSES, "FLOP/token")
    active, layers, heads = _need(model, "params_active"), _need(model, "layers"), _need(model, "attention_heads")
    d_qk, d_v = head_dims(model)
    dense = (active * per_flop).to("GFLOP/token").relabel(f"{model.id}.dense_flops_per_token", "6 x params_active")
    attn = (layers * seq_len * heads * (d_qk + d_v) * causal * per_flop).to("GFLOP/token").relabel(
        f"{model.id}.attention_flops_per_token", "6 x layers x seq x heads x (d_qk + d_v) x causal fraction")
    per_token = (dense + attn).relabel(f"{model.id}.train_flops_per_token")
    total = (per_token * tokens).to("ZFLOP").relabel(f"{model.id}.train_flops")
    return FlopCount(tokens, active, seq_len, causal, layers, heads, d_qk, d_v, dense, attn, per_token, total)


# -- targets ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """What trains: a chip (count given) or a system (its chips by default).

    ``fabric`` is a catalog system built from a bare chip, used only for the network tiers the
    chip's own figures lack (e.g. the scale-out NIC of dgx-h100 for h100-sxm).
    """

    id: str
    chip: Chip
    system: System | None
    chips: Figure | None  # None: not given (inverse mode from chip-hours only)
    fabric: System | None = None


def make_target(obj: Chip | System, chips: Figure | None, systems: dict[str, System] | None = None) -> Target:
    if isinstance(obj, System):
        return Target(obj.id, obj.chip, obj, chips if chips is not None else obj.chips)
    fabric = next((s for _, s in sorted((systems or {}).items()) if s.chip.id == obj.id), None)
    return Target(obj.id, obj, None, chips, fabric)


# -- time, energy ----------------------------------------------------------------------------
def train_time(flops: Figure, chips: Figure, peak_fig: Figure, mfu: Figure) -> Figure:
    """FLOPs / (chips x peak x MFU)."""
    return (flops / (chips * peak_fig * mfu)).to("day").relabel("train_time", "FLOPs / (chips x peak x MFU)")


def chip_hours(time: Figure, chips: Figure) -> Figure:
    return (time * chips).to("h").relabel("chip_hours", "chips x time")


def energy_tdp(hours: Figure, chip: Chip) -> Figure | None:
    tdp = chip.get("tdp")
    return None if tdp is None else (hours * tdp).to("MWh").relabel("energy_tdp", "chip-hours x TDP")


def energy_allin(hours: Figure, system: System | None) -> Figure | None:
    """chip-hours x the system's all-in power per chip (reported, else bottom-up)."""
    if system is None:
        return None
    from chipcalc.calc.cluster import allin_power_per_chip

    per_chip = allin_power_per_chip(system)
    return None if per_chip is None else (hours * per_chip).to("MWh").relabel("energy_allin", "chip-hours x all-in power per chip")


def implied_mfu(flops: Figure, hours: Figure, peak_fig: Figure) -> Figure:
    """MFU implied by a reported budget: FLOPs / (chip-hours x peak)."""
    return (flops / (hours * peak_fig)).to("").relabel("implied_mfu", "FLOPs / (chip-hours x peak)")


def plausible(mfu: Figure) -> str:
    """A verdict on an implied MFU: above 100 % cannot happen."""
    n, lo, hi = mfu.bounds("")
    if n > 1:
        return "IMPLAUSIBLE: above 100 % of peak"
    if hi > 1:
        return "plausible at nominal; the high end exceeds 100 %"
    return "plausible (at most 100 %)"


# -- gradient all-reduce ---------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    kind: str  # scale-up | scale-out
    name: str
    bandwidth: Figure  # per chip, per direction


def links(target: Target) -> dict[str, Link]:
    """Scale-up and scale-out links: the system's tiers, else the chip's figures, else its fabric's tiers."""
    out: dict[str, Link] = {}
    if target.system is not None:
        for t in target.system.tiers:
            out.setdefault(t.kind, Link(t.kind, t.name, t.bandwidth))
    for kind, name in (("scale-up", "scaleup_bandwidth"), ("scale-out", "scaleout_bandwidth")):
        fig = target.chip.get(name)
        if kind not in out and fig is not None:
            out[kind] = Link(kind, f"{target.chip.id} {name}", fig)
    if target.fabric is not None:
        for t in target.fabric.tiers:
            out.setdefault(t.kind, Link(t.kind, f"{t.name} (as in {target.fabric.id})", t.bandwidth))
    return out


def bottleneck(target: Target) -> Link | None:
    """The link a data-parallel ring over ``target.chips`` is limited by.

    Inside one scale-up domain (of the system, or of the fabric system of a bare chip) the
    scale-up link; otherwise the scale-out link when known; else the scale-up link (optimistic).
    """
    ls = links(target)
    home = target.system or target.fabric
    if home is not None and target.chips is not None:
        su = home.tier("scale-up")
        if su is not None and su.size is not None and target.chips.m("") <= su.size.m("") and "scale-up" in ls:
            return ls["scale-up"]
    return ls.get("scale-out") or ls.get("scale-up")


@dataclass(frozen=True)
class AllReduce:
    grad_bytes: Figure  # per step, whole model
    sent_per_chip: Figure | None  # per step
    time_at: dict[str, Figure]  # kind -> time per step
    compute_step: Figure | None
    link: Link | None
    share: Figure | None  # comm / (comm + compute), no overlap


def allreduce(model: Model, target: Target, per_token: Figure, peak_fig: Figure, mfu: Figure | None,
              grad_bytes_per_param: Figure, batch_tokens: Figure, efficiency: Figure) -> AllReduce:
    """Plain ring all-reduce of every parameter's gradient once per optimizer step."""
    grad = (_need(model, "params_total") * grad_bytes_per_param).to("GB").relabel("gradient_bytes", "params_total x gradient bytes")
    n = target.chips
    if n is None:
        return AllReduce(grad, None, {}, None, bottleneck(target), None)
    sent = (grad * RING_PHASES * (n - 1) / n).to("GB").relabel("allreduce_sent", "2 (N-1)/N x gradient bytes")
    times = {k: (sent / (ln.bandwidth * efficiency)).to("s") for k, ln in links(target).items()}
    compute = None if mfu is None else (batch_tokens * per_token / (n * peak_fig * mfu)).to("s")
    link = bottleneck(target)
    share = None
    if compute is not None and link is not None:
        comm = times[link.kind]
        share = (comm / (comm + compute)).to("%").relabel("comm_share", "comm / (comm + compute)")
    return AllReduce(grad, sent, times, compute, link, share)


# -- memory ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Memory:
    bytes_per_param: Figure
    state_total: Figure
    state_per_chip: Figure | None
    activations: Figure
    per_chip: Figure | None
    usable: Figure | None
    fits: bool | None
    fewest_chips: Figure | None


def memory(model: Model, target: Target, seq_len: Figure, a: dict[str, Figure]) -> Memory:
    """Fully sharded state (weights + gradients + optimizer over all chips) plus each chip's activations."""
    bpp = (a["train_weight_bytes_per_param"] + a["train_gradient_bytes_per_param"]
           + a["train_optimizer_bytes_per_param"]).relabel("state_bytes_per_param", "weights + gradients + optimizer")
    state = (_need(model, "params_total") * bpp).to("TB").relabel("state_total", "params_total x bytes per parameter")
    hidden, layers = _need(model, "hidden_size"), _need(model, "layers")
    tokens = a["train_microbatch_sequences"] * seq_len
    act = (tokens * hidden * (layers * a["train_activation_checkpoint_bytes"] + a["train_activation_working_bytes"])).to("GB").relabel(
        "activations_per_chip", "micro-batch tokens x hidden x (layers x kept bytes + one layer's working bytes)")
    hbm = target.chip.get("hbm_capacity")
    usable = None if hbm is None else (hbm * a["train_hbm_usable_fraction"]).to("GB").relabel("usable_hbm")
    n = target.chips
    state_pc = None if n is None else (state / n).to("GB").relabel("state_per_chip")
    per_chip = None if state_pc is None else (state_pc + act).to("GB").relabel("memory_per_chip")
    fits = None if per_chip is None or usable is None else bool(per_chip.m("GB") <= usable.m("GB"))
    return Memory(bpp, state, state_pc, act, per_chip, usable, fits, _fewest(state, act, usable))


def _fewest(state: Figure, act: Figure, usable: Figure | None) -> Figure | None:
    """ceil(state / (usable HBM - activations)); None when activations alone do not fit."""
    from chipcalc.core.units import Q

    if usable is None:
        return None
    free = usable - act
    if free.m("GB") <= 0:
        return None
    if free.lo.m_as("GB") <= 0:  # the range reaches zero: keep the nominal only
        free, state = Figure(free.q, free.prov), Figure(state.q, state.prov)
    r = (state / free).to("")
    up = lambda x: Q(math.ceil(float(x.m_as(""))), "")  # noqa: E731
    return replace(r, q=up(r.q), low=None if r.low is None else up(r.low), high=None if r.high is None else up(r.high),
                   label="fewest_chips", note="ceil(state / (usable HBM - activations))")


# -- one run ---------------------------------------------------------------------------------
ASSUMPTIONS = (
    "train_mfu", "train_seq_len", "train_attention_causal_fraction", "train_weight_bytes_per_param",
    "train_gradient_bytes_per_param", "train_optimizer_bytes_per_param", "train_activation_checkpoint_bytes",
    "train_activation_working_bytes", "train_microbatch_sequences", "train_hbm_usable_fraction",
    "train_global_batch_tokens", "train_allreduce_efficiency",
)


@dataclass(frozen=True)
class Run:
    """Everything computed for one target."""

    target: Target
    precision: str
    peak: Figure
    mfu: Figure | None  # assumed or given (forward mode); implied (inverse mode)
    implied: bool
    budget_hours: Figure | None
    time: Figure | None
    hours: Figure | None
    sustained: Figure | None
    energy_tdp: Figure | None
    energy_allin: Figure | None
    comm: AllReduce
    mem: Memory


def assumptions(cat: Any) -> dict[str, Figure]:
    return {name: cat.assumption(name) for name in ASSUMPTIONS}


def run(model: Model, target: Target, flops: FlopCount, precision: str, a: dict[str, Figure],
        mfu: Figure | None = None, budget_hours: Figure | None = None, budget_time: Figure | None = None) -> Run:
    """Forward mode (MFU -> time) or inverse mode (a budget -> implied MFU) for one target."""
    pk = peak(target.chip, precision)
    n = target.chips
    implied = budget_hours is not None or budget_time is not None
    if implied:
        if budget_time is not None:
            if n is None:
                raise UsageError("--days needs --chips (or a --system)")
            hours = chip_hours(budget_time, n)
            time = budget_time.to("day")
        else:
            hours = budget_hours.to("h")
            time = None if n is None else (hours / n).to("day").relabel("train_time", "chip-hours / chips")
        mfu = implied_mfu(flops.total, hours, pk)
    else:
        if n is None:
            raise UsageError(f"give --chips N for {target.id}, or name a system")
        mfu = mfu if mfu is not None else a["train_mfu"]
        time = train_time(flops.total, n, pk, mfu)
        hours = chip_hours(time, n)
    sustained = None if n is None else (n * pk * mfu).to("PFLOPS").relabel("sustained", "chips x peak x MFU")
    comm = allreduce(model, target, flops.per_token, pk, mfu, a["train_gradient_bytes_per_param"],
                     a["train_global_batch_tokens"], a["train_allreduce_efficiency"])
    mem = memory(model, target, flops.seq_len, a)
    return Run(target, precision, pk, mfu, implied, hours if implied else None, time, hours, sustained,
               energy_tdp(hours, target.chip), energy_allin(hours, target.system), comm, mem)
