"""CPU cost of the detector chain against generation, for B+ → K+ a at Belle II.

Run: python benchmarks/bench_detector.py [N] [final state] [--stages]
     (default 3e5 events, "gamma gamma"; e.g. "mu+ mu-")

Issue 18 item 10: with every stage on except the beam-background overlay the detector must
keep up with generation; with the nominal overlay ([background.nominal] of cards/belle2.toml)
at least half of that. The machine is shared, so the figures are CPU time of this process
(time.process_time; numba runs single-threaded here), not wall time: per chunk of 1e5
events, generation (beams + channel + event record), the detector without and with the
overlay are timed one after the other on the same record, and the per-event CPU and the
ratios come from the sums over all chunks of this one run. As `alpsim run` does
(runner.simulate_chunk), glibc keeps freed buffers for the next chunk (allocator.keep_heap),
so the figures do not include the page faults of fresh arrays.

--stages adds, for the chunks without background, the thread CPU per event of each stage the
chain calls (bench_timing.StageTimer; nested stages are listed under their caller and also
counted in it) and sorts them by cost, with the owner of each stage's code.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from pathlib import Path

import numpy as np

import alpsim.detector.calorimeter as calorimeter
import alpsim.detector.chain as chain
from alpsim.allocator import keep_heap
from alpsim.detector.chain import simulate
from alpsim.detector.config import load_detector, shipped_card
from alpsim.generator.beams import draw_beams
from alpsim.generator.channels.b_to_k_a import BToKA
from alpsim.generator.channels.base import AlpSettings
from alpsim.record import EventRecord

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_timing import StageTimer

CHUNK = 100_000
#: Stages timed with --stages: the functions chain.py and calorimeter.cluster_block call.
STAGES = {
    chain: [
        "track_response", "cluster_block", "_fit_vertices", "muon_response", "assign_species",
        "candidate_variables", "_kinfit_columns", "match_tracks_to_clusters", "event_sums",
        "trigger_bits", "_track_objects", "_flatten", "_vertex_objects", "slot_major",
        "event_major", "charged_deposit", "_photon_shape_columns",
    ],
    calorimeter: ["smear_deposits", "shower_coordinates", "merge_showers", "shower_shapes",
                  "ray_exit", "cluster_momenta"],
}  # fmt: skip
#: Nested stages (counted in their caller too) and the caller.
NESTED = {
    "_kinfit_columns": "candidate_variables",
    "_flatten": "_track_objects, _vertex_objects, clusters",
    **{name: "cluster_block" for name in STAGES[calorimeter]},
}


def _load() -> str:
    """The machine's 1-minute load average (the runs share 2 cores with other sessions)."""
    return f"{os.getloadavg()[0]:.2f}"


def main() -> None:
    stages = "--stages" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--stages"]
    n = int(float(args[0])) if args else 300_000
    final_state = args[1] if len(args) > 1 else "gamma gamma"
    keep_heap()  # as runner.simulate_chunk: reuse the last chunk's buffers
    det = load_detector(shipped_card("belle2"))
    nominal = next(c for c in det.background_conditions if c.name == "nominal")
    det_bg = replace(det, background=nominal)
    channel = BToKA(AlpSettings(1.0, 10.0, {final_state: 1.0}), 1e-6)
    rng = np.random.default_rng(1)
    # warm-up on one full chunk: numba kernels compile or load from cache, and the heap grows
    # to a chunk's footprint (kept from then on: keep_heap)
    beams = draw_beams(rng, CHUNK, det.beams, channel.min_sqrt_s)
    record = EventRecord(channel.name, channel.generate(rng, beams))
    simulate(rng, record, det)
    simulate(rng, record, det_bg)
    load_before = _load()
    timer = StageTimer(STAGES) if stages else None
    t_gen = t_det = t_bg = 0.0
    per_stage: dict[str, float] = {}
    for first in range(0, n, CHUNK):
        size = min(CHUNK, n - first)
        t0 = time.process_time()
        beams = draw_beams(rng, size, det.beams, channel.min_sqrt_s)
        record = EventRecord(channel.name, channel.generate(rng, beams), first)
        if timer is not None:
            timer.reset()
        t1 = time.process_time()
        simulate(rng, record, det)
        t2 = time.process_time()
        if timer is not None:
            for k, v in timer.seconds.items():
                per_stage[k] = per_stage.get(k, 0.0) + v
        simulate(rng, record, det_bg)
        t3 = time.process_time()
        t_gen, t_det, t_bg = t_gen + t1 - t0, t_det + t2 - t1, t_bg + t3 - t2
    us = 1e6 / n
    print(
        f"B+ -> K+ a (m_a = 1 GeV), a -> {final_state} at Belle II, {n:,} events, chunk {CHUNK:,}"
    )
    print(f"  load average {load_before} before, {_load()} after (2 cores shared)")
    print("  CPU per event (process_time)")
    print(f"    generation                    : {t_gen * us:6.2f} us")
    print(f"    detector, no background       : {t_det * us:6.2f} us")
    print(f"    detector, nominal background  : {t_bg * us:6.2f} us")
    print("  detector / generation rate (>= 1: the detector keeps up)")
    print(f"    no background                 : {t_gen / t_det:6.2f}")
    print(f"    nominal background            : {t_gen / t_bg:6.2f}")
    print(f"  with / without background rate  : {t_det / t_bg:6.2f}   (issue 18 asks >= 0.5)")
    if per_stage:
        print("  thread CPU per event by stage, no background (nested: also in the caller)")
        for name, sec in sorted(per_stage.items(), key=lambda kv: -kv[1]):
            inside = f"   (in {NESTED[name]})" if name in NESTED else ""
            print(f"    {name:28s}: {sec * us:6.3f} us{inside}")


if __name__ == "__main__":
    main()
