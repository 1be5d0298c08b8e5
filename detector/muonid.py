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

import numpy as np
from numpy.typing import NDArray

from .config import MuonSettings

#: Momentum (GeV) = 0.3 × B (T) × radius (m): 2.998e-4 GeV per T per mm.
_GEV_PER_T_MM = 2.99792458e-4

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
    p = np.nan_to_num(p)
    pt = np.nan_to_num(pt)
    theta = np.nan_to_num(theta)  # unfound tracks: θ = 0, outside every coverage
    leaves = pt > 0.5 * _GEV_PER_T_MM * field * mu.coil_radius
    inside = (theta >= mu.theta_range[0]) & (theta <= mu.theta_range[1])
    t_kin = np.sqrt(p**2 + mass**2) - mass - mu.energy_loss
    # path per absorber gap: the plates are cylinders in the barrel and discs in the end caps;
    # take the shorter of the two projections (a track crosses the plate it meets first)
    s = np.abs(np.sin(theta))
    c = np.abs(np.cos(theta))
    path = mu.absorber / np.maximum(np.maximum(s, c), 1e-6)
    with np.errstate(invalid="ignore"):
        n = np.floor(np.maximum(t_kin, 0.0) / mu.absorber_dedx / path).astype(np.int64) + 1
    n = np.minimum(n, mu.layers)
    return np.where(leaves & inside & (t_kin > 0.0), n, 0)


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
    reach = muon_layers(p, pt, theta, mass, field, mu)
    u = rng.random(p.shape[0])
    if abs_pdg == 13:
        return reach
    if abs_pdg == 11:
        return np.zeros_like(reach)
    theta = np.nan_to_num(theta)
    # hadron: absorbed in front with probability 1 − hadron_survival, else interacts after an
    # exponential depth (in absorber gaps along its path) of mean interaction_length
    s = np.abs(np.sin(theta))
    c = np.abs(np.cos(theta))
    path = mu.absorber / np.maximum(np.maximum(s, c), 1e-6)
    survived = u < mu.hadron_survival
    v = np.clip(u / max(mu.hadron_survival, 1e-12), 1e-12, 1.0)  # uniform again if survived
    depth = -mu.interaction_length * np.log(v)
    n_had = np.floor(depth / path).astype(np.int64) + 1
    return np.where(survived, np.minimum(reach, n_had), 0)
