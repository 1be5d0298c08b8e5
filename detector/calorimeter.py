"""Calorimeter response to photons: where they land, acceptance, energy and position smearing.

Photons are propagated in a straight line from their true production vertex to the front face
of the calorimeter, then reconstructed as if they came from the nominal interaction point
(DESIGN.md detector conventions): this is what degrades the di-photon mass of displaced ALPs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .config import CalorimeterSettings
from .geometry import hit_cylinder


def in_theta_regions(
    theta: NDArray[np.float64], regions: tuple[tuple[float, float], ...]
) -> NDArray[np.bool_]:
    """Polar angles inside any of the covered regions (gaps between them are holes)."""
    ok = np.zeros(theta.shape, dtype=bool)
    for lo, hi in regions:
        ok |= (theta >= lo) & (theta <= hi)
    return ok


def reconstruct_photons(
    rng: np.random.Generator,
    p4: NDArray[np.float64],
    vertex: NDArray[np.float64],
    cal: CalorimeterSettings,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Reconstructed photon four-momenta (N, 4) and a detected mask (N,).

    Impact point from the true vertex; cluster position smeared on the surface by the
    energy-dependent resolution; energy smeared by the Gaussian resolution of the card;
    direction taken from the nominal interaction point (origin) to the cluster.
    """
    n = p4.shape[0]
    impact, inside = hit_cylinder(
        vertex[:, :3], p4[:, :3], cal.inner_radius, cal.z_backward, cal.z_forward
    )
    energy = p4[:, 3]
    r = np.linalg.norm(impact, axis=1)
    rho = np.hypot(impact[:, 0], impact[:, 1])
    sigma_pos = cal.position_sigma(energy)
    theta = np.arctan2(rho, impact[:, 2]) + rng.standard_normal(n) * sigma_pos / r
    phi = np.arctan2(impact[:, 1], impact[:, 0]) + rng.standard_normal(n) * sigma_pos / rho
    e_reco = energy * (1.0 + cal.relative_energy_resolution(energy) * rng.standard_normal(n))
    detected = inside & in_theta_regions(theta, cal.theta_regions) & (e_reco > cal.energy_threshold)
    out = np.empty((n, 4))
    sin_t = np.sin(theta)
    out[:, 0] = e_reco * sin_t * np.cos(phi)
    out[:, 1] = e_reco * sin_t * np.sin(phi)
    out[:, 2] = e_reco * np.cos(theta)
    out[:, 3] = e_reco
    out[~detected] = np.nan
    return out, detected
