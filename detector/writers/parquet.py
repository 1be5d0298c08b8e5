"""Parquet output: one row per event, truth particles as a list-of-struct column.

Columns (units GeV, mm, ns):
- `event_number`, `mode` (decay mode, dictionary-encoded), `sqrt_s` (true, event by event);
- `weight_<name>` for named weights (lifetime reweighting);
- truth per-event columns (e.g. `alp_proper_length`), reco per-event columns (`Mbc`, `deltaE`,
  `a_M`, `reconstructed`, ...);
- `particles`: list<struct<pdg, status, mother, px, py, pz, E, x, y, z, t, reco_px, reco_py,
  reco_pz, reco_E, detected>>: truth with the truth-matched detector response (NaN if unseen);
- `tracks`, `clusters`, `vertices`: list<struct> of reconstructed objects (fields in
  `detector.chain.RecoBlock`), each with `particle`, the template index of its truth particle.
File metadata key `alpsim` holds JSON with the card texts, seed, version, number of generated
events and the normalisation. The file is written under a temporary name and renamed when
complete, so an interrupted run never leaves a half-written file under the final name.
Each chunk's table is encoded and compressed on a writer thread (Arrow releases the GIL) while
the next chunk is generated; at most one table is in flight, so memory stays bounded.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ...commit import commit, temp_path
from ...record import EventRecord
from ..chain import RecoRecord

METADATA_KEY = b"alpsim"


def particles_column(record: EventRecord, reco: RecoRecord | None) -> pa.Array:
    """The list<struct> column of truth particles (with reco response) for one chunk."""
    flat = record.flat()
    fields = {
        "pdg": flat["pdg"].astype(np.int32),
        "status": flat["status"].astype(np.int8),
        "mother": flat["mother"].astype(np.int32),
    }
    for k in ("px", "py", "pz", "E", "x", "y", "z", "t"):
        fields[k] = flat[k]
    if reco is not None:
        p4 = np.concatenate([r.p4.reshape(-1, 4).T for r in reco.blocks], axis=1)
        for i, k in enumerate(("reco_px", "reco_py", "reco_pz", "reco_E")):
            fields[k] = p4[i]
        fields["detected"] = np.concatenate([r.detected.reshape(-1) for r in reco.blocks])
    struct = pa.StructArray.from_arrays([pa.array(v) for v in fields.values()], list(fields))
    return pa.ListArray.from_arrays(pa.array(flat["offsets"].astype(np.int32)), struct)


def objects_columns(reco: RecoRecord, n_events: int) -> dict[str, pa.Array]:
    """One list<struct> column per reconstructed-object kind (tracks, clusters, vertices)."""
    cols: dict[str, pa.Array] = {}
    for kind, arrays in reco.objects().items():
        event = arrays["event"]
        counts = np.bincount(event, minlength=n_events)
        offsets = np.zeros(n_events + 1, dtype=np.int32)
        np.cumsum(counts, out=offsets[1:])
        order = np.argsort(event, kind="stable")
        fields = {k: v[order] for k, v in arrays.items() if k != "event"}
        struct = pa.StructArray.from_arrays([pa.array(v) for v in fields.values()], list(fields))
        cols[kind] = pa.ListArray.from_arrays(pa.array(offsets), struct)
    return cols


def chunk_table(record: EventRecord, reco: RecoRecord | None) -> pa.Table:
    """One chunk as an Arrow table, one row per event."""
    modes = record.mode_names
    cols: dict[str, pa.Array] = {
        "event_number": pa.array(record.event_number),
        "mode": pa.DictionaryArray.from_arrays(
            pa.array(record.mode_index().astype(np.int32)), pa.array(modes)
        ),
        "sqrt_s": pa.array(record.event_column("sqrt_s")),
    }
    for name, w in record.weights().items():
        cols[f"weight_{name}"] = pa.array(w)
    for k, v in record.event_columns().items():  # NaN where a block lacks the column
        if k != "sqrt_s":
            cols[k] = pa.array(v)
    if reco is not None:
        for k, v in reco.columns().items():
            cols[k] = pa.array(v)
    cols["particles"] = particles_column(record, reco)
    if reco is not None:
        cols.update(objects_columns(reco, record.n_events))
    return pa.table(cols)


class ParquetWriter:
    """Streams chunks into one Parquet file; atomic rename on success, removal on failure.

    Writing runs on one background thread: `write` returns once the chunk's table is built and
    handed over (after the previous chunk's write has finished, whose error it raises).
    """

    def __init__(self, path: str | Path, metadata: dict[str, Any]) -> None:
        self.path = Path(path)
        self.tmp = temp_path(self.path)  # unique per process and writer (alpsim/commit.py)
        self.metadata = {METADATA_KEY: json.dumps(metadata).encode()}
        self._writer: pq.ParquetWriter | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self.n_events = 0

    def write(self, record: EventRecord, reco: RecoRecord | None = None) -> pa.Table:
        table = chunk_table(record, reco)
        return self._write_table(table)

    def _write_table(self, table: pa.Table) -> pa.Table:
        if self._writer is None:
            schema = table.schema.with_metadata(self.metadata)
            # statistics (for predicate push-down) on the flat columns only, dictionary
            # encoding for the decay mode only: doubles gain nothing from either and the
            # writer is twice as fast without them
            flat = [f.name for f in schema if not pa.types.is_list(f.type)]
            self._writer = pq.ParquetWriter(
                self.tmp,
                schema,
                compression="zstd",
                use_dictionary=["mode"],
                write_statistics=flat,
            )
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
