"""ALP decay kinematics: two-body final states, isotropic in the ALP rest frame (spin 0).

Final-state names follow `alpsim.generator.alp.FINAL_STATES`. Three-body and τ+τ− final
states are added by later modules.
"""

from __future__ import annotations

import numpy as np

from ..pdg import mass as pdg_mass
from .builder import BlockBuilder
from .kinematics import two_body_decay

#: Two-body ALP final states and their daughters' PDG ids.
TWO_BODY: dict[str, tuple[int, int]] = {
    "gamma gamma": (22, 22),
    "e+ e-": (-11, 11),
    "mu+ mu-": (-13, 13),
    "pi+ pi-": (211, -211),
    "K+ K-": (321, -321),
}

#: Final states in which the ALP leaves the detector unseen: it stays a final-state particle.
INVISIBLE = "invisible"

SUPPORTED = (*TWO_BODY, INVISIBLE)


def final_state_threshold(final_state: str) -> float:
    """Lowest ALP mass (GeV) at which `final_state` is open (0 for invisible)."""
    return sum(pdg_mass(abs(p)) for p in TWO_BODY.get(final_state, ()))


def decay_alp(rng: np.random.Generator, builder: BlockBuilder, alp: int, final_state: str) -> None:
    """Add the decay products of template particle `alp` for one final state to the builder."""
    if final_state == INVISIBLE:
        return
    if final_state not in TWO_BODY:
        raise ValueError(f"ALP final state {final_state!r} not supported; allowed: {SUPPORTED}")
    d1, d2 = TWO_BODY[final_state]
    p1, p2 = two_body_decay(rng, builder.p4(alp), pdg_mass(abs(d1)), pdg_mass(abs(d2)))
    builder.add(d1, p1, mother=alp, role="alp_daughter_1")
    builder.add(d2, p2, mother=alp, role="alp_daughter_2")
