"""Compile, then evaluate: units and provenance checked once per calculation, numbers on SI floats.

A :class:`Setup` holds one deployment's inputs (model, hardware, assumptions, KV precision) lowered to
each number type once. For a layout (:class:`~.formulas.Shape`) and a phase it traces the formulas once
with :class:`~.values.Sym` values — checking every unit and collecting each output's provenance — and
caches the trace by the calculation's structure (which terms exist), so a search over thousands of
layouts traces a handful of times. Evaluation then runs the same formulas on floats or numpy arrays;
ranges run them on (nominal, low, high) triples, only when a result is asked for as a Figure.
"""

from __future__ import annotations

from typing import Any

from chipcalc.calc.serving import formulas as F
from chipcalc.calc.serving.inputs import input_figures, lower
from chipcalc.calc.serving.values import (
    FigureOps,
    FloatOps,
    Ranged,
    RangeOps,
    Sym,
    SymOps,
    si_factor,
    si_unit,
    unit_dims,
)
from chipcalc.core.figure import Figure
from chipcalc.core.memo import IdentityMemo

OPS = {"figure": FigureOps, "float": FloatOps, "range": RangeOps, "sym": SymOps}
PHASES = {"decode": F.decode, "prefill": lambda o, x, s, a, b: F.prefill(o, x, s, a, b, s.cache_hit), "offline": F.offline,
          "inflight": F.inflight}
#: Exact stand-ins for a phase's arguments when tracing (the trace does not depend on their values).
TRACE_ARGS = {"decode": (1.0, 1.0), "prefill": (1.0, 1.0), "offline": (1.0, (1.0, 1.0)), "inflight": (1.0, (1.0, 1.0))}
#: The binding resource of a step as a small integer (sweeps and searches keep codes, not strings).
BOUND_NAMES = ("compute", "memory", "communication", "overhead")


class Setup:
    """One deployment's inputs, lowered once; traces cached by structure."""

    def __init__(self, model: Any, hw: Any, kn: Any, kv_precision: str):
        self.model, self.hw, self.kn, self.kv_precision = model, hw, kn, kv_precision
        self.figures = input_figures(model, hw, kn, kv_precision)
        self._lowered: dict[str, Any] = {}
        self._traces: dict[tuple, dict[str, Any]] = {}

    def inputs(self, kind: str) -> Any:
        x = self._lowered.get(kind)
        if x is None:
            x = self._lowered[kind] = lower(self.figures, kind)
        return x

    def trace(self, phase: str, s: F.Shape) -> dict[str, Any]:
        """Each output's dimension and provenance (raises a one-line error when units disagree)."""
        key = (phase, s.key)
        t = self._traces.get(key)
        if t is None:
            t = self._traces[key] = PHASES[phase](SymOps, self.inputs("sym"), s, *TRACE_ARGS[phase])
        return t

    def run(self, phase: str, s: F.Shape, kind: str, a: Any, b: Any) -> dict[str, Any]:
        """The formulas of ``phase`` on one number type; ``a, b`` = batch, context (decode) or prompt,
        tokens per rank (prefill)."""
        return PHASES[phase](OPS[kind], self.inputs(kind), s, a, b)


class Outputs:
    """One evaluation: SI values by name, their provenance from the trace, and Figures on demand
    (with ranges, computed once for the whole evaluation the first time a ranged Figure is asked for)."""

    def __init__(self, setup: Setup, phase: str, s: F.Shape, a: Any, b: Any, values: dict[str, Any] | None = None):
        self.setup, self.phase, self.shape, self.args = setup, phase, s, (a, b)
        self.syms = setup.trace(phase, s)
        self.values = values if values is not None else setup.run(phase, s, "float", a, b)
        self._ranges: dict[str, Any] | None = None
        self._figs: dict[tuple, Any] = {}

    def ranges(self) -> dict[str, Any]:
        if self._ranges is None:
            self._ranges = self.setup.run(self.phase, self.shape, "range", *self.args)
        return self._ranges

    def figure(self, name: str, unit: str | None = None, index: int | None = None) -> Any:
        """The output ``name`` (``index`` into a list output) as a Figure in ``unit``; an exact
        number stays a number; an absent output is None."""
        key = (name, unit, index)
        if key in self._figs:
            return self._figs[key]
        sym, val = self.syms[name], self.values[name]
        if index is not None:
            sym, val = sym[index], val[index]
        if val is None or not isinstance(sym, Sym):
            out = val
        else:
            out = _figure(sym, val, self._range_of(name, index) if sym.ranged else None, unit)
        self._figs[key] = out
        return out

    def _range_of(self, name: str, index: int | None) -> Ranged:
        r = self.ranges()[name]
        return Ranged.of(r[index] if index is not None else r)

    def bound_codes(self) -> Any:
        """Which resource binds each point: 0 compute, 1 memory, 2 communication, 3 overhead
        (the largest of the compute-bound, memory-bound, communication and overhead shares; communication
        counts the pipeline's stage-to-stage transfers too)."""
        import numpy as np

        v = self.values
        c_share = None
        for c, m in zip(v["c_times"], v["m_times"]):
            part = np.where(c >= m, c, 0.0)
            c_share = part if c_share is None else c_share + part
        m_share = v["work"] - c_share  # the work is the sum over kinds of max(compute, memory)
        comm = (v["comm"] if v["comm"] is not None else 0.0) + (v["transfer"] if v.get("transfer") is not None else 0.0)
        # the first largest of the four, as argmax over them would give, without stacking four copies: the
        # codes rise along the shares, so a later share that beats the best so far simply overwrites the code;
        # communication (a term of the batch alone in a sweep) and the overhead (one number) rarely bind, and
        # when they bind nowhere their passes are skipped
        shape = np.broadcast_shapes(np.shape(c_share), np.shape(m_share), np.shape(comm), np.shape(v["overhead"]))
        code = np.broadcast_to(m_share > c_share, shape).astype(np.int8)
        best = np.maximum(c_share, m_share)
        for k, share in ((2, comm), (3, v["overhead"])):
            above = share > best
            if np.any(above):
                np.copyto(code, np.int8(k), where=above)
                best = np.maximum(best, share)
        return code

    def bound(self) -> Any:
        import numpy as np

        return np.array(BOUND_NAMES)[self.bound_codes()]


def decode_point(setup: Setup, s: F.Shape, batch: Any, context: Any) -> dict[str, Any]:
    """One decode point as Figures with their ranges, as ``chipcalc latency`` gives them: TPOT (ms), tokens/s
    per user (1/TPOT), per chip, and per kW (None without a power figure). Sweeps and the Pareto search show
    their points through it."""
    from chipcalc.core.units import Q

    out = Outputs(setup, "decode", s, float(batch), float(context))
    tpot = out.figure("tpot", "ms")
    return {"tpot": tpot, "per_user": (1 / tpot * Q(1.0, "token")).to("token/s"), "per_chip": out.figure("per_chip", "token/s"),
            "per_kw": None if out.values["per_kw"] is None else out.figure("per_kw", "token/s/kW")}


def _figure(sym: Sym, value: Any, rng: Ranged | None, unit: str | None) -> Figure:
    from chipcalc.core.units import Q, U

    if unit is not None and unit_dims(unit) == sym.dims:  # straight to the unit asked for: no pint conversion
        k = si_factor(unit)
        u = U(unit)
        return Figure(Q(value / k, u), sym.prov, low=None if rng is None else Q(rng.lo / k, u),
                      high=None if rng is None else Q(rng.hi / k, u), range_prov=sym.rprov)
    base = U(si_unit(sym.dims)) if any(sym.dims) else U("")
    fig = Figure(Q(value, base), sym.prov, low=None if rng is None else Q(rng.lo, base),
                 high=None if rng is None else Q(rng.hi, base), range_prov=sym.rprov if rng is not None else sym.rprov)
    return fig.to(unit) if unit is not None else fig


# -- one setup per deployment, cached ------------------------------------------------------------

_SETUPS = IdentityMemo(64)


def setup_for(model: Any, hw: Any, kn: Any, kv_precision: str) -> Setup:
    """The setup for these records (the same objects give the same setup; at most a few dozen kept)."""
    return _SETUPS.get((model, hw, kn), kv_precision, lambda: Setup(model, hw, kn, kv_precision))
