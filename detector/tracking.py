"""Charged-track response: helix through the layers, finding, a smeared helix with its
covariance, perigee at the IP and the extrapolation to the calorimeter.

- Propagation: helix in the solenoid field from the true production point (helix.py); a
  layer has a hit when the helix reaches its radius inside the polar acceptance on the way
  out (curlers that turn back before a layer have no hit there and beyond).
- Finding (one displaced-track model, the card's `efficiency_model`): a track needs
  `min_silicon_hits` silicon and `min_drift_hits` drift-chamber layers crossed (the hits the
  track finding needs; none where the tracker cannot find tracks), then
  ε = plateau · (1 − exp(−(pT − pT_min)/pT_turn-on)) · f, with f = clip((n_dc − n_min + 1)/
  (n_full − n_min + 1), 0, 1) in the "layers" model (n_dc drift-chamber layers crossed) or
  f = ε_table(r_production)/plateau in the "table" model (ε(r) replaces the plateau and the
  ramp, never multiplies them), or, in the "impact" model, f = ε_table(r)/plateau times 1 if
  the TRUE helix passes within `global_max_d0` of the beam axis and `local_efficiency`
  otherwise: one function of the track's two coordinates that matter to a drift-chamber
  finder, where it starts (the wire layers left) and whether it points back to the IP (the
  global pass looks for circles through the IP). The "impact" model is that of a finder whose
  global pass looks for circles through the IP
  (Belle II: basf2's Legendre "search over phi0 and curvature",
  tracking/trackFindingCDC/findlets/minimal/src/AxialTrackCreatorHitLegendre.cc, with no
  impact-parameter axis), leaving tracks that miss the IP to the local segment-based
  finders; a displaced track's |d0| grows with its production radius and with the angle
  between it and its parent, so the loss is gradual in radius and stronger for heavy,
  slow parents. Functional forms: alpsim's own, in the spirit of Delphes' efficiency
  formulas (de Favereau et al., JHEP 02 (2014) 057); their numbers come from the card.
- Measurement: the five helix parameters (d0, φ0, ω, z0, tanλ) of the basf2 `Helix`
  (framework/dataobjects/src/Helix.cc: ω = q/(α pT) > 0 for q > 0 in B along +z; d0 > 0 when
  the IP lies to the left of the direction of motion) are smeared with Gaussians AT THE
  PRODUCTION POINT, (d0, φ0) and (z0, tanλ) correlated through their multiple-scattering
  parts (one scattering angle at a lever arm moves both: helix_kernel.ms_correlations)
  (the track's first measured region), with
  σ_ω/ω = a·pT·(L₀/L)² ⊕ b/β, or ⊕ b where the card says the experiment quotes a constant
  term (`pt_resolution_over_beta = false`, BaBar) (Gluckstern, NIM 24 (1963) 381; PDG
  Review "Particle detectors": curvature term ∝ 1/L² of the measured lever arm L, L₀ that
  of a track from the IP),
  σ_d0 = a·σ_hit/σ₁ ⊕ b/(pβ sin^{3/2}θ)·Δr/r₁ and σ_z0 likewise with sin^{5/2}θ (the
  vertex-detector form of the Belle II TDR arXiv:1011.0352 ch. 4–5; Δr the extrapolation
  from the first hit to the production point, r₁ the innermost layer), σ_φ0 = a·L₀/L ⊕
  b/(pβ sin^{3/2}θ), σ_tanλ = a·L₀/L ⊕ b/(pβ sin^{5/2}θ) (multiple scattering by the angle
  θ₀ ∝ √(x/sinθ)/(pβ) of PDG Review "Passage of particles through matter", Eq. 34.15,
  projected on φ (1/sinθ) and on tanλ = cot θ (1/sin²θ)). The momentum, direction and
  impact parameters all follow from the smeared helix: it is propagated from its point at
  the production vertex to the IP (perigee: d0, z0, the four-momentum as in a track-based
  particle of basf2) and to the calorimeter front face (track–cluster matching, matching.py).
- Covariance at the IP perigee: the covariance at the production point (σ and the two MS
  correlations) transported over the transverse arc L to the perigee, C' = J C Jᵀ with
  d0' = d0 + L φ0 + L²/2 ω, φ0' = φ0 + L ω, z0' = z0 − L tanλ
  (helix_kernel.perigee_covariance; valid for L·|ω| ≪ 1): the five σ and the non-zero
  off-diagonal elements cov(d0, φ0), cov(d0, ω), cov(φ0, ω), cov(z0, tanλ).
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
    p4_at_vertex: Array  # (N, 4) smeared helix at the production point (vertex fits)
    d0: Array  # mm, signed (basf2 Helix), of the smeared helix (NaN where not found)
    z0: Array  # mm
    n_layers: NDArray[np.int64]  # layers crossed (wire/sensor layers)
    n_silicon: NDArray[np.int64]  # silicon layers crossed
    first_radius: Array  # mm, radius of the first layer crossed (inf if none)
    sigma_point: Array  # mm, hit resolution of the first layer crossed
    impact: Array  # (N, 3) true helix impact on the calorimeter front face (NaN if none)
    reached: NDArray[np.bool_]  # (N,) the true helix reaches the calorimeter
    impact_reco: Array  # (N, 3) the smeared helix extrapolated to the calorimeter
    reached_reco: NDArray[np.bool_]  # (N,)
    point: Array  # (N, 3) the smeared helix's point at the production vertex
    local_sigma: Array  # (N, 7) σ of (d0, φ0, ω/ω, z0, tanλ), ρ(d0, φ0), ρ(z0, tanλ) at the
    # production point


#: Track-object columns of the non-zero off-diagonal helix covariances at the IP perigee, in
#: the order of TrackTable.helix rows 10-13 (the other six elements are 0 in this model).
TRACK_COVARIANCES = ("d0Phi0Cov", "d0OmegaCov", "phi0OmegaCov", "z0TanLambdaCov")


@dataclass
class TrackTable:
    """Found tracks of several template slots, slot-major (k, N): what the later stages read
    (vertexing keeps the per-slot TrackResponse). `helix` (14, k, N): d0, phi0, omega, z0,
    tanLambda at the IP perigee, their σ (basf2 d0Err ... tanLambdaErr), ω in 1/mm, then the
    non-zero off-diagonal covariances cov(d0, φ0), cov(d0, ω), cov(φ0, ω), cov(z0, tanλ)."""

    found: NDArray[np.bool_]
    p4: Array  # (k, N, 4) at the POCA
    d0: Array
    z0: Array
    n_layers: NDArray[np.int64]
    kinematics: Array  # (5, k, N): pT, p, cos θ, cos φ, sin φ
    helix: Array  # (10, k, N)

    @classmethod
    def empty(cls, k: int, n: int) -> TrackTable:
        return cls(
            np.empty((k, n), dtype=bool),
            np.empty((k, n, 4)),
            np.empty((k, n)),
            np.empty((k, n)),
            np.empty((k, n), dtype=np.int64),
            np.empty((5, k, n)),
            np.empty((14, k, n)),
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


def finding_efficiency(
    pt: Array,
    n_layers: NDArray[np.int64],
    trk: TrackingSettings,
    n_silicon: NDArray[np.int64] | None = None,
    r_production: Array | None = None,
    d0_true: Array | None = None,
) -> Array:
    """Track-finding probability (formula in the module docstring); `n_layers` counts all
    layers crossed, `n_silicon` the silicon ones among them (0 if not given); the "table"
    model reads `r_production` (mm), the "impact" model `d0_true` (mm, true helix; 0 if not
    given)."""
    n_si = np.zeros_like(n_layers) if n_silicon is None else n_silicon
    n_dc = n_layers - n_si
    turn_on = -np.expm1(-np.maximum(pt - trk.min_pt, 0.0) / trk.pt_turn_on)
    hits = (n_si >= trk.min_silicon_hits) & (n_dc >= trk.min_drift_hits)
    if trk.efficiency_model == "table":
        r = np.zeros_like(pt) if r_production is None else r_production
        return hits * turn_on * trk.table_efficiency_at(r)
    if trk.efficiency_model == "impact":
        r = np.zeros_like(pt) if r_production is None else r_production
        d0 = np.zeros_like(pt) if d0_true is None else d0_true
        return hits * turn_on * trk.table_efficiency_at(r) * trk.impact_factor(d0)
    span = trk.full_drift_hits - trk.min_drift_hits + 1
    ramp = np.clip((n_dc - trk.min_drift_hits + 1) / span, 0.0, 1.0)
    return trk.efficiency * turn_on * ramp * hits


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
    (helix_kernel.track_kernel: the formulas of helix.py and of this module's docstring).
    """
    n = p4.shape[0]
    if table is None:
        table, slot = TrackTable.empty(1, n), 0
    kin = table.kinematics[:, slot]
    geo = (cal.inner_radius, cal.z_backward, cal.z_forward) if cal else (0.0, 0.0, 0.0)
    u_found = rng.random(n)
    g = rng.standard_normal((5, n))
    radii, weights, res, cot_lo, cot_hi, resp, hits = trk.kernel_arrays
    x0 = np.ascontiguousarray(vertex[:, :3])  # one strided read of the event record
    table_eff, d0_factor = None, None
    if trk.efficiency_model in ("table", "impact"):
        table_eff = trk.table_efficiency_at(np.hypot(x0[:, 0], x0[:, 1]))
    if trk.efficiency_model == "impact":
        d0_factor = trk.impact_factor  # of the true helix's d0, which the kernel computes
    helix = table.helix[:, slot]  # (14, N) view, written in place
    (found, out, at_vertex, d0, z0, n_layers, n_si, first, sigma_point, impact, reached,
     impact_reco, reached_reco, point, local) = track_kernel(
        x0, np.ascontiguousarray(p4[:, :4]), float(charge), trk.field, radii, weights, res,
        cot_lo, cot_hi, *geo, int(trk.n_silicon), u_found, g, float(mass), resp, hits,
        table_eff, d0_factor, table.found[slot], table.p4[slot], kin, helix,
    )  # fmt: skip
    table.d0[slot], table.z0[slot], table.n_layers[slot] = d0, z0, n_layers
    return TrackResponse(
        found, out, at_vertex, table.d0[slot], table.z0[slot], table.n_layers[slot], n_si,
        first, sigma_point, impact, reached, impact_reco, reached_reco, point, local,
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
