"""Scaling of dataset runs: one process against `--jobs 2` and `--dask local --jobs 2`.

Run: python benchmarks/bench_jobs.py [N] [CARD]   (default N = 2e6, the default B -> K a card)

Each configuration runs `alpsim run CARD -n N -o DIR/ -q` as a fresh process (start-up
included, as a user sees it) and prints the wall time, the CPU time of the process tree and the
speed-up over one process; the chunk files of all runs are compared byte for byte. Wall-time
speed-ups only mean something on an otherwise idle machine: the CPU times show the overhead
(start-up of the workers, their kernel-cache loading) independently of the load.

Workers are forked (Linux) from the parent once it has checked the card by simulating a few
events, so they start with the compiled kernels loaded; a spawned worker re-imports alpsim,
numba, pyarrow, scipy and particle and loads every kernel from the cache first. Fork is used
only when the parent has no other Python thread (alpsim/dataset.py _fork_is_safe);
`--dask local` spawns its workers unless ALPSIM_FORK_WORKERS=1. The "--jobs 2 (spawned)" row
sets ALPSIM_FORK_WORKERS=0 (spawned workers, for comparison). Figures: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CARD = Path(__file__).resolve().parents[1] / "cards" / "belle2_b2ka_gg.toml"


def _digests(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.glob("part-*.parquet"))
    }


def _run(card: str, n: int, out: Path, extra: list[str]) -> tuple[float, float]:
    env = dict(os.environ)
    if "spawn" in extra:  # spawned workers (alpsim/dataset.py _fork_is_safe)
        extra = [a for a in extra if a != "spawn"]
        env["ALPSIM_FORK_WORKERS"] = "0"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "alpsim", "run", card, "-n", str(n), "-o", f"{out}/", "-q", *extra],
        check=True,
        env=env,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 2_000_000
    card = sys.argv[2] if len(sys.argv) > 2 else str(CARD)
    configs = {
        "1 process": [],
        "--jobs 2": ["--jobs", "2"],
        "--jobs 2 (spawned)": ["--jobs", "2", "spawn"],
    }
    try:
        import dask.distributed  # noqa: F401  (the optional dask extra)

        configs["--dask local --jobs 2"] = ["--dask", "local", "--jobs", "2"]
    except ImportError:
        print("dask.distributed not installed: the --dask row is skipped")
    print(f"alpsim dataset runs, N = {n:,}, {card}, {os.cpu_count()} cores")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name, extra in configs.items():
            out = Path(tmp) / "".join(c for c in name if c.isalnum())
            results[name] = (*_run(card, n, out, extra), _digests(out))
        ref_wall, _, ref_files = results["1 process"]
        for name, (wall, cpu, files) in results.items():
            same = "identical" if files == ref_files else "DIFFERENT"
            print(
                f"  {name:24s} wall {wall:7.2f} s  cpu {cpu:7.2f} s  speed-up "
                f"{ref_wall / wall:5.2f}x  chunk files {same}"
            )
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
