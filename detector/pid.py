"""Particle identification: assigned species drawn from the card's efficiency/mis-ID matrix.

For a track of true species i (e, μ, π, K, p) with momentum p and polar angle θ, the assigned
species j is drawn with probability M[region(θ), bin(p), i, j] (card [pid]); tracks outside
every region, or of other species, are assigned the pion hypothesis (the default charged
hypothesis of basf2). Anchors (Belle II, REFERENCES.md): μ 90 % at 7 % π→μ, e 86 % at
0.4 % π→e, K 90 % at 6 % π→K.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .config import PID_SPECIES, PidSettings

PION = 211


def assign_species(
    rng: np.random.Generator,
    abs_pdg: int,
    p: NDArray[np.float64],
    theta: NDArray[np.float64],
    pid: PidSettings,
) -> NDArray[np.int64]:
    """Assigned absolute PDG ids (N,) for tracks of one true species (NaN momenta → pion)."""
    n = p.shape[0]
    out = np.full(n, PION, dtype=np.int64)
    if abs_pdg not in PID_SPECIES or not pid.regions:
        return out
    i = PID_SPECIES.index(abs_pdg)
    edges = np.asarray(pid.momentum_edges)
    pbin = np.clip(np.searchsorted(edges, np.nan_to_num(p), side="right") - 1, 0, edges.size - 2)
    u = rng.random(n)
    species = np.asarray(PID_SPECIES)
    for region in pid.regions:
        sel = (theta >= region.theta[0]) & (theta <= region.theta[1]) & np.isfinite(p)
        if not sel.any():
            continue
        cum = np.cumsum(region.matrix[pbin[sel], i, :], axis=1)
        us = u[sel]
        j = np.zeros(us.shape[0], np.int64)  # number of cumulative bins below u
        for col in range(cum.shape[1]):
            j += us > cum[:, col]
        j = np.minimum(j, 4)
        out[sel] = species[j]
    return out
