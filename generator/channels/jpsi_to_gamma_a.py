"""J/ψ → γ a at BESIII: untagged (e+e− → J/ψ) and tagged (e+e− → ψ(3686) → π+π− J/ψ).

Resonance production: BEPCII's CM energy spread (≈ 1 MeV, detector card) is much larger than
Γ(J/ψ) = 93 keV and Γ(ψ(3686)) = 294 keV, so the collisions that make a resonance are those at its
mass: the drawn beams are rescaled event by event (both three-momenta by one factor, crossing
angle and boost kept) to √s = m_PDG exactly, and the resonance gets the PDG mass. Run cards set
`[run] resonance = "J/psi(1S)"` or `"psi(2S)"`; the channel checks that the collider runs there.

Angular distributions: the resonance made in e+e− annihilation is transversely polarised along
the beam axis (helicity ±1), so in J/ψ → γ a (a spin 0) the photon has dN/dcosθ ∝ 1 + cos²θ to
the e− direction in the J/ψ rest frame (L. Merlo, F. Pobbe, S. Rigolin, O. Sumensari, "MPRS",
JHEP 06 (2019) 091, arXiv:1905.03259).

Tagged mode: ψ(3686) → π+π− J/ψ with the Novikov–Shifman matrix element fitted by BES
(J. Z. Bai et al., PRD 62 (2000) 032002, hep-ex/9909038; Novikov & Shifman, Z. Phys. C 8 (1981) 43):

    M ∝ [q² − κ (ΔM)² (1 + 2m_π²/q²)] + (3/2) κ [(ΔM)² − q²] (1 − 4m_π²/q²) (cos²θ* − 1/3),

q = m_ππ, ΔM = m_ψ(3686) − m_J/ψ, θ* the π+ angle in the ππ frame to the ππ flight direction,
κ = 0.183 (BES, joint m_ππ–cosθ* fit) [formula recalled from the BES paper, unverified]. The
J/ψ–(ππ) relative motion is S-wave (BES), so the ππ direction is isotropic in the ψ(3686) frame.
Assumption: the J/ψ keeps the ψ(3686) spin state (the chromo-electric E1–E1 transition does not
act on the heavy-quark spin; Voloshin, Prog. Part. Nucl. Phys. 61 (2008) 455), so its photon is
also 1 + cos²θ about the beam axis, evaluated in the J/ψ rest frame.

BF(J/ψ → γ a): with [alp.couplings], the photon and charm couplings together,
B(J/ψ → e+e−) × m²(1 − x)|g_aγγ(1 − x) − (c_cc/Λ) F̃ m/f_J/ψ|²/(32πα), x = m_a²/m², with HPQCD's
lattice form factor F̃ (rates.jpsi_gamma_a_ratio_couplings; MPRS and Colquhoun et al.,
arXiv:2502.06721); otherwise the card's `branching_fraction`. B(J/ψ → e+e−) = 5.971 % and
B(ψ(3686) → π+π−J/ψ) = 34.69 % from PDG 2024 (normalisation.py; BESIII's own 34.98 % is PRD 88
(2013) 032007). Peaking backgrounds (`background` = "pi0" | "eta" | "eta'") replace the ALP
by that meson with BF(J/ψ → γP) and BF(P → γγ) from PDG 2024 too.
"""

from __future__ import annotations

import math

import numpy as np

from ...pdg import ALP_PDG_ID
from ...pdg import mass as pdg_mass
from ...record import Block
from ...toml_fields import CardError, Field, Table, field_map
from ..alp_decays import decay_alp
from ..beams import BeamDraw, BeamSettings
from ..builder import BlockBuilder
from ..kinematics import (
    boost,
    four_vector,
    sample_cos_theta,
    two_body_decay,
    two_body_momentum,
    velocity,
)
from . import rates
from .b_to_k_a import BACKGROUNDS, meson_gg_fraction, meson_masses
from .base import MODEL_INDEPENDENT, AlpSettings, generate_modes
from .normalisation import (
    bf_psi2s_to_pipi_jpsi,
    pdg_branching_fraction,
)
from .normalisation import source as normalisation_source

JPSI, PSI2S, PI_PLUS, PHOTON = 443, 100443, 211, 22
#: Number of J/ψ events of BESIII's 2009–2019 sample: (10087 ± 44) × 10⁶, BESIII, Chin. Phys. C 46
#: (2022) 074001.
N_JPSI_BESIII = 10.087e9
#: Number of ψ(3686) events: (2712.4 ± 14.3) × 10⁶, BESIII, Chin. Phys. C 48 (2024) 093001
#: (used rounded to three digits, 2.71e9).
N_PSI2S_BESIII = 2.71e9
#: Novikov–Shifman κ fitted by BES, PRD 62 (2000) 032002 (κ = 0.183 ± 0.002 ± 0.003).
KAPPA_NS = 0.183
#: Largest allowed distance (GeV) between the collider's nominal √s and the resonance mass.
RESONANCE_TOLERANCE = 0.02


def on_resonance(beams: BeamDraw, m: float) -> BeamDraw:
    """Beams rescaled per event (three-momenta by one factor, electron masses kept) to √s = m."""
    em, ep = beams.e_minus.copy(), beams.e_plus.copy()
    m_e = math.sqrt(max(em[0, 3] ** 2 - np.sum(em[0, :3] ** 2), 0.0)) if em.shape[0] else 0.0
    for _ in range(4):  # fixed point: converges to machine precision (m_e/E ≈ 3e-4)
        tot = em + ep
        k = m / np.sqrt(tot[:, 3] ** 2 - np.sum(tot[:, :3] ** 2, axis=1))
        em = four_vector(em[:, :3] * k[:, None], m_e)
        ep = four_vector(ep[:, :3] * k[:, None], m_e)
    return BeamDraw(em, ep, beams.primary_vertex)


def ns_amplitude(q2, cos_theta, m_parent: float, m_child: float, kappa: float = KAPPA_NS):
    """Novikov–Shifman amplitude of ψ' → J/ψ π+π− (module docstring; BES PRD 62 032002)."""
    m_pi = pdg_mass(PI_PLUS)
    dm2 = (m_parent - m_child) ** 2
    s_wave = q2 - kappa * dm2 * (1.0 + 2.0 * m_pi**2 / q2)
    d_wave = 1.5 * kappa * (dm2 - q2) * (1.0 - 4.0 * m_pi**2 / q2) * (cos_theta**2 - 1.0 / 3.0)
    return s_wave + d_wave


def pipi_density(m_pipi, cos_theta, kappa: float = KAPPA_NS):
    """dΓ/(dm_ππ dcosθ*) ∝ |M|² p*_J/ψ(ψ' frame) p*_π(ππ frame) (three-body phase space)."""
    m_p, m_c, m_pi = pdg_mass(PSI2S), pdg_mass(JPSI), pdg_mass(PI_PLUS)
    m_pipi = np.asarray(m_pipi, dtype=float)
    p1 = np.nan_to_num(two_body_momentum(m_p, m_c, m_pipi))
    p2 = np.nan_to_num(two_body_momentum(m_pipi, m_pi, m_pi))
    return ns_amplitude(m_pipi**2, cos_theta, m_p, m_c, kappa) ** 2 * p1 * p2


def sample_pipi(rng: np.random.Generator, n: int, kappa: float = KAPPA_NS):
    """(m_ππ, cosθ*) by accept–reject on `pipi_density` (bound from a grid, with 10 % margin)."""
    lo, hi = 2.0 * pdg_mass(PI_PLUS), pdg_mass(PSI2S) - pdg_mass(JPSI)
    gm, gc = np.meshgrid(np.linspace(lo, hi, 400), np.linspace(-1, 1, 41))
    wmax = 1.1 * pipi_density(gm, gc, kappa).max()
    m_out, c_out, filled = np.empty(n), np.empty(n), 0
    while filled < n:
        k = 2 * (n - filled) + 64
        m, c = rng.uniform(lo, hi, k), rng.uniform(-1, 1, k)
        ok = rng.uniform(0, wmax, k) < pipi_density(m, c, kappa)
        take = min(int(ok.sum()), n - filled)
        m_out[filled : filled + take] = m[ok][:take]
        c_out[filled : filled + take] = c[ok][:take]
        filled += take
    return m_out, c_out


#: [channel] options of the J/ψ → γ a channels, declared once (validator, guide).
OPTIONS = field_map((
    Field("branching_fraction", "number", "model-independent BF(J/ψ → γ a); not with "
          "[alp.couplings] (g_aγγ fixes it) or background", default=None, lo=0.0,
          lo_open=True, hi=1.0, needs=MODEL_INDEPENDENT),
    Field("n_parents", "number", "J/ψ (or ψ(2S)) of the data set, for the expected yield",
          lo=1.0, default_ref="BESIII's data set"),
    Field("background", "string", "generate the reference decay J/ψ → γ P instead of the ALP "
          "(its measured BF normalises it)", default=None, choices=tuple(BACKGROUNDS)),
))  # fmt: skip


class JpsiToGammaA:
    """e+e− → J/ψ (√s = m_J/ψ), J/ψ → γ a, a → final state (untagged J/ψ → γ a)."""

    name = "J/psi -> gamma a"
    parent = JPSI
    parent_label = "J/psi"
    default_n_parents = N_JPSI_BESIII
    resonance_name = "J/psi(1S)"
    min_sqrt_s = 0.0

    def __init__(
        self,
        alp: AlpSettings,
        branching_fraction: float,
        bf_source: str,
        n_parents: float,
        background: str | None = None,
    ) -> None:
        self.alp = alp
        self.branching_fraction = branching_fraction
        self.bf_source = bf_source
        self.n_parents = n_parents
        self.background = background

    @staticmethod
    def max_alp_mass(beams: BeamSettings | None = None) -> float:
        """Kinematic limit m_J/ψ (GeV)."""
        return pdg_mass(JPSI)

    @classmethod
    def from_card(cls, table: Table, alp: AlpSettings, beams: BeamSettings) -> JpsiToGammaA:
        """Options: `branching_fraction` (BF(J/ψ → γ a), required for a model-independent ALP),
        `n_parents` (number of J/ψ or ψ(3686) of the sample; BESIII's by default),
        `background` ("pi0" | "eta" | "eta'")."""
        m_res = pdg_mass(cls.parent)
        sqrt_s = beams.nominal_cms()[0]
        if abs(sqrt_s - m_res) > RESONANCE_TOLERANCE:
            raise CardError(
                "run.resonance",
                f"{cls.name} needs the collider at the "
                f"{cls.parent_label} mass {m_res:.4f} GeV, the card runs at "
                f"{sqrt_s:.4f} GeV: set [run] resonance = {cls.resonance_name!r}",
                table.source,
            )
        n_parents = OPTIONS["n_parents"].read(table, default=cls.default_n_parents)
        background = OPTIONS["background"].read(table)
        has_bf = table.has("branching_fraction")
        bf = OPTIONS["branching_fraction"].read(table)
        if background is not None:
            if has_bf:
                raise table.error("branching_fraction", "cannot be combined with background")
            bf = pdg_branching_fraction("J/psi", ["gamma", BACKGROUNDS[background][1]])
            source = normalisation_source("J/psi", ["gamma", BACKGROUNDS[background][1]])
        elif alp.couplings is not None:
            if has_bf:
                raise table.error(
                    "branching_fraction",
                    "cannot be combined with [alp.couplings]: the couplings fix "
                    "BF(J/psi -> gamma a)",
                )
            bf = rates.bf_jpsi_to_gamma_a(alp.couplings, alp.mass)
            source = (
                "couplings: photon and charm terms, B(J/psi->ee) * MPRS rate with HPQCD's "
                "F-tilde (arXiv:2502.06721)"
            )
        else:
            if bf is None:
                raise table.error(
                    "branching_fraction",
                    "is required for a model-independent "
                    "ALP (no [alp.couplings]): give BF(J/psi -> gamma a)",
                )
            source = "card (model independent)"
        return cls(alp, bf, source, n_parents, background)

    # ---- generation -----------------------------------------------------------------------
    @property
    def x_pdg(self) -> int:
        return ALP_PDG_ID if self.background is None else BACKGROUNDS[self.background][0]

    @property
    def x_name(self) -> str:
        return "a" if self.background is None else self.background

    def final_states(self) -> dict[str, float]:
        if self.background is not None:
            return {"gamma gamma": 1.0}
        return {k: v for k, v in self.alp.decays.items() if v > 0}

    def generate(self, rng: np.random.Generator, beams: BeamDraw) -> list[Block]:
        beams = on_resonance(beams, pdg_mass(self.parent))
        modes = list(self.final_states().items())
        return generate_modes(
            rng, beams, [f for _, f in modes], lambda r, part, i: self._block(r, part, modes[i][0])
        )

    def add_jpsi(self, rng: np.random.Generator, b: BlockBuilder, beams: BeamDraw) -> int:
        """Add the J/ψ (here: made directly in e+e−); return its index."""
        return b.add(JPSI, beams.total, role="signal_parent")

    def _block(self, rng: np.random.Generator, beams: BeamDraw, fs: str) -> Block:
        b = BlockBuilder(beams)
        jpsi = self.add_jpsi(rng, b, beams)
        p_j = b.p4(jpsi)
        axis = boost(beams.e_minus, -velocity(p_j))[:, :3]
        m_x = (
            np.full(b.n, self.alp.mass)
            if self.background is None
            else meson_masses(rng, self.x_pdg, b.n)
        )
        p_g, p_a = two_body_decay(
            rng, p_j, 0.0, m_x, cos_theta=sample_cos_theta(rng, b.n, 1.0), axis=axis
        )
        b.add(PHOTON, p_g, mother=jpsi, role="photon")
        x = b.add(self.x_pdg, p_a, mother=jpsi, role="alp")
        decay_alp(rng, b, x, fs, self.alp.couplings)
        mode = f"{self.mode_prefix()}J/psi -> gamma {self.x_name}; {self.x_name} -> {fs}"
        ctau = self.alp.ctau if self.background is None else None
        return b.build(rng, mode, alp_ctau_mm=ctau)

    def mode_prefix(self) -> str:
        return ""

    # ---- normalisation --------------------------------------------------------------------
    def secondary_branching_fraction(self) -> float:
        return 1.0

    def normalisation(self) -> dict[str, object]:
        out: dict[str, object] = {
            "kind": "branching_fraction",
            "parent": self.parent_label,
            "n_parents": self.n_parents,
            "branching_fraction": self.branching_fraction,
            "branching_fraction_source": self.bf_source,
            "secondary_branching_fraction": self.secondary_branching_fraction(),
            "alp_branching_fraction": (
                self.alp.generated_branching_fraction
                if self.background is None
                else meson_gg_fraction(self.background)
            ),
            "alp_branching_fractions": dict(self.final_states()),
            "formula": "N = n_parents * secondary_branching_fraction * branching_fraction "
            "[BF(J/psi -> gamma X)] * alp_branching_fraction * efficiency",
        }
        if self.background is not None:
            out["background"] = self.background
        return out


class Psi2SToPiPiJpsiGammaA(JpsiToGammaA):
    """e+e− → ψ(3686) → π+π− J/ψ, J/ψ → γ a (tagged J/ψ → γ a)."""

    name = "psi(2S) -> pi+ pi- J/psi, J/psi -> gamma a"
    parent = PSI2S
    parent_label = "psi(2S)"
    default_n_parents = N_PSI2S_BESIII
    resonance_name = "psi(2S)"

    def add_jpsi(self, rng: np.random.Generator, b: BlockBuilder, beams: BeamDraw) -> int:
        psi = b.add(PSI2S, beams.total, role="psi2s")
        p_psi = b.p4(psi)
        m_pipi, cos_star = sample_pipi(rng, b.n)
        p_j, p_pp = two_body_decay(rng, p_psi, pdg_mass(JPSI), m_pipi)
        axis = -boost(p_psi, -velocity(p_pp))[:, :3]  # ππ flight direction in the ππ frame
        m_pi = pdg_mass(PI_PLUS)
        p_pip, p_pim = two_body_decay(rng, p_pp, m_pi, m_pi, cos_theta=cos_star, axis=axis)
        b.add(PI_PLUS, p_pip, mother=psi, role="pi+")
        b.add(-PI_PLUS, p_pim, mother=psi, role="pi-")
        return b.add(JPSI, p_j, mother=psi, role="signal_parent")

    def mode_prefix(self) -> str:
        return "psi(2S) -> pi+ pi- J/psi, "

    def secondary_branching_fraction(self) -> float:
        """B(ψ(3686) → π+π− J/ψ), PDG 2024 (normalisation.py)."""
        return bf_psi2s_to_pipi_jpsi()


__all__ = ["JpsiToGammaA", "Psi2SToPiPiJpsiGammaA", "on_resonance", "sample_pipi"]
