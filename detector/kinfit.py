"""Kinematic fit of a B candidate with photons: beam-energy and B-mass constraints.

The B-factory fit of exclusive candidates (as in BaBar's B → K a, a → γγ search, PRL 128
(2022) 131802, whose σ(m_γγ) of 8–14 MeV comes from fitted candidates; the paper's own wording
of its fit was not read [unverified]); the method:
P. Avery, "Applied fitting theory I: general least squares theory", CBX 91-72, Cornell
(1991), eqs. for constraints with Lagrange multipliers): the measured parameters α0 of the
daughters (photons: E, θ, φ; tracks: p, θ, φ) with their covariance V (diagonal) are moved to
α minimising χ² = (α − α0)ᵀ V⁻¹ (α − α0) subject to H(α) = 0, with
  H1 = E*_B − √s/2        (the B carries the beam energy in the CM frame),
  H2 = M_B² − m_B²        (the B has its PDG mass).
Linearised at α_k (D = ∂H/∂α): α_{k+1} = α0 − V Dᵀ S⁻¹ [D (α0 − α_k) + H(α_k)],
S = D V Dᵀ + V_H, where V_H adds the spread of the beam energy to H1 (the nominal √s/2 of
the card stands for each collision's). χ² = λᵀ S λ, λ = S⁻¹[...]. Iterated a fixed number
of times over whole event arrays (no per-event loop).

Covariances: photons σ_E from the calorimeter region's resolution at the photon's polar angle,
σ_θ = σ_pos/R and σ_φ = σ_pos/(R sinθ) with R the distance from the IP to the calorimeter front
(CalorimeterSettings.position_sigma); tracks σ_p/p = σ_pT/pT (TrackingSettings) and no angular
error (the parametrised tracker does not smear track directions).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .config import CalorimeterSettings, TrackingSettings

Array = NDArray[np.float64]
N_ITERATIONS = 6


def front_distance(theta: Array, cal: CalorimeterSettings) -> Array:
    """Distance (mm) from the IP to the calorimeter front face along polar angle θ."""
    s, c = np.sin(theta), np.cos(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_barrel = cal.inner_radius / s
        r_end = np.where(c > 0, cal.z_forward / c, cal.z_backward / c)
    return np.fmin(np.where(s > 0, r_barrel, np.inf), np.where(c != 0, r_end, np.inf))


def _to_params(p4: Array) -> Array:
    """(…, 4) → (…, 3): (|p| or E, θ, φ)."""
    p = np.sqrt(p4[..., 0] ** 2 + p4[..., 1] ** 2 + p4[..., 2] ** 2)
    theta = np.arccos(np.clip(p4[..., 2] / np.where(p > 0, p, 1.0), -1.0, 1.0))
    return np.stack([p, theta, np.arctan2(p4[..., 1], p4[..., 0])], axis=-1)


def _to_p4(par: Array, mass: Array) -> Array:
    """(N, K, 3) parameters and masses (K,) → four-momenta (N, K, 4)."""
    p, th, ph = par[..., 0], par[..., 1], par[..., 2]
    st = np.sin(th)
    out = np.empty((*par.shape[:-1], 4))
    out[..., 0] = p * st * np.cos(ph)
    out[..., 1] = p * st * np.sin(ph)
    out[..., 2] = p * np.cos(th)
    out[..., 3] = np.sqrt(p * p + mass**2)
    return out


def _constraints(par: Array, mass: Array, e_beam: float, m_parent: float, beta: Array) -> Array:
    """H (N, 2) of the parent built from all daughters."""
    tot = _to_p4(par, mass).sum(axis=1)
    gamma = 1.0 / np.sqrt(1.0 - beta @ beta)
    e_cms = gamma * (tot[:, 3] - tot[:, :3] @ beta)
    m2 = tot[:, 3] ** 2 - (tot[:, :3] ** 2).sum(axis=1)
    return np.stack([e_cms - e_beam, m2 - m_parent**2], axis=1)


def fit_parent(
    p4: Array,
    sigma: Array,
    mass: Array,
    e_beam: float,
    sigma_e_beam: float,
    m_parent: float,
    beta: Array,
) -> tuple[Array, Array]:
    """Fit daughters (N, K, 4) with parameter errors `sigma` (N, K, 3) and masses (K,)
    (0 for photons) to E*_parent = e_beam (± sigma_e_beam) and M = m_parent (module
    docstring). Returns the fitted four-momenta (N, K, 4) and χ² (N,) (NaN where the
    input is not finite)."""
    n, k, _ = p4.shape
    alpha0 = _to_params(p4).reshape(n, 3 * k)
    var = (sigma.reshape(n, 3 * k)) ** 2
    ok = np.isfinite(alpha0).all(axis=1) & np.isfinite(var).all(axis=1)
    alpha0 = np.where(ok[:, None], alpha0, 0.0)
    alpha0[~ok, 0::3] = 1.0
    var = np.where(ok[:, None], var, 1.0)
    beta = np.asarray(beta, dtype=float)
    alpha = alpha0.copy()
    chi2 = np.zeros(n)
    v_h = np.array([[sigma_e_beam**2, 0.0], [0.0, 0.0]])
    for _ in range(N_ITERATIONS):
        h = _constraints(alpha.reshape(n, k, 3), mass, e_beam, m_parent, beta)
        d = np.empty((n, 2, 3 * k))
        for j in range(3 * k):  # numerical Jacobian, central differences
            step = np.where(j % 3 == 0, 1e-6 * np.maximum(np.abs(alpha[:, j]), 1e-3), 1e-7)
            up, dn = alpha.copy(), alpha.copy()
            up[:, j] += step
            dn[:, j] -= step
            d[:, :, j] = (
                _constraints(up.reshape(n, k, 3), mass, e_beam, m_parent, beta)
                - _constraints(dn.reshape(n, k, 3), mass, e_beam, m_parent, beta)
            ) / (2.0 * step[:, None])
        vd = d * var[:, None, :]  # D V (V diagonal), (N, 2, P)
        s = np.einsum("nip,njp->nij", vd, d) + v_h
        r = np.einsum("nip,np->ni", d, alpha0 - alpha) + h
        det = s[:, 0, 0] * s[:, 1, 1] - s[:, 0, 1] * s[:, 1, 0]
        det = np.where(det != 0, det, np.nan)
        lam = np.stack(
            [
                (s[:, 1, 1] * r[:, 0] - s[:, 0, 1] * r[:, 1]) / det,
                (s[:, 0, 0] * r[:, 1] - s[:, 1, 0] * r[:, 0]) / det,
            ],
            axis=1,
        )
        alpha = alpha0 - np.einsum("nip,ni->np", vd, lam)
        chi2 = np.einsum("ni,nij,nj->n", lam, s, lam)
    fitted = _to_p4(alpha.reshape(n, k, 3), mass)
    fitted[~ok] = np.nan
    chi2[~ok] = np.nan
    return fitted, chi2


def daughter_sigmas(
    p4: Array,
    is_photon: NDArray[np.bool_],
    cal: CalorimeterSettings,
    trk: TrackingSettings,
) -> Array:
    """Parameter errors (N, K, 3) of reconstructed daughters (N, K, 4) (module docstring)."""
    par = _to_params(p4)
    p, theta = par[..., 0], par[..., 1]
    out = np.zeros_like(par)
    for c in range(p4.shape[1]):
        if is_photon[c]:
            e = p4[:, c, 3]
            out[:, c, 0] = e * cal.relative_energy_resolution(e, theta[:, c])
            pos = cal.position_sigma(e) / front_distance(theta[:, c], cal)
            out[:, c, 1] = pos
            out[:, c, 2] = pos / np.maximum(np.sin(theta[:, c]), 1e-3)
        else:
            pt = p[:, c] * np.sin(theta[:, c])
            beta = p[:, c] / np.maximum(p4[:, c, 3], 1e-12)
            out[:, c, 0] = p[:, c] * trk.relative_pt_resolution(pt, beta)
    return out


def beam_energy_spread(e_minus: float, e_plus: float, s_minus: float, s_plus: float) -> float:
    """σ of √s/2 from the beam-energy spreads: √s = 2√(E− E+) (head-on), so
    σ²(√s/2) = (E+/E− σ−² + E−/E+ σ+²)/4."""
    return 0.5 * float(np.sqrt(e_plus / e_minus * s_minus**2 + e_minus / e_plus * s_plus**2))
