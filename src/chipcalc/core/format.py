"""Numbers as engineers write them: one place decides how every output formats a value and picks a unit.

The rules (text outputs; CSV, JSON and xlsx keep full-precision numbers in the row's own unit):

* Four significant figures; thousands separated up to 999,999; no float artefacts (``0.3``, not
  ``0.30000000000000004``; ``4,096``, not ``4095.9999``).
* A quantity on a prefix ladder (FLOPS, B, B/s, W, s, ...) is shown in the unit its table names (the
  form the field uses: TFLOPS per chip, PFLOPS per system, W per chip, ms for latency), moved one prefix
  up while the row would need five or more digits before the point (``27,425 GFLOP`` is ``27.43 TFLOP``)
  and down while every value is below 1. A figure shown on its own (``str()``, a claim) takes the prefix
  that leaves 1–3 digits before the point. A row compares its values, so it has one unit for all of them.
* Counts (and other quantities without a ladder: tokens, chip-hours, tokens/s) are exact up to 999,999
  and then written with the suffixes engineers use: ``671 B`` parameters, ``14.8 T`` tokens, ``2.788 M``
  chip-hours (M = 1e6, B = 1e9, T = 1e12: powers of 1,000, like every SI prefix).
* Beyond the last prefix, scientific notation in the base unit: training compute is ``3.74e24 FLOP``
  (the form the field uses), never ``3,740 ZFLOP``; a 1e308 figure prints as ``1e308``, not 309 digits.

Pure functions on floats and quantities; nothing here knows about tables or chips.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any, Iterable

from chipcalc.core.units import m_as

SIGNIFICANT = 4
#: A row whose largest value reaches this in its unit moves up one prefix (five digits before the point).
TOO_MANY_DIGITS = 10_000
#: Counts are exact below this, then take a suffix.
COUNT_SUFFIX_FROM = 1e6
#: Suffixes for large counts, largest first (billion as B, as parameters and tokens are written).
COUNT_SUFFIXES = (("T", 1e12), ("B", 1e9), ("M", 1e6))


def _bad(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_sci(x: float) -> str:
    """Scientific notation, four significant figures, no padding: ``3.74e24``, ``1e308``, ``1.5e-5``."""
    if _bad(x):
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    mant, exp = f"{x:.{SIGNIFICANT - 1}e}".split("e")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp)}"


def fmt_number(x: float, exact_to: float = COUNT_SUFFIX_FROM) -> str:
    """One number: four significant figures, thousands separated below ``exact_to`` (a million),
    scientific beyond (and below 0.001)."""
    if _bad(x):
        return "n/a"
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    ax = abs(x)
    if ax == 0:
        return "0"
    if ax >= exact_to or ax < 1e-3:
        return fmt_sci(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    s = f"{x:.{SIGNIFICANT}g}"
    return f"{float(s):,.0f}" if abs(float(s)) >= 1000 else s  # 999.96 rounds to 1,000


def fmt_count(x: float) -> str:
    """A count on its own: exact below a million (``4,096``), then ``1.146 M``, ``671 B``, ``14.8 T``."""
    return display([x], "").text(x)


# -- ladders of prefixed units ----------------------------------------------------------------------

#: Per dimension: the base unit (scientific notation beyond the ladder) and the display units, smallest first.
LADDERS = {
    "flops": ("FLOPS", ("GFLOPS", "TFLOPS", "PFLOPS", "EFLOPS", "ZFLOPS")),
    "ops": ("OPS", ("GOPS", "TOPS", "POPS", "EOPS", "ZOPS")),
    "flop": ("FLOP", ("MFLOP", "GFLOP", "TFLOP", "PFLOP")),
    "information": ("B", ("B", "kB", "MB", "GB", "TB", "PB", "EB")),
    "bandwidth": ("B/s", ("MB/s", "GB/s", "TB/s", "PB/s", "EB/s")),
    "power": ("W", ("W", "kW", "MW", "GW")),
    "energy": ("Wh", ("kWh", "MWh", "GWh", "TWh")),
    "time": ("s", ("ns", "us", "ms", "s")),
}
_BY_UNIT = {u: (name, i) for name, (_, units) in LADDERS.items() for i, u in enumerate(units)}
_BY_BASE = {base: name for name, (base, _) in LADDERS.items()}


@functools.lru_cache(maxsize=512)
def _factor(src: str, dst: str) -> float:
    """How many ``dst`` one ``src`` is (``_factor("TFLOPS", "PFLOPS") == 1e-3``)."""
    from chipcalc.core.units import U, registry

    return float(registry().Quantity(1.0, U(src)).m_as(U(dst)))  # each unit string parsed once per process


@dataclass(frozen=True)
class Display:
    """How one row (or one figure) is shown: the unit its numbers are in, and how each number is written.

    ``unit`` is what the unit column shows and what the figures are converted to; ``suffix`` and
    ``divisor`` write large counts (``671 B``); ``sci`` writes every number in scientific notation."""

    unit: str
    suffix: str = ""
    divisor: float = 1.0
    sci: bool = False
    exact_to: float = COUNT_SUFFIX_FROM  # a row of counts below a billion keeps them exact (200,000 and 1,000,000)
    count: bool = False  # a count: a range end beyond the row's nominals takes a suffix (1.053 M), not 1.053e7

    def text(self, x: float) -> str:
        if _bad(x):
            return "n/a"
        if self.sci:
            return fmt_sci(float(x))
        if x == 0:
            return "0"
        if self.count and not self.suffix and abs(float(x)) >= self.exact_to and math.isfinite(float(x)):
            return fmt_count(float(x))
        if self.suffix:
            return f"{fmt_number(float(x) / self.divisor)} {self.suffix}"
        return fmt_number(float(x), self.exact_to)


def _largest(values: Iterable[Any]) -> float:
    """The largest finite absolute value (arrays flattened); 0 when there is none."""
    big = 0.0
    for v in values:
        if v is None:
            continue
        if isinstance(v, (int, float)):
            xs: Iterable[float] = (float(v),)
        else:
            import numpy as np

            xs = np.asarray(v, dtype=float).ravel().tolist()
        for x in xs:
            x = abs(x)
            if math.isfinite(x) and x > big:
                big = x
    return big


def display(values: Iterable[Any], unit: str) -> Display:
    """The :class:`Display` for values (magnitudes in ``unit``, the unit a table names for the row)."""
    if unit == "x":
        return Display("x")
    big = _largest(values)
    if unit in _BY_UNIT:
        name, i = _BY_UNIT[unit]
        base, units = LADDERS[name]
        if big == 0:
            return Display(unit)
        v = big
        while v >= TOO_MANY_DIGITS and i + 1 < len(units):
            v *= _factor(units[i], units[i + 1])
            i += 1
        while v < 1 and i > 0:
            v *= _factor(units[i], units[i - 1])
            i -= 1
        if v >= TOO_MANY_DIGITS:
            return Display(base, sci=True)
        return Display(units[i])
    if unit in _BY_BASE:  # a base unit (FLOP, FLOPS): the prefix that leaves 1-3 digits, else scientific
        base, units = LADDERS[_BY_BASE[unit]]
        if big == 0:
            return Display(unit)
        best = None
        for u in units:
            if big * _factor(unit, u) >= 1:
                best = u
        if best is None:
            return Display(unit) if big >= 1e-3 else Display(unit, sci=True)
        return display([big * _factor(unit, best)], best)
    if big >= COUNT_SUFFIX_FROM:
        top_name, top = COUNT_SUFFIXES[0]
        if big / top >= TOO_MANY_DIGITS:
            return Display(unit, sci=True)
        small = _smallest(values)
        # the suffix that keeps the row's smallest value at 1 or more (200,000 and 1,000,000 stay exact),
        # unless the largest would then need ten digits or more
        by = small if big / _divisor(small) < 1e9 else big
        for name, div in COUNT_SUFFIXES:
            if by >= div:
                return Display(unit, name, div)
        return Display(unit, exact_to=1e9, count=True)
    return Display(unit, count=unit not in _BY_UNIT and unit not in _BY_BASE)


def _divisor(x: float) -> float:
    return next((div for _, div in COUNT_SUFFIXES if x >= div), 1.0)


def _smallest(values: Iterable[Any]) -> float:
    """The smallest nonzero finite absolute value."""
    import numpy as np

    xs = [abs(x) for v in values if v is not None for x in np.asarray(v, dtype=float).ravel().tolist()]
    xs = [x for x in xs if math.isfinite(x) and x > 0]
    return min(xs) if xs else 0.0


def unit_for(figs: list[Any]) -> str:
    """A display unit for figures of one dimension: the prefix that leaves 1-3 digits before the point
    for the largest ("" for counts, the figure's own unit when no ladder fits, the base unit beyond the
    ladder)."""
    present = [f for f in figs if f is not None]
    if not present:
        return ""
    q = present[0].q
    if _dimensionless(q):
        return ""
    ladder = _ladder(q)
    if ladder is None:
        import re

        return re.sub(r"\btok\b", "token", _units_text(q))  # token/s, not pint's tok/s
    base, units = ladder
    big = _largest(m_as(f.q, base) for f in present)
    best = units[0]
    for u in units:
        if big * _factor(base, u) >= 1:
            best = u
    return display([big * _factor(base, best)], best).unit


@functools.lru_cache(maxsize=None)
def _units_info(units: Any) -> tuple[bool, str, tuple[str, tuple[str, ...]] | None]:
    """Of a pint units object: dimensionless?, its short text, its ladder. Pure functions of the units,
    so each is worked out once per process (pint's ``dimensionless`` converts to root units, its formatting
    and the parsing of the reference units cost tens of microseconds a call, and a table asks once per row:
    `check` asked 203 times)."""
    from chipcalc.core.units import registry

    q = registry().Quantity(1.0, units)
    return not q.dimensionality, f"{q.units:~P}", _ladder_of(q)


def _dimensionless(q: Any) -> bool:
    return _units_info(q._units)[0]


def _units_text(q: Any) -> str:
    return _units_info(q._units)[1]


def _ladder(q: Any) -> tuple[str, tuple[str, ...]] | None:
    return _units_info(q._units)[2]


def _ladder_of(q: Any) -> tuple[str, tuple[str, ...]] | None:
    from chipcalc.core.units import Q, check_dimension

    if check_dimension(q, "compute"):
        text = f"{q.units:~P}"
        return LADDERS["ops"] if "OPS" in text and "FLOPS" not in text else LADDERS["flops"]
    if q.dimensionality == Q(1, "FLOP").dimensionality:
        return LADDERS["flop"]
    if q.dimensionality == Q(1, "Wh").dimensionality:
        return LADDERS["energy"]
    for dim in ("information", "bandwidth", "power", "time"):
        if check_dimension(q, dim):
            return LADDERS[dim]
    return None


# -- a figure in one line (the library face: str(), format(), repr(), Jupyter) ---------------------

def _scalar(x: Any) -> bool:
    import numpy as np

    return np.ndim(x.magnitude) == 0


_BINARY = re.compile(r"\b[KMGTPE]i(?:B|bit)\b")


def figure_value(fig: Any) -> tuple[Any, str]:
    """(magnitude, unit) in the unit a person would read it in (PFLOPS rather than 288,768 TFLOPS); a figure in
    a binary unit (GiB, TiB: converted to it, or written so by its source) is shown in that unit, not turned
    back into its decimal neighbour (fig.to("TiB") printed 49.15 TB)."""
    own = _units_text(fig.q)
    if _BINARY.search(own):
        return m_as(fig.q, own), own
    unit = unit_for([fig])  # "" for a dimensionless figure
    return m_as(fig.q, unit), unit


def _basis(fig: Any, most: int = 4) -> str:
    def names(items: list[str]) -> str:
        shown = ", ".join(items[:most])
        return shown + (f", +{len(items) - most} more" if len(items) > most else "")

    srcs, asms = list(fig.sources), list(fig.assumptions)
    if asms:
        text = f"assumed: {names(asms)}" + (f"; sources: {names(srcs)}" if srcs else "")
    else:
        text = f"sourced: {names(srcs)}"
    rp = getattr(fig, "range_prov", None)
    if rp is not None and fig.has_range:
        extra = sorted({x.id for x in rp.sources} - set(srcs)) + sorted({a.name for a in rp.assumptions} - set(asms))
        if extra:
            text += f"; range: {names(extra)}"
    return text


def _number_text(fig: Any) -> tuple[str, str, str]:
    """(value, unit, range) as text; arrays show their extent."""
    import numpy as np

    value, unit = figure_value(fig)
    shown = display([value], unit)
    if not _scalar(fig.q):
        arr = np.asarray(value, dtype=float)
        text = f"[{shown.text(float(arr.min()))} … {shown.text(float(arr.max()))}] ({arr.size} values)" if arr.size else "[]"
        return text, shown.unit, ""
    if shown.unit != unit:  # beyond the ladder: the base unit
        value = m_as(fig.q, shown.unit)
    rng = ""
    if fig.has_range:
        lo, hi = float(m_as(fig.lo, shown.unit)), float(m_as(fig.hi, shown.unit))
        rng = f"[{shown.text(lo)}–{shown.text(hi)}]"
    return shown.text(float(value)), shown.unit, rng


def figure_text(fig: Any) -> str:
    value, unit, rng = _number_text(fig)
    parts = [value + (f" {unit}" if unit else "")]
    if rng:
        parts.append(rng)
    parts.append(f"({_basis(fig)})")
    return " ".join(parts)


def figure_repr(fig: Any) -> str:
    value, unit, rng = _number_text(fig)
    label = fig.label if len(fig.label) <= 60 else fig.label[:59] + "…"
    text = f"<Figure {label + ': ' if label else ''}{value}{' ' + unit if unit else ''}{' ' + rng if rng else ''} {fig.status}>"
    return text if len(text) < 200 else text[:197] + "…>"


def figure_html(fig: Any) -> str:
    import html

    value, unit, rng = _number_text(fig)
    e = html.escape
    return ("<table><tr><th>figure</th><th>value</th><th>unit</th><th>range</th><th>basis</th></tr>"
            f"<tr><td>{e(fig.label)}</td><td style=\"text-align:right\">{e(value)}</td><td>{e(unit)}</td>"
            f"<td>{e(rng)}</td><td>{e(_basis(fig, most=20))}</td></tr></table>")
