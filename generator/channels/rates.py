"""Production rates of ALPs in meson decays: B → K a, B → K* a and J/ψ → γ a.

Conventions (ILS, Izaguirre–Lin–Shuve PRL 118 (2017) 111802; BNT17 arXiv:1708.00443):
- the b → s coupling is defined by L ⊃ g_bs (∂_μ a) s̄_L γ^μ b_L (g_bs in GeV⁻¹);
- the W coupling by L ⊃ −¼ g_aW a W W̃ and the photon coupling by L ⊃ −¼ g_aγγ a F F̃ (GeV⁻¹);
- the fermion couplings are BNT17's c_ff (L ⊃ (c_ff/2)(∂^μ a/Λ) f̄ γ_μ γ₅ f).

Masses and lifetimes come from `particle` (alpsim.pdg); the constants below are not PDG
quantities (form-factor parameters, electroweak inputs) and are written once with their source.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...pdg import HBARC_GEV_MM
from ...pdg import charge as pdg_charge
from ...pdg import ctau as pdg_ctau
from ...pdg import mass as pdg_mass
from ...pdg import width as pdg_width
from ..alp import ALPHA_EM, Couplings
from ..alp.running import G_FERMI, V_TB, V_TS, g_down_fcnc
from ..kinematics import kallen
from .normalisation import bf_jpsi_to_ee

#: |V_tb V_ts*| from the PDG 2024 CKM review's global fit (alpsim.generator.alp.running); the
#: charm loop of ILS uses V_cb V_cs* = −V_tb V_ts* (unitarity, |V_ub V_us*| ≈ 2 % of it
#: neglected). G_F comes from scipy.constants (CODATA).
VTB_VTS: float = V_TB * V_TS

#: BZ05 B → K scalar form factor f₀(q²) = F0_BK_R2 / (1 − q²/F0_BK_MFIT2), Ball & Zwicky,
#: PRD 71 (2005) 014015, hep-ph/0406232: their one-pole fit form for f₀ with r₂ = 0.330,
#: m²_fit = 37.46 GeV² (the table and equation numbers were not re-read for this comment).
F0_BK_R2: float = 0.3302
F0_BK_MFIT2: float = 37.46  # GeV²
#: B → K* form factor A₀(q²) of Bharucha, Straub, Zwicky ("BSZ15"), JHEP 08 (2016) 098,
#: arXiv:1503.05534: A₀ = Σ_k a_k [z(q²) − z(0)]^k / (1 − q²/m_R²) (their simplified series
#: expansion, Sec. 4), the pole at the B_s (0⁻) mass, t± = (m_B ± m_K*)² and
#: t₀ = t₊(1 − √(1 − t₋/t₊)). a_k: central values of their combined LCSR + lattice fit, as
#: distributed with the paper (ancillary files; flavio's default parameters carry the same
#: numbers). It replaces Ball & Zwicky's PRD 71 (2005) 014029 (LCSR only; A₀(0) = 0.374), which
#: lies up to 35 % above in the rate at q² = 16 GeV² where BSZ15 is fixed by lattice QCD.
A0_BKST_BSZ: tuple[float, float, float] = (0.369196, -1.36584, 0.128191)
B_PLUS, B_ZERO, K_PLUS, K_ZERO, KSTAR_PLUS, KSTAR_ZERO = 521, 511, 321, 311, 323, 313
#: B_s: the 0⁻ pole of the b → s pseudoscalar form factor A₀ (BSZ15)
B_S = 531
TOP, CHARM, W_BOSON = 6, 4, 24
JPSI = 443


def f0_bk(q2: ArrayLike) -> NDArray[np.float64]:
    """B → K scalar form factor f₀(q²) of BZ05 (Ball & Zwicky, hep-ph/0406232; F0_BK_R2)."""
    return F0_BK_R2 / (1.0 - np.asarray(q2, dtype=float) / F0_BK_MFIT2)


def _bsz_z(q2: NDArray[np.float64], m_b: float, m_v: float) -> NDArray[np.float64]:
    """z(q²) of BSZ15 with t± = (m_B ± m_V)², t₀ = t₊(1 − √(1 − t₋/t₊))."""
    t_plus, t_minus = (m_b + m_v) ** 2, (m_b - m_v) ** 2
    t0 = t_plus * (1.0 - math.sqrt(1.0 - t_minus / t_plus))
    a, b = np.sqrt(t_plus - q2), math.sqrt(t_plus - t0)
    return (a - b) / (a + b)


def a0_bkstar(q2: ArrayLike) -> NDArray[np.float64]:
    """B → K* form factor A₀(q²) of BSZ15 (arXiv:1503.05534, LCSR + lattice fit; A0_BKST_BSZ);
    A₀(0) = 0.369."""
    q2 = np.asarray(q2, dtype=float)
    m_b, m_v = pdg_mass(B_ZERO), pdg_mass(KSTAR_ZERO)
    dz = _bsz_z(q2, m_b, m_v) - _bsz_z(np.zeros(()), m_b, m_v)
    series = sum(a * dz**k for k, a in enumerate(A0_BKST_BSZ))
    return series / (1.0 - q2 / pdg_mass(B_S) ** 2)


def width_b_to_k_a(
    g_bs: float, m_a: ArrayLike, m_b: float | None = None, m_k: float | None = None
) -> NDArray[np.float64]:
    """Γ(B → K a) in GeV (ILS PRL 118 (2017) 111802, eq. (5)):

    Γ = m_B³ |g_bs|²/(64π) (1 − m_K²/m_B²)² f₀²(m_a²) λ^{1/2}(1, m_K²/m_B², m_a²/m_B²).
    Defaults: charged B and K masses from `particle`.
    """
    m_b = pdg_mass(B_PLUS) if m_b is None else m_b
    m_k = pdg_mass(K_PLUS) if m_k is None else m_k
    m_a = np.asarray(m_a, dtype=float)
    lam = np.maximum(kallen(1.0, (m_k / m_b) ** 2, (m_a / m_b) ** 2), 0.0)
    return (
        m_b**3
        * abs(g_bs) ** 2
        / (64.0 * math.pi)
        * (1.0 - (m_k / m_b) ** 2) ** 2
        * f0_bk(m_a**2) ** 2
        * np.sqrt(lam)
    )


def width_b_to_kstar_a(
    g_bs: float, m_a: ArrayLike, m_b: float | None = None, m_kstar: float | None = None
) -> NDArray[np.float64]:
    """Γ(B → K* a) in GeV (ILS eq. (5), axial current for B → K*):

    Γ = m_B³ |g_bs|²/(64π) A₀²(m_a²) λ^{3/2}(1, m_K*²/m_B², m_a²/m_B²).
    Defaults: B0 and K*0 masses from `particle`.
    """
    m_b = pdg_mass(B_ZERO) if m_b is None else m_b
    m_kstar = pdg_mass(KSTAR_ZERO) if m_kstar is None else m_kstar
    m_a = np.asarray(m_a, dtype=float)
    lam = np.maximum(kallen(1.0, (m_kstar / m_b) ** 2, (m_a / m_b) ** 2), 0.0)
    return m_b**3 * abs(g_bs) ** 2 / (64.0 * math.pi) * a0_bkstar(m_a**2) ** 2 * lam**1.5


def branching_fraction(width_gev: ArrayLike, parent: int) -> NDArray[np.float64]:
    """BR = Γ τ/ħ = Γ cτ/(ħc) with the parent's cτ from `particle`."""
    return np.asarray(width_gev) * pdg_ctau(parent) / HBARC_GEV_MM


def _loop_f(x: float) -> float:
    """ILS loop function f(x) = x[1 + x(ln x − 1)]/(1 − x)² (ILS PRL 118 111802, eq. (4))."""
    return x * (1.0 + x * (math.log(x) - 1.0)) / (1.0 - x) ** 2


def g_bs_w_loop(g_aW: float) -> float:
    """b → s coupling of a W-coupled ALP (GeV⁻¹), ILS PRL 118 (2017) 111802, eq. (4):

    g_bs = −(3√2 G_F M_W² g_aW/(16π²)) Σ_{α=c,t} V_αb V*_αs f(M_α²/M_W²),
    with V_cb V*_cs = −V_tb V*_ts (|g_bs| = 9.95e-5 g_aW at |V_tbV_ts| = 0.0405). Used by BaBar,
    PRL 128 (2022) 131802. Sign convention: V_tb V_ts* taken as −|V_tb V_ts*| (V_ts < 0).
    """
    m_w = pdg_mass(W_BOSON)
    xt, xc = (pdg_mass(TOP) / m_w) ** 2, (pdg_mass(CHARM) / m_w) ** 2
    ckm = -VTB_VTS
    loop = ckm * (_loop_f(xt) - _loop_f(xc))
    return -3.0 * math.sqrt(2.0) * G_FERMI * m_w**2 * g_aW / (16.0 * math.pi**2) * loop


def g_bs_from_couplings(couplings: Couplings) -> float:
    """g_bs (GeV⁻¹) of an ALP model after running from the couplings' scale and matching at the
    weak scale (W and top loops, Bauer et al. JHEP 04 (2021) 063, arXiv:2012.12272, Secs. 4–5;
    :func:`alpsim.generator.alp.running.g_down_fcnc`). With no running this is the matching's
    finite part: for a W-only ALP the ILS result of :func:`g_bs_w_loop` with α₂(μ_w) and
    y_t(μ_w) in place of α(0)/s_W² and 2√2 G_F m_t², and without the charm loop."""
    return g_down_fcnc(couplings, 1, 2)


def bf_b_to_k_a(couplings: Couplings, m_a: float, charged: bool = True) -> float:
    """BR(B → K a) from the couplings: B+ → K+ a (charged) or B0 → K0 a."""
    b, k = (B_PLUS, K_PLUS) if charged else (B_ZERO, K_ZERO)
    g = g_bs_from_couplings(couplings)
    return float(branching_fraction(width_b_to_k_a(g, m_a, pdg_mass(b), pdg_mass(k)), b))


def bf_b_to_kstar_a(couplings: Couplings, m_a: float, charged: bool = False) -> float:
    """BR(B → K* a) from the couplings: B0 → K*0 a or B+ → K*+ a (K* at its PDG mass)."""
    b, k = (B_PLUS, KSTAR_PLUS) if charged else (B_ZERO, KSTAR_ZERO)
    g = g_bs_from_couplings(couplings)
    return float(branching_fraction(width_b_to_kstar_a(g, m_a, pdg_mass(b), pdg_mass(k)), b))


def jpsi_gamma_a_ratio(g_agamma: float, m_a: ArrayLike, m_v: float | None = None) -> NDArray:
    """B(V → γ a)/B(V → e+e−) for a photon-coupled ALP (Merlo, Pobbe, Rigolin, Sumensari,
    "MPRS", JHEP 06 (2019) 091): m_V² g_aγγ² (1 − m_a²/m_V²)³/(32πα), α = α(0); V = J/ψ by
    default. The charm term of a coupling-driven ALP is :func:`jpsi_gamma_a_ratio_couplings`.
    """
    m_v = pdg_mass(JPSI) if m_v is None else m_v
    m_a = np.asarray(m_a, dtype=float)
    x = np.clip(1.0 - m_a**2 / m_v**2, 0.0, None)
    return m_v**2 * g_agamma**2 * x**3 / (32.0 * math.pi * ALPHA_EM)


#: HPQCD's form factor F̃(x) of J/ψ → γ a through the charm coupling, x = m_a²/M_J/ψ², in the
#: continuum limit: Colquhoun, Davies, Lepage, Renner, "Constraints on axion-like particles
#: using lattice QCD calculations of the rate for J/ψ → γa", arXiv:2502.06721 (ancillary file
#: HPQCD_Ftilde.txt, 101 points for 0 ≤ x ≤ 1 with 1.5–2 % uncertainties). Represented here by a
#: degree-5 polynomial in x fitted to those points (coefficients of x⁰ … x⁵), within 0.25 of
#: the quoted uncertainty (0.4 %) at every point (tests/test_rates.py checks it against the
#: file where ALPaca, which ships it, is installed). At LO in α_s and v², F̃ = 2f_V/M_V (0.265).
FTILDE_JPSI_POLY: tuple[float, ...] = (0.201065, 0.046043, -0.065086, 0.13232, 0.21061, -0.20110)


def ftilde_jpsi(x: ArrayLike) -> NDArray:
    """HPQCD's F̃(x), x = m_a²/M_J/ψ² in [0, 1] (:data:`FTILDE_JPSI_POLY`)."""
    return np.polynomial.polynomial.polyval(np.asarray(x, dtype=float), FTILDE_JPSI_POLY)


def jpsi_decay_constant() -> float:
    """f_J/ψ (GeV) from Γ(J/ψ → e+e−) = 4πα² Q_c² f_V²/(3 M) (Van Royen–Weisskopf at leading
    order; α = α(0), the convention of every photon coupling here): Γ and M from `particle`,
    B(e+e−) from the PDG (normalisation.py). 0.41 GeV."""
    m = pdg_mass(JPSI)
    gamma_ee = pdg_width(JPSI) * bf_jpsi_to_ee()
    return math.sqrt(3.0 * m * gamma_ee / (4.0 * math.pi * ALPHA_EM**2 * pdg_charge(CHARM) ** 2))


def jpsi_gamma_a_ratio_couplings(couplings: Couplings, m_a: ArrayLike) -> NDArray:
    """B(J/ψ → γ a)/B(J/ψ → e+e−) of a coupling-driven ALP, photon and charm couplings together:

        m_V² (1 − x)/(32πα) · |g_aγγ (1 − x) − (c_cc/Λ) F̃(x) m_V/f_V|²,   x = m_a²/m_V²,

    the rate of Merlo et al. (MPRS, JHEP 06 (2019) 091) with its leading-order charm form
    factor 2f_V/m_V replaced by HPQCD's F̃ (Colquhoun et al., arXiv:2502.06721), written in
    BNT17's c_cc (L ⊃ (c_cc/2)(∂a/Λ) c̄γγ₅c). With c_cc = 0 it is :func:`jpsi_gamma_a_ratio`;
    with g_aγγ = 0 and F̃ = 2f_V/m_V it is Wilczek's m_V² c_cc² (1 − x)/(8πα Λ²). c_cc is taken
    after running to μ = m_J/ψ, the charm scale of the process (ALPaca runs to μ = m_a, also below
    m_c: the same for a charm-, top- or universally coupled ALP within 1 %, but a c_cc induced by
    c_GG alone grows 2.3× from m_J/ψ to 10 MeV there). The relative sign of the
    two terms is MPRS's and ALPaca's (destructive for equal-sign g_aγγ and c_cc)."""
    m_v = pdg_mass(JPSI)
    m_a = np.asarray(m_a, dtype=float)
    x = m_a**2 / m_v**2
    one_minus = np.clip(1.0 - x, 0.0, None)
    c_cc = couplings.at_scale(m_v).c_cc
    f_tilde = ftilde_jpsi(np.clip(x, 0.0, 1.0))
    charm = c_cc / couplings.Lambda * f_tilde * m_v / jpsi_decay_constant()
    amp = couplings.g_agamma * one_minus - charm
    return m_v**2 * one_minus * amp**2 / (32.0 * math.pi * ALPHA_EM)


def bf_jpsi_to_gamma_a(couplings: Couplings, m_a: float) -> float:
    """B(J/ψ → γ a) of a coupling-driven ALP (0 at and above m_J/ψ)."""
    if m_a >= pdg_mass(JPSI):
        return 0.0
    return float(jpsi_gamma_a_ratio_couplings(couplings, m_a)) * bf_jpsi_to_ee()


__all__ = [
    "a0_bkstar",
    "bf_b_to_k_a",
    "bf_b_to_kstar_a",
    "bf_jpsi_to_gamma_a",
    "branching_fraction",
    "f0_bk",
    "ftilde_jpsi",
    "g_bs_from_couplings",
    "g_bs_w_loop",
    "jpsi_decay_constant",
    "jpsi_gamma_a_ratio",
    "jpsi_gamma_a_ratio_couplings",
    "width_b_to_k_a",
    "width_b_to_kstar_a",
]
