"""Beam-background overlay: background clusters and tracks added to each event.

Beam-induced backgrounds (Touschek and beam-gas scattering, radiative Bhabha, two-photon
pairs, injection; Belle II: Lewis et al., NIM A 914 (2019) 69; Natochii et al., NIM A 1055
(2023) 168550, arXiv:2302.01566; BaBar: NIM A 479 (2002) 1, sec. 2; BESIII: NIM A 614 (2010)
345) leave low-energy calorimeter clusters, concentrated in the end caps, and low-pT tracks
that do not point to the interaction point. The overlay draws, per event and per machine
condition of the detector card ([background.<condition>]):

- clusters: Poisson(photons × scale) with lab energy E_min + Exp(slope), the polar angle from
  the card's θ bins (uniform in cos θ inside a bin), φ uniform; seen from the IP (massless),
  placed on the calorimeter front face; only those above the calorimeter energy threshold are
  kept (drawn directly: the Poisson mean is thinned by P(E > threshold) and the exponential,
  memoryless, starts at the threshold);
- tracks: Poisson(tracks × scale) with pT = pT_min + Exp(slope), cos θ uniform in the tracker
  acceptance, φ uniform, random charge, d0 and z0 Gaussian; pion mass hypothesis.

The objects are stored per event (offsets into flat arrays: no padding), are not
truth-matched (`particle` = −1), enter nTracks, nClusters, the visible energy and the trigger,
but not the candidates. Simplifications: background deposits do not merge with or distort
signal clusters; background tracks leave no cluster and no muon hit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from ..pdg import mass as pdg_mass
from .config import BackgroundCondition, CalorimeterSettings, TrackingSettings
from .helix import (
    K_FIELD as _GEV_PER_T_MM,
)  # pT (GeV) per T per mm of helix radius, c·e from hepunits

Array = NDArray[np.float64]
PION = 211


@dataclass
class BackgroundObjects:
    """Background objects of one block, event-major: object i of event k is at
    offsets[k] + i of the flat arrays (clusters `c_*`, tracks `t_*`)."""

    c_offsets: NDArray[np.int64]  # (N + 1,)
    c_p4: Array  # (M, 4) lab, massless from the IP
    c_energy_cms: Array  # (M,)
    c_theta: Array
    c_phi: Array
    c_xyz: Array  # (M, 3) mm on the calorimeter front face
    c_g: Array  # (M,) standard normal of the trigger turn-on (trigger.trigger_bits)
    t_offsets: NDArray[np.int64]
    t_p4: Array  # (T, 4) pion hypothesis
    t_kinematics: Array  # (T, 5): pT, p, cos θ, cos φ, sin φ
    t_theta: Array
    t_charge: Array
    t_d0: Array
    t_z0: Array
    t_n_layers: NDArray[np.int64]
    t_g: Array
    visible: Array  # (N, 4) sum of the background four-momenta (event sums)
    #: further object fields (name → flat array), e.g. the truth links of the rest of the
    #: event (detector/rest_of_event.py); None for the beam background
    t_extra: dict[str, NDArray] | None = None
    c_extra: dict[str, NDArray] | None = None

    @property
    def n_clusters(self) -> NDArray[np.int64]:
        return np.diff(self.c_offsets)

    @property
    def n_tracks(self) -> NDArray[np.int64]:
        return np.diff(self.t_offsets)

    @classmethod
    def none(cls, n: int) -> BackgroundObjects:
        """No background objects (what the kernels get when the overlay is off)."""
        z, z4 = np.zeros(0), np.zeros((0, 4))
        off = np.zeros(n + 1, dtype=np.int64)
        return cls(off, z4, z, z, z, np.zeros((0, 3)), z, off, z4, np.zeros((0, 5)), z, z, z,
                   z, np.zeros(0, np.int64), z, np.zeros((n, 4)))  # fmt: skip


def overlay(
    rng: np.random.Generator,
    n: int,
    cond: BackgroundCondition,
    cal: CalorimeterSettings,
    trk: TrackingSettings,
    cms_beta: Array,
) -> BackgroundObjects:
    """Draw the background objects of `n` events from `rng` (same card and seed, same
    objects): the counts and every random number as whole arrays, then one compiled pass."""
    e_min, e_slope = cond.photon_energy
    e0 = max(e_min, cal.energy_threshold)
    keep = math.exp(-(e0 - e_min) / e_slope)  # P(E > threshold) of the exponential spectrum
    n_c = rng.poisson(cond.photons * cond.scale * keep, n)
    n_t = rng.poisson(cond.tracks * cond.scale, n)
    c_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_c, out=c_off[1:])
    t_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_t, out=t_off[1:])
    m, t = int(c_off[-1]), int(t_off[-1])
    # every random number in whole-array draws (fast), the kernel only does arithmetic
    c_u = rng.random((m, 3))  # θ bin, cos θ inside the bin, φ
    c_x = rng.standard_exponential(m)
    c_g = rng.standard_normal(m)
    t_u = rng.random((t, 3))  # cos θ, φ, charge
    t_x = rng.standard_exponential(t)
    t_n = rng.standard_normal((t, 3))  # d0, z0, trigger turn-on
    edges = np.cos(np.asarray(cond.photon_theta_edges))
    cum_w = np.cumsum(cond.photon_theta_weights)
    cum_w /= cum_w[-1]
    beta = np.asarray(cms_beta, dtype=float)
    out = BackgroundObjects(
        c_off,
        np.empty((m, 4)),
        np.empty(m),
        np.empty(m),
        np.empty(m),
        np.empty((m, 3)),
        c_g,
        t_off,
        np.empty((t, 4)),
        np.empty((t, 5)),
        np.empty(t),
        np.empty(t),
        np.empty(t),
        np.empty(t),
        np.zeros(t, dtype=np.int64),
        np.ascontiguousarray(t_n[:, 2]),
        np.zeros((n, 4)),
    )
    _draw(
        (c_u, c_x, t_u, t_x, t_n),
        c_off,
        t_off,
        e0,
        e_slope,
        edges,
        cum_w,
        cal.inner_radius,
        cal.z_forward,
        cal.z_backward,
        beta,
        np.cos(np.asarray(trk.theta_range)),
        cond.track_pt[0],
        cond.track_pt[1],
        cond.track_d0,
        cond.track_z0,
        pdg_mass(PION),
        np.asarray(trk.layer_radii, dtype=float),
        np.asarray(trk.layer_weights, dtype=np.int64),
        2.0 / (_GEV_PER_T_MM * trk.field),
        out,
    )
    return out


def _draw(draws, c_off, t_off, e0, e_slope, cos_edges, cum_w, r_in, z_fwd, z_bwd, beta,
          cos_acc, pt_min, pt_slope, d0_sigma, z0_sigma, m_pi, radii, weights, reach_per_pt,
          o):  # fmt: skip
    _draw_kernel(
        *draws, c_off, t_off, e0, e_slope, cos_edges, cum_w, r_in, z_fwd, z_bwd, beta, cos_acc,
        pt_min, pt_slope, d0_sigma, z0_sigma, m_pi, radii, weights, reach_per_pt,
        o.c_p4, o.c_energy_cms, o.c_theta, o.c_phi, o.c_xyz,
        o.t_p4, o.t_kinematics, o.t_theta, o.t_charge, o.t_d0, o.t_z0, o.t_n_layers,
        o.visible,
    )  # fmt: skip


@numba.njit(cache=True)
def _draw_kernel(c_u, c_x, t_u, t_x, t_n, c_off, t_off, e0, e_slope, cos_edges, cum_w, r_in,
                 z_fwd, z_bwd, beta, cos_acc, pt_min, pt_slope, d0_sigma, z0_sigma, m_pi, radii,
                 weights, reach_per_pt, c_p4, c_ecms, c_theta, c_phi, c_xyz, t_p4, t_kin, t_theta,
                 t_charge, t_d0, t_z0, t_nl, visible):  # pragma: no cover  # fmt: skip
    """Fill the flat background arrays, event by event, from pre-drawn numbers: clusters
    c_u (M, 3) uniforms (θ bin, cos θ, φ) and c_x (M,) standard exponentials; tracks t_u
    (T, 3) uniforms (cos θ, φ, charge), t_x (T,) exponentials, t_n (T, 3) normals (d0, z0)."""
    bx, by, bz = beta[0], beta[1], beta[2]
    b2 = bx * bx + by * by + bz * bz
    gamma = 1.0 / math.sqrt(1.0 - b2)
    n = c_off.shape[0] - 1
    n_bins = cum_w.shape[0]
    for k in range(n):
        vx = vy = vz = ve = 0.0
        for i in range(c_off[k], c_off[k + 1]):
            e = e0 + e_slope * c_x[i]
            u = c_u[i, 0]
            b = 0
            while b < n_bins - 1 and u > cum_w[b]:
                b += 1
            c_hi, c_lo = cos_edges[b], cos_edges[b + 1]
            ct = c_lo + (c_hi - c_lo) * c_u[i, 1]
            phi = math.pi * (2.0 * c_u[i, 2] - 1.0)
            st = math.sqrt(max(1.0 - ct * ct, 0.0))
            cp, sp = math.cos(phi), math.sin(phi)
            px, py, pz = e * st * cp, e * st * sp, e * ct
            c_p4[i, 0], c_p4[i, 1], c_p4[i, 2], c_p4[i, 3] = px, py, pz, e
            c_ecms[i] = gamma * (e - (bx * px + by * py + bz * pz))
            c_theta[i] = math.acos(ct)
            c_phi[i] = phi
            # front face: the barrel cylinder or an end-cap plane, whichever comes first
            tb = r_in / st if st > 1e-12 else math.inf
            tc = z_fwd / ct if ct > 1e-12 else (z_bwd / ct if ct < -1e-12 else math.inf)
            tt = min(tb, tc)
            c_xyz[i, 0], c_xyz[i, 1], c_xyz[i, 2] = tt * st * cp, tt * st * sp, tt * ct
            vx += px
            vy += py
            vz += pz
            ve += e
        for i in range(t_off[k], t_off[k + 1]):
            pt = pt_min + pt_slope * t_x[i]
            ct = cos_acc[1] + (cos_acc[0] - cos_acc[1]) * t_u[i, 0]
            phi = math.pi * (2.0 * t_u[i, 1] - 1.0)
            st = math.sqrt(max(1.0 - ct * ct, 1e-12))
            p = pt / st
            ux, uy = math.cos(phi), math.sin(phi)
            e = math.sqrt(p * p + m_pi * m_pi)
            t_p4[i, 0], t_p4[i, 1], t_p4[i, 2], t_p4[i, 3] = pt * ux, pt * uy, p * ct, e
            t_kin[i, 0], t_kin[i, 1], t_kin[i, 2], t_kin[i, 3], t_kin[i, 4] = pt, p, ct, ux, uy
            t_theta[i] = math.acos(ct)
            t_charge[i] = 1.0 if t_u[i, 2] < 0.5 else -1.0
            t_d0[i] = d0_sigma * t_n[i, 0]
            t_z0[i] = z0_sigma * t_n[i, 1]
            reach = pt * reach_per_pt  # helix diameter: the largest radius it reaches
            nl = 0
            for j in range(radii.shape[0]):
                if reach > radii[j]:
                    nl += weights[j]
            t_nl[i] = nl
            vx += pt * ux
            vy += pt * uy
            vz += p * ct
            ve += e
        visible[k, 0], visible[k, 1], visible[k, 2], visible[k, 3] = vx, vy, vz, ve
