"""Parquet compression chosen by measurement: size and encode time of one chunk per setting.

Run: python benchmarks/bench_parquet_compression.py [N] [CARD] [--columns] [--full]
     (default N = 4e4 events, one chunk of the default `run.chunk_size`; the default card
     cards/belle2_b2ka_gg.toml; truth and detail = the card's; --full: `[output] detail =
     "full"`, the expert fields added)
Builds the chunk's table once (detector/writers/table.py), then writes it with each codec,
level and float encoding (PLAIN or BYTE_STREAM_SPLIT) the writer could use, and with the
writer's own choice and its variants (WRITER), and prints bytes per event and the CPU time to
encode and compress per event (median of REPEATS writes, interleaved; CPU time of the writing
thread, so that other work on a shared machine does not enter; the writer runs this on its own
thread, overlapped with the next chunk's generation). --columns adds the compressed bytes per
event of every column for the writer's choice.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from alpsim.card import load_card
from alpsim.detector.writers.parquet import float_columns, writer_options
from alpsim.detector.writers.table import chunk_table
from alpsim.runner import simulate_chunk

REPEATS = 7
CARD = Path(__file__).resolve().parents[1] / "cards" / "belle2_b2ka_gg.toml"
SETTINGS = [
    ("none", None, False),
    ("snappy", None, False),
    ("lz4", None, False),
    ("lz4", None, True),
    ("zstd", 1, False),
    ("zstd", 1, True),
    ("zstd", 3, True),
    ("zstd", 6, True),
    ("zstd", 9, True),
]
#: The writer's own choice (detector/writers/parquet.writer_options) as it is ("alpsim"), with
#: zstd level 3 for every column ("level3"), with every field declared nullable ("nullable"),
#: and both ("level3+null": the writer before 5 Dec 2026, benchmarks/RESULTS.md).
WRITER = ["alpsim", "level3", "nullable", "level3+null"]


def nullable(table: pa.Table) -> pa.Table:
    """The same table with every field, list and list item declared nullable (Arrow's
    default): Parquet then writes definition levels for every column."""
    fields = []
    for f in table.schema:
        typ = f.type
        if pa.types.is_list(typ):
            item = pa.struct([g.with_nullable(True) for g in typ.value_type])
            typ = pa.list_(pa.field("item", item, nullable=True))
        fields.append(pa.field(f.name, typ, nullable=True, metadata=f.metadata))
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def options(table: pa.Table, codec: str, level: int | None, split: bool | None) -> dict:
    """Writer keyword arguments of one setting: the writer's own, with the codec, level and
    float encoding replaced (SETTINGS) or changed as WRITER says."""
    opts = writer_options(table.schema)
    if codec in WRITER:
        if codec.startswith("level3"):
            opts["compression_level"] = dict.fromkeys(opts["compression_level"], 3)
    else:
        opts.update(compression=codec, compression_level=level)
        opts.update(use_byte_stream_split=float_columns(table.schema) if split else False)
    return opts


def write(table: pa.Table, path: Path, opts: dict) -> tuple[float, int]:
    """CPU seconds of this thread (the writer encodes on the calling thread) for one write,
    and the file size."""
    t0 = time.thread_time()
    pq.write_table(table, path, **opts)
    return time.thread_time() - t0, path.stat().st_size


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(float(args[0])) if args else 40_000
    card = load_card(args[1] if len(args) > 1 else CARD)
    record, reco = simulate_chunk(card, card.run.seed, 0, 0, n)
    truth = card.output.truth
    detail = "full" if "--full" in sys.argv else card.output.detail
    table = chunk_table(record, reco, truth, detail)
    print(
        f"{card.path}: {n:,} events, truth = {truth!r}, detail = {detail!r}, "
        f"{len(table.schema)} columns"
    )
    runs = list(SETTINGS) + [(c, None, None) for c in WRITER]
    nulls = nullable(table)
    tables = [nulls if "null" in c else table for c, _, _ in runs]
    opts = [options(t, *r) for t, r in zip(tables, runs, strict=True)]
    times: list[list[float]] = [[] for _ in runs]
    sizes = [0] * len(runs)
    print(f"{'codec':11s} {'level':>5s} {'floats':>17s} {'B/event':>8s} {'us/event':>9s}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.parquet"
        for _ in range(REPEATS):  # interleaved: a busy moment of the machine hits all alike
            for i, (t, o) in enumerate(zip(tables, opts, strict=True)):
                dt, sizes[i] = write(t, path, o)
                times[i].append(dt)
        for (codec, level, split), dt, size in zip(runs, times, sizes, strict=True):
            enc = "BYTE_STREAM_SPLIT" if split else "PLAIN" if split is not None else "mixed"
            us = statistics.median(dt) / n * 1e6
            print(f"{codec:11s} {level or '-':>5} {enc:>17s} {size / n:8.1f} {us:9.2f}")
        if "--columns" in sys.argv:
            pq.write_table(table, path, **writer_options(table.schema))
            md = pq.ParquetFile(path).metadata
            col_sizes: dict[str, int] = {}
            for g in range(md.num_row_groups):
                rg = md.row_group(g)
                for c in range(rg.num_columns):
                    col = rg.column(c)
                    col_sizes[col.path_in_schema] = (
                        col_sizes.get(col.path_in_schema, 0) + col.total_compressed_size
                    )
            for name, size in sorted(col_sizes.items(), key=lambda kv: -kv[1]):
                print(f"  {name:45s} {size / n:7.2f} B/event")


if __name__ == "__main__":
    main()
