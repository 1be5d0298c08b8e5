"""Impact-parameter and direction resolution of a track fit, computed from a tracker's layers
and its material budget: the cross-check of a card's typed resolution terms.

A track from the beam line, seen in the transverse plane at high momentum, is the parabola
u(r) = d0 + φ0 r + ω r²/2 (u the displacement across the initial direction). Layer k at
radius r_k measures u with σ_k (a card entry standing for w_k wire or sensor layers measures
with σ_k/√w_k). A thin scatterer j at r_j kinks the track by a random angle of RMS θ_j, the
plane-projected Highland angle of its x_j/X0 (PDG Review "Passage of particles through
matter", eq. 34.15; Highland, NIM 129 (1975) 497; Lynch & Dahl, NIM B58 (1991) 6), which
moves every later measurement by (r_k − r_j)·δ_j. The measurements' covariance is therefore
V = diag(σ_k²/w_k) + Σ_j θ_j² (r − r_j)₊(r − r_j)₊ᵀ, and the least-squares fit of
(d0, φ0, ω) has the covariance C = (Aᵀ V⁻¹ A)⁻¹ with A_k = (1, r_k, r_k²/2): the fit with
multiple scattering as correlated measurement noise (P. Billoir, NIM 225 (1984) 352;
R. Frühwirth et al., "Data Analysis Techniques for High-Energy Physics", CUP 2000, ch. 3).
The Highland logarithm is evaluated once with the total x/X0 in front of the last measuring
layer, as Lynch & Dahl advise for a sequence of scatterers, and the square-root part per
scatterer, so the θ_j² add up to the total.

The card's form σ = a ⊕ b/p (β = 1, normal incidence) then gives a = σ(p → ∞) and
b = p·√(σ(p)² − a²), taken at p = 1 GeV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import MaterialLayer, TrackingSettings
from .material import HIGHLAND_LOG, HIGHLAND_SCALE


@dataclass(frozen=True)
class FitResolution:
    """σ(d0) (mm) and σ(φ0) (rad) of the fit: the measurement terms a (p → ∞) and the
    multiple-scattering terms b (mm GeV, rad GeV) of the form a ⊕ b/p."""

    d0_a: float
    d0_b: float
    phi0_a: float
    phi0_b: float


def _covariance(radii, sigma2, scat_r, scat_theta2) -> np.ndarray:
    """Covariance (3, 3) of (d0, φ0, ω) from the least-squares fit described above."""
    a = np.stack([np.ones_like(radii), radii, 0.5 * radii**2], axis=1)
    lever = np.clip(radii[:, None] - scat_r[None, :], 0.0, None)  # (k, j)
    v = np.diag(sigma2) + (lever * scat_theta2[None, :]) @ lever.T
    info = a.T @ np.linalg.solve(v, a)
    return np.linalg.inv(info)


def fit_resolution(
    trk: TrackingSettings, layers: tuple[MaterialLayer, ...], p: float = 1.0
) -> FitResolution:
    """Measurement and multiple-scattering terms of σ(d0) and σ(φ0) for a track of momentum
    `p` (GeV, β = 1, θ = 90°) from the beam line through the card's tracking layers and the
    material layers inside the last of them (module docstring)."""
    radii = np.asarray(trk.layer_radii, dtype=float)
    sigma2 = np.asarray(trk.layer_resolution, dtype=float) ** 2 / np.asarray(
        trk.layer_weights, dtype=float
    )
    inside = [lay for lay in layers if lay.radius < radii[-1] and lay.x_over_x0 > 0.0]
    scat_r = np.array([lay.radius for lay in inside], dtype=float)
    x = np.array([lay.x_over_x0 for lay in inside], dtype=float)
    log = 1.0 + HIGHLAND_LOG * np.log(x.sum()) if x.size else 1.0
    theta2 = (HIGHLAND_SCALE / p * log) ** 2 * x  # θ_j², summing to θ0(total)²
    c_inf = _covariance(radii, sigma2, scat_r, np.zeros_like(theta2))
    c_p = _covariance(radii, sigma2, scat_r, theta2)
    a_d0, a_phi = np.sqrt(c_inf[0, 0]), np.sqrt(c_inf[1, 1])
    b_d0 = p * np.sqrt(max(c_p[0, 0] - c_inf[0, 0], 0.0))
    b_phi = p * np.sqrt(max(c_p[1, 1] - c_inf[1, 1], 0.0))
    return FitResolution(float(a_d0), float(b_d0), float(a_phi), float(b_phi))
