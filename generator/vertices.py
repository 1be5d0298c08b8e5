"""Decay vertices drawn from lifetimes along the whole decay chain.

Each unstable particle of a block flies a lab distance L = βγ·cτ·x with x ~ Exp(1) from its
production vertex (exponential decay law; βγ = |p|/m), and its daughters are produced there,
at time t + L/(βc). Template order guarantees mothers are placed before daughters, so one pass
over the template (not over events) chains the vertices of all events.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..pdg import C_MM_PER_NS
from ..pdg import ctau as pdg_ctau
from .kinematics import mass, momentum


def flight(
    rng: np.random.Generator, p4: NDArray[np.float64], ctau_mm: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Proper decay lengths ℓ = cτ·x (x ~ Exp(1)) and the lab displacement (N, 4) in mm, ns."""
    n = p4.shape[0]
    proper = ctau_mm * rng.standard_exponential(n) if np.isfinite(ctau_mm) else np.full(n, np.inf)
    p = momentum(p4)
    m = mass(p4)
    with np.errstate(divide="ignore", invalid="ignore"):
        lab = proper * p / m  # βγ cτ x
        disp = np.empty((n, 4))
        disp[:, :3] = p4[:, :3] * (lab / p)[:, None]
        disp[:, 3] = proper * p4[:, 3] / m / C_MM_PER_NS  # t = γ ℓ / c
    return proper, disp


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
    """
    n, n_part = p4.shape[:2]
    ctau_override = ctau_override or {}
    vertex = np.empty((n, n_part, 4))
    decay_point: dict[int, NDArray[np.float64]] = {}
    proper_lengths: dict[int, NDArray[np.float64]] = {}
    for i in range(n_part):
        m = int(mother[i])
        if m < 0:
            vertex[:, i] = primary_vertex
            continue
        if m not in decay_point:
            ct = ctau_override[m] if m in ctau_override else pdg_ctau(abs(int(pdg[m])))
            proper, disp = flight(rng, p4[:, m], ct)
            proper_lengths[m] = proper
            decay_point[m] = vertex[:, m] + disp
        vertex[:, i] = decay_point[m]
    return vertex, proper_lengths


def flight_per_particle(
    rng: np.random.Generator, p4: NDArray[np.float64], ctau_mm: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Lab displacement (K, 4) in mm, ns to the decay point of K particles with cτ `ctau_mm` each.

    Exponential decay law as in `flight`: ℓ = cτ·x, x ~ Exp(1), displacement ℓ·p/m along p̂
    (βγℓ) and time γℓ/c. cτ = 0 (prompt decay) gives no displacement; cτ must be finite.
    """
    proper = ctau_mm * rng.standard_exponential(p4.shape[0])
    scale = proper / mass(p4)
    disp = np.empty((p4.shape[0], 4))
    disp[:, :3] = p4[:, :3] * scale[:, None]
    disp[:, 3] = p4[:, 3] * scale / C_MM_PER_NS
    return disp
