"""Parquet compression chosen by measurement: size and encode time of one chunk per setting.

Run: python benchmarks/bench_parquet_compression.py [N] [CARD] [--columns] [--full]
     (default N = 1e5 events, the default card cards/belle2_b2ka_gg.toml, truth and detail =
     the card's; --full: `[output] detail = "full"`, the expert fields added)
Builds the chunk's table once (detector/writers/table.py), then writes it with each codec,
level and float encoding (PLAIN or BYTE_STREAM_SPLIT) the writer could use, and prints bytes
per event and the CPU time to encode and compress per event (median of 3, CPU time of the
writing thread, so that other work on a shared machine does not enter; the writer runs this on
its own thread, overlapped with the next chunk's generation). --columns adds the
compressed bytes per event of every column for the chosen setting.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from alpsim.card import load_card
from alpsim.detector.writers.parquet import float_columns, writer_options
from alpsim.detector.writers.table import chunk_table
from alpsim.runner import simulate_chunk

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
    ("alpsim", None, None),  # the writer's choice: detector/writers/parquet.writer_options
]


def write(table, path: Path, codec: str, level: int | None, split: bool) -> tuple[float, int]:
    """Median CPU seconds of this thread (the writer encodes on the calling thread) over 3
    writes, and the file size, with the writer's other options."""
    opts = writer_options(table.schema)
    if codec != "alpsim":
        opts.update(compression=codec, compression_level=level)
        opts.update(use_byte_stream_split=float_columns(table.schema) if split else False)
    times = []
    for _ in range(3):
        t0 = time.thread_time()
        pq.write_table(table, path, **opts)
        times.append(time.thread_time() - t0)
    return statistics.median(times), path.stat().st_size


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(float(args[0])) if args else 100_000
    card = load_card(args[1] if len(args) > 1 else CARD)
    record, reco = simulate_chunk(card, card.run.seed, 0, 0, n)
    truth = card.output.truth
    detail = "full" if "--full" in sys.argv else card.output.detail
    table = chunk_table(record, reco, truth, detail)
    print(
        f"{card.path}: {n:,} events, truth = {truth!r}, detail = {detail!r}, "
        f"{len(table.schema)} columns"
    )
    print(f"{'codec':8s} {'level':>5s} {'floats':>17s} {'B/event':>8s} {'us/event':>9s}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.parquet"
        for codec, level, split in SETTINGS:
            dt, size = write(table, path, codec, level, split)
            enc = "BYTE_STREAM_SPLIT" if split else "PLAIN" if split is not None else "mixed"
            print(f"{codec:8s} {level or '-':>5} {enc:>17s} {size / n:8.1f} {dt / n * 1e6:9.2f}")
        if "--columns" in sys.argv:
            pq.write_table(table, path, **writer_options(table.schema))
            md = pq.ParquetFile(path).metadata
            sizes: dict[str, int] = {}
            for g in range(md.num_row_groups):
                rg = md.row_group(g)
                for c in range(rg.num_columns):
                    col = rg.column(c)
                    sizes[col.path_in_schema] = (
                        sizes.get(col.path_in_schema, 0) + col.total_compressed_size
                    )
            for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
                print(f"  {name:45s} {size / n:7.2f} B/event")


if __name__ == "__main__":
    main()
