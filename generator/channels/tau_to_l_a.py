"""τ → ℓ a (ℓ = e, μ) in e+e− → τ+τ−, with a tag τ decaying by `tau_decays.decay_tau`.

Production: generator/channels/tau_pair.py (1 + cos²θ + (1 − β²) sin²θ, σ with β(3 − β²)/2,
helicity correlation of the pair kept, transverse spin correlations dropped); optional ISR.
One τ (τ− in half the events, τ+ in the other half) is the signal, the other the tag.

Signal decay τ → ℓ a: two-body, E*_ℓ = (m_τ² + m_ℓ² − m_a²)/(2m_τ) in the τ rest frame, with
dΓ/dcosθ ∝ 1 + q A P cosθ about the τ helicity axis (for 𝓛 ⊃ a ℓ̄(k_L P_L + k_R P_R)τ,
A = (|k_R|² − |k_L|²)/(|k_R|² + |k_L|²), derived here for m_ℓ → 0; card option `chirality`:
"scalar" A = 0, "V-A" A = −1, "V+A" A = +1; q = +1 for τ−, −1 for τ+ by CP; P = ±1 the τ
helicity drawn with the pair). The ALP decays by `decay_alp`; "invisible" leaves it
undecayed (status 1, unseen).

Branching fraction: from the card (`branching_fraction`) or from the LFV coupling
c_τℓ = alp.couplings.c_taue / c_taumu with 𝓛 ⊃ (c_τℓ/2)(∂_μa/Λ) ℓ̄γ^μγ₅τ + h.c. (BNT17
normalisation of c_ff: Bauer, Neubert, Thamm, JHEP 12 (2017) 044, arXiv:1708.00443). With m_ℓ
kept (the derivative coupling gives −(m_τ + m_ℓ) ℓ̄γ₅τ on shell)::

    Γ = |c_τℓ|² (m_τ + m_ℓ)² [(m_τ − m_ℓ)² − m_a²] λ^½(m_τ², m_ℓ², m_a²) / (64π Λ² m_τ³),

the axial term of `lfv_decay` in ALPaca (Alda et al., arXiv:2508.08354), written there for
𝓛 ⊃ (∂_μa/2f) ℓ̄γ^μ(c_V + c_Aγ₅)τ, with c_V = 0, c_A = c_τℓ, f = Λ; it tends to
|c|² m_τ³ (1 − m_a²/m_τ²)²/(64πΛ²) for m_ℓ → 0. A pure axial coupling has |k_R| = |k_L|, so
coupling-driven cards use chirality = "scalar".

Reference background (`signal = "sm"`): τ → ℓνν̄ with the polarised Michel spectrum of
`tau_decays` (dΓ/dx = 2x²(3 − 2x) unpolarised, m_ℓ → 0).

Pseudo-rest frame (arXiv:2007.08239): the signal τ is given energy √s/2 and the direction
opposite to the visible tag system in the CM frame; x_ℓ = 2E_ℓ/m_τ there
(`pseudo_rest_frame_x`). The truth-level value is the per-event column `x_l_truth_prf`
(nominal CM frame and √s of the collider, as an analysis would use), the true-rest-frame value
`x_l_truth`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ...pdg import ALP_PDG_ID
from ...pdg import mass as pdg_mass
from ...pdg import width as pdg_width
from ...record import Block
from ...toml_fields import Field, Table, field_map
from ..alp_decays import decay_alp
from ..beams import BeamDraw, BeamSettings
from ..builder import BlockBuilder
from ..isr import Radiator
from ..kinematics import (
    boost,
    directions,
    four_vector,
    kallen,
    pseudo_rest_frame_x,
    two_body_momentum,
    velocity,
)
from ..tau_decays import TAU_MODES, decay_tau, tau_branching_fractions, tau_mode_fractions
from .base import ISR_OPTION, AlpSettings, generate_modes
from .tau_pair import (
    SIGMA_TAUTAU_KKMC_NB,
    TAU,
    helicity_axis,
    produce_pair,
    tau_pair_cross_section,
)

Array = NDArray[np.float64]
LEPTONS = {"e": 11, "mu": 13}
CHIRALITY_ASYMMETRY = {"scalar": 0.0, "V-A": -1.0, "V+A": 1.0}
#: One-prong tag modes (one charged track); "3pi nu" is the 3-prong tag of arXiv:2007.08239.
ONE_PRONG = ("e nu nu", "mu nu nu", "pi nu", "rho nu")
TAG_CHOICES = {**{m: (m,) for m in TAU_MODES}, "1prong": ONE_PRONG}
NEUTRINOS = (12, 14, 16)


def width_tau_to_l_a(m_a: float, m_l: float, c: float, Lambda: float) -> float:
    """Γ(τ → ℓa) in GeV for an axial LFV coupling c/Λ (module doc; ALPaca's lfv_decay)."""
    m_tau = pdg_mass(TAU)
    if m_a >= m_tau - m_l:
        return 0.0
    lam = float(kallen(m_tau**2, m_l**2, m_a**2))
    amp2 = (m_tau + m_l) ** 2 * ((m_tau - m_l) ** 2 - m_a**2)
    return c * c * amp2 * np.sqrt(lam) / (64.0 * np.pi * Lambda**2 * m_tau**3)


#: [channel] options of τ → ℓ a, declared once (validator, guide).
OPTIONS = field_map((
    Field("lepton", "string", "the charged lepton ℓ of τ → ℓ a", choices=tuple(LEPTONS)),
    Field("tag", "string", "decay of the other τ (a τ mode, or \"1prong\": the one-prong "
          "modes)", default="3pi nu", choices=tuple(TAG_CHOICES)),
    Field("chirality", "string", "chirality of the τ–ℓ–a coupling (decay asymmetry)",
          default="scalar", choices=tuple(CHIRALITY_ASYMMETRY)),
    Field("signal", "string", "\"sm\": generate τ → ℓ ν ν instead (the SM reference)",
          default="alp", choices=("alp", "sm")),
    Field("branching_fraction", "number", "model-independent BF(τ → ℓ a); not with "
          "alp.couplings c_taue/c_taumu (they fix it)", lo=0.0, lo_open=True, hi=1.0,
          needs="required unless the couplings give it"),
    ISR_OPTION,
))  # fmt: skip


class TauToLA:
    """e+e− → τ+τ−, τ → ℓ a (or ℓνν̄ for `signal = "sm"`), tag τ → selected modes; optional ISR."""

    name = "e+ e- -> tau+ tau-, tau -> l a"

    def __init__(
        self,
        alp: AlpSettings,
        lepton: str,
        tag_modes: tuple[str, ...],
        sqrt_s: float,
        cms_beta: Array,
        branching_fraction: float,
        chirality: str = "scalar",
        signal: str = "alp",
        isr: bool = False,
    ) -> None:
        self.alp = alp
        self.lepton = lepton
        self.tag_modes = tag_modes
        self.sqrt_s = sqrt_s
        self.cms_beta = np.asarray(cms_beta, dtype=float)
        self.branching_fraction = branching_fraction
        self.chirality = chirality
        self.signal = signal
        self.radiator = Radiator(isr, tau_pair_cross_section, 4.0 * pdg_mass(TAU) ** 2, sqrt_s**2)

    @property
    def min_sqrt_s(self) -> float:
        return 2.0 * pdg_mass(TAU)

    @staticmethod
    def max_alp_mass(beams: BeamSettings | None = None) -> float:
        """m_τ − m_e (τ → μ a is checked against m_τ − m_μ once the lepton is known)."""
        return pdg_mass(TAU) - pdg_mass(11)

    @classmethod
    def from_card(cls, table: Table, alp: AlpSettings, beams: BeamSettings) -> TauToLA:
        """Options: lepton ("e"|"mu", required), tag (a τ mode or "1prong", default "3pi nu"),
        chirality ("scalar"|"V-A"|"V+A"), signal ("alp"|"sm"), branching_fraction, isr."""
        lepton = OPTIONS["lepton"].read(table)
        tag = OPTIONS["tag"].read(table)
        chirality = OPTIONS["chirality"].read(table)
        signal = OPTIONS["signal"].read(table)
        isr = OPTIONS["isr"].read(table)
        m_l = pdg_mass(LEPTONS[lepton])
        if signal == "alp" and alp.mass >= pdg_mass(TAU) - m_l:
            raise table.error(
                "lepton",
                f"= {lepton!r}: tau -> {lepton} a is closed for alp.mass = {alp.mass} GeV "
                f"(must be < {pdg_mass(TAU) - m_l:.4f} GeV)",
            )
        key = "c_taue" if lepton == "e" else "c_taumu"
        c = getattr(alp.couplings, key) if alp.couplings is not None else 0.0
        if table.has("branching_fraction"):
            if c != 0.0:
                raise table.error(
                    "branching_fraction",
                    f"cannot be combined with alp.couplings.{key} = {c}: the coupling fixes "
                    "BF(tau -> l a)",
                )
            bf = OPTIONS["branching_fraction"].read(table)
        elif c != 0.0:
            if chirality != "scalar":
                raise table.error(
                    "chirality",
                    f"= {chirality!r}: alp.couplings.{key} is an axial coupling (A = 0); use "
                    "'scalar' or a model-independent branching_fraction",
                )
            width = width_tau_to_l_a(alp.mass, m_l, c, alp.couplings.Lambda)
            bf = width / pdg_width(TAU)
        elif signal == "sm":
            bf = float("nan")
        else:
            raise table.error(
                "branching_fraction",
                f"is required: give BF(tau -> {lepton} a) or alp.couplings.{key}",
            )
        if signal == "sm":
            bf = tau_branching_fractions()[f"{lepton} nu nu"]
        sqrt_s, beta = beams.nominal_cms()
        return cls(
            alp, lepton, TAG_CHOICES[tag], float(sqrt_s), beta, float(bf), chirality, signal, isr
        )

    def modes(self) -> list[tuple[int, str, str, float]]:
        """(signal τ charge sign, ALP final state or '', tag mode, fraction)."""
        finals = [("", 1.0)] if self.signal == "sm" else list(self.alp.decays.items())
        tags = tau_mode_fractions(self.tag_modes)
        return [
            (sign, fs, tag, 0.5 * br * ft)
            for sign in (+1, -1)
            for fs, br in finals
            if br > 0
            for tag, ft in zip(self.tag_modes, tags, strict=True)
        ]

    def generate(self, rng: np.random.Generator, beams: BeamDraw) -> list[Block]:
        modes = self.modes()
        return generate_modes(
            rng,
            beams,
            [m[3] for m in modes],
            lambda r, part, i: self._generate_mode(r, part, *modes[i][:3]),
        )

    def _signal_decay(
        self, rng, b: BlockBuilder, sig: int, q: int, pol: Array, axis: Array, final_state: str
    ) -> None:
        """Add τ → ℓ a (and the ALP decay) or τ → ℓνν̄ (polarised Michel, `decay_tau`)."""
        lep_pdg = LEPTONS[self.lepton]
        if self.signal == "sm":
            decay_tau(rng, b, sig, f"{self.lepton} nu nu", polarisation=pol, axis=axis)
            return
        tau_p4 = b.p4(sig)
        n = b.n
        m_l = pdg_mass(lep_pdg)
        slope = q * CHIRALITY_ASYMMETRY[self.chirality] * pol
        u = rng.uniform(size=n)
        with np.errstate(invalid="ignore", divide="ignore"):  # cosθ ∝ 1 + slope·cosθ, inverted
            c = (np.sqrt((1.0 - slope) ** 2 + 4.0 * slope * u) - 1.0) / slope
        c = np.clip(np.where(np.abs(slope) < 1e-12, 2.0 * u - 1.0, c), -1.0, 1.0)
        pstar = two_body_momentum(pdg_mass(TAU), m_l, self.alp.mass)
        d = directions(c, rng.uniform(0.0, 2.0 * np.pi, n), axis)
        beta = velocity(tau_p4)
        b.add(q * lep_pdg, boost(four_vector(pstar * d, m_l), beta), mother=sig)
        alp = b.add(
            ALP_PDG_ID, boost(four_vector(-pstar * d, self.alp.mass), beta), mother=sig, role="alp"
        )
        decay_alp(rng, b, alp, final_state, self.alp.couplings)

    def _generate_mode(
        self, rng: np.random.Generator, beams: BeamDraw, sign: int, final_state: str, tag: str
    ) -> Block:
        b = BlockBuilder(beams)
        hard = self.radiator.hard_system(rng, beams)
        self.radiator.add_photon(b, hard)
        tau_minus, tau_plus, h_minus, h_plus = produce_pair(rng, hard)
        i_minus = b.add(TAU, tau_minus, role="tau-")
        i_plus = b.add(-TAU, tau_plus, role="tau+")
        sig, tag_i = (i_minus, i_plus) if sign > 0 else (i_plus, i_minus)
        h_sig, h_tag = (h_minus, h_plus) if sign > 0 else (h_plus, h_minus)
        b.roles["signal_parent"] = sig
        b.roles["tag_tau"] = tag_i
        self._signal_decay(rng, b, sig, sign, h_sig, helicity_axis(b.p4(sig), hard.p4), final_state)
        decay_tau(rng, b, tag_i, tag, polarisation=h_tag, axis=helicity_axis(b.p4(tag_i), hard.p4))
        c = "-" if sign > 0 else "+"
        lep_name = f"{self.lepton}{c}"
        tag_c = "+" if sign > 0 else "-"
        if self.signal == "sm":
            mode = f"tau{c} -> {lep_name} nu nu (SM); tag tau{tag_c} -> {tag}"
        else:
            mode = f"tau{c} -> {lep_name} a; a -> {final_state}; tag tau{tag_c} -> {tag}"
        block = b.build(rng, mode, alp_ctau_mm=self.alp.ctau)
        kids = block.daughters(sig)
        lep = int(kids[np.abs(block.pdg[kids]) == LEPTONS[self.lepton]][0])
        block.roles["lepton"] = lep
        block.extra.update(self.radiator.extra(hard))
        block.extra.update(self._x_columns(block, sig, tag_i, lep))
        # Truth helicities (±1) drawn with the pair: for studies and chirality reweighting.
        block.extra["signal_tau_helicity"] = h_sig
        block.extra["tag_tau_helicity"] = h_tag
        return block

    def _x_columns(self, block: Block, sig: int, tag: int, lep: int) -> dict[str, Array]:
        """x_ℓ in the true τ rest frame and in the pseudo-rest frame (nominal CM frame, √s)."""
        m_tau = pdg_mass(TAU)
        lep_p4 = block.p4[:, lep]
        x_true = 2.0 * boost(lep_p4, -velocity(block.p4[:, sig]))[:, 3] / m_tau
        visible = [i for i in block.final_descendants(tag) if abs(block.pdg[i]) not in NEUTRINOS]
        tag_vis = block.p4[:, visible].sum(axis=1)
        to_cms = -np.broadcast_to(self.cms_beta, lep_p4[:, :3].shape)
        x_prf = pseudo_rest_frame_x(boost(lep_p4, to_cms), boost(tag_vis, to_cms), self.sqrt_s)
        return {"x_l_truth": x_true, "x_l_truth_prf": x_prf}

    def normalisation(self) -> dict[str, object]:
        sigma = self.radiator.cross_section()
        bfs = tau_branching_fractions()
        tag_bf = float(sum(bfs[m] for m in self.tag_modes))
        signal = (
            f"tau -> {self.lepton} nu nu (SM)" if self.signal == "sm" else f"tau -> {self.lepton} a"
        )
        return {
            "kind": "branching_fraction",
            "parent": "tau",
            "signal": signal,
            "branching_fraction": self.branching_fraction,
            "n_parents": "2 * L * cross_section_fb (two taus per pair)",
            "cross_section_fb": sigma,
            "cross_section_error_fb": 0.0,
            "cross_section_born_fb": float(tau_pair_cross_section(self.sqrt_s**2)),
            "cross_section_reference_fb": SIGMA_TAUTAU_KKMC_NB * 1e6,
            "sqrt_s_GeV": self.sqrt_s,
            "isr": self.radiator.enabled,
            "tag_modes": list(self.tag_modes),
            "tag_branching_fraction": tag_bf,
            "chirality": self.chirality,
            "alp_branching_fraction": (
                1.0 if self.signal == "sm" else self.alp.generated_branching_fraction
            ),
            "alp_branching_fractions": {} if self.signal == "sm" else dict(self.alp.decays),
            "formula": "N = 2 * L[fb^-1] * cross_section_fb * branching_fraction * "
            "alp_branching_fraction * tag_branching_fraction * eff (cross_section_fb is QED "
            "Born(+ISR); cross_section_reference_fb = 0.919 nb (KKMC) includes all radiative "
            "corrections)",
        }
