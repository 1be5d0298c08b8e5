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

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..generator.kinematics import mass as inv_mass
from .config import TrackingSettings, VertexSettings
from .tracking import TrackResponse, impact_sigmas

Array = NDArray[np.float64]


@dataclass
class VertexResponse:
    """Fitted vertices of N events for one pair of template slots."""

    exists: NDArray[np.bool_]  # (N,)
    position: Array  # (N, 3) mm, NaN where not fitted
    p4: Array  # (N, 4) sum of the track momenta at the vertex
    mass: Array  # (N,) GeV
    mprime: Array  # (N,) GeV, NaN for unequal species


def _position_sigma(
    tr: TrackResponse, r_vertex: Array, trk: TrackingSettings
) -> tuple[Array, Array]:
    """Transverse and longitudinal position error of one track at the vertex (mm)."""
    p4 = tr.p4_at_vertex
    p = np.linalg.norm(p4[:, :3], axis=1)
    sin_t = np.hypot(p4[:, 0], p4[:, 1]) / np.maximum(p, 1e-12)
    # the impact-parameter resolution, with the lever arm from the vertex to the first hit
    first = np.maximum(tr.first_radius - r_vertex, 0.0)
    return impact_sigmas(p, p / p4[:, 3], sin_t, first, tr.sigma_point, trk)


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
    r_true = np.hypot(true_vertex[:, 0], true_vertex[:, 1])
    s1, z1 = _position_sigma(t1, r_true, trk)
    s2, z2 = _position_sigma(t2, r_true, trk)
    sig_t = 0.5 * (s1 + s2)
    sig_z = 0.5 * (z1 + z2)
    u1 = t1.p4_at_vertex[:, :2] / np.hypot(*t1.p4_at_vertex[:, :2].T)[:, None]
    u2 = t2.p4_at_vertex[:, :2] / np.hypot(*t2.p4_at_vertex[:, :2].T)[:, None]
    cos_open = np.clip(np.sum(u1 * u2, axis=1), -1.0, 1.0)
    half = 0.5 * np.arccos(cos_open)
    floor = vtx.min_opening_sine
    bis = u1 + u2
    bis /= np.maximum(np.linalg.norm(bis, axis=1, keepdims=True), 1e-12)
    perp = np.stack([-bis[:, 1], bis[:, 0]], axis=1)
    s_par = sig_t / (np.sqrt(2.0) * np.maximum(np.sin(half), floor))
    s_perp = sig_t / (np.sqrt(2.0) * np.maximum(np.cos(half), floor))
    g = rng.standard_normal((n, 3))
    pos = np.empty((n, 3))
    pos[:, :2] = (
        true_vertex[:, :2] + (s_par * g[:, 0])[:, None] * bis + (s_perp * g[:, 1])[:, None] * perp
    )
    pos[:, 2] = true_vertex[:, 2] + sig_z / np.sqrt(2.0) * g[:, 2]
    exists = t1.found & t2.found & (rng.random(n) < vtx.efficiency_at(r_true))
    p4 = t1.p4_at_vertex + t2.p4_at_vertex
    m = inv_mass(p4)
    with np.errstate(invalid="ignore"):
        mprime = np.sqrt(m * m - 4.0 * masses[0] ** 2) if same_species else np.full(n, np.nan)
    pos[~exists] = np.nan
    p4[~exists] = np.nan
    m = np.where(exists, m, np.nan)
    mprime = np.where(exists, mprime, np.nan)
    return VertexResponse(exists, pos, p4, m, mprime)
