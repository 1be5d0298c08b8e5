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


class StageTimer:
    """Thread CPU seconds spent in named functions of some modules, summed over calls.

    `StageTimer({module: [name, ...]})` replaces each module attribute by a wrapper that adds
    its thread CPU time (time.thread_time) to `seconds[name]`; nested stages count in both.
    `restore()` puts the original functions back. For profiling runs only (the wrappers add
    about a microsecond per call)."""

    def __init__(self, stages: dict[object, Sequence[str]]) -> None:
        self.seconds: dict[str, float] = {}
        self._saved: list[tuple[object, str, object]] = []
        for module, names in stages.items():
            for name in names:
                fn = getattr(module, name)
                self._saved.append((module, name, fn))
                setattr(module, name, self._wrap(name, fn))

    def _wrap(self, name: str, fn: Callable[..., object]) -> Callable[..., object]:
        def timed(*args: object, **kwargs: object) -> object:
            t0 = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.thread_time() - t0

        return timed

    def reset(self) -> None:
        self.seconds.clear()

    def restore(self) -> None:
        for module, name, fn in self._saved:
            setattr(module, name, fn)
        self._saved.clear()
