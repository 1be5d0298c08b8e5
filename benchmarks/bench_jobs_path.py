"""Critical path of a dataset run with two workers, from CPU times (for a shared machine).

Run: python benchmarks/bench_jobs_path.py [N] [serial|jobs|dask ...]   (default 1e6, all three)

On a machine whose cores other work keeps busy, wall-clock speed-ups say little. This script
runs the dataset the way `alpsim run CARD -n N -o DIR/ --jobs 2` (or `--dask local --jobs 2`)
does, in one process, and measures CPU times instead: the parent's serial part (interpreter
start not included: imports, card check with the kernels' loading, executor start), each
worker process's CPU from its fork to its last chunk (all its threads), and the parent's CPU
while the workers run. On two idle cores the run cannot end sooner than the serial part +
max(busier worker, all workers' and the parent's CPU / 2); one process (the serial executor,
measured in the same way) needs the serial part + every chunk. The ratio is the speed-up two
free cores would give at the per-event CPU this machine shows; the interpreter's start and
exit (~0.1 s and ~0.2 s, the same in every mode) are left out.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

import alpsim.dataset as ds
from alpsim.card import load_card
from alpsim.runner import check_selection

CARD = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "cards", "belle2_b2ka_gg.toml"
)


def worker_cpu(task: ds.ChunkTask) -> tuple[ds.ChunkResult, int, float, float]:
    """make_chunk, and the worker process's CPU (all threads) after it, and the chunk's CPU."""
    start = time.process_time()
    result = ds.make_chunk(task)
    return result, os.getpid(), time.process_time(), time.process_time() - start


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000
    kinds = sys.argv[2:] or ["serial", "jobs", "dask"]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, N = {n:,}")
    c0 = time.process_time()
    card = load_card(CARD)
    check_selection(card)
    serial = time.process_time() - c0
    one = None
    for kind in kinds:
        executor = {"serial": ds.serial_executor, "jobs": ds.make_executor(2)}.get(kind)
        executor = executor or ds.make_executor(2, "local")
        per_pid: dict[int, float] = {}
        chunk_cpu = 0.0
        parent0 = time.process_time()

        def run(fn, tasks, executor=executor, per_pid=per_pid):
            nonlocal chunk_cpu
            for result, pid, cpu, chunk in executor(worker_cpu, tasks):
                per_pid[pid] = max(per_pid.get(pid, 0.0), cpu)
                chunk_cpu += chunk
                yield result

        with tempfile.TemporaryDirectory() as tmp:
            ds.run_dataset(card, os.path.join(tmp, "ds"), n=n, executor=run)
            shutil.rmtree(os.path.join(tmp, "ds"))
        parent = time.process_time() - parent0
        if kind == "serial":
            one = serial + parent
            print(f"  serial  check {serial:.2f} s + chunks {parent:.2f} s = {one:.2f} s CPU")
            continue
        workers = list(per_pid.values())
        two = serial + max(max(workers), (sum(workers) + parent) / 2)
        ratio = f"{one / two:.2f}x" if one else "-"
        print(
            f"  {kind:6s}  workers {', '.join(f'{v:.2f}' for v in workers)} s CPU (chunks "
            f"{chunk_cpu:.2f} s), parent {parent:.2f} s during the run: two idle cores "
            f">= {two:.2f} s, {ratio}"
        )


if __name__ == "__main__":
    main()
