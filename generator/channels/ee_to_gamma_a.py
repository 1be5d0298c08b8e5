"""ALP-strahlung e+e− → γ* → γ a, with the ALP decaying by `decay_alp`.

Physics (M. J. Dolan, T. Ferber, C. Hearty, F. Kahlhoefer, K. Schmidt-Hoberg, "DFHKS", JHEP 12
(2017) 094, arXiv:1709.00009, Sec. 3, for L = −¼ g_aγγ a F F̃)::

    σ(e+e− → γa) = (α g_aγγ² / 24) (1 − m_a²/s)³,   dσ/dcosθ ∝ 1 + cos²θ,
    E*_γ = (s − m_a²)/(2√s)

in the centre-of-mass frame, θ the photon angle to the e− beam (unpolarised beams; the
γ*→γa vertex ε^{μνρσ} gives the same 1 + cos²θ as e+e− → γπ⁰). α = α(0). Check: √s = 10.58 GeV,
g = 1e-3 GeV⁻¹, m_a = 0.2 GeV → 0.118 pb. With `isr = true` the hard process runs at the
reduced s' of the Kuraev–Fadin structure function (generator/isr.py) and σ is corrected.

Coupling-driven ALPs (with [alp.couplings]): g_aγγ is the effective coupling of one on-shell
photon and one of virtuality s, g_aγγ^eff = 16πα|C_γγ^eff(m_a², s)|/Λ, with the lepton and quark
loops at q² = s (generator/alp/photon_coupling.py, C_gamma_gamma_offshell; couplings run to
μ = √s), so that lepton-, quark- and top-coupled ALPs are produced too. It is evaluated at the
nominal √s; with ISR the reduced s' changes it by far less than the ISR correction itself.

Card options ([channel]): `g_agg` (GeV⁻¹; only for a model-independent ALP, a coupling-driven
one takes g_aγγ^eff from alp.couplings), `isr` (default false).
"""

from __future__ import annotations

import hepunits as u
import numpy as np
from numpy.typing import NDArray

from ...pdg import ALP_PDG_ID
from ...record import Block
from ...toml_fields import Field, Table, field_map
from ..alp.couplings import ALPHA_EM
from ..alp.photon_coupling import g_agamma_offshell
from ..alp_decays import decay_alp
from ..beams import BeamDraw, BeamSettings
from ..builder import BlockBuilder
from ..isr import Radiator
from ..kinematics import sample_cos_theta, two_body_decay
from .base import ISR_OPTION, MODEL_INDEPENDENT, AlpSettings, generate_final_states

PHOTON = 22
#: GeV⁻² → fb, (ħc)² (hepunits).
GEV2_TO_FB: float = (u.hbarc / u.GeV) ** 2 / u.femtobarn


def cross_section_gamma_a(s: float | NDArray, m_a: float, g_agamma: float) -> NDArray:
    """σ(e+e− → γa) in fb = (α g²/24)(1 − m_a²/s)³ × (ħc)² (DFHKS Sec. 3).

    Zero below threshold (s ≤ m_a²). `g_agamma` in GeV⁻¹, s in GeV².
    """
    s = np.asarray(s, dtype=float)
    r = np.clip(1.0 - m_a**2 / s, 0.0, None)
    return ALPHA_EM * g_agamma**2 / 24.0 * r**3 * GEV2_TO_FB


#: [channel] options of e+e− → γ a, declared once (validator, guide).
OPTIONS = field_map((
    Field("g_agg", "number", "ALP-photon coupling g_aγγ of a model-independent ALP (with "
          "[alp.couplings] it comes from them)", unit="1/GeV", lo=0.0, lo_open=True, hi=1.0,
          needs=MODEL_INDEPENDENT),
    ISR_OPTION,
))  # fmt: skip


class EeToGammaA:
    """e+e− → γ a (1 + cos²θ), a → final states of the ALP settings; optional ISR."""

    name = "e+ e- -> gamma a"

    def __init__(self, alp: AlpSettings, g_agamma: float, sqrt_s: float, isr: bool = False) -> None:
        self.alp = alp
        self.g_agamma = g_agamma
        self.sqrt_s = sqrt_s
        self.radiator = Radiator(
            isr,
            lambda s: cross_section_gamma_a(s, alp.mass, g_agamma),
            alp.mass**2,
            sqrt_s**2,
        )

    @property
    def min_sqrt_s(self) -> float:
        """Threshold √s = m_a."""
        return self.alp.mass

    @classmethod
    def from_card(cls, table: Table, alp: AlpSettings, beams: BeamSettings) -> EeToGammaA:
        """Options: `g_agg` (GeV⁻¹, model-independent ALP only), `isr` (default false)."""
        if alp.couplings is not None:
            if table.has("g_agg"):
                raise table.error(
                    "g_agg",
                    "cannot be combined with [alp.couplings]: g_aγγ is taken from the "
                    "couplings (set alp.couplings.g_agg or C_BB/C_WW there)",
                )
            sqrt_s, _ = beams.nominal_cms()
            g = g_agamma_offshell(alp.mass, float(sqrt_s) ** 2, alp.couplings)
            if g == 0.0:
                raise table.error(
                    "name",
                    "e+ e- -> gamma a needs a photon coupling: alp.couplings give "
                    "g_aγγ^eff = 0 (set alp.couplings.g_agg, C_BB, C_WW or a fermion coupling)",
                )
        else:
            if not table.has("g_agg"):
                raise table.error(
                    "g_agg",
                    "is required for a model-independent ALP (ctau + decays): the ALP-photon "
                    "coupling g_aγγ in GeV⁻¹ (or give [alp.couplings])",
                )
            g = OPTIONS["g_agg"].read(table)
        isr = OPTIONS["isr"].read(table)
        sqrt_s, _ = beams.nominal_cms()
        return cls(alp, g, float(sqrt_s), isr)

    @staticmethod
    def max_alp_mass(beams: BeamSettings) -> float:
        """m_a < √s (nominal; the beam-energy spread is far smaller than any useful margin)."""
        return float(beams.nominal_cms()[0])

    def generate(self, rng: np.random.Generator, beams: BeamDraw) -> list[Block]:
        return generate_final_states(rng, beams, self.alp.decays, self._generate_mode)

    def _generate_mode(self, rng: np.random.Generator, beams: BeamDraw, final_state: str) -> Block:
        b = BlockBuilder(beams)
        hard = self.radiator.hard_system(rng, beams)
        self.radiator.add_photon(b, hard)
        cos_theta = sample_cos_theta(rng, b.n, 1.0)
        p_gamma, p_a = two_body_decay(
            rng, hard.p4, 0.0, self.alp.mass, cos_theta=cos_theta, axis=hard.axis
        )
        b.add(PHOTON, p_gamma, role="photon")
        alp = b.add(ALP_PDG_ID, p_a, role="alp")
        decay_alp(rng, b, alp, final_state, self.alp.couplings)
        block = b.build(rng, f"e+ e- -> gamma a; a -> {final_state}", alp_ctau_mm=self.alp.ctau)
        block.extra.update(self.radiator.extra(hard))
        return block

    def normalisation(self) -> dict[str, object]:
        sigma = self.radiator.cross_section()
        return {
            "kind": "cross_section",
            "process": "e+ e- -> gamma a",
            "sqrt_s_GeV": self.sqrt_s,
            "g_agamma_per_GeV": self.g_agamma,
            "isr": self.radiator.enabled,
            "cross_section_fb": sigma,
            "cross_section_error_fb": 0.0,
            "cross_section_born_fb": float(
                cross_section_gamma_a(self.sqrt_s**2, self.alp.mass, self.g_agamma)
            ),
            "alp_branching_fraction": self.alp.generated_branching_fraction,
            "alp_branching_fractions": dict(self.alp.decays),
            "formula": "N = L[fb^-1] * cross_section_fb * alp_branching_fraction * "
            "BF(a -> final state | generated) * eff",
        }
