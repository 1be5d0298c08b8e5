"""Speed and memory of the whole chain, stage by stage, for the main channels.

Run: python benchmarks/bench_chain.py [N] [CARD ...]
     (default N = 5e5; cards: B+ -> K+ a (a -> gamma gamma), J/psi -> gamma a, tau -> mu a)
Prints, per card, events per second and the peak memory allocated (tracemalloc) of each stage —
generation (beams, production, decays, vertices), detector response, Parquet table building and
writing — and the whole chain. One process, one thread for numpy (set below).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from alpsim.card import load_card
from alpsim.detector.chain import simulate
from alpsim.detector.writers.parquet import ParquetWriter, chunk_table
from alpsim.runner import DETECTOR_STREAM, chunk_rng, chunks, metadata, simulate_chunk

CARDS = Path(__file__).resolve().parents[1] / "cards"
DEFAULT = ["belle2_b2ka_gg.toml", "bes3_jpsi_gamma_a_untagged.toml", "belle2_tau_mu_a.toml"]


class Stage:
    def __init__(self, name: str) -> None:
        self.name, self.seconds, self.peak = name, 0.0, 0

    def __call__(self, fn, *args):
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        t0 = time.perf_counter()
        out = fn(*args)
        self.seconds += time.perf_counter() - t0
        self.peak = max(self.peak, tracemalloc.get_traced_memory()[1] - base)
        return out


def bench(card_path: Path, n: int) -> None:
    card = load_card(card_path)
    simulate_chunk(card, card.run.seed, 0, 0, 100)  # compile numba kernels outside the timing
    gen, det, table, write = Stage("generation"), Stage("detector"), Stage("table"), Stage("write")
    tracemalloc.start()
    with tempfile.TemporaryDirectory() as tmp:
        writer = ParquetWriter(Path(tmp) / "bench.parquet", metadata(card, n, card.run.seed))
        for index, first, size in chunks(n, card.run.chunk_size):
            record, _ = gen(simulate_chunk_truth, card, index, first, size)
            reco = det(
                simulate, chunk_rng(card.run.seed, index, DETECTOR_STREAM), record, card.detector
            )
            tab = table(chunk_table, record, reco)
            write(lambda t: (writer._write_table(t), writer.flush()), tab)  # timed in full
        writer.close()
        size_mb = (Path(tmp) / "bench.parquet").stat().st_size / 1e6
    tracemalloc.stop()
    total = gen.seconds + det.seconds + table.seconds + write.seconds
    print(
        f"{card.channel.name} at {card.detector.name}: {n:,} events, chunk "
        f"{card.run.chunk_size:,}, {size_mb:.0f} MB Parquet"
    )
    for st in (gen, det, table, write):
        print(f"  {st.name:<22}: {n / st.seconds:>12,.0f} events/s   peak {st.peak / 1e6:7.0f} MB")
    print(f"  {'generation+detector':<22}: {n / (gen.seconds + det.seconds):>12,.0f} events/s")
    print(f"  {'whole chain to Parquet':<22}: {n / total:>12,.0f} events/s")


def simulate_chunk_truth(card, index, first, size):
    """Generation only (the detector stream is run separately to time it)."""
    from alpsim.generator.beams import draw_beams
    from alpsim.record import EventRecord
    from alpsim.runner import GENERATOR_STREAM, apply_lifetimes

    rng = chunk_rng(card.run.seed, index, GENERATOR_STREAM)
    beams = draw_beams(rng, size, card.detector.beams, card.channel.min_sqrt_s)
    record = EventRecord(card.channel.name, card.channel.generate(rng, beams), first)
    apply_lifetimes(rng, record, card.alp.sampling, card.run.ctau_weights)
    return record, None


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 500_000
    names = sys.argv[2:] or DEFAULT
    for name in names:
        bench(CARDS / name if not Path(name).exists() else Path(name), n)


if __name__ == "__main__":
    main()
