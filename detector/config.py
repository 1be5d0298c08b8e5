"""Detector cards (cards/belle2.toml, ...): parsed and validated into typed settings.

Every number in a detector card carries its source in a comment next to it (REFERENCES.md);
this module only checks that the numbers are usable, naming the field when they are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..cardreader import Table, load_toml
from ..generator.beams import BeamSettings

MRAD = 1e-3


@dataclass(frozen=True)
class CalorimeterSettings:
    """Electromagnetic calorimeter: a cylinder with end caps, resolution and acceptance."""

    inner_radius: float  # mm, barrel front face
    z_forward: float  # mm, forward end-cap front face
    z_backward: float  # mm, backward end-cap front face (negative)
    theta_regions: tuple[tuple[float, float], ...]  # rad, lab polar-angle coverage
    noise: float  # σ_E/E term ∝ 1/E
    stochastic: float  # σ_E/E term ∝ 1/E^{1/4} (CsI(Tl) parametrisation)
    constant: float  # σ_E/E constant term
    position_resolution: tuple[float, float, float]  # mm: a + b/√E + c/E^{1/4}
    energy_threshold: float  # GeV

    def relative_energy_resolution(self, energy: np.ndarray) -> np.ndarray:
        """σ_E/E = noise/E ⊕ stochastic/E^{1/4} ⊕ constant (terms added in quadrature)."""
        e = np.maximum(energy, 1e-6)
        return np.sqrt((self.noise / e) ** 2 + (self.stochastic / e**0.25) ** 2 + self.constant**2)

    def position_sigma(self, energy: np.ndarray) -> np.ndarray:
        """Cluster position resolution in mm on the calorimeter surface."""
        a, b, c = self.position_resolution
        e = np.maximum(energy, 1e-6)
        return a + b / np.sqrt(e) + c / e**0.25


@dataclass(frozen=True)
class TrackingSettings:
    """Tracker: polar acceptance and transverse-momentum resolution."""

    theta_range: tuple[float, float]  # rad, lab polar-angle coverage
    inner_radius: float  # mm, first layer used for track finding
    outer_radius: float  # mm, last layer
    pt_resolution: tuple[float, float]  # σ_pT/pT = a·pT ⊕ b/β (pT in GeV)
    min_pt: float  # GeV, below which no track is found

    def relative_pt_resolution(self, pt: np.ndarray, beta: np.ndarray) -> np.ndarray:
        a, b = self.pt_resolution
        return np.sqrt((a * pt) ** 2 + (b / beta) ** 2)


@dataclass(frozen=True)
class DetectorSettings:
    """One experiment: beams, field and the settings of each detector stage."""

    name: str
    path: str
    text: str
    solenoid_field: float  # T
    beams: BeamSettings
    calorimeter: CalorimeterSettings
    tracking: TrackingSettings


def _angle_range(t: Table, key: str) -> tuple[float, float]:
    lo, hi = t.numbers(key, 2, lo=0.0, unit="deg")
    if not lo < hi <= 180.0:
        raise t.error(key, f"= [{lo:g}, {hi:g}] must satisfy 0 <= low < high <= 180 degrees")
    return np.radians(lo), np.radians(hi)


def _beams(t: Table) -> BeamSettings:
    spot = t.numbers("luminous_region_sigma", 3, lo=0.0, unit="mm")
    beams = BeamSettings(
        e_minus_energy=t.number("e_minus_energy", lo=0.0, lo_open=True, unit="GeV"),
        e_plus_energy=t.number("e_plus_energy", lo=0.0, lo_open=True, unit="GeV"),
        e_minus_angle=t.number("e_minus_angle", 0.0, lo=0.0, hi=200.0, unit="mrad") * MRAD,
        e_plus_angle=t.number("e_plus_angle", 0.0, lo=0.0, hi=200.0, unit="mrad") * MRAD,
        e_minus_energy_spread=t.number("e_minus_energy_spread", 0.0, lo=0.0, hi=0.1, unit="GeV"),
        e_plus_energy_spread=t.number("e_plus_energy_spread", 0.0, lo=0.0, hi=0.1, unit="GeV"),
        spot_sigma=spot,
    )
    t.done()
    return beams


def _calorimeter(t: Table) -> CalorimeterSettings:
    regions_table = t.table("theta_regions")
    regions = tuple(_angle_range(regions_table, k) for k in list(regions_table.data))
    regions_table.done()
    if not regions:
        raise t.error("theta_regions", "needs at least one polar-angle region")
    cal = CalorimeterSettings(
        inner_radius=t.number("inner_radius", lo=0.0, lo_open=True, unit="mm"),
        z_forward=t.number("z_forward", lo=0.0, lo_open=True, unit="mm"),
        z_backward=t.number("z_backward", hi=0.0, hi_open=True, unit="mm"),
        theta_regions=regions,
        noise=t.number("noise_term", lo=0.0, hi=1.0),
        stochastic=t.number("stochastic_term", lo=0.0, hi=1.0),
        constant=t.number("constant_term", lo=0.0, hi=1.0),
        position_resolution=t.numbers("position_resolution", 3, lo=0.0, unit="mm"),
        energy_threshold=t.number("energy_threshold", lo=0.0, hi=10.0, unit="GeV"),
    )
    t.done()
    return cal


def _tracking(t: Table) -> TrackingSettings:
    inner = t.number("inner_radius", lo=0.0, lo_open=True, unit="mm")
    trk = TrackingSettings(
        theta_range=_angle_range(t, "theta_range"),
        inner_radius=inner,
        outer_radius=t.number("outer_radius", lo=inner, lo_open=True, unit="mm"),
        pt_resolution=t.numbers("pt_resolution", 2, lo=0.0),
        min_pt=t.number("min_pt", lo=0.0, hi=10.0, unit="GeV"),
    )
    t.done()
    return trk


def shipped_card(name: str) -> Path:
    """Path of a detector card shipped with alpsim (e.g. 'belle2')."""
    from importlib.resources import files

    return Path(str(files("alpsim.cards").joinpath(f"{name}.toml")))


def load_detector(path: str | Path) -> DetectorSettings:
    """Read and validate a detector card."""
    data, text = load_toml(path)
    top = Table(data, "", source=str(path))
    det = top.table("detector")
    name = det.string("name")
    field = det.number("solenoid_field", lo=0.0, hi=10.0, unit="T")
    det.done()
    settings = DetectorSettings(
        name=name,
        path=str(path),
        text=text,
        solenoid_field=field,
        beams=_beams(top.table("beams")),
        calorimeter=_calorimeter(top.table("calorimeter")),
        tracking=_tracking(top.table("tracking")),
    )
    top.done()
    return settings
