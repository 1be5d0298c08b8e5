"""Colliding beams: event-by-event e− and e+ four-momenta and the primary vertex.

Conventions: the lab z axis is the solenoid axis; the e− beam travels towards +z at angle
`e_minus_angle` to it in the x–z plane, the e+ beam towards −z at `e_plus_angle`, both
tilted towards +x (SuperKEKB's 83 mrad crossing is 41.5 mrad each, basf2 beam presets;
BEPCII's 22 mrad is 11 mrad each). Beam energies are Gaussian-smeared by their spreads,
so √s and the boost vary event by event.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numba
import numpy as np
from numpy.typing import NDArray

from ..pdg import mass as pdg_mass
from ..toml_fields import Field, Table, field_map, load_toml
from .kinematics import boost, velocity

ELECTRON = 11
MRAD = 1e-3  # angles in the cards are in mrad


@dataclass(frozen=True)
class BeamSettings:
    """Beam parameters of one collider (detector card section [beams]); GeV, rad, mm."""

    e_minus_energy: float
    e_plus_energy: float
    e_minus_angle: float = 0.0
    e_plus_angle: float = 0.0
    e_minus_energy_spread: float = 0.0
    e_plus_energy_spread: float = 0.0
    spot_sigma: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def nominal(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Nominal e− and e+ four-momenta (no energy spread), shape (4,) each."""
        return _beam_p4(np.array([self.e_minus_energy]), self.e_minus_angle, +1)[0], _beam_p4(
            np.array([self.e_plus_energy]), self.e_plus_angle, -1
        )[0]

    def at_sqrt_s(self, sqrt_s: float) -> BeamSettings:
        """The same collider run at another nominal √s: both beam energies and their spreads
        scaled by one factor, keeping the boost and the relative spread (massless beams)."""
        k = sqrt_s / self.nominal_cms()[0]
        return replace(
            self,
            e_minus_energy=self.e_minus_energy * k,
            e_plus_energy=self.e_plus_energy * k,
            e_minus_energy_spread=self.e_minus_energy_spread * k,
            e_plus_energy_spread=self.e_plus_energy_spread * k,
        )

    def nominal_cms(self) -> tuple[float, NDArray[np.float64]]:
        """Nominal √s and the velocity β of the centre-of-mass frame in the lab."""
        em, ep = self.nominal()
        tot = em + ep
        sqrt_s = float(np.sqrt(tot[3] ** 2 - np.sum(tot[:3] ** 2)))
        return sqrt_s, velocity(tot)


def _beam_p4(energy: NDArray[np.float64], angle: float, direction: int) -> NDArray[np.float64]:
    """Four-momenta of beam particles of given energies moving along ±z tilted by `angle` to +x
    (the compiled _beam_p4_kernel: p = √(E² − m_e²), (p sin α, 0, ±p cos α, √(p² + m_e²)))."""
    out = np.empty((energy.shape[0], 4))
    m = pdg_mass(ELECTRON)
    _beam_p4_kernel(energy, float(np.sin(angle)), float(direction * np.cos(angle)), m, out)
    return out


@numba.njit(cache=True)
def _beam_p4_kernel(energy, sin_a, dir_cos_a, m, out):  # pragma: no cover - compiled
    """_beam_p4 in one pass, with the operations (and their order) of numpy's
    four_vector(stack(p sin α, 0, ±p cos α), m), so the values are the same to the bit."""
    m2 = m * m
    for i in range(energy.shape[0]):
        p = math.sqrt(max(energy[i] * energy[i] - m2, 0.0))
        px = p * sin_a
        pz = p * dir_cos_a
        out[i, 0] = px
        out[i, 1] = 0.0
        out[i, 2] = pz
        out[i, 3] = math.sqrt((px * px + 0.0 * 0.0) + pz * pz + m2)


@dataclass
class BeamDraw:
    """One chunk of collisions: beam four-momenta (N, 4) and primary vertices (N, 4)."""

    e_minus: NDArray[np.float64]
    e_plus: NDArray[np.float64]
    primary_vertex: NDArray[np.float64]

    @functools.cached_property
    def total(self) -> NDArray[np.float64]:
        """e− + e+ four-momenta (computed once: several stages read it)."""
        return self.e_minus + self.e_plus

    @functools.cached_property
    def sqrt_s(self) -> NDArray[np.float64]:
        t = self.total
        return np.sqrt(t[:, 3] ** 2 - np.sum(t[:, :3] ** 2, axis=1))

    def beam_axis_cms(self) -> NDArray[np.float64]:
        """Unit e− direction in the centre-of-mass frame: the axis of production angles."""
        em_cms = boost(self.e_minus, -velocity(self.total))
        return em_cms[:, :3] / np.linalg.norm(em_cms[:, :3], axis=1, keepdims=True)


def draw_beams(
    rng: np.random.Generator, n: int, settings: BeamSettings, min_sqrt_s: float = 0.0
) -> BeamDraw:
    """Draw n collisions: Gaussian beam energies and a Gaussian luminous region (t = 0).

    Collisions below `min_sqrt_s` (the channel's production threshold, e.g. 2 m_B for
    Υ(4S) → BB̄, reachable in the energy-spread tail) have no cross section and are redrawn.
    """
    e_m = settings.e_minus_energy + settings.e_minus_energy_spread * rng.standard_normal(n)
    e_p = settings.e_plus_energy + settings.e_plus_energy_spread * rng.standard_normal(n)
    for _ in range(1000):
        s_approx = (
            4.0 * e_m * e_p * np.cos(0.5 * (settings.e_minus_angle + settings.e_plus_angle)) ** 2
        )
        low = np.flatnonzero(s_approx < min_sqrt_s**2)
        if low.size == 0:
            break
        e_m[low] = settings.e_minus_energy + settings.e_minus_energy_spread * rng.standard_normal(
            low.size
        )
        e_p[low] = settings.e_plus_energy + settings.e_plus_energy_spread * rng.standard_normal(
            low.size
        )
    else:
        raise ValueError(f"beams almost never reach sqrt(s) = {min_sqrt_s:.4f} GeV")
    vertex = np.zeros((n, 4))
    vertex[:, :3] = rng.standard_normal((n, 3)) * np.asarray(settings.spot_sigma)
    return BeamDraw(
        _beam_p4(e_m, settings.e_minus_angle, +1),
        _beam_p4(e_p, settings.e_plus_angle, -1),
        vertex,
    )


#: The [beams] section of a detector card, declared once for the validator and the user guide.
BEAMS_FIELDS = (
    Field("e_minus_energy", "number", "e− beam energy (the beam travelling towards +z)",
          unit="GeV", lo=0.0, lo_open=True),
    Field("e_plus_energy", "number", "e+ beam energy (the beam travelling towards −z)",
          unit="GeV", lo=0.0, lo_open=True),
    Field("e_minus_angle", "number", "angle of the e− beam to +z, tilted towards +x "
          "(half the full crossing angle for a symmetric crossing)",
          default=0.0, unit="mrad", lo=0.0, hi=200.0),
    Field("e_plus_angle", "number", "angle of the e+ beam to −z, tilted towards +x",
          default=0.0, unit="mrad", lo=0.0, hi=200.0),
    Field("e_minus_energy_spread", "number", "Gaussian spread (σ) of the e− beam energy",
          default=0.0, unit="GeV", lo=0.0, hi=0.1),
    Field("e_plus_energy_spread", "number", "Gaussian spread (σ) of the e+ beam energy",
          default=0.0, unit="GeV", lo=0.0, hi=0.1),
    Field("luminous_region_sigma", "numbers", "Gaussian σ of the luminous region in x, y, z "
          "(the overlap of the two bunches, centred on the origin)",
          unit="mm", lo=0.0, length=3),
)  # fmt: skip
BEAM = field_map(BEAMS_FIELDS)


def beams_from_table(t: Table) -> BeamSettings:
    """The collider of a card's [beams] section, validated (errors name the field).

    The collider belongs to the generator even though a detector card file holds it: the
    detector reads only its nominal beams (for the CM frame of Mbc, ΔE and recoil masses).
    """
    spot = BEAM["luminous_region_sigma"].read(t)
    beams = BeamSettings(
        e_minus_energy=BEAM["e_minus_energy"].read(t),
        e_plus_energy=BEAM["e_plus_energy"].read(t),
        e_minus_angle=BEAM["e_minus_angle"].read(t) * MRAD,
        e_plus_angle=BEAM["e_plus_angle"].read(t) * MRAD,
        e_minus_energy_spread=BEAM["e_minus_energy_spread"].read(t),
        e_plus_energy_spread=BEAM["e_plus_energy_spread"].read(t),
        spot_sigma=spot,
    )
    t.done()
    return beams


def load_collider(path: str | Path) -> BeamSettings:
    """The collider ([beams]) of a detector card file, without reading its detector sections."""
    data, _ = load_toml(path)
    return beams_from_table(Table(data, "", source=str(path)).table("beams"))
