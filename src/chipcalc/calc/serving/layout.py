"""The parallel layout of a deployment (chips, TP, PP, EP, MTP): checked, with one-line errors.

Ranks = TP x PP x DP: TP splits each layer, PP (dense models) splits the layers into stages, DP replicates
the pipeline. Ranks are laid out replica by replica, stage by stage, TP innermost, in the order of the
scale-up domains, so a pipeline crosses a domain boundary only where its stages do not fit in one domain
(:func:`pipeline_hops`)."""

from __future__ import annotations

import math

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chipcalc.calc import workload
from chipcalc.calc.serving.hardware import Hardware
from chipcalc.catalog.records import Model
from chipcalc.core.counts import whole
from chipcalc.core.errors import UsageError
from chipcalc.core.memo import IdentityMemo

if TYPE_CHECKING:  # pragma: no cover
    from chipcalc.calc.serving.formulas import Shape

# -- the parallel layout -----------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    chips: int
    ranks: int
    tp: int  # tensor parallel (attention and dense FFN)
    ep: int  # expert parallel (MoE FFN); 1 for a dense model
    mtp: int  # speculative tokens per step
    pp: int = 1  # pipeline stages (dense models): each holds the layers of one stage
    kv_offload: float = 0.0  # share of the KV cache kept in host memory (read over the host link)

    @property
    def dp(self) -> int:
        """Data-parallel replicas of the pipeline: ranks / (TP x PP)."""
        return self.ranks // (self.tp * self.pp)

    @property
    def tokens_per_step(self) -> int:
        return 1 + self.mtp


_COUNTS = IdentityMemo(4096)


def _count(model: Model, name: str) -> int:
    """A count of the model card (heads, experts, ...) as an int, memoised per model object: a layout
    search asks for the same few thousands of times, and each is a pint conversion."""

    def count() -> int:
        f = model.get(name)
        return 0 if f is None else int(round(f.m("")))

    return _COUNTS.get((model,), name, count)


def layout(model: Model, hw: Hardware, chips: int, tp: int = 1, ep: int | None = None, mtp: int = 0,
           pp: int = 1, kv_offload: float = 0.0) -> Layout:
    """Check and build a layout; every impossible combination is a one-line UsageError."""
    if not 0 <= kv_offload <= 1:
        raise UsageError(f"--kv-offload must be a share of the KV cache in [0, 1], got {kv_offload:g}")
    if kv_offload > 0 and hw.host is None:
        where = f"a CPU part with memory and link_bandwidth figures in {hw.system.file}" if hw.system is not None else \
            "a bare chip has none; name a system whose CPU part gives them"
        raise UsageError(f"--kv-offload {kv_offload:g}: {hw.id} has no host memory in the catalog ({where}); "
                         "KV offload needs one")
    chips = int(whole("--chips", chips, "chips"))
    tp = int(whole("--tp", tp, "ranks"))
    pp = int(whole("--pp", pp, "stages"))
    mtp = int(whole("--mtp", mtp, "tokens", minimum=0))
    if hw.chips_n is not None and chips > hw.chips_n and hw.out is None:
        raise UsageError(f"--chips {chips} is more than the {hw.chips_n:g} chips of {hw.id}, "
                         "and it has no scale-out tier to join several")
    ranks = chips * hw.rpc
    unit = "dies" if hw.device == "die" else "chips"
    if ranks % tp:
        raise UsageError(f"--tp {tp} does not divide the {_count_of(ranks, unit)} of the deployment: use a --tp that "
                         f"divides {ranks}, or --chips with a multiple of {tp // math.gcd(tp, hw.rpc)}")
    if pp > 1:
        _check_pp(model, hw, ranks, tp, pp, unit)
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
        ep = ranks if ep is None else int(whole("--ep", ep, "ranks"))
        if ep > ranks:
            raise UsageError(f"--ep {ep} needs {ep} {unit}; the deployment has {ranks}")
        if ranks % ep:
            raise UsageError(f"--ep {ep} does not divide the {_count_of(ranks, unit)} of the deployment: use an --ep "
                             f"that divides {ranks}")
    if mtp and model.get("mtp_modules") is None:
        raise UsageError(f"{model.id} has no multi-token-prediction module (mtp_modules); --mtp needs one")
    return Layout(chips, ranks, tp, ep, mtp, pp, float(kv_offload))


def _count_of(n: int, unit: str) -> str:
    """``1 chip``, ``8 chips``, ``1 die``, ``2 dies``."""
    return f"{n} {unit[:-1] if n == 1 and unit.endswith('s') else unit}"


def _check_pp(model: Model, hw: Hardware, ranks: int, tp: int, pp: int, unit: str) -> None:
    """A pipeline the deployment can hold: a dense model, a layer per stage, TP x PP dividing the ranks,
    a link from stage to stage."""
    if workload.is_moe(model):
        raise UsageError(f"--pp {pp}: {model.id} is a mixture-of-experts model; pipeline stages are modelled for "
                         "dense models only (spread a MoE model's experts with --ep instead)")
    layers = _count(model, "layers")
    if pp > layers:
        raise UsageError(f"--pp {pp} is more than the {layers} layers of {model.id}: each stage needs a layer, "
                         f"so --pp is at most {layers}")
    if ranks % (tp * pp):
        raise UsageError(f"--pp {pp} x --tp {tp} = {tp * pp} ranks per pipeline does not divide the {ranks} {unit} "
                         f"of the deployment (ranks = TP x PP x DP): "
                         + (f"use a --pp that divides {ranks // tp}" if ranks // tp > 1 else
                            f"--tp {tp} already uses all {ranks}; lower --tp or add --chips"))
    if hw.up is None and hw.out is None:
        raise UsageError(f"--pp {pp} sends activations from stage to stage; {hw.id} has no scale-up or scale-out "
                         "bandwidth figure to send them over: use --pp 1")
    _, out = pipeline_hops(hw, ranks, tp, pp)
    if out and hw.out is None:
        raise UsageError(f"--pp {pp} with --tp {tp}: a pipeline of {tp * pp} {unit} spans more than one scale-up "
                         f"domain of {hw.id} ({hw.up.domain if hw.up else 0} {unit}) and it has no scale-out tier: "
                         f"use at most --pp {max(1, (hw.up.domain if hw.up and hw.up.domain else tp) // tp)}")


def pipeline_hops(hw: Hardware, ranks: int, tp: int, pp: int) -> tuple[int, int]:
    """Stage-to-stage hops of the slowest pipeline: (inside one scale-up domain, across domains).

    Ranks are numbered replica by replica, stage by stage, TP innermost, and the scale-up domains take
    them in order; rank j of a stage sends to rank j of the next, so a hop crosses a domain when a domain
    boundary falls between the two stages' first and last ranks. Without a scale-up tier every hop goes
    over scale-out; a tier with no domain size (a bare chip's links) holds them all."""
    if pp <= 1:
        return 0, 0
    if hw.up is None:
        return 0, pp - 1
    u = hw.up.domain
    if u is None:
        return pp - 1, 0
    worst, group = 0, tp * pp
    for start in range(0, ranks - group + 1, group):  # each replica
        cross = sum(1 for st in range(pp - 1) if (start + st * tp) // u != (start + (st + 2) * tp - 1) // u)
        worst = max(worst, cross)
    return pp - 1 - worst, worst


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


_SHAPES = IdentityMemo(4096)


def shape(model: Model, hw: Hardware, lay: Layout, cache_hit: float = 0.0) -> "Shape":
    """The counts the formulas branch on, for this model, hardware and layout (memoised per the same
    model and hardware objects and layout: a search asks for the same few shapes many times)."""
    return _SHAPES.get((model, hw), (lay, cache_hit), lambda: _shape(model, hw, lay, cache_hit))


def _shape(model: Model, hw: Hardware, lay: Layout, cache_hit: float) -> "Shape":
    from chipcalc.calc.serving.formulas import Shape

    up = None if hw.up is None else hw.up.domain
    domains = -(-lay.ep // up) if up is not None and lay.ep > up else 1
    groups, limit = _count(model, "routing_groups"), _count(model, "routing_group_limit")
    factor = max(1.0, domains / groups) if groups else 1.0
    limited = bool(limit) and domains > 1 and limit * factor < domains
    pp = lay.pp
    layers = _count(model, "layers")
    stage = -(-layers // pp) / layers if pp > 1 else 1.0  # the busiest stage's share of the layers
    hops = pipeline_hops(hw, lay.ranks, lay.tp, pp)
    return Shape(hw.id, lay.chips, lay.ranks, hw.rpc, lay.tp, lay.ep, lay.mtp, experts_held(model, lay),
                 kv_shard(model, lay.tp), up, workload.is_moe(model), hw.chips_total is not None,
                 domains, limited, factor, cache_hit, pp, stage, pp * stage if pp > 1 else 1.0, *hops, lay.kv_offload)
