"""Figures: a quantity plus where it came from.

A :class:`Figure` is a pint quantity (scalar or numpy array) with its :class:`Provenance`
(the sources it rests on and the assumptions it depends on) and an optional low/high range.
Arithmetic on figures combines provenance and propagates ranges with interval arithmetic, so a
total or a ratio knows what it depends on and is never shown more certain than its weakest input.
This module knows nothing about chips.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from chipcalc.core.errors import ChipcalcError, UnitError


@dataclass(frozen=True, order=True)
class SourceRef:
    """A citation: a bibliography id plus the page, table or short quote."""

    id: str
    detail: str = ""


@dataclass(frozen=True, order=True)
class Assumption:
    """A named assumption: ``name`` says what it is about, ``text`` why this value."""

    name: str
    text: str


@dataclass(frozen=True)
class Provenance:
    sources: frozenset[SourceRef] = frozenset()
    assumptions: frozenset[Assumption] = frozenset()

    def __or__(self, other: "Provenance") -> "Provenance":
        return Provenance(self.sources | other.sources, self.assumptions | other.assumptions)

    @property
    def assumed(self) -> bool:
        """True when anything this rests on is an assumption."""
        return bool(self.assumptions)

    @property
    def status(self) -> str:
        return "assumed" if self.assumptions else "sourced"

    @staticmethod
    def source(id: str, detail: str = "") -> "Provenance":
        return Provenance(sources=frozenset({SourceRef(id, detail)}))

    @staticmethod
    def assume(name: str, text: str) -> "Provenance":
        return Provenance(assumptions=frozenset({Assumption(name, text)}))

    @staticmethod
    def union(items: Iterable["Provenance"]) -> "Provenance":
        out = Provenance()
        for p in items:
            out = out | p
        return out


class ProvenanceError(ChipcalcError):
    pass


def _is_quantity(x: Any) -> bool:
    return hasattr(x, "units") and hasattr(x, "magnitude")


@dataclass(frozen=True)
class Figure:
    """A quantity with provenance and an optional range ``[low, high]``.

    ``alternatives`` keeps the other values a spec lists (each a Figure with its own source),
    so that disagreeing sources stay visible. ``label`` names what the figure is
    (``"ascend-910c.bf16_dense"``); ``note`` says how it was derived, when it was.
    """

    q: Any
    prov: Provenance
    low: Any = None
    high: Any = None
    label: str = ""
    note: str = ""
    alternatives: tuple["Figure", ...] = field(default=(), compare=False)
    #: where the low/high come from when other sources set them (alternatives' sources and
    #: assumptions); carried through arithmetic so a range never loses its citations
    range_prov: Provenance = field(default=Provenance(), compare=False)
    #: ``array * figure`` defers to :meth:`__rmul__` (numpy would otherwise make an object array)
    __array_ufunc__ = None

    def __post_init__(self) -> None:
        if not self.prov.sources and not self.prov.assumptions:
            raise ProvenanceError(f"figure {self.label or self.q} has neither a source nor an assumption")

    # -- views ---------------------------------------------------------------------------
    def __str__(self) -> str:
        """One line: value and unit, the range where there is one, and the basis
        (``288.8 PFLOPS [271.8–299.5] (sourced: cm384-paper, semianalysis-cm384)``)."""
        from chipcalc.core.format import figure_text

        return figure_text(self)

    def __format__(self, spec: str) -> str:
        """``format(fig, ".3g")`` formats the value (in its display unit); an empty spec is ``str``."""
        if not spec:
            return str(self)
        from chipcalc.core.format import figure_value

        value, unit = figure_value(self)
        return f"{value:{spec}}{' ' + unit if unit else ''}"

    def __repr__(self) -> str:
        from chipcalc.core.format import figure_repr

        return figure_repr(self)

    def _repr_html_(self) -> str:
        from chipcalc.core.format import figure_html

        return figure_html(self)

    @property
    def sources(self) -> tuple[str, ...]:
        """Ids of the bibliography entries this figure rests on."""
        return tuple(sorted({s.id for s in self.prov.sources}))

    @property
    def assumptions(self) -> tuple[str, ...]:
        """Names of the assumptions this figure depends on."""
        return tuple(sorted({a.name for a in self.prov.assumptions}))

    @property
    def assumed(self) -> bool:
        return self.prov.assumed

    @property
    def status(self) -> str:
        return self.prov.status

    @property
    def lo(self) -> Any:
        return self.q if self.low is None else self.low

    @property
    def hi(self) -> Any:
        return self.q if self.high is None else self.high

    @property
    def has_range(self) -> bool:
        if self.low is None and self.high is None:
            return False
        import numpy as np

        lo, hi, q = (self._mag(x) for x in (self.lo, self.hi, self.q))
        return bool(np.any(lo != q) or np.any(hi != q))

    def _mag(self, x: Any) -> Any:
        from chipcalc.core.units import m_as

        return m_as(x, self.q.units)

    def to(self, unit: str) -> "Figure":
        from chipcalc.core.units import U

        u = U(unit)
        return replace(
            self,
            q=self.q.to(u),
            low=None if self.low is None else self.low.to(u),
            high=None if self.high is None else self.high.to(u),
        )

    def m(self, unit: str) -> Any:
        """Magnitude of the nominal value in ``unit`` (ratios are reduced)."""
        from chipcalc.core.units import m_as

        return m_as(self.q, unit)

    def bounds(self, unit: str) -> tuple[Any, Any, Any]:
        """(nominal, low, high) magnitudes in ``unit``."""
        from chipcalc.core.units import m_as

        return m_as(self.q, unit), m_as(self.lo, unit), m_as(self.hi, unit)

    def relabel(self, label: str, note: str | None = None) -> "Figure":
        return replace(self, label=label, note=self.note if note is None else note)

    def with_prov(self, extra: Provenance) -> "Figure":
        return replace(self, prov=self.prov | extra)

    # -- arithmetic ----------------------------------------------------------------------
    def _combine(self, other: Any, op: str) -> "Figure":
        import numpy as np

        orange = other.range_prov if isinstance(other, Figure) else Provenance()
        if isinstance(other, Figure):
            oq, oprov = other.q, other.prov
            olo = other.q if other.low is None else other.low
            ohi = olo if other.low is None and other.high is None else (other.q if other.high is None else other.high)
            ranged = self.low is not None or self.high is not None or other.low is not None or other.high is not None
        else:  # an exact number (a count from code, e.g. 2 for "bidirectional")
            if isinstance(other, float) and not math.isfinite(other):
                raise ChipcalcError(f"cannot combine {self.label or 'a figure'} with {other}: not a finite number")
            oq = olo = ohi = other
            oprov = Provenance()
            ranged = self.low is not None or self.high is not None
        a = (self.q, self.lo, self.hi)
        b = (oq, olo, ohi)
        from chipcalc.core.units import arith

        fn = functools.partial(arith, op)
        if op == "/" and _spans_zero(b[0], b[0]):
            raise ChipcalcError("cannot divide by zero (a figure whose value is 0)")
        try:
            q = fn(a[0], b[0])
        except Exception as exc:  # pint's DimensionalityError: two dimensions that do not add up
            if type(exc).__name__ != "DimensionalityError":
                raise
            other_u = f"{b[0].units:~P}" if _is_quantity(b[0]) else "a plain number"
            raise UnitError(f"cannot {_VERBS[op]} {self.label or 'a figure'} ({a[0].units:~P}) and "
                            f"{getattr(other, 'label', '') or 'a value'} ({other_u}): their dimensions differ; "
                            "check the units") from None
        if not ranged:
            return Figure(q, self.prov | oprov)
        if op in ("+",):
            lo, hi = fn(a[1], b[1]), fn(a[2], b[2])
        elif op == "-":
            lo, hi = fn(a[1], b[2]), fn(a[2], b[1])
        else:
            if op == "/" and _spans_zero(b[1], b[2]):
                raise ChipcalcError(f"cannot divide by a range that includes zero ({b[1]} to {b[2]})")
            unit = q.units if _is_quantity(q) else None
            from chipcalc.core.units import like, m_as

            mag = (lambda c: m_as(c, unit)) if unit is not None else (lambda c: c)
            if b[1] is b[2]:  # the other side is exact: two corners
                c1, c2 = mag(fn(a[1], b[1])), mag(fn(a[2], b[1]))
                lo_m, hi_m = np.minimum(c1, c2), np.maximum(c1, c2)
            else:
                c = [mag(fn(x, y)) for x in (a[1], a[2]) for y in (b[1], b[2])]
                lo_m = np.minimum(np.minimum(c[0], c[1]), np.minimum(c[2], c[3]))
                hi_m = np.maximum(np.maximum(c[0], c[1]), np.maximum(c[2], c[3]))
            if unit is not None:
                lo, hi = like(q, lo_m), like(q, hi_m)
            else:
                lo, hi = lo_m, hi_m
        return Figure(q, self.prov | oprov, low=lo, high=hi, range_prov=self.range_prov | orange)

    def __add__(self, other: Any) -> "Figure":
        return self._combine(other, "+")

    def __sub__(self, other: Any) -> "Figure":
        return self._combine(other, "-")

    def __mul__(self, other: Any) -> "Figure":
        return self._combine(other, "*")

    def __truediv__(self, other: Any) -> "Figure":
        return self._combine(other, "/")

    def __rmul__(self, other: Any) -> "Figure":
        return self._combine(other, "*")

    def __rtruediv__(self, other: Any) -> "Figure":
        if _spans_zero(self.q, self.q):
            raise ChipcalcError("cannot divide by zero (a figure whose value is 0)")
        if (self.low is not None or self.high is not None) and _spans_zero(self.lo, self.hi):
            raise ChipcalcError(f"cannot divide by a range that includes zero ({self.lo} to {self.hi})")
        inv = Figure(1 / self.q, self.prov, low=None if self.high is None else 1 / self.hi,
                     high=None if self.low is None else 1 / self.lo, range_prov=self.range_prov)
        return inv * other

    def __radd__(self, other: Any) -> "Figure":
        return self._combine(other, "+")

    def __neg__(self) -> "Figure":
        """-fig: the value negated, the range turned round (its low is minus the high)."""
        return Figure(-self.q, self.prov, low=None if self.high is None else -self.hi,
                      high=None if self.low is None else -self.lo, label=self.label, note=self.note,
                      range_prov=self.range_prov)

    def __abs__(self) -> "Figure":
        """|fig|: the value's size; a range through zero runs from 0 to the larger end's size."""
        import numpy as np

        if self.low is None and self.high is None:
            return replace(self, q=abs(self.q))
        from chipcalc.core.units import like, m_as

        unit = self.q.units
        lo, hi = m_as(self.lo, unit), m_as(self.hi, unit)
        through = (np.asarray(lo) <= 0) & (np.asarray(hi) >= 0)
        low = np.where(through, 0.0, np.minimum(np.abs(lo), np.abs(hi)))
        high = np.maximum(np.abs(lo), np.abs(hi))
        low, high = (float(low), float(high)) if np.ndim(low) == 0 else (low, high)
        return replace(self, q=abs(self.q), low=like(self.q, low), high=like(self.q, high))

    def __rsub__(self, other: Any) -> "Figure":
        return (-self)._combine(other, "+")

    def _no_order(self, other: Any) -> Any:
        raise ChipcalcError(f"figures are not ordered with < or >: {self.label or 'a figure'} may have a range; compare "
                            "their values in one unit (fig.m('TFLOPS') < other.m('TFLOPS')) or judge it as a claim "
                            "(cc.check(expression='a < b')), which also says whether the ranges could flip it")

    __lt__ = __le__ = __gt__ = __ge__ = _no_order

    def __float__(self) -> float:
        raise ChipcalcError(f"a figure has a unit: float() of {self.label or 'it'} would drop it; take its value in a "
                            "unit with fig.m('TFLOPS') (or fig.bounds('TFLOPS') for nominal, low and high)")


_VERBS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}


def _spans_zero(lo: Any, hi: Any) -> bool:
    import numpy as np

    lo_m = np.asarray(lo.magnitude if _is_quantity(lo) else lo)
    if hi is lo:  # one value (the nominal): lo <= 0 <= hi is == 0, one pass (NaN is neither)
        return not lo_m.all() if lo_m.ndim else bool(lo_m == 0)
    hi_m = np.asarray(hi.magnitude if _is_quantity(hi) else hi)
    return bool(np.any((lo_m <= 0) & (hi_m >= 0)))


def total(figures: Iterable[Figure]) -> Figure:
    """Sum of figures (provenance and ranges combined)."""
    it = iter(figures)
    acc = next(it)
    for f in it:
        acc = acc + f
    return acc


# -- elementwise helpers on array-valued figures ------------------------------------------------

def fmax(*figs: Figure) -> Figure:
    """Elementwise maximum of figures of one dimension (provenance and ranges combined)."""
    import numpy as np

    from chipcalc.core.units import Q, m_as

    unit = figs[0].q.units
    pick = lambda attr: functools.reduce(np.maximum, [m_as(getattr(f, attr), unit) for f in figs])  # noqa: E731
    ranged = any(f.low is not None or f.high is not None for f in figs)
    prov = Provenance.union(f.prov for f in figs)
    if not ranged:
        return Figure(Q(pick("q"), unit), prov)
    return Figure(Q(pick("q"), unit), prov, low=Q(pick("lo"), unit), high=Q(pick("hi"), unit),
                  range_prov=Provenance.union(f.range_prov for f in figs))


def apply(f: Figure, fn: Any, unit: str = "") -> Figure:
    """A monotone non-decreasing function applied to nominal, low and high (e.g. floor)."""
    from chipcalc.core.units import Q, m_as

    q = Q(fn(m_as(f.q, unit)), unit)
    if f.low is None and f.high is None:
        return Figure(q, f.prov)
    return Figure(q, f.prov, low=Q(fn(m_as(f.lo, unit)), unit), high=Q(fn(m_as(f.hi, unit)), unit),
                  range_prov=f.range_prov)


def at(f: Figure | None, idx: Any) -> Figure | None:
    """One element (or slice) of an array-valued figure."""
    if f is None:
        return None
    import numpy as np

    from chipcalc.core.units import Q

    def pick(x: Any) -> Any:
        m = np.asarray(x.magnitude)
        return Q(m[idx] if m.ndim else m, x.units)

    return Figure(pick(f.q), f.prov, low=None if f.low is None else pick(f.low),
                  high=None if f.high is None else pick(f.high), label=f.label, note=f.note,
                  range_prov=f.range_prov)
