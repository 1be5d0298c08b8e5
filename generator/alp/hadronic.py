"""Hadronic ALP widths: what is computed, from which formula, and where it is only an estimate.

Scope and approximations (read this before using the hadronic branching fractions):

* **a → π+π−π⁰, a → 3π⁰** — leading-order chiral perturbation theory (two flavours) for an ALP
  coupled to gluons and to u, d quarks. The isospin-breaking combination
  Δ = C_GG (m_d − m_u)/(m_u + m_d) + (c_uu − c_dd)/(32π²) drives both modes (BNT17 Sec. 3,
  "a → πππ"; ASW eqs. (S31)–(S33) reduce to it without η/η′ mixing). We re-derived the amplitudes
  (exponential parametrisation, a–π⁰ mass mixing + contact term):
  M(π+π−π⁰) = −ε (s − m_π²)/(F² (m_a² − m_π²)),  M(3π⁰) = −ε m_a²/(F² (m_a² − m_π²)),
  ε = 16π² Δ F m_π²/Λ, F = f_π/√2. In the isospin limit this reproduces BNT17's
  Γ = (π/6) m_a m_π⁴ Δ²/(Λ² f_π²) g_ab(m_π²/m_a²) with g₀₀ = 2/(1−r)² ∫ dz √(1−4r/z) λ^{1/2}(1,z,r)
  and g₊₋ = 12/(1−r)² ∫ dz (z−r)² √(1−4r/z) λ^{1/2}(1,z,r) (checked in tests). We integrate the
  Dalitz plot numerically with the physical π±, π⁰ masses. Not included: η/η′ mixing (ASW's U(3)
  treatment), the σ/f₀/ρ resonances of ASW's data-driven 3π, and c_ss. LO ChPT is known to fail
  not far above threshold (Di Luzio & Piazza, arXiv:2206.04061); above 1.4 GeV the width is
  faded out with ASW's suppression F(m_a)² (below) and handed to the inclusive "hadrons".

* **a → π+π−γ** — through the ALP–photon coupling only: a → γγ* with γ* → π+π− given by a
  ρ(770)-dominance pion form factor (Breit–Wigner with p-wave running width, mass and width from
  `particle`; no ω interference, no ρ′). This is the Kroll–Wada factorisation:
  dΓ/ds = Γ(a→γγ) (2α/(3πs)) (1 − s/m_a²)³ (β_π³/4) |F_π(s)|².
  ASW's gluon-induced a → ρρ* → ππγ (VMD) piece, which dominates for a gluon-coupled ALP, is
  **not** included: for C_GG ≠ 0 this channel is a lower bound.

* **a → γγ, gluon/light-quark part** — BNT17 Sec. 3 low-mass expression
  C_γγ^eff ⊃ −1.92 C_GG − m_a²/(m_π² − m_a²) Δ (1.92(4): Grilli di Cortona et al. 2016, quoted by
  BNT17), with the π⁰ pole regularised by the π⁰ width. It is multiplied by ASW's data-driven
  F(m_a) (1 below 1.4 GeV, (1.4 GeV/m_a)⁴ above 2 GeV, linear in between — the shape used in ASW
  eq. (S27) and in public re-implementations) and the perturbative light-quark loops
  Σ_{u,d,s} N_c Q_q² c_qq/(16π²) take over with weight 1 − F(m_a).

* **"hadrons"** (everything hadronic not listed: ηππ, KK̄π, 4π, ..., gluon jets) — BNT17 a → gg
  with C_GG^eff = C_GG + Σ_q c_qq B₁(4m_q²/m_a²)/(32π²) and the NLO factor
  [1 + (97/4 − 7n_q/6) α_s/π] = [1 + 83α_s/(4π)] for n_q = 3, times a smooth turn-on w(m_a) that
  rises from 0 at the lowest "other" threshold (η π⁰π⁰) to 1 at 2 GeV, minus the exclusive 3π
  widths (floored at 0), plus tree-level a → cc̄, bb̄ above the DD̄, BB̄ thresholds. **Between
  0.82 and ~2 GeV this is an order-of-magnitude interpolation, not ASW's exclusive sum**; above
  ~2–3 GeV it is the standard perturbative description (ASW, BNT17).

* **a → ππ, a → KK** — forbidden for a CP-odd ALP (parity + angular momentum); width exactly 0
  in the coupling-driven model. They exist only in the model-independent spin-0 mode (model.py).

Constants not in `particle`: f_π = 130.2 MeV (PDG 2024, "Leptonic decays of charged pseudoscalar
mesons"); α_s(M_Z) = 0.1180 (PDG 2024 world average), run at two loops with n_f = 5, 4, 3 and
continuous matching at m_b, m_c (quark masses from `particle`), frozen below μ = 1 GeV.
Neither value is in REFERENCES.md §9 yet.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache

import hepunits as u
import numpy as np
from particle import Particle

from .couplings import ALPHA_EM, Couplings, loop_B1

# ---- constants not in `particle` -----------------------------------------------------------
#: Charged-pion decay constant f_π in GeV (PDG 2024; f_π ≈ 130 MeV normalisation, F = f_π/√2).
F_PI: float = 0.1302
#: α_s(M_Z) (PDG 2024 world average).
ALPHA_S_MZ: float = 0.1180
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


# ---- α_s running ---------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _alpha_s_table():
    from scipy.integrate import solve_ivp

    mz = pdg_mass(23)
    mb, mc = pdg_mass(5), pdg_mass(4)

    def rhs(nf):
        b0 = (33.0 - 2.0 * nf) / (12.0 * math.pi)
        b1 = (153.0 - 19.0 * nf) / (24.0 * math.pi**2)
        return lambda t, a: -(b0 * a**2 + b1 * a**3)  # t = ln μ²

    segs = [(5, math.log(mz**2), math.log(mb**2)), (4, math.log(mb**2), math.log(mc**2)),
            (3, math.log(mc**2), math.log(1.0))]  # fmt: skip
    a0 = ALPHA_S_MZ
    ts, als = [], []
    for nf, t0, t1 in segs:
        grid = np.linspace(t0, t1, 200)
        sol = solve_ivp(rhs(nf), (t0, t1), [a0], t_eval=grid, rtol=1e-10, atol=1e-12)
        ts.append(sol.t)
        als.append(sol.y[0])
        a0 = sol.y[0][-1]
    t = np.concatenate(ts)[::-1]
    a = np.concatenate(als)[::-1]
    t, idx = np.unique(t, return_index=True)
    return t, a[idx]


def alpha_s(mu):
    """Two-loop α_s(μ) from α_s(M_Z) = 0.118; frozen at its μ = 1 GeV value below 1 GeV."""
    t, a = _alpha_s_table()
    lt = np.log(np.maximum(np.asarray(mu, dtype=float), 1.0) ** 2)
    return np.interp(lt, t, a)


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
def width_3pi(mass, couplings: Couplings, charged: bool, m_c=None, m_0=None, fade: bool = True):
    """Γ(a → π+π−π⁰) (charged=True) or Γ(a → 3π⁰) in GeV, LO ChPT (BNT17 Sec. 3; amplitudes in
    the module docstring), Dalitz plot integrated numerically with physical masses.

    ``m_c``/``m_0`` override the π±/π⁰ masses (tests use the isospin limit); ``fade`` applies
    ASW's F(m_a)² above 1.4 GeV. Exactly zero below threshold."""
    m = np.atleast_1d(np.asarray(mass, dtype=float))
    mc = m_pic() if m_c is None else m_c
    m0 = m_pi0() if m_0 is None else m_0
    m1 = mc if charged else m0  # the pair
    thr = 2.0 * m1 + m0
    delta = isospin_breaking_coupling(couplings)
    out = np.zeros_like(m)
    ok = m > thr
    if delta == 0.0 or not ok.any():
        return out if np.ndim(mass) else float(out[0])
    ma = m[ok]
    ma2 = ma * ma
    s, ds = _smoothstep_nodes(np.full_like(ma, 4.0 * m1 * m1), (ma - m0) ** 2)
    dt = _sqrt_pos(_kallen(ma2[:, None], s, m0 * m0)) * _sqrt_pos(1.0 - 4.0 * m1 * m1 / s)
    pref = 512.0 * math.pi**4 * delta**2 * m0**4 / (F_PI**2 * couplings.Lambda**2)
    den = (ma2 - m0 * m0) ** 2
    if charged:
        amp2 = pref * (s - m0 * m0) ** 2 / den[:, None]
        sym = 1.0
    else:
        amp2 = pref * (ma2 * ma2 / den)[:, None] * np.ones_like(s)
        sym = 1.0 / 6.0
    gam = sym * np.sum(amp2 * dt * ds, axis=1) / (256.0 * math.pi**3 * ma2 * ma)
    if fade:
        gam = gam * asw_F(ma) ** 2
    out[ok] = gam
    return out if np.ndim(mass) else float(out[0])


_PIPIGAMMA_SPLIT_GEV2 = 1.5**2


# ---- a → π+π−γ -----------------------------------------------------------------------------
def pion_form_factor(s):
    """|F_π(s)|² with ρ(770) dominance: m_ρ²/(m_ρ² − s − i m_ρ Γ_ρ(s)), p-wave running width."""
    mr, gr, mpi = pdg_mass(113), pdg_width(113), m_pic()
    s = np.asarray(s, dtype=float)
    p = _sqrt_pos(s / 4.0 - mpi * mpi)
    pr = math.sqrt(mr * mr / 4.0 - mpi * mpi)
    gs = gr * (mr / np.sqrt(np.maximum(s, 1e-300))) * (p / pr) ** 3
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


# ---- gluon/light-quark contribution to C_γγ^eff ---------------------------------------------
def C_gamma_gamma_hadronic(mass, couplings: Couplings):
    """Hadronic part of C_γγ^eff (complex): chiral term × F(m_a) + light-quark loops × (1 − F)."""
    m = np.asarray(mass, dtype=float)
    mp, gp = m_pi0(), pdg_width(111)
    delta = isospin_breaking_coupling(couplings)
    pole = m * m / (mp * mp - m * m - 1j * mp * gp)
    chiral = -CHIRAL_GG_TO_GAMMA * couplings.C_GG - pole * delta
    light = 0j
    for pid, q, cq in ((2, 2.0 / 3.0, couplings.c_uu), (1, -1.0 / 3.0, couplings.c_dd),
                       (3, -1.0 / 3.0, couplings.c_ss)):  # fmt: skip
        if cq:
            tau = 4.0 * pdg_mass(pid) ** 2 / np.maximum(m, 1e-300) ** 2
            light = light + 3.0 * q * q * cq / (16.0 * math.pi**2) * loop_B1(tau)
    f = asw_F(m)
    return chiral * f + light * (1.0 - f)


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


def inclusive_turn_on(mass):
    """Smooth weight w(m_a): 0 at the η π⁰π⁰ threshold, 1 from 2 GeV (C¹ smoothstep)."""
    m = np.asarray(mass, dtype=float)
    lo = hadrons_threshold()
    x = np.clip((m - lo) / (INCLUSIVE_FULL_GEV - lo), 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def width_hadrons_rest(mass, couplings: Couplings, exclusive_3pi):
    """'hadrons': max(w Γ_gg − Γ_3π(excl.), 0) + Γ(cc̄, bb̄); see the module docstring."""
    m = np.asarray(mass, dtype=float)
    gg = inclusive_turn_on(m) * width_gluons(m, couplings)
    return np.maximum(gg - exclusive_3pi, 0.0) + width_heavy_quarks(m, couplings)
