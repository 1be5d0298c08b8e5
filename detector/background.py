"""Beam-background overlay: background clusters and tracks added to each event.

Beam-induced backgrounds (Touschek and beam-gas scattering, radiative Bhabha, two-photon
pairs, injection; Belle II: Lewis et al., NIM A 914 (2019) 69; Natochii et al., NIM A 1055
(2023) 168550, arXiv:2302.01566; BaBar: NIM A 479 (2002) 1, sec. 2; BESIII: NIM A 614 (2010)
345) leave low-energy calorimeter clusters, concentrated in the end caps, and low-pT tracks
that do not point to the interaction point. The overlay draws, per event and per machine
condition of the detector card ([background.<condition>]):

- clusters: Poisson(photons × scale) with lab energy E_min + Exp(slope), the polar angle from
  the card's θ bins (uniform in cos θ inside a bin), φ uniform; seen from the IP (massless),
  placed on the calorimeter front face; kept above the calorimeter energy threshold;
- tracks: Poisson(tracks × scale) with pT = pT_min + Exp(slope), cos θ uniform in the tracker
  acceptance, φ uniform, random charge, d0 and z0 Gaussian; pion mass hypothesis.

The objects are not truth-matched (`particle` = −1), enter nTracks, nClusters, the visible
energy and the trigger, but not the candidates. Simplifications: background deposits do not
merge with or distort signal clusters; background tracks leave no cluster and no muon hit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..pdg import mass as pdg_mass
from .config import BackgroundCondition, CalorimeterSettings, TrackingSettings
from .event_kernel import boost_fixed

Array = NDArray[np.float64]
PION = 211
_GEV_PER_T_MM = 2.99792458e-4  # momentum (GeV) per T per mm of helix radius (0.3 B R)


@dataclass
class BackgroundObjects:
    """Background objects of one block, slot-major (K, N) with an `exists` mask each."""

    cluster_exists: NDArray[np.bool_]
    cluster_p4: Array  # (K, N, 4) lab, massless from the IP
    cluster_energy: Array
    cluster_energy_cms: Array
    cluster_theta: Array
    cluster_phi: Array
    cluster_xyz: Array  # (3, K, N) mm on the calorimeter front face
    track_found: NDArray[np.bool_]
    track_p4: Array  # (K, N, 4) pion hypothesis
    track_kinematics: Array  # (5, K, N): pT, p, cos θ, cos φ, sin φ
    track_charge: Array
    track_d0: Array
    track_z0: Array
    track_n_layers: NDArray[np.int64]


def _slots(rng: np.random.Generator, mean: float, n: int) -> tuple[NDArray[np.bool_], int]:
    """Poisson counts per event as an exists mask (K, N), K the largest count."""
    counts = rng.poisson(mean, n) if mean > 0 else np.zeros(n, dtype=np.int64)
    k = int(counts.max()) if n else 0
    return np.arange(k)[:, None] < counts[None, :], k


def _front_face(theta: Array, phi: Array, cal: CalorimeterSettings) -> Array:
    """(3, ...) point where a ray from the IP meets the calorimeter: the barrel cylinder or
    the end-cap planes, whichever comes first."""
    s, c = np.sin(theta), np.cos(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_barrel = cal.inner_radius / np.maximum(s, 1e-12)
        t_cap = np.where(
            c > 0, cal.z_forward / np.maximum(c, 1e-12), cal.z_backward / np.minimum(c, -1e-12)
        )
    t = np.minimum(t_barrel, t_cap)
    return np.stack([t * s * np.cos(phi), t * s * np.sin(phi), t * c])


def overlay(
    rng: np.random.Generator,
    n: int,
    cond: BackgroundCondition,
    cal: CalorimeterSettings,
    trk: TrackingSettings,
    cms_beta: Array,
) -> BackgroundObjects:
    """Draw the background objects of `n` events (random numbers in a fixed order)."""
    # clusters
    c_exists, kc = _slots(rng, cond.photons * cond.scale, n)
    e_min, e_slope = cond.photon_energy
    energy = e_min + rng.exponential(e_slope, (kc, n))
    edges = np.asarray(cond.photon_theta_edges)
    w = np.asarray(cond.photon_theta_weights)
    bins = np.searchsorted(np.cumsum(w), rng.random((kc, n)) * w.sum(), side="right")
    bins = np.minimum(bins, w.size - 1)
    cos_hi, cos_lo = np.cos(edges[:-1])[bins], np.cos(edges[1:])[bins]
    cos_t = cos_lo + (cos_hi - cos_lo) * rng.random((kc, n))
    theta = np.arccos(cos_t)
    phi = rng.uniform(-np.pi, np.pi, (kc, n))
    c_exists &= energy > cal.energy_threshold
    sin_t = np.sqrt(1.0 - cos_t**2)
    p4 = np.stack(
        [energy * sin_t * np.cos(phi), energy * sin_t * np.sin(phi), energy * cos_t, energy],
        axis=-1,
    )
    cms = boost_fixed(p4.reshape(-1, 4), -np.asarray(cms_beta, dtype=float)).reshape(kc, n, 4)
    xyz = _front_face(theta, phi, cal)

    # tracks
    t_found, kt = _slots(rng, cond.tracks * cond.scale, n)
    pt_min, pt_slope = cond.track_pt
    pt = pt_min + rng.exponential(pt_slope, (kt, n))
    c_lo, c_hi = np.cos(trk.theta_range[1]), np.cos(trk.theta_range[0])
    cos_tt = rng.uniform(c_lo, c_hi, (kt, n))
    phi_t = rng.uniform(-np.pi, np.pi, (kt, n))
    charge = np.where(rng.random((kt, n)) < 0.5, 1.0, -1.0)
    d0 = cond.track_d0 * rng.standard_normal((kt, n))
    z0 = cond.track_z0 * rng.standard_normal((kt, n))
    sin_tt = np.sqrt(1.0 - cos_tt**2)
    p = pt / sin_tt
    m = pdg_mass(PION)
    ux, uy = np.cos(phi_t), np.sin(phi_t)
    t_p4 = np.stack([pt * ux, pt * uy, p * cos_tt, np.sqrt(p**2 + m**2)], axis=-1)
    # layers crossed before the helix turns back: radius reach 2 pT/(0.3 B)
    reach = 2.0 * pt / (_GEV_PER_T_MM * trk.field)
    radii = np.asarray(trk.layer_radii)
    weights = np.asarray(trk.layer_weights)
    n_layers = np.zeros((kt, n), dtype=np.int64)
    for r, wgt in zip(radii, weights, strict=True):
        n_layers += np.where(reach > r, wgt, 0)
    return BackgroundObjects(
        cluster_exists=c_exists,
        cluster_p4=p4,
        cluster_energy=energy,
        cluster_energy_cms=cms[..., 3],
        cluster_theta=theta,
        cluster_phi=phi,
        cluster_xyz=xyz,
        track_found=t_found,
        track_p4=t_p4,
        track_kinematics=np.stack([pt, p, cos_tt, ux, uy]),
        track_charge=charge,
        track_d0=d0,
        track_z0=z0,
        track_n_layers=n_layers,
    )
