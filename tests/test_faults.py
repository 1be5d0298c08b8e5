"""Fault injection: kill -9 and SIGTERM at random moments, concurrent writers, a full disk.

What must hold afterwards (README "Guarantees"): every output file present is complete and
readable; no temporary file survives the next run; `--resume` gives chunk files
byte-identical to an uninterrupted run; `--jobs` workers die with their parent; of two runs
writing the same output one succeeds and the other fails with a clear error; a run that
fails leaves the previous output intact. The default run injects a few faults per kind of
run; the `slow` variant injects 24 per kind.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from alpsim.cli import main
from alpsim.dataset import MANIFEST, PARTIAL

from .conftest import BASE_CARD

CARD = BASE_CARD.replace("seed = 1", "seed = 1\nchunk_size = 20000")
N = 200_000  # 10 chunks; about 2-3 s of work on one core


def _alpsim(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "alpsim", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _chunks(directory: Path) -> dict[str, str]:
    files = list(directory.glob("part-*.parquet")) + list(directory.glob(f"{PARTIAL}/part-*"))
    return {p.name: _sha(p) for p in files}


def _temporaries(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if "alpsim-tmp" in p.name]


def _children(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            ppid = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("PPid:")), "")
            if ppid == str(pid):
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted dataset run: the chunk files every interrupted run must reproduce."""
    d = tmp_path_factory.mktemp("faults_ref")
    card = d / "card.toml"
    card.write_text(CARD)
    assert main(["run", str(card), "-n", str(N), "-o", f"{d / 'ref'}/", "-q"]) == 0
    start = time.perf_counter()
    assert main(["run", str(card), "-n", str(N), "-o", str(d / "ref.parquet"), "-q"]) == 0
    seconds = time.perf_counter() - start
    return card, _chunks(d / "ref"), seconds


def _check_file_outputs(directory: Path) -> None:
    """Every Parquet/HepMC3 file present is complete: all N events, readable."""
    out = directory / "x.parquet"
    if out.exists():
        table = pq.read_table(out)
        assert table.num_rows == N
        assert json.loads(pq.read_schema(out).metadata[b"alpsim"])["n_generated"] == N
    hep = directory / "x.hepmc3"
    if hep.exists():
        text = hep.read_bytes()
        assert text.rstrip().endswith(b"HepMC::Asciiv3-END_EVENT_LISTING")
        assert text.count(b"\nE ") == N


def _check_dataset(directory: Path, ref: dict[str, str]) -> None:
    """Top-level chunk files only once complete; every chunk present equals the reference."""
    if not directory.exists():
        return
    body = json.loads((directory / MANIFEST).read_text()) if (directory / MANIFEST).exists() else {}
    top = list(directory.glob("part-*.parquet"))
    if top and not body.get("complete"):
        # killed while moving the finished chunks out of _partial/: all chunks exist
        assert len(_chunks(directory)) == len(ref)
    for name, digest in _chunks(directory).items():
        assert ref[name] == digest, name


def _inject(kind: str, sig: int, moments: int, card: Path, ref: dict, seconds: float, tmp: Path):
    rng = random.Random(f"{kind}-{sig}-{moments}")
    work = tmp / kind
    work.mkdir()
    for k in range(moments):
        if kind == "file":
            args = ["-o", str(work / "x.parquet"), "--hepmc3", str(work / "x.hepmc3"), "--force"]
        elif kind == "dataset":
            args = ["-o", f"{work / 'ds'}/", "--resume"]
        elif kind == "jobs":
            args = ["-o", f"{work / 'ds'}/", "--resume", "--jobs", "2"]
        else:  # dask: a local cluster whose workers are forked by the run
            args = ["-o", f"{work / 'ds'}/", "--resume", "--dask", "local", "--jobs", "2"]
        proc = _alpsim("run", str(card), "-n", str(N), "-q", *args)
        # a random moment of the run: start-up (imports), generation, writing, committing
        delay = rng.uniform(0.2, 1.2 + 1.2 * seconds)
        deadline = time.time() + delay
        workers: list[int] = []
        while time.time() < deadline and proc.poll() is None:
            if kind in ("jobs", "dask"):
                workers = sorted(set(workers) | set(_children(proc.pid)))
            time.sleep(0.02)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        if os.environ.get("ALPSIM_FAULTS_DEBUG"):  # what the signal hit
            left = sorted(str(p.relative_to(work)) for p in work.rglob("*"))
            print(kind, sig, f"{delay:.2f}s", proc.returncode, len(workers), len(left), left[:3])
        if sig == signal.SIGTERM and proc.returncode == 1:
            assert "interrupted (SIGTERM)" in err, err
        else:
            assert proc.returncode in (0, -sig, 1), (proc.returncode, err)
        if proc.returncode == 1 and sig == signal.SIGTERM:
            assert not _temporaries(work), "SIGTERM must remove the temporary files"
        if kind in ("jobs", "dask"):  # the workers die with their parent, even on kill -9
            limit = time.time() + 15
            while time.time() < limit and any(_alive(w) for w in workers):
                time.sleep(0.05)
            assert not any(_alive(w) for w in workers), f"workers outlived the parent ({k})"
        if kind == "file":
            _check_file_outputs(work)
        else:
            _check_dataset(work / "ds", ref)
    # the next run sweeps what the killed ones left and finishes the job
    if kind == "file":
        args = ["-o", str(work / "x.parquet"), "--hepmc3", str(work / "x.hepmc3"), "--force"]
    else:
        args = ["-o", f"{work / 'ds'}/", "--resume"]
    assert main(["run", str(card), "-n", str(N), "-q", *args]) == 0
    assert not _temporaries(work)
    assert not list(work.glob(".*alpsim-lock"))
    if kind == "file":
        _check_file_outputs(work)
        assert (work / "x.parquet").exists()
    else:
        assert _chunks(work / "ds") == ref  # byte-identical to the uninterrupted run
        assert not (work / "ds" / PARTIAL).exists()
        assert json.loads((work / "ds" / MANIFEST).read_text())["complete"]


def _has_dask() -> bool:
    try:
        import dask.distributed  # noqa: F401  (a test extra)
    except ImportError:
        return False
    return True


KINDS = ["file", "dataset", "jobs"] + ["dask"] * _has_dask()
SIGNALS = [signal.SIGKILL, signal.SIGTERM]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sig", SIGNALS, ids=["kill9", "term"])
def test_faults_at_random_moments(kind, sig, reference, tmp_path):
    card, ref, seconds = reference
    _inject(kind, sig, 1, card, ref, seconds, tmp_path)


def _slow_selected(config: pytest.Config) -> bool:
    """Whether this session asked for slow tests (-m slow, or ALPSIM_SLOW=1)."""
    expr = config.getoption("markexpr") or ""
    return os.environ.get("ALPSIM_SLOW") == "1" or ("slow" in expr and "not slow" not in expr)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sig", SIGNALS, ids=["kill9", "term"])
def test_faults_at_many_random_moments(kind, sig, reference, tmp_path, request):
    """24 faults per kind of run (192 in all with the dask extra): only
    with -m slow or ALPSIM_SLOW=1, since the plain `python -m pytest` of CI runs slow-marked
    tests too."""
    if not _slow_selected(request.config):
        pytest.skip("24 faults per kind: run with -m slow or ALPSIM_SLOW=1")
    card, ref, seconds = reference
    _inject(kind, sig, 24, card, ref, seconds, tmp_path)


def test_concurrent_writers_to_one_file(reference, tmp_path):
    """Two runs (different seeds) to the same file: one wins, the other says why and leaves
    the winner's file untouched."""
    card = reference[0]
    out = tmp_path / "x.parquet"
    procs = [
        _alpsim("run", str(card), "-n", "100000", "-o", str(out), "-q", "--seed", str(s))
        for s in (11, 12)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(c for c, _ in results)
    assert codes in ([0, 1], [0, 2]), results
    loser = next(err for c, err in results if c != 0)
    assert "appeared while this run was writing it" in loser or "exists" in loser
    winner = [11, 12][[c for c, _ in results].index(0)]
    assert json.loads(pq.read_schema(out).metadata[b"alpsim"])["seed"] == winner
    assert pq.read_table(out).num_rows == 100_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.parquet"]


def test_concurrent_writers_to_one_dataset(reference, tmp_path):
    """A second run, or a --resume, while a run writes a dataset is refused by the lock and
    touches none of its files; the first run completes."""
    card, ref, _ = reference
    out = tmp_path / "ds"
    first = _alpsim("run", str(card), "-n", str(N), "-o", f"{out}/", "-q")
    deadline = time.time() + 60
    while time.time() < deadline and not (out / MANIFEST).exists():
        time.sleep(0.02)
    for extra in (["--resume"], ["--force"], []):
        command = ["run", str(card), "-n", str(N), "-o", f"{out}/", "-q", *extra]
        second = subprocess.run(
            [sys.executable, "-m", "alpsim", *command],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if first.poll() is None:  # still running: the lock refused the second run
            assert second.returncode == 1, second.stderr
            assert "is being written by process" in second.stderr
    assert first.wait(timeout=120) == 0, first.stderr.read()
    assert _chunks(out) == ref


def _limit_file_size(limit: int):
    def apply() -> None:  # in the child: writes beyond `limit` bytes fail (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize("kind", ["file", "dataset", "scan"])
def test_full_disk_leaves_previous_output_intact(kind, reference, tmp_path):
    """A run that cannot write (RLIMIT_FSIZE stands for a full disk: EFBIG like ENOSPC)
    fails with exit 1, removes its temporaries and leaves the previous output as it was."""
    card, _, _ = reference
    if kind == "file":
        target = tmp_path / "x.parquet"
        args = ["run", str(card), "-n", "60000", "-o", str(target), "-q"]
    elif kind == "dataset":
        target = tmp_path / "ds"
        args = ["run", str(card), "-n", "60000", "-o", f"{target}/", "-q"]
    else:
        target = tmp_path / "s.csv"
        args = ["scan", str(card), "--ctau", "1:100:3000", "-n", "2000", "-o", str(target), "-q"]
    assert main(args) == 0
    before = {p.relative_to(tmp_path): _sha(p) for p in tmp_path.rglob("*") if p.is_file()}
    limit = 200_000 if kind != "scan" else 2_000
    proc = subprocess.run(
        [sys.executable, "-m", "alpsim", *args, "--force", "--seed", "99"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_file_size(limit),
    )
    assert proc.returncode == 1, proc.stderr
    assert "File too large" in proc.stderr or "No space left" in proc.stderr, proc.stderr
    after = {p.relative_to(tmp_path): _sha(p) for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before
    assert not _temporaries(tmp_path)


def test_sigterm_message_says_what_is_left(reference, tmp_path):
    """SIGTERM during a dataset run: exit 1, the message counts the chunk files kept, and
    they are exactly the files in _partial/."""
    card, ref, _ = reference
    out = tmp_path / "ds"
    proc = _alpsim("run", str(card), "-n", str(N), "-o", f"{out}/", "-q")
    deadline = time.time() + 60
    while time.time() < deadline and len(_chunks(out)) < 2:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    kept = len(list((out / PARTIAL).glob("part-*.parquet")))
    assert 2 <= kept < len(ref)
    assert f"{kept} complete chunk files kept" in err and "--resume" in err
    assert not list(out.glob("part-*.parquet"))  # a generic reader sees no partial data
    assert not _temporaries(tmp_path)


def test_dead_processes_temporaries_are_swept(reference, tmp_path):
    """A temporary named for a process that no longer runs (kill -9) is removed by the next
    run into that directory; one of a live process is left alone."""
    from alpsim.commit import temp_path

    card = reference[0]
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine = temp_path(tmp_path / "x.parquet")
    stale = mine.with_name(mine.name.replace(f".{os.getpid()}.", f".{dead.pid}."))
    stale.write_bytes(b"half a file")
    live = tmp_path / mine.name.replace("x.parquet", "other.parquet")
    live.write_bytes(b"being written by this very process")
    assert main(["run", str(card), "-n", "100", "-o", str(tmp_path / "y.parquet"), "-q"]) == 0
    assert not stale.exists()
    assert live.exists()


def test_workers_die_at_once_with_their_parent(tmp_path):
    """kill -9 of a --jobs 2 parent while its workers are inside a long chunk: the workers
    are gone within a fraction of a chunk's time (they would otherwise finish the chunk)."""
    card = tmp_path / "card.toml"
    card.write_text(BASE_CARD.replace("seed = 1", "seed = 1\nchunk_size = 200000"))
    proc = _alpsim("run", str(card), "-n", "800000", "-o", f"{tmp_path / 'ds'}/", "-q", "-j", "2")
    workers: list[int] = []
    deadline = time.time() + 60
    while time.time() < deadline and len(workers) < 2:
        workers = [w for w in _children(proc.pid) if "resource_tracker" not in _cmdline(w)]
        time.sleep(0.02)
    assert len(workers) == 2
    # first chunks under way (each takes a second or more): forked workers start at once,
    # spawned ones (ALPSIM_FORK_WORKERS=0, not Linux) may still be importing
    time.sleep(0.3)
    assert not (tmp_path / "ds" / PARTIAL).exists() or not _chunks(tmp_path / "ds")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    limit = time.time() + 0.5
    while time.time() < limit and any(_alive(w) for w in workers):
        time.sleep(0.01)
    assert not any(_alive(w) for w in workers)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_are_handled_like_ctrl_c(sig):
    """Inside interrupts_handled() both raise Interrupted (a KeyboardInterrupt) naming the
    signal; a second signal during the clean-up is ignored; outside, the old handler is back."""
    from alpsim.signals import Interrupted, interrupts_handled

    old = signal.getsignal(sig)
    caught = None
    with interrupts_handled():
        try:
            os.kill(os.getpid(), sig)
            time.sleep(1)  # the handler runs here
        except KeyboardInterrupt as exc:
            caught = exc
            os.kill(os.getpid(), sig)  # a second one while cleaning up: ignored
            time.sleep(0.2)
    assert isinstance(caught, Interrupted) and caught.signum == sig
    assert str(caught) == signal.Signals(sig).name
    assert signal.getsignal(sig) is old
