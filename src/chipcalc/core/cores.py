"""Independent numpy-heavy calls on every core at once: threads, since numpy's loops and random fills
release the GIL. The answers are the same, in the same order, as calling one after another."""

from __future__ import annotations

from typing import Any, Callable, Iterable

#: Most threads used.
MAX_THREADS = 8


def on_cores(fn: Callable[[Any], Any], items: Iterable[Any], work: int, min_work: int) -> list[Any]:
    """``[fn(x) for x in items]``, spread over the cores when ``work`` (elements to process in all) is at
    least ``min_work``: below that, starting threads costs more than it saves."""
    import os

    items = list(items)
    threads = min(len(items), os.cpu_count() or 1, MAX_THREADS)
    if threads < 2 or work < min_work:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))
