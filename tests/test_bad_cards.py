"""The corpus of bad cards in tests/bad_cards/: each rejected with exit code 2, before any
work, with a message naming the field given in its first line (`# expect: <field>`) and, if
its second line is `# message: <text>`, holding that text (the value and the allowed range)."""

from pathlib import Path

import pytest

from alpsim.cli import main

CORPUS = sorted((Path(__file__).parent / "bad_cards").glob("*.toml"))


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("card", CORPUS, ids=[c.stem for c in CORPUS])
def test_bad_card_rejected_naming_the_field(card, tmp_path, capsys):
    lines = card.read_text().splitlines()
    field = lines[0].removeprefix("# expect:").strip()
    message = (
        lines[1].removeprefix("# message:").strip() if lines[1].startswith("# message:") else ""
    )
    out = tmp_path / "out.parquet"
    assert main(["run", str(card), "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("alpsim: error:")
    quoted = f"'{field}'"
    assert quoted in err or (field == "<syntax>" and "not valid TOML" in err), err
    assert message in err, err
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_directory(default_card, tmp_path, monkeypatch, capsys):
    # CI runs as root, which ignores permission bits: the access check itself is what we test
    import alpsim.runner

    real_access = alpsim.runner.os.access
    monkeypatch.setattr(
        alpsim.runner.os, "access", lambda p, mode: False if mode == 2 else real_access(p, mode)
    )
    assert main(["run", str(default_card), "-n", "10", "-o", str(tmp_path / "x.parquet")]) == 2
    assert "not writable" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _run_fails_with_disk_full_and_leaves_nothing(default_card, tmp_path, capsys) -> None:
    """Run 5 chunks of 100 events to a Parquet file: exit 1, ENOSPC reported, no file left."""
    text = default_card.read_text().replace("chunk_size = 40000", "chunk_size = 100")
    card = tmp_path / "card.toml"
    card.write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["run", str(card), "-n", "500", "-o", str(out / "x.parquet"), "-q"]) == 1
    assert "No space left" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_disk_full_during_writing_fails_cleanly(default_card, tmp_path, monkeypatch, capsys):
    import errno

    from alpsim.detector.writers import parquet

    original = parquet.ParquetWriter.write
    calls = {"n": 0}

    def full(self, record, reco=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, record, reco)

    monkeypatch.setattr(parquet.ParquetWriter, "write", full)
    _run_fails_with_disk_full_and_leaves_nothing(default_card, tmp_path, capsys)


@pytest.mark.parametrize("failing_call", [2, 5])  # a middle chunk, the last chunk
def test_disk_full_on_the_writer_thread_fails_cleanly(
    default_card, tmp_path, monkeypatch, capsys, failing_call
):
    """Arrow's own write fails on the background writer thread: the error reaches the run
    (at the next chunk or at close) and no file is left behind."""
    import errno

    import pyarrow.parquet as pq

    original = pq.ParquetWriter.write_table
    calls = {"n": 0}

    def full(self, table, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == failing_call:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    _run_fails_with_disk_full_and_leaves_nothing(default_card, tmp_path, capsys)
