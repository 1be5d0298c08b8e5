"""B± → K± a at the Υ(4S): e+e− → Υ(4S) → B+B−, one B decaying to K a, the other undecayed.

Angular structure (DESIGN.md): Υ(4S) (J=1, produced polarised along the beam axis) → BB̄
(spin 0) gives dN/dcosθ* ∝ sin²θ* about the e− direction in the CM frame; B → K a (all spin 0)
is isotropic in the B rest frame. The charge conjugate decay is generated in half the events.
"""

from __future__ import annotations

import numpy as np

from ...cardreader import Table
from ...pdg import ALP_PDG_ID
from ...pdg import mass as pdg_mass
from ...record import Block
from ..alp_decays import decay_alp
from ..beams import BeamDraw
from ..builder import BlockBuilder
from ..kinematics import boost, sample_cos_theta, two_body_decay, velocity
from .base import AlpSettings, slice_beams, split_counts

UPSILON_4S, B_PLUS, K_PLUS = 300553, 521, 321


class BToKA:
    """e+e− → Υ(4S) → B+B−, B± → K± a, a → final state from the ALP settings."""

    name = "B+ -> K+ a"

    def __init__(self, alp: AlpSettings, branching_fraction: float = 1.0) -> None:
        self.alp = alp
        self.branching_fraction = branching_fraction

    @property
    def min_sqrt_s(self) -> float:
        """Production threshold 2 m_B: beam-energy tails below it make no event."""
        return 2.0 * pdg_mass(B_PLUS)

    @classmethod
    def from_card(cls, table: Table, alp: AlpSettings, detector: object) -> BToKA:
        """Options: `branching_fraction` (model-independent BF(B+ → K+ a), default 1)."""
        bf = table.number("branching_fraction", 1.0, lo=0.0, hi=1.0, lo_open=True)
        return cls(alp, bf)

    @staticmethod
    def max_alp_mass(detector: object = None) -> float:
        """Kinematic limit m_B − m_K for the ALP mass (GeV)."""
        return pdg_mass(B_PLUS) - pdg_mass(K_PLUS)

    def modes(self) -> list[tuple[int, str, float]]:
        """(B charge sign, ALP final state, fraction) for every decay mode."""
        return [
            (sign, fs, 0.5 * br)
            for sign in (+1, -1)
            for fs, br in self.alp.decays.items()
            if br > 0
        ]

    def generate(self, rng: np.random.Generator, beams: BeamDraw) -> list[Block]:
        modes = self.modes()
        counts = split_counts(rng, beams.e_minus.shape[0], [m[2] for m in modes])
        blocks, start = [], 0
        for (sign, final_state, _), count in zip(modes, counts, strict=True):
            part = slice_beams(beams, start, start + count)
            start += count
            blocks.append(self._generate_mode(rng, part, sign, final_state))
        return blocks

    def _generate_mode(
        self, rng: np.random.Generator, beams: BeamDraw, sign: int, final_state: str
    ) -> Block:
        b = BlockBuilder(beams)
        n = b.n
        upsilon = b.add(UPSILON_4S, beams.total, role="upsilon")
        # Υ(4S) → B B̄ with sin²θ* about the e− beam axis, seen in the Υ rest frame.
        axis = boost(beams.e_minus, -velocity(beams.total))[:, :3]
        m_b = pdg_mass(B_PLUS)
        p_sig, p_other = two_body_decay(
            rng, b.p4(upsilon), m_b, m_b, cos_theta=sample_cos_theta(rng, n, -1.0), axis=axis
        )
        sig = b.add(sign * B_PLUS, p_sig, mother=upsilon, role="signal_parent")
        b.add(-sign * B_PLUS, p_other, mother=upsilon, role="other_b")
        p_k, p_a = two_body_decay(rng, b.p4(sig), pdg_mass(K_PLUS), self.alp.mass)
        b.add(sign * K_PLUS, p_k, mother=sig, role="kaon")
        alp = b.add(ALP_PDG_ID, p_a, mother=sig, role="alp")
        decay_alp(rng, b, alp, final_state)
        charge = "+" if sign > 0 else "-"
        mode = f"B{charge} -> K{charge} a; a -> {final_state}"
        return b.build(rng, mode, alp_ctau_mm=self.alp.ctau)

    def normalisation(self) -> dict[str, object]:
        return {
            "kind": "branching_fraction",
            "parent": "B+",
            "branching_fraction": self.branching_fraction,
            "alp_branching_fractions": dict(self.alp.decays),
            "formula": "N = N_BB * 2 * f(B+B-) * BF(B+ -> K+ a) * BF(a -> final state) * eff",
        }
