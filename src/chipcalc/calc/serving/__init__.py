"""The serving model (formulas in :mod:`.formulas`, compiled once and evaluated on SI floats): a careful roofline for prefill (TTFT) and decode (TPOT) of one LLM.

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
latency per hop plus ``collective_overhead``; and ``layer_overhead`` per layer. Dense models may also be split
into PP pipeline stages (ranks = TP x PP x DP; PP micro-batches in flight; TPOT = the sum of the stage times
plus the stage-to-stage transfers, see :mod:`.formulas`). Every efficiency and
overhead is a named assumption read from the catalog (specs/assumptions.toml).

Everything is vectorised with numpy: ``batch`` and ``context`` may be arrays that broadcast, so a
range of batches is one call. Results are :class:`Figure` objects with the provenance of every input.
"""

from __future__ import annotations

from chipcalc.calc.serving.compiled import BOUND_NAMES, Outputs, Setup, setup_for
from chipcalc.calc.serving.formulas import Shape
from chipcalc.calc.serving.hardware import (
    ACT_PRECISION,
    KNOBS,
    Hardware,
    Knobs,
    Link,
    hardware,
    knobs,
    override,
    peak_of,
)
from chipcalc.calc.serving.layout import Layout, experts_held, kv_shard, layout, shape
from chipcalc.calc.serving.phases import (
    Decode,
    Prefill,
    accepted_tokens,
    decode,
    prefill,
)
from chipcalc.calc.serving.search import auto_layout, largest_batch_for_tpot
from chipcalc.calc.serving.step import Memory, Step, memory
from chipcalc.core.counts import whole
from chipcalc.core.figure import apply, at, fmax

__all__ = [
    "ACT_PRECISION", "BOUND_NAMES", "KNOBS", "MAX", "Case", "Request", "Shortfall", "run", "Decode", "Hardware", "Knobs", "Layout", "Link", "Memory", "Outputs",
    "Prefill", "Setup", "Shape", "Step", "accepted_tokens", "apply", "at", "auto_layout", "decode", "experts_held",
    "fmax", "hardware", "knobs", "kv_shard", "largest_batch_for_tpot", "layout", "memory", "override", "peak_of",
    "prefill", "setup_for", "shape", "whole",
]
