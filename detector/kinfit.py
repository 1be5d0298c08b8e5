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
of times per event in a compiled loop over the event arrays.

Covariances: photons σ_E from the calorimeter region's resolution at the photon's polar angle,
σ_θ = σ_pos/R and σ_φ = σ_pos/(R sinθ) with R the distance from the IP to the calorimeter front
(CalorimeterSettings.position_sigma); tracks σ_p/p = σ_pT/pT (TrackingSettings) and no angular
error (the parametrised tracker does not smear track directions).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from .config import CalorimeterSettings, TrackingSettings

Array = NDArray[np.float64]
N_ITERATIONS = 10  # at most; the loop stops once the constraints hold


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


@numba.njit(cache=True)
def _fit_kernel(alpha0, var, mass, e_beam, var_beam, m_parent, beta, alpha, chi2):
    # pragma: no cover - compiled
    """fit_parent per event (module docstring), analytic Jacobian: per daughter (p, θ, φ),
    ∂p4/∂p = (sθcφ, sθsφ, cθ, p/E), ∂p4/∂θ = p (cθcφ, cθsφ, −sθ, 0),
    ∂p4/∂φ = p (−sθsφ, sθcφ, 0, 0); ∂H1 = γ (∂E − β·∂p), ∂H2 = 2 (E ∂E − p·∂p)."""
    n, npar = alpha0.shape
    k = npar // 3
    bx, by, bz = beta[0], beta[1], beta[2]
    gamma = 1.0 / math.sqrt(1.0 - (bx * bx + by * by + bz * bz))
    q = np.empty((k, 4))
    dq = np.empty((npar, 4))
    d = np.empty((2, npar))
    for ev in range(n):
        for j in range(npar):
            alpha[ev, j] = alpha0[ev, j]
        lam0 = lam1 = 0.0
        s00 = s01 = s11 = 0.0
        for _ in range(N_ITERATIONS):
            tx = ty = tz = te = 0.0
            for c in range(k):
                p, th, ph = alpha[ev, 3 * c], alpha[ev, 3 * c + 1], alpha[ev, 3 * c + 2]
                st, ct, sp, cp = math.sin(th), math.cos(th), math.sin(ph), math.cos(ph)
                e = math.sqrt(p * p + mass[c] * mass[c])
                q[c, 0], q[c, 1], q[c, 2], q[c, 3] = p * st * cp, p * st * sp, p * ct, e
                tx += q[c, 0]
                ty += q[c, 1]
                tz += q[c, 2]
                te += q[c, 3]
                j = 3 * c
                dq[j, 0], dq[j, 1], dq[j, 2], dq[j, 3] = (
                    st * cp,
                    st * sp,
                    ct,
                    p / e if e > 0 else 0.0,
                )
                dq[j + 1, 0], dq[j + 1, 1], dq[j + 1, 2], dq[j + 1, 3] = (
                    p * ct * cp,
                    p * ct * sp,
                    -p * st,
                    0.0,
                )
                dq[j + 2, 0], dq[j + 2, 1], dq[j + 2, 2], dq[j + 2, 3] = (
                    -p * st * sp,
                    p * st * cp,
                    0.0,
                    0.0,
                )
            h0 = gamma * (te - (bx * tx + by * ty + bz * tz)) - e_beam
            h1 = te * te - tx * tx - ty * ty - tz * tz - m_parent * m_parent
            for j in range(npar):
                d[0, j] = gamma * (dq[j, 3] - (bx * dq[j, 0] + by * dq[j, 1] + bz * dq[j, 2]))
                d[1, j] = 2.0 * (te * dq[j, 3] - tx * dq[j, 0] - ty * dq[j, 1] - tz * dq[j, 2])
            s00, s01, s11 = var_beam, 0.0, 0.0
            r0, r1 = h0, h1
            for j in range(npar):
                v = var[ev, j]
                s00 += d[0, j] * d[0, j] * v
                s01 += d[0, j] * d[1, j] * v
                s11 += d[1, j] * d[1, j] * v
                r0 += d[0, j] * (alpha0[ev, j] - alpha[ev, j])
                r1 += d[1, j] * (alpha0[ev, j] - alpha[ev, j])
            det = s00 * s11 - s01 * s01
            if not det > 0.0:
                lam0 = lam1 = math.nan
                break
            lam0 = (s11 * r0 - s01 * r1) / det
            lam1 = (s00 * r1 - s01 * r0) / det
            step = 0.0
            for j in range(npar):
                new = alpha0[ev, j] - var[ev, j] * (d[0, j] * lam0 + d[1, j] * lam1)
                if var[ev, j] > 0.0:
                    step = max(step, abs(new - alpha[ev, j]) / math.sqrt(var[ev, j]))
                alpha[ev, j] = new
            if step < 1e-4:
                break  # converged: no parameter moves by more than 1e-4 of its error
        chi2[ev] = lam0 * (s00 * lam0 + s01 * lam1) + lam1 * (s01 * lam0 + s11 * lam1)


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
    docstring; compiled in _fit_kernel). Returns the fitted four-momenta (N, K, 4) and χ² (N,)
    (NaN where the input is not finite or the fit is singular)."""
    n, k, _ = p4.shape
    alpha0 = _to_params(p4).reshape(n, 3 * k)
    var = sigma.reshape(n, 3 * k) ** 2
    ok = np.isfinite(alpha0).all(axis=1) & np.isfinite(var).all(axis=1)
    alpha0, var = np.ascontiguousarray(alpha0[ok]), np.ascontiguousarray(var[ok])
    alpha, chi2_ok = np.empty_like(alpha0), np.empty(alpha0.shape[0])
    _fit_kernel(alpha0, var, np.asarray(mass, dtype=float), float(e_beam),
                float(sigma_e_beam) ** 2, float(m_parent), np.asarray(beta, dtype=float),
                alpha, chi2_ok)  # fmt: skip
    fitted = np.full((n, k, 4), np.nan)
    chi2 = np.full(n, np.nan)
    good = np.isfinite(chi2_ok)
    idx = np.flatnonzero(ok)[good]
    fitted[idx] = _to_p4(alpha[good].reshape(-1, k, 3), mass)
    chi2[idx] = chi2_ok[good]
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
            pos = cal.position_sigma(e, theta[:, c]) / front_distance(theta[:, c], cal)
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
