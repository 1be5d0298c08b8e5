"""Memory stays flat whatever the number of events: stream N events to Parquet, sample RSS.

Run: python benchmarks/bench_memory.py [N] [CARD] [--no-write]
     (default N = 1e7, the default B -> K a card; --no-write: generate and simulate only, for
     runs whose output would not fit on the disk, e.g. 1e8 events = 24 GB of Parquet)
Prints the resident memory at each 10 % of the run and the peak; the RSS should settle after
the first chunks and stay there up to 1e8 events and beyond.

     python benchmarks/bench_memory.py N CARD --chunk-sizes 100000,50000,25000 [--repeat R]
runs N events to one Parquet file in a fresh process per chunk size (interleaved, R times) and
prints each one's peak RSS (ru_maxrss) and CPU time per event after the start-up (process CPU,
all threads): the measurement behind the default `run.chunk_size` (alpsim/card.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from alpsim.card import load_card
from alpsim.runner import run

CARD = Path(__file__).resolve().parents[1] / "cards" / "belle2_b2ka_gg.toml"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def chunk_sizes(n: int, card: str, sizes: list[int], repeat: int) -> None:
    """Peak RSS and CPU per event of `alpsim run` at each chunk size (fresh processes)."""
    rows: dict[int, list[tuple[float, float]]] = {s: [] for s in sizes}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            for size in sizes:
                out = Path(tmp) / "x.parquet"
                code = (  # CPU of the run after the start-up (imports, kernel cache)
                    "import resource, time; from alpsim.card import load_card; "
                    "from alpsim.runner import check_selection, run; "
                    f"c = load_card({card!r}, overrides={{'run.chunk_size': {size}}}); "
                    "check_selection(c); t = time.process_time(); "
                    f"run(c, n={n}, output={str(out)!r}, force=True, keep=False); "
                    "print(time.process_time() - t, "
                    "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
                )
                done = subprocess.run(
                    [sys.executable, "-c", code], check=True, capture_output=True, text=True
                )
                cpu, rss_kb = done.stdout.split()[-2:]
                rows[size].append((int(rss_kb) / 1024, float(cpu)))
    print(f"{n:,} events of {card} to Parquet, {repeat} runs per chunk size (interleaved)")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("  chunk_size  peak RSS (MB, each run)        CPU per event (us, each run)")
    for size, runs in rows.items():
        rss = " ".join(f"{r:6.0f}" for r, _ in runs)
        cpu = " ".join(f"{c / n * 1e6:5.2f}" for _, c in runs)
        print(f"  {size:10,d}  {rss:30s}  {cpu}")


def main() -> None:
    if "--chunk-sizes" in sys.argv:
        i = sys.argv.index("--chunk-sizes")
        sizes = [int(float(s)) for s in sys.argv[i + 1].split(",")]
        repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 2
        rest = [a for a in sys.argv[1:i] if not a.startswith("--")]
        n = int(float(rest[0])) if rest else 1_000_000
        chunk_sizes(n, rest[1] if len(rest) > 1 else str(CARD), sizes, repeat)
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(float(args[0])) if args else 10_000_000
    card = load_card(args[1] if len(args) > 1 else CARD)
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.perf_counter(), rss_mb()))
            time.sleep(0.25)

    thread = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    thread.start()
    write = "--no-write" not in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "mem.parquet" if write else None
        result = run(card, n=n, output=out, keep=False)
        size_gb = out.stat().st_size / 1e9 if write else 0.0
    done.set()
    thread.join()
    total = time.perf_counter() - start
    print(
        f"{n:,} events of {card.channel.name} in {total:.0f} s "
        f"({n / total:,.0f} events/s), {size_gb:.1f} GB Parquet, chunk {card.run.chunk_size:,}"
    )
    for q in range(1, 11):
        t_q = start + q / 10 * total
        rss = max((r for t, r in samples if t <= t_q), default=float("nan"))
        print(f"  after {q * 10:3d} % of the run: peak RSS so far {rss:8.0f} MB")
    print(f"  selected {result.n_selected:,}")


if __name__ == "__main__":
    main()
