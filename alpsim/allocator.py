"""Keep freed numpy buffers in the process heap from one chunk to the next (glibc only).

Every array above glibc's mmap threshold (128 kB at start) is allocated with mmap and
returned with munmap, so the fresh arrays of each chunk are page-faulted in again: at
1e5-event chunks this costs about a quarter of the detector chain's time
(benchmarks/bench_chain.py, B → K a(μμ)). Raising M_MMAP_THRESHOLD and M_TRIM_THRESHOLD
(mallopt(3)) lets the next chunk reuse the memory of the last; the heap then stays near the
largest chunk's footprint, which the chunk size already bounds. Elsewhere this is a no-op.
"""

from __future__ import annotations

import ctypes
import sys

#: mallopt(3) parameters (glibc <malloc.h>).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Arrays below this come from the heap; the heap is trimmed only above TRIM bytes free.
MMAP_THRESHOLD = 256 * 1024 * 1024
TRIM_THRESHOLD = 512 * 1024 * 1024

_done: bool | None = None


def keep_heap() -> bool:
    """Tune glibc's allocator once per process; True if it applied."""
    global _done
    if _done is None:
        _done = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL("libc.so.6")
                _done = bool(
                    libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                    and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
                )
            except (OSError, AttributeError):  # not glibc (e.g. musl): leave the defaults
                _done = False
    return _done
