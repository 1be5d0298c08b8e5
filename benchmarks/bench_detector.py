"""Speed of the detector chain alone against the generator, for B+ → K+ a at Belle II.

Run: python benchmarks/bench_detector.py [N] [final state]   (default 5e5 events, "gamma gamma")
Prints events per second for generation and for the detector response (chunks of 1e5), so
that the rule "the detector keeps up with the generator" can be checked for a final state.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core

import numpy as np

from alpsim.detector.chain import simulate
from alpsim.detector.config import load_detector, shipped_card
from alpsim.generator.beams import draw_beams
from alpsim.generator.channels.b_to_k_a import BToKA
from alpsim.generator.channels.base import AlpSettings
from alpsim.record import EventRecord


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 500_000
    final_state = sys.argv[2] if len(sys.argv) > 2 else "gamma gamma"
    det = load_detector(shipped_card("belle2"))
    channel = BToKA(AlpSettings(1.0, 10.0, {final_state: 1.0}), 1e-6)
    chunk = 100_000
    rng = np.random.default_rng(1)
    # warm-up: numba kernels compile or load from cache
    beams = draw_beams(rng, 1000, det.beams, channel.min_sqrt_s)
    simulate(rng, EventRecord(channel.name, channel.generate(rng, beams)), det)
    t_gen = t_det = 0.0
    for first in range(0, n, chunk):
        size = min(chunk, n - first)
        t0 = time.perf_counter()
        beams = draw_beams(rng, size, det.beams, channel.min_sqrt_s)
        record = EventRecord(channel.name, channel.generate(rng, beams), first)
        t1 = time.perf_counter()
        simulate(rng, record, det)
        t_det += time.perf_counter() - t1
        t_gen += t1 - t0
    print(f"B+ -> K+ a, a -> {final_state} at Belle II, {n:,} events, chunk {chunk:,}")
    print(f"  generation        : {n / t_gen:12,.0f} events/s")
    print(f"  detector response : {n / t_det:12,.0f} events/s")


if __name__ == "__main__":
    main()
