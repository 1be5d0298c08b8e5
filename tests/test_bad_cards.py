"""The corpus of bad cards in tests/bad_cards/: each rejected with exit code 2, before any
work, with a message naming the field given in its first line (`# expect: <field>`) and, if
its second line is `# message: <text>`, holding that text (the value and the allowed range)."""

from pathlib import Path

import pytest

from alpsim.cli import main
from alpsim.detector.config import load_detector
from alpsim.toml_fields import CardError

from .conftest import edited_belle2

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


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        # [material]: ordered layers inside the calorimeter, each value in its declared range
        ("radius = 22.0,", "radius = 12.0,", "'material.layers[2].radius'"),
        ("x_over_x0 = 0.0079", "x_over_x0 = -0.01", "'material.layers[0].x_over_x0'"),
        ('kind = "beam_pipe"', 'kind = "pipe"', "'material.layers[0].kind'"),
        ("z = [-29.0, 51.0]", "z = [51.0, -29.0]", "'material.layers[0].z'"),
        ("radius = 1200.0,", "radius = 1300.0,", "'material.layers[11].radius'"),
        ("enabled = true\nbrems", "enabled = 1\nbrems", "'material.enabled'"),
        # [calorimeter]: regions tile the acceptance, tails and the shower model are consistent
        ("forward_endcap = [12.4, 31.4]", "forward_endcap = [12.4, 40.0]", "theta_regions"),
        ("tail_n = 5.0", "tail_n = 1.0", "tail_n"),
        ("crystal_size = 60.0 ", "crystal_size = 0.0 ", "crystal_size"),
        ("tail_alpha = 1.5", "tail_alpha = -1.0", "tail_alpha"),
        ("local_maximum_energy = 0.010", "local_maximum_energy = 2.0", "local_maximum_energy"),
        ("[calorimeter.theta_regions]", "[calorimeter.region.middle]\nnoise_term = 0.1\n\n"
         "[calorimeter.theta_regions]", "middle"),
        # [tracking]: the "impact" displaced-track model, its keys in range and alone
        ("global_max_d0 = 55.0", "global_max_d0 = -5.0", "'tracking.global_max_d0'"),
        ("local_efficiency = 0.15", "local_efficiency = 1.5", "'tracking.local_efficiency'"),
        ("local_efficiency = 0.15", "local_efficiency = 0.15\nfull_efficiency_drift_hits = 20\n",
         "'tracking.full_efficiency_drift_hits'"),
        ("efficiency_table = [0.98, 0.98, 0.0]", "efficiency_table = [0.98, 0.98, 0.1]",
         "'tracking.efficiency_table'"),
        ('efficiency_model = "impact"', 'efficiency_model = "table"', "'tracking.global_max_d0'"),
        ('efficiency_model = "impact"', 'efficiency_model = "d0"', "'tracking.efficiency_model'"),
    ],
)  # fmt: skip
def test_bad_detector_field_is_named(tmp_path, old, new, field):
    """One field of the shipped Belle II card made bad: the error names it."""
    with pytest.raises(CardError) as err:
        load_detector(edited_belle2(tmp_path, old, new))
    assert field in str(err.value)
