"""Full decay chains of the other B (generator/decay_chains.py): CPU rate, multiplicities.

Usage: python benchmarks/bench_generic_b.py [N]   (default 1e5 B- decays, p* = 0.33 GeV along z)

Prints per-CPU-second rates (time.process_time, table compilation excluded and reported apart),
the mean charged / photon / pi0 multiplicities per B and the number of distinct particle
templates (record blocks) the chains make.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from alpsim.generator.dec_tables import b_meson_tables
from alpsim.generator.decay_chains import decay_chains, mean_multiplicity
from alpsim.pdg import mass as pdg_mass


def main(n: int) -> None:
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, {n:,} B- decays")
    t0 = time.process_time()
    tables = b_meson_tables()
    print(f"table compilation (parse + probe): {time.process_time() - t0:.2f} CPU s")
    rng = np.random.default_rng(1)
    m = pdg_mass(521)
    p4 = np.zeros((n, 4))
    p4[:, 2] = 0.33
    p4[:, 3] = np.hypot(0.33, m)
    sp = np.full(n, tables.species(-521))
    decay_chains(rng, tables, sp[:1000], p4[:1000], np.zeros((1000, 4)))  # numba warm-up
    t0 = time.process_time()
    c = decay_chains(rng, tables, sp, p4, np.zeros((n, 4)))
    dt = time.process_time() - t0
    print(f"chains: {dt:.2f} CPU s, {n / dt:,.0f} B decays per CPU-second")
    print(f"particles per B (all generations): {c.event.size / n:.2f}")
    print(f"kept fraction of the B- table: {tables.kept_fraction[tables.species(-521)]:.3f}")
    print(f"charged (e, mu, pi, K, p) per B: {mean_multiplicity(c, {11, 13, 211, 321, 2212}):.2f}")
    print(f"photons per B: {mean_multiplicity(c, {22}):.2f}")
    print(f"pi0 per B: {np.sum(c.pdg == 111) / n:.2f}")
    print(f"K_L per B: {mean_multiplicity(c, {130}):.2f}")
    counts = np.bincount(c.topology)
    print(f"distinct templates: {counts.size:,} ({np.sum(counts == 1):,} with one event)")


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 100_000)
