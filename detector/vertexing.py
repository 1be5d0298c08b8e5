"""Two-track (V0) vertex fits: position resolution, efficiency, vertex mass and M′.

Resolution: each track's position error at the vertex is its first-layer hit resolution ⊕
the multiple-scattering term b/(pβ sin^{3/2}θ) scaled by the extrapolation distance from the
first layer to the vertex (same model as the impact parameters, tracking.py). Two straight
lines crossing at transverse opening angle Δφ locate their intersection to
σ_∥ = σ/(√2 sin(Δφ/2)) along the bisector and σ_⊥ = σ/(√2 cos(Δφ/2)) across it (geometry of
a two-line intersection; Frühwirth & Strandlie, "Pattern Recognition, Tracking and Vertex
Reconstruction in Particle Detectors", Springer 2021, ch. 9); z to σ_z/√2.
Efficiency: both tracks found, times the card's ε(r) at the true transverse distance.
Mass from the track momenta at the vertex; reduced mass M′ = √(M² − 4m²) for a pair of equal
species of mass m (Belle II, PRD 108 (2023) L111104, arXiv:2306.02830; REFERENCES.md §7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from .config import TrackingSettings, VertexSettings
from .helix_kernel import impact_sigmas
from .tracking import TrackResponse

Array = NDArray[np.float64]


@dataclass
class VertexResponse:
    """Fitted vertices of N events for one pair of template slots."""

    exists: NDArray[np.bool_]  # (N,)
    position: Array  # (N, 3) mm, NaN where not fitted
    p4: Array  # (N, 4) sum of the track momenta at the vertex
    mass: Array  # (N,) GeV
    mprime: Array  # (N,) GeV, NaN for unequal species


def fit_vertex(
    rng: np.random.Generator,
    t1: TrackResponse,
    t2: TrackResponse,
    true_vertex: Array,
    masses: tuple[float, float],
    same_species: bool,
    vtx: VertexSettings,
    trk: TrackingSettings,
) -> VertexResponse:
    """Fit the common vertex of two tracks produced at `true_vertex` (N, ≥3)."""
    n = true_vertex.shape[0]
    r_true = np.sqrt(true_vertex[:, 0] ** 2 + true_vertex[:, 1] ** 2)
    g = rng.standard_normal((n, 3))
    u = rng.random(n)
    pos = np.empty((n, 3))
    p4 = np.empty((n, 4))
    m = np.empty(n)
    mprime = np.empty(n)
    exists = np.empty(n, dtype=bool)
    _fit_kernel(
        t1.p4_at_vertex, t2.p4_at_vertex, t1.found, t2.found, t1.first_radius,
        t2.first_radius, t1.sigma_point, t2.sigma_point, true_vertex, r_true, g,
        u < vtx.efficiency_at(r_true), masses[0] if same_species else -1.0,
        vtx.min_opening_sine,
        np.array([trk.layer_radii[0], trk.layer_resolution[0], *trk.d0_resolution,
                  *trk.z0_resolution]),
        pos, p4, m, mprime, exists,
    )  # fmt: skip
    return VertexResponse(exists, pos, p4, m, mprime)


@numba.njit(cache=True)
def _fit_kernel(
    v1, v2, found1, found2, first1, first2, sigp1, sigp2, true_vertex, r_true, g, efficient,
    m_same, floor, trk, pos, p4, mass, mprime, exists,
):  # pragma: no cover - compiled  # fmt: skip
    """Per event (module docstring): the track errors at the vertex are the impact-parameter
    resolutions (helix_kernel.impact_sigmas) with the lever arm from the vertex to the first
    hit; the half opening angle's sine and cosine from cos Δφ (no arccos); M′ when
    `m_same` ≥ 0 (the common mass). NaN where no vertex."""
    r1, res1, a_d0, b_d0, a_z0, b_z0 = trk[0], trk[1], trk[2], trk[3], trk[4], trk[5]
    sqrt2 = math.sqrt(2.0)
    nan = math.nan
    for k in range(v1.shape[0]):
        ok = found1[k] and found2[k] and efficient[k]
        exists[k] = ok
        if not ok:
            pos[k, 0] = pos[k, 1] = pos[k, 2] = nan
            p4[k, 0] = p4[k, 1] = p4[k, 2] = p4[k, 3] = nan
            mass[k] = mprime[k] = nan
            continue
        st = 0.0
        sz = 0.0
        for v, first, sigp in ((v1, first1, sigp1), (v2, first2, sigp2)):
            pt = math.sqrt(v[k, 0] ** 2 + v[k, 1] ** 2)
            p = math.sqrt(pt * pt + v[k, 2] ** 2)
            s_t, s_z = impact_sigmas(
                p, p / v[k, 3], pt / max(p, 1e-12), max(first[k] - r_true[k], 0.0), sigp[k],
                r1, res1, a_d0, b_d0, a_z0, b_z0,
            )  # fmt: skip
            st += 0.5 * s_t
            sz += 0.5 * s_z
        n1 = math.sqrt(v1[k, 0] ** 2 + v1[k, 1] ** 2)
        n2 = math.sqrt(v2[k, 0] ** 2 + v2[k, 1] ** 2)
        ux1, uy1, ux2, uy2 = v1[k, 0] / n1, v1[k, 1] / n1, v2[k, 0] / n2, v2[k, 1] / n2
        cos_open = min(max(ux1 * ux2 + uy1 * uy2, -1.0), 1.0)
        sin_half = math.sqrt(0.5 * (1.0 - cos_open))
        cos_half = math.sqrt(0.5 * (1.0 + cos_open))
        bx, by = ux1 + ux2, uy1 + uy2
        nb = max(math.sqrt(bx * bx + by * by), 1e-12)
        bx, by = bx / nb, by / nb
        s_par = st / (sqrt2 * max(sin_half, floor)) * g[k, 0]
        s_perp = st / (sqrt2 * max(cos_half, floor)) * g[k, 1]
        pos[k, 0] = true_vertex[k, 0] + s_par * bx - s_perp * by
        pos[k, 1] = true_vertex[k, 1] + s_par * by + s_perp * bx
        pos[k, 2] = true_vertex[k, 2] + sz / sqrt2 * g[k, 2]
        for j in range(4):
            p4[k, j] = v1[k, j] + v2[k, j]
        m2 = p4[k, 3] ** 2 - (p4[k, 0] ** 2 + p4[k, 1] ** 2 + p4[k, 2] ** 2)
        m = math.sqrt(max(m2, 0.0))
        mass[k] = m
        mprime[k] = (
            math.sqrt(m * m - 4.0 * m_same**2) if m_same >= 0.0 and m >= 2.0 * m_same else nan
        )
