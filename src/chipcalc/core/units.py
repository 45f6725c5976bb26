"""The one pint registry of the package, built lazily and cached on disk.

Nothing else in chipcalc creates a registry. pint is imported only when a quantity is
first needed, so commands that do not compute (``--help``, ``list``) stay fast.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from chipcalc.core.errors import UnitError

if TYPE_CHECKING:  # pragma: no cover
    import pint

#: What a human should write for each dimension, used in error messages.
EXAMPLES = {
    "compute": "752 TFLOPS",
    "information": "96 GB",
    "bandwidth": "4.0 TB/s",
    "power": "400 W",
    "time": "1.2 us",
    "energy": "1.5 MWh",
    "count": "384",
    "fraction": "0.5",
    "number": "2.5",
    "throughput": "1943 token/s",
    "tokens": "14.8e12 token",
}

#: The pint dimensionality of each named dimension.
DIMENSIONS = {
    "compute": "[operation] / [time]",
    "information": "[information]",
    "bandwidth": "[information] / [time]",
    "power": "[power]",
    "time": "[time]",
    "energy": "[power] * [time]",
    "count": "",
    "fraction": "",
    "number": "",
    "throughput": "[token] / [time]",
    "tokens": "[token]",
}

_HINTS = {
    "Gb": "write Gbit (gigabit) or GB (gigabyte)",
    "Tb": "write Tbit (terabit) or TB (terabyte)",
    "Mb": "write Mbit (megabit) or MB (megabyte)",
    "b": "write bit or B (byte)",
    "bps": "write bit/s",
    "Gbps": "write Gbit/s",
}


_NUMBER_UNIT = re.compile(r"^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z%µμ/][A-Za-z0-9%µμ/*^ ]*)?$")


@lru_cache(maxsize=1024)
def _unit(text: str) -> Any:
    """A parsed unit, cached: most spec strings are "<number> <unit>" with a few dozen units."""
    return registry().Unit(text)


def U(unit: Any) -> Any:
    """A unit string as a cached pint Unit (conversions by string re-parse it every call)."""
    return _unit(unit) if isinstance(unit, str) else unit


@lru_cache(maxsize=1)
def registry() -> "pint.UnitRegistry":
    """Build (once per process) the registry from ``units.txt``, using pint's disk cache."""
    import pint

    path = resources.files("chipcalc.core").joinpath("units.txt")
    with resources.as_file(path) as real:
        try:
            reg = pint.UnitRegistry(str(real), cache_folder=":auto:")
        except Exception:  # a read-only or broken cache folder must not stop the tool
            reg = pint.UnitRegistry(str(real))
    reg.formatter.default_format = "~P"
    pint.set_application_registry(reg)
    return reg


def Q(value: Any, unit: str | None = None) -> "pint.Quantity":
    """A quantity in the package registry: ``Q(4, "TB/s")`` or ``Q("4 TB/s")``."""
    reg = registry()
    if unit is None:
        return reg.Quantity(value)
    return reg.Quantity(value, unit)


def parse(text: Any) -> "pint.Quantity":
    """Parse a user or spec string such as ``"148 TFLOPS"`` into a quantity.

    Raises :class:`UnitError` with a hint for the common traps (``Gb`` is not gigabit).
    """
    if isinstance(text, bool):
        raise UnitError(f"expected a quantity, got {text!r}")
    if isinstance(text, (int, float)):
        return Q(float(text), "")
    if not isinstance(text, str):
        raise UnitError(f"expected a quantity string like '4.0 TB/s', got {text!r}")
    s = strip_thousands(text.strip(), text).replace("\u00d7", "*")
    if not s:
        raise UnitError("empty quantity")
    _check_text(s, text)
    reg = registry()
    m = _NUMBER_UNIT.match(s)
    if m:  # fast path (~10x): a plain number and a unit
        try:
            num = m.group(1)
            value = int(num) if num.lstrip("+-").isdigit() else float(num)
            q = reg.Quantity(value, _unit(m.group(2).strip()) if m.group(2) else "")
        except Exception:
            q = None  # fall back to pint's full parser for its own error message
        if q is not None:
            return _checked_units(q, text)
    try:
        q = reg.Quantity(s)
    except Exception as exc:  # pint raises many types for bad text
        for word in re.findall(r"[A-Za-z]+", s):
            if word in _HINTS:
                raise UnitError(f"unknown unit '{word}' in '{text}': {_HINTS[word]}") from None
        name = type(exc).__name__
        detail = str(exc).splitlines()[0] if str(exc) else name
        raise UnitError(f"cannot read '{text}' as a quantity ({detail})") from None
    if not hasattr(q, "units"):  # a plain number came back
        q = reg.Quantity(float(q), "")
    return _checked_units(q, text)


_GROUPED = re.compile(r"\s*[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:[eE][-+]?\d+)?")


def strip_thousands(s: str, text: str) -> str:
    """``s`` without its thousands separators; a comma anywhere else is refused ('3,2 TB/s' is not 32 TB/s)."""
    if "," not in s:
        return s
    m = _GROUPED.match(s)
    if m is None or "," in s[m.end():]:
        raise UnitError(f"cannot read '{text}' as a quantity: a comma only separates thousands (1,234); "
                        "write a decimal point, like '3.2 TB/s'")
    return s.replace(",", "")


#: Prefixes below one: nothing a spec or an option counts in bytes, bits, FLOP, operations or tokens has them.
_SUB_PREFIXES = ("quecto", "ronto", "yocto", "zepto", "atto", "femto", "pico", "nano", "micro", "milli", "centi")
_WHOLE_UNITS = ("byte", "bit", "FLOP", "FLOPS", "OP", "OPS", "token")


def _checked_units(q: Any, text: str) -> Any:
    """``q``, unless its text is one of the slips pint reads as something else: a sub-unit prefix on bytes,
    bits, FLOP(S), OP(S) or tokens ('128 mB' is millibytes: MB was meant) or a percent sign joined to another
    unit ('3.2 %TB/s')."""
    for name in q._units:
        for prefix in _SUB_PREFIXES:
            if name.startswith(prefix) and name[len(prefix):] in _WHOLE_UNITS:
                raise UnitError(f"cannot read '{text}': it says {name}s (a {prefix} prefix); for mega- write M "
                                "(MB, MB/s), for milliseconds ms")
    if "%" in text and (len(q._units) != 1 or "percent" not in q._units):
        raise UnitError(f"cannot read '{text}': a percent sign stands alone ('50 %'), not joined to a unit")
    return q


_LEAD = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_UNIT_TOKEN = re.compile(r"\s+|[A-Za-z%µμ°_][A-Za-z0-9_]*|(?:\^|\*\*)\s*[-+]?\d+|[*/()]")


def _check_text(s: str, text: str) -> None:
    """A number and a unit, nothing else: pint's own parser drops characters it does not know
    ('>50ms' read as 50 ms) and multiplies what follows a unit ('5 W, 3' read as 15 W)."""
    m = _LEAD.match(s)
    pos = m.end() if m else 0
    while pos < len(s):
        t = _UNIT_TOKEN.match(s, pos)
        if t is None:
            ch = s[pos]
            if ch.isdigit() or ch == ".":
                raise UnitError(f"cannot read '{text}' as a quantity: write one number and one unit, like '4.0 TB/s'")
            raise UnitError(f"cannot read '{text}' as a quantity: unexpected '{ch}'; write a number and a unit like '4.0 TB/s'")
        pos = t.end()


@lru_cache(maxsize=None)
def dimension_of(name: str) -> "pint.util.UnitsContainer":
    return registry().get_dimensionality(DIMENSIONS[name]) if DIMENSIONS[name] else registry().get_dimensionality("")


#: The largest magnitude, in SI base units, a spec figure or a user's value may have. No real figure comes
#: near it (a ZettaFLOPS system is 1e21 FLOPS, a year's tokens 1e15); it keeps every product and ratio of
#: figures finite, so '1e300 TB/s' is refused instead of turning into inf further on.
SI_LIMIT = 1e60


def within_si_limit(q: "pint.Quantity") -> bool:
    """True when ``q``'s magnitude in SI base units is finite and at most :data:`SI_LIMIT`."""
    import math

    si = float(q.to_base_units().magnitude)
    return math.isfinite(si) and abs(si) <= SI_LIMIT


def check_dimension(q: "pint.Quantity", dim: str) -> bool:
    """True when ``q`` has the named dimension (see :data:`DIMENSIONS`)."""
    return q.dimensionality == dimension_of(dim)


#: (units of a quantity, target unit) -> pint's conversion factor, or None when no conversion is needed.
_FACTORS: dict = {}


def m_as(q: Any, unit: Any) -> Any:
    """``q.m_as(unit)``, the same number, without pint's per-call work (~30 us here): pint converts a
    quantity by multiplying its magnitude by a conversion factor; that factor is taken from pint once per
    pair of units (``Quantity(1.0, units).m_as(unit)``) and the magnitude multiplied by it, as pint does.
    Exact because every unit of ``units.txt`` is multiplicative (no offset units such as degC)."""
    try:
        src = q._units
    except AttributeError:  # not a pint quantity
        return q.m_as(unit)
    key = (src, unit)
    try:
        factor = _FACTORS[key]
    except KeyError:
        dst = U(unit)
        factor = None if src == dst._units else registry().Quantity(1.0, src).m_as(dst)  # DimensionalityError as pint's
        _FACTORS[key] = factor
    return q._magnitude if factor is None else q._magnitude * factor


def _convert(y: Any, units: Any) -> Any:
    """``y.to(units).magnitude`` for a container ``units``, by the same cached factor as :func:`m_as`."""
    src = y._units
    key = (src, units)
    try:
        factor = _FACTORS[key]
    except KeyError:
        factor = registry().Quantity(1.0, src).m_as(units)  # DimensionalityError as pint's
        _FACTORS[key] = factor
    return y._magnitude * factor


def _new(quantity_type: Any, magnitude: Any, units: Any) -> Any:
    q = object.__new__(quantity_type)
    q._magnitude = magnitude
    q._units = units
    return q


def like(q: Any, magnitude: Any) -> Any:
    """A quantity of ``q``'s units holding ``magnitude`` (``magnitude * q.units`` without numpy's ufunc
    dispatch through pint's Unit)."""
    return _new(type(q), magnitude, q._units)


def arith(op: str, x: Any, y: Any) -> Any:
    """``x op y`` (op one of ``+ - * /``), the result pint gives, without its per-call work (~10 us of
    checks for offset, logarithmic and upcast types, none of which ``units.txt`` defines; a figure's
    arithmetic is mostly these calls). Two quantities, or a quantity and a plain number for ``*`` and
    ``/``, take pint's own steps directly: magnitudes combined as pint combines them (an int divided as a
    float, as pint's ``_truedivide_cast_int``), units containers multiplied or divided, a sum in the left
    operand's units with the right one converted by pint's factor. Anything else goes to pint itself.
    ``tests/test_units.py`` checks the results equal pint's."""
    qtype = type(x)
    if getattr(qtype, "_REGISTRY", None) is not registry():
        return _SLOW[op](x, y)
    xm = x._magnitude
    if type(y) is qtype:
        ym = y._magnitude
        if op == "*":
            return _new(qtype, xm * ym, x._units * y._units)
        if op == "/":
            if isinstance(xm, int) or isinstance(ym, int):
                xm, ym = (float(xm) if isinstance(xm, int) else xm), (float(ym) if isinstance(ym, int) else ym)
            return _new(qtype, xm / ym, x._units / y._units)
        units = x._units
        if y._units != units:
            try:
                ym = _convert(y, units)
            except Exception:  # another dimension: pint's own error
                return _SLOW[op](x, y)
        return _new(qtype, xm + ym if op == "+" else xm - ym, units)
    if op in ("*", "/") and type(y) in (int, float):
        if op == "*":
            return _new(qtype, xm * y, x._units)
        if isinstance(xm, int):
            xm, y = float(xm), float(y)
        return _new(qtype, xm / y, x._units)
    return _SLOW[op](x, y)


_SLOW = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
}
