"""Acceptance versus lifetime from one sample: Belle II displaced B+ -> K+ a, a -> mu+ mu-.

Two ways, both reweighting the ALP proper decay length ℓ instead of generating a sample per
lifetime (w(cτ) = f_cτ(ℓ)/g(ℓ), g the density ℓ was drawn from; generator/lifetime.py):

1. `run.ctau_weights`: the card's sample at cτ0 = 10 mm carries one weight column
   `weight_ctau_<x>mm` per listed lifetime; the efficiency at cτ is Σ w·pass / N. Reliable
   for cτ below 2 cτ0: the weight (cτ0/cτ) exp(−ℓ(1/cτ − 1/cτ0)) grows with ℓ, and its
   variance, cτ0²/(cτ (2cτ0 − cτ)) − 1 (the integral of f²/g), is infinite from cτ = 2 cτ0 on:
   the mean weight printed below drifts from 1 there.
2. `alpsim.scan.scan` (the `alpsim scan` command): ℓ drawn log-uniformly over a range that
   covers every requested lifetime, so one sample serves cτ from 1 µm to 10 m.

Writes `lifetime_acceptance.csv` and `lifetime_acceptance.png` (matplotlib).

Usage: python examples/lifetime_acceptance.py [N_EVENTS]     (default 4000)
"""

from __future__ import annotations

import copy
import sys
from importlib.resources import files
from pathlib import Path

import numpy as np

import alpsim
from alpsim.card import card_from_data, load_card
from alpsim.runner import ctau_weight_name
from alpsim.scan import plot, scan, write_table

CTAU_WEIGHTS = [1.0, 2.0, 5.0, 10.0, 15.0]  # mm, below 2 cτ0 (the card's cτ0 = 10 mm)


def efficiency_from_weights(n_events: int) -> dict[float, tuple[float, float]]:
    """Efficiency and mean weight at each cτ of run.ctau_weights, from one sample at cτ0."""
    path = Path(str(files("alpsim.cards") / "analysis_belle2_b2ka_mumu_displaced.toml"))
    base = load_card(path)
    data = copy.deepcopy(base.data)
    data["run"]["ctau_weights"] = CTAU_WEIGHTS
    card = card_from_data(data, base.text, path)
    events = alpsim.run(card, n=n_events).events
    names = [*card.selection.require, *card.selection.cuts]
    passed = card.selection.mask({c: events[c].to_numpy(zero_copy_only=False) for c in names})
    eff = {}
    for ctau in CTAU_WEIGHTS:
        w = events[f"weight_{ctau_weight_name(ctau)}"].to_numpy()
        eff[ctau] = (float(np.sum(w[passed]) / len(w)), float(np.mean(w)))
    return eff


def main(n_events: int) -> None:
    weighted = efficiency_from_weights(n_events)
    path = Path(str(files("alpsim.cards") / "analysis_belle2_b2ka_mumu_displaced.toml"))
    ctaus = np.geomspace(1e-3, 1e4, 22)  # mm
    points = scan(load_card(path), ctaus, n=n_events)
    write_table(points, Path("lifetime_acceptance.csv"))
    plot(points, Path("lifetime_acceptance.png"), "Belle II B+ -> K+ a, a -> mu mu (displaced)")
    print("  ctau [mm]   mean weight   eff (run.ctau_weights)   eff (scan, log-uniform)")
    scanned = {p.ctau: p for p in points}
    for ctau, (eff, mean_w) in weighted.items():
        nearest = min(scanned, key=lambda c: abs(np.log(c / ctau)))
        p = scanned[nearest]
        print(
            f"  {ctau:9.3g}   {mean_w:11.3f}   {eff:22.3f}   "
            f"{p.efficiency:.3f} +- {p.error:.3f} at {nearest:.3g} mm"
        )
    best = max(points, key=lambda p: p.efficiency)
    print(f"largest efficiency {best.efficiency:.3f} at ctau = {best.ctau:.3g} mm")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4000)
