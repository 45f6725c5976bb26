"""One rank (a package, or a die with ``device="die"``) as the serving model sees it, and the
efficiency knobs: every one a named assumption read from the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from chipcalc.calc import workload
from chipcalc.catalog import schema
from chipcalc.catalog.records import Chip, System
from chipcalc.core.errors import ChipcalcError, UsageError
from chipcalc.core.figure import Figure, Provenance, total
from chipcalc.core.memo import IdentityMemo

#: Assumption names this model reads (specs/assumptions.toml).
KNOBS = ("mfu", "mbu", "link_efficiency", "scaleup_latency", "scaleout_latency", "collective_overhead",
         "layer_overhead", "hbm_usable", "mtp_acceptance", "comm_exposed_decode", "comm_exposed_prefill", "alltoall_overhead",
         "expert_imbalance", "serving_workspace", "activation_factor", "prefill_chunk_tokens",
         "fp8_attention_speedup", "fp4_weight_bytes", "embedding_weight_bytes")
#: Assumptions that act only with the KV cache in FP8 (no input of a deployment without it).
FP8_KV_KNOBS = ("fp8_attention_speedup",)
#: Assumptions that act only with FP4 weights.
FP4_KNOBS = ("fp4_weight_bytes",)
#: Assumptions that act only with quantized weights (fewer than 16 bits).
QUANT_KNOBS = ("embedding_weight_bytes",)
#: Assumptions read only when KV is offloaded to host memory (not inputs of a deployment without it).
HOST_KNOBS = ("host_memory_usable",)
#: Precision of activations on the wire and of the attention math.
ACT_PRECISION = "bf16"


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
    exposed_decode: Figure  # share of a decode step's communication not hidden under compute
    exposed_prefill: Figure  # the same for a prefill step (two micro-batches)
    alltoall: Figure  # fixed cost of one EP dispatch or combine
    imbalance: Figure  # busiest expert-parallel rank / mean
    workspace: Figure  # per rank: communication buffers, kernel workspace
    activation: Figure  # live activations per token in a step, in hidden sizes
    chunk: Figure  # prompt tokens of one prefill forward pass
    fp8_attn: Figure  # attention with FP8 KV (on a chip with an FP8 peak) over BF16 attention
    fp4_w: Figure  # bytes per FP4 weight, its block scales included
    emb_w: Figure  # bytes per weight of the embedding table and output head when the GEMMs are quantized
    host_usable: Figure | None = None  # share of host memory for offloaded KV (host_memory_usable)


def knobs(catalog: Any, overrides: dict[str, Figure] | None = None) -> Knobs:
    """The model's assumptions from the catalog, with command-line overrides applied."""
    o = overrides or {}
    get = lambda n: o.get(n) or catalog.assumption(n)  # noqa: E731
    host = [o.get(n) or (catalog.assumption(n) if n in catalog.assumptions else None) for n in HOST_KNOBS]
    return Knobs(*(get(n) for n in KNOBS), *host)


def override(catalog: Any, name: str, text: str, how: str) -> Figure:
    """An assumption set on the command line: same dimension as the catalog's, no range."""
    from chipcalc.core.units import parse

    from chipcalc.catalog.loader import assumption_out_of_bounds
    from chipcalc.core.errors import UnitError

    base = catalog.assumption(name)
    option = how.split(" ", 1)[0]
    try:
        q = parse(text)
    except UnitError as exc:
        raise UsageError(f"{option}: {exc}") from None
    if q.dimensionality != base.q.dimensionality:
        raise UsageError(f"{option} {text}: expected a value like '{base.q:~P}'")
    fig = Figure(q.to(base.q.units), Provenance.assume(name, f"set on the command line ({how})"), label=name)
    why = assumption_out_of_bounds(name, fig) if name in schema.ASSUMPTIONS else None
    if why:
        raise UsageError(f"{option} {text}: {why}")
    return fig




# -- hardware as the model sees it: one rank ---------------------------------------------------

@dataclass(frozen=True)
class Link:
    kind: str
    domain: int | None  # ranks in one domain (None: every rank of the deployment)
    bandwidth: Figure  # per rank, per direction
    latency: Figure


@dataclass(frozen=True)
class Host:
    """Host (CPU) memory as one rank sees it: a system's CPU parts' memory and links, shared evenly by its
    accelerators (count x figure / chips, per rank)."""

    capacity: Figure
    link: Figure  # per direction
    bandwidth: Figure | None  # the CPU memory's own bandwidth (None: the link alone limits)


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
    host: Host | None = None  # host memory for KV offload (systems whose CPU parts give memory and a link)

    @cached_property
    def rpc(self) -> int:
        """Ranks per chip (computed once: searches ask for it thousands of times)."""
        return 1 if isinstance(self.per_chip, int) else int(round(self.per_chip.m("")))

    @cached_property
    def chips_n(self) -> float | None:
        """The system's chip count as a number (None for a bare chip)."""
        return None if self.chips_total is None else float(self.chips_total.m(""))


def _need(chip: Chip, name: str, why: str, fix: str = "add it to the spec file, or pick another chip") -> Figure:
    """The chip's figure ``name``; a chip without it is a gap in the data (exit 1), unless an option asked for
    what needs it (``fix`` then names the option, exit 2)."""
    f = chip.get(name)
    if f is None:
        error = ChipcalcError if fix.startswith("add it") else UsageError
        raise error(f"{chip.id} has no {name} figure ({chip.file}); {why}: {fix}")
    return f


def peak_of(chip: Chip, precision: str) -> Figure:
    name = schema.compute_name(precision)
    f = chip.get(name)
    if f is None:
        known = [p for p in schema.PRECISIONS if chip.get(schema.compute_name(p)) is not None]
        hint = f"; it has {', '.join(known)}" if known else ""
        raise UsageError(f"{chip.id} has no {precision} peak ({name}){hint}: choose another --precision")
    return f


_HARDWARE = IdentityMemo(256)


def hardware(target: Chip | System, precision: str, device: str, kn: Knobs) -> Hardware:
    """The figures one rank of ``target`` serves with (memoised for the same record and assumption
    objects, so repeated calls share one compiled set-up)."""
    return _HARDWARE.get((target, kn), (precision, device), lambda: _hardware(target, precision, device, kn))


def _hardware(target: Chip | System, precision: str, device: str, kn: Knobs) -> Hardware:
    system = target if isinstance(target, System) else None
    chip = system.chip if system is not None else target
    if device not in ("package", "die"):
        raise UsageError(f"--device must be 'package' or 'die', not '{device}'")
    workload.element_bytes(precision)
    per_chip: Figure | int = 1
    if device == "die":
        per_chip = _need(chip, "dies", "per-die ranks need it", "use --device package")
    peak = peak_of(chip, precision) / per_chip
    if chip.get(schema.compute_name(ACT_PRECISION)) is None:  # not a --precision the user chose: a data gap
        raise ChipcalcError(f"{chip.id} has no {ACT_PRECISION} peak ({schema.compute_name(ACT_PRECISION)}, {chip.file}): "
                            f"attention and the layers kept in {ACT_PRECISION.upper()} run at it whatever --precision; "
                            "add it to the spec file when a source gives it, or pick another chip")
    peak_attn = peak_of(chip, ACT_PRECISION) / per_chip
    bw = _need(chip, "hbm_bandwidth", "the memory time needs it") / per_chip
    cap = _need(chip, "hbm_capacity", "the memory fit needs it") / per_chip
    rpc = 1 if isinstance(per_chip, int) else int(round(per_chip.m("")))
    up = out = None
    if system is not None:
        from chipcalc.calc import cluster

        t_up, t_out = system.tier("scale-up"), system.tier("scale-out")
        if t_up is not None:
            size = None if t_up.size is None else int(round(t_up.size.m(""))) * rpc
            up = Link("scale-up", size, t_up.bandwidth / per_chip, t_up.latency or kn.up_latency)
        if t_out is not None:
            out = Link("scale-out", None, t_out.bandwidth / per_chip, t_out.latency or kn.out_latency)
        power, basis = cluster.allin_power_per_chip(system), _power_basis(cluster.power_breakdown(system))
        chips_total = system.chips
    else:
        su, so = chip.get("scaleup_bandwidth"), chip.get("scaleout_bandwidth")
        if su is not None:
            up = Link("scale-up", None, su / per_chip, kn.up_latency)
        if so is not None:
            out = Link("scale-out", None, so / per_chip, kn.out_latency)
        power, basis = chip.get("tdp"), "chip TDP only (a bare chip)"
        chips_total = None
    return Hardware(target.id, chip, system, device, per_chip, precision, peak, peak_attn, bw, cap, up, out,
                    power, basis, chips_total, _host(system, per_chip))


def _host(system: System | None, per_chip: Figure | int) -> Host | None:
    """The host memory of a system's CPU parts (those with memory and link_bandwidth figures), per rank."""
    parts = [p for p in (system.parts if system is not None else ()) if p.memory is not None and p.link_bandwidth is not None]
    if not parts:
        return None
    share = lambda f: f / system.chips / per_chip  # noqa: E731  (per chip, then per rank)
    sum_of = lambda name: total(getattr(p, name) * p.count for p in parts)  # noqa: E731
    bw = None if any(p.memory_bandwidth is None for p in parts) else share(sum_of("memory_bandwidth"))
    return Host(share(sum_of("memory")), share(sum_of("link_bandwidth")), bw)


def _power_basis(pb: Any) -> str:
    """What a system's per-chip power rests on: a reported all-in figure, a bottom-up sum of parts, or
    only its chips' TDP (then it is not called all-in)."""
    if pb.reported is not None:
        return "all-in system power"
    if len(pb.lines) > 1 and any(ln.total is not None for ln in pb.lines[1:]):
        return "bottom-up sum of the system's known parts"
    return "chip TDP only (the system has no power figure)"
