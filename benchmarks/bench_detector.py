"""CPU cost of the detector chain against generation, for B+ → K+ a at Belle II.

Run: python benchmarks/bench_detector.py [N] [final state]   (default 3e5 events, "gamma gamma")

Issue 18 item 10: with every stage on except the beam-background overlay the detector must
keep up with generation; with the nominal overlay ([background.nominal] of cards/belle2.toml)
at least half of that. The machine is shared, so the figures are CPU time of this process
(time.process_time; numba runs single-threaded here), not wall time: per chunk of 1e5
events, generation (beams + channel + event record), the detector without and with the
overlay are timed one after the other on the same record, and the per-event CPU and the
ratios come from the sums over all chunks of this one run.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np

from alpsim.detector.chain import simulate
from alpsim.detector.config import load_detector, shipped_card
from alpsim.generator.beams import draw_beams
from alpsim.generator.channels.b_to_k_a import BToKA
from alpsim.generator.channels.base import AlpSettings
from alpsim.record import EventRecord

CHUNK = 100_000


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 300_000
    final_state = sys.argv[2] if len(sys.argv) > 2 else "gamma gamma"
    det = load_detector(shipped_card("belle2"))
    nominal = next(c for c in det.background_conditions if c.name == "nominal")
    det_bg = replace(det, background=nominal)
    channel = BToKA(AlpSettings(1.0, 10.0, {final_state: 1.0}), 1e-6)
    rng = np.random.default_rng(1)
    # warm-up: numba kernels compile or load from cache
    beams = draw_beams(rng, 1000, det.beams, channel.min_sqrt_s)
    record = EventRecord(channel.name, channel.generate(rng, beams))
    simulate(rng, record, det)
    simulate(rng, record, det_bg)
    t_gen = t_det = t_bg = 0.0
    for first in range(0, n, CHUNK):
        size = min(CHUNK, n - first)
        t0 = time.process_time()
        beams = draw_beams(rng, size, det.beams, channel.min_sqrt_s)
        record = EventRecord(channel.name, channel.generate(rng, beams), first)
        t1 = time.process_time()
        simulate(rng, record, det)
        t2 = time.process_time()
        simulate(rng, record, det_bg)
        t3 = time.process_time()
        t_gen, t_det, t_bg = t_gen + t1 - t0, t_det + t2 - t1, t_bg + t3 - t2
    us = 1e6 / n
    print(
        f"B+ -> K+ a (m_a = 1 GeV), a -> {final_state} at Belle II, {n:,} events, chunk {CHUNK:,}"
    )
    print("  CPU per event (process_time)")
    print(f"    generation                    : {t_gen * us:6.2f} us")
    print(f"    detector, no background       : {t_det * us:6.2f} us")
    print(f"    detector, nominal background  : {t_bg * us:6.2f} us")
    print("  detector / generation rate (>= 1: the detector keeps up)")
    print(f"    no background                 : {t_gen / t_det:6.2f}")
    print(f"    nominal background            : {t_gen / t_bg:6.2f}")
    print(f"  with / without background rate  : {t_det / t_bg:6.2f}   (issue 18 asks >= 0.5)")


if __name__ == "__main__":
    main()
