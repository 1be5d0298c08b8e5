"""Charged-track response: acceptance and transverse-momentum resolution.

σ_pT/pT = a·pT ⊕ b/β: curvature measurement (a) and multiple scattering (b/β), the usual
tracker parametrisation (PDG Review, Passage of particles through matter / Tracking).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..generator.kinematics import four_vector
from .config import TrackingSettings


def reconstruct_tracks(
    rng: np.random.Generator,
    p4: NDArray[np.float64],
    vertex: NDArray[np.float64],
    mass: float,
    trk: TrackingSettings,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Reconstructed track four-momenta (N, 4) under a mass hypothesis and a found mask (N,).

    A track is found if it is produced inside the first tracking layer, inside the polar
    acceptance and above the pT threshold; pT is smeared at fixed direction.
    """
    n = p4.shape[0]
    pt = np.hypot(p4[:, 0], p4[:, 1])
    p = np.linalg.norm(p4[:, :3], axis=1)
    theta = np.arctan2(pt, p4[:, 2])
    beta = p / p4[:, 3]
    r_prod = np.hypot(vertex[:, 0], vertex[:, 1])
    found = (
        (theta >= trk.theta_range[0])
        & (theta <= trk.theta_range[1])
        & (pt > trk.min_pt)
        & (r_prod < trk.inner_radius)
    )
    scale = 1.0 + trk.relative_pt_resolution(pt, beta) * rng.standard_normal(n)
    out = four_vector(p4[:, :3] * scale[:, None], mass)
    out[~found] = np.nan
    return out, found
