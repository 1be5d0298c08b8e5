"""Shared fixtures: the shipped cards and small runs."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CARDS = REPO / "cards"


@pytest.fixture(scope="session")
def default_card() -> Path:
    return CARDS / "belle2_b2ka_gg.toml"


@pytest.fixture
def write_card(tmp_path: Path):
    """Write a run card into tmp_path; detector "belle2" resolves to the shipped card."""

    def _write(text: str, name: str = "card.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write


BASE_CARD = """
[run]
events = 1000
seed = 1
detector = "belle2"

[channel]
name = "B+ -> K+ a"
branching_fraction = 1e-6

[alp]
mass = 1.0
ctau = 1.0

[alp.decays]
"gamma gamma" = 1.0
"""
