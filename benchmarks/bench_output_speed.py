"""`alpsim run` to one Parquet file, card by card: events per second and bytes per event.

Run: python benchmarks/bench_output_speed.py [N] [CARD ...]
     (default N = 3e5 events, every run card shipped in cards/)
Each card runs once in this process (a first short run compiles and warms the caches), through
`alpsim.runner.run` with a Parquet output, as `alpsim run CARD -n N -o X.parquet` does: one
process, the Parquet encoding on its writer thread overlapped with the next chunk's
generation and simulation. Printed per card: wall-clock events/s (issue 20's figure: ≥ 3·10⁵ for
the default card, ≥ 1.5·10⁵ for every card), events per CPU second of the process (all its
threads; the figure that does not depend on how busy a shared machine is), bytes per event of
the file (default card: ≤ 250) and the truth record written. The machine's load average is
printed first: with other work on the cores the wall-clock rates fall, the CPU ones much less.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from alpsim.card import load_card
from alpsim.runner import run

CARDS = Path(__file__).resolve().parents[1] / "cards"
DETECTOR_CARDS = {"belle2.toml", "babar.toml", "bes3.toml", "belle.toml"}


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(float(args[0])) if args else 300_000
    paths = [Path(a) for a in args[1:]] or sorted(
        p for p in CARDS.glob("*.toml") if p.name not in DETECTOR_CARDS
    )
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, {n:,} events per card")
    print(f"{'card':44s} {'events/s':>10s} {'per CPU-s':>10s} {'B/event':>8s}  truth")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.parquet"
        for path in paths:
            card = load_card(path)
            run(card, n=2000, output=out, force=True)  # compile and warm up
            t0, c0 = time.perf_counter(), time.process_time()
            run(card, n=n, output=out, force=True)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            size = out.stat().st_size / n
            print(
                f"{path.name:44s} {n / wall:10,.0f} {n / cpu:10,.0f} {size:8.0f}  "
                f"{card.output.truth}"
            )


if __name__ == "__main__":
    main()
