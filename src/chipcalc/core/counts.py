"""Counts given by a user (batch, context, chips, ...): whole numbers, checked with a one-line error."""

from __future__ import annotations

from typing import Any

from chipcalc.core.errors import UsageError


def whole(name: str, value: Any, what: str, minimum: int = 1) -> Any:
    """Check user counts (batch, context, chips, ...): whole numbers >= minimum; returns an int array."""
    import numpy as np

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
    return arr.astype(int)
