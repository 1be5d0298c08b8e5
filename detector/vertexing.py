"""Vertex fit of two or more tracks from their smeared helices and covariances.

Each found track enters as a straight line near the vertex: the point of its smeared helix
at the production region and its direction there (tracking.py), with the position
uncertainty σ_d0 across the track in the transverse plane and σ_z0·sinθ across it in the
plane that contains the track and the z axis (the local d0, z0 errors of the helix; the
curvature over the few σ between the lines' points and the vertex is neglected). The vertex
v minimises χ² = Σ_i Σ_{e = n_i, m_i} (e·(v − q_i))²/σ_{i,e}², a linear least-squares problem:
v = A⁻¹ Σ W_i q_i, cov(v) = A⁻¹ with A = Σ W_i, W_i = n nᵀ/σ_n² + m mᵀ/σ_m², χ² with
2k − 3 degrees of freedom for k tracks (the linearised vertex fit of Billoir, Frühwirth and
Regler, NIM A241 (1985) 115, in the straight-line limit; Frühwirth & Strandlie, "Pattern
Recognition, Tracking and Vertex Reconstruction in Particle Detectors", Springer 2021, ch. 9).

Derived quantities, named as the basf2 variables of analysis/variables (Belle II analysis
software): `chiProb` (χ² probability), `flightDistance` and `flightDistanceErr` (the vertex
position from the IP projected on the momentum direction, error from cov(v) plus the
luminous-region size), `significanceOfDistance` (3-D distance from the IP over its error),
`cosAngleBetweenMomentumAndVertexVector` (pointing), `M` and `ErrM` (the mass of the summed
track momenta at the vertex and its error propagated from each track's (pT, φ, tanλ) σ).
Reduced mass M′ = √(M² − 4m²) for a pair of equal species of mass m (Belle II, PRD 108
(2023) L111104, arXiv:2306.02830).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray
from scipy.stats import chi2 as chi2_dist

from .config import VertexSettings
from .tracking import TrackResponse

Array = NDArray[np.float64]


@dataclass
class VertexResponse:
    """Fitted vertices of N events for one group of sibling tracks (NaN where no vertex)."""

    exists: NDArray[np.bool_]  # (N,)
    position: Array  # (N, 3) mm
    cov: Array  # (N, 6) mm²: xx, yy, zz, xy, xz, yz
    chi2: Array  # (N,)
    ndf: int
    chi_prob: Array  # (N,)
    p4: Array  # (N, 4) sum of the track momenta at the vertex
    mass: Array  # (N,) GeV
    mass_err: Array  # (N,) GeV
    mprime: Array  # (N,) GeV, NaN for unequal species
    flight_distance: Array  # (N,) mm
    flight_distance_err: Array  # (N,) mm
    significance: Array  # (N,) distance from the IP over its error
    cos_pointing: Array  # (N,)


def fit_vertex(
    tracks: list[TrackResponse],
    masses: list[float],
    same_species: bool,
    vtx: VertexSettings,
    spot_sigma: tuple[float, float, float],
) -> VertexResponse:
    """Fit the common vertex of k ≥ 2 sibling tracks (all must be found)."""
    k = len(tracks)
    n = tracks[0].found.shape[0]
    points = np.stack([t.point for t in tracks])
    moms = np.stack([t.p4_at_vertex for t in tracks])
    local = np.stack([t.local_sigma for t in tracks])
    found = np.stack([t.found for t in tracks])
    pos = np.empty((n, 3))
    cov = np.empty((n, 6))
    chi2 = np.empty(n)
    p4 = np.empty((n, 4))
    mass = np.empty(n)
    mass_err = np.empty(n)
    ok = np.empty(n, dtype=bool)
    _fit_kernel(points, moms, local, found, pos, cov, chi2, p4, mass, mass_err, ok)
    ndf = 2 * k - 3
    chi_prob = np.where(ok, chi2_dist.sf(np.where(ok, chi2, 0.0), ndf), np.nan)
    exists = ok & (chi_prob >= vtx.min_chi_prob)
    m_same = masses[0] if same_species and k == 2 else -1.0
    with np.errstate(invalid="ignore"):
        mprime = np.sqrt(mass**2 - 4.0 * m_same**2) if m_same >= 0 else np.full(n, np.nan)
    flight, flight_err, signif, cos_p = _flight(pos, cov, p4, np.asarray(spot_sigma, float))
    nan = np.nan
    return VertexResponse(
        exists,
        np.where(exists[:, None], pos, nan),
        np.where(exists[:, None], cov, nan),
        np.where(exists, chi2, nan),
        ndf,
        np.where(exists, chi_prob, nan),
        np.where(exists[:, None], p4, nan),
        np.where(exists, mass, nan),
        np.where(exists, mass_err, nan),
        np.where(exists, mprime, nan),
        np.where(exists, flight, nan),
        np.where(exists, flight_err, nan),
        np.where(exists, signif, nan),
        np.where(exists, cos_p, nan),
    )


def _quadratic_form(cov: Array, u: Array, spot2: Array) -> Array:
    """uᵀ (C + diag(spot²)) u for the packed (N, 6) covariances C and unit vectors u (N, 3)."""
    xx, yy, zz, xy, xz, yz = cov.T
    x, y, z = u.T
    return (
        (xx + spot2[0]) * x * x + (yy + spot2[1]) * y * y + (zz + spot2[2]) * z * z
        + 2.0 * (xy * x * y + xz * x * z + yz * y * z)
    )  # fmt: skip


def _flight(pos: Array, cov: Array, p4: Array, spot: Array) -> tuple[Array, ...]:
    """flightDistance, its error, significanceOfDistance and the pointing cosine w.r.t. the
    IP (the luminous-region centre; its size enters the errors)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p_hat = p4[:, :3] / np.linalg.norm(p4[:, :3], axis=1)[:, None]
        dist = np.linalg.norm(pos, axis=1)
        d_hat = pos / dist[:, None]
        spot2 = spot**2
        flight = np.sum(pos * p_hat, axis=1)
        flight_err = np.sqrt(_quadratic_form(cov, p_hat, spot2))
        signif = dist / np.sqrt(_quadratic_form(cov, d_hat, spot2))
        cos_p = np.sum(p_hat * d_hat, axis=1)
    return flight, flight_err, signif, cos_p


@numba.njit(cache=True, error_model="numpy")
def _fit_kernel(points, moms, local, found, pos, cov, chi2, p4, mass, mass_err, ok):
    """Per event (module docstring): weighted intersection of the k lines, its covariance
    and χ², the summed four-momentum, the mass and its propagated error. `ok` is False where
    a track is missing or the lines are degenerate (parallel)."""  # pragma: no cover
    k, n = points.shape[0], points.shape[1]
    nan = math.nan
    for e in range(n):
        good = True
        for i in range(k):
            good = good and found[i, e]
        a = np.zeros((3, 3))
        c = np.zeros(3)
        if good:
            for i in range(k):
                px, py, pz = moms[i, e, 0], moms[i, e, 1], moms[i, e, 2]
                pt = math.sqrt(px * px + py * py)
                p = math.sqrt(pt * pt + pz * pz)
                nx, ny = -py / pt, px / pt
                sin_t, cos_t = pt / p, pz / p
                mx, my, mz = -cos_t * px / pt, -cos_t * py / pt, sin_t
                wn = 1.0 / max(local[i, e, 0], 1e-7) ** 2
                wm = 1.0 / max(local[i, e, 3] * sin_t, 1e-7) ** 2
                nv = (nx, ny, 0.0)
                mv = (mx, my, mz)
                for r in range(3):
                    for s in range(3):
                        w = wn * nv[r] * nv[s] + wm * mv[r] * mv[s]
                        a[r, s] += w
                        c[r] += w * points[i, e, s]
            det = (
                a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
                - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
                + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0])
            )
            scale = a[0, 0] * a[1, 1] * a[2, 2]
            good = det > 1e-12 * scale
        ok[e] = good
        if not good:
            for r in range(3):
                pos[e, r] = nan
            for r in range(6):
                cov[e, r] = nan
            for r in range(4):
                p4[e, r] = nan
            chi2[e] = mass[e] = mass_err[e] = nan
            continue
        inv = np.empty((3, 3))
        inv[0, 0] = (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1]) / det
        inv[0, 1] = (a[0, 2] * a[2, 1] - a[0, 1] * a[2, 2]) / det
        inv[0, 2] = (a[0, 1] * a[1, 2] - a[0, 2] * a[1, 1]) / det
        inv[1, 1] = (a[0, 0] * a[2, 2] - a[0, 2] * a[2, 0]) / det
        inv[1, 2] = (a[0, 2] * a[1, 0] - a[0, 0] * a[1, 2]) / det
        inv[2, 2] = (a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]) / det
        inv[1, 0], inv[2, 0], inv[2, 1] = inv[0, 1], inv[0, 2], inv[1, 2]
        for r in range(3):
            pos[e, r] = inv[r, 0] * c[0] + inv[r, 1] * c[1] + inv[r, 2] * c[2]
        cov[e, 0], cov[e, 1], cov[e, 2] = inv[0, 0], inv[1, 1], inv[2, 2]
        cov[e, 3], cov[e, 4], cov[e, 5] = inv[0, 1], inv[0, 2], inv[1, 2]
        x2 = 0.0
        tot = np.zeros(4)
        for i in range(k):
            px, py, pz = moms[i, e, 0], moms[i, e, 1], moms[i, e, 2]
            pt = math.sqrt(px * px + py * py)
            p = math.sqrt(pt * pt + pz * pz)
            sin_t, cos_t = pt / p, pz / p
            dx = pos[e, 0] - points[i, e, 0]
            dy = pos[e, 1] - points[i, e, 1]
            dz = pos[e, 2] - points[i, e, 2]
            rn = (-py * dx + px * dy) / pt
            rm = -cos_t * (px * dx + py * dy) / pt + sin_t * dz
            x2 += (rn / max(local[i, e, 0], 1e-7)) ** 2
            x2 += (rm / max(local[i, e, 3] * sin_t, 1e-7)) ** 2
            for r in range(4):
                tot[r] += moms[i, e, r]
        chi2[e] = x2
        for r in range(4):
            p4[e, r] = tot[r]
        m = math.sqrt(max(tot[3] ** 2 - tot[0] ** 2 - tot[1] ** 2 - tot[2] ** 2, 0.0))
        mass[e] = m
        var = 0.0
        for i in range(k):  # dM/dp_i = (E p_i/E_i − P)/M, through (pT, φ, tanλ) of track i
            px, py, pz, ei = moms[i, e, 0], moms[i, e, 1], moms[i, e, 2], moms[i, e, 3]
            pt = math.sqrt(px * px + py * py)
            gx = (tot[3] * px / ei - tot[0]) / max(m, 1e-12)
            gy = (tot[3] * py / ei - tot[1]) / max(m, 1e-12)
            gz = (tot[3] * pz / ei - tot[2]) / max(m, 1e-12)
            d_pt = (gx * px + gy * py + gz * pz) / pt  # ∂p/∂pT = p/pT
            d_phi = -gx * py + gy * px  # ∂p/∂φ = (−py, px, 0)
            d_tl = gz * pt  # ∂p/∂tanλ = (0, 0, pT)
            var += (d_pt * pt * local[i, e, 2]) ** 2
            var += (d_phi * local[i, e, 1]) ** 2 + (d_tl * local[i, e, 4]) ** 2
        mass_err[e] = math.sqrt(var)
