"""Acceptance versus lifetime by reweighting one log-uniform sample per mass."""

import numpy as np
import pytest

from alpsim.card import load_card
from alpsim.cli import main
from alpsim.scan import card_at_mass, parse_ctau_grid, scan

from .conftest import BASE_CARD

WINDOW = (
    BASE_CARD
    + """
[selection]
require = []
[selection.cuts]
alp_proper_length = [0.0, 2.0]
"""
)


def test_ctau_grid_parsing():
    np.testing.assert_allclose(parse_ctau_grid("1e-3:1e5:9"), np.geomspace(1e-3, 1e5, 9))
    np.testing.assert_allclose(parse_ctau_grid("1,10"), [1.0, 10.0])
    for bad in ("1:0:3", "a:b:c", "1,-2", "1e-3:1e5:0"):
        with pytest.raises(ValueError, match="--ctau"):
            parse_ctau_grid(bad)


def test_reweighted_efficiency_matches_analytic(write_card):
    # Selection: proper decay length below 2 mm; its efficiency at cτ is 1 − exp(−2/cτ).
    card = load_card(write_card(WINDOW))
    ctaus = np.array([0.1, 1.0, 10.0, 1000.0])
    points = scan(card, ctaus, n=60_000)
    for p in points:
        expected = 1 - np.exp(-2.0 / p.ctau)
        assert abs(p.efficiency - expected) < 5 * p.error + 1e-3, (p, expected)
        assert p.error < 0.05 * max(expected, 0.01) + 1e-3


def test_scan_mass_variation_is_validated(write_card):
    card = load_card(write_card(WINDOW))
    from alpsim.toml_fields import CardError

    with pytest.raises(CardError, match=r"alp\.mass"):
        card_at_mass(card, 6.0, np.array([1.0]))


def test_scan_cli_writes_table_and_plot(write_card, tmp_path):
    card = write_card(BASE_CARD)
    out = tmp_path / "eff.csv"
    code = main(
        [
            "scan",
            str(card),
            "--ctau",
            "1:1000:4",
            "--mass",
            "0.5,1.5",
            "-n",
            "2000",
            "-o",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    rows = out.read_text().strip().splitlines()
    assert rows[0] == "mass_GeV,ctau_mm,efficiency,error,n_events"
    assert len(rows) == 1 + 2 * 4
    assert (tmp_path / "eff.png").stat().st_size > 1000


def test_scan_bad_selection_column_exit_two(write_card, tmp_path, capsys):
    card = write_card(BASE_CARD + '\n[selection]\nrequire = ["trg_nonexistent"]\n')
    code = main(["scan", str(card), "--ctau", "1,10", "-n", "100", "-o", str(tmp_path / "s.csv")])
    assert code == 2
    assert "selection.require" in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists()


def test_scan_same_table_on_two_processes(write_card):
    from alpsim.dataset import process_executor

    card = load_card(write_card(WINDOW.replace("seed = 1", "seed = 1\nchunk_size = 1000")))
    ctaus = np.array([0.5, 5.0])
    serial = scan(card, ctaus, masses=[0.5, 1.0], n=3000)
    procs = scan(card, ctaus, masses=[0.5, 1.0], n=3000, executor=process_executor(2))
    assert [(p.mass, p.ctau, p.efficiency, p.error) for p in serial] == [
        (p.mass, p.ctau, p.efficiency, p.error) for p in procs
    ]


def test_scan_with_invisible_and_visible_final_states(write_card):
    """Blocks without an ALP decay (a → invisible) keep weight 1 at every cτ; the others are
    reweighted, whatever the block order."""
    text = WINDOW.replace('"gamma gamma" = 1.0', '"gamma gamma" = 0.5\n"invisible" = 0.5')
    card = load_card(write_card(text))
    points = scan(card, np.array([0.5, 50.0]), n=20_000)
    # the cut on the proper decay length fails the invisible half (no decay: NaN length); the
    # visible half passes with probability 1 − exp(−2/cτ)
    for p in points:
        expected = 0.5 * (1 - np.exp(-2.0 / p.ctau))
        assert abs(p.efficiency - expected) < 5 * p.error + 5e-3, (p, expected)


def test_mass_points_are_independent(write_card):
    from alpsim.scan import mass_seed

    assert mass_seed(1, 0) != mass_seed(1, 1)
    assert mass_seed(1, 0) == mass_seed(1, 0)
