"""Decode (TPOT, tokens/s) and prefill (TTFT) of one model on one deployment, as Figures.

Evaluated on the compiled path (:mod:`.compiled`); every field is a Figure built when first read, with
the provenance of the inputs it rests on and, where an input has one, its range.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from chipcalc.calc.serving.compiled import Outputs, setup_for
from chipcalc.calc.serving.hardware import Hardware, Knobs
from chipcalc.calc.serving.layout import Layout, shape
from chipcalc.calc.serving.step import Memory, Step
from chipcalc.catalog.records import Model
from chipcalc.core.counts import whole


class Decode:
    """Decode at a batch per chip and a context per sequence (arrays broadcast)."""

    def __init__(self, out: Outputs):
        self.out = out
        self.step = Step(out)
        self.memory = Memory(out)

    accepted = cached_property(lambda self: self.out.figure("accepted", ""))  # tokens per sequence per step
    tpot = cached_property(lambda self: self.out.figure("tpot", "ms"))
    per_rank = cached_property(lambda self: self.out.figure("per_rank", "token/s"))
    per_chip = cached_property(lambda self: self.out.figure("per_chip", "token/s"))
    per_system = cached_property(lambda self: self.out.figure("per_system", "token/s"))
    per_kw = cached_property(lambda self: self.out.figure("per_kw", "token/s/kW"))


class Prefill:
    """Prefill of prompts: TTFT is the step time; tokens/s of prompt per chip."""

    def __init__(self, out: Outputs, tokens: Any):
        self.out = out
        self.step = Step(out)
        self.tokens = tokens  # prompt tokens per rank in one step

    ttft = cached_property(lambda self: self.out.figure("ttft", "ms"))
    per_chip = cached_property(lambda self: self.out.figure("per_chip", "token/s"))
    per_system = cached_property(lambda self: self.out.figure("per_system", "token/s"))
    per_kw = cached_property(lambda self: self.out.figure("per_kw", "token/s/kW"))


def decode(model: Model, hw: Hardware, lay: Layout, kn: Knobs, batch: Any, context: Any,
           kv_precision: str = "bf16") -> Decode:
    """Decode at ``batch`` sequences per chip and ``context`` tokens of KV each (arrays broadcast)."""
    if type(batch) is int and type(context) is int and batch >= 1 and context >= 1:  # one configuration
        b, c = float(batch), float(context)
    else:
        import numpy as np

        b = whole("--batch", batch, "sequences").astype(float)
        c = whole("--context", context, "tokens").astype(float)
        b, c = _scalars(*np.broadcast_arrays(b, c))
    return Decode(Outputs(setup_for(model, hw, kn, kv_precision), "decode", shape(model, hw, lay), b, c))


def prefill(model: Model, hw: Hardware, lay: Layout, kn: Knobs, prompt: Any, tokens_per_chip: Any = None,
            kv_precision: str = "bf16", cache_hit: float = 0.0) -> Prefill:
    """Prefill of prompts of ``prompt`` tokens, ``tokens_per_chip`` prompt tokens per chip per step
    (default: one prompt per TP group, i.e. prompt / tp per chip); a prefix cache serves ``cache_hit`` of
    the prompt tokens. TTFT is the step time."""
    if type(prompt) is int and prompt >= 1 and (tokens_per_chip is None or (type(tokens_per_chip) is int and tokens_per_chip >= 1)):
        prompt = float(prompt)  # one configuration: Python floats throughout
        tok = prompt / lay.tp / hw.rpc if tokens_per_chip is None else float(tokens_per_chip) / hw.rpc
    else:
        import numpy as np

        prompt = whole("--context", prompt, "tokens").astype(float)
        if tokens_per_chip is None:
            tok = prompt / lay.tp / hw.rpc
        else:
            tok = whole("--prefill-tokens", tokens_per_chip, "tokens").astype(float) / hw.rpc
        tok, prompt = _scalars(*np.broadcast_arrays(tok, prompt))
    s = shape(model, hw, lay, float(cache_hit))
    return Prefill(Outputs(setup_for(model, hw, kn, kv_precision), "prefill", s, prompt, tok), tok)


def _scalars(*arrays: Any) -> tuple[Any, ...]:
    """0-d arrays as Python floats: one configuration then runs on floats, not on numpy scalars."""
    return tuple(float(a) if a.ndim == 0 else a for a in arrays)


def accepted_tokens(kn: Knobs, mtp: int) -> Any:
    """1 + a + a^2 + ... + a^mtp tokens per sequence per step (a Figure; 1 without MTP)."""
    from types import SimpleNamespace

    from chipcalc.calc.serving.formulas import accepted
    from chipcalc.calc.serving.values import FigureOps

    return accepted(FigureOps, SimpleNamespace(acceptance=kn.acceptance), mtp)
