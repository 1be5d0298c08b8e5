"""Mass scan from Python: Belle II B+ -> K+ a, a -> gamma gamma at five ALP masses.

For each mass the shipped card is re-validated at that mass (`alpsim.card.card_from_data`,
the same check as the command line) and run in memory with `alpsim.run`. The script prints,
per mass, the selection efficiency, the expected number of signal events for the card's
normalisation, and the di-photon mass peak (median and 68 % half-width of `a_M` for selected
events), and writes the table to `mass_scan.csv`.

Usage: python examples/mass_scan.py [N_EVENTS]       (default 2000 events per mass)
"""

from __future__ import annotations

import copy
import csv
import sys
from importlib.resources import files
from pathlib import Path

import numpy as np

import alpsim
from alpsim.card import card_from_data, load_card

MASSES = (0.2, 1.0, 2.0, 3.0, 4.0)  # GeV, below m_B - m_K = 4.79 GeV


def main(n_events: int) -> None:
    card_path = Path(str(files("alpsim.cards") / "belle2_b2ka_gg.toml"))
    base = load_card(card_path)
    rows = []
    for mass in MASSES:
        data = copy.deepcopy(base.data)
        data["alp"]["mass"] = mass
        card = card_from_data(data, base.text, card_path)  # validated, as from the CLI
        result = alpsim.run(card, n=n_events)
        events = result.events.to_pandas()
        m = events.loc[events["reconstructed"], "a_M"].to_numpy()
        median = float(np.median(m))
        half_width = float(np.diff(np.percentile(m, [16, 84]))[0] / 2)
        norm = card.channel.normalisation()
        expected = (
            norm["n_parents"]
            * norm["branching_fraction"]
            * norm["secondary_branching_fraction"]
            * norm["alp_branching_fraction"]
            * result.efficiency
        )
        rows.append((mass, result.efficiency, expected, median, half_width))
        print(
            f"m_a = {mass:4.1f} GeV: efficiency {result.efficiency:.3f}, "
            f"expected {expected:7.1f} events, a_M = {median:.3f} GeV "
            f"(68 % half-width {1e3 * half_width:.1f} MeV)"
        )
    with open("mass_scan.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["mass_GeV", "efficiency", "expected_events", "a_M_median", "a_M_width"])
        out.writerows(rows)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
