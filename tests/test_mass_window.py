"""[selection.mass_window]: a signal region that follows the ALP mass of the run and of each
point of a mass scan; bad fields are card errors naming the field."""

import numpy as np
import pytest

from alpsim.card import load_card
from alpsim.scan import scan
from alpsim.toml_fields import CardError

from .conftest import BASE_CARD


def window_card(column: str = "a_M", masses: str = "[0.1, 4.0]", widths: str = "[0.05, 0.05]"):
    return (
        BASE_CARD
        + f"""
[selection]
require = ["reconstructed"]
[selection.mass_window]
column = "{column}"
masses = {masses}
half_widths = {widths}
"""
    )


def test_window_follows_the_mass_in_a_scan(write_card):
    # ±50 MeV around m_a keeps most prompt a → γγ candidates at both masses; a fixed
    # [selection.cuts] range could only hold one of them.
    card = load_card(write_card(window_card()))
    points = scan(card, np.array([1e-3]), masses=[0.5, 2.0], n=4000)
    wide = load_card(
        write_card(BASE_CARD + '\n[selection]\nrequire = ["reconstructed"]\n', "w.toml")
    )
    ref = scan(wide, np.array([1e-3]), masses=[0.5, 2.0], n=4000)
    for p, r in zip(points, ref, strict=True):
        assert 0.8 * r.efficiency < p.efficiency <= r.efficiency


def test_narrow_window_rejects_nearly_everything(write_card):
    card = load_card(write_card(window_card(widths="[1e-6, 1e-6]")))
    (p,) = scan(card, np.array([1e-3]), n=4000)
    assert p.efficiency < 0.01


def test_half_width_is_interpolated_in_mass(write_card):
    card = load_card(write_card(window_card(masses="[1.0, 3.0]", widths="[0.01, 0.03]")))
    w = card.selection.mass_window
    assert w.half_width(2.0) == pytest.approx(0.02)
    assert w.half_width(0.2) == pytest.approx(0.01) and w.half_width(4.0) == pytest.approx(0.03)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"masses": "[2.0, 1.0]"}, "selection.mass_window.masses"),
        ({"widths": "[0.01]"}, "selection.mass_window.half_widths"),
        ({"widths": "[0.01, -0.02]"}, "selection.mass_window.half_widths"),
        ({"column": ""}, "selection.mass_window.column"),
    ],
)
def test_bad_window_names_the_field(write_card, fields, named):
    with pytest.raises(CardError) as err:
        load_card(write_card(window_card(**fields)))
    assert named in str(err.value)


def test_unknown_window_column_is_named_before_any_work(write_card, capsys):
    from alpsim.cli import main

    path = write_card(window_card(column="no_such_mass"))
    assert main(["run", str(path), "-n", "10", "-o", str(path.with_suffix(".parquet"))]) == 2
    assert "selection.mass_window.column" in capsys.readouterr().err
