"""Counts given by a user (batch, context, chips, ...): whole numbers, checked with a one-line error."""

from __future__ import annotations

import re
from typing import Any

from chipcalc.core.errors import UsageError


#: The largest count computed exactly in floating point (2^53).
MAX_WHOLE = 2**53


def whole(name: str, value: Any, what: str, minimum: int = 1) -> Any:
    """Check user counts (batch, context, chips, ...): whole numbers >= minimum; returns an int array."""
    import numpy as np

    if type(value) is int and minimum <= value <= MAX_WHOLE:  # the common case, without numpy's reductions
        return np.asarray(value)

    arr = np.asarray(value, dtype=float)
    bad = lambda mask: ", ".join(f"{x:g}" for x in arr.ravel()[mask.ravel()][:3])  # noqa: E731
    if arr.size == 0:
        raise UsageError(f"{name} needs a value")
    if not np.all(np.isfinite(arr)):
        raise UsageError(f"{name} must be a whole number of {what}, got {bad(~np.isfinite(arr))}")
    if np.any(arr != np.round(arr)):
        raise UsageError(f"{name} must be a whole number of {what}, got {bad(arr != np.round(arr))}")
    if np.any(arr < minimum):
        raise UsageError(f"{name} must be at least {minimum}, got {bad(arr < minimum)}")
    if np.any(arr > MAX_WHOLE):  # beyond it int conversion wraps (a batch of 1e30 gave a negative TPOT)
        raise UsageError(f"{name} must be at most 2^53 ({MAX_WHOLE:,}), got {bad(arr > MAX_WHOLE)}")
    return arr.astype(int)


#: One rule for suffixes in counts, everywhere: k, M, G, T are powers of 1,000; Ki, Mi, Gi, Ti powers of
#: 1,024 — the same rule as TB vs TiB (prefixes of the SI and of IEC 80000-13).
SUFFIXES = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
            "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_COUNT = re.compile(r"^\s*(\d+(?:\.\d+)?(?:[eE]\+?\d+)?)\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)?\s*$")
COUNT_HELP = "k, M, G = 1,000, 1,000^2, 1,000^3; Ki, Mi, Gi = 1,024, 1,024^2, 1,024^3"


def parse_count(text: Any, option: str, minimum: int = 1) -> int:
    """A count typed by the user: ``4096``, ``4k`` (4,000), ``4Ki`` (4,096), ``1.5M``, ``1e6``; a whole number
    at least ``minimum`` (one-line UsageError naming the option otherwise)."""
    from decimal import Decimal, InvalidOperation

    if isinstance(text, bool):
        raise UsageError(f"{option}: expected a whole number, got {text!r}")
    if isinstance(text, int):
        value = text
    else:
        m = _COUNT.match(str(text))
        if m is None:
            raise UsageError(f"{option}: expected a whole number like 4096, 4k (4,000) or 4Ki (4,096), got '{text}'")
        try:
            exact = Decimal(m.group(1)) * SUFFIXES[m.group(2) or ""]
        except InvalidOperation:
            raise UsageError(f"{option}: '{text}' is not a number") from None
        if exact != exact.to_integral_value():
            raise UsageError(f"{option}: '{text}' is not a whole number")
        if exact > 2**63:
            raise UsageError(f"{option}: '{text}' is too large")
        value = int(exact)
    if value < minimum:
        raise UsageError(f"{option}: must be at least {minimum}, got '{text}'")
    return value


def parse_counts(text: str, option: str, minimum: int = 1) -> tuple[int, ...]:
    """A comma list of counts: ``1,8,32`` or ``1k,4Ki``."""
    parts = [p.strip() for p in str(text).split(",")]
    if not parts or any(p == "" for p in parts):
        raise UsageError(f"{option} '{text}' has an empty item; write whole numbers separated by commas, like 8,24,96")
    return tuple(parse_count(p, option, minimum) for p in parts)
