"""Detector chain against generation, events per second on one core, card by card.

Run: python benchmarks/bench_detector_speed.py [N] [CARD ...]
     (default N = 1e5, one chunk; default cards: every shipped run card)
For each card, one chunk of N events is generated, then generation alone and the detector
chain alone (chain.simulate on that same chunk) are timed in process CPU time, interleaved,
best of five (bench_timing.best_cpu_times). Prints both rates (events per CPU-second) and
their ratio: issue 7 asks the detector to keep up with the generator (ratio ≥ 1).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import sys
from pathlib import Path

from alpsim.card import load_card
from alpsim.detector.chain import simulate
from alpsim.runner import DETECTOR_STREAM, chunk_rng, simulate_chunk

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_chain import simulate_chunk_truth
from bench_timing import best_cpu_times

CARDS = Path(__file__).resolve().parents[1] / "cards"
REPEAT = 5


def rates(card_path: Path, n: int) -> tuple[float, float]:
    """(generation, detector) events per CPU-second, best of REPEAT interleaved timings."""
    card = load_card(card_path)
    record, _ = simulate_chunk(card, card.run.seed, 0, 0, n)  # also compiles the kernels
    seed = card.run.seed
    best_gen, best_det = best_cpu_times(
        [
            (None, lambda: simulate_chunk_truth(card, 0, 0, n)),
            (None, lambda: simulate(chunk_rng(seed, 0, DETECTOR_STREAM), record, card.detector)),
        ],
        REPEAT,
    )
    return n / best_gen, n / best_det


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 100_000
    names = sys.argv[2:] or sorted(p.name for p in CARDS.glob("*_*.toml"))
    print(
        f"{'card':44s} {'generation':>12s} {'detector':>12s}  det/gen   (events/CPU-s, N = {n:,})"
    )
    for name in names:
        path = Path(name) if Path(name).exists() else CARDS / name
        gen, det = rates(path, n)
        load = f"{os.getloadavg()[0]:.2f}"
        print(f"{path.name:44s} {gen:12,.0f} {det:12,.0f}  {det / gen:7.2f}   load {load}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
