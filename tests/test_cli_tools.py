"""`alpsim alp` and `alpsim info`."""

import pytest

from alpsim.cli import main


def test_alp_table_photon_coupled(capsys):
    assert main(["alp", "--mass", "1.0", "--g-agg", "1e-3"]) == 0
    out = capsys.readouterr().out
    # REFERENCES.md §2: Γ(γγ) = 4.97e-9 GeV at g = 1e-3 GeV⁻¹, m_a = 1 GeV
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
