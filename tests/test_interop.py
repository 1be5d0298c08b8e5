"""Parquet outputs read back by the tools users feed them to: pyarrow, pandas, polars, awkward."""

import json

import numpy as np
import pyarrow.dataset as pads
import pytest

from alpsim.cli import main

from .conftest import BASE_CARD

DOCUMENTED = {
    "event_number",
    "mode",
    "sqrt_s",
    "alp_proper_length",
    "Mbc",
    "deltaE",
    "a_M",
    "reconstructed",
    "nTracks",
    "nClusters",
    "trg_any",
    "particles",
    "tracks",
    "clusters",
    "vertices",
}


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    d = tmp_path_factory.mktemp("interop")
    card = d / "card.toml"
    card.write_text(BASE_CARD.replace("seed = 1", "seed = 1\nchunk_size = 400"))
    assert main(["run", str(card), "-n", "1000", "-o", str(d / "one.parquet"), "-q"]) == 0
    assert main(["run", str(card), "-n", "1000", "-o", str(d / "ds") + "/", "-q"]) == 0
    return d


def test_documented_columns_present(samples):
    schema = pads.dataset(samples / "one.parquet").schema
    assert DOCUMENTED <= set(schema.names)
    particle_fields = {f.name for f in schema.field("particles").type.value_type}
    assert {"pdg", "status", "mother", "px", "py", "pz", "E", "m", "x", "y", "z"} <= particle_fields


def test_pandas_reads_file_and_dataset(samples):
    import pandas as pd

    one = pd.read_parquet(samples / "one.parquet")
    ds = pd.read_parquet(samples / "ds")
    assert len(one) == len(ds) == 1000
    np.testing.assert_array_equal(np.sort(ds["event_number"].to_numpy()), np.arange(1000))


def test_polars_reads_dataset(samples):
    import polars as pl

    df = pl.read_parquet(str(samples / "ds" / "*.parquet"))
    assert df.height == 1000
    assert df["particles"].list.len().min() == 5  # the signal B+ -> K+ a, a -> gamma gamma
    units = json.loads(pl.read_parquet_metadata(str(samples / "one.parquet"))["alpsim_columns"])
    assert units["Mbc"]["unit"] == "GeV" and units["particles"]["fields"]["z"]["unit"] == "mm"


def test_awkward_reads_jagged_particles(samples):
    import awkward as ak

    arr = ak.from_parquet(samples / "one.parquet")
    assert len(arr) == 1000
    pdg = arr.particles.pdg
    assert ak.all(abs(pdg[:, 0]) == 521) and ak.all(abs(pdg[:, 1]) == 321)
    # energy conservation in the signal decay, to the stored precision: E keeps `bits` mantissa
    # bits (detector/writers/table.py), each of the 4 energies is off by ≤ 2^-(bits+1)·E
    from alpsim.detector.writers.table import PARTICLE

    e_final = ak.sum(arr.particles.E[arr.particles.status == 1], axis=1)
    e_parent = arr.particles.E[:, 0]
    rtol = 4 * 2.0 ** -(PARTICLE["E"].bits + 1)
    np.testing.assert_allclose(ak.to_numpy(e_final), ak.to_numpy(e_parent), rtol=rtol)


def test_pyarrow_dataset_filters_on_statistics(samples):
    ds = pads.dataset(samples / "ds", format="parquet")
    table = ds.to_table(filter=pads.field("Mbc") > 5.27)
    assert 0 < table.num_rows < 1000
