"""Sweeps: the latency model over a batch x context grid, in chunks of bounded memory.

Grid specs: ``START:STOP`` (step = START), ``START:STOP:STEP`` or ``START:STOP:xF`` (geometric, factor F).
Counts take the one suffix rule of every command: 4k = 4,000, 4Ki = 4,096 (:mod:`chipcalc.core.counts`).

The grid is never materialised: each chunk of flat indices is turned into its (batch, context) pairs and
evaluated on the compiled path (SI floats; units and provenance traced once). The binding resource is a
small integer code. Reductions (:class:`Summary`) — best point per objective, binding-resource shares,
the Pareto front of tokens/s per chip vs tokens/s per sequence — are computed chunk by chunk, so a
grid of any size runs in memory proportional to the chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Provenance
from chipcalc.core.heap import prime_heap

#: Points per chunk: large enough that numpy's per-call cost (a few us per operation, ~0.16 ms per block
#: in all) is small per point, small enough that a chunk's temporaries (256 KiB each) stay in the heap
#: once :func:`~chipcalc.core.heap.prime_heap` has raised malloc's thresholds (measured in
#: benchmarks/bench_sweep.py's grids: with the heap primed and blocks split evenly, 1 << 14, 1 << 15 and
#: 1 << 16 gave 3.1e7, 3.7e7 and 3.9e7 points/s at 1e5 points and 3.0e7, 4.8e7 and 5.5e7 at 1e7: 1 << 15
#: keeps the time per point of small and large grids within 1.3x of each other).
CHUNK = 1 << 15
#: Objectives of a summary, in the order shown.
OBJECTIVES = ("tokens/s per chip", "tokens/s per kW", "lowest TPOT", "tokens/s per chip within the TPOT target")


def _even(n: int, most: int) -> Iterator[tuple[int, int]]:
    """``range(n)`` in the fewest pieces of at most ``most``, of near-equal sizes (no short last piece
    paying a whole block's fixed cost for a few points)."""
    pieces = -(-n // most)
    for i in range(pieces):
        yield n * i // pieces, n * (i + 1) // pieces


def _int(text: str, option: str) -> int:
    from chipcalc.core.counts import parse_count

    return parse_count(text, option, minimum=0)  # zero and order are checked by grid() with the spec in the message


def grid(spec: str, option: str, limit: int = 10**8) -> Any:
    """The integer values of a grid spec, as a numpy array."""
    import numpy as np

    parts = spec.split(":")
    if len(parts) == 1:
        vals = [_int(p, option) for p in spec.split(",")]
        arr = np.array(vals, dtype=np.int64)
    elif len(parts) in (2, 3):
        start, stop = _int(parts[0], option), _int(parts[1], option)
        if start <= 0:
            raise UsageError(f"{option} '{spec}': values must be positive")
        if stop < start:
            raise UsageError(f"{option} '{spec}': stop {stop} is below start {start}; write START:STOP with START <= STOP")
        step = parts[2] if len(parts) == 3 else str(start)
        if step.startswith(("x", "*")):
            try:
                factor = float(step[1:])
            except ValueError:
                raise UsageError(f"{option} '{spec}': geometric step must look like x2") from None
            if not factor > 1:
                raise UsageError(f"{option} '{spec}': geometric factor must be above 1")
            vals, v = [], float(start)
            while v <= stop * (1 + 1e-12):
                vals.append(int(round(v)))
                v *= factor
            arr = np.unique(np.array(vals, dtype=np.int64))
        else:
            s = _int(step, option)
            if s <= 0:
                raise UsageError(f"{option} '{spec}': step must be positive")
            if (stop - start) // s + 1 > limit:
                raise UsageError(f"{option} '{spec}': more than {limit:,} values")
            arr = np.arange(start, stop + 1, s, dtype=np.int64)
    else:
        raise UsageError(f"{option} '{spec}': write START:STOP, START:STOP:STEP or START:STOP:xFACTOR")
    if (arr <= 0).any():
        raise UsageError(f"{option} '{spec}': values must be positive")
    return arr


@dataclass(frozen=True)
class Sweep:
    """A deployment and a grid, ready to evaluate (nothing computed yet)."""

    setup: Any  # compiled.Setup
    shape: Any  # formulas.Shape
    batches: Any  # 1-D int arrays
    contexts: Any
    layout: str
    prov: Provenance  # of TPOT and tokens/s per chip (from the trace)
    per_kw_basis: str | None  # "all-in system power" | "chip TDP only" | None (no power figure)
    range_prov: Provenance = Provenance()  # where the ends of their ranges come from

    @property
    def size(self) -> int:
        return len(self.batches) * len(self.contexts)

    def point(self, batch: int, context: int) -> dict[str, Any]:
        """One point of the grid as Figures with their ranges (:func:`~chipcalc.calc.serving.compiled.decode_point`)."""
        from chipcalc.calc.serving.compiled import decode_point

        return decode_point(self.setup, self.shape, batch, context)

    def blocks(self, chunk: int = CHUNK) -> Iterator[tuple[slice, slice, bool]]:
        """The grid as blocks of about ``chunk`` points: (batches, contexts, ``across``). numpy runs its
        loops along the block's inner axis, so that axis is the longer one: normally the contexts (whole
        rows of contexts, or pieces of one row longer than ``chunk``, in the flat batch-major order); when
        there are fewer contexts than batches, ``across`` is True and a block is every batch (or a piece of
        them) for a few contexts: the blocks then cover the grid in another order."""
        nb, nc = len(self.batches), len(self.contexts)
        if nc >= nb or nc >= chunk:
            if nc <= chunk:
                for r0, r1 in _even(nb, max(1, chunk // nc)):
                    yield slice(r0, r1), slice(0, nc), False
            else:
                for r0 in range(nb):
                    for c0, c1 in _even(nc, chunk):
                        yield slice(r0, r0 + 1), slice(c0, c1), False
        elif nb <= chunk:
            for c0, c1 in _even(nc, max(1, chunk // nb)):
                yield slice(0, nb), slice(c0, c1), True
        else:
            for c0 in range(nc):
                for r0, r1 in _even(nb, chunk):
                    yield slice(r0, r1), slice(c0, c0 + 1), True

    def chunks(self, chunk: int = CHUNK, ranges: bool = False) -> Iterator[dict[str, Any]]:
        """The grid in blocks (:meth:`blocks`): per point batch, context, TPOT [s], tokens/s per chip, step
        time [s], binding code, fits, tokens/s per kW (or None), each a (batches x contexts) array of the
        block (read-only views; ``block`` holds the block's (batch, context) slices of the grid); with
        ``ranges`` also the low and high ends of TPOT and tokens/s per chip (``tpot_lo``, ``tpot_hi``,
        ``per_chip_lo``, ``per_chip_hi``: the same formulas on the assumptions' and sources' low/high
        values).

        The formulas run on a batch column against a context row (or a context column against a batch
        row, then transposed), so numpy evaluates each term on the axes it depends on (a term of the batch
        alone once per batch, not once per point)."""
        import numpy as np

        from chipcalc.calc.serving.compiled import Outputs
        from chipcalc.calc.serving.values import Ranged

        prime_heap()
        for rs, cs, across in self.blocks(chunk):
            b, c = self.batches[rs].astype(float), self.contexts[cs].astype(float)
            b, c = (b[None, :], c[:, None]) if across else (b[:, None], c[None, :])
            shape = (c.shape[0], b.shape[1]) if across else (b.shape[0], c.shape[1])

            def full(x: Any) -> Any:  # the block's (batches x contexts) view
                x = np.broadcast_to(x, shape)
                return x.T if across else x

            out = Outputs(self.setup, "decode", self.shape, b, c)
            v = out.values
            ends = {}
            if ranges:
                r = out.ranges()
                for name in ("tpot", "per_chip"):
                    rg = Ranged.of(r[name])
                    ends[name + "_lo"], ends[name + "_hi"] = full(rg.lo), full(rg.hi)
            yield {**ends, "block": (rs, cs), "batch": full(b), "context": full(c), "tpot": full(v["tpot"]),
                   "per_chip": full(v["per_chip"]), "step": full(v["time"]),
                   "bound": full(out.bound_codes()),
                   "fits": full(v["mem_weights"] + v["mem_kv"] + v["mem_activations"] + v["mem_workspace"]
                                <= v["mem_usable"]),
                   "per_kw": None if v["per_kw"] is None else full(v["per_kw"])}


#: Points a sweep may have: each axis may have up to 1e8 values (:func:`grid`), their product at most this
#: (1e9 points: about a minute here, benchmarks/README.md), so a grid of 1e12 points is refused, not run for days.
MAX_POINTS = 10**9


def check_size(batches: Any, contexts: Any) -> None:
    """A one-line usage error when the grid has more than :data:`MAX_POINTS` points."""
    n = (1 if batches is None else len(batches)) * len(contexts)
    if n > MAX_POINTS:
        raise UsageError(f"--batch x --context is {n:,} points; a sweep takes at most {MAX_POINTS:,} "
                         "(about a minute); use a coarser step (e.g. :x2) or a shorter range")


def prepare(target: Any, model: Any, batches: Any, contexts: Any, kn: Any, *, precision: str = "bf16",
            kv_precision: str = "bf16", chips: int | None = None, tp: int | None = None, ep: int | None = None,
            mtp: int = 0, device: str = "package", pp: int | None = None, kv_offload: float = 0.0) -> Sweep:
    """The deployment of a sweep: the layout is fixed by the smallest batch and context (or by
    --chips/--tp/--ep/--pp); units and provenance are checked here, once. ``kv_offload``: the share of the KV
    cache in host memory (a system whose CPUs give host memory). ``batches`` None (``--batch max``): the
    batch axis is the largest batch per chip that fits at each context (:func:`largest_batches`), with the
    layout that ``chipcalc latency --batch max`` takes (the one for batch 1)."""
    from chipcalc.calc import serving as L
    from chipcalc.calc import workload

    check_size(batches, contexts)
    workload.check_context(model, float(contexts.max()), f"--context up to {int(contexts.max()):,}", option=False)
    hw = L.hardware(target, precision, device, kn)
    lay = L.auto_layout(model, hw, kn, 1 if batches is None else int(batches.min()), int(contexts.min()), kv_precision,
                        chips, tp, ep, mtp, pp, kv_offload)
    setup = L.setup_for(model, hw, kn, kv_precision)
    s = L.shape(model, hw, lay)
    if batches is None:
        batches = largest_batches(setup, s, contexts)
    t = setup.trace("decode", s)
    basis = hw.power_basis if hw.power is not None else None
    text = f"{lay.chips} chips, TP{lay.tp}" + (f" PP{lay.pp}" if lay.pp > 1 else "") + f" EP{lay.ep}" + \
        (f", KV {kv_offload:.0%} in host memory" if kv_offload else "")
    return Sweep(setup, s, batches, contexts, text,
                 t["tpot"].prov | t["per_chip"].prov, basis, t["tpot"].rprov | t["per_chip"].rprov)


def largest_batches(setup: Any, s: Any, contexts: Any) -> Any:
    """The distinct largest batches per chip that fit (weights, KV at the context, a step's activations,
    workspace), one per context where any fits, ascending: the memory formula alone, on every context at once."""
    import numpy as np

    from chipcalc.calc.serving import formulas as F
    from chipcalc.calc.serving.values import FloatOps

    ctx = np.asarray(contexts, dtype=float)
    limit = np.broadcast_to(np.asarray(F.memory(FloatOps, setup.inputs("float"), s, 1.0, ctx, 1 + s.mtp)["max_batch"]),
                            ctx.shape)
    fits = limit >= 1
    if not fits.any():
        raise UsageError(f"--batch max: not one sequence fits in memory at any --context of the grid (the smallest is "
                         f"{int(ctx.min()):,} tokens); try shorter contexts, more chips (--chips) or a lower precision")
    return np.unique(limit[fits].astype(np.int64))


@dataclass(frozen=True)
class SweepResult:
    """Every point of a sweep (for CSV, JSON and the pivot table): 1-D arrays over the flattened grid."""

    batch: Any
    context: Any
    tpot_ms: Any
    tokens_per_chip: Any
    step_ms: Any
    bound: Any  # int8 codes into BOUND_NAMES
    fits: Any
    prov: Provenance
    layout: str
    #: with ranges: the low and high ends of TPOT (ms) and tokens/s per chip, and where they come from
    tpot_ms_low: Any = None
    tpot_ms_high: Any = None
    tokens_per_chip_low: Any = None
    tokens_per_chip_high: Any = None
    range_prov: Provenance = Provenance()

    @property
    def ranged(self) -> bool:
        return self.tpot_ms_low is not None


def collect(sw: Sweep, ranges: bool = False) -> SweepResult:
    """All points in memory (a few tens of bytes each, twice that with ``ranges``); for a summary of a
    big grid use :func:`summarize`."""
    import numpy as np

    keys = ["batch", "context", "tpot", "per_chip", "step", "bound", "fits"] + \
        (["tpot_lo", "tpot_hi", "per_chip_lo", "per_chip_hi"] if ranges else [])
    dtypes = {"batch": np.int64, "context": np.int64, "bound": np.int8, "fits": bool}
    flat = {k: np.empty(sw.size, dtype=dtypes.get(k, float)) for k in keys}
    nb, nc = len(sw.batches), len(sw.contexts)
    for ch in sw.chunks(ranges=ranges):
        rs, cs = ch["block"]
        for k in keys:
            flat[k].reshape(nb, nc)[rs, cs] = ch[k]  # one copy, straight from the block's views
    ends = {}
    if ranges:
        ends = {"tpot_ms_low": flat["tpot_lo"] * 1e3, "tpot_ms_high": flat["tpot_hi"] * 1e3,
                "tokens_per_chip_low": flat["per_chip_lo"], "tokens_per_chip_high": flat["per_chip_hi"],
                "range_prov": sw.range_prov}
    return SweepResult(flat["batch"], flat["context"], flat["tpot"] * 1e3, flat["per_chip"], flat["step"] * 1e3,
                       flat["bound"], flat["fits"], sw.prov, sw.layout, **ends)


# -- reductions -------------------------------------------------------------------------------------

@dataclass
class Best:
    objective: str
    value: float | None = None  # in SI (s for TPOT, token/s, token/s/W)
    batch: int | None = None
    context: int | None = None
    tpot: float | None = None  # s
    per_chip: float | None = None  # token/s


@dataclass
class Summary:
    points: int = 0
    fitting: int = 0
    bound_counts: Any = None  # points per binding code (fitting points)
    best: dict[str, Best] = field(default_factory=dict)
    front: Any = None  # rows (per-sequence tokens/s, per-chip tokens/s, batch, context, tpot), sorted by per-sequence rate
    tpot_target: float | None = None  # s


def pareto(x: Any, y: Any) -> Any:
    """Indices of the points not dominated in (x, y), both maximised, sorted by x descending.

    O(n) pre-filter: bin x; a point is kept only if its y beats the best y of every bin of larger x;
    the few survivors are then sorted exactly."""
    import numpy as np

    n = len(x)
    if n == 0:
        return np.array([], dtype=np.int64)
    lx = np.log(np.maximum(x, 1e-300))
    lo, hi = float(lx.min()), float(lx.max())
    nb = 4096
    k = np.zeros(n, dtype=np.int64) if hi == lo else np.minimum(((lx - lo) / (hi - lo) * nb).astype(np.int64), nb - 1)
    binmax = np.full(nb + 1, -np.inf)
    np.maximum.at(binmax, k, y)
    above = np.maximum.accumulate(binmax[::-1])[::-1]  # best y in bins >= j
    keep = np.nonzero(y > above[k + 1])[0]  # beats every bin of strictly larger x
    order = keep[np.lexsort((-y[keep], -x[keep]))]  # x descending, then y descending
    ys = y[order]
    best = np.maximum.accumulate(np.concatenate([[-np.inf], ys[:-1]]))
    return order[ys > best]


def summarize(sw: Sweep, tpot_target: float | None = None, chunk: int = CHUNK) -> Summary:
    """Best point per objective, binding shares and the Pareto front, over the whole grid, chunk by chunk."""
    import numpy as np

    sm = Summary(bound_counts=np.zeros(4, dtype=np.int64), tpot_target=tpot_target)
    names = list(OBJECTIVES[:3]) + ([OBJECTIVES[3]] if tpot_target is not None else [])
    sm.best = {n: Best(n) for n in names}
    front = None
    for ch in sw.chunks(chunk):
        sm.points += ch["batch"].size
        ok = ch["fits"]
        if not ok.any():
            continue
        sel = {k: (v[ok] if v is not None else None) for k, v in ch.items() if k != "block"}
        sm.fitting += len(sel["batch"])
        sm.bound_counts += np.bincount(sel["bound"], minlength=4)[:4]
        cands = {OBJECTIVES[0]: sel["per_chip"], OBJECTIVES[2]: -sel["tpot"]}
        if sel["per_kw"] is not None:
            cands[OBJECTIVES[1]] = sel["per_kw"]
        if tpot_target is not None:
            cands[OBJECTIVES[3]] = np.where(sel["tpot"] <= tpot_target, sel["per_chip"], -np.inf)
        for name, score in cands.items():
            i = int(np.argmax(score))
            if not np.isfinite(score[i]):
                continue
            b = sm.best[name]
            value = -float(score[i]) if name == OBJECTIVES[2] else float(score[i])
            at = (int(sel["batch"][i]), int(sel["context"][i]))
            # a tie goes to the smallest (batch, context), whatever order the blocks came in
            better = b.value is None or (value < b.value if name == OBJECTIVES[2] else value > b.value) or \
                (value == b.value and at < (b.batch, b.context))
            if better:
                sm.best[name] = Best(name, value, *at, float(sel["tpot"][i]), float(sel["per_chip"][i]))
        per_seq = 1.0 / sel["tpot"]
        rows = np.column_stack([per_seq, sel["per_chip"], sel["batch"], sel["context"], sel["tpot"]])
        rows = rows[pareto(rows[:, 0], rows[:, 1])]
        front = rows if front is None else np.concatenate([front, rows])
        front = front[np.lexsort((front[:, 3], front[:, 2]))]  # by (batch, context): equal points keep the smallest
        front = front[pareto(front[:, 0], front[:, 1])]
    sm.front = front if front is not None else np.zeros((0, 5))
    return sm
