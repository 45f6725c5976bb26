"""A serving question, answered for every target: the cases `chipcalc latency` shows.

A :class:`Request` says what to run (precision, batches, contexts, layout, TPOT target, offline input and
output lengths, prefix-cache hits); :func:`run` evaluates it per target — each target's batches and
contexts in one vectorised call — and says, for a deployment that does not fit, what does not fit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from chipcalc.calc import workload
from chipcalc.calc.serving import phases
from chipcalc.calc.serving.compiled import Outputs, setup_for
from chipcalc.calc.serving.hardware import Hardware, Knobs, hardware
from chipcalc.calc.serving.layout import Layout, shape
from chipcalc.calc.serving.search import auto_layout, largest_batch_for_tpot
from chipcalc.calc.serving.step import memory
from chipcalc.core.counts import whole
from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Figure

#: A batch of "max": the largest that fits in memory.
MAX = "max"


@dataclass(frozen=True)
class Request:
    precision: str = "bf16"
    kv_precision: str = "bf16"
    batches: tuple[Any, ...] | None = None  # sequences per chip, or "max"
    contexts: tuple[int, ...] | None = None
    chips: int | None = None
    tp: int | None = None
    ep: int | None = None
    mtp: int = 0
    pp: int | None = None  # pipeline stages (dense models; default 1)
    kv_offload: float = 0.0  # share of the KV cache kept in host memory
    device: str = "package"
    tpot: Figure | None = None
    prefill_tokens: int | None = None
    isl: int | None = None  # offline throughput: input and output lengths
    osl: int | None = None
    cache_hit: float = 0.0  # share of prompt tokens served by a prefix cache
    allow_long_context: bool = False  # a context above the model's max_context is an error unless set
    long_context_option: bool = True  # the command has --allow-long-context (its error offers it)
    inflight: bool = True  # offline throughput with in-flight batching (False: the two phases alternated)

    @property
    def offline(self) -> bool:
        return self.isl is not None

    @property
    def offline_phase(self) -> str:
        """The formulas of the offline throughput asked for: in-flight batching or the phases alternated."""
        return "inflight" if self.inflight else "offline"


@dataclass(frozen=True)
class Shortfall:
    """What does not fit, per rank: needed vs available."""

    weights: float  # bytes
    kv: float
    activations: float
    workspace: float
    usable: float
    host_kv: float = 0.0  # the KV cache kept in host memory, and the host memory usable for it
    host_usable: float = float("inf")

    @property
    def hbm_fits(self) -> bool:
        return self.weights + self.kv + self.activations + self.workspace <= self.usable

    @property
    def what(self) -> str:
        """The first thing that does not fit, in the order memory is taken."""
        if self.weights > self.usable:
            return "weights"
        if self.weights + self.workspace + self.activations > self.usable:
            return "activations"
        if self.hbm_fits:
            return "host memory"
        return "KV cache"

    def text(self) -> str:
        gb = lambda b: f"{b / 1e9:,.1f} GB"  # noqa: E731
        need = self.weights + self.kv + self.activations + self.workspace
        if self.what == "host memory":
            return (f"the KV cache offloaded to host memory does not fit: {gb(self.host_kv)} per rank, "
                    f"{gb(self.host_usable)} of host memory usable: offload a smaller share or use a smaller batch")
        if self.what == "weights":
            return f"the weights need {gb(self.weights)} per rank, {gb(self.usable)} is usable: use more chips or a smaller precision"
        return (f"the {self.what} does not fit: weights {gb(self.weights)} + KV {gb(self.kv)} + activations "
                f"{gb(self.activations)} + workspace {gb(self.workspace)} = {gb(need)} per rank, {gb(self.usable)} usable")


@dataclass(frozen=True)
class Case:
    label: str
    hw: Hardware
    lay: Layout
    batch: int
    context: int
    i: int  # index into the vectorised results
    dec: Any  # phases.Decode
    pre: Any  # phases.Prefill
    kv_precision: str
    tpot_note: str = ""
    off: Any = None  # offline Outputs
    short: Shortfall | None = None  # set when the case does not fit
    batch_note: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def fits(self) -> bool:
        return self.short is None


def _label(tid: str, b: Any, c: int, nt: int, nb: int, nc: int) -> str:
    parts = [tid] if nt > 1 or (nb == 1 and nc == 1) else []
    if nb > 1:
        parts.append(f"batch {b}")
    if nc > 1:
        parts.append(f"ctx {c}")
    return " ".join(parts)


def _shortfall(v: dict[str, Any], i: int) -> Shortfall | None:
    import numpy as np

    pick = lambda k: float(np.asarray(v[k]).ravel()[i] if np.ndim(v[k]) else v[k])  # noqa: E731
    s = Shortfall(pick("mem_weights"), pick("mem_kv"), pick("mem_activations"), pick("mem_workspace"), pick("mem_usable"))
    if v.get("mem_host_kv") is not None:
        s = replace(s, host_kv=pick("mem_host_kv"), host_usable=pick("mem_host_usable"))
    return s if not s.hbm_fits or s.host_kv > s.host_usable else None


def _check_prefill_fits(model: Any, hw: Hardware, lay: Layout, kn: Knobs, contexts: tuple, req: Request) -> None:
    """A usage error when the KV cache of the prompts one prefill step computes (--prefill-tokens per chip, in
    prompts of the context length) does not fit in HBM beside the weights: a TTFT of such a step is none an
    engine can run (1e12 prompt tokens per chip gave a TTFT of 1.4e8 s)."""
    for c in contexts:
        largest = int(float(memory(model, hw, lay, kn, 1, c, req.kv_precision).max_batch.m(""))) * c
        if req.prefill_tokens > largest:
            raise UsageError(f"--prefill-tokens {req.prefill_tokens:,}: the KV cache of that many prompt tokens per chip "
                             f"(prompts of {c:,}) does not fit in {hw.id}'s HBM beside the weights; at most {largest:,} "
                             "tokens per chip fit")


def _max_batch(model: Any, hw: Hardware, lay: Layout, kn: Knobs, context: int, req: Request) -> int:
    """The largest batch per chip that fits: at ``context`` for decode; for offline throughput at the
    full input + output length with the activations of a prefill chunk."""
    import numpy as np

    if req.offline:
        st = setup_for(model, hw, kn, req.kv_precision)
        v = Outputs(st, req.offline_phase, shape(model, hw, lay), 1.0, (float(req.isl), float(req.osl))).values
        return int(np.asarray(v["mem_max_batch"]).ravel()[0])
    return int(float(memory(model, hw, lay, kn, 1, context, req.kv_precision).max_batch.m("")))


def run(catalog: Any, model: Any, targets: list[Any], req: Request, kn: Knobs) -> list[Case]:
    """Every (target, batch, context) asked, each target's batches and contexts in one vectorised call."""
    import numpy as np

    if req.offline and req.osl is None:
        raise UsageError("--isl needs --osl (offline throughput: fixed input and output lengths)")
    if not 0 <= req.cache_hit < 1:
        raise UsageError(f"--cache-hit must be a share in [0, 1), got {req.cache_hit:g}")
    batches = req.batches or ((MAX,) if req.offline else (int(catalog.assumption("default_batch").m("")),))
    contexts = req.contexts or ((req.isl + req.osl,) if req.offline else (int(catalog.assumption("default_context").m("")),))
    whole("--batch", [b for b in batches if b != MAX] or [1], "sequences")
    whole("--context", list(contexts), "tokens")
    longest = max(contexts)
    if not req.allow_long_context:
        what = f"--isl + --osl ({req.isl} + {req.osl})" if req.offline else f"--context {longest}"
        workload.check_context(model, longest, what, req.long_context_option)
    cases: list[Case] = []
    for target in targets:
        hw = hardware(target, req.precision, req.device, kn)
        probe_b = max([b for b in batches if b != MAX] or [1])
        lay = auto_layout(model, hw, kn, probe_b, max(contexts), req.kv_precision, req.chips, req.tp, req.ep, req.mtp,
                          req.pp, req.kv_offload)
        if req.prefill_tokens is not None and not req.offline:
            _check_prefill_fits(model, hw, lay, kn, contexts, req)
        if req.tpot is not None:
            cases += _tpot_cases(model, hw, lay, kn, contexts, req, len(targets))
            continue
        pairs = []
        for b, c in itertools.product(batches, contexts):
            if b == MAX:
                mb = _max_batch(model, hw, lay, kn, c, req)
                pairs.append((max(mb, 1), c, f"largest that fits: {mb}" if mb >= 1 else "none fits"))
            else:
                pairs.append((int(b), c, ""))
        B = np.array([float(b) for b, _, _ in pairs])
        C = np.array([float(c) for _, c, _ in pairs])
        dec = phases.decode(model, hw, lay, kn, B, C, req.kv_precision)
        pre = phases.prefill(model, hw, lay, kn, C, req.prefill_tokens, req.kv_precision, req.cache_hit)
        off = None
        if req.offline:
            st = setup_for(model, hw, kn, req.kv_precision)
            off = Outputs(st, req.offline_phase, shape(model, hw, lay), B, (float(req.isl), float(req.osl)))
        for i, (b, c, note) in enumerate(pairs):
            values = off.values if off is not None else dec.out.values
            cases.append(Case(_label(hw.id, b if not note else f"{b} (max)", c, len(targets), len(batches), len(contexts)),
                              hw, lay, b, c, i, dec, pre, req.kv_precision, off=off,
                              short=_shortfall(values, i), batch_note=note))
    return cases


def _tpot_cases(model: Any, hw: Hardware, lay: Layout, kn: Knobs, contexts: tuple[int, ...], req: Request,
                n_targets: int) -> list[Case]:
    import numpy as np

    out = []
    for c in contexts:
        best, d = largest_batch_for_tpot(model, hw, lay, kn, c, req.tpot, req.kv_precision)
        b = best if best is not None else 1
        dec = phases.decode(model, hw, lay, kn, np.array([b]), np.array([c]), req.kv_precision)
        pre = phases.prefill(model, hw, lay, kn, np.array([c]), req.prefill_tokens, req.kv_precision, req.cache_hit)
        short = _shortfall(dec.out.values, 0)
        if best is None:
            t1 = float(np.asarray(dec.tpot.q.m_as("ms")).ravel()[0])
            note = f"none (TPOT at batch 1: {t1:.3g} ms)" if short is None else "none (does not fit)"
        else:
            note = str(best)
        out.append(Case(_label(hw.id, b, c, n_targets, 1, len(contexts)), hw, lay, b, c, 0, dec, pre,
                        req.kv_precision, note, short=short if best is None else None))
    return out
