"""Run cards: one TOML file per study, validated into typed objects before any event exists.

A run card names an experiment's detector card (shipped name such as "belle2", or a path
relative to the run card) instead of copying its numbers. Layout:

    [run]      events, seed, chunk_size, output, detector, and optionally sqrt_s (GeV) or
               resonance (particle name) to run the collider at another nominal √s
    [channel]  name, then the channel's own options (see each channel's `from_card`)
    [alp]      mass (GeV), ctau (mm) or width (GeV)
    [alp.decays]  final state = branching fraction, summing to 1
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import hepunits as u
from particle import Particle

from .cardreader import CardError, Table, load_toml
from .detector.config import DetectorSettings, load_detector, shipped_card
from .generator.alp_decays import SUPPORTED, TWO_BODY
from .generator.channels import CHANNELS
from .generator.channels.base import AlpSettings, Channel
from .pdg import HBARC_GEV_MM
from .pdg import mass as pdg_mass

MAX_CHUNK = 10_000_000


@dataclass(frozen=True)
class RunSettings:
    events: int
    seed: int
    chunk_size: int
    output: str | None
    sqrt_s: float | None  # nominal √s override (GeV); None: the detector card's beams


@dataclass(frozen=True)
class RunCard:
    """A validated run card, with its text (kept in every output's metadata)."""

    path: str
    text: str
    run: RunSettings
    channel: Channel
    alp: AlpSettings
    detector: DetectorSettings


def _collision_energy(t: Table) -> float | None:
    """Optional nominal √s of the run: `sqrt_s` in GeV, or `resonance` by particle name."""
    if t.has("sqrt_s") and t.has("resonance"):
        raise t.error("sqrt_s", "give either sqrt_s (GeV) or resonance (a particle name), not both")
    if t.has("resonance"):
        name = t.string("resonance")
        try:
            return Particle.from_name(name).mass * u.MeV / u.GeV
        except Exception:
            raise t.error(
                "resonance",
                f"= {name!r} is not a particle name known to `particle` "
                "(e.g. 'J/psi(1S)', 'psi(2S)', 'Upsilon(4S)')",
            ) from None
    return t.number("sqrt_s", None, lo=0.1, hi=20.0, unit="GeV")


def _run(t: Table) -> tuple[RunSettings, str]:
    settings = RunSettings(
        events=t.number("events", lo=1, hi=10**12, integer=True),
        seed=t.number("seed", lo=0, hi=2**63 - 1, integer=True),
        chunk_size=t.number("chunk_size", 100_000, lo=1, hi=MAX_CHUNK, integer=True),
        output=t.string("output", None),
        sqrt_s=_collision_energy(t),
    )
    detector = t.string("detector")
    t.done()
    return settings, detector


def _alp(t: Table, max_mass: float, channel: str) -> AlpSettings:
    mass = t.number("mass", lo=0.0, lo_open=True, unit="GeV")
    if mass >= max_mass:
        raise t.error(
            "mass",
            f"= {mass!r} GeV is kinematically forbidden for {channel}: "
            f"must be < {max_mass:.4f} GeV",
        )
    if t.has("ctau") and t.has("width"):
        raise t.error("ctau", "give either ctau (mm) or width (GeV), not both")
    if t.has("width"):
        width = t.number("width", lo=0.0, lo_open=True, unit="GeV")
        ctau = HBARC_GEV_MM / width
    else:
        ctau = t.number("ctau", lo=0.0, lo_open=True, unit="mm")
    decays_table = t.table("decays", default={"gamma gamma": 1.0})
    decays = {}
    for key in list(decays_table.data):
        if key not in SUPPORTED:
            allowed = ", ".join(repr(s) for s in SUPPORTED)
            raise decays_table.error(key, f"unknown ALP final state; allowed: {allowed}")
        br = decays_table.number(key, lo=0.0, hi=1.0)
        threshold = sum(pdg_mass(abs(p)) for p in TWO_BODY.get(key, ()))
        if br > 0 and mass <= threshold:
            raise decays_table.error(
                key,
                f"is closed: alp.mass = {mass!r} GeV is below the threshold {threshold:.4f} GeV",
            )
        decays[key] = br
    decays_table.done()
    if not decays or abs(sum(decays.values()) - 1.0) > 1e-6:
        raise CardError(
            decays_table.path,
            f"branching fractions {decays} must sum to 1, got {sum(decays.values()):.6g}",
            t.source,
        )
    t.done()
    return AlpSettings(mass=mass, ctau=ctau, decays=decays)


def resolve_detector(reference: str, card_path: Path) -> Path:
    """A detector card by shipped name ('belle2') or by path relative to the run card."""
    candidate = (
        (card_path.parent / reference) if not Path(reference).is_absolute() else Path(reference)
    )
    if candidate.suffix == ".toml" and candidate.is_file():
        return candidate
    shipped = shipped_card(reference)
    if shipped.is_file():
        return shipped
    raise CardError(
        "run.detector",
        f"= {reference!r}: no shipped detector card of that name "
        "(belle2, babar, bes3) and no such file",
        str(card_path),
    )


def load_card(path: str | Path) -> RunCard:
    """Read and validate a run card and the detector card it names."""
    path = Path(path)
    data, text = load_toml(path)
    top = Table(data, "", source=str(path))
    top.only("run", "channel", "alp")
    run, detector_ref = _run(top.table("run"))
    try:
        detector = load_detector(resolve_detector(detector_ref, path))
    except CardError as exc:
        raise CardError("run.detector", str(exc), str(path)) from None
    if run.sqrt_s is not None:
        detector = replace(detector, beams=detector.beams.at_sqrt_s(run.sqrt_s))
    channel_table = top.table("channel")
    name = channel_table.string("name", choices=sorted(CHANNELS))
    channel_cls = CHANNELS[name]
    alp = _alp(top.table("alp"), channel_cls.max_alp_mass(detector), name)
    channel = channel_cls.from_card(channel_table, alp, detector)
    channel_table.done()
    top.done()
    return RunCard(str(path), text, run, channel, alp, detector)
