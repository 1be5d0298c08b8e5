"""Muon-system response (Belle II KLM, BaBar IFR, BESIII MUC): layers with hits per track.

A track reaches the muon system if it leaves the solenoid, i.e. its transverse momentum
exceeds the curling limit pT > 0.3 B R/2 at the coil radius R (helix diameter 2 pT/(0.3 B)
in GeV, T, m; PDG Review "Passage of particles through matter" / any helix parametrisation),
and keeps kinetic energy after the calorimeter and coil (`energy_loss`). In the absorber a
muon loses `absorber_dedx` per mm (minimum ionisation, PDG atomic and nuclear properties of
iron) and crosses ⌊range/(absorber per layer, along its path)⌋ + 1 detector layers (the first
layer sits in front of the absorber). Hadrons that survive the calorimeter and coil
(`hadron_survival`) are stopped at an exponential depth of one nuclear interaction length;
electrons and positrons shower in the calorimeter and never reach it. A track is matched to
the muon system when at least `min_layers` layers have hits: the muon trigger and the muon ID
use this response, not the true species.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from ..pdg import mass as pdg_mass
from .config import MuonSettings
from .helix import (
    K_FIELD as _GEV_PER_T_MM,
)  # pT (GeV) per T per mm of helix radius, c·e from hepunits

_MUON_MASS = pdg_mass(13)

Array = NDArray[np.float64]


def muon_layers(
    p: Array,
    pt: Array,
    theta: Array,
    mass: float,
    field: float,
    mu: MuonSettings,
) -> NDArray[np.int64]:
    """Layers a particle of `mass` and momentum p (pT, θ) would cross if it lost energy like a
    muon: 0 if it curls inside the coil, misses the polar coverage or stops before the first
    layer (NaN momenta: 0)."""
    return _layers(p, pt, theta, mass, field, mu, 13, None)


def hit_layers(
    rng: np.random.Generator,
    abs_pdg: int,
    p: Array,
    pt: Array,
    theta: Array,
    mass: float,
    field: float,
    mu: MuonSettings,
) -> NDArray[np.int64]:
    """Layers with hits of tracks of one true species (N,): muons cross their range, hadrons
    stop at their first nuclear interaction, e± shower in the calorimeter (0 layers). One
    uniform number per track is drawn for every species (same stream whatever the species)."""
    u = rng.random(p.shape[0])
    return _layers(p, pt, theta, mass, field, mu, abs_pdg, u)


def muon_response(
    rng: np.random.Generator,
    abs_pdg: int,
    p: Array,
    pt: Array,
    theta: Array,
    field: float,
    mu: MuonSettings,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(reach, match) per track (N,) in one pass: `reach`, a muon of this momentum would hit
    `min_layers` layers (what the muon ID needs); `match`, this track does (muon trigger).
    The ionisation range of hadrons is taken with the muon mass (a small difference)."""
    u = rng.random(p.shape[0])
    reach = _layers(p, pt, theta, _MUON_MASS, field, mu, 13, None)
    if abs_pdg == 13:
        return reach >= mu.min_layers, reach >= mu.min_layers
    if abs_pdg == 11:
        return reach >= mu.min_layers, np.zeros(p.shape[0], dtype=bool)
    hits = _hadron_layers(reach, theta, u, mu)
    return reach >= mu.min_layers, hits >= mu.min_layers


@numba.njit(cache=True)
def _hadron_kernel(reach, theta, u, absorber, survival, lam):  # pragma: no cover - compiled
    n = reach.shape[0]
    out = np.zeros(n, np.int64)
    for k in range(n):
        if reach[k] == 0 or u[k] >= survival:
            continue
        th = theta[k]
        path = absorber / max(abs(math.sin(th)), abs(math.cos(th)), 1e-6)
        v = max(u[k] / max(survival, 1e-12), 1e-300)
        out[k] = min(reach[k], int(-lam * math.log(v) / path) + 1)
    return out


def _hadron_layers(reach, theta, u, mu):
    th = np.nan_to_num(np.ascontiguousarray(theta, dtype=float))
    return _hadron_kernel(reach, th, u, mu.absorber, mu.hadron_survival, mu.interaction_length)


def _layers(p, pt, theta, mass, field, mu, abs_pdg, u):
    return _layers_kernel(
        np.ascontiguousarray(p, dtype=float),
        np.ascontiguousarray(pt, dtype=float),
        np.ascontiguousarray(theta, dtype=float),
        float(mass),
        0.5 * _GEV_PER_T_MM * field * mu.coil_radius,
        mu.theta_range[0],
        mu.theta_range[1],
        mu.energy_loss,
        mu.absorber,
        mu.absorber_dedx,
        mu.layers,
        abs_pdg,
        np.empty(0) if u is None else u,
        mu.hadron_survival,
        mu.interaction_length,
    )


@numba.njit(cache=True)
def _layers_kernel(p, pt, theta, mass, pt_min, th_lo, th_hi, e_loss, absorber, dedx, n_layers,
                   abs_pdg, u, survival, lam):  # pragma: no cover - compiled  # fmt: skip
    """muon_layers (u empty) or hit_layers (u (N,)): per track, the layers crossed by a muon
    of its momentum, then for hadrons the first interaction (u < survival: survived the
    calorimeter; depth −λ ln(u/survival)), for e± none."""
    n = p.shape[0]
    out = np.zeros(n, np.int64)
    hadron = u.shape[0] > 0 and abs_pdg != 13 and abs_pdg != 11
    if u.shape[0] > 0 and abs_pdg == 11:
        return out
    for k in range(n):
        th = theta[k]
        if not (math.isfinite(p[k]) and math.isfinite(pt[k]) and math.isfinite(th)):
            continue
        if pt[k] <= pt_min or th < th_lo or th > th_hi:
            continue
        t_kin = math.sqrt(p[k] * p[k] + mass * mass) - mass - e_loss
        if t_kin <= 0.0:
            continue
        # path per absorber gap: cylinders in the barrel, discs in the end caps; the plate a
        # track meets first is the shorter projection
        path = absorber / max(abs(math.sin(th)), abs(math.cos(th)), 1e-6)
        nl = min(int(t_kin / dedx / path) + 1, n_layers)
        if hadron:
            if u[k] >= survival:
                nl = 0
            else:
                v = max(u[k] / max(survival, 1e-12), 1e-300)
                nl = min(nl, int(-lam * math.log(v) / path) + 1)
        out[k] = nl
    return out
