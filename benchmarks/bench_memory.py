"""Memory stays flat whatever the number of events: stream N events to Parquet, sample RSS.

Run: python benchmarks/bench_memory.py [N] [CARD] [--no-write]
     (default N = 1e7, the default B -> K a card; --no-write: generate and simulate only, for
     runs whose output would not fit on the disk, e.g. 1e8 events = 24 GB of Parquet)
Prints the resident memory at each 10 % of the run and the peak; with chunks of 1e5 events the
RSS should settle after the first chunks and stay there up to 1e8 events and beyond.
"""

from __future__ import annotations

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


def main() -> None:
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
