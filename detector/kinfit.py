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
the card stands for each collision's). χ² = λᵀ S λ, λ = S⁻¹[...]. Iterated (at most
N_ITERATIONS) until no parameter moves by more than 1e-3 of its error (the fitted m_γγ then
agrees with the fully converged one within ~2 keV), in one compiled pass over the events.

Covariances: photons σ_E from the calorimeter region's resolution at the photon's polar angle,
σ_θ = σ_pos/R and σ_φ = σ_pos/(R sinθ) with R the distance from the IP to the calorimeter front
(CalorimeterSettings.position_sigma, compiled as calo_kernel.position_sigma); tracks
σ_p/p = σ_pT/pT (TrackingSettings.relative_pt_resolution) and no angular error.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from .calo_kernel import SMALL_ANGLE, _sincos_small, position_sigma, region_of, relative_sigma
from .calorimeter import region_bounds, smearing_params
from .config import CalorimeterSettings, TrackingSettings

Array = NDArray[np.float64]
N_ITERATIONS = 10  # at most; the loop stops once the constraints hold


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


@numba.njit(cache=True, inline="always")
def _fit_one(a0, var, mass, e_beam, var_beam, m_parent, beta, gamma, alpha, q, dq, d, trig):
    # pragma: no cover - compiled
    """The fit of one candidate (module docstring): measured parameters `a0` (3K,) with
    variances `var` (3K,) → fitted `alpha` (3K,); returns χ² (NaN if S is singular). Analytic
    Jacobian: per daughter (p, θ, φ), ∂p4/∂p = (sθcφ, sθsφ, cθ, p/E), ∂p4/∂θ = p (cθcφ, cθsφ,
    −sθ, 0), ∂p4/∂φ = p (−sθsφ, sθcφ, 0, 0); ∂H1 = γ (∂E − β·∂p), ∂H2 = 2 (E ∂E − p·∂p).
    `trig` (K, 4) holds (sin θ, cos θ, sin φ, cos φ) of the measured daughters on entry and of
    the fitted ones on return: carried from step to step by the rotation of each step
    (calo_kernel._sincos_small series), never recomputed from the angles, so that `a0` may
    hold the angles themselves or their offsets from the measured ones (0).
    `q` (K, 4), `dq` (3K, 4), `d` (2, 3K) are scratch space."""
    npar = a0.shape[0]
    k = npar // 3
    bx, by, bz = beta[0], beta[1], beta[2]
    for j in range(npar):
        alpha[j] = a0[j]
    lam0 = lam1 = 0.0
    s00 = s01 = s11 = 0.0
    for _ in range(N_ITERATIONS):
        tx = ty = tz = te = 0.0
        for c in range(k):
            p = alpha[3 * c]
            st, ct, sp, cp = trig[c, 0], trig[c, 1], trig[c, 2], trig[c, 3]
            e = math.sqrt(p * p + mass[c] * mass[c])
            q[c, 0], q[c, 1], q[c, 2], q[c, 3] = p * st * cp, p * st * sp, p * ct, e
            tx += q[c, 0]
            ty += q[c, 1]
            tz += q[c, 2]
            te += q[c, 3]
            j = 3 * c
            dq[j, 0], dq[j, 1], dq[j, 2] = st * cp, st * sp, ct
            dq[j, 3] = p / e if e > 0 else 0.0
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
            v = var[j]
            s00 += d[0, j] * d[0, j] * v
            s01 += d[0, j] * d[1, j] * v
            s11 += d[1, j] * d[1, j] * v
            r0 += d[0, j] * (a0[j] - alpha[j])
            r1 += d[1, j] * (a0[j] - alpha[j])
        det = s00 * s11 - s01 * s01
        if not det > 0.0:
            return math.nan
        lam0 = (s11 * r0 - s01 * r1) / det
        lam1 = (s00 * r1 - s01 * r0) / det
        step = 0.0
        for j in range(npar):
            new = a0[j] - var[j] * (d[0, j] * lam0 + d[1, j] * lam1)
            delta = new - alpha[j]
            if var[j] > 0.0:
                step = max(step, abs(delta) / math.sqrt(var[j]))
            alpha[j] = new
            c, kind = j // 3, j % 3
            if kind > 0 and delta != 0.0:  # rotate sin, cos of the angle by delta
                t = 2 * (kind - 1)
                if abs(delta) < SMALL_ANGLE:
                    sd, cd = _sincos_small(delta)
                else:
                    sd, cd = math.sin(delta), math.cos(delta)
                s0, c0 = trig[c, t], trig[c, t + 1]
                trig[c, t], trig[c, t + 1] = s0 * cd + c0 * sd, c0 * cd - s0 * sd
        if step < 1e-3:
            break  # converged: no parameter moves by more than 1e-3 of its error
    return lam0 * (s00 * lam0 + s01 * lam1) + lam1 * (s01 * lam0 + s11 * lam1)


@numba.njit(cache=True)
def _fit_kernel(alpha0, var, mass, e_beam, var_beam, m_parent, beta, alpha, chi2):
    # pragma: no cover - compiled
    """_fit_one over the rows (N, 3K) of alpha0 and var, into alpha and chi2 (N,)."""
    n, npar = alpha0.shape
    k = npar // 3
    gamma = 1.0 / math.sqrt(1.0 - (beta[0] ** 2 + beta[1] ** 2 + beta[2] ** 2))
    q, dq, d = np.empty((k, 4)), np.empty((npar, 4)), np.empty((2, npar))
    trig = np.empty((k, 4))
    for ev in range(n):
        for c in range(k):
            trig[c, 0], trig[c, 1] = (
                math.sin(alpha0[ev, 3 * c + 1]),
                math.cos(alpha0[ev, 3 * c + 1]),
            )
            trig[c, 2], trig[c, 3] = (
                math.sin(alpha0[ev, 3 * c + 2]),
                math.cos(alpha0[ev, 3 * c + 2]),
            )
        chi2[ev] = _fit_one(alpha0[ev], var[ev], mass, e_beam, var_beam, m_parent, beta, gamma,
                            alpha[ev], q, dq, d, trig)  # fmt: skip


@numba.njit(cache=True, error_model="numpy")
def _candidates_kernel(
    reco,
    slots,
    is_photon,
    mass,
    in_alp,
    sig_p,
    params,
    cos_regions,
    geometry,
    e_beam,
    var_beam,
    m_parent,
    beta,
    m_fit,
    chi2,
):  # pragma: no cover - compiled
    """fit_candidates per event: parameters and errors of the daughters `slots` of the
    slot-major `reco` (P, N, 4) (daughter_sigmas, with σ_p of the tracks given in `sig_p`
    (K, N)), _fit_one, and the mass of the fitted daughters marked `in_alp`."""
    k, n = slots.shape[0], reco.shape[1]
    npar = 3 * k
    r_in, z_fwd, z_bwd = geometry[0], geometry[1], geometry[2]
    gamma = 1.0 / math.sqrt(1.0 - (beta[0] ** 2 + beta[1] ** 2 + beta[2] ** 2))
    a0, var, alpha = np.empty(npar), np.empty(npar), np.empty(npar)
    q, dq, d = np.empty((k, 4)), np.empty((npar, 4)), np.empty((2, npar))
    trig = np.empty((k, 4))
    for ev in range(n):
        m_fit[ev] = math.nan
        chi2[ev] = math.nan
        ok = True
        for c in range(k):
            s = slots[c]
            px, py, pz, e = reco[s, ev, 0], reco[s, ev, 1], reco[s, ev, 2], reco[s, ev, 3]
            p = math.sqrt(px * px + py * py + pz * pz)
            pt = math.sqrt(px * px + py * py)
            ct, st = (pz / p, pt / p) if p > 0.0 else (1.0, 0.0)
            trig[c, 0], trig[c, 1] = st, ct
            trig[c, 2], trig[c, 3] = (py / pt, px / pt) if pt > 0.0 else (0.0, 1.0)
            a0[3 * c], a0[3 * c + 1], a0[3 * c + 2] = p, 0.0, 0.0  # angles: offsets (_fit_one)
            if is_photon[c]:
                j = region_of(ct, cos_regions)
                r_bar = r_in / st if st > 0.0 else math.inf
                r_end = z_fwd / ct if ct > 0.0 else (z_bwd / ct if ct < 0.0 else math.inf)
                pos = position_sigma(params, j, e) / min(r_bar, r_end)
                var[3 * c] = (e * relative_sigma(params, j, e)) ** 2
                var[3 * c + 1] = pos * pos
                var[3 * c + 2] = (pos / max(st, 1e-3)) ** 2
            else:
                var[3 * c] = sig_p[c, ev] ** 2
                var[3 * c + 1] = 0.0
                var[3 * c + 2] = 0.0
            ok = ok and math.isfinite(e) and math.isfinite(p) and math.isfinite(var[3 * c])
        if not ok:
            continue
        x2 = _fit_one(a0, var, mass, e_beam, var_beam, m_parent, beta, gamma, alpha, q, dq, d, trig)
        if not math.isfinite(x2):
            continue
        chi2[ev] = x2
        tx = ty = tz = te = 0.0
        for c in range(k):
            if in_alp[c]:
                p = alpha[3 * c]  # trig: the fitted angles' sines and cosines
                tx += p * trig[c, 0] * trig[c, 3]
                ty += p * trig[c, 0] * trig[c, 2]
                tz += p * trig[c, 1]
                te += math.sqrt(p * p + mass[c] * mass[c])
        m_fit[ev] = math.sqrt(max(te * te - tx * tx - ty * ty - tz * tz, 0.0))


def fit_candidates(
    reco: Array,
    slots: NDArray[np.int64],
    is_photon: NDArray[np.bool_],
    mass: Array,
    in_alp: NDArray[np.bool_],
    cal: CalorimeterSettings,
    trk: TrackingSettings,
    e_beam: float,
    sigma_e_beam: float,
    m_parent: float,
    beta: Array,
) -> tuple[Array, Array]:
    """Fit every event's candidate made of the daughters `slots` of the slot-major response
    `reco` (P, N, 4) (masses `mass` (K,), photons marked in `is_photon`) to E*_parent = e_beam
    (± sigma_e_beam) and M = m_parent, with the errors of daughter_sigmas. Returns the mass of
    the fitted daughters marked `in_alp` and χ² (N,), NaN where a daughter is missing or the
    fit is singular. One compiled pass per event (_candidates_kernel), no (N, K) temporaries
    but the tracks' σ_p."""
    slots = np.asarray(slots, dtype=np.int64)
    mass = np.asarray(mass, dtype=float)
    n = reco.shape[1]
    sig_p = np.zeros((len(slots), n))
    for c, s in enumerate(slots):
        if not is_photon[c]:
            q = reco[s]
            p = np.sqrt(q[:, 0] ** 2 + q[:, 1] ** 2 + q[:, 2] ** 2)
            pt = np.hypot(q[:, 0], q[:, 1])
            sig_p[c] = p * trk.relative_pt_resolution(pt, p / np.maximum(q[:, 3], 1e-12))
    m_fit, chi2 = np.empty(n), np.empty(n)
    geometry = np.array([cal.inner_radius, cal.z_forward, cal.z_backward])
    _candidates_kernel(
        reco, slots, np.asarray(is_photon, dtype=np.bool_), mass,
        np.asarray(in_alp, dtype=np.bool_), sig_p, smearing_params(cal),
        np.cos(region_bounds(cal)), geometry, float(e_beam), float(sigma_e_beam) ** 2,
        float(m_parent), np.asarray(beta, dtype=float), m_fit, chi2,
    )  # fmt: skip
    return m_fit, chi2


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


def beam_energy_spread(e_minus: float, e_plus: float, s_minus: float, s_plus: float) -> float:
    """σ of √s/2 from the beam-energy spreads: √s = 2√(E− E+) (head-on), so
    σ²(√s/2) = (E+/E− σ−² + E−/E+ σ+²)/4."""
    return 0.5 * float(np.sqrt(e_plus / e_minus * s_minus**2 + e_minus / e_plus * s_plus**2))
