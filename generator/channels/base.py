"""What every production channel provides, and the shared ALP settings it receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ...record import Block
from ...toml_fields import Field, Table
from ..alp import Couplings
from ..beams import BeamDraw, BeamSettings
from ..lifetime import LifetimeSampling

#: The `isr` option of the channels that radiate off the beams (generator/isr.py).
ISR_OPTION = Field("isr", "boolean", "initial-state radiation of the beams (generator/isr.py)",
                   default=False)  # fmt: skip
#: `needs` of an option that only a model-independent ALP (ctau + decays) must give.
MODEL_INDEPENDENT = "required for a model-independent ALP"


@dataclass(frozen=True)
class AlpSettings:
    """The ALP as the generator needs it.

    `decays` are the generation fractions of the final states actually generated (summing
    to 1, with fixed topologies: τ pairs expanded into their decay modes); `branching_fractions`
    are the model's BRs of all final states; `generated_branching_fraction` is the BR of what
    is generated, so that yields follow from it.
    `couplings` is None for a model-independent ALP.
    """

    mass: float
    ctau: float
    decays: dict[str, float] = field(default_factory=lambda: {"gamma gamma": 1.0})
    branching_fractions: dict[str, float] | None = None
    couplings: Couplings | None = None
    sampling: LifetimeSampling | None = None  # default: exponential at ctau
    #: BR(a → the generated final states), after τ decay modes were expanded: what a yield
    #: must be multiplied by (1 when every final state of a model-independent table is made).
    generated_branching_fraction: float = 1.0

    def __post_init__(self) -> None:
        if self.sampling is None:
            object.__setattr__(self, "sampling", LifetimeSampling("exponential", self.ctau))


class Channel(Protocol):
    """A production channel: generates blocks of events from beams and knows its normalisation.

    A channel class is built from its card section by `from_card`, which reads (and so
    allows) its own options from the `[channel]` table; `max_alp_mass` bounds `alp.mass`
    before the channel is built, so that forbidden kinematics fail with the field named.
    """

    name: str
    #: Lowest √s at which the channel is open; beam-energy tails below it are redrawn.
    min_sqrt_s: float

    @classmethod
    def from_card(cls, table: Table, alp: AlpSettings, beams: BeamSettings) -> Channel:
        """Build the channel from its `[channel]` table (every key it reads is allowed)."""
        ...

    @staticmethod
    def max_alp_mass(beams: BeamSettings) -> float:
        """Kinematic upper limit on the ALP mass (GeV) for this channel at this collider."""
        ...

    def generate(self, rng: np.random.Generator, beams: BeamDraw) -> list[Block]:
        """Generate one event per beam collision in `beams`, split into decay-mode blocks."""
        ...

    def normalisation(self) -> dict[str, object]:
        """Production cross section or branching fraction, parent count, formula used."""
        ...


def split_counts(rng: np.random.Generator, n: int, fractions: list[float]) -> list[int]:
    """Split n events over modes with a multinomial draw (fractions are normalised)."""
    p = np.asarray(fractions, dtype=float)
    return [int(k) for k in rng.multinomial(n, p / p.sum())]


def slice_beams(beams: BeamDraw, start: int, stop: int) -> BeamDraw:
    """The collisions start:stop of a chunk."""
    return BeamDraw(
        beams.e_minus[start:stop], beams.e_plus[start:stop], beams.primary_vertex[start:stop]
    )


def first_events(block: Block, n: int) -> Block:
    """The first n events of a block (n = 0: the template alone)."""
    return Block(
        mode=block.mode,
        pdg=block.pdg,
        status=block.status,
        mother=block.mother,
        p4=block.p4[:n],
        vertex=block.vertex[:n],
        roles=dict(block.roles),
        weights={k: v[:n] for k, v in block.weights.items()},
        extra={k: v[:n] for k, v in block.extra.items()},
        rest=block.rest.take(slice(0, n)) if block.rest is not None else None,
    )


def generate_modes(
    rng: np.random.Generator,
    beams: BeamDraw,
    fractions: list[float],
    make_block: Callable[[np.random.Generator, BeamDraw, int], Block | list[Block]],
) -> list[Block]:
    """Split the collisions over modes (`split_counts`) and call `make_block(rng, beams, i)`.

    A mode that gets no event is generated for one collision and cut to zero events, so its
    (empty) block has the full template even where a decay routine cannot take empty arrays,
    and the set of modes (hence the output schema) does not depend on the chunk.
    """
    counts = split_counts(rng, beams.e_minus.shape[0], fractions)
    blocks: list[Block] = []
    start = 0
    for i, count in enumerate(counts):
        if count == 0 and beams.e_minus.shape[0] > 0:
            made = make_block(rng, slice_beams(beams, 0, 1), i)
            made = made if isinstance(made, list) else [made]
            blocks.extend(first_events(b, 0) for b in made)
            continue
        made = make_block(rng, slice_beams(beams, start, start + count), i)
        blocks.extend(made if isinstance(made, list) else [made])
        start += count
    return blocks


def generate_final_states(
    rng: np.random.Generator,
    beams: BeamDraw,
    decays: dict[str, float],
    make_block: Callable[[np.random.Generator, BeamDraw, str], Block | list[Block]],
) -> list[Block]:
    """One block per ALP final state of `decays` (fractions), via `generate_modes`."""
    modes = [(fs, f) for fs, f in decays.items() if f > 0]
    return generate_modes(
        rng, beams, [f for _, f in modes], lambda r, part, i: make_block(r, part, modes[i][0])
    )
