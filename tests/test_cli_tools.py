"""`alpsim alp` and `alpsim info`."""

import pytest

from alpsim.cli import main


def test_alp_table_photon_coupled(capsys):
    assert main(["alp", "--mass", "1.0", "--g-agg", "1e-3"]) == 0
    out = capsys.readouterr().out
    # Γ(γγ) = g² m_a³/(64π) (Bauer, Neubert, Thamm, JHEP 12 (2017) 044) [calc]:
    # 4.97e-9 GeV at g = 1e-3 GeV⁻¹, m_a = 1 GeV
    line = next(ln for ln in out.splitlines() if ln.startswith("gamma gamma"))
    assert float(line.split()[2]) == pytest.approx(4.97e-9, rel=2e-3)


def test_alp_without_couplings_is_an_error(capsys):
    assert main(["alp", "--mass", "1.0"]) == 2
    assert "all couplings are zero" in capsys.readouterr().err


def test_info_on_parquet_and_dataset(default_card, tmp_path, capsys):
    assert (
        main(["run", str(default_card), "-n", "300", "-o", str(tmp_path / "a.parquet"), "-q"]) == 0
    )
    assert main(["run", str(default_card), "-n", "300", "-o", f"{tmp_path / 'ds'}/", "-q"]) == 0
    capsys.readouterr()
    for target in ("a.parquet", "ds"):
        assert main(["info", str(tmp_path / target)]) == 0
        out = capsys.readouterr().out
        assert "B+ -> K+ a" in out and "rows           : 300" in out
        assert "branching_fraction" in out


def test_info_missing_file(tmp_path, capsys):
    assert main(["info", str(tmp_path / "nope.parquet")]) == 2


def test_validate_forwards_to_the_suite(capsys, monkeypatch):
    from .conftest import REPO

    monkeypatch.chdir(REPO)
    monkeypatch.syspath_prepend(str(REPO))
    assert main(["validate", "--list"]) == 0
    assert "babar_mgg_resolution" in capsys.readouterr().out


def test_alp_takes_every_card_coupling(capsys):
    """Every key of [alp.couplings] is an option under the card's name; the widths equal
    those of the same couplings given as a card table."""
    from alpsim.card import COUPLING_KEYS, COUPLING_SHORTCUTS, card_couplings
    from alpsim.generator.alp import AlpModel, alp_table
    from alpsim.toml_fields import Table

    for key in (*COUPLING_KEYS, *COUPLING_SHORTCUTS):
        if key in ("c_ll", "c_qq"):
            continue  # shortcuts for several keys: covered below
        value = "1e-4" if key.startswith("g_") else "0.5"
        flag = f"--{key.replace('_', '-')}"
        assert main(["alp", "--mass", "2.0", flag, value]) == 0, key
        cli = capsys.readouterr().out
        table = Table({key: float(value), "Lambda": 1000.0}, "")
        widths = alp_table(AlpModel.from_couplings(2.0, card_couplings(table))).strip()
        assert cli.strip().startswith(widths), key  # the production-rate table follows
    assert main(["alp", "--mass", "1.0", "--c_tt", "1", "--c-ll", "1", "--m-chi", "0.1"]) == 0
    assert main(["alp", "--mass", "1.0", "--c-ll", "1", "--c-ee", "1"]) == 2
    assert "--c-ll" in capsys.readouterr().err


def test_alp_takes_scale_basis_and_running(capsys):
    """--scale, --basis and --running are the card's [alp.couplings] settings: the table equals
    that of the same card table and its header names them; a bad basis is exit 2."""
    from alpsim.card import card_couplings
    from alpsim.generator.alp import AlpModel, alp_table
    from alpsim.toml_fields import Table

    args = ["--g-agg", "1e-4", "--scale", "500", "--basis", "BNRST20", "--running", "leading-log"]
    assert main(["alp", "--mass", "1.0", *args]) == 0
    cli = capsys.readouterr().out
    assert "basis BNRST20 at scale 500 GeV" in cli and "running: leading-log" in cli
    card = {"g_agg": 1e-4, "scale": 500.0, "basis": "BNRST20", "running": "leading-log"}
    table = Table({**card, "Lambda": 1000.0}, "")
    assert cli.strip().startswith(alp_table(AlpModel.from_couplings(1.0, card_couplings(table))))
    assert main(["alp", "--mass", "1.0", "--g-agg", "1e-4", "--basis", "other"]) == 2
    assert "--basis" in capsys.readouterr().err


def test_alp_quiet_on_a_closed_pipe():
    """`alpsim alp ... | head -1`: exit 0, no traceback."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "alpsim", "alp", "--mass", "1", "--g-agg", "1e-4", "--c-mumu", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = proc.stdout.readline()
    proc.stdout.close()  # what head -1 does
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert first.startswith(b"ALP") and b"Traceback" not in err and b"BrokenPipe" not in err


def test_info_on_a_card_is_an_error(default_card, capsys):
    assert main(["info", str(default_card)]) == 2
    assert "is a run card, not a sample" in capsys.readouterr().err


def test_info_says_a_dataset_is_partial(write_card, tmp_path, capsys):
    from alpsim.card import load_card
    from alpsim.dataset import run_dataset

    from .conftest import BASE_CARD

    card = load_card(write_card(BASE_CARD.replace("seed = 1", "seed = 1\nchunk_size = 100")))

    def dies_after_one(fn, tasks):
        yield fn(tasks[0])
        raise RuntimeError("worker lost")

    with pytest.raises(RuntimeError):
        run_dataset(card, tmp_path / "ds", n=300, executor=dies_after_one)
    assert main(["info", str(tmp_path / "ds")]) == 0
    out = capsys.readouterr().out
    assert "PARTIAL: 1 of 3 chunks, 100 of 300 events" in out and "rows           : 100" in out


@pytest.mark.parametrize(
    ("output", "expect"),
    [
        ("out.hepmc", "--hepmc3"),
        ("out.hepmc3", "--hepmc3"),
        ("out.root", "--root"),
        ("out.pq", "NAME.parquet"),
        ("noext", "DIR/"),
        ("", "empty"),
    ],
)
def test_output_names(default_card, tmp_path, capsys, monkeypatch, output, expect):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(default_card), "-n", "10", "-o", output, "-q"]) == 2
    assert expect in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_parquet_in_any_case_is_a_file_and_a_slash_a_dataset(default_card, tmp_path):
    assert (
        main(["run", str(default_card), "-n", "10", "-o", str(tmp_path / "A.PARQUET"), "-q"]) == 0
    )
    assert (tmp_path / "A.PARQUET").is_file()
    # a trailing slash says "directory", whatever the name
    assert (
        main(["run", str(default_card), "-n", "10", "-o", f"{tmp_path / 'd.parquet'}/", "-q"]) == 0
    )
    assert (tmp_path / "d.parquet" / "part-00000.parquet").is_file()
    assert main(["run", str(default_card), "-n", "10", "-o", f"{tmp_path / 'ds'}/", "-q"]) == 0
    assert (tmp_path / "ds" / "part-00000.parquet").is_file()
    (tmp_path / "x.parquet").mkdir()  # an existing directory with a .parquet name
    assert main(["run", str(default_card), "-n", "10", "-o", str(tmp_path / "x.parquet")]) == 2


def test_same_file_for_two_outputs_is_refused(default_card, tmp_path, capsys):
    out = str(tmp_path / "y.parquet")
    assert main(["run", str(default_card), "-n", "10", "-o", out, "--hepmc3", out]) == 2
    hep = str(tmp_path / "y.hepmc3")
    assert main(["run", str(default_card), "-n", "10", "--hepmc3", hep, "--root", hep]) == 2
    assert "same file" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("n", ["inf", "1e400", "nan", "-1", "0", "1.5", "1e13"])
def test_event_counts(default_card, tmp_path, capsys, n):
    with pytest.raises(SystemExit) as exit_:  # argparse's exit
        main(["run", str(default_card), "-n", n, "-o", str(tmp_path / "x.parquet")])
    assert exit_.value.code == 2
    assert "-n/--events" in capsys.readouterr().err


def test_event_bounds_before_any_work(default_card, tmp_path, capsys):
    assert main(["run", str(default_card), "-n", "1e12", "-o", str(tmp_path / "x.parquet")]) == 2
    assert "at most 100,000,000" in capsys.readouterr().err
    assert main(["run", str(default_card), "-n", "1e12", "-o", f"{tmp_path / 'ds'}/"]) == 2
    assert "at most 100,000" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cards_that_are_not_text(tmp_path, capsys):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("[run]\n# caf\xe9\n".encode("latin-1"))
    assert main(["run", str(bad)]) == 2
    assert "latin1.toml" in capsys.readouterr().err
    assert main(["run", "/dev/zero"]) == 2
    err = capsys.readouterr().err
    assert "/dev/zero" in err and "larger than" in err


def test_verbose_and_quiet(default_card, tmp_path, capsys):
    assert (
        main(["run", str(default_card), "-n", "10", "-o", str(tmp_path / "a.parquet"), "-v"]) == 0
    )
    captured = capsys.readouterr()
    assert "alpsim: INFO:" in captured.err and "events generated" in captured.out
    assert (
        main(["run", str(default_card), "-n", "10", "-o", str(tmp_path / "b.parquet"), "-q"]) == 0
    )
    assert capsys.readouterr() == ("", "")


def test_scan_output_that_is_a_directory_fails_before_work(default_card, tmp_path, capsys):
    (tmp_path / "table.csv").mkdir()
    args = ["scan", str(default_card), "--ctau", "1,10", "-n", "100"]
    assert main([*args, "-o", str(tmp_path / "table.csv")]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert main([*args, "-o", str(tmp_path / "t.csv"), "--plot", str(tmp_path / "t.csv")]) == 2
    assert "same file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]
