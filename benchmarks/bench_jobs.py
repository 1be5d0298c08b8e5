"""Scaling of dataset runs: one process against `--jobs 2` and `--dask local --jobs 2`.

Run: python benchmarks/bench_jobs.py [N] [CARD] [--rounds=R] [--skip=spawned,...]
     (default N = 2e6, the default B -> K a card, one round; configurations whose name
     contains a --skip word are left out; with R rounds the configurations alternate and
     the medians are printed)

Each configuration runs `alpsim run CARD -n N -o DIR/ -q` as a fresh process (start-up
included, as a user sees it) and prints the wall time, the CPU time of the process tree and the
speed-up over one process; the chunk files of all runs are compared byte for byte. Wall-time
speed-ups only mean something on an otherwise idle machine: the CPU times show the overhead
(start-up of the workers, their kernel-cache loading) independently of the load.

Workers are forked (Linux) from the parent once it has checked the card by simulating a few
events, so they start with the compiled kernels loaded; a spawned worker re-imports alpsim,
numba, pyarrow, scipy and particle and loads every kernel from the cache first. Fork is used
only when the parent has no other Python thread (alpsim/dataset.py _fork_is_safe); so are the
workers of `--dask local` (forked before dask's event loop starts, then connected to a
scheduler in the parent). The "(spawned)" rows set ALPSIM_FORK_WORKERS=0 (spawned workers, as
before, for comparison). Figures: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import statistics
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
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rounds = next((int(a.split("=")[1]) for a in sys.argv[1:] if a.startswith("--rounds=")), 1)
    n = int(float(args[0])) if args else 2_000_000
    card = args[1] if len(args) > 1 else str(CARD)
    configs = {
        "1 process": [],
        "--jobs 2": ["--jobs", "2"],
        "--jobs 2 (spawned)": ["--jobs", "2", "spawn"],
    }
    try:
        import dask.distributed  # noqa: F401  (the optional dask extra)

        configs["--dask local --jobs 2"] = ["--dask", "local", "--jobs", "2"]
        configs["--dask local (spawned)"] = ["--dask", "local", "--jobs", "2", "spawn"]
    except ImportError:
        print("dask.distributed not installed: the --dask rows are skipped")
    skip = next((a.split("=")[1].split(",") for a in sys.argv[1:] if a.startswith("--skip=")), [])
    configs = {k: v for k, v in configs.items() if not any(s and s in k for s in skip)}
    print(f"alpsim dataset runs, N = {n:,}, {card}, {os.cpu_count()} cores, {rounds} round(s)")
    with tempfile.TemporaryDirectory() as tmp:
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in configs}
        digests: dict[str, dict[str, str]] = {}
        for r in range(rounds):
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"round {r + 1}: load average before {load}")
            for name, extra in configs.items():
                out = Path(tmp) / f"{''.join(c for c in name if c.isalnum())}{r}"
                wall, cpu = _run(card, n, out, extra)
                results[name].append((wall, cpu))
                digests[name] = _digests(out)
                shutil.rmtree(out)
                ref = results["1 process"][r][0]
                print(
                    f"  {name:24s} wall {wall:7.2f} s  cpu {cpu:7.2f} s  speed-up "
                    f"{ref / wall:5.2f}x  chunk files "
                    f"{'identical' if digests[name] == digests['1 process'] else 'DIFFERENT'}"
                )
        if rounds > 1:
            print("medians (speed-up: median over rounds of the ratio within a round)")
            for name, runs in results.items():
                ratios = [results["1 process"][i][0] / w for i, (w, _) in enumerate(runs)]
                print(
                    f"  {name:24s} wall {statistics.median(w for w, _ in runs):7.2f} s  cpu "
                    f"{statistics.median(c for _, c in runs):7.2f} s  speed-up "
                    f"{statistics.median(ratios):5.2f}x  "
                    f"(range {min(ratios):.2f}-{max(ratios):.2f})"
                )
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
