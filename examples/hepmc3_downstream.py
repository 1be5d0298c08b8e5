"""Read alpsim's truth HepMC3 file with pyhepmc and hand it to a downstream analysis.

The HepMC3 file is what generator-level tools (Rivet-style analyses, other detector
simulations) read. This script walks the events with pyhepmc, finds the ALP (PDG id
9000005), its decay vertex and its daughters, and fills a pandas DataFrame, the hand-over
point to any Python analysis. It then checks two things that hold whatever the card: the
daughters' invariant mass equals the ALP mass given in the run attributes, and the decay
position over the ALP's βγ is its proper decay length, whose mean is cτ (exponential
sampling; units GeV and mm, vertex time stored as c·t in mm).

Usage: python examples/hepmc3_downstream.py [N_EVENTS]      (default 2000)
Writes sample.hepmc3 with examples/read_outputs.py's run if it is not there yet.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pyhepmc

import alpsim
from alpsim.pdg import ALP_PDG_ID


def alp_table(path: str) -> tuple[pd.DataFrame, dict]:
    """One row per ALP: mass of its daughters, lab momentum, decay point, daughters' ids."""
    rows = []
    with pyhepmc.open(path) as f:
        run_info = None
        for event in f:
            run_info = run_info or event.run_info
            for p in event.particles:
                if p.pid != ALP_PDG_ID or p.end_vertex is None:
                    continue
                daughters = p.end_vertex.particles_out
                total = sum((d.momentum for d in daughters), pyhepmc.FourVector(0, 0, 0, 0))
                start, end = p.production_vertex.position, p.end_vertex.position
                flight = np.linalg.norm([end.x - start.x, end.y - start.y, end.z - start.z])
                rows.append(
                    {
                        "event": event.event_number,
                        "m_daughters": total.m(),
                        "p": p.momentum.p3mod(),
                        "m": p.momentum.m(),
                        "flight_mm": flight,
                        "decay_r_mm": np.hypot(end.x, end.y),
                        "daughters": " ".join(str(d.pid) for d in daughters),
                    }
                )
    attributes = {k: str(v) for k, v in run_info.attributes.items()} if run_info else {}
    return pd.DataFrame(rows), attributes


def main(n_events: int) -> None:
    if not Path("sample.hepmc3").exists():
        card = str(files("alpsim.cards") / "belle2_b2ka_gg.toml")
        alpsim.run(card, n=n_events, hepmc3="sample.hepmc3")
    alps, attributes = alp_table("sample.hepmc3")
    m_a, ctau = float(attributes["m_a"]), float(attributes["ctau"])
    proper = alps.flight_mm * alps.m / alps.p  # ℓ = L / (βγ), βγ = p/m
    print(f"{len(alps)} ALPs read; daughters: {alps.daughters.value_counts().to_dict()}")
    print(f"daughter mass: max |m - m_a| = {np.max(np.abs(alps.m_daughters - m_a)):.2e} GeV")
    print(
        f"proper decay length: mean {proper.mean():.3f} mm "
        f"+- {proper.std() / np.sqrt(len(proper)):.3f} (card cτ = {ctau:g} mm)"
    )
    print(f"decays beyond 1 cm transverse: {np.mean(alps.decay_r_mm > 10.0):.3%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
