"""B → K* a at the Υ(4S): B0 → K*0 a (K*0 → K+π−) and B± → K*± a (K*± → K0_S π±, K± π0).

K* line shape: relativistic Breit–Wigner with mass-dependent width (PDG Review "Resonances",
RPP 2024 sec. 50, Jackson form for L = 1 without barrier factor),

    dN/dm ∝ 2m · m₀Γ(m) / ((m₀² − m²)² + m₀²Γ(m)²) · [λ(m_B², m², m_a²)/λ(m_B², m₀², m_a²)]^{3/2},
    Γ(m) = Γ₀ (q/q₀)³ (m₀/m),

q the K momentum in the K* frame; the last factor is the p*-dependence of Γ(B → K* a) ∝ λ^{3/2}
(E. Izaguirre, T. Lin, B. Shuve, PRL 118 (2017) 111802, arXiv:1611.09355, eq. (5); A₀ depends on
q² = m_a² only). m₀, Γ₀ from `particle`. The mass is sampled in [m_K + m_π, min(m₀ + 15Γ₀,
m_B − m_a)]: the tail above m₀ + 15Γ₀ (≈ 1 % of the BW) is cut.

Polarisation: a spin-0 ALP recoiling against the K* leaves it longitudinal (helicity 0), so
K* → Kπ has dN/dcosθ_hel ∝ cos²θ_hel, θ_hel the K angle in the K* frame to the direction
opposite the B (helicity 0: |d¹_{00}(θ_hel)|² = cos²θ_hel, PDG Review "Clebsch-Gordan
coefficients, spherical harmonics, and d functions"). K*± sub-modes are split by the DEC-table
BFs (K*+ → K0π+ × ½ × BF(K0_S → π+π−) : K*+ → K+π0 × BF(π0 → γγ)); π0 → γγ is isotropic.
"""

from __future__ import annotations

import numpy as np

from ...pdg import mass as pdg_mass
from ...pdg import width as pdg_width
from ...toml_fields import CardError
from ..beams import BeamSettings
from ..builder import BlockBuilder
from ..kinematics import boost, kallen, two_body_decay, two_body_momentum, velocity
from . import rates
from .b_to_k_a import B_PLUS, B_ZERO, K_PLUS, K_SHORT, PI_PLUS, PI_ZERO, SubMode, UpsilonBChannel
from .normalisation import pdg_branching_fraction

KSTAR_ZERO, KSTAR_PLUS = 313, 323
#: Upper end of the sampled K* line shape, m₀ + KSTAR_WINDOW·Γ₀.
KSTAR_WINDOW = 15.0
_GRID = 4001


def kstar_width(m, m0: float, gamma0: float, m_k: float, m_pi: float):
    """Mass-dependent width Γ(m) = Γ₀ (q/q₀)³ (m₀/m) (PDG RPP 2024, Resonances, L = 1)."""
    q = np.nan_to_num(two_body_momentum(m, m_k, m_pi), nan=0.0)
    q0 = two_body_momentum(m0, m_k, m_pi)
    return gamma0 * (q / q0) ** 3 * (m0 / np.asarray(m))


def kstar_lineshape(m, kstar: int, m_k: float, m_pi: float, m_b: float, m_a: float):
    """Unnormalised dN/dm of the K* in B → K* a (module docstring formula)."""
    m = np.asarray(m, dtype=float)
    m0, g0 = pdg_mass(kstar), pdg_width(kstar)
    g = kstar_width(m, m0, g0, m_k, m_pi)
    bw = 2.0 * m * m0 * g / ((m0**2 - m**2) ** 2 + (m0 * g) ** 2)
    lam = np.maximum(kallen(m_b**2, m**2, m_a**2), 0.0)
    lam0 = kallen(m_b**2, m0**2, m_a**2)
    return bw * (lam / lam0) ** 1.5


def kstar_range(kstar: int, m_k: float, m_pi: float, m_b: float, m_a: float) -> tuple[float, float]:
    """Sampled K* mass interval (GeV)."""
    hi = min(pdg_mass(kstar) + KSTAR_WINDOW * pdg_width(kstar), m_b - m_a)
    return m_k + m_pi, hi


def sample_kstar_mass(
    rng: np.random.Generator, n: int, kstar: int, m_k: float, m_pi: float, m_b: float, m_a: float
) -> np.ndarray:
    """K* masses by inverse CDF of the tabulated line shape (fine grid, linear interpolation)."""
    lo, hi = kstar_range(kstar, m_k, m_pi, m_b, m_a)
    grid = np.linspace(lo, hi, _GRID)
    pdf = kstar_lineshape(grid, kstar, m_k, m_pi, m_b, m_a)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(grid))])
    return np.interp(rng.uniform(0.0, cdf[-1], n), cdf, grid)


def sample_cos2(rng: np.random.Generator, n: int) -> np.ndarray:
    """cosθ with density ∝ cos²θ on [−1, 1] (inverse CDF: |c| = u^{1/3}, random sign)."""
    return np.cbrt(rng.uniform(0.0, 1.0, n)) * rng.choice([-1.0, 1.0], n)


class BToKstarA(UpsilonBChannel):
    """e+e− → Υ(4S) → B0B̄0, B0 → K*0 a, K*0 → K+π− (and charge conjugate)."""

    name = "B0 -> K*0 a"
    charged = False
    parent_label = "B0"
    kstar = KSTAR_ZERO

    @staticmethod
    def max_alp_mass(beams: BeamSettings | None = None) -> float:
        """Kinematic limit m_B0 − m_K+ − m_π (GeV)."""
        return pdg_mass(B_ZERO) - pdg_mass(K_PLUS) - pdg_mass(PI_PLUS)

    @classmethod
    def coupling_bf(cls, alp) -> float:
        return rates.bf_b_to_kstar_a(alp.couplings, alp.mass, charged=cls.charged)

    @classmethod
    def background_bf(cls, background: str) -> float:
        raise CardError(
            "channel.background",
            f"= {background!r}: reference backgrounds are "
            "provided for B -> K P only ('B+ -> K+ a', 'B0 -> K0S a')",
        )

    def submodes(self) -> list[SubMode]:
        return [SubMode("K+ pi-", pdg_branching_fraction("K*0", ["K+", "pi-"]))]

    def daughters(self, key: str) -> tuple[int, int]:
        """(kaon, pion) PDG ids of the K* (for the B, i.e. sign +1)."""
        return {
            "K+ pi-": (K_PLUS, -PI_PLUS),
            "K_S0 pi+": (K_SHORT, PI_PLUS),
            "K+ pi0": (K_PLUS, PI_ZERO),
        }[key]

    def mode_label(self, sign: int, key: str) -> str:
        if self.charged:
            c = "+" if sign > 0 else "-"
            k, pi = self.daughters(key)
            d = ("K_S0" if k == K_SHORT else f"K{c}") + " " + ("pi0" if pi == PI_ZERO else f"pi{c}")
            return f"B{c} -> K*{c} {self.x_name}, K*{c} -> {d}"
        if sign > 0:
            return f"B0 -> K*0 {self.x_name}, K*0 -> K+ pi-"
        return f"anti-B0 -> anti-K*0 {self.x_name}, anti-K*0 -> K- pi+"

    def add_signal(self, rng, b: BlockBuilder, sig: int, sign: int, key: str, m_x) -> int:
        k_pdg, pi_pdg = self.daughters(key)
        m_k, m_pi = pdg_mass(k_pdg), pdg_mass(abs(pi_pdg))
        m_b = pdg_mass(self.b_pdg)
        m_kst = sample_kstar_mass(rng, b.n, self.kstar, m_k, m_pi, m_b, self.alp.mass)
        p_kst, p_a = two_body_decay(rng, b.p4(sig), m_kst, m_x)
        kst = b.add(sign * self.kstar, p_kst, mother=sig, role="kstar")
        x = b.add(self.x_pdg, p_a, mother=sig, role="alp")
        # helicity axis: opposite to the B momentum in the K* rest frame
        axis = -boost(b.p4(sig), -velocity(p_kst))[:, :3]
        p_k, p_pi = two_body_decay(
            rng, p_kst, m_k, m_pi, cos_theta=sample_cos2(rng, b.n), axis=axis
        )
        k_sign = 1 if k_pdg == K_SHORT else sign
        pi_sign = 1 if pi_pdg == PI_ZERO else sign
        kaon = b.add(k_sign * k_pdg, p_k, mother=kst, role="kaon")
        pion = b.add(pi_sign * pi_pdg, p_pi, mother=kst, role="pion")
        if k_pdg == K_SHORT:
            p1, p2 = two_body_decay(rng, b.p4(kaon), pdg_mass(PI_PLUS), pdg_mass(PI_PLUS))
            b.add(PI_PLUS, p1, mother=kaon, role="ks_pi+")
            b.add(-PI_PLUS, p2, mother=kaon, role="ks_pi-")
        if pi_pdg == PI_ZERO:
            g1, g2 = two_body_decay(rng, b.p4(pion), 0.0, 0.0)
            b.add(22, g1, mother=pion, role="pi0_gamma_1")
            b.add(22, g2, mother=pion, role="pi0_gamma_2")
        return x


class BPlusToKstarA(BToKstarA):
    """e+e− → Υ(4S) → B+B−, B± → K*± a, K*± → K0_S π± (K0_S → π+π−) or K± π0 (π0 → γγ)."""

    name = "B+ -> K*+ a"
    charged = True
    parent_label = "B+"
    kstar = KSTAR_PLUS

    @staticmethod
    def max_alp_mass(beams: BeamSettings | None = None) -> float:
        """Kinematic limit m_B+ − m_K0S − m_π+ (the higher of the two K*± thresholds, GeV)."""
        return pdg_mass(B_PLUS) - pdg_mass(K_SHORT) - pdg_mass(PI_PLUS)

    def submodes(self) -> list[SubMode]:
        ks = pdg_branching_fraction("K0", ["K_S0"]) * pdg_branching_fraction("K_S0", ["pi+", "pi-"])
        return [
            SubMode("K_S0 pi+", pdg_branching_fraction("K*+", ["K0", "pi+"]) * ks),
            SubMode(
                "K+ pi0",
                pdg_branching_fraction("K*+", ["K+", "pi0"])
                * pdg_branching_fraction("pi0", ["gamma", "gamma"]),
            ),
        ]
