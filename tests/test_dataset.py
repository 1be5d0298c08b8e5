"""Dataset runs: identical chunk files whatever the executor, resume after a real kill."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.dataset as pads
import pytest

from alpsim.card import load_card
from alpsim.cli import main
from alpsim.dataset import MANIFEST, process_executor, run_dataset

from .conftest import BASE_CARD

SMALL = BASE_CARD.replace("seed = 1", "seed = 1\nchunk_size = 500")


def _digests(directory):
    """Chunk files by name (complete datasets at the top level, partial ones in _partial/)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.glob("part-*.parquet"))
        + sorted(directory.glob("_partial/part-*"))
    }


def test_serial_and_two_processes_give_identical_chunks(write_card, tmp_path):
    card = load_card(write_card(SMALL))
    run_dataset(card, tmp_path / "serial", n=2000)
    manifest = run_dataset(card, tmp_path / "procs", n=2000, executor=process_executor(2))
    assert manifest.missing == []
    serial = _digests(tmp_path / "serial")
    assert len(serial) == 4
    assert serial == _digests(tmp_path / "procs")
    table = pads.dataset(tmp_path / "procs", format="parquet").to_table()
    assert table.num_rows == 2000
    assert sorted(table["event_number"].to_pylist()) == list(range(2000))
    body = json.loads((tmp_path / "procs" / MANIFEST).read_text())
    assert body["complete"] and body["n_chunks"] == 4


def test_dask_local_cluster_gives_identical_chunks(write_card, tmp_path):
    import dask.distributed  # noqa: F401  (a test extra)

    card = write_card(SMALL)
    assert main(["run", str(card), "-n", "1000", "-o", f"{tmp_path / 'serial'}/", "-q"]) == 0
    assert (
        main(
            [
                "run",
                str(card),
                "-n",
                "1000",
                "-o",
                f"{tmp_path / 'dask'}/",
                "-q",
                "--dask",
                "local",
                "--jobs",
                "2",
            ]
        )
        == 0
    )
    assert _digests(tmp_path / "serial") == _digests(tmp_path / "dask")


_FORKED_DASK = """
import multiprocessing, os
from alpsim.dataset import _fork_is_safe, dask_executor

def name(_):
    return multiprocessing.current_process().name

def children():
    out = []
    for e in os.listdir("/proc"):
        try:
            status = open(f"/proc/{e}/status").read() if e.isdigit() else ""
        except OSError:
            continue
        f = dict(ln.split(":", 1) for ln in status.splitlines() if ":" in ln)
        if f.get("PPid", "").strip() == str(os.getpid()) and "Z" not in f.get("State", ""):
            out.append(e)
    return out

if __name__ == "__main__":
    assert _fork_is_safe()
    names = set(dask_executor("local", 2)(name, list(range(6))))
    assert names and names <= {"alpsim-dask-worker-0", "alpsim-dask-worker-1"}, names
    assert not children(), children()
    print("ok")
"""


def test_dask_local_workers_are_forked_and_reaped(tmp_path):
    """--dask local forks its workers from the single-threaded parent (no re-import, kernels
    loaded) and leaves no worker process behind. In a fresh process: dask's shared event-loop
    thread outlives a client, so a process that used dask before spawns instead."""
    pytest.importorskip("dask.distributed")
    if not sys.platform.startswith("linux"):
        pytest.skip("forked workers: Linux only")
    script = tmp_path / "forked_dask.py"
    script.write_text(_FORKED_DASK)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_existing_dataset_needs_resume_or_force(write_card, tmp_path, capsys):
    card = write_card(SMALL)
    out = tmp_path / "ds"
    assert main(["run", str(card), "-n", "1000", "-o", f"{out}/", "-q"]) == 0
    assert main(["run", str(card), "-n", "1000", "-o", str(out), "-q"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["run", str(card), "-n", "1000", "-o", str(out), "-q", "--force"]) == 0
    # resuming a different run into the same directory is refused
    assert main(["run", str(card), "-n", "1500", "-o", str(out), "-q", "--resume"]) == 2


def test_resume_after_kill_9_finishes_identically(write_card, tmp_path):
    card = write_card(SMALL.replace("chunk_size = 500", "chunk_size = 20000"))
    ref = tmp_path / "ref"
    assert main(["run", str(card), "-n", "200000", "-o", f"{ref}/", "-q"]) == 0
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "alpsim", "run", str(card), "-n", "200000", "-o", f"{out}/", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline and len(_digests(out)) < 2:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = _digests(out)
    assert 2 <= len(finished) < 10, "the kill should interrupt the run part-way"
    assert all(v == _digests(ref)[k] for k, v in finished.items())  # only complete files
    assert main(["run", str(card), "-n", "200000", "-o", str(out), "-q", "--resume"]) == 0
    assert _digests(out) == _digests(ref)
    assert not list(out.rglob(".*tmp*"))
    assert not (out / "_partial").exists()
    assert json.loads((out / MANIFEST).read_text())["complete"]


def test_parquet_file_output_refused_for_parallel_runs(write_card, tmp_path, capsys):
    code = main(
        [
            "run",
            str(write_card(SMALL)),
            "-n",
            "100",
            "-o",
            str(tmp_path / "x.parquet"),
            "--jobs",
            "2",
            "-q",
        ]
    )
    assert code == 2
    assert "dataset" in capsys.readouterr().err


def test_ctrl_c_leaves_no_partial_file(write_card, tmp_path):
    card = write_card(SMALL.replace("chunk_size = 500", "chunk_size = 20000"))
    out = tmp_path / "x.parquet"
    proc = subprocess.Popen(
        [sys.executable, "-m", "alpsim", "run", str(card), "-n", "2000000", "-o", str(out), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".x.parquet.alpsim-tmp.*")):
        time.sleep(0.05)  # wait until the temporary file is being written
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.toml"]


def test_force_puts_the_old_dataset_back_when_the_new_run_fails(write_card, tmp_path):
    card = load_card(write_card(SMALL))
    out = tmp_path / "ds"
    run_dataset(card, out, n=1000)
    before = _digests(out)

    def unreachable(fn, tasks):  # e.g. a Dask scheduler that does not answer
        raise OSError("Timed out trying to connect")
        yield

    with pytest.raises(OSError):
        run_dataset(card, out, n=1000, seed=2, force=True, executor=unreachable)
    assert _digests(out) == before and json.loads((out / MANIFEST).read_text())["complete"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.toml", "ds"]  # nothing aside
    run_dataset(card, out, n=1000, seed=2, force=True)
    assert _digests(out) != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.toml", "ds"]


def test_manifest_stays_small_for_any_n(write_card, tmp_path):
    from alpsim.dataset import MAX_CHUNKS, Manifest

    card = load_card(write_card(SMALL.replace("chunk_size = 500", "chunk_size = 10000000")))
    manifest = Manifest(tmp_path, card, MAX_CHUNKS * 10_000_000, 1)
    manifest.done = {i: {"events": 10_000_000} for i in range(0, MAX_CHUNKS, 2)}  # worst case
    manifest.save()
    size = (tmp_path / MANIFEST).stat().st_size
    manifest.done = {}
    manifest.save()
    assert (tmp_path / MANIFEST).stat().st_size < 1000
    assert size < 3_000_000  # every other chunk missing: 50,000 ranges of two numbers


def test_resume_refuses_a_directory_that_is_not_a_dataset(write_card, tmp_path, capsys):
    card = write_card(SMALL)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine")
    code = main(["run", str(card), "-n", "1000", "-o", str(tmp_path / "home"), "--resume", "-q"])
    assert code == 2
    assert "not an alpsim dataset" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["notes.txt"]


def test_resume_takes_chunk_counts_from_the_files(write_card, tmp_path, capsys):
    """Chunks renamed into place before the manifest was updated (kill -9) are counted with
    the events their own metadata records."""
    card = load_card(write_card(SMALL))
    out = tmp_path / "ds"

    def three_then_die(fn, tasks):
        for task in tasks[:3]:
            fn(task)  # the files exist, the manifest never heard of them
        raise KeyboardInterrupt
        yield

    with pytest.raises(KeyboardInterrupt):
        run_dataset(card, out, n=1900, executor=three_then_die)
    assert json.loads((out / MANIFEST).read_text())["chunks_done"] == 0
    manifest = run_dataset(card, out, n=1900, resume=True)
    assert manifest.events_done == 1900 and manifest.missing == []
    assert sorted(d["events"] for d in manifest.done.values()) == [400, 500, 500, 500]
