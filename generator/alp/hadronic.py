"""Hadronic ALP widths following Aloni, Soreq, Williams (ASW, PRL 123 (2019) 071801,
arXiv:1811.03474): what is computed, from which formula, and where it is still approximate.

* **ALP–meson mixing** (ASW eqs. (4)–(5)): LO U(3) ChPT after the chiral rotation with
  κ_q = m_q⁻¹/Σm⁻¹; θ_P for P = π⁰, η, η′ (sin θ_ηη′ = −1/3) from kinetic
  (ĉ_q = c_qq + 32π²κ_q C_GG) and singlet mass mixing, PDG widths in the poles
  (:func:`meson_mixing`). ASW's F(m_a) (1 below 1.4 GeV, (1.4/m_a)⁴ above 2 GeV, linear
  between) multiplies every hadronic amplitude.
* **a → γγ, hadronic part**: 2N_c Tr(𝐀Q²) F(m_a) with 𝐀 = −κ C_GG + (Λ/16π²F) Σθ_P T_P
  (ASW's VMD a → VV → γγ at q² = 0) below 1 GeV; between 1.0 and 1.2 GeV (C¹ smoothstep) 𝐀 is
  blended into ASW's α_s-scaled flavour-singlet ALP 𝐀_s = (2/√6) α̃_s(m_a) C_GG 𝟙 (ASW's
  𝐚 ∝ α̃_s 𝟙/√6 for m_a ≳ 1.2 GeV; ALPaca ``a_U3_repr``/``alphas_tilde``), which replaces the LO
  mixing whose large-m_a limit cancels the direct term. α̃_s = 1 at 1 GeV, linear to α_s(2 GeV),
  α_s(m_a) above (ALPaca ends the line at 1.5 GeV, 3× below ASW's Fig. 1 at 1.5 GeV). The
  direct −κ C_GG term (ASW's m_a ≪ m_η′ chiral term; ALPaca keeps it below m_η′ only) is faded
  out over 1.0–1.1 GeV. Light-quark loops take over with weight 1 − F. Against ASW [digi]:
  within 10 % to 1.0 GeV, within 0.79–1.0 at 1.0–1.2 GeV, within 1.25 at 1.2–2.0 GeV.
* **a → π⁺π⁻γ**: ASW's VMD a → γρ⁰* → γπ⁺π⁻ (eq. (8); g = g_ρππ, universality) with
  2N_c Tr(𝐚_V Q T_ρ) = ⟨aρ⁰ρ⁰⟩ + ⟨aρ⁰ω⟩/3 of the meson-mixing 𝐚 only (the direct −κ C_GG term is
  an a F F̃ coupling and stays in γγ; keeping it in the ρ channel had put the amplitude's zero at
  0.74 GeV instead of ASW's 0.84 GeV), blended into the same singlet above 1 GeV; interferes with
  the photon-coupling Kroll–Wada term (:func:`width_pipigamma`). Against ASW [digi]: within 1.1
  at 0.6–0.7 GeV, 1.3 at 0.8, 1.4 at 1.0, 1.2 at 1.2–1.8 GeV; zero at 0.85 GeV (ASW 0.838).
  Still different, and why: 3–4× below ASW (4–10× below ALPaca) on the rise from the zero
  to the η′ pole (0.87–0.92 GeV): the width there is |θ_η + θ_η′/√2|² across a zero whose
  position depends on the mixing angles (ASW 0.838, ours 0.85 GeV, ALPaca between), so a
  12 MeV shift of the zero changes the width at 0.88 GeV by 3×; the rate integrated over the
  ρ–η′ window, which is what an analysis sees, is dominated by the η′ pole where we agree.
  2× below ASW at 2.0 GeV. Not pinned by a test; shown as a ratio in validation (ALPaca).
  The generator's ππγ sampler (alp_decays.py) still draws m(ππ) from the Kroll–Wada shape
  F_π(s)/s, not the ρ-channel s|D|².
* **a → 3π, 3π⁰** (:func:`three_pi_amplitude`): M(π⁺π⁻π⁰) = √K [BNT17's consistent LO two-flavour
  term (ĉ_u − ĉ_d) m_π²(s − m_π²)/(2FΛ(m_a² − m_π²)) + Σ_{P=η,η′} θ_P c_P (1 + 3(s − s₀)/(m_P² −
  m_π²))]: ASW's picture (the ALP decays like the η, η′ it mixes with; θ_P of :func:`meson_mixing`)
  with the LO isospin-breaking P → 3π amplitude (Gasser–Leutwyler 1985, U(3) flavour factor
  T_P,uu); M(3π⁰) = 3M(s₀), flat. K = 1.27 is an empirical rate factor fixed by PDG Γ(η → 3π)
  (LO ChPT lacks ππ rescattering); × F(m_a)². Against ASW [digi]: within 1.6 (ours below) for
  π⁺π⁻π⁰ at 0.45–0.7 GeV and 3π⁰ at 0.45–0.9 GeV; 3π⁰'s zero at 0.733 GeV reproduced. Still
  different: (i) a common ~1.5–2 (ASW/ALPaca use K = 2.7, a mean over η and η′ that overshoots
  η → 3π; our LO U(3) η′ → 3π instead overshoots PDG by 1.8× (π⁺π⁻π⁰) and 3.1× (3π⁰)). We
  keep K from η → 3π because the ALP below 0.7 GeV decays like the η; with ALPaca's K = 2.7
  ours agrees with ALPaca 1.2.0 within 5–21 % at 0.45–0.5 GeV (tests/test_alp_model.py);
  (ii) π⁺π⁻π⁰ 2–3.5× below ASW (≈5× below ALPaca) between 0.75 GeV and the η′: our s-slope
  of the η, η′ terms is the LO P–π⁰ mixing one, ASW's amplitude carries a larger η′ term; the
  region is 0.2 GeV wide and 3π is < 10 % of the total width there; (iii) no σ/f₀/f₂/ρ
  ππ resonances (ALPaca's extension) and no α_s-singlet treatment of 3π above 1.15 GeV; above the η′
  ALPINIST's digitisation stops (0.957 GeV), the LO extrapolation there is a few eV (≪ ηππ).
* **a → ηππ** (in "hadrons"): a₀(980) exchange with derivative couplings (ASW eq. (S51)),
  flavour factor √2θ_η + θ_η′, normalised to the measured η′ → ηππ width. σ, f₀, f₂ not included.
  Within 1.8 of ASW for 1.0–1.5 GeV; 3× above ASW at 1.8–2.0 GeV.
* **Not included**: KK̄π, η′ππ, VV (ρρ → 4π, ωω, K*K̄*, φφ). Their rate is covered only above
  1.5 GeV through the matching to a → gg.
* **Total hadronic width and "hadrons"**: Γ_had = Γ_excl + w(m_a) max(Γ_gg − Γ_excl, 0) + Γ(cc̄, bb̄),
  Γ_excl = 3π + 3π⁰ + ηππ, w a C¹ smoothstep from 1.5 to 2 GeV, Γ_gg = 32π α_s² m_a³ |C_GG^eff|²/Λ²
  [1 + 83α_s/(4π)] (BNT17). "hadrons" = Γ_had − Γ(3π) − Γ(3π⁰). Continuous by construction.
* **a → ππ, a → KK** — forbidden for a CP-odd ALP; exist only in the model-independent mode.

Comparison with ASW (ALPINIST's digitisation, C_GG = 1, Λ = 1 TeV): see tests/test_alp_model.py
and validation/alp_model_curves.py. Constants not in `particle`: f_π = 130.2 MeV, α_s(M_Z) = 0.1180
(PDG 2024, two-loop running, frozen below 1 GeV), BR(η′ → ηπ⁺π⁻, ηπ⁰π⁰) = 42.5 %, 22.4 %,
BR(η → π⁺π⁻π⁰, 3π⁰) = 22.92 %, 32.57 % (PDG 2024 summary table; `particle` has no
branching fractions).
"""

from __future__ import annotations

import dataclasses
import math
from functools import cache

import hepunits as u
import numpy as np
from particle import Particle

from .couplings import ALPHA_EM, Couplings, loop_B1
from .photon_coupling import C_gamma_gamma_nonhadronic
from .strong_coupling import ALPHA_S_MZ, alpha_s  # noqa: F401  (re-exported)

# ---- constants not in `particle` -----------------------------------------------------------
#: Charged-pion decay constant f_π in GeV (PDG 2024; f_π ≈ 130 MeV normalisation, F = f_π/√2).
F_PI: float = 0.1302
#: Chiral gluon → photon coefficient: C_γγ ⊃ −1.92 C_GG (BNT17 Sec. 3; Grilli di Cortona et al.).
CHIRAL_GG_TO_GAMMA: float = 1.92
#: Mass where the inclusive a → gg description is fully switched on (ASW: ~2–3 GeV).
INCLUSIVE_FULL_GEV: float = 2.0
#: ASW F(m_a) knots.
_ASW_F_M1, _ASW_F_M2 = 1.4, 2.0

_N_GL = 96
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_N_GL)
_GL_X = 0.5 * (_GL_X + 1.0)  # on [0, 1]
_GL_W = 0.5 * _GL_W


@cache
def pdg_mass(pdgid: int) -> float:
    """PDG mass in GeV from `particle` (MeV → GeV with hepunits)."""
    return Particle.from_pdgid(pdgid).mass * u.MeV / u.GeV


@cache
def pdg_width(pdgid: int) -> float:
    """PDG total width in GeV from `particle` (0 if none)."""
    w = Particle.from_pdgid(pdgid).width
    return 0.0 if w is None else w * u.MeV / u.GeV


def m_pi0() -> float:
    return pdg_mass(111)


def m_pic() -> float:
    return pdg_mass(211)


def delta_isospin() -> float:
    """δ_I = (m_d − m_u)/(m_d + m_u) with PDG MS-bar light-quark masses from `particle`."""
    mu_, md_ = pdg_mass(2), pdg_mass(1)
    return (md_ - mu_) / (md_ + mu_)


def isospin_breaking_coupling(c: Couplings) -> float:
    """Δ = C_GG δ_I + (c_uu − c_dd)/(32π²) (BNT17 Sec. 3)."""
    return c.C_GG * delta_isospin() + (c.c_uu - c.c_dd) / (32.0 * math.pi**2)


def asw_F(m):
    """ASW data-driven suppression F(m_a): 1 below 1.4 GeV, (1.4/m_a)⁴ above 2 GeV, linear between.

    Continuous at both knots."""
    m = np.asarray(m, dtype=float)
    f2 = (_ASW_F_M1 / _ASW_F_M2) ** 4
    lin = 1.0 + (f2 - 1.0) * (m - _ASW_F_M1) / (_ASW_F_M2 - _ASW_F_M1)
    tail = (_ASW_F_M1 / np.maximum(m, _ASW_F_M2)) ** 4
    return np.where(m < _ASW_F_M1, 1.0, np.where(m <= _ASW_F_M2, lin, tail))


# ---- helpers -------------------------------------------------------------------------------
def _kallen(x, y, z):
    return x * x + y * y + z * z - 2.0 * (x * y + x * z + y * z)


def _sqrt_pos(x):
    return np.sqrt(np.maximum(x, 0.0))


def _smoothstep_nodes(lo, hi):
    """Gauss–Legendre nodes on [lo, hi] after s = lo + (hi−lo) u²(3−2u) (removes √ endpoints).

    lo, hi: arrays of shape (N,). Returns s (N, n) and weights ds (N, n)."""
    x, w = _GL_X[None, :], _GL_W[None, :]
    span = (hi - lo)[:, None]
    s = lo[:, None] + span * x * x * (3.0 - 2.0 * x)
    ds = span * 6.0 * x * (1.0 - x) * w
    return s, ds


# ---- a → 3π --------------------------------------------------------------------------------
#: PDG 2024 η → π⁺π⁻π⁰ = (22.92 ± 0.28) % and η → 3π⁰ = (32.57 ± 0.21) % (summary table;
#: `particle` holds no branching fractions): the data that fix
#: the rate normalisation K of the LO isospin-breaking 3π amplitudes (:func:`three_pi_k_factor`).
BR_ETA_3PI_C, BR_ETA_3PI_0 = 0.2292, 0.3257


def _meson_3pi_coefficient(t_uu: float) -> float:
    """c_P = −2 δ_I m_π⁰² T_P,uu/(3F²): the constant part of the LO isospin-breaking amplitude
    P → π⁺π⁻π⁰ of a U(3) pseudoscalar P with non-strange entry T_P,uu = T_P,dd.

    For the octet (T_uu = 1/(2√3)) this is Gasser–Leutwyler's −B₀(m_d − m_u)/(3√3F²)
    (Nucl. Phys. B250 (1985) 539; B₀(m_d − m_u) = δ_I m_π²); the singlet's mass-term contact
    and π⁰ mixing carry the same factor T_uu(m_u − m_d), hence the U(3) generalisation."""
    F = F_PI / math.sqrt(2.0)
    return -2.0 * delta_isospin() * m_pi0() ** 2 * t_uu / (3.0 * F * F)


def three_pi_amplitude(mass, s, couplings: Couplings, m_c=None, m_0=None, data_driven=True):
    """Complex amplitude M(a → π⁺π⁻π⁰) at s = m²(π⁺π⁻) (arrays broadcast), without F(m_a):

        M(s) = √K { (ĉ_u − ĉ_d) m_π⁰² (s − m_π⁰²) / [2FΛ(m_a² − m_π⁰²)]
                    + Σ_{P=η,η′} θ_P(m_a) c_P [1 + 3(s − s₀)/(m_P² − m_π⁰²)] },

    s₀ = (m_a² + 2m_π±² + m_π⁰²)/3, F = f_π/√2.
    * First term: the consistent LO two-flavour amplitude of BNT17 (Sec. 3; the kinetic a–π⁰
      mixing cancels against the derivative contact terms and leaves the m_π² suppression),
      with ĉ_u − ĉ_d = 32π²Δ in the three-flavour κ basis.
    * Second term: ASW's mechanism (arXiv:1811.03474, eqs. (4)–(5) and the Supplement's 3π
      amplitude, eq. (S31), as implemented in ALPaca, arXiv:2508.08354): the ALP decays like the
      η, η′ it mixes with. θ_P = :func:`meson_mixing` (kinetic and mass mixing, PDG widths in the
      poles); c_P [1 + 3(s − s₀)/(m_P² − m_π⁰²)] is the LO isospin-breaking P → 3π amplitude
      (Gasser–Leutwyler 1985 for the η₈; :func:`_meson_3pi_coefficient`). The slope denominator
      m_P² − m_π² is the P–π⁰ mixing denominator (quark masses, via Gell-Mann–Okubo), not a
      kinematic variable, so it stays at the physical mass when m_a ≠ m_P.
    * √K (:func:`three_pi_k_factor`): empirical rate factor fixed by the measured η → 3π width;
      LO ChPT misses the ππ final-state rescattering (Gasser–Leutwyler; Kambor–Wiesendanger–Wyler
      NPB 465 (1996) 215). ASW/ALPaca use the same idea with K = 2.7 (ALPaca's comment: a mean
      value reproducing the η and η′ rates); ours is K ≈ 1.3 because our LO η amplitude uses the
      U(3) η (T_uu = 1/√6) and PDG quark masses, which already give 78 % of Γ(η → 3π).
    ``data_driven=False``: the first term only, without √K (BNT17 exactly, two-flavour Δ)."""
    m = np.asarray(mass, dtype=float)
    s = np.asarray(s, dtype=float)
    mc = m_pic() if m_c is None else m_c
    m0 = m_pi0() if m_0 is None else m_0
    F = F_PI / math.sqrt(2.0)
    m2 = m * m
    if not data_driven:
        d = 32.0 * math.pi**2 * isospin_breaking_coupling(couplings)
        return (d * m0**2 * (s - m0 * m0) / (2.0 * F * couplings.Lambda * (m2 - m0 * m0))) + 0j
    ch = c_hat(couplings)
    amp = (ch[0] - ch[1]) * m0**2 * (s - m0 * m0) / (2.0 * F * couplings.Lambda * (m2 - m0 * m0))
    _, th_eta, th_etap = meson_mixing(m, couplings)
    s0 = (m2 + 2.0 * mc * mc + m0 * m0) / 3.0
    for th, T, pid in ((th_eta, T_ETA, 221), (th_etap, T_ETAP, 331)):
        slope = 3.0 / (pdg_mass(pid) ** 2 - m0 * m0)
        amp = amp + th * _meson_3pi_coefficient(T[0]) * (1.0 + slope * (s - s0))
    return math.sqrt(three_pi_k_factor()) * amp


def three_pi0_amplitude(mass, couplings: Couplings, m_0=None, data_driven=True):
    """M(a → 3π⁰) = M(s₁) + M(s₂) + M(s₃) of :func:`three_pi_amplitude` with all pions neutral.

    Σ(s_i − s₀) = 0 and Σ(s_i − m_π⁰²) = m_a², so it is constant over the Dalitz plot:
    √K { (ĉ_u − ĉ_d) m_π⁰² m_a²/[2FΛ(m_a² − m_π⁰²)] + 3 Σ_P θ_P c_P } (flat 3π⁰ Dalitz plot)."""
    m = np.asarray(mass, dtype=float)
    m0 = m_pi0() if m_0 is None else m_0
    s0 = (m * m + 3.0 * m0 * m0) / 3.0  # any s with s − s₀ = 0; the s-terms sum to m_a²
    a_s0 = three_pi_amplitude(m, s0, couplings, m0, m0, data_driven)
    # M(s) = α + β s is linear: Σ M(s_i) = 3 M(s₀) exactly.
    return 3.0 * a_s0


@cache
def three_pi_k_factor() -> float:
    """K = Γ_PDG(η → 3π)/Γ_LO(η → 3π), both charge modes (PDG 2024 BRs × Γ_η from `particle`),
    Γ_LO from :func:`_meson_3pi_coefficient` for the U(3) η with unit mixing. ≈ 1.3."""
    meta = pdg_mass(221)
    c_eta = _meson_3pi_coefficient(T_ETA[0])
    slope = 3.0 / (meta**2 - m_pi0() ** 2)
    mc, m0 = m_pic(), m_pi0()
    s0 = (meta**2 + 2.0 * mc * mc + m0 * m0) / 3.0
    lo = _dalitz_width(np.array([meta]), lambda s: np.abs(c_eta * (1.0 + slope * (s - s0))) ** 2,
                       mc, m0)[0] + _dalitz_width(np.array([meta]), lambda s: (3.0 * c_eta) ** 2
                                                  + 0.0 * s, m0, m0)[0] / 6.0  # fmt: skip
    return pdg_width(221) * (BR_ETA_3PI_C + BR_ETA_3PI_0) / lo


def _dalitz_width(ma, amp2_of_s, m1, m0):
    """∫ |M|² dΦ₃ for a → π(m1) π(m1) π⁰(m0) with |M|² a function of s = m²(pair) only:
    Γ = ∫ ds |M(s)|² λ^½(m_a², s, m0²) β(s)/(256π³ m_a³) (no symmetry factor)."""
    ma2 = ma * ma
    s, ds = _smoothstep_nodes(np.full_like(ma, 4.0 * m1 * m1), (ma - m0) ** 2)
    dt = _sqrt_pos(_kallen(ma2[:, None], s, m0 * m0)) * _sqrt_pos(1.0 - 4.0 * m1 * m1 / s)
    return np.sum(amp2_of_s(s) * dt * ds, axis=1) / (256.0 * math.pi**3 * ma2 * ma)


def width_3pi(mass, couplings: Couplings, charged: bool, m_c=None, m_0=None, fade: bool = True):
    """Γ(a → π+π−π⁰) (charged=True) or Γ(a → 3π⁰) in GeV from :func:`three_pi_amplitude` /
    :func:`three_pi0_amplitude` × ASW's F(m_a), Dalitz plot integrated numerically with
    physical masses.

    ``m_c``/``m_0`` override the π±/π⁰ masses (tests use the isospin limit). ``fade=False``
    gives BNT17's LO two-flavour width (no η/η′ terms, no K, no F(m_a)). Exactly zero below
    threshold."""
    m = np.atleast_1d(np.asarray(mass, dtype=float))
    mc = m_pic() if m_c is None else m_c
    m0 = m_pi0() if m_0 is None else m_0
    m1 = mc if charged else m0  # the pair
    thr = 2.0 * m1 + m0
    out = np.zeros_like(m)
    ok = m > thr
    if not ok.any():
        return out if np.ndim(mass) else float(out[0])
    ma = m[ok]
    if charged:

        def amp2(s):
            return np.abs(three_pi_amplitude(ma[:, None], s, couplings, mc, m0, fade)) ** 2

        gam = _dalitz_width(ma, amp2, m1, m0)
    else:
        a2 = np.abs(three_pi0_amplitude(ma, couplings, m0, fade)) ** 2
        gam = _dalitz_width(ma, lambda s: a2[:, None] + 0.0 * s, m1, m0) / 6.0
    if fade:
        gam = gam * asw_F(ma) ** 2
    out[ok] = gam
    return out if np.ndim(mass) else float(out[0])


_PIPIGAMMA_SPLIT_GEV2 = 1.5**2


# ---- a → π+π−γ -----------------------------------------------------------------------------
def _rho_running_width(s):
    """(s as an array, m_ρ, Γ_ρ(s)): the ρ(770) p-wave running width
    Γ_ρ(s) = Γ_ρ (m_ρ/√s) (p(s)/p(m_ρ²))³, p the pion momentum in the ππ rest frame."""
    mr, gr, mpi = pdg_mass(113), pdg_width(113), m_pic()
    s = np.asarray(s, dtype=float)
    p = _sqrt_pos(s / 4.0 - mpi * mpi)
    pr = math.sqrt(mr * mr / 4.0 - mpi * mpi)
    return s, mr, gr * (mr / np.sqrt(np.maximum(s, 1e-300))) * (p / pr) ** 3


def pion_form_factor(s):
    """|F_π(s)|² with ρ(770) dominance: m_ρ²/(m_ρ² − s − i m_ρ Γ_ρ(s)), p-wave running width."""
    s, mr, gs = _rho_running_width(s)
    return mr**4 / ((mr * mr - s) ** 2 + (mr * gs) ** 2)


def pipigamma_over_gammagamma(mass):
    """Γ(a→π+π−γ)/Γ(a→γγ) for an ALP–photon vertex (Kroll–Wada factorisation, ρ-dominance
    form factor); zero below 2m_π±. Independent of the couplings."""
    m = np.atleast_1d(np.asarray(mass, dtype=float))
    mpi = m_pic()
    out = np.zeros_like(m)
    ok = m > 2.0 * mpi
    if ok.any():
        ma = m[ok]
        lo, hi = np.full_like(ma, 4.0 * mpi * mpi), ma * ma
        cut = np.minimum(hi, _PIPIGAMMA_SPLIT_GEV2)  # resolve the ρ peak at large m_a
        total = np.zeros_like(ma)
        for a, b in ((lo, cut), (cut, hi)):
            s, ds = _smoothstep_nodes(a, b)
            beta3 = _sqrt_pos(1.0 - 4.0 * mpi * mpi / s) ** 3
            integrand = (
                (2.0 * ALPHA_EM / (3.0 * math.pi * s))
                * (1.0 - s / (ma * ma)[:, None]) ** 3
                * 0.25
                * beta3
                * pion_form_factor(s)
            )
            total += np.sum(integrand * ds, axis=1)
        out[ok] = total
    return out if np.ndim(mass) else float(out[0])


# ---- a → gg and heavy quarks -----------------------------------------------------------------
def C_GG_eff(mass, couplings: Couplings):
    """C_GG^eff = C_GG + Σ_q c_qq B₁(4m_q²/m_a²)/(32π²) (BNT17, quark loops; complex)."""
    m = np.maximum(np.asarray(mass, dtype=float), 1e-300)
    total = couplings.C_GG + 0j
    for pid, cq in ((2, couplings.c_uu), (1, couplings.c_dd), (3, couplings.c_ss),
                    (4, couplings.c_cc), (5, couplings.c_bb), (6, couplings.c_tt)):  # fmt: skip
        if cq:
            total = total + cq * loop_B1(4.0 * pdg_mass(pid) ** 2 / m**2) / (32.0 * math.pi**2)
    return total


def width_gluons(mass, couplings: Couplings):
    """Γ(a → gg) = 32π α_s² m_a³ |C_GG^eff|²/Λ² [1 + 83α_s/(4π)] (BNT17, n_q = 3), in GeV.

    Perturbative; only meaningful above ~2 GeV (used through :func:`width_hadrons_rest`)."""
    m = np.asarray(mass, dtype=float)
    a = alpha_s(m)
    c2 = np.abs(C_GG_eff(m, couplings)) ** 2
    return (
        32.0 * math.pi * a**2 * m**3 * c2 / couplings.Lambda**2 * (1.0 + 83.0 * a / (4.0 * math.pi))
    )


def width_heavy_quarks(mass, couplings: Couplings):
    """Γ(a → cc̄) + Γ(a → bb̄) = Σ N_c m_a m_Q² |c_QQ|² β/(8πΛ²) (BNT17 tree level), with β taken
    at the open-flavour threshold (2m_D⁰, 2m_B±) so the width vanishes continuously there; m_Q
    is the PDG MS-bar mass. No QCD corrections."""
    m = np.asarray(mass, dtype=float)
    out = np.zeros_like(m)
    for cq, q_pid, h_pid in ((couplings.c_cc, 4, 421), (couplings.c_bb, 5, 521)):
        if cq:
            beta = _sqrt_pos(1.0 - 4.0 * pdg_mass(h_pid) ** 2 / np.maximum(m, 1e-300) ** 2)
            out = out + 3.0 * m * pdg_mass(q_pid) ** 2 * cq**2 * beta / (
                8.0 * math.pi * couplings.Lambda**2
            )
    return out


def hadrons_threshold() -> float:
    """Lowest threshold of the 'other hadrons' modes: η π⁰ π⁰."""
    return pdg_mass(221) + 2.0 * m_pi0()


def matching_weight(mass):
    """C¹ smoothstep w(m_a): 0 below MATCH_LO_GEV (1.5 GeV), 1 above INCLUSIVE_FULL_GEV (2 GeV)."""
    m = np.asarray(mass, dtype=float)
    x = np.clip((m - MATCH_LO_GEV) / (INCLUSIVE_FULL_GEV - MATCH_LO_GEV), 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def width_hadrons_total(mass, couplings: Couplings, exclusive):
    """Total hadronic width (without ππγ): Γ_excl + w(m_a) max(Γ_gg − Γ_excl, 0) + Γ(cc̄, bb̄).

    Γ_excl = 3π + 3π⁰ + ηππ (exclusive ASW-type modes), Γ_gg BNT17 NLO. Below 1.5 GeV the sum of
    the exclusive modes; above 2 GeV max(Γ_gg, Γ_excl) (Γ_excl dies as F(m_a)² ∝ m_a⁻⁸, so it is
    Γ_gg within 1 % from 2.3 GeV); continuous and C¹ in between."""
    m = np.asarray(mass, dtype=float)
    gg = width_gluons(m, couplings)
    return (
        exclusive
        + matching_weight(m) * np.maximum(gg - exclusive, 0.0)
        + width_heavy_quarks(m, couplings)
    )


def width_hadrons_rest(mass, couplings: Couplings, exclusive_3pi):
    """'hadrons' = total hadronic width − Γ(3π) − Γ(3π⁰): ηππ + the a → gg completion above 1.5 GeV
    + heavy quarks (:func:`width_hadrons_total`)."""
    m = np.asarray(mass, dtype=float)
    eta = width_eta_pipi(m, couplings)
    return np.maximum(width_hadrons_total(m, couplings, exclusive_3pi + eta) - exclusive_3pi, 0.0)


# ==== ASW data-driven treatment: U(3) ALP–meson mixing, VMD, ηππ, matching to a → gg ========
#: Number of colours.
N_C: int = 3
#: Quark charges (u, d, s).
_Q = np.array([2.0 / 3.0, -1.0 / 3.0, -1.0 / 3.0])
#: U(3) generators (diagonal entries, Tr T² = 1/2) with ASW's η–η′ angle sin θ = −1/3:
#: π⁰ = diag(1,−1,0)/2, η = diag(1,1,−1)/√6, η′ = diag(1,1,2)/(2√3), ρ⁰ = diag(1,−1,0)/2.
T_PI = np.array([0.5, -0.5, 0.0])
T_ETA = np.array([1.0, 1.0, -1.0]) / math.sqrt(6.0)
T_ETAP = np.array([1.0, 1.0, 2.0]) / (2.0 * math.sqrt(3.0))
T_RHO = np.array([0.5, -0.5, 0.0])
#: PDG 2024 η′ → η π⁺π⁻ and η π⁰π⁰ branching fractions (not in `particle`).
BR_ETAP_ETA_PIPI_C, BR_ETAP_ETA_PIPI_0 = 0.425, 0.224
#: Lower edge of the exclusive → inclusive (a → gg) matching window [GeV].
MATCH_LO_GEV: float = 1.5


def quark_masses() -> np.ndarray:
    """(m_u, m_d, m_s) MS-bar at 2 GeV from `particle`, in GeV."""
    return np.array([pdg_mass(2), pdg_mass(1), pdg_mass(3)])


def kappa() -> np.ndarray:
    """κ_q = m_q⁻¹/Σ m⁻¹ (ASW, BNT17 Sec. 3): the chiral rotation that removes a G G̃ and leaves
    no ALP mass mixing with the octet."""
    inv = 1.0 / quark_masses()
    return inv / inv.sum()


def c_hat(c: Couplings) -> np.ndarray:
    """ĉ_q = c_qq + 32π² κ_q C_GG (BNT17 convention; ĉ_u − ĉ_d = 32π² Δ of BNT17 Sec. 3)."""
    return np.array([c.c_uu, c.c_dd, c.c_ss]) + 32.0 * math.pi**2 * kappa() * c.C_GG


def _prop(m, pid):
    """1/(m_a² − m_P² + i m_P Γ_P) with PDG mass and width (complex)."""
    mp, gp = pdg_mass(pid), pdg_width(pid)
    return 1.0 / (m * m - mp * mp + 1j * mp * gp)


def meson_mixing(mass, c: Couplings):
    """ALP–meson mixing θ_P (P = π⁰, η, η′), complex arrays, LO U(3) chiral perturbation theory
    (ASW eqs. (4)–(5) and Supplement; our derivation in the BNT17 normalisation):

        θ_P = (F/Λ) [m_a² Tr(T_P ĉ) − 2 B₀ m̄ Tr(T_P) 32π² C_GG] / (m_a² − m_P² + i m_P Γ_P),

    F = f_π/√2, B₀ = m_π²/(m_u + m_d), m̄ = (Σ_q m_q⁻¹)⁻¹. The first term is the kinetic
    mixing from the derivative couplings ĉ_q, the second the mass mixing with the flavour-singlet
    part left by the κ rotation (η, η′ only). Returned without ASW's F(m_a)."""
    m = np.asarray(mass, dtype=float)
    F = F_PI / math.sqrt(2.0)
    ch = c_hat(c)
    mq = quark_masses()
    b0mbar = m_pi0() ** 2 / (mq[0] + mq[1]) / np.sum(1.0 / mq)
    out = []
    for T, pid in ((T_PI, 111), (T_ETA, 221), (T_ETAP, 331)):
        num = m * m * np.dot(T, ch) - 2.0 * b0mbar * T.sum() * 32.0 * math.pi**2 * c.C_GG
        out.append(F / c.Lambda * num * _prop(m, pid))
    return tuple(out)


def alp_u3(mass, c: Couplings):
    """Diagonal of the ALP's U(3) matrix 𝐚 = Σ_P θ_P T_P (ASW), shape (..., 3), complex."""
    th_pi, th_eta, th_etap = meson_mixing(mass, c)
    return th_pi[..., None] * T_PI + th_eta[..., None] * T_ETA + th_etap[..., None] * T_ETAP


#: ASW's flavour-singlet treatment of the ALP above ~1.2 GeV: window [GeV] over which the LO
#: U(3) mixing (+ direct anomaly term) is replaced by the α_s-scaled singlet (C¹ smoothstep).
SINGLET_LO_GEV, SINGLET_HI_GEV = 1.0, 1.2
#: Mass [GeV] where the singlet's α̃_s(m_a) reaches the perturbative α_s (:func:`alpha_s_tilde`).
SINGLET_ALPHA_S_MATCH_GEV: float = 2.0


def alpha_s_tilde(mass):
    """α̃_s(m_a) of ASW's flavour-singlet ALP (arXiv:1811.03474, text after eq. (8); ALPaca's
    ``alphas_tilde``, arXiv:2508.08354): 1 for m_a ≤ 1 GeV, α_s(m_a) in the perturbative
    region, linear in m_a in between (continuous).

    ALPaca ends the interpolation at 1.5 GeV; we end it at 2 GeV
    (:data:`SINGLET_ALPHA_S_MATCH_GEV`): ALPINIST's digitisation of ASW Fig. 1 (a → γγ, which is
    ∝ α̃_s² F² m_a³ there) requires α̃_s ≈ 0.9, 0.63, 0.33 at 1.2, 1.5, 2.0 GeV, i.e. this line
    (0.86, 0.65, α_s(2 GeV) = 0.30), while ending at 1.5 GeV gives 3× less Γ(γγ) at 1.5 GeV."""
    m = np.asarray(mass, dtype=float)
    m2 = SINGLET_ALPHA_S_MATCH_GEV
    a2 = float(alpha_s(m2))
    lin = 1.0 + (a2 - 1.0) * (m - 1.0) / (m2 - 1.0)
    return np.where(m <= 1.0, 1.0, np.where(m < m2, lin, alpha_s(m)))


def singlet_weight(mass):
    """C¹ smoothstep w_s(m_a): 0 below SINGLET_LO_GEV (1.0), 1 above SINGLET_HI_GEV (1.2 GeV)."""
    m = np.asarray(mass, dtype=float)
    x = np.clip((m - SINGLET_LO_GEV) / (SINGLET_HI_GEV - SINGLET_LO_GEV), 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _singlet_matrix(mass, c: Couplings):
    """ASW's α_s-scaled flavour-singlet ALP in C_γγ units, diagonal (..., 3):

        𝐀_s = (2/√6) α̃_s(m_a) C_GG 𝟙   [ASW: 𝐚 = C_GG (f_π/f_a) α̃_s 𝟙/√6].

    The factor 2/√6 converts ASW's normalisation into ours through the large-m_a limit of the
    kinetic mixing, which is 𝐚 → (f_π/2f_a) C_GG κ in ASW/ALPaca (``a_U3_repr``) and
    (Λ/16π²F) 𝐚 → κ C_GG here; the couplings' absolute normalisation drops out. Only C_GG enters
    (the quark couplings keep their LO mixing, as in ALPaca)."""
    m = np.asarray(mass, dtype=float)
    return (2.0 / math.sqrt(6.0)) * c.C_GG * alpha_s_tilde(m)[..., None] * np.ones(3)


def _mixing_matrix(mass, c: Couplings):
    """(Λ/(16π² F)) 𝐚 in C_γγ units: the ALP's U(3) matrix from π⁰/η/η′ mixing (:func:`alp_u3`)."""
    F = F_PI / math.sqrt(2.0)
    return c.Lambda / (16.0 * math.pi**2 * F) * alp_u3(mass, c)


def _blend(mass, c: Couplings, low):
    """(1 − w_s) low + w_s (low_q + 𝐀_s): below 1.0 GeV the LO U(3) matrix, above 1.2 GeV its
    C_GG part replaced by ASW's singlet; the quark couplings' mixing 𝐚_q (:func:`_mixing_matrix`
    at C_GG = 0; 𝐚 is linear in the couplings) is kept at all masses, as in ALPaca."""
    m = np.asarray(mass, dtype=float)
    if c.C_GG == 0.0:
        return low
    w = singlet_weight(m)[..., None]
    low_q = _mixing_matrix(m, dataclasses.replace(c, C_GG=0.0))
    return (1.0 - w) * low + w * (low_q + _singlet_matrix(m, c))


#: Window [GeV] over which the direct term −κ C_GG of a → γγ is faded out (C¹ smoothstep).
DIRECT_OFF_LO_GEV, DIRECT_OFF_HI_GEV = 1.0, 1.1


def _A_matrix(mass, c: Couplings):
    """Hadronic ALP matrix for a → γγ in C_γγ units: 𝐀 = −κ C_GG (1 − w_d) + (Λ/(16π² F)) 𝐚
    (direct anomaly term of the κ rotation + meson mixing), blended into ASW's singlet
    (:func:`_singlet_matrix`) between 1.0 and 1.2 GeV. C_γγ^had = 2N_c Tr(𝐀 Q²) at low mass.

    w_d: smoothstep from 0 at 1.0 to 1 at 1.1 GeV. ASW's chiral (direct) term is their
    m_a ≪ m_η′ result and ALPaca (``cgamma_chiral``) keeps it only below m_η′, using VMD with the
    LO 𝐚 alone between m_η′ and the singlet; we fade it out just above the η′ pole (continuous;
    at 1.0 GeV the η′ term dominates and ours agrees with ASW's γγ to 1 %). Keeping it up to
    1.2 GeV left Γ(γγ) 1.5–1.9× below ASW at 1.05–1.15 GeV; dropping it at m_η′ gives 1.5× above
    ASW at 1.0 GeV; with w_d we are within 0.79–1.0 of ASW [digi] over 1.0–1.2 GeV."""
    m = np.asarray(mass, dtype=float)
    x = np.clip((m - DIRECT_OFF_LO_GEV) / (DIRECT_OFF_HI_GEV - DIRECT_OFF_LO_GEV), 0.0, 1.0)
    keep = (1.0 - x * x * (3.0 - 2.0 * x))[..., None]
    return _blend(m, c, -kappa() * c.C_GG * keep + _mixing_matrix(m, c))


def _V_matrix(mass, c: Couplings):
    """ALP matrix for a → V V′ with V ≠ γ (ASW eq. (8), ⟨a V V′⟩): the meson-mixing 𝐚 only, blended
    into the singlet like :func:`_A_matrix`. The direct term −κ C_GG of the chiral rotation is a
    local a F F̃ (QED anomaly) coupling; ASW (and ALPaca's ``cgamma_chiral``) keep it in a → γγ
    only."""
    return _blend(mass, c, _mixing_matrix(mass, c))


def _light_quark_loops(m, c: Couplings):
    light = np.zeros_like(m, dtype=complex)
    for pid, q, cq in ((2, 2.0 / 3.0, c.c_uu), (1, -1.0 / 3.0, c.c_dd),
                       (3, -1.0 / 3.0, c.c_ss)):  # fmt: skip
        if cq:
            tau = 4.0 * pdg_mass(pid) ** 2 / np.maximum(m, 1e-300) ** 2
            light = light + 3.0 * q * q * cq / (16.0 * math.pi**2) * loop_B1(tau)
    return light


def C_gamma_gamma_hadronic(mass, couplings: Couplings):
    """Hadronic part of C_γγ^eff (complex): F(m_a) 2N_c Tr(𝐀 Q²) + (1 − F(m_a)) Σ_q light-quark
    loops. 2N_c Tr(𝐀Q²) is the VMD/anomaly a → VV → γγ amplitude of ASW (eq. (7)) written with
    the π⁰, η, η′ poles; for m_a → 0 it gives −2N_c Tr(κQ²) C_GG + (η, η′ mass mixing) =
    −1.96 C_GG (BNT17's NLO value: −1.92) and the π⁰ pole term −m_a²Δ/(m_π² − m_a²) of BNT17.
    Above 1.2 GeV 𝐀 is ASW's singlet, 2N_c Tr(𝐀_s Q²) = 4(2/√6) α̃_s C_GG (:func:`_A_matrix`)."""
    m = np.asarray(mass, dtype=float)
    A = _A_matrix(m, couplings)
    chiral = 2.0 * N_C * np.sum(A * _Q * _Q, axis=-1)
    f = asw_F(m)
    return chiral * f + _light_quark_loops(m, couplings) * (1.0 - f)


def C_gamma_rho_hadronic(mass, couplings: Couplings):
    """a → γ ρ⁰ coefficient in C_γγ units: F(m_a) 2N_c Tr(𝐚_V Q T_ρ), 𝐚_V = :func:`_V_matrix`.

    ASW VMD (eq. (8)): one photon of a → γγ replaced by the ρ⁰ component of the quark-charge
    matrix, Q = ρ⁰ + ω/3 − √2 φ/3, so Tr(𝐚 Q ρ⁰) = ⟨a ρ⁰ρ⁰⟩ + ⟨a ρ⁰ω⟩/3 (φ drops out for a
    diagonal 𝐚; the ω term, absent from ASW's eq. (8), is the isovector π⁰ part and changes the
    rate by ≲ 15 %). Without the direct term, ⟨a ρ⁰ρ⁰⟩ ∝ θ_η + θ_η′/√2 vanishes at 0.85 GeV as
    in ASW (0.84 GeV [digi]); with it (as before) the zero sat at 0.74 GeV."""
    m = np.asarray(mass, dtype=float)
    V = _V_matrix(m, couplings)
    return 2.0 * N_C * np.sum(V * _Q * T_RHO, axis=-1) * asw_F(m)


def g_rho() -> float:
    """ρ coupling g = g_ρππ from Γ(ρ → ππ) = g² p³/(6π m_ρ²) (PDG ρ mass and width; ≈ 5.9).
    VMD universality: γ–ρ coupling e m_ρ²/g."""
    mr, gr = pdg_mass(113), pdg_width(113)
    p = math.sqrt(mr * mr / 4.0 - m_pic() ** 2)
    return math.sqrt(6.0 * math.pi * mr * mr * gr / p**3)


def rho_propagator(s):
    """D(s) = 1/(m_ρ² − s − i m_ρ Γ_ρ(s)), p-wave running width (same as pion_form_factor)."""
    s, mr, gs = _rho_running_width(s)
    return 1.0 / (mr * mr - s - 1j * mr * gs)


def pipigamma_spectrum(mass: float, s, couplings: Couplings):
    """dΓ(a → π⁺π⁻γ)/ds up to a constant, for one ALP mass: the integrand of
    :func:`width_pipigamma` (same X(s): photon-coupling part interfering with ASW's ρ channel),
    used by the event generator to draw m²(ππ) with the spectrum of the card's couplings."""
    s = np.asarray(s, dtype=float)
    cnh = complex(np.atleast_1d(C_gamma_gamma_nonhadronic(mass, couplings))[0])
    crho = complex(np.atleast_1d(C_gamma_rho_hadronic(mass, couplings))[0])
    mpi = m_pic()
    e2 = 4.0 * math.pi * ALPHA_EM
    d = rho_propagator(s)
    x = e2 * cnh * (pdg_mass(113) ** 2 * d) / s + g_rho() ** 2 * crho * d
    beta3 = _sqrt_pos(1.0 - 4.0 * mpi * mpi / s) ** 3
    return s * np.abs(x) ** 2 * np.clip(1.0 - s / (mass * mass), 0.0, None) ** 3 * beta3


def width_pipigamma(mass, couplings: Couplings, C_nonhad=None):
    """Γ(a → π⁺π⁻γ) in GeV: photon-coupling part (Kroll–Wada, γ* → π⁺π⁻ with F_π) interfering
    with ASW's VMD part a → γρ⁰* → γπ⁺π⁻ (ASW eq. (8)):

        dΓ/ds = 4πα² m_a³/Λ² · (2/(3π))(1/4π) · s |X(s)|²/e² · (1 − s/m_a²)³ β_π³/4,
        X(s) = e² C_nh F_π(s)/s + g² C_γρ D(s),

    C_nh = C_γγ^eff minus its hadronic part, C_γρ from :func:`C_gamma_rho_hadronic`, g = g_ρππ
    (VMD universality), D the ρ propagator. For C_γρ = 0 this is Kroll–Wada exactly."""
    m = np.atleast_1d(np.asarray(mass, dtype=float))
    if C_nonhad is None:
        C_nonhad = C_gamma_gamma_nonhadronic(m, couplings)
    C_nonhad = np.broadcast_to(np.asarray(C_nonhad, dtype=complex), m.shape)
    mpi = m_pic()
    out = np.zeros_like(m)
    ok = m > 2.0 * mpi
    if ok.any():
        ma = m[ok]
        cnh = C_nonhad[ok][:, None]
        crho = np.atleast_1d(C_gamma_rho_hadronic(ma, couplings))[:, None]
        e2 = 4.0 * math.pi * ALPHA_EM
        g2 = g_rho() ** 2
        lo, hi = np.full_like(ma, 4.0 * mpi * mpi), ma * ma
        cut = np.minimum(hi, _PIPIGAMMA_SPLIT_GEV2)
        total = np.zeros_like(ma)
        mr2 = pdg_mass(113) ** 2
        for a, b in ((lo, cut), (cut, hi)):
            s, ds = _smoothstep_nodes(a, b)
            d = rho_propagator(s)
            x = e2 * cnh * (mr2 * d) / s + g2 * crho * d
            beta3 = _sqrt_pos(1.0 - 4.0 * mpi * mpi / s) ** 3
            integ = s * np.abs(x) ** 2 / e2 * (1.0 - s / (ma * ma)[:, None]) ** 3 * beta3 / 4.0
            total += np.sum(integ * ds, axis=1)
        pref = 4.0 * math.pi * ALPHA_EM**2 * ma**3 / couplings.Lambda**2
        out[ok] = pref * (2.0 / (3.0 * math.pi)) / (4.0 * math.pi) * total
    return out if np.ndim(mass) else float(out[0])


# ---- a → η π π ------------------------------------------------------------------------------
_N_DP = 40
_DP_X, _DP_W = np.polynomial.legendre.leggauss(_N_DP)
_DP_X = 0.5 * (_DP_X + 1.0)
_DP_W = 0.5 * _DP_W


def _eta_pipi_integral(M, m_pi, m_eta=None):
    """∫ |M̂|² ds₁ ds₂ /(256π³M³) for the a₀(980)-exchange amplitude of ASW eq. (S51) with unit
    coupling and no flavour factor:  M̂ = Σ_{i=1,2} (P·p_j)(p_η·p_i) BW_a₀(s_iη), j ≠ i,
    BW = 1/(m_a₀² − s − i m_a₀ Γ_a₀). P is the decaying state of mass M (array)."""
    M = np.atleast_1d(np.asarray(M, dtype=float))
    me = pdg_mass(221) if m_eta is None else m_eta
    ma0, ga0 = pdg_mass(9000111), pdg_width(9000111)
    out = np.zeros_like(M)
    ok = M > me + 2.0 * m_pi
    if not ok.any():
        return out
    Mk = M[ok][:, None, None]
    M2 = Mk * Mk
    # s1 = (p1 + pη)² over its full range; s2 over the Dalitz range at fixed s1 (smoothstep).
    s1lo, s1hi = (me + m_pi) ** 2, (Mk - m_pi) ** 2
    u = _DP_X[None, :, None]
    s1 = s1lo + (s1hi - s1lo) * u * u * (3.0 - 2.0 * u)
    w1 = (s1hi - s1lo) * 6.0 * u * (1.0 - u) * _DP_W[None, :, None]
    # invariants in the (p1 pη) rest frame
    e_eta = (s1 - m_pi**2 + me**2) / (2.0 * np.sqrt(s1))
    e_p2 = (M2 - s1 - m_pi**2) / (2.0 * np.sqrt(s1))
    pe = _sqrt_pos(e_eta**2 - me**2)
    p2 = _sqrt_pos(e_p2**2 - m_pi**2)
    s2lo = (e_eta + e_p2) ** 2 - (pe + p2) ** 2
    s2hi = (e_eta + e_p2) ** 2 - (pe - p2) ** 2
    v = _DP_X[None, None, :]
    s2 = s2lo + (s2hi - s2lo) * v * v * (3.0 - 2.0 * v)
    w2 = (s2hi - s2lo) * 6.0 * v * (1.0 - v) * _DP_W[None, None, :]
    mp2 = m_pi * m_pi

    def bw(s):
        return 1.0 / (ma0 * ma0 - s - 1j * ma0 * ga0)

    # P·p2 = (M² + m_π² − s1)/2, pη·p1 = (s1 − m_η² − m_π²)/2, and 1 ↔ 2
    amp = 0.25 * (
        (M2 + mp2 - s1) * (s1 - me * me - mp2) * bw(s1)
        + (M2 + mp2 - s2) * (s2 - me * me - mp2) * bw(s2)
    )
    val = np.sum(np.abs(amp) ** 2 * w1 * w2, axis=(1, 2))
    out[ok] = val / (256.0 * math.pi**3 * M[ok] ** 3)
    return out


@cache
def eta_prime_coupling_sq() -> float:
    """G² of the a₀-exchange amplitude fixed by Γ(η′ → ηπ⁺π⁻) + Γ(η′ → ηπ⁰π⁰) (PDG): the
    data-driven normalisation of a → ηππ (ASW's method: the ALP decays like the U(3) meson it
    mixes with)."""
    metp = pdg_mass(331)
    gam = pdg_width(331) * (BR_ETAP_ETA_PIPI_C + BR_ETAP_ETA_PIPI_0)
    i_c = _eta_pipi_integral(metp, m_pic())[0]
    i_0 = 0.5 * _eta_pipi_integral(metp, m_pi0())[0]
    return gam / (i_c + i_0)


def width_eta_pipi(mass, couplings: Couplings, charged: bool | None = None):
    """Γ(a → ηππ) in GeV (both charge modes if ``charged`` is None).

    Amplitude M(a → ηππ) = [√3 (a_u + a_d)] F(m_a) × M_η′*(m_a): the flavour factor
    Tr(𝐚 T_π T_a₀)/Tr(T_η′ T_π T_a₀) = √3(a_u + a_d) = √2 θ_η + θ_η′ (ASW: ⟨a π a₀⟩), times the
    off-shell η′ amplitude of a₀(980) exchange with derivative couplings (ASW eq. (S51)),
    normalised to the measured η′ → ηππ width. σ, f₀, f₂ exchanges of ASW are not included."""
    m = np.atleast_1d(np.asarray(mass, dtype=float))
    _, th_eta, th_etap = meson_mixing(m, couplings)
    flav2 = np.abs(math.sqrt(2.0) * th_eta + th_etap) ** 2 * asw_F(m) ** 2
    g2 = eta_prime_coupling_sq()
    out = np.zeros_like(m)
    if charged in (None, True):
        out = out + _eta_pipi_integral(m, m_pic())
    if charged in (None, False):
        out = out + 0.5 * _eta_pipi_integral(m, m_pi0())
    out = g2 * flav2 * out
    return out if np.ndim(mass) else float(out[0])
