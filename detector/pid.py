"""Particle identification: assigned species drawn from the card's efficiency/mis-ID tables.

For a track of true species i (e, μ, π, K, p), charge q, momentum p and polar angle θ, the
assigned species j is drawn with probability M[region(θ, q), bin(p), i, j] (card [pid]:
tables in momentum × polar angle, per charge where the regions say so); tracks outside every
region, or of other species, are assigned the pion hypothesis (the default charged hypothesis
of basf2). With a muon system in the card, a track can only be called a muon if it has hits
in at least `muon.min_layers` layers (detector/muonid.py); otherwise it is called a pion.
The numbers and their sources are in the cards' [pid] comments (Belle II: μ 90 % at 4.1 % π→μ,
Z. Wang et al., arXiv:2503.11351; e 86 % at 0.4 % π→e and K 90 % at 6 % π→K [unverified]).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from .config import PID_SPECIES, PidSettings

PION = 211
MUON = 13


def assign_species(
    rng: np.random.Generator,
    abs_pdg: int,
    p: NDArray[np.float64],
    theta: NDArray[np.float64],
    pid: PidSettings,
    charge: int = 0,
    muon_match: NDArray[np.bool_] | None = None,
) -> NDArray[np.int64]:
    """Assigned absolute PDG ids (N,) for tracks of one true species and charge (NaN momenta →
    pion); `muon_match` (N,), if given, is where the muon system saw the track."""
    n = p.shape[0]
    out = np.full(n, PION, dtype=np.int64)
    if abs_pdg not in PID_SPECIES or not pid.regions:
        return out
    i = PID_SPECIES.index(abs_pdg)
    edges = np.asarray(pid.momentum_edges)
    pbin = np.clip(np.searchsorted(edges, np.nan_to_num(p), side="right") - 1, 0, edges.size - 2)
    u = rng.random(n)
    regions = [r for r in pid.regions if r.charge == 0 or charge == 0 or r.charge == charge]
    if not regions:
        return out
    bounds = np.array([r.theta for r in regions], dtype=float)
    rows = np.stack([np.asarray(r.matrix, dtype=float)[:, i, :] for r in regions])
    out = pid_kernel(p, theta, pbin, u, bounds, rows, np.asarray(PID_SPECIES, dtype=np.int64))
    if muon_match is not None:
        out[(out == MUON) & ~muon_match] = PION
    return out


@numba.njit(cache=True)
def pid_kernel(p, theta, pbin, u, bounds, rows, species):  # pragma: no cover - compiled
    """Assigned species per track: the last region (θ bounds (R, 2)) holding the track decides,
    by the number of cumulative rates `rows` (R, n_p, 5) of its momentum bin below u (at
    most 4); tracks in no region or with a non-finite momentum stay pions."""
    n = p.shape[0]
    out = np.full(n, PION, dtype=np.int64)
    n_reg, _, n_sp = rows.shape
    for k in range(n):
        if not math.isfinite(p[k]):
            continue
        th = theta[k]
        b = pbin[k]
        uk = u[k]
        for r in range(n_reg):
            if not (th >= bounds[r, 0] and th <= bounds[r, 1]):
                continue
            s = 0.0
            j = 0
            for col in range(n_sp):
                s += rows[r, b, col]
                j += uk > s
            out[k] = species[min(j, 4)]
    return out
