"""Parquet output: one row per event, streamed chunk by chunk into one file.

The table of a chunk (columns, types, units, the truth record of `[output] truth`) is built by
`table.chunk_table`; the README's "Output columns" lists it. File metadata: key `alpsim` holds
JSON with the card texts, seed, version, number of generated events, the normalisation and the
output options; key `alpsim_columns` the unit and description of every column (for readers,
such as polars, that do not expose Arrow field metadata). Encoding and compression
(`writer_options`) were chosen by measurement, benchmarks/bench_parquet_compression.py.
The file is written under a temporary name and renamed when complete, so an interrupted run
never leaves a half-written file under the final name. Each chunk's table is encoded and
compressed on a writer thread (Arrow releases the GIL) while the next chunk is generated; at
most one table is in flight, so memory stays bounded.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ...commit import commit, temp_path
from ...record import EventRecord
from ..chain import RecoRecord
from .table import COLUMNS_KEY, DEFAULT_DETAIL, DEFAULT_TRUTH, chunk_table, column_docs_json

__all__ = ["METADATA_KEY", "ParquetWriter", "chunk_table", "read_metadata"]

METADATA_KEY = b"alpsim"


class ParquetWriter:
    """Streams chunks into one Parquet file; atomic rename on success, removal on failure.

    Writing runs on one background thread: `write` returns once the chunk's table is built and
    handed over (after the previous chunk's write has finished, whose error it raises).
    """

    def __init__(self, path: str | Path, metadata: dict[str, Any]) -> None:
        self.path = Path(path)
        self.tmp = temp_path(self.path)  # unique per process and writer (alpsim/commit.py)
        self.metadata = {METADATA_KEY: json.dumps(metadata).encode()}
        self.truth = metadata.get("output", {}).get("truth", DEFAULT_TRUTH)
        self.detail = metadata.get("output", {}).get("detail", DEFAULT_DETAIL)
        self._writer: pq.ParquetWriter | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self.n_events = 0

    def write(self, record: EventRecord, reco: RecoRecord | None = None) -> pa.Table:
        table = chunk_table(record, reco, self.truth, self.detail)
        return self._write_table(table)

    def _write_table(self, table: pa.Table) -> pa.Table:
        if self._writer is None:
            docs = {COLUMNS_KEY: column_docs_json(table.schema)}
            schema = table.schema.with_metadata({**self.metadata, **docs})
            self._writer = pq.ParquetWriter(self.tmp, schema, **writer_options(schema))
        else:
            table = table.cast(self._writer.schema)
        self.flush()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="alpsim-parquet")
        self._pending = self._pool.submit(self._writer.write_table, table)
        self.n_events += table.num_rows
        return table

    def flush(self) -> None:
        """Wait for the chunk being written; raises its error, if any."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _stop_thread(self) -> None:
        if self._pending is not None:
            self._pending.exception()  # wait; the error, if any, is not ours to raise here
            self._pending = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def finish(self) -> Path | None:
        """Complete the temporary file without renaming it (the run commits all its outputs
        together, alpsim/commit.py); returns it, or None if nothing was written."""
        try:
            self.flush()
            self._stop_thread()
            if self._writer is None:
                return None
            self._writer.close()
            self._writer = None
        except BaseException:
            self.abort()
            raise
        return self.tmp

    def close(self, force: bool = True) -> None:
        """Complete the file and rename it to its final name."""
        if self.finish() is not None:
            commit([(self.tmp, self.path)], force=force)

    def abort(self) -> None:
        self._stop_thread()
        if self._writer is not None:
            try:
                self._writer.close()
            finally:
                self._writer = None
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> ParquetWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The alpsim metadata of a Parquet file (or dataset file)."""
    meta = pq.read_schema(path).metadata or {}
    if METADATA_KEY not in meta:
        raise ValueError(f"{path} carries no alpsim metadata")
    return json.loads(meta[METADATA_KEY])


#: Truth fields whose values repeat within an event: siblings share their production vertex, and
#: the generated masses repeat from event to event; zstd finds those 4-byte repeats in PLAIN
#: floats (not in byte-stream-split ones): 18.7 → 11.8 bytes per event and vertex field for the
#: default card, 4.2 → 0.3 for the mass (benchmarks/bench_parquet_compression.py).
REPEATING = tuple(f"particles.list.element.{k}" for k in ("x", "y", "z", "t", "m"))
#: zstd level of every other column: level 1 (zstd's "fast" strategy) against 3 ("double fast")
#: cuts the writer's encoding CPU by 7-9 % for +2.4 bytes per event on the default card (+1 %),
#: +6.6 on belle2_b2kstar_a_mumu (+1.4 %): the float columns are near-incompressible mantissas
#: and the integer ones compress either way (bench_parquet_compression.py, RESULTS.md 5 Dec 2026).
LEVEL = 1


def leaf_columns(schema: pa.Schema) -> dict[str, pa.DataType]:
    """Parquet paths of the leaf columns (nested: `tracks.list.element.px`) and their types."""
    out: dict[str, pa.DataType] = {}
    for f in schema:
        if pa.types.is_list(f.type):
            for g in f.type.value_type:
                out[f"{f.name}.list.element.{g.name}"] = g.type
        else:
            out[f.name] = f.type
    return out


def float_columns(schema: pa.Schema) -> list[str]:
    """Parquet paths of the floating-point leaf columns."""
    return [k for k, t in leaf_columns(schema).items() if pa.types.is_floating(t)]


def writer_options(schema: pa.Schema) -> dict[str, Any]:
    """Keyword arguments of `pq.ParquetWriter` for a table of this schema, chosen by
    measurement (benchmarks/bench_parquet_compression.py, default card, 10⁵ events): zstd
    (smaller files than lz4 or snappy) at LEVEL (3 for REPEATING) with the
    byte-stream-split encoding of the floats (their exponent bytes then compress); PLAIN
    floats for the repeating truth fields (REPEATING).
    Statistics (predicate push-down) on the flat columns only, dictionary encoding for the
    decay mode only: the other columns gain nothing from either and cost writer time."""
    flat = [f.name for f in schema if not pa.types.is_list(f.type)]
    leaves = leaf_columns(schema)
    return {
        "compression": "zstd",
        "compression_level": {k: 3 if k in REPEATING else LEVEL for k in leaves},
        "use_dictionary": ["mode"],
        "use_byte_stream_split": [k for k in float_columns(schema) if k not in REPEATING],
        "write_statistics": flat,
    }
