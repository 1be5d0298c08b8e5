"""Vertex fit of two or more tracks from their smeared helices and covariances.

Each found track enters as a straight line near the vertex: the point of its smeared helix
at the production region and its direction there (tracking.py), with the position
uncertainty σ_d0 across the track in the transverse plane and σ_z0·sinθ across it in the
plane that contains the track and the z axis (the local d0, z0 errors of the helix). A
second pass takes these errors at the first vertex, at transverse distance s along each
track: σ_n² = σ_d0² − 2s cov(d0, φ0) + s² σ_φ0², σ_m² = sin²θ (σ_z0² + 2s cov(z0, tanλ) +
s² σ_tanλ²), with the track's correlations (tracking.py; line_sigmas); the curvature over s
is neglected. The vertex v minimises χ² = Σ_i Σ_{e = n_i, m_i} (e·(v − q_i))²/σ_{i,e}², a
linear least-squares problem:
v = A⁻¹ Σ W_i q_i, cov(v) = A⁻¹ with A = Σ W_i, W_i = n nᵀ/σ_n² + m mᵀ/σ_m², χ² with
2k − 3 degrees of freedom for k tracks (the linearised vertex fit of Billoir, Frühwirth and
Regler, NIM A241 (1985) 115, in the straight-line limit; Frühwirth & Strandlie, "Pattern
Recognition, Tracking and Vertex Reconstruction in Particle Detectors", Springer 2021, ch. 9).

χ² probability in closed form for integer degrees of freedom (chi2_probability). Derived
quantities, named as the basf2 variables of analysis/variables (Belle II analysis
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
    points = tuple(t.point for t in tracks)  # tuples of arrays: no stacked copies
    moms = tuple(t.p4_at_vertex for t in tracks)
    local = tuple(t.local_sigma for t in tracks)
    found = tuple(t.found for t in tracks)
    pos = np.empty((n, 3))
    cov = np.empty((n, 6))
    chi2 = np.empty(n)
    p4 = np.empty((n, 4))
    mass = np.empty(n)
    mass_err = np.empty(n)
    ok = np.empty(n, dtype=bool)
    _fit_kernel(points, moms, local, found, pos, cov, chi2, p4, mass, mass_err, ok)
    ndf = 2 * k - 3
    chi_prob = np.empty(n)
    chi2_probability(chi2, ndf, chi_prob)
    m_same = masses[0] if same_species and k == 2 else -1.0
    with np.errstate(invalid="ignore"):
        mprime = np.sqrt(mass**2 - 4.0 * m_same**2) if m_same >= 0 else np.full(n, np.nan)
    flight, flight_err, signif, cos_p = np.empty((4, n))
    spot2 = np.asarray(spot_sigma, dtype=float) ** 2
    _flight_kernel(pos, cov, p4, spot2, flight, flight_err, signif, cos_p)
    fields = [pos, cov, chi2, chi_prob, p4, mass, mass_err, mprime, flight, flight_err, signif,
              cos_p]  # fmt: skip
    exists = ok
    if vtx.min_chi_prob > 0.0:  # the kernel left NaN where no fit; also drop the poor fits
        exists = ok & (chi_prob >= vtx.min_chi_prob)
        for f in fields:
            f[~exists] = np.nan
    return VertexResponse(
        exists, pos, cov, chi2, ndf, chi_prob, p4, mass, mass_err, mprime, flight, flight_err,
        signif, cos_p,
    )  # fmt: skip


@numba.njit(cache=True, error_model="numpy")
def chi2_probability(chi2, ndf, out):  # pragma: no cover - compiled
    """P(χ²_ndf ≥ χ²) for integer ndf ≥ 1, in closed form (Abramowitz & Stegun, Handbook of
    Mathematical Functions, 26.4.4–26.4.5): even ν = 2k: e^{−x/2} Σ_{j<k} (x/2)^j/j!; odd
    ν = 2k+1: erfc(√(x/2)) + e^{−x/2} Σ_{j=1}^{k} (x/2)^{j−1/2}/Γ(j+1/2). NaN stays NaN."""
    gamma_15 = math.gamma(1.5)  # Γ(3/2), once (a libm call per event otherwise)
    for i in range(chi2.shape[0]):
        x = 0.5 * chi2[i]
        if not x >= 0.0:
            out[i] = math.nan
            continue
        if ndf % 2 == 0:
            e = math.exp(-x)
            term = 1.0
            total = 1.0
            for j in range(1, ndf // 2):
                term *= x / j
                total += term
            out[i] = e * total
        else:
            root = math.sqrt(x)
            total = math.erfc(root)
            if ndf > 1:  # ν = 1 (two tracks) is erfc alone: no exp, no series
                e = math.exp(-x)
                term = root / gamma_15  # j = 1: (x)^{1/2}/Γ(3/2)
                for j in range(1, (ndf - 1) // 2 + 1):
                    total += e * term
                    term *= x / (j + 0.5)  # Γ(j + 3/2) = (j + 1/2) Γ(j + 1/2)
            out[i] = total


@numba.njit(cache=True, error_model="numpy")
def _flight_kernel(pos, cov, p4, spot2, flight, flight_err, signif, cos_p):  # pragma: no cover
    """flightDistance, its error, significanceOfDistance and the pointing cosine w.r.t. the
    IP (the luminous-region centre; its size, `spot2` = σ², enters the errors): the error
    of a projection on the unit vector u is √(uᵀ (C + diag(σ²)) u). NaN where no vertex."""
    for e in range(pos.shape[0]):
        x, y, z = pos[e, 0], pos[e, 1], pos[e, 2]
        px, py, pz = p4[e, 0], p4[e, 1], p4[e, 2]
        inv_p = 1.0 / math.sqrt(px * px + py * py + pz * pz)
        dist = math.sqrt(x * x + y * y + z * z)
        inv_d = 1.0 / dist if dist > 0.0 else 0.0
        cxx, cyy, czz = cov[e, 0] + spot2[0], cov[e, 1] + spot2[1], cov[e, 2] + spot2[2]
        cxy, cxz, cyz = cov[e, 3], cov[e, 4], cov[e, 5]
        ux, uy, uz = px * inv_p, py * inv_p, pz * inv_p
        dx, dy, dz = x * inv_d, y * inv_d, z * inv_d
        flight[e] = x * ux + y * uy + z * uz
        q = cxx * ux * ux + cyy * uy * uy + czz * uz * uz
        q += 2.0 * (cxy * ux * uy + cxz * ux * uz + cyz * uy * uz)
        flight_err[e] = math.sqrt(q)
        q = cxx * dx * dx + cyy * dy * dy + czz * dz * dz
        q += 2.0 * (cxy * dx * dy + cxz * dx * dz + cyz * dy * dz)
        signif[e] = dist / math.sqrt(q)
        cos_p[e] = ux * dx + uy * dy + uz * dz


@numba.njit(cache=True, inline="always")
def line_sigmas(local, e, arc, sin_t):
    """σ of a track's line across its direction, in the transverse plane (n) and in the plane
    with the z axis (m), at transverse distance `arc` from its point at the production region:
    the point moves by −δd0 + arc·δφ0 along n and by (δz0 + arc·δtanλ)·sinθ along m, so
    σ_n² = σ_d0² − 2 arc cov(d0, φ0) + arc² σ_φ0² and σ_m² = sin²θ (σ_z0² + 2 arc
    cov(z0, tanλ) + arc² σ_tanλ²) (the track covariance of tracking.py at that point, linear
    propagation; Frühwirth & Strandlie, Springer 2021, ch. 9)."""
    s_d0, s_ph, s_z0, s_tl = local[e, 0], local[e, 1], local[e, 3], local[e, 4]
    vn = s_d0 * s_d0 - 2.0 * arc * local[e, 5] * s_d0 * s_ph + arc * arc * s_ph * s_ph
    vm = s_z0 * s_z0 + 2.0 * arc * local[e, 6] * s_z0 * s_tl + arc * arc * s_tl * s_tl
    return max(math.sqrt(max(vn, 0.0)), 1e-7), max(math.sqrt(max(vm, 0.0)) * sin_t, 1e-7)


@numba.njit(cache=True, error_model="numpy")
def _fit_kernel(points, moms, local, found, pos, cov, chi2, p4, mass, mass_err, ok):
    """Per event (module docstring): weighted intersection of the k lines, its covariance
    and χ², the summed four-momentum, the mass and its propagated error. `ok` is False where
    a track is missing or the lines are degenerate (parallel). The tracks' directions (pT, p,
    the unit vectors n and m across the line) are computed once per event into `dirs` and read
    by both passes, the χ² and the mass error (the same expressions: bit-identical)."""
    k, n = len(points), points[0].shape[0]
    nan = math.nan
    dirs = np.empty((k, 9))  # pT, p, n_x, n_y, sinθ, cosθ, m_x, m_y, m_z of each track
    for e in range(n):
        good = True
        for i in range(k):
            good = good and found[i][e]
        for i in range(k if good else 0):
            px, py, pz = moms[i][e, 0], moms[i][e, 1], moms[i][e, 2]
            pt = math.sqrt(px * px + py * py)
            p = math.sqrt(pt * pt + pz * pz)
            sin_t, cos_t = pt / p, pz / p
            dirs[i, 0], dirs[i, 1], dirs[i, 2], dirs[i, 3] = pt, p, -py / pt, px / pt
            dirs[i, 4], dirs[i, 5] = sin_t, cos_t
            dirs[i, 6], dirs[i, 7], dirs[i, 8] = -cos_t * px / pt, -cos_t * py / pt, sin_t
        det = 0.0
        vx = vy = vz = 0.0
        i00 = i01 = i02 = 0.0
        a00 = a01 = a02 = a11 = a12 = a22 = 0.0
        c0 = c1 = c2 = 0.0
        # two passes: the lines' errors at the points, then at the first vertex (line_sigmas)
        for it in range(2 if good else 0):
            a00 = a01 = a02 = a11 = a12 = a22 = 0.0
            c0 = c1 = c2 = 0.0
            for i in range(k):
                px, py = moms[i][e, 0], moms[i][e, 1]
                pt, nx, ny, sin_t = dirs[i, 0], dirs[i, 2], dirs[i, 3], dirs[i, 4]
                mx, my, mz = dirs[i, 6], dirs[i, 7], dirs[i, 8]
                x, y, z = points[i][e, 0], points[i][e, 1], points[i][e, 2]
                arc = ((vx - x) * px + (vy - y) * py) / pt if it > 0 else 0.0
                sn, sm = line_sigmas(local[i], e, arc, sin_t)
                wn = 1.0 / sn**2
                wm = 1.0 / sm**2
                b00 = wn * nx * nx + wm * mx * mx
                b01 = wn * nx * ny + wm * mx * my
                b02 = wm * mx * mz
                b11 = wn * ny * ny + wm * my * my
                b12 = wm * my * mz
                b22 = wm * mz * mz
                a00 += b00
                a01 += b01
                a02 += b02
                a11 += b11
                a12 += b12
                a22 += b22
                c0 += b00 * x + b01 * y + b02 * z
                c1 += b01 * x + b11 * y + b12 * z
                c2 += b02 * x + b12 * y + b22 * z
            i00 = a11 * a22 - a12 * a12
            i01 = a02 * a12 - a01 * a22
            i02 = a01 * a12 - a02 * a11
            det = a00 * i00 + a01 * i01 + a02 * i02
            good = det > 1e-12 * a00 * a11 * a22
            if not good:
                break
            inv_det = 1.0 / det
            vx = (i00 * c0 + i01 * c1 + i02 * c2) * inv_det
            vy = (i01 * c0 + (a00 * a22 - a02 * a02) * c1 + (a02 * a01 - a00 * a12) * c2) * inv_det
            vz = (i02 * c0 + (a02 * a01 - a00 * a12) * c1 + (a00 * a11 - a01 * a01) * c2) * inv_det
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
        inv_det = 1.0 / det
        v00, v01, v02 = i00 * inv_det, i01 * inv_det, i02 * inv_det
        v11 = (a00 * a22 - a02 * a02) * inv_det
        v12 = (a02 * a01 - a00 * a12) * inv_det
        v22 = (a00 * a11 - a01 * a01) * inv_det
        vx = v00 * c0 + v01 * c1 + v02 * c2
        vy = v01 * c0 + v11 * c1 + v12 * c2
        vz = v02 * c0 + v12 * c1 + v22 * c2
        pos[e, 0], pos[e, 1], pos[e, 2] = vx, vy, vz
        cov[e, 0], cov[e, 1], cov[e, 2] = v00, v11, v22
        cov[e, 3], cov[e, 4], cov[e, 5] = v01, v02, v12
        x2 = 0.0
        tx = ty = tz = te = 0.0
        for i in range(k):
            px, py, pz = moms[i][e, 0], moms[i][e, 1], moms[i][e, 2]
            pt, sin_t, cos_t = dirs[i, 0], dirs[i, 4], dirs[i, 5]
            dx = vx - points[i][e, 0]
            dy = vy - points[i][e, 1]
            dz = vz - points[i][e, 2]
            rn = (-py * dx + px * dy) / pt
            rm = -cos_t * (px * dx + py * dy) / pt + sin_t * dz
            sn, sm = line_sigmas(local[i], e, (px * dx + py * dy) / pt, sin_t)
            x2 += (rn / sn) ** 2 + (rm / sm) ** 2
            tx += px
            ty += py
            tz += pz
            te += moms[i][e, 3]
        chi2[e] = x2
        p4[e, 0], p4[e, 1], p4[e, 2], p4[e, 3] = tx, ty, tz, te
        m = math.sqrt(max(te * te - tx * tx - ty * ty - tz * tz, 0.0))
        mass[e] = m
        inv_m = 1.0 / max(m, 1e-12)
        var = 0.0
        for i in range(k):  # dM/dp_i = (E p_i/E_i − P)/M, through (pT, φ, tanλ) of track i
            px, py, pz, ei = moms[i][e, 0], moms[i][e, 1], moms[i][e, 2], moms[i][e, 3]
            pt = dirs[i, 0]
            gx = (te * px / ei - tx) * inv_m
            gy = (te * py / ei - ty) * inv_m
            gz = (te * pz / ei - tz) * inv_m
            d_pt = (gx * px + gy * py + gz * pz) / pt  # ∂p/∂pT = p/pT
            d_phi = -gx * py + gy * px  # ∂p/∂φ = (−py, px, 0)
            d_tl = gz * pt  # ∂p/∂tanλ = (0, 0, pT)
            var += (d_pt * pt * local[i][e, 2]) ** 2
            var += (d_phi * local[i][e, 1]) ** 2 + (d_tl * local[i][e, 4]) ** 2
        mass_err[e] = math.sqrt(var)
