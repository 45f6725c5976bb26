"""The Pareto front of serving: output tokens/s per chip vs tokens/s per user (1/TPOT).

For one target it searches every layout the model and hardware allow — chips used, attention TP (and so
DP), pipeline PP for a dense model (powers of two, TP x PP dividing the ranks), expert EP, MTP, one rank per
package or per die — and, for each, every batch that fits, on the
compiled path (one vectorised decode per layout; traces shared by layouts of the same structure). Points
over ``tpot`` or whose prefill of one prompt exceeds ``ttft`` are dropped; what remains is reduced to the
front (:func:`chipcalc.calc.sweep.pareto`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from chipcalc.calc import workload
from chipcalc.calc.serving import formulas as F
from chipcalc.calc.serving.compiled import Outputs, decode_point, setup_for
from chipcalc.calc.serving.hardware import hardware
from chipcalc.calc.serving.layout import _count, layout, shape
from chipcalc.calc.serving.values import FloatOps
from chipcalc.calc.serving.search import _powers
from chipcalc.core.errors import ChipcalcError, UsageError
from chipcalc.core.figure import Provenance

#: Batches tried per layout: every batch up to this, then a geometric grid up to the memory limit (a search
#: parameter, not a figure: it sets how finely the front is resolved, and the output says which was used).
DENSE_BATCHES = 4096
GRID_FACTOR = 1.02
#: Points of one layout above which its own front is taken before the fronts are merged.
OWN_FRONT_ABOVE = 512


@dataclass(frozen=True)
class Point:
    tps_user: float  # token/s per sequence (1 / TPOT)
    tps_chip: float  # output token/s per chip
    tpot: float  # s
    ttft: float  # s, prefill of one prompt of the context length per TP group
    batch: int  # sequences per chip
    chips: int
    ranks: int
    tp: int
    ep: int
    mtp: int
    device: str
    pp: int = 1
    kv_offload: float = 0.0  # share of the KV cache in host memory
    system_chips: int = 0  # chips of one system of the target (0: a bare chip)

    @property
    def dp(self) -> int:
        return self.ranks // (self.tp * self.pp)

    @property
    def layout(self) -> str:
        joined = self.system_chips and self.chips > self.system_chips  # several systems over scale-out
        where = f" ({self.chips // self.system_chips} systems over scale-out)" if joined else ""
        return f"{self.chips} chips{where}, TP{self.tp}" + (f" PP{self.pp}" if self.pp > 1 else "") + f" DP{self.dp} EP{self.ep}" + \
            (f" MTP{self.mtp}" if self.mtp else "") + (f" ({self.ranks} die ranks)" if self.device == "die" else "") + \
            (f", KV {self.kv_offload:.0%} in host memory" if self.kv_offload else "")


@dataclass(frozen=True)
class Front:
    target: str
    model: str
    points: tuple[Point, ...]  # the front, fastest per user first
    evaluated: int  # layout x batch points evaluated
    layouts: int
    prov: Provenance  # of TPOT and tokens/s per chip, over every layout used
    context: int
    stepped: bool = False  # some layout's memory limit was above DENSE_BATCHES: beyond it batches were stepped
    offloads: tuple[float, ...] = (0.0,)  # KV offload shares tried (more than 0 only with host memory)
    #: (target record, model, knobs, precision, KV precision) the front was searched with, for :func:`figures`
    inputs: tuple = field(default=(), compare=False, repr=False)


def figures(front: Front, p: Point) -> dict[str, Any]:
    """One point of a front as Figures with their ranges, as ``chipcalc latency`` gives them at that layout and
    batch (:func:`~chipcalc.calc.serving.compiled.decode_point`: TPOT, tokens/s per user and per chip)."""
    target, model, kn, precision, kv_precision = front.inputs
    hw = hardware(target, precision, p.device, kn)
    s = shape(model, hw, layout(model, hw, p.chips, p.tp, p.ep, p.mtp, p.pp, p.kv_offload))
    return decode_point(setup_for(model, hw, kn, kv_precision), s, p.batch, front.context)


@lru_cache(maxsize=4096)
def _batches(limit: int) -> Any:
    """Every batch up to DENSE_BATCHES, then steps of GRID_FACTOR up to ``limit`` (read-only: it is cached,
    and layouts with the same memory limit share it)."""
    import numpy as np

    if limit < 1:
        return np.array([], dtype=float)
    dense = np.arange(1, min(limit, DENSE_BATCHES) + 1)
    geo, v = [], float(DENSE_BATCHES)
    while v < limit:
        v *= GRID_FACTOR
        geo.append(min(int(round(v)), limit))
    out = np.unique(np.concatenate([dense, np.array(geo, dtype=int)])).astype(float)
    out.setflags(write=False)
    return out


def candidates(model: Any, hw: Any, chips_options: list[int]) -> list[tuple[int, int, int, int]]:
    """(chips, tp, ep, pp) to try (the layout checks reject the rest): PP for dense models only."""
    out = []
    heads, layers = _count(model, "attention_heads"), _count(model, "layers")
    moe = workload.is_moe(model)
    for c in chips_options:
        ranks = c * hw.rpc
        for tp in [t for t in _powers(min(ranks, heads)) if ranks % t == 0]:
            eps = [1] if not moe else [e for e in _powers(ranks) if ranks % e == 0 and e * 8 >= ranks] or [ranks]
            pps = [1] if moe else [p for p in _powers(min(ranks // tp, layers)) if ranks % (tp * p) == 0]
            for ep in eps:
                for pp in pps:
                    out.append((c, tp, ep, pp))
    return out


def search(catalog: Any, target: Any, model: Any, kn: Any, *, precision: str = "bf16", kv_precision: str = "bf16",
           context: int = 4096, tpot: float | None = None, ttft: float | None = None,
           mtps: tuple[int, ...] | None = None, devices: tuple[str, ...] | None = None,
           chips: tuple[int, ...] | None = None, kv_offloads: tuple[float, ...] = ()) -> Front:
    """The front of one target (see the module docstring); ``tpot``/``ttft`` in seconds; ``kv_offloads``:
    shares of the KV cache kept in host memory to try besides none (a system whose CPUs give host memory)."""
    import numpy as np

    from chipcalc.calc.sweep import pareto

    workload.check_context(model, context, f"--context {context:,}", option=False)
    chip = getattr(target, "chip", target)
    devices = devices or (("package", "die") if chip.get("dies") is not None and float(chip.get("dies").m("")) > 1 else ("package",))
    mtps = mtps if mtps is not None else ((0, 1, 2) if model.get("mtp_modules") is not None else (0,))
    prov, evaluated, nlay, stepped, tried = Provenance(), 0, 0, False, ()
    users, chips_, tpots, batches, metas, meta, provs = [], [], [], [], [], [], {}
    for device in devices:
        hw = hardware(target, precision, device, kn)
        total = int(hw.chips_total.m("")) if hw.chips_total is not None else max(_powers(max(_count(model, "attention_heads"),
                                                                                               _count(model, "routed_experts"))))
        more = [total * k for k in (2, 4)] if hw.chips_total is not None and hw.out is not None else []  # joined over scale-out
        opts = list(chips) if chips else sorted({total, *more, *[p for p in _powers(total) if p * 4 >= total or p >= 8]})
        setup = setup_for(model, hw, kn, kv_precision)
        floats = setup.inputs("float")
        if kv_offloads and hw.host is None:
            layout(model, hw, 1, kv_offload=max(kv_offloads))  # the one-line error latency --kv-offload gives
        offloads = tuple(sorted({0.0, *kv_offloads}))
        tried = tuple(sorted({*tried, *offloads}))
        for c, tp, ep, pp in candidates(model, hw, opts):
            for mtp, off in ((m, o) for m in mtps for o in offloads):
                try:
                    lay = layout(model, hw, c, tp, ep, mtp, pp, off)
                    s = shape(model, hw, lay)
                    # the memory formula alone gives the largest batch (decode's mem_max_batch, as one
                    # decode at batch 1 would): no whole decode just to learn the limit
                    limit = int(np.asarray(F.memory(FloatOps, floats, s, 1.0, float(context), 1 + s.mtp)["max_batch"]).ravel()[0])
                except ChipcalcError:
                    continue
                b = _batches(limit)
                stepped = stepped or limit > DENSE_BATCHES
                if not len(b):
                    continue
                if ttft is not None:
                    pre = Outputs(setup, "prefill", s, float(context), context / lay.tp / hw.rpc).values
                    t_first = float(pre["ttft"])
                    if t_first > ttft:
                        continue
                else:
                    t_first = float("nan")
                try:
                    out = Outputs(setup, "decode", s, b, np.full_like(b, float(context)))
                except ChipcalcError:
                    continue
                v = out.values
                nlay += 1
                evaluated += len(b)
                tp_s = np.broadcast_to(v["tpot"], b.shape)
                keep = tp_s <= tpot if tpot is not None else np.ones(b.shape, dtype=bool)
                if not keep.any():
                    continue
                t = out.syms
                provs[id(t)] = t  # traces are shared by layouts of one structure: union their provenance once
                per_chip = np.broadcast_to(v["per_chip"], b.shape)
                sel = np.nonzero(keep)[0]
                # a long batch range: this layout's own front first (bounded memory); a short one is kept whole,
                # as the front of the union is the front of the fronts (ties keep their order either way)
                own = sel[pareto(1.0 / tp_s[sel], per_chip[sel])] if len(sel) > OWN_FRONT_ABOVE else sel
                users.append(1.0 / tp_s[own])
                chips_.append(per_chip[own])
                tpots.append(tp_s[own])
                batches.append(b[own])
                metas.append(np.full(len(own), len(meta)))
                meta.append((t_first, c, lay.ranks, tp, ep, mtp, device, pp, off, total if hw.chips_total is not None else 0))
    if not meta:
        why = " within the --tpot/--ttft limits" if tpot is not None or ttft is not None else ""
        raise UsageError(f"no layout of {model.id} on {target.id} fits{why}; try more chips, a smaller precision or looser limits")
    user, chip_rate, tpot_all, batch_all, which = (np.concatenate(x) for x in (users, chips_, tpots, batches, metas))
    idx = pareto(user, chip_rate)
    pts = tuple(Point(float(user[i]), float(chip_rate[i]), float(tpot_all[i]), meta[which[i]][0], int(batch_all[i]),
                      *meta[which[i]][1:]) for i in idx)
    for t in provs.values():
        prov = prov | t["tpot"].prov | t["per_chip"].prov
    return Front(target.id, model.id, pts, evaluated, nlay, prov, context, stepped, tried,
                 (target, model, kn, precision, kv_precision))
