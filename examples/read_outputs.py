"""Read one alpsim sample in pandas, polars, awkward and uproot.

Writes a small Belle II B+ -> K+ a, a -> gamma gamma sample as Parquet (`sample.parquet`),
truth HepMC3 (`sample.hepmc3`, read in examples/hepmc3_downstream.py) and a ROOT TTree
(`sample.root`), then reads it back with each tool. Every block below is what the user guide
shows on its "Reading the outputs" page.

Usage: python examples/read_outputs.py [N_EVENTS]      (default 2000)
"""

from __future__ import annotations

import json
import sys
from importlib.resources import files

import awkward as ak
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import uproot

import alpsim
from alpsim.pdg import ALP_PDG_ID  # the ALP's PDG id (not known to `particle`)


def write_sample(n_events: int) -> None:
    """The same run as `alpsim run CARD -n N -o sample.parquet --hepmc3 ... --root ...`."""
    card = str(files("alpsim.cards") / "belle2_b2ka_gg.toml")
    result = alpsim.run(
        card,
        n=n_events,
        output="sample.parquet",
        hepmc3="sample.hepmc3",
        root="sample.root",
        force=True,
    )
    print(result.summary())


def with_pandas() -> None:
    # One row per event; list-of-struct columns (particles, tracks, ...) arrive as arrays of
    # dicts, so select the flat columns you need.
    df = pd.read_parquet("sample.parquet", columns=["Mbc", "deltaE", "a_M", "reconstructed"])
    signal = df[df.reconstructed & df.Mbc.between(5.27, 5.29)]
    print(f"pandas : {len(df)} events, {len(signal)} reconstructed in the Mbc window,")
    print(f"         their median a_M = {signal.a_M.median():.4f} GeV")


def with_polars() -> None:
    df = pl.read_parquet("sample.parquet")
    is_photon = pl.col("particles").list.eval(pl.element().struct.field("pdg") == 22)
    n_photons = df.select(is_photon.list.sum()).to_series()
    print(f"polars : truth photons per event, mean {n_photons.mean():.2f}")
    # a dataset directory (`-o DIR`, `--jobs`) reads the same way: pl.read_parquet("DIR/*.parquet")


def with_awkward() -> None:
    events = ak.from_parquet("sample.parquet")
    particles = events.particles  # jagged: events x particles, fields pdg, status, px, ...
    alp = particles[particles.pdg == ALP_PDG_ID]
    decay_r = np.hypot(alp.x, alp.y)  # production point of the ALP = the B decay vertex (mm)
    photons = particles[(particles.pdg == 22) & (particles.status == 1)]
    print(f"awkward: {ak.sum(ak.num(alp))} ALPs, {ak.sum(ak.num(photons))} final-state photons,")
    print(f"         mean transverse B flight {ak.mean(ak.flatten(decay_r)):.3f} mm")


def with_uproot() -> None:
    with uproot.open("sample.root") as f:
        tree = f["events"]
        arrays = tree.arrays(["a_M", "reconstructed", "particles_pdg"], library="ak")
    print(f"uproot : {tree.num_entries} entries, branches e.g. {sorted(tree.keys())[:4]}")
    print(f"         max particles per event {ak.max(ak.num(arrays.particles_pdg))}")


def metadata() -> None:
    # Every output carries its card texts, seed and normalisation (key "alpsim", JSON).
    meta = json.loads(pq.read_schema("sample.parquet").metadata[b"alpsim"])
    norm = meta["normalisation"]
    print(f"metadata: seed {meta['seed']}, {meta['n_generated']} generated, yield formula:")
    print(f"         {norm['formula']}")


def main(n_events: int) -> None:
    write_sample(n_events)
    with_pandas()
    with_polars()
    with_awkward()
    with_uproot()
    metadata()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
