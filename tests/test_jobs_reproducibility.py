"""Same card and seed, any parallelism: identical events (README "What byte-identical covers").

A chunk's events depend only on the card, the seed and the chunk index (alpsim/runner.py
chunk_rng), so for a given chunk size the single-file run, a serial dataset run and `--jobs 2`
(spawned or forked workers) hold the same events, and the writer is deterministic: the chunk
files are byte-identical. A different chunk size draws other streams (other events, same
distributions): that is not promised and not tested here.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.compute
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from alpsim.card import load_card
from alpsim.dataset import process_executor, run_dataset
from alpsim.runner import run

from .conftest import BASE_CARD

N = 3000  # six chunks


def _card_text(chunk_size: int) -> str:
    return BASE_CARD.replace("seed = 1", f"seed = 1\nchunk_size = {chunk_size}")


def _leaves(array: pa.Array) -> list[pa.Array]:
    """An array as its leaf value arrays and list lengths; floats as their bit patterns (so
    NaN == NaN), dictionaries decoded."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_list(array.type):
        return [pa.compute.list_value_length(array), *_leaves(array.flatten())]
    if pa.types.is_struct(array.type):
        return [leaf for field in array.flatten() for leaf in _leaves(field)]
    if pa.types.is_floating(array.type):
        bits = {2: pa.uint16(), 4: pa.uint32(), 8: pa.uint64()}[array.type.bit_width // 8]
        return [array.is_null(), array.fill_null(0).view(bits)]
    return [array]


def _events(table: pa.Table) -> dict[str, list[pa.Array]]:
    """The decoded events, ordered by event number: leaf arrays per column."""
    table = table.sort_by("event_number").combine_chunks()
    return {name: _leaves(table[name].combine_chunks()) for name in table.column_names}


def _digests(directory) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.glob("part-*")}


@pytest.mark.parametrize(
    "start",
    # spawned workers re-import alpsim (10-30 s on the shared machine); tests/test_dataset.py
    # checks the spawned chunk files against serial ones in the default run
    [pytest.param("spawn", marks=pytest.mark.slow), "fork"],
)
def test_one_process_and_two_jobs_give_identical_events(write_card, tmp_path, start):
    card = load_card(write_card(_card_text(500)))
    single = tmp_path / "one.parquet"
    run(card, n=N, output=single)
    serial = run_dataset(card, tmp_path / "serial", n=N)
    jobs = run_dataset(card, tmp_path / "jobs", n=N, executor=process_executor(2, start))
    assert serial.missing == [] and jobs.missing == []
    digests = _digests(tmp_path / "serial")
    assert len(digests) == 6
    assert _digests(tmp_path / "jobs") == digests  # byte-identical chunk files
    table = pq.read_table(single)
    assert table.num_rows == N
    one = _events(table)
    for name in ("serial", "jobs"):
        parts = _events(pads.dataset(tmp_path / name, format="parquet").to_table())
        assert parts.keys() == one.keys()
        for column, leaves in one.items():  # same decoded events as the single file
            assert all(a.equals(b) for a, b in zip(parts[column], leaves, strict=True)), column
    # the single-file writer is deterministic too: a second run gives the same bytes
    again = tmp_path / "again.parquet"
    run(card, n=N, output=again)
    assert again.read_bytes() == single.read_bytes()
