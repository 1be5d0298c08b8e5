"""The truth event record: columnar, one chunk of events at a time (docs/event-record.md).

Events of one decay mode share a topology (the same particles in the same order), so a mode
is stored as a `Block`: a particle template (pdg, status, mother) and 2-D arrays
(events × particles). Generator and detector kernels work on blocks; `EventRecord.flat()`
gives the flat particle columns with event offsets that the writers need.

A block may carry a ragged part (`Block.rest`, class `Ragged`): per-event particles of varying
number appended after the template particles of each event (the decay chain of the other B,
generator/decay_chains.py), stored as event offsets and flat particle arrays, so that events
whose chains differ need no template of their own. Its `mother` indexes the whole event
(template slots first, then the event's ragged particles: index P + j for its j-th one).

Conventions (stated once, used everywhere):
- status codes are HepMC3's: 1 final state, 2 decayed, 4 beam particle;
- `mother` is the index of the mother within the event, −1 for none. The two beam particles
  (status 4) come first; particles with mother −1 that are not beams are produced at the
  primary vertex (the e+e− collision);
- four-momenta (px, py, pz, E) in the lab frame in GeV; production vertices (x, y, z, t) in mm
  and ns, the lab z axis along the solenoid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FINAL, DECAYED, BEAM = 1, 2, 4


@dataclass
class Ragged:
    """Per-event particles after a block's template: event e holds the flat particles
    offsets[e]:offsets[e+1]; `mother` is an index within the whole event (module doc)."""

    offsets: NDArray[np.int64]  # (N + 1,)
    pdg: NDArray[np.int32]  # (K,)
    status: NDArray[np.int8]  # (K,)
    mother: NDArray[np.int32]  # (K,) index within the event (template slot or P + j)
    p4: NDArray[np.float64]  # (K, 4) px, py, pz, E [GeV]
    vertex: NDArray[np.float64]  # (K, 4) x, y, z [mm], t [ns] of production

    def __post_init__(self) -> None:
        k = int(self.offsets[-1]) if self.offsets.size else 0
        if self.offsets.size == 0 or self.offsets[0] != 0 or np.any(np.diff(self.offsets) < 0):
            raise ValueError("ragged offsets must start at 0 and not decrease")
        for name in ("pdg", "status", "mother"):
            if getattr(self, name).shape != (k,):
                raise ValueError(f"ragged {name} must have {k} entries")
        if self.p4.shape != (k, 4) or self.vertex.shape != (k, 4):
            raise ValueError(f"ragged p4/vertex must be ({k}, 4)")

    @property
    def n_events(self) -> int:
        return self.offsets.size - 1

    @property
    def counts(self) -> NDArray[np.int64]:
        return np.diff(self.offsets)

    @property
    def event(self) -> NDArray[np.int64]:
        """Event index (within the block) of each flat particle."""
        return np.repeat(np.arange(self.n_events, dtype=np.int64), self.counts)

    def take(self, events: NDArray[np.intp] | slice) -> Ragged:
        """The ragged part of a subset of the events (in the given order)."""
        if isinstance(events, slice):
            events = np.arange(self.n_events)[events]
        events = np.asarray(events, dtype=np.int64)
        counts = self.counts[events]
        offsets = np.zeros(events.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        idx = np.repeat(self.offsets[events] - offsets[:-1], counts) + np.arange(offsets[-1])
        return Ragged(
            offsets, self.pdg[idx], self.status[idx], self.mother[idx], self.p4[idx],
            self.vertex[idx],
        )  # fmt: skip


@dataclass
class Block:
    """All events of one decay mode: a particle template and per-event arrays."""

    mode: str
    pdg: NDArray[np.int32]  # (P,)
    status: NDArray[np.int8]  # (P,)
    mother: NDArray[np.int32]  # (P,)
    p4: NDArray[np.float64]  # (N, P, 4) px, py, pz, E [GeV]
    vertex: NDArray[np.float64]  # (N, P, 4) x, y, z [mm], t [ns] of production
    roles: dict[str, int] = field(default_factory=dict)  # named template slots
    weights: dict[str, NDArray[np.float64]] = field(default_factory=dict)  # (N,) each
    extra: dict[str, NDArray] = field(default_factory=dict)  # per-event truth columns
    rest: Ragged | None = None  # per-event particles after the template (module doc)

    def __post_init__(self) -> None:
        n_part = self.pdg.shape[0]
        if self.rest is not None and self.rest.n_events != self.p4.shape[0]:
            raise ValueError("the ragged part must have one entry per event of the block")
        if self.status.shape != (n_part,) or self.mother.shape != (n_part,):
            raise ValueError("template arrays pdg/status/mother must have the same length")
        if self.p4.shape[1:] != (n_part, 4) or self.vertex.shape != self.p4.shape:
            raise ValueError(f"p4/vertex must be (N, {n_part}, 4), got {self.p4.shape}")
        if np.any(self.mother >= np.arange(n_part)):
            raise ValueError("template must be ordered: each mother precedes its daughters")

    @property
    def n_events(self) -> int:
        return self.p4.shape[0]

    @property
    def n_particles(self) -> int:
        return self.pdg.shape[0]

    def daughters(self, index: int) -> NDArray[np.intp]:
        """Template indices of the daughters of template particle `index`."""
        return np.flatnonzero(self.mother == index)

    def final_descendants(self, index: int) -> NDArray[np.intp]:
        """Template indices of the final-state (status 1) descendants of particle `index`.

        The search stops at final-state particles: what the detector material made from them
        (a bremsstrahlung photon, daughter of a status-1 electron) is not part of the decay."""
        if self.status[index] == FINAL:
            return np.array([index], dtype=np.intp)
        found = []
        stack = [index]
        while stack:
            i = stack.pop()
            if i != index and self.status[i] == FINAL:
                found.append(i)
                continue
            kids = self.daughters(i)
            if kids.size == 0 and i != index:
                found.append(i)
            stack.extend(int(k) for k in kids)
        return np.array(sorted(found), dtype=np.intp)

    def decay_vertex(self, index: int) -> NDArray[np.float64]:
        """(N, 4) decay vertex of template particle `index` (its first daughter's origin)."""
        d = self.daughters(index)
        if d.size == 0:
            raise ValueError(f"particle {index} of mode {self.mode!r} has no decay products")
        return self.vertex[:, d[0], :]


@dataclass
class EventRecord:
    """One chunk of truth events: a list of blocks (one per decay mode) and event numbers."""

    channel: str
    blocks: list[Block]
    first_event: int = 0

    @property
    def n_events(self) -> int:
        return sum(b.n_events for b in self.blocks)

    @property
    def event_number(self) -> NDArray[np.int64]:
        return np.arange(self.first_event, self.first_event + self.n_events, dtype=np.int64)

    @property
    def mode_names(self) -> list[str]:
        """Distinct decay modes in block order (a mode can span several blocks, e.g. when the
        material stage gives converted-photon events their own template)."""
        return list(dict.fromkeys(b.mode for b in self.blocks))

    def mode_index(self) -> NDArray[np.int16]:
        """Per event, the index of its decay mode in `mode_names`."""
        index = {m: i for i, m in enumerate(self.mode_names)}
        return np.concatenate(
            [np.full(b.n_events, index[b.mode], dtype=np.int16) for b in self.blocks]
        )

    def weight_names(self) -> list[str]:
        names: list[str] = []
        for b in self.blocks:
            names.extend(k for k in b.weights if k not in names)
        return names

    def weights(self) -> dict[str, NDArray[np.float64]]:
        """Named event weights over the chunk (1 where a block does not define a weight)."""
        return {
            k: np.concatenate([b.weights.get(k, np.ones(b.n_events)) for b in self.blocks])
            for k in self.weight_names()
        }

    def event_column(self, name: str) -> NDArray:
        """Concatenate a per-event truth column (`Block.extra`) over the blocks; NaN for
        blocks without it (e.g. no ALP decay length where the ALP is invisible)."""
        return np.concatenate(
            [b.extra[name] if name in b.extra else np.full(b.n_events, np.nan) for b in self.blocks]
        )

    def event_columns(self) -> dict[str, NDArray]:
        """Every per-event truth column of any block (`event_column`)."""
        names: list[str] = []
        for b in self.blocks:
            names.extend(k for k in b.extra if k not in names)
        return {k: self.event_column(k) for k in names}

    def flat(self) -> dict[str, NDArray]:
        """Flat particle columns over the chunk plus `offsets` (n_events + 1); an event's
        ragged particles (`Block.rest`) follow its template particles."""
        if any(b.rest is not None for b in self.blocks):
            return _flat_with_rest(self.blocks)
        counts = np.concatenate([np.full(b.n_events, b.n_particles) for b in self.blocks])
        offsets = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        out: dict[str, NDArray] = {"offsets": offsets}
        out["pdg"] = np.concatenate([np.tile(b.pdg, b.n_events) for b in self.blocks])
        out["status"] = np.concatenate([np.tile(b.status, b.n_events) for b in self.blocks])
        out["mother"] = np.concatenate([np.tile(b.mother, b.n_events) for b in self.blocks])
        # one pass each into contiguous (4, particles) arrays: every column is then a
        # contiguous row, which Arrow takes without another copy
        p4 = np.concatenate([b.p4.reshape(-1, 4).T for b in self.blocks], axis=1)
        vx = np.concatenate([b.vertex.reshape(-1, 4).T for b in self.blocks], axis=1)
        for i, k in enumerate(("px", "py", "pz", "E")):
            out[k] = p4[i]
        for i, k in enumerate(("x", "y", "z", "t")):
            out[k] = vx[i]
        return out


def _flat_with_rest(blocks: list[Block]) -> dict[str, NDArray]:
    """`EventRecord.flat` for blocks with ragged parts: template and ragged particles of each
    event scattered into their event-major positions."""
    counts = np.concatenate(
        [b.n_particles + (b.rest.counts if b.rest is not None else 0) + np.zeros(b.n_events,
         dtype=np.int64) for b in blocks]
    )  # fmt: skip
    offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    total = int(offsets[-1])
    out: dict[str, NDArray] = {"offsets": offsets}
    pdg, status, mother = (
        np.empty(total, np.int32),
        np.empty(total, np.int8),
        np.empty(total, np.int32),
    )
    p4, vx = np.empty((total, 4)), np.empty((total, 4))
    first = 0
    for b in blocks:
        n, p = b.n_events, b.n_particles
        start = offsets[first : first + n]
        pos = (start[:, None] + np.arange(p)[None, :]).reshape(-1)
        pdg[pos], status[pos] = np.tile(b.pdg, n), np.tile(b.status, n)
        mother[pos] = np.tile(b.mother, n)
        p4[pos], vx[pos] = b.p4.reshape(-1, 4), b.vertex.reshape(-1, 4)
        if b.rest is not None:
            r = b.rest
            rpos = start[r.event] + p + np.arange(r.pdg.size) - r.offsets[r.event]
            pdg[rpos], status[rpos], mother[rpos] = r.pdg, r.status, r.mother
            p4[rpos], vx[rpos] = r.p4, r.vertex
        first += n
    out["pdg"], out["status"], out["mother"] = pdg, status, mother
    for i, k in enumerate(("px", "py", "pz", "E")):
        out[k] = np.ascontiguousarray(p4[:, i])
    for i, k in enumerate(("x", "y", "z", "t")):
        out[k] = np.ascontiguousarray(vx[:, i])
    return out


def derived_block(
    block: Block,
    events: NDArray[np.intp],
    status: NDArray[np.int8],
    new_pdg: NDArray[np.int32],
    new_mother: NDArray[np.int32],
    p4: NDArray[np.float64],
    vertex: NDArray[np.float64],
) -> Block:
    """The events `events` of `block` as a new block of the same mode whose template is the old
    one with `status` and particles appended (pdg `new_pdg`, mother `new_mother`, status 1).

    `p4` and `vertex` are (len(events), P + k, 4) for the whole new template. Roles keep their
    slots; weights and per-event truth columns are taken for the selected events. Used by the
    material stage (detector/material.py) to record conversions and bremsstrahlung.
    """
    n_new = len(new_pdg)
    return Block(
        mode=block.mode,
        pdg=np.concatenate([block.pdg, np.asarray(new_pdg, dtype=block.pdg.dtype)]),
        status=np.concatenate(
            [
                np.asarray(status, dtype=block.status.dtype),
                np.full(n_new, FINAL, dtype=block.status.dtype),
            ]
        ),
        mother=np.concatenate([block.mother, np.asarray(new_mother, dtype=block.mother.dtype)]),
        p4=p4,
        vertex=vertex,
        roles=dict(block.roles),
        weights={k: v[events] for k, v in block.weights.items()},
        extra={k: v[events] for k, v in block.extra.items()},
        rest=_shifted(block.rest.take(events), block.n_particles, n_new)
        if block.rest is not None
        else None,
    )


def _shifted(rest: Ragged, n_template: int, n_new: int) -> Ragged:
    """`rest` after `n_new` particles were appended to a template of `n_template`: mother
    indices that point into the ragged part move by `n_new`."""
    if n_new:
        rest.mother = np.where(rest.mother >= n_template, rest.mother + n_new, rest.mother).astype(
            rest.mother.dtype
        )
    return rest
