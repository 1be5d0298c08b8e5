"""Cost of the material stage (detector/material.py) in the detector simulation, card by card.

Run: python benchmarks/bench_material.py [N] [CARD ...]
     (default N = 1e5, one chunk; default cards: Belle II B+ -> K+ a, a -> gamma gamma and mu mu)
For each card one chunk of N truth events is generated once; then, interleaved and best of
REPEAT, the detector chain alone (material off) and the material stage plus the chain (on a
fresh, untimed copy of the truth record) are timed in process CPU time
(bench_timing.best_cpu_times). Prints both rates and the relative slow-down; the task asks for
at most ~10 %.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import copy
import sys
from pathlib import Path

from alpsim.card import load_card
from alpsim.detector.chain import simulate
from alpsim.detector.material import apply_material
from alpsim.runner import DETECTOR_STREAM, MATERIAL_STREAM, chunk_rng

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_chain import simulate_chunk_truth
from bench_timing import best_cpu_times

CARDS = Path(__file__).resolve().parents[1] / "cards"
REPEAT = 5
DEFAULT = ("belle2_b2ka_gg.toml", "belle2_b2ka_mumu.toml")


def rates(card_path: Path, n: int) -> tuple[float, float]:
    """(chain without material, material + chain) events per second."""
    card = load_card(card_path)
    seed = card.run.seed
    truth, _ = simulate_chunk_truth(card, 0, 0, n)
    det = card.detector
    rec = copy.deepcopy(truth)
    apply_material(chunk_rng(seed, 0, MATERIAL_STREAM), rec, det)  # compiles the kernels
    simulate(chunk_rng(seed, 0, DETECTOR_STREAM), rec, det)

    def material_and_chain(rec) -> None:
        apply_material(chunk_rng(seed, 0, MATERIAL_STREAM), rec, det)
        simulate(chunk_rng(seed, 0, DETECTOR_STREAM), rec, det)

    best_off, best_on = best_cpu_times(
        [
            (None, lambda: simulate(chunk_rng(seed, 0, DETECTOR_STREAM), truth, det)),
            (lambda: copy.deepcopy(truth), material_and_chain),
        ],
        REPEAT,
    )
    return n / best_off, n / best_on


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 100_000
    names = sys.argv[2:] or DEFAULT
    print(
        f"{'card':36s} {'no material':>12s} {'material':>12s}  slow-down  (events/CPU-s, N={n:,})"
    )
    for name in names:
        path = Path(name) if Path(name).exists() else CARDS / name
        off, on = rates(path, n)
        print(f"{path.name:36s} {off:12,.0f} {on:12,.0f}  {off / on - 1:+8.1%}", flush=True)


if __name__ == "__main__":
    main()
