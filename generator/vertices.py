"""Decay vertices drawn from lifetimes along the whole decay chain.

Each unstable particle of a block flies a lab distance L = βγ·cτ·x with x ~ Exp(1) from its
production vertex (exponential decay law; βγ = |p|/m), and its daughters are produced there,
at time t + L/(βc). Template order guarantees mothers are placed before daughters, so one
compiled pass over the events, walking the template in order, chains all vertices.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from ..pdg import C_MM_PER_NS
from ..pdg import ctau as pdg_ctau
from .kinematics import mass


def chain_vertices(
    rng: np.random.Generator,
    pdg: NDArray[np.int32],
    mother: NDArray[np.int32],
    p4: NDArray[np.float64],
    primary_vertex: NDArray[np.float64],
    ctau_override: dict[int, float] | None = None,
) -> tuple[NDArray[np.float64], dict[int, NDArray[np.float64]]]:
    """Production vertices (N, P, 4) for a template and the proper decay length of each mother.

    Particles with mother −1 start at the primary vertex; cτ comes from `particle` unless the
    template index is in `ctau_override` (e.g. the ALP, whose cτ is set by the card).
    Returns the vertices and {template index: proper decay length (N,)} for decayed particles.
    The proper lengths ℓ = cτ·x are drawn per mother in template order (n each, none for an
    infinite cτ: ℓ = ∞); the displacements and the chaining run in one compiled pass.
    """
    n, n_part = p4.shape[:2]
    ctau_override = ctau_override or {}
    slot = np.full(n_part, -1, dtype=np.int64)
    mothers: list[int] = []
    for i in range(n_part):
        m = int(mother[i])
        if m >= 0 and slot[m] < 0:
            slot[m] = len(mothers)
            mothers.append(m)
    proper = np.empty((len(mothers), n))
    for k, m in enumerate(mothers):
        ct = ctau_override[m] if m in ctau_override else pdg_ctau(abs(int(pdg[m])))
        proper[k] = ct * rng.standard_exponential(n) if np.isfinite(ct) else np.inf
    vertex = np.empty((n, n_part, 4))
    _chain_kernel(
        np.asarray(p4, dtype=float),
        np.asarray(mother, dtype=np.int64),
        slot,
        proper,
        np.broadcast_to(np.asarray(primary_vertex, dtype=float), (n, 4)),
        C_MM_PER_NS,
        vertex,
    )
    return vertex, {m: proper[k] for k, m in enumerate(mothers)}


@numba.njit(cache=True, error_model="numpy")
def _chain_kernel(
    p4: NDArray, mother: NDArray, slot: NDArray, proper: NDArray, pv: NDArray, c_mm_per_ns: float,
    vertex: NDArray,
) -> None:  # fmt: skip
    """Per event, in template order: primary vertex for roots, else the mother's decay point,
    her vertex plus the lab displacement p̂·βγℓ (βγ = |p|/m) and the time γℓ/c (IEEE inf/NaN
    kept, e.g. for a massless or infinitely long-lived mother)."""
    n_part = mother.size
    decay = np.empty((proper.shape[0], 4))
    done = np.zeros(proper.shape[0], dtype=np.bool_)
    for e in range(p4.shape[0]):
        done[:] = False
        for i in range(n_part):
            m = mother[i]
            if m < 0:
                for j in range(4):
                    vertex[e, i, j] = pv[e, j]
                continue
            k = slot[m]
            if not done[k]:
                px, py, pz, en = p4[e, m, 0], p4[e, m, 1], p4[e, m, 2], p4[e, m, 3]
                p2 = px**2 + py**2 + pz**2
                p = math.sqrt(p2)
                mass = math.sqrt(max(en**2 - p2, 0.0))
                ell = proper[k, e]
                lab = ell * p / mass
                scale = lab / p
                decay[k, 0] = vertex[e, m, 0] + px * scale
                decay[k, 1] = vertex[e, m, 1] + py * scale
                decay[k, 2] = vertex[e, m, 2] + pz * scale
                decay[k, 3] = vertex[e, m, 3] + ell * en / mass / c_mm_per_ns
                done[k] = True
            for j in range(4):
                vertex[e, i, j] = decay[k, j]


def flight_per_particle(
    rng: np.random.Generator, p4: NDArray[np.float64], ctau_mm: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Lab displacement (K, 4) in mm, ns to the decay point of K particles with cτ `ctau_mm` each.

    Exponential decay law as in `chain_vertices`: ℓ = cτ·x, x ~ Exp(1), displacement ℓ·p/m
    along p̂ (βγℓ) and time γℓ/c. cτ = 0 (prompt decay) gives no displacement; cτ must be finite.
    """
    proper = ctau_mm * rng.standard_exponential(p4.shape[0])
    scale = proper / mass(p4)
    disp = np.empty((p4.shape[0], 4))
    disp[:, :3] = p4[:, :3] * scale[:, None]
    disp[:, 3] = p4[:, 3] * scale / C_MM_PER_NS
    return disp
