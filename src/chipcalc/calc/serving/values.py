"""The number types the serving formulas run on: one set of formulas, four ways to evaluate it.

The formulas (:mod:`chipcalc.calc.serving.formulas`) are written once, with ``+ - * /`` and the few
operations of an ``ops`` object (``const``, ``max``, ``min``, ``total``, ``touch``, ``spread``, ``floor0``). They run on:

* :class:`FigureOps` — :class:`~chipcalc.core.figure.Figure` objects (pint quantities, provenance, interval
  ranges): the reference, slow (a pint operation is ~20 µs);
* :class:`SymOps` — :class:`Sym` tracers carrying only a dimension vector and a provenance: run once per
  structure of a calculation, it checks every unit and collects each output's provenance;
* :class:`FloatOps` — float64 SI values (Python floats or numpy arrays): the fast path;
* :class:`RangeOps` — :class:`Ranged` (nominal, low, high) float triples, with the same interval rules as
  Figure arithmetic: ranges, only when asked for.

A property test (tests/test_compiled.py) checks that the fast paths equal the Figure path.
"""

from __future__ import annotations

import math
import operator
from functools import lru_cache
from typing import Any, Callable

from chipcalc.core.errors import ChipcalcError
from chipcalc.core.figure import Figure, Provenance, apply, fmax

#: The base dimensions of chipcalc's registry (core/units.txt), in a fixed order.
BASE = ("[time]", "[information]", "[operation]", "[token]", "[power]", "[currency]")
#: The SI (base) unit of each base dimension.
BASE_UNITS = ("s", "B", "FLOP", "token", "W", "USD")
NODIM = (0, 0, 0, 0, 0, 0)


def dims_of(q: Any) -> tuple[int, ...]:
    """The dimension vector of a pint quantity (exponents of :data:`BASE`)."""
    d = q.dimensionality
    return tuple(int(d.get(b, 0)) for b in BASE)


def si_unit(dims: tuple[int, ...]) -> str:
    """A pint unit string for a dimension vector: ``(-1, 0, 0, 1, 0, 0)`` -> ``"token / s"``."""
    num = [u if e == 1 else f"{u} ** {e}" for u, e in zip(BASE_UNITS, dims) if e > 0]
    den = [u if e == -1 else f"{u} ** {-e}" for u, e in zip(BASE_UNITS, dims) if e < 0]
    text = " * ".join(num) or ("1" if den else "")
    return text + (" / (" + " * ".join(den) + ")" if len(den) > 1 else f" / {den[0]}" if den else "")


@lru_cache(maxsize=256)
def si_factor(unit: str) -> float:
    """How many SI base units one ``unit`` is (``"ms"`` -> 1e-3)."""
    from chipcalc.core.units import Q

    return float(Q(1.0, unit).to_base_units().magnitude) if unit else 1.0


@lru_cache(maxsize=256)
def unit_dims(unit: str) -> tuple[int, ...]:
    from chipcalc.core.units import Q

    return dims_of(Q(1.0, unit)) if unit else NODIM


def _is_array(x: Any) -> bool:
    return hasattr(x, "shape") and getattr(x, "ndim", 0) > 0


# -- float64 SI values -------------------------------------------------------------------------

class FloatOps:
    """The fast path: values are SI floats or numpy arrays."""

    @staticmethod
    def const(value: float, unit: str = "") -> float:
        return value * si_factor(unit)

    @staticmethod
    def max(a: Any, b: Any) -> Any:
        if type(a) is float and type(b) is float:  # one configuration: no attribute probing
            return a if a >= b else b
        if _is_array(a) or _is_array(b):
            import numpy as np

            return np.maximum(a, b)
        return a if a >= b else b

    @staticmethod
    def min(a: Any, b: Any) -> Any:
        if type(a) is float and type(b) is float:
            return a if a <= b else b
        if _is_array(a) or _is_array(b):
            import numpy as np

            return np.minimum(a, b)
        return a if a <= b else b

    @staticmethod
    def total(xs: list[Any]) -> Any:
        acc = xs[0]
        for x in xs[1:]:
            acc = acc + x
        return acc

    @staticmethod
    def touch(k: Any, e: Any, tokens: Any) -> Any:
        """1 - (1 - k/E)^tokens: the expected share of E experts that ``tokens`` top-k tokens hit."""
        if type(tokens) is float:
            return 1.0 - (1.0 - k / e) ** tokens
        import numpy as np

        return 1.0 - np.power(1.0 - k / e, tokens)

    @staticmethod
    def spread(k: Any, n: Any) -> Any:
        """n(1 - (1 - 1/n)^k): the expected number of distinct bins of n that k uniform picks hit."""
        return n * (1.0 - (1.0 - 1.0 / n) ** k)

    @staticmethod
    def floor0(x: Any) -> Any:
        if type(x) is float:  # as numpy's maximum(floor(x), 0): NaN and +inf pass through, -inf gives 0
            if x != x or x == math.inf:
                return x
            return 0.0 if x == -math.inf else max(float(math.floor(x)), 0.0)
        import numpy as np

        return np.maximum(np.floor(x), 0.0)


# -- (nominal, low, high) --------------------------------------------------------------------------

class Ranged:
    """A float (or array) with a low and a high end, combined with the interval rules of
    :meth:`Figure._combine` (sums add ends, differences cross them, products and quotients take the
    corners)."""

    __slots__ = ("n", "lo", "hi")
    __array_ufunc__ = None  # ``array * ranged`` defers to Ranged.__rmul__

    def __init__(self, n: Any, lo: Any = None, hi: Any = None):
        self.n, self.lo, self.hi = n, n if lo is None else lo, n if hi is None else hi

    @staticmethod
    def of(x: Any) -> "Ranged":
        return x if isinstance(x, Ranged) else Ranged(x)

    def _corners(self, o: "Ranged", fn: Callable[[Any, Any], Any]) -> "Ranged":
        c = [fn(a, b) for a in (self.lo, self.hi) for b in (o.lo, o.hi)]
        if all(type(x) is float for x in c):  # one configuration: no numpy on scalars
            return Ranged(fn(self.n, o.n), min(c), max(c))
        import numpy as np

        lo = np.minimum(np.minimum(c[0], c[1]), np.minimum(c[2], c[3]))
        hi = np.maximum(np.maximum(c[0], c[1]), np.maximum(c[2], c[3]))
        return Ranged(fn(self.n, o.n), lo, hi)

    def _scaled(self, k: float) -> "Ranged":
        """Times an exact number (the ends swap when it is negative)."""
        return Ranged(self.n * k, self.lo * k, self.hi * k) if k >= 0 else Ranged(self.n * k, self.hi * k, self.lo * k)

    def __add__(self, other: Any) -> "Ranged":
        o = Ranged.of(other)
        return Ranged(self.n + o.n, self.lo + o.lo, self.hi + o.hi)

    __radd__ = __add__

    def __sub__(self, other: Any) -> "Ranged":
        o = Ranged.of(other)
        return Ranged(self.n - o.n, self.lo - o.hi, self.hi - o.lo)

    def __rsub__(self, other: Any) -> "Ranged":
        return Ranged.of(other) - self

    def __mul__(self, other: Any) -> "Ranged":
        if type(other) is float or type(other) is int:
            return self._scaled(other)
        return self._corners(Ranged.of(other), operator.mul)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> "Ranged":
        import numpy as np

        if (type(other) is float or type(other) is int) and other != 0:
            return Ranged(self.n / other, self.lo / other, self.hi / other) if other > 0 else \
                Ranged(self.n / other, self.hi / other, self.lo / other)
        o = Ranged.of(other)
        if np.any((np.asarray(o.lo) <= 0) & (np.asarray(o.hi) >= 0)):
            raise ChipcalcError(f"cannot divide by a range that includes zero ({o.lo} to {o.hi})")
        return self._corners(o, operator.truediv)

    def __rtruediv__(self, other: Any) -> "Ranged":
        return Ranged(1 / self.n, 1 / self.hi, 1 / self.lo) * other


class RangeOps(FloatOps):
    """Ranges on SI floats: what ``--ranges`` and the figures of a table show."""

    @staticmethod
    def const(value: float, unit: str = "") -> Ranged:
        return Ranged(value * si_factor(unit))

    @staticmethod
    def _each(fn: Callable[..., Any], *xs: Any) -> Ranged:
        rs = [Ranged.of(x) for x in xs]
        return Ranged(fn(*(r.n for r in rs)), fn(*(r.lo for r in rs)), fn(*(r.hi for r in rs)))

    @staticmethod
    def max(a: Any, b: Any) -> Ranged:
        import numpy as np

        return RangeOps._each(np.maximum, a, b)

    @staticmethod
    def min(a: Any, b: Any) -> Ranged:
        import numpy as np

        return RangeOps._each(np.minimum, a, b)

    @staticmethod
    def touch(k: Any, e: Any, tokens: Any) -> Ranged:
        k, e, t = Ranged.of(k), Ranged.of(e), Ranged.of(tokens)  # the card's counts: exact; monotone in tokens
        f = lambda n: FloatOps.touch(k.n, e.n, n)  # noqa: E731
        return Ranged(f(t.n), f(t.lo), f(t.hi))

    @staticmethod
    def spread(k: Any, n: Any) -> Ranged:
        return Ranged(FloatOps.spread(Ranged.of(k).n, Ranged.of(n).n))  # counts of the card: exact

    @staticmethod
    def floor0(x: Any) -> Ranged:
        return RangeOps._each(FloatOps.floor0, x)


# -- dimension and provenance tracers --------------------------------------------------------------

class Sym:
    """What a value is, not how much: its dimension vector, its provenance, whether any input it rests
    on has a range (and where the ends of those ranges come from), and a name for error messages."""

    __slots__ = ("dims", "prov", "ranged", "name", "rprov")
    __array_ufunc__ = None  # ``array * sym`` defers to Sym.__rmul__

    def __init__(self, dims: tuple[int, ...], prov: Provenance, ranged: bool = False, name: str = "",
                 rprov: Provenance = Provenance()):
        self.dims, self.prov, self.ranged, self.name, self.rprov = dims, prov, ranged, name, rprov

    @staticmethod
    def of(x: Any) -> "Sym":
        return x if isinstance(x, Sym) else Sym(NODIM, Provenance(), False, repr(x) if not _is_array(x) else "an array")

    def _join(self, o: "Sym", dims: tuple[int, ...], what: str) -> "Sym":
        name = f"({self.name} {what} {o.name})" if len(self.name) + len(o.name) < 120 else "(...)"
        return Sym(dims, self.prov | o.prov, self.ranged or o.ranged, name, self.rprov | o.rprov)

    def _same(self, other: Any, what: str) -> "Sym":
        o = Sym.of(other)
        if o.dims != self.dims:
            raise ChipcalcError(f"units do not agree: cannot {what} {self.name} [{si_unit(self.dims) or 'number'}] "
                                f"and {o.name} [{si_unit(o.dims) or 'number'}]; check the figures' units")
        return self._join(o, self.dims, {"add": "+", "subtract": "-", "compare": "vs"}.get(what, what))

    def __add__(self, other: Any) -> "Sym":
        return self._same(other, "add")

    __radd__ = __add__

    def __sub__(self, other: Any) -> "Sym":
        return self._same(other, "subtract")

    def __rsub__(self, other: Any) -> "Sym":
        return Sym.of(other)._same(self, "subtract")

    def __mul__(self, other: Any) -> "Sym":
        o = Sym.of(other)
        return self._join(o, tuple(a + b for a, b in zip(self.dims, o.dims)), "*")

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> "Sym":
        o = Sym.of(other)
        return self._join(o, tuple(a - b for a, b in zip(self.dims, o.dims)), "/")

    def __rtruediv__(self, other: Any) -> "Sym":
        return Sym.of(other) / self


class SymOps:
    """Traces a calculation: every unit checked, each output's provenance collected."""

    @staticmethod
    def const(value: float, unit: str = "") -> Sym:
        return Sym(unit_dims(unit), Provenance(), False, f"{value:g} {unit}".strip())

    @staticmethod
    def max(a: Any, b: Any) -> Sym:
        return Sym.of(a)._same(b, "compare")

    min = max

    @staticmethod
    def total(xs: list[Any]) -> Sym:
        acc = Sym.of(xs[0])
        for x in xs[1:]:
            acc = acc + x
        return acc

    @staticmethod
    def touch(k: Any, e: Any, tokens: Any) -> Sym:
        r = Sym.of(k) / e
        t = Sym.of(tokens)  # the card's counts, taken exact; the tokens may rest on assumptions
        return Sym(NODIM, r.prov | t.prov, t.ranged, f"touched({r.name})", t.rprov)

    @staticmethod
    def spread(k: Any, n: Any) -> Sym:
        k, n = Sym.of(k), Sym.of(n)
        return Sym(NODIM, k.prov | n.prov, False, f"spread({k.name}, {n.name})")

    @staticmethod
    def floor0(x: Any) -> Sym:
        return Sym.of(x)


# -- the reference: Figures ----------------------------------------------------------------------

class FigureOps:
    """The reference path on :class:`Figure` objects (units, provenance and ranges in every operation)."""

    @staticmethod
    def const(value: float, unit: str = "") -> Any:
        from chipcalc.core.units import Q

        return Q(value, unit)

    @staticmethod
    def max(a: Any, b: Any) -> Figure:
        if not isinstance(a, Figure) or not isinstance(b, Figure):
            return _with_exact(a, b, "maximum")
        return fmax(a, b)

    @staticmethod
    def min(a: Any, b: Any) -> Figure:
        if not isinstance(a, Figure) or not isinstance(b, Figure):
            return _with_exact(a, b, "minimum")
        return -1 * fmax(-1 * a, -1 * b)

    total = staticmethod(FloatOps.total)

    @staticmethod
    def touch(k: Figure, e: Figure, tokens: Any) -> Figure:
        from chipcalc.core.units import Q

        kn, en = float(k.m("")), float(e.m(""))
        if isinstance(tokens, Figure):  # monotone in the tokens: apply to nominal, low and high
            out = apply(tokens.to(""), lambda t: FloatOps.touch(kn, en, t))
            return Figure(out.q, k.prov | e.prov | tokens.prov, low=out.low, high=out.high, range_prov=out.range_prov)
        return Figure(Q(FloatOps.touch(kn, en, tokens), ""), k.prov | e.prov)

    @staticmethod
    def spread(k: Any, n: Any) -> Figure:
        from chipcalc.core.units import Q

        num = lambda v: float(v.m("")) if isinstance(v, Figure) else float(v)  # noqa: E731
        prov = Provenance.union(v.prov for v in (k, n) if isinstance(v, Figure))
        return Figure(Q(FloatOps.spread(num(k), num(n)), ""), prov)

    @staticmethod
    def floor0(x: Figure) -> Figure:
        return apply(x, FloatOps.floor0)


def _with_exact(a: Any, b: Any, how: str) -> Any:
    """The elementwise maximum or minimum of a dimensionless Figure and an exact number (a batch x length
    from the caller), on its nominal value and each end; of two exact numbers, the plain one."""
    import numpy as np

    fn = getattr(np, how)
    if isinstance(b, Figure):
        a, b = b, a
    if not isinstance(a, Figure):
        return fn(a, b)
    return apply(a, lambda v: fn(v, b))


def finite(x: Any) -> bool:
    import numpy as np

    return bool(np.all(np.isfinite(x))) if _is_array(x) else math.isfinite(x)
