"""The cards shipped with alpsim: detector cards (belle2, babar, bes3, belle) and run cards."""

from __future__ import annotations

from pathlib import Path


def shipped_card(name: str) -> Path:
    """Path of a card shipped with alpsim, by name without ``.toml`` (e.g. 'belle2')."""
    from importlib.resources import files

    return Path(str(files("alpsim.cards").joinpath(f"{name}.toml")))
