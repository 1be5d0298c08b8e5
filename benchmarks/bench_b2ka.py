"""Speed of the B+ → K+ a, a → γγ chain at Belle II: generation alone, detector, and to Parquet.

Run: python benchmarks/bench_b2ka.py [N]   (default 1e6 events, one chunk of 1e5 at a time)
Prints events per second per stage and for the whole chain, and the peak resident memory.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core

from alpsim.card import load_card
from alpsim.detector.chain import simulate
from alpsim.generator.beams import draw_beams
from alpsim.record import EventRecord
from alpsim.runner import DETECTOR_STREAM, GENERATOR_STREAM, chunk_rng, chunks, run

CARD = Path(__file__).resolve().parents[1] / "cards" / "belle2_b2ka_gg.toml"


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000
    card = load_card(CARD)
    channel = card.channel
    t_gen = t_det = 0.0
    for index, first, size in chunks(n, card.run.chunk_size):
        t0 = time.perf_counter()
        rng = chunk_rng(card.run.seed, index, GENERATOR_STREAM)
        beams = draw_beams(rng, size, card.detector.beams, channel.min_sqrt_s)
        record = EventRecord(channel.name, channel.generate(rng, beams), first)
        t1 = time.perf_counter()
        simulate(chunk_rng(card.run.seed, index, DETECTOR_STREAM), record, card.detector)
        t_det += time.perf_counter() - t1
        t_gen += t1 - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run(card, n=n, output=Path(tmp) / "bench.parquet", keep=False)
        t_all = time.perf_counter() - t0
        size_mb = (Path(tmp) / "bench.parquet").stat().st_size / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"B+ -> K+ a, a -> gamma gamma at Belle II, {n:,} events, chunk {card.run.chunk_size:,}")
    print(f"  generation          : {n / t_gen:12,.0f} events/s")
    print(f"  detector response   : {n / t_det:12,.0f} events/s")
    print(f"  generation+detector : {n / (t_gen + t_det):12,.0f} events/s")
    print(f"  whole chain, Parquet: {n / t_all:12,.0f} events/s  ({size_mb:.0f} MB file)")
    print(f"  peak RSS            : {peak_mb:12,.0f} MB")


if __name__ == "__main__":
    main()
