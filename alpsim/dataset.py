"""Large runs: a dataset directory of one Parquet file per chunk plus a manifest.

    OUT/part-00000.parquet ... OUT/part-NNNNN.parquet   one file per chunk (atomic rename)
    OUT/_manifest.json                                   what the run is and which chunks exist

A chunk's content depends only on the card, the seed and the chunk index, so chunks can be made
in any order by any worker (local processes or a Dask cluster) and the files are byte-identical
whichever executor made them. An interrupted run leaves only complete chunk files; `--resume`
makes the missing ones. pyarrow.dataset, pandas, polars and awkward read OUT/ as one table (the
manifest's leading underscore and the temporary files' leading dot keep them out of it).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._version import __version__
from .card import RunCard
from .detector.writers.parquet import ParquetWriter
from .runner import OutputError, chunks, metadata, selected, simulate_chunk

MANIFEST = "_manifest.json"


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def card_digest(card: RunCard) -> str:
    """Fingerprint of what makes the events: run card and detector card texts."""
    h = hashlib.sha256(card.text.encode())
    h.update(card.detector.text.encode())
    return h.hexdigest()


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs to make one chunk file (picklable)."""

    card: RunCard
    seed: int
    n_events: int
    index: int
    first: int
    size: int
    directory: str


@dataclass(frozen=True)
class ChunkResult:
    index: int
    n_events: int
    n_selected: int
    weighted_selected: float


def make_chunk(task: ChunkTask) -> ChunkResult:
    """Generate, simulate and write one chunk file (worker side; atomic)."""
    record, reco = simulate_chunk(task.card, task.seed, task.index, task.first, task.size)
    meta = metadata(task.card, task.n_events, task.seed)
    meta["chunk"] = {"index": task.index, "first_event": task.first, "events": task.size}
    path = Path(task.directory) / part_name(task.index)
    with ParquetWriter(path, meta) as writer:
        writer.write(record, reco)
    passed = selected(task.card, record, reco)
    nominal = record.weights().get("nominal", np.ones(passed.size))
    return ChunkResult(task.index, task.size, int(passed.sum()), float(nominal[passed].sum()))


class Manifest:
    """The run's manifest: identity (card digest, seed, sizes) and the finished chunks."""

    def __init__(self, directory: Path, card: RunCard, n_events: int, seed: int) -> None:
        self.directory = directory
        self.path = directory / MANIFEST
        self.identity = {
            "alpsim_version": __version__,
            "card_sha256": card_digest(card),
            "seed": seed,
            "n_events": n_events,
            "chunk_size": card.run.chunk_size,
        }
        self.n_chunks = len(list(chunks(n_events, card.run.chunk_size)))
        self.done: dict[int, dict[str, float]] = {}

    def load_existing(self) -> None:
        """Take over a previous run's finished chunks (resume); refuse a different run."""
        if not self.path.exists():
            raise OutputError(f"{self.directory}: no {MANIFEST} to resume from")
        old = json.loads(self.path.read_text())
        for key, value in self.identity.items():
            if key != "alpsim_version" and old.get(key) != value:
                raise OutputError(
                    f"{self.directory} holds a different run ({key} = "
                    f"{old.get(key)!r}, this run {value!r}); use another output"
                )
        for key, info in old.get("chunks", {}).items():
            if (self.directory / part_name(int(key))).exists():
                self.done[int(key)] = info
        # a chunk file renamed into place before the manifest was updated (kill -9) is complete
        for index in range(self.n_chunks):
            if index not in self.done and (self.directory / part_name(index)).exists():
                self.done[index] = {}
        for stray in self.directory.glob(".part-*.tmp-*"):
            stray.unlink()

    def record(self, result: ChunkResult) -> None:
        self.done[result.index] = {
            "events": result.n_events,
            "selected": result.n_selected,
            "weighted_selected": result.weighted_selected,
        }
        self.save()

    @property
    def missing(self) -> list[int]:
        return [i for i in range(self.n_chunks) if i not in self.done]

    def save(self) -> None:
        body = dict(self.identity)
        body["n_chunks"] = self.n_chunks
        body["complete"] = not self.missing
        body["missing"] = self.missing
        body["chunks"] = {str(k): v for k, v in sorted(self.done.items())}
        tmp = self.path.with_name(f".{MANIFEST}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(body, indent=1))
        tmp.replace(self.path)


def prepare_directory(directory: Path, force: bool, resume: bool) -> None:
    """Create the output directory; an existing non-empty one needs --resume or --force."""
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"output {str(directory)!r} exists and is not a directory")
    if not directory.parent.is_dir():
        raise OutputError(f"output directory {str(directory.parent)!r} does not exist")
    if not os.access(directory.parent, os.W_OK):
        raise OutputError(f"output directory {str(directory.parent)!r} is not writable")
    if directory.exists() and any(directory.iterdir()) and not resume:
        if not force:
            raise OutputError(
                f"output {str(directory)!r} exists; use --resume to finish it or "
                "--force to replace it"
            )
        for f in [*list(directory.glob("part-*.parquet")), directory / MANIFEST]:
            f.unlink(missing_ok=True)
    directory.mkdir(exist_ok=True)


#: An executor maps a picklable function over tasks and yields the results as they finish.
Executor = Callable[[Callable, list], Iterable]


def serial_executor(fn: Callable, tasks: list) -> Iterable:
    for task in tasks:
        yield fn(task)


def process_executor(jobs: int) -> Executor:
    """N local processes (spawned: no state inherited from the parent)."""

    def run(fn: Callable, tasks: list) -> Iterable:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(fn, t) for t in tasks]
            try:
                for fut in as_completed(futures):
                    yield fut.result()
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise

    return run


def dask_executor(address: str, jobs: int) -> Executor:
    """A dask.distributed cluster at `address`, or 'local': a LocalCluster on loopback."""

    def run(fn: Callable, tasks: list) -> Iterable:
        try:
            from dask.distributed import Client, LocalCluster, as_completed
        except ImportError:
            raise OutputError("--dask needs dask.distributed: pip install 'alpsim[dask]'") from None
        cluster = None
        if address == "local":
            cluster = LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            client = Client(cluster)
        else:
            client = Client(address)
        try:
            futures = client.map(fn, tasks, pure=False)
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    return run


def make_executor(jobs: int = 1, dask: str | None = None) -> Executor:
    """The executor asked for on the command line: Dask, local processes, or serial."""
    if dask:
        return dask_executor(dask, max(jobs, 1))
    if jobs > 1:
        return process_executor(jobs)
    return serial_executor


def run_dataset(
    card: RunCard,
    directory: str | Path,
    n: int | None = None,
    seed: int | None = None,
    executor: Executor = serial_executor,
    resume: bool = False,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Manifest:
    """Make (or finish, with resume) a dataset directory; returns its manifest."""
    directory = Path(directory)
    n_events = card.run.events if n is None else int(n)
    seed = card.run.seed if seed is None else int(seed)
    prepare_directory(directory, force, resume)
    manifest = Manifest(directory, card, n_events, seed)
    if resume and (directory / MANIFEST).exists():
        manifest.load_existing()
    manifest.save()
    tasks = [
        ChunkTask(card, seed, n_events, index, first, size, str(directory))
        for index, first, size in chunks(n_events, card.run.chunk_size)
        if index not in manifest.done
    ]
    for result in executor(make_chunk, tasks):
        manifest.record(result)
        if progress is not None:
            progress(result.n_events)
    return manifest
