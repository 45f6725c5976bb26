"""Views of one step of the serving model per rank: memory fit and the roofline of the step.

The numbers come from :mod:`.compiled` (the formulas of :mod:`.formulas`, traced once and evaluated on
SI floats); these classes show them as Figures, with units, provenance and ranges, when asked.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from chipcalc.calc.serving.compiled import Outputs, setup_for
from chipcalc.calc.serving.hardware import Hardware, Knobs
from chipcalc.calc.serving.layout import Layout, shape
from chipcalc.catalog.records import Model


class Memory:
    """Per rank: weights stored, KV cache at the batch and context asked, activations, workspace, usable
    HBM; per chip: the largest batch whose KV and activations fit (0 when even the weights do not)."""

    def __init__(self, out: Outputs, prefix: str = "mem_"):
        self._o, self._p = out, prefix

    @cached_property
    def weights(self) -> Any:
        return self._o.figure(self._p + "weights", "GB")

    @cached_property
    def kv(self) -> Any:
        return self._o.figure(self._p + "kv", "GB")

    @cached_property
    def usable(self) -> Any:
        return self._o.figure(self._p + "usable", "GB")

    @cached_property
    def activations(self) -> Any:
        return self._o.figure(self._p + "activations", "GB")

    @cached_property
    def workspace(self) -> Any:
        return self._o.figure(self._p + "workspace", "GB")

    @cached_property
    def max_batch(self) -> Any:
        return self._o.figure(self._p + "max_batch", "")

    @cached_property
    def host_kv(self) -> Any:  # the KV cache kept in host memory (None without --kv-offload)
        return self._o.figure(self._p + "host_kv", "GB")

    @cached_property
    def host_usable(self) -> Any:
        return self._o.figure(self._p + "host_usable", "GB")

    @cached_property
    def fits(self) -> Any:
        import numpy as np

        v, p = self._o.values, self._p
        ok = np.asarray(v[p + "weights"] + v[p + "kv"] + v[p + "activations"] + v[p + "workspace"] <= v[p + "usable"])
        if v.get(p + "host_kv") is not None:
            ok = ok & np.asarray(v[p + "host_kv"] <= v[p + "host_usable"])
        return ok


class Step:
    """Per-rank times of one step; arrays broadcast over batch and context."""

    def __init__(self, out: Outputs):
        self._o = out

    compute = cached_property(lambda self: self._o.figure("compute", "ms"))  # all FLOPs at achievable peak
    memory = cached_property(lambda self: self._o.figure("memory", "ms"))  # all bytes at achievable bandwidth
    comm = cached_property(lambda self: self._o.figure("comm", "ms"))
    exposed = cached_property(lambda self: self._o.figure("exposed", "ms"))  # the communication overlap leaves
    overhead = cached_property(lambda self: self._o.figure("overhead", "ms"))
    transfer = cached_property(lambda self: self._o.figure("transfer", "ms"))  # PP stage-to-stage sends (None without PP)
    time = cached_property(lambda self: self._o.figure("time", "ms"))  # sum over kinds of max(compute, memory) + comm + overhead
    flops = cached_property(lambda self: self._o.figure("flops", "GFLOP"))
    bytes = cached_property(lambda self: self._o.figure("bytes", "GB"))
    host_bytes = cached_property(lambda self: self._o.figure("host_bytes", "GB"))  # KV over the host link (--kv-offload)
    host_time = cached_property(lambda self: self._o.figure("host_time", "ms"))

    @cached_property
    def bound(self) -> Any:
        """Array of "compute" | "memory" | "communication" | "overhead"."""
        return self._o.bound()


def memory(model: Model, hw: Hardware, lay: Layout, kn: Knobs, batch: Any, context: Any, kv_precision: str) -> Memory:
    """Memory fit at ``batch`` sequences per chip and ``context`` tokens each (arrays broadcast)."""
    import numpy as np

    from chipcalc.calc.serving import formulas as F
    from chipcalc.calc.serving.values import FloatOps, SymOps

    st = setup_for(model, hw, kn, kv_precision)
    s = shape(model, hw, lay)
    b, c = np.asarray(batch, dtype=float), np.asarray(context, dtype=float)
    out = _MemoryOutputs(st, s, b, c, F.memory(FloatOps, st.inputs("float"), s, b, c, 1 + s.mtp),
                         F.memory(SymOps, st.inputs("sym"), s, 1.0, 1.0, 1 + s.mtp))
    return Memory(out, prefix="")


class _MemoryOutputs(Outputs):
    """The memory formulas alone (searches for a layout that fits call them many times)."""

    def __init__(self, setup: Any, s: Any, b: Any, c: Any, values: dict, syms: dict):
        self.setup, self.phase, self.shape, self.args = setup, "memory", s, (b, c)
        self.syms, self.values, self._ranges, self._figs = syms, values, None, {}

    def ranges(self) -> dict[str, Any]:
        if self._ranges is None:
            from chipcalc.calc.serving import formulas as F
            from chipcalc.calc.serving.values import RangeOps

            self._ranges = F.memory(RangeOps, self.setup.inputs("range"), self.shape, *self.args, 1 + self.shape.mtp)
        return self._ranges
