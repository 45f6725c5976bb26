"""Values memoised by the identity of immutable records (a chip, a model, the assumptions in use).

Records are frozen and are not hashed by content (their figures hold pint quantities), so a memo keys on
``id()`` of the objects and keeps the objects themselves beside the value: an id reused by a new object
after the old one is gone is never mistaken for it. A memo holds at most ``limit`` values (the oldest go).
"""

from __future__ import annotations

from typing import Any, Callable


class IdentityMemo:
    def __init__(self, limit: int):
        self.limit = limit
        self._values: dict[tuple, tuple[tuple, Any]] = {}

    def get(self, objects: tuple, extra: Any, build: Callable[[], Any]) -> Any:
        """The value for these ``objects`` (by identity) and ``extra`` (by equality), built once."""
        key = (*map(id, objects), extra)
        hit = self._values.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], objects)):
            return hit[1]
        value = build()
        if len(self._values) >= self.limit:
            self._values.pop(next(iter(self._values)))
        self._values[key] = (objects, value)
        return value
