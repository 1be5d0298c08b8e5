"""The generic other B (full decay chains, generator/decay_chains.py): CPU rates and multiplicities.

Usage: python benchmarks/bench_generic_b.py [N]   (default 1e5 events per timed run)

Per-CPU-second rates (time.process_time) measured in one process, best and median of 3 timed
runs after a warm-up (first-touch page faults of a fresh process are not what a long run
sees): the chains alone (B− at p* = 0.33 GeV), the generation of B+ → K+ a (a → γγ) at Belle
II with the other B generic and, in the same run, undecayed (ratio), and the detector on both
records. Table compilation (parse + hadronisation of the quark modes + probe; from the user
cache when compiled before) is reported apart; the peak resident memory of the process at the
end.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from alpsim.card import card_from_data, load_card
from alpsim.detector.chain import simulate
from alpsim.detector.rest_of_event import rest_objects
from alpsim.generator.beams import draw_beams
from alpsim.generator.dec_tables import b_meson_tables
from alpsim.generator.decay_chains import decay_chains, mean_multiplicity
from alpsim.pdg import mass as pdg_mass
from alpsim.record import EventRecord

CARD = Path(__file__).resolve().parents[1] / "cards" / "belle2_b2ka_gg.toml"


def _rates(f, n: int, reps: int = 3) -> tuple[float, float]:
    f()  # warm-up
    rates = []
    for _ in range(reps):
        t0 = time.process_time()
        f()
        rates.append(n / (time.process_time() - t0))
    return max(rates), statistics.median(rates)


def _card(other_b: str):
    card = load_card(CARD)
    data = dict(card.data)
    data["channel"] = {**data["channel"], "other_b": other_b}
    return card_from_data(data, card.text, CARD)


def main(n: int) -> None:
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, N = {n:,}")
    t0 = time.process_time()
    tables = b_meson_tables()
    print(f"table compilation (parse + probe): {time.process_time() - t0:.2f} CPU s")
    rng = np.random.default_rng(1)
    p4 = np.zeros((n, 4))
    p4[:, 2] = 0.33
    p4[:, 3] = np.hypot(0.33, pdg_mass(521))
    sp = np.full(n, tables.species(-521))
    vx = np.zeros((n, 4))
    best, med = _rates(lambda: decay_chains(rng, tables, sp, p4, vx), n)
    print(f"chains alone: {best:,.0f} B decays per CPU-s (median {med:,.0f})")
    c = decay_chains(rng, tables, sp, p4, vx)
    print(f"particles per B (all generations): {c.event.size / n:.2f}")
    print(f"charged (e, mu, pi, K, p) per B: {mean_multiplicity(c, {11, 13, 211, 321, 2212}):.2f}")
    pi0 = np.sum(c.pdg == 111) / n
    print(f"photons per B: {mean_multiplicity(c, {22}):.2f}, pi0 per B: {pi0:.2f}, "
          f"K_L per B: {mean_multiplicity(c, {130}):.2f}")  # fmt: skip
    print(f"kept fraction of the B- table: {tables.kept_fraction[tables.species(-521)]:.3f}, "
          f"of which hadronised quark modes (generator/quark_modes.py): "
          f"{tables.quark_fraction[tables.species(-521)]:.3f}")  # fmt: skip
    gen = {}
    for other in ("generic", "undecayed"):
        card = _card(other)
        ch = card.channel
        beams = draw_beams(np.random.default_rng(2), n, card.detector.beams, ch.min_sqrt_s)
        best, med = _rates(lambda ch=ch, beams=beams: ch.generate(rng, beams), n)
        gen[other] = best
        blocks = ch.generate(rng, beams)
        record = EventRecord(ch.name, blocks)
        det = card.detector
        d_best, d_med = _rates(lambda record=record, det=det: simulate(rng, record, det), n)
        print(f"other B {other}: generation {best:,.0f} events per CPU-s (median {med:,.0f}), "
              f"{len(blocks)} blocks; detector {d_best:,.0f} per CPU-s "
              f"(median {d_med:,.0f})")  # fmt: skip
        if other == "generic":
            beta = np.asarray(det.beams.nominal_cms()[1], dtype=float)

            def roe(blocks=blocks, det=det, beta=beta):
                for b in blocks:
                    rest_objects(rng, b, det, beta)

            r_best, r_med = _rates(roe, n)
            print(f"rest of event alone: {r_best:,.0f} events per CPU-s (median {r_med:,.0f})")
    print(f"generation ratio generic / undecayed: {gen['generic'] / gen['undecayed']:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:.0f} MB")


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 100_000)
