"""Every experiment with a shipped detector card is named wherever the experiments are listed:
the CLI help, the README, the guide's home page and the error for an unknown detector."""

from __future__ import annotations

import pytest

from alpsim.card import resolve_detector
from alpsim.cli import build_parser
from alpsim.toml_fields import CardError, load_toml

from .conftest import CARDS, REPO


def _experiments() -> dict[str, str]:
    """{card stem: [detector] name} of the shipped detector cards."""
    out = {}
    for path in sorted(CARDS.glob("*.toml")):
        data, _ = load_toml(path)
        if "detector" in data:
            out[path.stem] = data["detector"]["name"]
    return out


def test_there_are_four_experiments():
    assert set(_experiments().values()) == {"Belle II", "Belle", "BaBar", "BESIII"}


def _listed(text: str, names: list[str]) -> list[str]:
    """Names absent from `text` (line breaks folded); "Belle" must stand alone, not only in
    "Belle II"."""
    flat = " ".join(text.split())
    missing = []
    for name in names:
        rest = flat.replace("Belle II", "") if name == "Belle" else flat
        if name not in rest:
            missing.append(name)
    return missing


def test_cli_help_names_every_experiment():
    assert not _listed(build_parser().format_help(), list(_experiments().values()))


@pytest.mark.parametrize("page", ["README.md", "docs/index.md"])
def test_introductions_name_every_experiment(page):
    intro = (REPO / page).read_text(encoding="utf-8")[:600]
    assert not _listed(intro, list(_experiments().values()))


def test_unknown_detector_error_lists_every_shipped_card(tmp_path):
    with pytest.raises(CardError) as err:
        resolve_detector("no-such-detector", tmp_path / "card.toml")
    for stem in _experiments():
        assert stem in str(err.value)


def test_name_check_can_fail():
    assert _listed("Belle II, BaBar, BESIII", ["Belle II", "Belle", "BaBar"]) == ["Belle"]
