"""The parallel layout of a deployment (chips, TP, EP, MTP): checked, with one-line errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chipcalc.calc import workload
from chipcalc.calc.serving.hardware import Hardware
from chipcalc.catalog.records import Model
from chipcalc.core.counts import whole
from chipcalc.core.errors import UsageError

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

    @property
    def tokens_per_step(self) -> int:
        return 1 + self.mtp


_COUNTS: dict[tuple, tuple] = {}


def _count(model: Model, name: str) -> int:
    """A count of the model card (heads, experts, ...) as an int, memoised per model object: a layout
    search asks for the same few thousands of times, and each is a pint conversion."""
    key = (id(model), name)
    hit = _COUNTS.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    f = model.get(name)
    n = 0 if f is None else int(round(f.m("")))
    if len(_COUNTS) >= 4096:
        _COUNTS.clear()
    _COUNTS[key] = (model, n)
    return n


def layout(model: Model, hw: Hardware, chips: int, tp: int = 1, ep: int | None = None, mtp: int = 0) -> Layout:
    """Check and build a layout; every impossible combination is a one-line UsageError."""
    chips = int(whole("--chips", chips, "chips"))
    tp = int(whole("--tp", tp, "ranks"))
    mtp = int(whole("--mtp", mtp, "tokens", minimum=0))
    if hw.chips_n is not None and chips > hw.chips_n and hw.out is None:
        raise UsageError(f"--chips {chips} is more than the {hw.chips_n:g} chips of {hw.id}, "
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


_SHAPES: dict[tuple, tuple] = {}


def shape(model: Model, hw: Hardware, lay: Layout, cache_hit: float = 0.0) -> "Shape":
    """The counts the formulas branch on, for this model, hardware and layout (memoised per the same
    model and hardware objects and layout: a search asks for the same few shapes many times)."""
    key = (id(model), id(hw), lay, cache_hit)
    hit = _SHAPES.get(key)
    if hit is not None and hit[0] is model and hit[1] is hw:
        return hit[2]
    if len(_SHAPES) >= 4096:
        _SHAPES.clear()
    s = _shape(model, hw, lay, cache_hit)
    _SHAPES[key] = (model, hw, s)
    return s


def _shape(model: Model, hw: Hardware, lay: Layout, cache_hit: float) -> "Shape":
    from chipcalc.calc.serving.formulas import Shape

    up = None if hw.up is None else hw.up.domain
    domains = -(-lay.ep // up) if up is not None and lay.ep > up else 1
    groups, limit = _count(model, "routing_groups"), _count(model, "routing_group_limit")
    factor = max(1.0, domains / groups) if groups else 1.0
    limited = bool(limit) and domains > 1 and limit * factor < domains
    return Shape(hw.id, lay.chips, lay.ranks, hw.rpc, lay.tp, lay.ep, lay.mtp, experts_held(model, lay),
                 kv_shard(model, lay.tp), up, workload.is_moe(model), hw.chips_total is not None,
                 domains, limited, factor, cache_hit)
