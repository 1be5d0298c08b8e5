"""Shared fixtures: the shipped cards and small runs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from alpsim.generator.beams import BeamDraw, BeamSettings, load_collider

REPO = Path(__file__).resolve().parents[1]
CARDS = REPO / "cards"


@pytest.fixture(scope="session")
def default_card() -> Path:
    return CARDS / "belle2_b2ka_gg.toml"


@pytest.fixture(scope="session")
def belle2():
    """The shipped Belle II detector card, validated (detector settings)."""
    from alpsim.detector.config import load_detector

    return load_detector(CARDS / "belle2.toml")


@pytest.fixture
def write_card(tmp_path: Path):
    """Write a run card into tmp_path; detector "belle2" resolves to the shipped card."""

    def _write(text: str, name: str = "card.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write


def edited_belle2(folder: Path, old: str, new: str) -> Path:
    """The shipped belle2.toml with `old` replaced once by `new`, written into `folder` (a
    detector card with one bad field)."""
    text = (CARDS / "belle2.toml").read_text()
    assert old in text
    path = folder / "det.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def simulate_card_text(folder: Path, text: str, seed: int, n: int) -> tuple:
    """A run card written into `folder`, loaded, and one chunk of `n` events simulated:
    (card, truth record, reconstruction)."""
    from alpsim.card import load_card
    from alpsim.runner import simulate_chunk

    path = folder / "card.toml"
    path.write_text(text)
    card = load_card(path)
    record, reco = simulate_chunk(card, seed, 0, 0, n)
    return card, record, reco


def run_card_text(
    *, events: int = 1000, seed: int = 1, ctau: float = 1.0, decays: str = '"gamma gamma" = 1.0'
) -> str:
    """A small B+ → K+ a run card on the shipped Belle II detector (ALP of 1 GeV)."""
    return f"""
[run]
events = {events}
seed = {seed}
detector = "belle2"

[channel]
name = "B+ -> K+ a"
branching_fraction = 1e-6

[alp]
mass = 1.0
ctau = {ctau}

[alp.decays]
{decays}
"""


BASE_CARD = run_card_text()


def coupling_card_text(couplings: str) -> str:
    """BASE_CARD with the ALP given by [alp.couplings] (the lines `couplings`) instead of cτ,
    decays and a model-independent branching fraction."""
    return (
        BASE_CARD.replace("ctau = 1.0\n", "")
        .replace("branching_fraction = 1e-6\n", "")
        .replace('[alp.decays]\n"gamma gamma" = 1.0', f"[alp.couplings]\n{couplings}")
    )


def _shipped_beams(name: str) -> BeamSettings:
    return load_collider(CARDS / f"{name}.toml")


#: The collider of the shipped Belle II card (cards/belle2.toml [beams]).
BELLE2_BEAMS = _shipped_beams("belle2")
#: The same beams without energy spreads and with a point-like luminous region.
BELLE2_NO_SPREAD = replace(
    BELLE2_BEAMS, e_minus_energy_spread=0.0, e_plus_energy_spread=0.0, spot_sigma=(0.0, 0.0, 0.0)
)


def head_on_beams(n: int) -> BeamDraw:
    """n head-on collisions of a 7 GeV e− (+z) and a 4 GeV e+ (−z), massless, at the origin:
    the beams of a record block for tests of a decay alone."""
    e = np.zeros((n, 4))
    e[:, 2] = e[:, 3] = 7.0
    p = np.zeros((n, 4))
    p[:, 2], p[:, 3] = -4.0, 4.0
    return BeamDraw(e, p, np.zeros((n, 4)))


def density_chi2(
    sample: np.ndarray, edges: np.ndarray, grid: np.ndarray, dens: np.ndarray
) -> tuple[float, int]:
    """χ² of the histogram of `sample` in `edges` against the density `dens` tabulated on the
    fine `grid` (trapezoid CDF, normalised to the sample size), over bins expecting > 5, and the
    number of those bins."""
    cdf = np.concatenate([[0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))])
    expect = np.diff(np.interp(edges, grid, cdf)) / cdf[-1] * len(sample)
    obs, _ = np.histogram(sample, edges)
    ok = expect > 5
    return float(np.sum((obs[ok] - expect[ok]) ** 2 / expect[ok])), int(ok.sum())
