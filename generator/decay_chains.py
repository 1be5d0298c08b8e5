# ruff: noqa: NPY002  (the kernel draws from numba's own generator, seeded per call)
"""Full decay chains from compiled EvtGen tables, event by event in one compiled pass.

Roots (one per event, e.g. the other B of an Υ(4S) event) are decayed through the tables of
generator/dec_tables.py down to particles that are final state for the detector. Each event is
a breadth-first queue (mothers before daughters, siblings together): for every unstable
particle, one mode drawn from the cumulative BFs of its species, its decay point from its cτ
(exponential law, ℓ = cτ·x, x ~ Exp(1), displacement βγℓ along p̂ and time γℓ/c, as
generator/vertices.py), then its daughters at their PDG masses:

- one-body modes (K0 → K_S0): the daughter takes the parent's three-momentum;
- two-body modes: back to back in the parent rest frame, isotropic, except for the helicity
  structure of EvtGen's SVS and VSS models (Lange, NIM A 462 (2001) 152): a vector made with
  a scalar by a spin-0 parent (SVS, e.g. B → D* π) has helicity 0 along its flight direction
  in the parent rest frame, and such a vector decaying to two scalars (VSS, e.g. D* → D π)
  gives dN/dcosθ ∝ |d¹₀₀(θ)|² = cos²θ about that axis (PDG Review "Clebsch-Gordan
  coefficients, spherical harmonics, and d functions"); a vector of unknown polarisation
  (semileptonic or multi-body production) decays isotropically;
- three or more bodies: flat phase space (GENBOD, generator/nbody_kernel.py).

The chains come back flat and event-contiguous; `to_ragged` turns them into the ragged part of
a record block (record.Ragged), so that events whose chains differ share one block. Random
numbers: numba's generator, seeded once per call from the caller's numpy Generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from ..pdg import C_MM_PER_NS
from ..record import FINAL, Ragged
from .dec_tables import SVS, VSS, DecayTables
from .nbody_kernel import _boost, _pdk, genbod_row

Array = NDArray[np.float64]
#: Most particles of one event's chain (a B chain has ~18 on average; the kernel stops
#: decaying an event's particles beyond this, which the tests check never happens).
MAX_PER_EVENT = 400


@dataclass
class Chains:
    """Flat decay chains of N roots (K particles), event-contiguous, breadth-first.

    `mother` is the index of the mother within the event's chain (−1 for the root), `start`
    (N + 1) the offsets of each event's particles and `first_mode` (N) the root's decay mode
    (a row of the tables, −1 if the root does not decay).
    """

    tables: DecayTables
    event: NDArray[np.int64]
    species: NDArray[np.int64]
    p4: Array
    vertex: Array
    mother: NDArray[np.int64]
    status: NDArray[np.int8]
    start: NDArray[np.int64]
    first_mode: NDArray[np.int64]

    @property
    def pdg(self) -> NDArray[np.int64]:
        return self.tables.pdg[self.species]


def decay_chains(
    rng: np.random.Generator,
    tables: DecayTables,
    species: NDArray[np.int64],
    p4: Array,
    vertex: Array,
) -> Chains:
    """Decay N roots (species (N,), lab four-momenta (N, 4), production vertices (N, 4))."""
    n = int(species.size)
    t = tables
    # mean chain length of the tables' roots is unknown up front: fill in pieces, each with
    # room for MAX_PER_EVENT more particles than it uses
    parts, done = [], 0
    seed = int(rng.integers(2**31 - 1))
    species = np.ascontiguousarray(species, dtype=np.int64)
    p4 = np.ascontiguousarray(p4, dtype=float)
    vertex = np.ascontiguousarray(vertex, dtype=float)
    counts = np.zeros(n, dtype=np.int64)
    first_mode = np.full(n, -1, dtype=np.int64)
    while done < n or not parts:
        cap = max(20 * (n - done), 4 * MAX_PER_EVENT)
        buf = (
            np.empty(cap, np.int64), np.empty((cap, 4)), np.empty((cap, 4)),
            np.empty(cap, np.int64), np.empty(cap, np.int8),
        )  # fmt: skip
        stop, used = _chain_kernel(
            seed + len(parts), done, species, p4, vertex, t.cum, t.mode_start, t.mode_stop,
            t.decays, t.ctau, t.mass, t.vector, t.n_daughters, t.daughters, t.model, t.wmax,
            float(C_MM_PER_NS), *buf, counts, first_mode,
        )  # fmt: skip
        parts.append(tuple(a[:used] for a in buf))
        done = stop
        if n == 0:
            break
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    sp, q, vx, mo, st = (
        np.concatenate(x) if len(parts) > 1 else x[0] for x in zip(*parts, strict=True)
    )
    return Chains(
        tables=tables,
        event=np.repeat(np.arange(n, dtype=np.int64), counts),
        species=sp,
        p4=q,
        vertex=vx,
        mother=mo,
        status=st,
        start=start,
        first_mode=first_mode,
    )


@numba.njit(cache=True)
def _chain_kernel(seed, first, species, p4, vertex, cum, mode_start, mode_stop, decays, ctau,
                  mass, vector, n_daughters, daughters, model, wmax, c_mm_per_ns, o_species,
                  o_p4, o_vx, o_mother, o_status, counts, first_mode):  # fmt: skip
    """Decay roots first, first+1, ... into the flat output arrays until they are full (room
    for MAX_PER_EVENT kept); returns (next root, particles written)."""
    np.random.seed(seed)
    n = species.shape[0]
    cap = o_species.shape[0]
    maxd = daughters.shape[1]
    hel = np.zeros(MAX_PER_EVENT, dtype=np.bool_)
    m_d = np.empty(maxd)
    tmp = np.empty((maxd, 4))
    inv, pd, r = np.empty(maxd), np.empty(maxd), np.empty(maxd)
    used = 0
    e = first
    while e < n and cap - used >= MAX_PER_EVENT:
        base = used
        o_species[base] = species[e]
        for c in range(4):
            o_p4[base, c] = p4[e, c]
            o_vx[base, c] = vertex[e, c]
        o_mother[base] = -1
        hel[0] = False
        size = 1
        i = 0
        while i < size:
            g = base + i
            s = o_species[g]
            if not decays[s] or size + maxd > MAX_PER_EVENT:
                o_status[g] = 1
                i += 1
                continue
            o_status[g] = 2
            # mode: cum holds species + cumulative BF within the species
            u = s + np.random.random()
            lo, hi = mode_start[s], mode_stop[s] - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if cum[mid] <= u:
                    lo = mid + 1
                else:
                    hi = mid
            mode = lo
            if i == 0:
                first_mode[e] = mode
            px, py, pz, en = o_p4[g, 0], o_p4[g, 1], o_p4[g, 2], o_p4[g, 3]
            big_m = math.sqrt(max(en * en - px * px - py * py - pz * pz, 0.0))
            # decay vertex (generator/vertices.py flight law)
            dx, dy, dz, dt = o_vx[g, 0], o_vx[g, 1], o_vx[g, 2], o_vx[g, 3]
            if ctau[s] > 0.0 and big_m > 0.0:
                scale = ctau[s] * -math.log(1.0 - np.random.random()) / big_m
                dx += px * scale
                dy += py * scale
                dz += pz * scale
                dt += en * scale / c_mm_per_ns
            nd = n_daughters[mode]
            for j in range(nd):
                m_d[j] = mass[daughters[mode, j]]
            if nd == 1:
                tmp[0, 0], tmp[0, 1], tmp[0, 2] = px, py, pz
                tmp[0, 3] = math.sqrt(px * px + py * py + pz * pz + m_d[0] * m_d[0])
            elif nd == 2:
                q = _pdk(big_m, m_d[0], m_d[1])
                ct = 2.0 * np.random.random() - 1.0
                # helicity axis (VSS of a helicity-0 vector): opposite to the mother's
                # direction in this particle's rest frame; else the z axis
                ax, ay, az = 0.0, 0.0, 1.0
                if hel[i] and model[mode] == VSS:
                    c = np.random.random() ** (1.0 / 3.0)  # density ∝ cos²θ
                    ct = -c if np.random.random() < 0.5 else c
                    gm = base + o_mother[g]
                    tmp[1, 0], tmp[1, 1], tmp[1, 2] = o_p4[gm, 0], o_p4[gm, 1], o_p4[gm, 2]
                    tmp[1, 3] = o_p4[gm, 3]
                    _boost(tmp[1], -px / en, -py / en, -pz / en)
                    norm = math.sqrt(tmp[1, 0] ** 2 + tmp[1, 1] ** 2 + tmp[1, 2] ** 2)
                    if norm > 0.0:
                        ax, ay, az = -tmp[1, 0] / norm, -tmp[1, 1] / norm, -tmp[1, 2] / norm
                st = math.sqrt(max(0.0, 1.0 - ct * ct))
                ph = 2.0 * math.pi * np.random.random()
                # orthonormal frame (ex, ey, a) about the axis
                if abs(ax) < 0.9:
                    hx, hy, hz = 1.0, 0.0, 0.0
                else:
                    hx, hy, hz = 0.0, 1.0, 0.0
                ex, ey, ez = hy * az - hz * ay, hz * ax - hx * az, hx * ay - hy * ax
                nrm = math.sqrt(ex * ex + ey * ey + ez * ez)
                ex, ey, ez = ex / nrm, ey / nrm, ez / nrm
                fx, fy, fz = ay * ez - az * ey, az * ex - ax * ez, ax * ey - ay * ex
                cph, sph = st * math.cos(ph), st * math.sin(ph)
                ux = cph * ex + sph * fx + ct * ax
                uy = cph * ey + sph * fy + ct * ay
                uz = cph * ez + sph * fz + ct * az
                tmp[0, 0], tmp[0, 1], tmp[0, 2] = q * ux, q * uy, q * uz
                tmp[0, 3] = math.sqrt(q * q + m_d[0] * m_d[0])
                tmp[1, 0], tmp[1, 1], tmp[1, 2] = -q * ux, -q * uy, -q * uz
                tmp[1, 3] = math.sqrt(q * q + m_d[1] * m_d[1])
                _boost(tmp[0], px / en, py / en, pz / en)
                _boost(tmp[1], px / en, py / en, pz / en)
            else:
                genbod_row(px, py, pz, en, m_d, nd, wmax[mode], tmp, inv, pd, r)
            svs = model[mode] == SVS and nd == 2 and vector[daughters[mode, 0]]
            for j in range(nd):
                k = base + size
                o_species[k] = daughters[mode, j]
                for c in range(4):
                    o_p4[k, c] = tmp[j, c]
                o_vx[k, 0], o_vx[k, 1], o_vx[k, 2], o_vx[k, 3] = dx, dy, dz, dt
                o_mother[k] = i
                # EvtGen SVS: the vector is the first daughter, made with helicity 0
                hel[size] = svs and j == 0
                size += 1
            i += 1
        counts[e] = size
        used += size
        e += 1
    return e, used


def to_ragged(chains: Chains, slot: int, n_template: int) -> Ragged:
    """The descendants of each event's root as the ragged part of a block (record.Ragged)
    whose template slot `slot` is the root and which has `n_template` template particles:
    chain particle j > 0 of an event becomes ragged particle j − 1, its mother the slot (for
    the root's daughters) or n_template + (chain mother − 1)."""
    keep = np.ones(chains.event.size, dtype=bool)
    keep[chains.start[:-1]] = False  # the roots: they are the template's slot
    offsets = chains.start - np.arange(chains.start.size)
    m = chains.mother[keep]
    mother = np.where(m == 0, slot, n_template + m - 1).astype(np.int32)
    return Ragged(
        offsets.astype(np.int64),
        chains.pdg[keep].astype(np.int32),
        chains.status[keep],
        mother,
        chains.p4[keep],
        chains.vertex[keep],
    )


def mean_multiplicity(chains: Chains, pdg_abs: set[int]) -> float:
    """Mean number per root of final-state particles with |PDG id| in `pdg_abs`."""
    final = chains.status == FINAL
    hit = final & np.isin(np.abs(chains.pdg), list(pdg_abs))
    return float(hit.sum()) / max(chains.start.size - 1, 1)
