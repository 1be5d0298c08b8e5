"""Large runs: a dataset directory of one Parquet file per chunk plus a manifest.

    OUT/_partial/part-NNNNN.parquet   chunk files while the run is not complete
    OUT/part-00000.parquet ...        all chunk files, moved here once every chunk exists
    OUT/_manifest.json                what the run is, how far it got (a few hundred bytes)

A chunk's content depends only on the card, the seed and the chunk index, so chunks can be made
in any order by any worker (local processes or a Dask cluster) and the files are byte-identical
whichever executor made them. Each chunk file is committed atomically (alpsim/commit.py) and
records in its metadata its own index and event count beside the run's total (`n_generated`).
Until the run is complete its files stay in `_partial/`, which pyarrow.dataset, pandas, polars
and awkward skip (leading underscore), so a generic reader never takes a partial dataset for a
complete one; `alpsim info` and `alpsim.read` say how far it got, and `--resume` finishes it.
A run holds the directory's lock (alpsim/lock.py) from start to end; `--force` moves an old
dataset aside and deletes it only once the new one is complete (on failure it is put back).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._version import __version__
from .card import RunCard
from .commit import OLD_TAG, moved_aside, sweep, temp_path
from .detector.writers.parquet import ParquetWriter, read_metadata
from .lock import OutputLock
from .runner import MAX_SEED, OutputError, check_integer, chunks, metadata, selected, simulate_chunk
from .signals import die_with_parent, raise_if_interrupted

log = logging.getLogger(__name__)

MANIFEST = "_manifest.json"
PARTIAL = "_partial"
#: Most chunks one dataset may have (the chunk size sets the events per chunk).
MAX_CHUNKS = 100_000


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def card_digest(card: RunCard) -> str:
    """Fingerprint of what makes the events: run card and detector card texts."""
    return _digest(card.text, card.detector.text)


def _digest(card_text: str, detector_text: str) -> str:
    h = hashlib.sha256(card_text.encode())
    h.update(detector_text.encode())
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

    def stats(self) -> dict[str, float]:
        return {
            "events": self.n_events,
            "selected": self.n_selected,
            "weighted_selected": self.weighted_selected,
        }


def make_chunk(task: ChunkTask) -> ChunkResult:
    """Generate, simulate and write one chunk file (worker side; atomic)."""
    record, reco = simulate_chunk(task.card, task.seed, task.index, task.first, task.size)
    passed = selected(task.card, record, reco)
    nominal = record.weights().get("nominal", np.ones(passed.size))
    result = ChunkResult(task.index, task.size, int(passed.sum()), float(nominal[passed].sum()))
    meta = metadata(task.card, task.n_events, task.seed)
    meta["chunk"] = {"index": task.index, "first_event": task.first, **result.stats()}
    path = Path(task.directory) / part_name(task.index)
    with ParquetWriter(path, meta) as writer:
        writer.write(record, reco)
        raise_if_interrupted()  # in the run's own process (serial): no commit after a signal
    return result


def chunk_files(directory: Path) -> dict[int, Path]:
    """Chunk files of a dataset by index, finished ones in _partial/ and at the top level."""
    found: dict[int, Path] = {}
    for where in (directory / PARTIAL, directory):
        for f in where.glob("part-*.parquet") if where.is_dir() else ():
            try:
                found.setdefault(int(f.name[5:-8]), f)
            except ValueError:
                continue
    return found


def _ranges(indices: list[int]) -> list[list[int]]:
    """Sorted indices as [first, last] ranges (keeps the manifest small)."""
    out: list[list[int]] = []
    for i in indices:
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


class Manifest:
    """The run's manifest: identity (card digest, seed, sizes) and the finished chunks.

    The file holds the identity, the counts and the missing chunks as index ranges, never a
    per-chunk list, so it stays small for any number of events; per-chunk counts live in the
    chunk files' own metadata (and in memory here)."""

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
        self.n_chunks = -(-n_events // card.run.chunk_size)
        self.done: dict[int, dict[str, float]] = {}
        self.complete = False

    def load_existing(self) -> None:
        """Take over a previous run's finished chunks (resume); refuse a different run.

        The chunk files are the truth: every part file whose metadata matches this run
        (card texts, seed, total) counts, with the counts recorded in the file itself."""
        if not self.path.exists():
            raise OutputError(f"{self.directory}: no {MANIFEST} to resume from")
        try:
            old = json.loads(self.path.read_text())
        except ValueError:
            raise OutputError(f"{self.path} is not a manifest (not JSON)") from None
        for key, value in self.identity.items():
            if key != "alpsim_version" and old.get(key) != value:
                raise OutputError(
                    f"{self.directory} holds a different run ({key} = "
                    f"{old.get(key)!r}, this run {value!r}); use another output"
                )
        for index, f in sorted(chunk_files(self.directory).items()):
            try:
                meta = read_metadata(f)
            except Exception as exc:  # a complete file is readable: this one is not ours
                raise OutputError(f"{f} is not a readable alpsim chunk file ({exc})") from None
            chunk = meta.get("chunk", {})
            same = (
                _digest(meta.get("card", ""), meta.get("detector_card", ""))
                == self.identity["card_sha256"]
                and meta.get("seed") == self.identity["seed"]
                and meta.get("n_generated") == self.identity["n_events"]
                and chunk.get("index") == index
                and index < self.n_chunks
            )
            if not same:
                raise OutputError(f"{f} belongs to a different run; use another output")
            self.done[index] = {
                k: chunk[k] for k in ("events", "selected", "weighted_selected") if k in chunk
            }

    def record(self, result: ChunkResult) -> None:
        self.done[result.index] = result.stats()
        self.save()

    @property
    def missing(self) -> list[int]:
        return [i for i in range(self.n_chunks) if i not in self.done]

    @property
    def events_done(self) -> int:
        return int(sum(d.get("events", 0) for d in self.done.values()))

    def save(self) -> None:
        body = dict(self.identity)
        missing = self.missing
        body.update(
            n_chunks=self.n_chunks,
            complete=self.complete,
            chunks_done=len(self.done),
            events_done=self.events_done,
            missing_ranges=_ranges(missing),
            layout=f"chunk files in {PARTIAL}/ until complete, then at the top level",
        )
        tmp = temp_path(self.path)
        try:
            tmp.write_text(json.dumps(body, indent=1))
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def finalize(self) -> None:
        """All chunks exist: move them out of _partial/ and mark the dataset complete."""
        partial = self.directory / PARTIAL
        for f in sorted(partial.glob("part-*.parquet")) if partial.is_dir() else ():
            os.replace(f, self.directory / f.name)
        if partial.is_dir():
            sweep(partial)
            try:
                partial.rmdir()
            except OSError:
                log.warning("%s is not empty; left in place", partial)
        self.complete = True
        self.save()


def dataset_status(directory: str | Path) -> dict:
    """The manifest of a dataset directory, with the chunk files actually present."""
    directory = Path(directory)
    try:
        body = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        body = {}
    files = chunk_files(directory)
    body["files"] = [files[i] for i in sorted(files)]
    body.setdefault("complete", bool(files) and not (directory / PARTIAL).exists())
    return body


def read(path: str | Path, allow_partial: bool = False):
    """An alpsim Parquet file or dataset directory as one Arrow table.

    A partial dataset (an interrupted run) is refused unless `allow_partial`: its files then
    hold fewer events than the run's `n_generated`, so yields must be normalised by the
    events read (each chunk file's `chunk.events`), which a warning says."""
    import pyarrow.dataset as pads
    import pyarrow.parquet as pq

    path = Path(path)
    if path.is_file():
        return pq.read_table(path)
    status = dataset_status(path)
    if not status["files"]:
        raise ValueError(f"{path}: no alpsim Parquet files")
    if not status["complete"]:
        text = (
            f"{path} is a partial dataset: {len(status['files'])} of "
            f"{status.get('n_chunks', '?')} chunks ({status.get('events_done', '?')} of "
            f"{status.get('n_events', '?')} events); `alpsim run ... --resume` finishes it"
        )
        if not allow_partial:
            raise ValueError(text + "; read(..., allow_partial=True) reads what is there")
        warnings.warn(
            text + ": normalise by the events read, not by n_generated", UserWarning, stacklevel=2
        )
    return pads.dataset([str(f) for f in status["files"]], format="parquet").to_table()


def _check_directory(directory: Path) -> None:
    if str(directory) in ("", "."):
        raise OutputError(f"output {str(directory)!r} is not a directory name")
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"output {str(directory)!r} exists and is not a directory")
    if not directory.parent.is_dir():
        raise OutputError(f"output directory {str(directory.parent)!r} does not exist")
    if not os.access(directory.parent, os.W_OK):
        raise OutputError(f"output directory {str(directory.parent)!r} is not writable")


def prepare_directory(directory: Path, force: bool, resume: bool) -> Path | None:
    """Make the output directory ready (the lock is held). An existing non-empty one needs
    --resume or --force; with --force it is moved aside and its new name returned."""
    _check_directory(directory)
    for old in moved_aside(directory.parent, directory.name):
        if force:
            log.info("removing %s, an old dataset a killed --force run had moved aside", old)
            shutil.rmtree(old, ignore_errors=True)
        else:
            log.warning(
                "%s is an old dataset that a killed --force run moved aside; delete it, or "
                "move it back to %s",
                old,
                directory,
            )
    aside = None
    if resume and directory.is_dir() and any(directory.iterdir()):
        if not (directory / MANIFEST).exists():
            raise OutputError(
                f"output {str(directory)!r} is not empty and holds no {MANIFEST}: not an alpsim "
                "dataset to resume; give an empty or new directory"
            )
    if directory.is_dir() and any(directory.iterdir()) and not resume:
        if not force:
            raise OutputError(
                f"output {str(directory)!r} exists; use --resume to finish it or "
                "--force to replace it"
            )
        aside = temp_path(directory, OLD_TAG)
        os.rename(directory, aside)
        log.info("moved the old dataset aside to %s until this run completes", aside)
    directory.mkdir(exist_ok=True)
    return aside


#: An executor maps a picklable function over tasks and yields the results as they finish.
Executor = Callable[[Callable, list], Iterable]


def serial_executor(fn: Callable, tasks: list) -> Iterable:
    for task in tasks:
        yield fn(task)


def _fork_is_safe() -> bool:
    """Linux, no Python thread besides this one, and numba's parallel threading layer not
    started (its thread pools do not survive a fork; no alpsim kernel starts it now: the HepMC3
    writer's segment and writer threads are Python threads, ended when the file is finished).

    A forked child holds only the forking thread, so a lock that another thread held at the
    fork stays locked in the child. The native threads present in every run (OpenBLAS of
    numpy and scipy, pyarrow's jemalloc background thread) take their locks in pthread_atfork
    handlers; a Python thread (a writer thread, a progress-bar monitor) could hold the import
    or logging lock, so its presence falls back to spawn. ALPSIM_FORK_WORKERS=0 forces spawn.
    Forked workers start with the parent's compiled kernels loaded: benchmarks/bench_jobs.py
    measured 1.5 s of extra CPU for two forked workers against 7.4 s for two spawned ones."""
    if sys.platform != "linux" or os.environ.get("ALPSIM_FORK_WORKERS") == "0":
        return False
    if threading.active_count() > 1:
        return False
    try:
        from numba.np.ufunc import parallel
    except ImportError:  # pragma: no cover
        return True
    return not getattr(parallel, "_is_initialized", False)


#: Set once a worker pool of this process was killed on an error or interruption: the command
#: line then leaves with os._exit once its outputs are settled (alpsim/cli.py, main), so no
#: leftover executor thread or queue feeder can keep the process alive.
_POOL_ABORTED = False


def pool_aborted() -> bool:
    """True if a worker pool of this process was killed on an error or interruption."""
    return _POOL_ABORTED


def process_executor(jobs: int, start_method: str | None = None) -> Executor:
    """N local processes. On Linux they are forked from the parent once it has imported
    alpsim and loaded the compiled kernels (the CLI checks the card by simulating a few
    events first), so they start working at once instead of spending a second or more each
    re-importing (spawn, the default elsewhere or with start_method="spawn"). Chunk contents
    depend only on the card, the seed and the chunk index, never on the start method. The
    workers die with the parent, even on kill -9 (alpsim/signals.py); on an error or
    interruption they are killed at once and their temporary files removed."""

    def run(fn: Callable, tasks: list) -> Iterable:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        global _POOL_ABORTED

        method = start_method or ("fork" if _fork_is_safe() else "spawn")
        log.info("%d local worker processes (%s)", jobs, method)
        pool = ProcessPoolExecutor(
            min(jobs, max(len(tasks), 1)),
            mp_context=mp.get_context(method),
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        )
        futures = [pool.submit(fn, t) for t in tasks]
        finished = False
        try:
            for fut in as_completed(futures):
                yield fut.result()
            finished = True
        finally:
            if finished:
                pool.shutdown(wait=True)
            else:
                # Kill first, cancel nothing: the pool's manager thread then fails every
                # pending future with BrokenProcessPool. Cancelling them ourselves races with
                # it (CPython 3.11 sets the exception on a cancelled future: InvalidStateError
                # kills the manager thread, and the interpreter could hang at exit).
                workers = list((getattr(pool, "_processes", None) or {}).values())
                for w in workers:
                    w.kill()
                for w in workers:
                    w.join(10)
                pool.shutdown(wait=False)
                _POOL_ABORTED = True
                for t in tasks[:1]:
                    if hasattr(t, "directory"):
                        sweep(t.directory)  # the killed workers' temporary chunk files

    return run


def _die_with_parent_plugin(parent_pid: int):
    """A dask WorkerPlugin making the local cluster's workers die with this process."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class DieWithParent(WorkerPlugin):
        name = "alpsim-die-with-parent"

        def setup(self, worker) -> None:  # runs in the worker process
            die_with_parent(parent_pid)

    return DieWithParent()


def _dask_worker_main(conn, parent_pid: int) -> None:
    """Body of a forked local Dask worker: wait for the scheduler's address, then serve it.

    Forked before the parent starts any thread (dask's event loop included), so the worker
    starts with alpsim imported and the compiled kernels loaded, as `--jobs` workers do."""
    import signal

    die_with_parent(parent_pid)
    logging.getLogger("distributed").setLevel(logging.WARNING)  # as LocalCluster's workers
    # Ctrl-C reaches the whole process group: the parent handles it and kills the workers,
    # which must not print a traceback of their own; SIGTERM and SIGHUP end them at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if s is not None:
            signal.signal(s, signal.SIG_DFL)
    try:
        address = conn.recv()
    except EOFError:
        address = None
    conn.close()
    if not address:
        return
    import asyncio

    import dask
    from distributed import Worker

    # no one reads these workers' profiles or GIL statistics (no dashboard): the profiler
    # samples the task thread's stack every 10 ms
    dask.config.set(
        {
            "distributed.worker.profile.enabled": False,
            "distributed.admin.system-monitor.gil.enabled": False,
        }
    )

    async def serve() -> None:
        async with Worker(address, nthreads=1, memory_limit=0, dashboard=False) as worker:
            await worker.finished()

    asyncio.run(serve())


class _ForkedLocalCluster:
    """A Dask scheduler in this process and `jobs` workers forked from it (Linux, called only
    when `_fork_is_safe()`), each serving one chunk at a time.

    LocalCluster's nannies spawn their workers (they run in dask's event-loop thread, and a
    fork from a threaded process is unsafe), and a spawned worker spends ~3.7 CPU-s
    re-importing and loading the kernel cache before its first chunk. Here the workers are
    forked first, from the single-threaded parent that has loaded the kernels, and are told
    the scheduler's address once it exists. They die with the parent (alpsim/signals.py)."""

    def __init__(self, jobs: int) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        self.processes = []
        self.cluster = None
        conns = []
        address = None
        try:
            for i in range(jobs):
                parent_end, child_end = ctx.Pipe()
                conns.append(parent_end)
                proc = ctx.Process(
                    target=_dask_worker_main,
                    args=(child_end, os.getpid()),
                    name=f"alpsim-dask-worker-{i}",
                    daemon=True,
                )
                proc.start()
                child_end.close()
                self.processes.append(proc)
            # a signal during a fork can be swallowed by an at-fork handler (logging's):
            # stop here, before the scheduler starts
            raise_if_interrupted()
            from dask.distributed import LocalCluster

            self.cluster = LocalCluster(
                n_workers=0, processes=True, host="127.0.0.1", dashboard_address=None
            )
            address = self.cluster.scheduler_address
        finally:
            for conn in conns:  # the address, or None: the workers leave
                try:
                    conn.send(address)
                except OSError:  # the worker is already gone; the wait below reports it
                    pass
                conn.close()
            if address is None:
                self.kill()

    def kill(self) -> None:
        """Kill the workers at once (error, interruption, or a close that hangs)."""
        for proc in self.processes:
            if proc.is_alive():
                proc.kill()
        for proc in self.processes:
            proc.join(10)

    def close(self) -> None:
        """End the workers (SIGTERM: they hold no task, every chunk file is committed), then
        the scheduler. Closing the scheduler first makes the workers log tracebacks of their
        broken heartbeat connections."""
        for proc in self.processes:
            if proc.is_alive():
                proc.terminate()
        for proc in self.processes:
            proc.join(5)
        self.kill()
        if self.cluster is not None:
            self.cluster.close()


def dask_executor(address: str, jobs: int) -> Executor:
    """A dask.distributed cluster at `address`, or 'local': `jobs` workers on loopback.

    Workers write their chunk files themselves into the dataset's `_partial/` folder
    (make_chunk) and return only the chunk's counts, so the client never handles event data.
    A local cluster's workers are forked from this process when that is safe (see
    `_ForkedLocalCluster`), otherwise spawned by a dask LocalCluster."""

    def run(fn: Callable, tasks: list) -> Iterable:
        try:
            from dask.distributed import Client, LocalCluster, as_completed
        except ImportError:
            raise OutputError("--dask needs dask.distributed: pip install 'alpsim[dask]'") from None
        global _POOL_ABORTED

        cluster = None
        forked = None
        if address == "local" and os.environ.get("ALPSIM_FORK_WORKERS") != "0" and _fork_is_safe():
            log.info("local Dask cluster, %d forked workers", jobs)
            forked = _ForkedLocalCluster(jobs)
            try:
                client = Client(forked.cluster)
                client.wait_for_workers(jobs, timeout=120)
            except BaseException:
                forked.kill()
                forked.close()
                raise
        elif address == "local":
            import dask

            log.info("local Dask cluster, %d spawned workers", jobs)
            with dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}):
                cluster = LocalCluster(
                    n_workers=jobs,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            client = Client(cluster)
            client.register_plugin(_die_with_parent_plugin(os.getpid()))
        else:
            client = Client(address)
        finished = False
        try:
            futures = as_completed(client.map(fn, tasks, pure=False))
            while not futures.is_empty():
                if futures.has_ready():
                    yield next(futures).result()
                elif forked is not None and not any(p.is_alive() for p in forked.processes):
                    # no nanny restarts them: without this the run would wait for ever
                    raise OutputError(
                        "every local Dask worker died (killed, or out of memory?); the "
                        "finished chunks are kept: --resume finishes the dataset"
                    )
                else:
                    with futures.thread_condition:  # a result queued before the wait wakes it
                        if not futures.has_ready():
                            futures.thread_condition.wait(timeout=0.5)
            finished = True
        finally:
            if forked is not None and not finished:
                forked.kill()  # at once: no chunk is committed after an error or signal
                _POOL_ABORTED = True
            client.close()
            if forked is not None:
                forked.close()
                if not finished:
                    for t in tasks[:1]:
                        if hasattr(t, "directory"):
                            sweep(t.directory)  # the killed workers' temporary chunk files
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
    """Make (or finish, with resume) a dataset directory; returns its manifest.

    Holds the directory's lock throughout. With `force` an existing dataset is moved aside,
    deleted once this run is complete and put back if it fails. With `resume` the chunks
    already there are kept (a live run's files are protected by its lock)."""
    directory = Path(directory)
    n_events = card.run.events if n is None else check_integer("n", n, 1, 10**12 + 1)
    seed = card.run.seed if seed is None else check_integer("seed", seed, 0, MAX_SEED)
    n_chunks = -(-n_events // card.run.chunk_size)
    if n_chunks > MAX_CHUNKS:
        raise OutputError(
            f"n = {n_events} events in chunks of {card.run.chunk_size} make {n_chunks} chunk "
            f"files; a dataset holds at most {MAX_CHUNKS:,} (raise run.chunk_size)"
        )
    _check_directory(directory)
    with OutputLock(directory):
        aside = prepare_directory(directory, force, resume)
        try:
            partial = directory / PARTIAL
            partial.mkdir(exist_ok=True)
            for d in (directory, partial):
                sweep(d)
            manifest = Manifest(directory, card, n_events, seed)
            if resume and (directory / MANIFEST).exists():
                manifest.load_existing()
            manifest.save()
            tasks = [
                ChunkTask(card, seed, n_events, index, first, size, str(partial))
                for index, first, size in chunks(n_events, card.run.chunk_size)
                if index not in manifest.done
            ]
            log.info("dataset %s: %d chunks, %d to make", directory, manifest.n_chunks, len(tasks))
            for result in executor(make_chunk, tasks):
                manifest.record(result)
                if progress is not None:
                    progress(result.n_events)
                raise_if_interrupted()  # even if the signal's exception was swallowed
            raise_if_interrupted()
            if not manifest.missing:
                manifest.finalize()
        except BaseException:
            if aside is not None:  # put the old dataset back
                shutil.rmtree(directory, ignore_errors=True)
                os.rename(aside, directory)
                log.info("the previous dataset %s was put back", directory)
            raise
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
    return manifest
