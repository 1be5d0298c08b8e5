"""Helix propagation of charged particles in a solenoid field along z, over whole arrays.

A charge q with transverse momentum pT in a field B moves on a circle of radius
R = pT / (k |q| B), k = c · e = 0.2998 GeV/(T m) (the speed of light from hepunits), while z grows
linearly with the turning angle (PDG Review, "Passage of particles through matter" /
"Particle detectors", helix parametrisation; the perigee parameters d0, z0 follow the
convention of the Belle II track fit, basf2 `Helix`: reference point at the IP).

Everything is expressed with the turning angle α ≥ 0 travelled from the production point:
position angle about the centre ψ(α) = ψ0 − sα with s = sign(qB) (positive charges turn
clockwise seen from +z when B > 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hepunits import GeV, c_light, eplus, mm, tesla
from numpy.typing import NDArray

#: GeV per (T mm) for the radius of curvature R = pT/(K_FIELD q B): c·e in these units.
K_FIELD = float(c_light * tesla * mm * eplus / GeV)
TWO_PI = 2.0 * np.pi

Array = NDArray[np.float64]


@dataclass
class Helix:
    """Helices of N particles: centre (cx, cy), radius R, dz per radian, start point, sense."""

    cx: Array
    cy: Array
    radius: Array
    dz_dalpha: Array  # R · pz/pT, mm per radian of turning
    x0: Array  # (N, 3) production point
    psi0: Array  # position angle of the start point about the centre
    sense: float  # s = sign(qB)

    @property
    def centre_distance(self) -> Array:
        """Distance of the circle centre from the z axis."""
        return np.hypot(self.cx, self.cy)

    @property
    def r_max(self) -> Array:
        """Largest transverse distance from the z axis the helix ever reaches."""
        return self.centre_distance + self.radius

    def phi_of_start(self) -> Array:
        """φ0 = s(ψ0 − ψ_c): the turning angle needed to reach the apex is φ0 mod 2π."""
        return self.sense * (self.psi0 - np.arctan2(self.cy, self.cx))

    def alpha_to_radius(self, r: float | Array) -> tuple[Array, NDArray[np.bool_]]:
        """First turning angle α ≥ 0 at which the helix is at transverse radius r, and a mask
        of helices that reach it (|cos| ≤ 1). r² = dc² + R² + 2 R dc cos φ, φ = φ0 − α."""
        dc = self.centre_distance
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = (np.square(r) - dc * dc - self.radius**2) / (2.0 * self.radius * dc)
        ok = np.abs(cos) <= 1.0
        a = np.arccos(np.clip(cos, -1.0, 1.0))
        phi0 = self.phi_of_start()
        alpha = np.minimum(np.mod(phi0 - a, TWO_PI), np.mod(phi0 + a, TWO_PI))
        return alpha, ok

    def position(self, alpha: Array) -> Array:
        """(N, 3) position after turning by α."""
        psi = self.psi0 - self.sense * alpha
        out = np.empty((alpha.shape[0], 3))
        out[:, 0] = self.cx + self.radius * np.cos(psi)
        out[:, 1] = self.cy + self.radius * np.sin(psi)
        out[:, 2] = self.x0[:, 2] + self.dz_dalpha * alpha
        return out

    def direction_xy(self, alpha: Array) -> tuple[Array, Array]:
        """Unit transverse direction of motion after turning by α: s(sin ψ, −cos ψ)."""
        psi = self.psi0 - self.sense * alpha
        return self.sense * np.sin(psi), -self.sense * np.cos(psi)

    def perigee(self) -> tuple[Array, Array, Array]:
        """(d0, z0, α_poca) at the point of closest approach to the z axis (the IP line).

        α_poca is taken in (−π, π], i.e. the track is extrapolated the short way, forwards or
        backwards, as a track fit does. d0 = (x_poca × u_poca)_z: positive when the z axis
        lies to the left of the direction of motion (angular-momentum sign convention).
        """
        alpha = np.mod(self.phi_of_start() - np.pi, TWO_PI)
        alpha = np.where(alpha > np.pi, alpha - TWO_PI, alpha)
        pos = self.position(alpha)
        ux, uy = self.direction_xy(alpha)
        d0 = pos[:, 0] * uy - pos[:, 1] * ux
        return d0, pos[:, 2], alpha


def make_helix(vertex: Array, p3: Array, charge: float, field: float) -> Helix:
    """Helices of particles of one charge from production points (N, ≥3) and momenta (N, 3)."""
    pt = np.hypot(p3[:, 0], p3[:, 1])
    s = float(np.sign(charge * field))
    radius = pt / (K_FIELD * abs(charge) * field)
    with np.errstate(divide="ignore", invalid="ignore"):
        ux, uy = p3[:, 0] / pt, p3[:, 1] / pt
        dz = radius * p3[:, 2] / pt
    cx = vertex[:, 0] + s * radius * uy
    cy = vertex[:, 1] - s * radius * ux
    psi0 = np.arctan2(vertex[:, 1] - cy, vertex[:, 0] - cx)
    return Helix(cx, cy, radius, dz, vertex[:, :3], psi0, s)
