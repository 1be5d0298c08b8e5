"""The timing loop the detector benchmarks share: interleaved runs, best of `repeat`, in
process CPU time (single-threaded, so robust on a shared machine where wall time swings by
tens of per cent; figures are per CPU-second)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

#: (setup, timed): setup() runs untimed before each timed() call and its result is passed on.
Step = tuple[Callable[[], object] | None, Callable[..., object]]


def best_cpu_times(steps: Sequence[Step], repeat: int = 5) -> list[float]:
    """Best process CPU seconds of each step over `repeat` rounds, the steps interleaved in
    every round (so a load change on the machine affects all of them alike)."""
    best = [float("inf")] * len(steps)
    for _ in range(repeat):
        for j, (setup, timed) in enumerate(steps):
            args = () if setup is None else (setup(),)
            t0 = time.process_time()
            timed(*args)
            best[j] = min(best[j], time.process_time() - t0)
    return best
