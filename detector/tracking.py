"""Charged-track response: helix through the layers, finding efficiency, resolutions, perigee.

- Propagation: helix in the solenoid field from the true production point (helix.py); a
  layer has a hit when the helix reaches its radius inside the polar acceptance on the way
  out (curlers that turn back before a layer have no hit there and beyond).
- Finding efficiency: ε = plateau · (1 − exp(−(pT − pT_min)/pT_turn-on)) ·
  clip((n − n_min + 1)/(n_full − n_min + 1), 0, 1), n the number of layers crossed, so that
  tracks from displaced decays (fewer layers) are found less often. Functional form: alpsim's
  own parametrisation, in the spirit of Delphes' efficiency formulas (de Favereau et al.,
  JHEP 02 (2014) 057); its numbers come from the card.
- Momentum: σ_pT/pT = a·pT·(L₀/L)² ⊕ b/β: curvature term scaled by the measured lever arm L
  (Gluckstern, NIM 24 (1963) 381; PDG Review "Particle detectors", tracking: σ ∝ 1/L²) with
  L₀ that of a track from the IP; multiple-scattering term b/β.
- Impact parameters relative to the IP: σ_d0 = a_first ⊕ b/(pβ sin^{3/2}θ) · r_first/r₁ and
  σ_z0 likewise with sin^{5/2}θ (the usual vertex-detector form, Belle II TDR arXiv:1011.0352
  ch. 4/5; extrapolation error ∝ lever arm from the first hit at r_first to the beam line,
  r₁ the innermost layer); a_first scales with the single-hit resolution of the first layer.
- Reconstructed momentum: at the point of closest approach to the IP (as a track-based
  particle in basf2), with the smeared pT; its mass from the hypothesis given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .config import CalorimeterSettings, TrackingSettings
from .helix import Helix
from .helix_kernel import track_kernel

Array = NDArray[np.float64]


@dataclass
class TrackResponse:
    """Response of the tracker to N charged particles of one template slot."""

    found: NDArray[np.bool_]  # (N,)
    p4: Array  # (N, 4) at the POCA to the IP, NaN where not found
    p4_at_vertex: Array  # (N, 4) at the production point with the same smearing (vertex fits)
    d0: Array  # mm, signed, smeared (NaN where not found)
    z0: Array  # mm, smeared
    n_layers: NDArray[np.int64]  # layers crossed (wire/sensor layers)
    first_radius: Array  # mm, radius of the first layer crossed (inf if none)
    sigma_point: Array  # mm, hit resolution of the first layer crossed
    impact: Array  # (N, 3) helix impact on the calorimeter front face (NaN if none)
    reached: NDArray[np.bool_]  # (N,) the helix reaches the calorimeter


@dataclass
class TrackTable:
    """Found tracks of several template slots, slot-major (k, N): what the later stages read
    (vertexing keeps the per-slot TrackResponse)."""

    found: NDArray[np.bool_]
    p4: Array  # (k, N, 4) at the POCA
    d0: Array
    z0: Array
    n_layers: NDArray[np.int64]
    kinematics: Array  # (5, k, N): pT, p, cos θ, cos φ, sin φ

    @classmethod
    def empty(cls, k: int, n: int) -> TrackTable:
        return cls(
            np.empty((k, n), dtype=bool),
            np.empty((k, n, 4)),
            np.empty((k, n)),
            np.empty((k, n)),
            np.empty((k, n), dtype=np.int64),
            np.empty((5, k, n)),
        )


def layer_crossings(
    helix: Helix, trk: TrackingSettings
) -> tuple[NDArray[np.int64], Array, Array, Array]:
    """Layers crossed on the way out: (count, first radius, last radius, first-layer σ)."""
    n = helix.radius.shape[0]
    r0 = np.hypot(helix.x0[:, 0], helix.x0[:, 1])
    cot_lo, cot_hi = 1.0 / np.tan(trk.theta_range[1]), 1.0 / np.tan(trk.theta_range[0])
    count = np.zeros(n, dtype=np.int64)
    first = np.full(n, np.inf)
    last = np.zeros(n)
    sigma = np.full(n, np.inf)
    r_max = helix.r_max
    for r, w, res in zip(trk.layer_radii, trk.layer_weights, trk.layer_resolution, strict=True):
        cand = (r0 < r) & (r_max > r)
        if not cand.any():
            continue
        alpha, ok = helix.alpha_to_radius(r)
        z = helix.x0[:, 2] + helix.dz_dalpha * alpha
        cot = z / r
        hit = cand & ok & (cot >= cot_lo) & (cot <= cot_hi)
        count += w * hit
        new = hit & ~np.isfinite(first)
        first[new] = r
        sigma[new] = res
        last[hit] = r
    return count, first, last, sigma


def finding_efficiency(pt: Array, n_layers: NDArray[np.int64], trk: TrackingSettings) -> Array:
    """Track-finding probability (formula in the module docstring)."""
    turn_on = -np.expm1(-np.maximum(pt - trk.min_pt, 0.0) / trk.pt_turn_on)
    span = trk.full_layers - trk.min_layers + 1
    layers = np.clip((n_layers - trk.min_layers + 1) / span, 0.0, 1.0)
    return trk.efficiency * turn_on * layers


def track_response(
    rng: np.random.Generator,
    p4: Array,
    vertex: Array,
    charge: float,
    mass: float,
    trk: TrackingSettings,
    cal: CalorimeterSettings | None = None,
    table: TrackTable | None = None,
    slot: int = 0,
) -> TrackResponse:
    """Propagate, find and measure N tracks of one charge (true four-momenta p4 (N, 4)).

    With `cal`, also the helix's impact point on the calorimeter front face (else NaN). With
    `table`, the result is written into row `slot` of it and the response refers to that row.
    The helix mathematics and the response run in the compiled kernel
    (helix_kernel.track_kernel: the formulas of helix.py, finding_efficiency and
    helix_kernel.impact_sigmas).
    """
    n = p4.shape[0]
    if table is None:
        table, slot = TrackTable.empty(1, n), 0
    kin = table.kinematics[:, slot]
    geo = (cal.inner_radius, cal.z_backward, cal.z_forward) if cal else (0.0, 0.0, 0.0)
    u_found = rng.random(n)
    g = rng.standard_normal((3, n))
    resp = np.array(
        [
            trk.min_pt,
            trk.pt_turn_on,
            trk.efficiency,
            *trk.pt_resolution,
            *trk.d0_resolution,
            *trk.z0_resolution,
        ],
        dtype=float,
    )
    found, out, at_vertex, d0, z0, n_layers, first, sigma_point, impact, reached = track_kernel(
        np.ascontiguousarray(vertex[:, :3]),  # one strided read of the event record
        np.ascontiguousarray(p4[:, :4]),
        float(charge),
        trk.field,
        np.asarray(trk.layer_radii, dtype=float),
        np.asarray(trk.layer_weights, dtype=np.int64),
        np.asarray(trk.layer_resolution, dtype=float),
        1.0 / np.tan(trk.theta_range[1]),
        1.0 / np.tan(trk.theta_range[0]),
        *geo,
        u_found,
        g,
        float(mass),
        resp,
        int(trk.min_layers),
        int(trk.full_layers),
        table.found[slot],
        table.p4[slot],
        kin,
    )
    table.d0[slot], table.z0[slot], table.n_layers[slot] = d0, z0, n_layers
    return TrackResponse(
        found, out, at_vertex, table.d0[slot], table.z0[slot], table.n_layers[slot], first,
        sigma_point, impact, reached,
    )  # fmt: skip


def reconstruct_tracks(
    rng: np.random.Generator,
    p4: Array,
    vertex: Array,
    mass: float,
    trk: TrackingSettings,
    charge: float = 1.0,
) -> tuple[Array, NDArray[np.bool_]]:
    """Reconstructed track four-momenta (N, 4) and a found mask (N,) (see track_response)."""
    r = track_response(rng, p4, vertex, charge, mass, trk)
    return r.p4, r.found
