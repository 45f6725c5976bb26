"""Keep large temporaries on the heap: one call before numpy-heavy work that allocates and frees many
arrays of up to a few MiB (sweep blocks, Monte Carlo samples)."""

from __future__ import annotations

#: Bytes of the one buffer allocated and freed (:func:`prime_heap`): above the sweep's block temporaries
#: (256 KiB) and a Monte Carlo array of 10^6 samples (7.6 MiB).
PRIME_BYTES = 8 << 20


def prime_heap() -> None:
    """Raise glibc malloc's mmap and trim thresholds before the work starts. glibc gives memory back to
    the OS whenever more than its trim threshold (128 KiB at start) lies free at the top of the heap, and
    maps each allocation above its mmap threshold (also 128 KiB at start) on its own, so temporaries came
    back as fresh pages, a page fault per 4 KiB: that made a sweep block 2.8-3.7x slower than the same
    arithmetic on warm memory, and the metrics of a 10^6-sample Monte Carlo 0.35 s instead of 0.19 s in
    about one fresh process in three (benchmarks/README.md). Freeing one buffer that malloc had to map on
    its own is glibc's own signal to raise both thresholds (mmap threshold to its size, trim threshold to
    twice that), the adjustment any process freeing a large array gets; elsewhere this is one short-lived
    allocation. Idempotent and cheap (one untouched mapping)."""
    import numpy as np

    buf = np.empty(PRIME_BYTES // 8)
    del buf
