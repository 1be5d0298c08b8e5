"""Calorimeter response: where particles land, what they deposit, clusters and merging.

- Photons are propagated in a straight line from their true production vertex, charged
  particles along their helix (helix.py), to the front face of the calorimeter (a cylinder
  with end caps); clusters are then reconstructed as if from the nominal interaction point,
  as the experiments do (basf2 analysis/ClusterUtility/include/ClusterUtils.h: "The default
  vertex hypothesis is taken from the beamparameters"): this is what degrades the di-photon
  mass of displaced ALPs.
- Deposits: photons and electrons their energy (electromagnetic shower); muons a minimum-
  ionising deposit; charged hadrons a MIP deposit, or with the card's interaction probability a
  hadronic shower carrying a visible fraction of the kinetic energy; K_L and neutrons (card
  `neutral_hadrons`) the same shower or nothing (PDG Review, "Passage of particles through
  matter": MIP dE/dx; "Calorimetry": hadronic showers in an EM calorimeter).
- Regions: each polar-angle region of the card (barrel, end caps; gaps are holes) has its own
  resolution terms, threshold and low-side tail; a deposit takes the region of its impact.
- Energy: σ_E/E = noise/E ⊕ stochastic/E^{1/4} ⊕ sampling/√E ⊕ constant (Belle ECL form,
  Belle NIM A 479 (2002) 117; the 1/√E term as BESIII quotes it, NIM A 614 (2010) 345)
  around a Crystal Ball response (Gaussian core, power-law tail below −α σ: J. E. Gaiser,
  SLAC-R-255 (1982)) for the energy lost to leakage and to the material in front;
  position: σ = a + b/√E + c/E^{1/4} mm on the front face.
- Cluster finding: polar-angle coverage of the impact point, the region's energy threshold,
  efficiency ε(E) = plateau·(1 − exp(−E/E_turn-on)).
- Merging: with a crystal size and Molière radius in the card, by the overlap of the showers
  in the crystals (showershape.py: one local maximum → one cluster), with the basf2 shower-
  shape variables per cluster; otherwise two clusters whose impact points are closer than the
  card's merging distance become one. Energies add, the position is the energy-weighted
  mean; the cluster keeps the first template slot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .calo_kernel import (
    N_PARAMS,
    P_ALPHA,
    P_CONST,
    P_N,
    P_NOISE,
    P_POS_A,
    P_POS_B,
    P_POS_C,
    P_SAMPL,
    P_STOCH,
    P_THRESH,
    cluster_momenta,
    merge_slots,
    ray_exit,
    smear_deposits,
)
from .config import CalorimeterSettings
from .geometry import hit_cylinder
from .helix import Helix
from .showershape import crystal_table, merge_showers, shower_coordinates, shower_shapes

Array = NDArray[np.float64]


def photon_impact(
    p4: Array, vertex: Array, cal: CalorimeterSettings
) -> tuple[Array, NDArray[np.bool_]]:
    """Straight-line impact point (N, 3) on the calorimeter front and a reached mask."""
    return hit_cylinder(vertex[:, :3], p4[:, :3], cal.inner_radius, cal.z_backward, cal.z_forward)


def charged_impact(helix: Helix, cal: CalorimeterSettings) -> tuple[Array, NDArray[np.bool_]]:
    """Impact point of helices on the barrel (r = inner_radius) or an end-cap plane.

    A helix hits the barrel at its first crossing of the barrel radius if z is then between
    the end caps; otherwise (or if it never reaches the barrel radius: a curler) it hits the
    end-cap plane it moves towards, if it gets there (pz ≠ 0). Start points outside: no hit.
    """
    n = helix.radius.shape[0]
    r0 = np.hypot(helix.x0[:, 0], helix.x0[:, 1])
    z0 = helix.x0[:, 2]
    inside = (r0 < cal.inner_radius) & (z0 > cal.z_backward) & (z0 < cal.z_forward)
    alpha_b, reach_b = helix.alpha_to_radius(cal.inner_radius)
    reach_b &= helix.r_max > cal.inner_radius
    z_b = z0 + helix.dz_dalpha * alpha_b
    barrel = reach_b & (z_b > cal.z_backward) & (z_b < cal.z_forward)
    plane = np.where(helix.dz_dalpha >= 0.0, cal.z_forward, cal.z_backward)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha_e = (plane - z0) / helix.dz_dalpha
    endcap = ~barrel & np.isfinite(alpha_e) & (alpha_e >= 0.0)
    alpha = np.where(barrel, alpha_b, np.where(endcap, alpha_e, 0.0))
    pos = helix.position(alpha)
    pos[:, 2] = np.where(endcap, plane, pos[:, 2])
    reached = inside & (barrel | endcap)
    pos[~reached] = np.nan
    return pos.reshape(n, 3), reached


@dataclass
class ClusterResponse:
    """Clusters of N events from one template slot (before merging)."""

    energy: Array  # (N,) reconstructed energy, NaN where no cluster
    position: Array  # (N, 3) reconstructed position on the front face, NaN where none
    exists: NDArray[np.bool_]  # (N,)


def make_clusters(
    rng: np.random.Generator,
    deposit: Array,
    impact: Array,
    reached: NDArray[np.bool_],
    cal: CalorimeterSettings,
) -> ClusterResponse:
    """Smear energy and position of deposits at impact points; apply acceptance, threshold,
    efficiency. The direction is taken from the IP (origin) to the smeared position
    (compiled in calo_kernel.smear_deposits)."""
    n = deposit.shape[0]
    g = rng.standard_normal((3, n))
    u = rng.random(n)
    deposit = np.ascontiguousarray(deposit, dtype=float)
    impact = np.ascontiguousarray(np.asarray(impact, dtype=float).T)
    energy, pos, exists = np.empty(n), np.empty((3, n)), np.empty(n, dtype=bool)
    smear_deposits(
        deposit,
        impact[0],
        impact[1],
        impact[2],
        g[0],
        g[1],
        g[2],
        u,
        cal.cluster_efficiency(deposit),
        np.ascontiguousarray(reached),
        smearing_params(cal),
        region_bounds(cal),
        energy,
        pos[0],
        pos[1],
        pos[2],
        exists,
    )
    return ClusterResponse(energy, pos.T, exists)


def smearing_params(cal: CalorimeterSettings) -> Array:
    """The per-region `params` table (M, N_PARAMS) of calo_kernel.smear_deposits."""
    out = np.empty((len(cal.region_list()), N_PARAMS))
    for j, r in enumerate(cal.region_list()):
        out[j, P_NOISE], out[j, P_STOCH], out[j, P_CONST] = r.noise, r.stochastic, r.constant
        out[j, P_POS_A], out[j, P_POS_B], out[j, P_POS_C] = r.position or cal.position_resolution
        out[j, P_THRESH], out[j, P_ALPHA], out[j, P_N] = r.energy_threshold, r.tail_alpha, r.tail_n
        out[j, P_SAMPL] = r.sampling
    return out


def region_bounds(cal: CalorimeterSettings) -> Array:
    """The regions' polar ranges (M, 2) in rad, as calo_kernel.smear_deposits reads them."""
    return np.array([r.theta for r in cal.region_list()], dtype=float).reshape(-1, 2)


def charged_deposit(
    rng: np.random.Generator, p4: Array, abs_pdg: int, mass: float, cal: CalorimeterSettings
) -> Array:
    """True energy deposited by charged particles of one species (module docstring)."""
    n = p4.shape[0]
    if abs_pdg == 11:
        return p4[:, 3].copy()
    mip = cal.mip_energy * (1.0 + cal.mip_spread * rng.standard_normal(n))
    mip = np.clip(mip, 0.0, p4[:, 3] - mass)
    if abs_pdg == 13:
        return mip
    shower = rng.random(n) < cal.hadronic_interaction
    return np.where(shower, _visible_fraction(rng, n, cal) * (p4[:, 3] - mass), mip)


def _visible_fraction(rng: np.random.Generator, n: int, cal: CalorimeterSettings) -> Array:
    """Visible fraction of a hadron shower's kinetic energy: uniform on [0, 2 f] (f the card's
    mean visible fraction), capped at 1; hadron showers in ~1 λ_I of CsI are partly
    contained and under-compensated (PDG Review, "Calorimetry")."""
    return np.minimum(2.0 * cal.hadron_visible_fraction * rng.random(n), 1.0)


def hadron_deposit(
    rng: np.random.Generator, p4: Array, mass: float, cal: CalorimeterSettings
) -> Array:
    """True deposit of neutral hadrons (K_L, n): with the card's interaction probability a
    hadronic shower (visible fraction of the kinetic energy), else nothing."""
    n = p4.shape[0]
    shower = rng.random(n) < cal.hadronic_interaction
    return np.where(shower, _visible_fraction(rng, n, cal) * (p4[:, 3] - mass), 0.0)


def hadron_shower_deposit(
    rng: np.random.Generator, p4: Array, abs_pdg: int, mass: float, cal: CalorimeterSettings
) -> tuple[Array, NDArray[np.bool_]]:
    """charged_deposit (charged) or hadron_deposit (K_L, n), with a mask of the deposits that
    come from a hadronic shower (those can throw split-off clusters)."""
    n = p4.shape[0]
    shower = rng.random(n) < cal.hadronic_interaction
    visible = _visible_fraction(rng, n, cal) * (p4[:, 3] - mass)
    if abs_pdg in (130, 2112):
        return np.where(shower, visible, 0.0), shower
    mip = cal.mip_energy * (1.0 + cal.mip_spread * rng.standard_normal(n))
    mip = np.clip(mip, 0.0, p4[:, 3] - mass)
    return np.where(shower, visible, mip), shower


def split_offs(
    rng: np.random.Generator,
    cal: CalorimeterSettings,
    rows: list[int],
    showered: NDArray[np.bool_],
    deposit: Array,
    impact: Array,
    reached: NDArray[np.bool_],
) -> tuple[Array, Array, NDArray[np.bool_]]:
    """Split-off clusters of hadronic showers: for the calorimeter rows `rows` whose deposit
    comes from a shower (`showered` (len(rows), N)), with the card's probability a fraction
    (uniform on [0, 2 f], f the card's mean) of the deposit moves to a second cluster at an
    exponentially distributed distance (card mean) in a random direction on the front face
    (secondary neutrons and photons of the shower). `deposit` (k, N) of the parents is reduced
    in place; returns the split-offs' deposit (s, N), impact (3, s, N) and reached (s, N)."""
    s, n = len(rows), deposit.shape[1]
    dep, imp = np.zeros((s, n)), np.full((3, s, n), np.nan)
    hit = np.zeros((s, n), dtype=bool)
    for j, c in enumerate(rows):
        split = showered[j] & reached[c] & (rng.random(n) < cal.split_off_probability)
        frac = np.minimum(2.0 * cal.split_off_fraction * rng.random(n), 1.0)
        dist = rng.exponential(cal.split_off_distance, n)
        psi = rng.uniform(0.0, 2.0 * np.pi, n)
        x, y, z = impact[:, c]
        r = np.sqrt(x * x + y * y + z * z)
        theta = np.arctan2(np.hypot(x, y), z) + dist * np.cos(psi) / r
        with np.errstate(divide="ignore", invalid="ignore"):
            phi = np.arctan2(y, x) + dist * np.sin(psi) / (r * np.sin(theta))
        moved = np.where(split, frac * deposit[c], 0.0)
        deposit[c] -= moved
        dep[j] = moved
        imp[:, j] = (
            r * np.sin(theta) * np.cos(phi),
            r * np.sin(theta) * np.sin(phi),
            r * np.cos(theta),
        )
        hit[j] = split & (moved > 0.0)
    return dep, imp, hit


def merge_clusters(
    energy: Array, position: Array, exists: NDArray[np.bool_], distance: float
) -> NDArray[np.int64]:
    """Merge clusters (N, k) closer than `distance` in place; returns the owner (N, k): the
    slot whose cluster now holds each slot's deposit (itself if not merged).

    Per event, pairs of slots are visited in template order: the later cluster is absorbed
    into the earlier one (compiled in calo_kernel.merge_slots, which works slot-major).
    """
    e, xyz = energy.T.copy(), np.moveaxis(position, -1, 0).transpose(0, 2, 1).copy()
    ok = exists.T.copy()
    owner = np.empty(e.shape, dtype=np.int64)
    merge_slots(e, xyz[0], xyz[1], xyz[2], ok, owner, float(distance))
    energy[...] = e.T
    position[...] = np.moveaxis(xyz.transpose(0, 2, 1), 0, -1)
    exists[...] = ok.T
    return np.ascontiguousarray(owner.T)


def cluster_p4(energy: Array, position: Array) -> Array:
    """Massless four-momenta from the IP towards cluster positions (any leading shape)."""
    scale = energy / np.sqrt(position[..., 0] ** 2 + position[..., 1] ** 2 + position[..., 2] ** 2)
    out = np.empty((*energy.shape, 4))
    out[..., :3] = position * scale[..., None]
    out[..., 3] = energy
    return out


def reconstruct_photons(
    rng: np.random.Generator,
    p4: Array,
    vertex: Array,
    cal: CalorimeterSettings,
) -> tuple[Array, NDArray[np.bool_]]:
    """Reconstructed photon four-momenta (N, 4) and a detected mask (N,), without merging."""
    impact, inside = photon_impact(p4, vertex, cal)
    c = make_clusters(rng, p4[:, 3], impact, inside, cal)
    return cluster_p4(c.energy, c.position), c.exists


@dataclass
class BlockClusters:
    """Clusters of one block after merging, slot-major: each (k, N), one row per calorimeter
    slot (NaN where no cluster), except `p4` (k, N, 4). θ and φ are seen from the IP;
    `energy_cms` is the energy in the CM frame (variables.cms_energy)."""

    energy: Array
    x: Array
    y: Array
    z: Array
    exists: NDArray[np.bool_]
    owner: NDArray[np.int64]  # slot whose cluster holds each slot's deposit
    p4: Array
    theta: Array
    phi: Array
    energy_cms: Array
    shapes: dict[str, Array] | None = None  # basf2 shower-shape variables (k, N), if modelled


def cluster_block(
    p4: Array,
    vertex: Array,
    slots: list[int],
    photon: NDArray[np.bool_],
    deposit: Array,
    impact: Array,
    reached: NDArray[np.bool_],
    g: Array,
    u: Array,
    cal: CalorimeterSettings,
    cms_beta: Array,
    straight: NDArray[np.bool_] | None = None,
) -> BlockClusters:
    """All calorimeter slots of a block: photon impacts (straight line from their vertex),
    smearing and acceptance (make_clusters), merging (merge_clusters) and four-momenta.

    `slots` are the template indices of the slot-major p4/vertex (P, N, 4) that reach for the
    calorimeter;
    `photon` (k,) marks the photons, whose impact is computed here (as for the neutral
    hadrons marked in `straight`, whose `deposit` is given); the charged slots bring
    their helix impacts `impact` (3, k, N), `reached` (k, N) and `deposit` (k, N). Random
    numbers: `g` (k, 3, N) standard normals (θ, φ, energy) and `u` (k, N) uniforms.
    """
    k, n = len(slots), p4.shape[1]
    energy = np.empty((k, n))
    x, y, z = np.empty((3, k, n))
    exists = np.empty((k, n), dtype=bool)
    e_true = deposit.copy()
    for c, i in enumerate(slots):
        if photon[c]:
            e_true[c] = p4[i, :, 3]
        if photon[c] or (straight is not None and straight[c]):
            v, q = vertex[i], p4[i]
            ray_exit(
                v[:, 0], v[:, 1], v[:, 2], q[:, 0], q[:, 1], q[:, 2],
                cal.inner_radius, cal.z_backward, cal.z_forward,
                impact[0, c], impact[1, c], impact[2, c], reached[c],
            )  # fmt: skip
    eff = cal.cluster_efficiency(e_true)
    params, regions = smearing_params(cal), region_bounds(cal)
    for c in range(k):
        smear_deposits(
            e_true[c], impact[0, c], impact[1, c], impact[2, c], g[c, 0], g[c, 1], g[c, 2],
            u[c], eff[c], reached[c], params, regions, energy[c], x[c], y[c], z[c], exists[c],
        )  # fmt: skip
    owner = np.empty((k, n), dtype=np.int64)
    shapes = None
    if cal.shower_model:
        # showers where they really hit (true impacts, true deposits); clusters as smeared
        table = crystal_table(cal)
        su, sv = shower_coordinates(impact[0], impact[1], impact[2], cal.crystal_size, exists)
        e_dep = np.where(reached, e_true, 0.0)
        merge_showers(table, e_dep, su, sv, cal.local_maximum_energy, energy, x, y, z, exists,
                      owner)  # fmt: skip
        shapes = {name: np.empty((k, n)) for name in SHAPE_NAMES}
        shower_shapes(table, e_dep, su, sv, cal.crystal_size, cal.digit_threshold, exists,
                      owner, *(shapes[name] for name in SHAPE_NAMES))  # fmt: skip
    else:
        merge_slots(energy, x, y, z, exists, owner, float(cal.merging_distance))
    p4_out = np.empty((k, n, 4))
    rho, e_cms = np.empty((k, n)), np.empty((k, n))
    cluster_momenta(energy, x, y, z, np.asarray(cms_beta, dtype=float), p4_out, rho, e_cms)
    theta, phi = np.arctan2(rho, z), np.arctan2(y, x)  # numpy's SIMD atan2
    return BlockClusters(energy, x, y, z, exists, owner, p4_out, theta, phi, e_cms, shapes)


#: basf2 shower-shape variables written per cluster (showershape.shower_shapes order).
SHAPE_NAMES = ("clusterE9E21", "clusterSecondMoment", "clusterLAT", "clusterNHits")
