"""Full decay chains from compiled EvtGen tables, generation by generation over whole arrays.

Roots (one per event, e.g. the other B of an Υ(4S) event) are decayed through the tables of
generator/dec_tables.py down to particles that are final state for the detector. Per
generation: one mode per unstable particle drawn from the cumulative BFs (one `searchsorted`),
its decay point from its cτ (exponential law, generator/vertices.py), then the daughters of
all one-body, all two-body and all multi-body decays in one array call each (no loop over
events or modes):

- one-body modes (K0 → K_S0): the daughter takes the parent's three-momentum;
- two-body modes: back to back in the parent rest frame, isotropic, except for the helicity
  structure of EvtGen's SVS and VSS models (Lange, NIM A 462 (2001) 152): a vector made with
  a scalar by a spin-0 parent (SVS, e.g. B → D* π) has helicity 0 along its flight direction
  in the parent rest frame, and such a vector decaying to two scalars (VSS, e.g. D* → D π)
  gives dN/dcosθ ∝ |d¹₀₀(θ)|² = cos²θ about that axis (PDG Review "Clebsch-Gordan
  coefficients, spherical harmonics, and d functions"); a vector of unknown polarisation
  (semileptonic or multi-body production) decays isotropically;
- three or more bodies: flat phase space (GENBOD, generator/nbody_kernel.py).

The chains come back flat and event-contiguous in breadth-first order (mothers before
daughters), with a topology id per event: events with the same id have the same particle
template, so `attach_chains` turns each topology into one record block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..record import DECAYED, FINAL, Block
from .dec_tables import SVS, VSS, DecayTables
from .kinematics import boost, four_vector, two_body_decay, velocity
from .nbody_kernel import nbody
from .vertices import flight_per_particle

Array = NDArray[np.float64]


@dataclass
class Chains:
    """Flat decay chains of N roots (K particles), event-contiguous, breadth-first.

    `mother` is the index of the mother within the event's chain (−1 for the root), `start`
    (N + 1) the offsets of each event's particles, `topology` (N) a template id per event
    (0..n_topologies−1) and `first_mode` (N) the root's decay mode (a row of the tables).
    """

    tables: DecayTables
    event: NDArray[np.int64]
    species: NDArray[np.int64]
    p4: Array
    vertex: Array
    mother: NDArray[np.int64]
    status: NDArray[np.int8]
    start: NDArray[np.int64]
    topology: NDArray[np.int64]
    first_mode: NDArray[np.int64]

    @property
    def pdg(self) -> NDArray[np.int64]:
        return self.tables.pdg[self.species]


def _mix64(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64 finaliser (Steele, Lea, Flood, OOPSLA 2014): a 64-bit hash of each value."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _cos2_theta(rng: np.random.Generator, n: int) -> Array:
    """cosθ with density ∝ cos²θ on [−1, 1] (inverse CDF: |cosθ| = u^{1/3}, random sign)."""
    c = np.cbrt(rng.uniform(size=n))
    return np.where(rng.uniform(size=n) < 0.5, -c, c)


def _two_body(rng, tables, modes, parent, masses, helicity0, grand_p4):
    """Two-body decays (k, 2, 4) of parents (k, 4), with the VSS cos²θ for helicity-0 vectors."""
    k = parent.shape[0]
    cos_theta = rng.uniform(-1.0, 1.0, k)
    axis = np.zeros((k, 3))
    axis[:, 2] = 1.0
    h = np.flatnonzero(helicity0 & (tables.model[modes] == VSS))
    if h.size:
        cos_theta[h] = _cos2_theta(rng, h.size)
        # helicity axis in the vector's rest frame: opposite to its mother's direction there
        axis[h] = -boost(grand_p4[h], -velocity(parent[h]))[:, :3]
    p1, p2 = two_body_decay(rng, parent, masses[:, 0], masses[:, 1], cos_theta, axis)
    return np.stack([p1, p2], axis=1)


def decay_chains(
    rng: np.random.Generator,
    tables: DecayTables,
    species: NDArray[np.int64],
    p4: Array,
    vertex: Array,
) -> Chains:
    """Decay N roots (species (N,), lab four-momenta (N, 4), production vertices (N, 4))."""
    n = species.size
    gens = []  # per generation: event, species, p4, vertex, mother (global), slot
    cur = {
        "event": np.arange(n, dtype=np.int64),
        "species": np.asarray(species, dtype=np.int64),
        "p4": np.asarray(p4, dtype=float),
        "vertex": np.asarray(vertex, dtype=float),
        "mother": np.full(n, -1, dtype=np.int64),
        "helicity0": np.zeros(n, dtype=bool),
        "mother_p4": np.zeros((n, 4)),
    }
    offset = 0
    decayed_global, decayed_mode = [], []
    while True:
        cur["global"] = offset + np.arange(cur["event"].size, dtype=np.int64)
        gens.append(cur)
        offset += cur["event"].size
        idx = np.flatnonzero(tables.decays[cur["species"]])
        if idx.size == 0:
            break
        modes = tables.draw_modes(rng, cur["species"][idx])
        decayed_global.append(cur["global"][idx])
        decayed_mode.append(modes)
        parent_p4 = cur["p4"][idx]
        ct = tables.ctau[cur["species"][idx]]
        decay_vertex = cur["vertex"][idx] + flight_per_particle(rng, parent_p4, ct)
        k = idx.size
        nd = tables.n_daughters[modes]
        kids = tables.daughters[modes]  # (k, MAXD)
        masses = np.where(kids >= 0, tables.mass[np.maximum(kids, 0)], 0.0)
        out = np.zeros((k, kids.shape[1], 4))
        one, two, many = nd == 1, nd == 2, nd >= 3
        if one.any():
            out[one, 0] = four_vector(parent_p4[one, :3], masses[one, 0])
        if two.any():
            hel, grand = cur["helicity0"][idx[two]], cur["mother_p4"][idx[two]]
            out[two, :2] = _two_body(
                rng, tables, modes[two], parent_p4[two], masses[two], hel, grand
            )
        if many.any():
            seed = int(rng.integers(2**31 - 1))
            out[many] = nbody(
                seed, parent_p4[many], masses[many], nd[many], tables.wmax[modes[many]]
            )
        rows = np.repeat(np.arange(k), nd)
        slot = np.arange(rows.size) - np.repeat(np.cumsum(nd) - nd, nd)
        svs = (tables.model[modes] == SVS) & two & tables.vector[np.maximum(kids[:, 0], 0)]
        nxt = {
            "event": cur["event"][idx][rows],
            "species": kids[rows, slot],
            "p4": out[rows, slot],
            "vertex": decay_vertex[rows],
            "mother": cur["global"][idx][rows],
            "slot": slot,
            # EvtGen SVS: the vector is the first daughter, made with helicity 0
            "helicity0": svs[rows] & (slot == 0),
            "mother_p4": parent_p4[rows],
        }
        o = np.lexsort((nxt.pop("slot"), nxt["mother"]))
        cur = {k: v[o] for k, v in nxt.items()}
    return _assemble(tables, gens, n, np.concatenate(decayed_global), np.concatenate(decayed_mode))


def _assemble(tables, gens, n, decayed_global, decayed_mode) -> Chains:
    """Event-contiguous breadth-first order, local mother indices, status and topology ids."""
    event = np.concatenate([g["event"] for g in gens])
    glob = np.concatenate([g["global"] for g in gens])
    order = np.lexsort((glob, event))  # glob is generation-major, so this is breadth-first
    k = event.size
    newpos = np.empty(k, dtype=np.int64)
    newpos[order] = np.arange(k)
    event = event[order]
    counts = np.bincount(event, minlength=n)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    mother_g = np.concatenate([g["mother"] for g in gens])[order]
    mother = np.where(mother_g >= 0, newpos[np.maximum(mother_g, 0)] - start[event], -1)
    status = np.full(k, FINAL, dtype=np.int8)
    pos = newpos[decayed_global]
    status[pos] = DECAYED
    # topology id: a hash of the (position, mode) of every decay in the event; the template
    # (species, mothers) follows from it, since the order of the daughters is fixed
    local = (pos - start[event[pos]]).astype(np.uint64)
    h = _mix64(local * np.uint64(1 << 20) + decayed_mode.astype(np.uint64))
    key = np.zeros(n, dtype=np.uint64)
    np.add.at(key, event[pos], h)
    _, topology = np.unique(key, return_inverse=True)
    first_mode = np.full(n, -1, dtype=np.int64)
    root = local == 0
    first_mode[event[pos[root]]] = decayed_mode[root]
    return Chains(
        tables=tables,
        event=event,
        species=np.concatenate([g["species"] for g in gens])[order],
        p4=np.concatenate([g["p4"] for g in gens])[order],
        vertex=np.concatenate([g["vertex"] for g in gens])[order],
        mother=mother,
        status=status,
        start=start,
        topology=topology.reshape(-1).astype(np.int64),
        first_mode=first_mode,
    )


def attach_chains(block: Block, slot: int, chains: Chains, label: str) -> list[Block]:
    """Append each event's chain below template particle `slot` of `block` (whose events are
    the chains' roots, in order): one block per topology, mode `block.mode + label + first
    mode of the root`. The root is `slot` itself (its four-momentum stays the block's)."""
    out = []
    base = block.n_particles
    order = np.argsort(chains.topology, kind="stable")
    uniq, first = np.unique(chains.topology[order], return_index=True)
    bounds = [*first, order.size]
    for j in range(uniq.size):
        ev = order[bounds[j] : bounds[j + 1]]
        e0 = int(ev[0])
        a, b = int(chains.start[e0]), int(chains.start[e0 + 1])
        # chain particle 0 is the root (= `slot`); its descendants follow
        m = chains.mother[a + 1 : b]
        mother = np.where(m == 0, slot, m - 1 + base).astype(block.mother.dtype)
        n_c = b - a - 1
        idx = chains.start[ev][:, None] + 1 + np.arange(n_c)[None, :]
        status = block.status.copy()
        status[slot] = DECAYED
        out.append(
            Block(
                mode=f"{block.mode}{label}{chains.tables.mode_label(int(chains.first_mode[e0]))}",
                pdg=np.concatenate([block.pdg, chains.pdg[a + 1 : b].astype(block.pdg.dtype)]),
                status=np.concatenate([status, chains.status[a + 1 : b]]),
                mother=np.concatenate([block.mother, mother]),
                p4=np.concatenate([block.p4[ev], chains.p4[idx]], axis=1),
                vertex=np.concatenate([block.vertex[ev], chains.vertex[idx]], axis=1),
                roles=dict(block.roles),
                weights={k: v[ev] for k, v in block.weights.items()},
                extra={k: v[ev] for k, v in block.extra.items()},
            )
        )
    return out


def mean_multiplicity(chains: Chains, pdg_abs: set[int]) -> float:
    """Mean number per root of final-state particles with |PDG id| in `pdg_abs`."""
    final = chains.status == FINAL
    hit = final & np.isin(np.abs(chains.pdg), list(pdg_abs))
    return float(hit.sum()) / max(chains.start.size - 1, 1)
