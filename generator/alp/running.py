"""ALP couplings given at a scale μ₀ (≥ the ALP mass), run to the scale of each process.

Source: Bauer, Neubert, Renner, Schnubel, Thamm, "The low-energy effective theory of axions and
ALPs", JHEP 04 (2021) 063, arXiv:2012.12272 ("BNRST20"); the same equations as the reference
implementation ALPaca (Alda et al., arXiv:2508.08354, modules ``rge.run_high``, ``rge.matching``,
``rge.run_low``), so that the two can be compared number by number (validation/alpaca_compare.py).

Three steps, each vectorised over nothing heavier than a handful of scalars:

1. **Above the weak scale** (μ₀ → μ_w): one-loop RG equations of the chiral couplings
   c_Q, c_u, c_d, c_L, c_e (flavour diagonal in the up-quark mass basis) with the top Yukawa
   and the gauge couplings (BNRST20 eq. (24), the y_t-only form of eq. (18); gauge-invariant
   combinations c̃_GG, c̃_WW, c̃_BB of eq. (20); field-redefinition constants b_u = −1,
   b_d = b_e = 1, b_Q = b_L = 0 as in ALPaca). The SM couplings run at one loop from M_Z
   (:func:`sm_couplings`). ``running="numerical"`` integrates the equations; ``"leading-log"``
   takes one step with the β functions at μ₀ (BNRST20's leading-log solution, ALPaca's
   ``integrator='leadinglog'``); ``"none"`` keeps the couplings as given.
2. **Matching at μ_w** (BNRST20 Sec. 5; ALPaca ``match``/``match_FCNC_d``): the diagonal
   couplings receive the one-loop top-Yukawa and W/Z/γZ threshold terms, and the down-type
   coupling matrix c_dL is c_Q in the down mass basis after the running plus the top/W loop
   matching with x_t = m_t²/M_W²: its off-diagonal part is the flavour-changing [k_d]_ij, its
   diagonal enters the axial c_dd, c_ss, c_bb (for a top-coupled ALP the loop term moves c_bb
   by about 7 %); μ_w = 100 GeV
   (ALPaca's default ``ew_scale``). Light Yukawas (y_b, y_c, y_τ …) are neglected.
3. **Below μ_w** (μ_w → μ ~ m_a): QCD and QED running of the axial quark and lepton couplings
   from c̃_GG and c̃_γγ (BNRST20 Sec. 6; ALPaca ``run_low``); off-diagonal couplings do not
   run there.

Conventions. Internally the BNRST20 f-normalisation with f = Λ: c_GG = 16π² C_GG,
c_WW = 16π² C_WW, c_BB = 16π² C_BB (their α_i/(4π) c_XX a/f X X̃ against BNT17's
g_i² C_XX a/Λ X X̃), and the axial coupling of BNT17 is c_ff = c_R − c_L. ``basis = "BNT17"``
(the default, Bauer–Neubert–Thamm JHEP 12 (2017) 044, arXiv:1708.00443) assigns each axial
c_ff given at μ₀ to the right-handed singlet (c_Q = c_L = 0 at μ₀, so there is no tree-level
flavour change, as in the top-coupled benchmark of arXiv:2201.06580 Sec. 2);
``basis = "BNRST20"`` reads the card's C_GG, C_WW, C_BB as BNRST20's c_GG, c_WW, c_BB (the
fermion couplings are the same numbers in both).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import scipy.constants as sc

from ...pdg import mass as pdg_mass
from .strong_coupling import ALPHA_S_MZ
from .strong_coupling import alpha_s as alpha_s_low

#: Bases a card may give the couplings in (see the module docstring).
BASES: tuple[str, ...] = ("BNT17", "BNRST20")
#: How the couplings are run from their scale to the process scale.
RUNNING: tuple[str, ...] = ("numerical", "leading-log", "none")
#: Matching scale μ_w in GeV (ALPaca's default ``ew_scale``; the μ_w dependence cancels at LL).
EW_SCALE_GEV: float = 100.0

#: 1/α̂(M_Z) in the MS-bar scheme (PDG 2024, Electroweak model review, Table 10.2 inputs).
INV_ALPHA_MSBAR_MZ: float = 127.951
#: sin²θ̂_W(M_Z) in the MS-bar scheme (PDG 2024, Electroweak model review). scipy.constants'
#: "weak mixing angle" is the on-shell 1 − M_W²/M_Z², a different quantity.
SIN2_THETA_W_MSBAR_MZ: float = 0.23122
#: Fermi constant in GeV⁻² (scipy.constants, CODATA).
G_FERMI: float = sc.physical_constants["Fermi coupling constant"][0]
#: |V_td|, |V_ts|, |V_tb| of the global CKM fit, PDG 2024 review "CKM quark-mixing matrix"
#: eq. (12.27) (no library holds the CKM matrix). Only the products V*_ti V_tj enter.
V_TD, V_TS, V_TB = 0.00858, 0.04111, 0.999118

_N_GEN = 3
# hypercharge (SM normalisation), weak isospin and charge of each chiral multiplet component
_T3Q = {"uL": 0.5, "dL": -0.5, "nuL": 0.5, "eL": -0.5, "uR": 0.0, "dR": 0.0, "eR": 0.0}
_QF = {"uL": 2 / 3, "dL": -1 / 3, "nuL": 0.0, "eL": -1.0, "uR": 2 / 3, "dR": -1 / 3, "eR": -1.0}


# ---- SM couplings ------------------------------------------------------------------------
def _top_msbar_over_pole(a_s: float) -> float:
    """m̄_t(M_t)/M_t = 1 − (4/3)(α_s/π) − 6.458 (α_s/π)² for n_l = 5 (Gray, Broadhurst, Grafe,
    Schilcher, Z. Phys. C48 (1990) 673: M/m̄ = 1 + (4/3)a + (13.4434 − 1.0414 n_l) a², inverted)."""
    a = a_s / math.pi
    return 1.0 - 4.0 / 3.0 * a - (13.4434 - 1.0414 * 5 - 16.0 / 9.0) * a * a


@lru_cache(maxsize=1)
def _sm_solution():
    """One-loop SM running of (α₁, α₂, α_s, y_t) in t = ln μ from M_t upwards and downwards.

    Gauge β: dα_i/dt = b_i α_i²/(2π), b = (41/6, −19/6, −7) above M_t (−23/3 for α_s below),
    plus the two-loop QCD term −(102 − 38n_f/3) α_s³/(8π²) (PDG 2024, QCD review eq. (9.3));
    dy_t/dt = y_t [9/2 y_t² − 8 g_s² − 9/4 g² − 17/12 g′²]/(16π²) (Machacek–Vaughn, NPB 236
    (1984) 221, y_t only). Inputs at M_Z: α_s(M_Z), α̂(M_Z), ŝ²_W (PDG 2024); y_t(M_t) from the
    pole mass (particle) via the two-loop MS-bar relation and v = (√2 G_F)^(−1/2)."""
    from scipy.integrate import solve_ivp

    mz, mt = pdg_mass(23), pdg_mass(6)
    a_em = 1.0 / INV_ALPHA_MSBAR_MZ
    a1_z = a_em / (1.0 - SIN2_THETA_W_MSBAR_MZ)
    a2_z = a_em / SIN2_THETA_W_MSBAR_MZ
    lz, lt = math.log(mz), math.log(mt)

    def alpha_1loop(a0, b, dt):
        return a0 / (1.0 - b * a0 / (2.0 * math.pi) * dt)

    a1_t = alpha_1loop(a1_z, 41.0 / 6.0, lt - lz)
    a2_t = alpha_1loop(a2_z, -19.0 / 6.0, lt - lz)
    from scipy.integrate import solve_ivp as _ivp

    def qcd(nf):
        b0, b1 = 11.0 - 2.0 * nf / 3.0, 102.0 - 38.0 * nf / 3.0
        return lambda t, a: [-b0 * a[0] ** 2 / (2 * math.pi) - b1 * a[0] ** 3 / (8 * math.pi**2)]

    as_t = float(_ivp(qcd(5), (lz, lt), [ALPHA_S_MZ], rtol=1e-10, atol=1e-12).y[0, -1])
    vev = (math.sqrt(2.0) * G_FERMI) ** -0.5
    yt_t = math.sqrt(2.0) * mt * _top_msbar_over_pole(as_t) / vev

    def rhs(t, y):
        a1, a2, a3, yt = y
        nf = 6 if t > lt else 5
        b0, b1 = 11.0 - 2.0 * nf / 3.0, 102.0 - 38.0 * nf / 3.0
        g1s, g2s, g3s = 4 * math.pi * a1, 4 * math.pi * a2, 4 * math.pi * a3
        return [
            41.0 / 6.0 * a1 * a1 / (2 * math.pi),
            -19.0 / 6.0 * a2 * a2 / (2 * math.pi),
            -b0 * a3 * a3 / (2 * math.pi) - b1 * a3**3 / (8 * math.pi**2),
            yt * (4.5 * yt * yt - 8 * g3s - 2.25 * g2s - 17.0 / 12.0 * g1s) / (16 * math.pi**2),
        ]

    y0 = [a1_t, a2_t, as_t, yt_t]
    up = solve_ivp(rhs, (lt, math.log(1e19)), y0, dense_output=True, rtol=1e-9, atol=1e-12)
    down = solve_ivp(rhs, (lt, lz - 1.0), y0, dense_output=True, rtol=1e-9, atol=1e-12)
    return lt, up.sol, down.sol


def sm_couplings(mu: float) -> dict[str, float]:
    """MS-bar α₁ (= g′²/4π), α₂, α_s, α_em, s²_W and y_t at μ ≥ 30 GeV (one-loop, see
    :func:`_sm_solution`)."""
    lt, up, down = _sm_solution()
    t = math.log(mu)
    a1, a2, a3, yt = (up if t >= lt else down)(t)
    return {
        "alpha_1": float(a1),
        "alpha_2": float(a2),
        "alpha_s": float(a3),
        "alpha_em": float(a1 * a2 / (a1 + a2)),
        "s2w": float(a1 / (a1 + a2)),
        "y_t": float(yt),
    }


def v_top(i: int, j: int) -> float:
    """V*_ti V_tj for down-type generations i, j (0 = d, 1 = s, 2 = b), PDG moduli; the CP phase
    is dropped (rates depend on |V*_ti V_tj|; V_ts < 0 in the standard parametrisation)."""
    v = (V_TD, -V_TS, V_TB)
    return v[i] * v[j]


# ---- the state: chiral couplings above the weak scale -----------------------------------
@dataclass(frozen=True)
class Chiral:
    """Diagonal chiral couplings (BNRST20 normalisation, f = Λ) in the up-quark mass basis:
    arrays of 3 generations for c_Q, c_u, c_d, c_L, c_e; gauge couplings c_GG, c_WW, c_BB."""

    cQ: np.ndarray
    cu: np.ndarray
    cd: np.ndarray
    cL: np.ndarray
    ce: np.ndarray
    cG: float
    cW: float
    cB: float
    #: y_t to use in the weak-scale matching (None: the SM value at μ_w); the leading-log
    #: solution carries its own one-step y_t, as ALPaca's ``run_leadinglog`` does.
    y_t: float | None = None

    def vector(self) -> np.ndarray:
        return np.concatenate([self.cQ, self.cu, self.cd, self.cL, self.ce])

    def with_vector(self, x: np.ndarray) -> Chiral:
        x = np.asarray(x, dtype=float)
        return replace(self, cQ=x[0:3], cu=x[3:6], cd=x[6:9], cL=x[9:12], ce=x[12:15])


def chiral_from_couplings(c) -> Chiral:
    """Chiral couplings at the card scale from a :class:`~.couplings.Couplings` (BNT17 fields):
    each axial c_ff into the right-handed singlet, gauge couplings × 16π² (module docstring)."""
    k = 16.0 * math.pi**2
    return Chiral(
        cQ=np.zeros(3),
        cu=np.array([c.c_uu, c.c_cc, c.c_tt], dtype=float),
        cd=np.array([c.c_dd, c.c_ss, c.c_bb], dtype=float),
        cL=np.zeros(3),
        ce=np.array([c.c_ee, c.c_mumu, c.c_tautau], dtype=float),
        cG=k * c.C_GG,
        cW=k * c.C_WW,
        cB=k * c.C_BB,
    )


def _tildes(s: Chiral) -> tuple[float, float, float]:
    """c̃_GG, c̃_WW, c̃_BB (BNRST20 eq. (20)): invariant under fermion field redefinitions."""
    cG = s.cG - 0.5 * np.sum(2.0 * s.cQ - s.cu - s.cd)
    cW = s.cW - 0.5 * np.sum(3.0 * s.cQ + s.cL)
    cB = s.cB + np.sum(4 / 3 * s.cu + 1 / 3 * s.cd - 1 / 6 * s.cQ + s.ce - 0.5 * s.cL)
    return float(cG), float(cW), float(cB)


def _beta_above(s: Chiral, sm: dict[str, float]) -> np.ndarray:
    """16π² dc/d ln μ of (c_Q, c_u, c_d, c_L, c_e): BNRST20 eq. (24) (y_t only; b_u = −1,
    b_d = b_e = 1, b_Q = b_L = 0)."""
    yt2 = sm["y_t"] ** 2
    a_s, a_1, a_2 = sm["alpha_s"], sm["alpha_1"], sm["alpha_2"]
    cGt, cWt, cBt = _tildes(s)
    ctt = s.cu[2] - s.cQ[2]
    e3 = np.array([0.0, 0.0, 1.0])
    one = np.ones(3)
    bQ = -yt2 * ctt * e3 + one * (-16 * a_s**2 * cGt - 9 * a_2**2 * cWt - a_1**2 * cBt / 3)
    bu = 2 * yt2 * ctt * (e3 + 3 * one) + one * (16 * a_s**2 * cGt + 16 / 3 * a_1**2 * cBt)
    bd = one * (-6 * yt2 * ctt + 16 * a_s**2 * cGt + 4 / 3 * a_1**2 * cBt)
    bL = one * (-9 * a_2**2 * cWt - 3 * a_1**2 * cBt)
    be = one * (-6 * yt2 * ctt + 12 * a_1**2 * cBt)
    return np.concatenate([bQ, bu, bd, bL, be])


def run_above(s: Chiral, mu_from: float, mu_to: float, running: str) -> Chiral:
    """Chiral couplings at ``mu_to`` from ``mu_from`` (both ≥ μ_w), BNRST20 eq. (24)."""
    if running == "none" or mu_from == mu_to:
        return s
    k = 16.0 * math.pi**2
    if running == "leading-log":
        sm = sm_couplings(mu_from)
        beta = _beta_above(s, sm)
        step = math.log(mu_to / mu_from) / k
        yt, a_s, a_1, a_2 = sm["y_t"], sm["alpha_s"], sm["alpha_1"], sm["alpha_2"]
        beta_yt = yt * (4.5 * yt**2 - 4 * math.pi * (8 * a_s + 2.25 * a_2 + 17 / 12 * a_1))
        return replace(s.with_vector(s.vector() + beta * step), y_t=yt + beta_yt * step)
    from scipy.integrate import solve_ivp

    def rhs(t, x):
        return _beta_above(s.with_vector(x), sm_couplings(math.exp(t))) / k

    sol = solve_ivp(rhs, (math.log(mu_from), math.log(mu_to)), s.vector(), rtol=1e-11, atol=1e-14)
    return s.with_vector(sol.y[:, -1])


# ---- matching at μ_w ---------------------------------------------------------------------
@dataclass(frozen=True)
class LowEnergy:
    """Couplings below the weak scale at ``scale`` (GeV), BNRST20 normalisation (f = Λ): axial
    couplings ``axial`` keyed 'u','d','s','c','b','e','mu','tau'; c_GG and c_γγ; and the
    left-handed down-type flavour-changing couplings ``k_d[(i, j)]`` (i, j = 0 d, 1 s, 2 b), whose
    coupling is (∂_μ a/Λ) k_ij d̄_Li γ^μ d_Lj."""

    scale: float
    axial: dict[str, float]
    cG: float
    cgamma: float
    k_d: dict[tuple[int, int], float]


_UP, _DOWN, _LEPT = ("u", "c", "t"), ("d", "s", "b"), ("e", "mu", "tau")


def match_weak(s: Chiral, mu_w: float = EW_SCALE_GEV) -> LowEnergy:
    """One-loop matching at μ_w (BNRST20 Sec. 5; ALPaca ``match`` without the two-loop 'tilde'
    option): threshold corrections Δk_F of the diagonal couplings and the FCNC [k_d]_ij."""
    sm = sm_couplings(mu_w)
    yt2 = (sm["y_t"] if s.y_t is None else s.y_t) ** 2
    a_em, s2w = sm["alpha_em"], sm["s2w"]
    c2w = 1.0 - s2w
    mt, mw, mz = pdg_mass(6), pdg_mass(24), pdg_mass(23)
    delta1 = -11.0 / 3.0
    cgamma = s.cW + s.cB
    cgz = c2w * s.cW - s2w * s.cB
    cz = c2w**2 * s.cW + s2w**2 * s.cB
    ctt = s.cu[2] - s.cQ[2]
    lw, lz = math.log(mu_w**2 / mw**2), math.log(mu_w**2 / mz**2)

    def dk(f: str) -> float:
        t3, q = _T3Q[f], _QF[f]
        g = t3 - q * s2w
        return 3.0 / (8 * math.pi**2) * (
            yt2 * ctt * g * math.log(mu_w**2 / mt**2)
            + a_em**2 * (0.5 * s.cW / s2w**2 * (lw + 0.5 + delta1)
                         + 2 * cgz / (s2w * c2w) * q * g * (lz + 1.5 + delta1)
                         + cz / (s2w**2 * c2w**2) * g * g * (lz + 0.5 + delta1))
        )  # fmt: skip

    x_t = mt**2 / mw**2
    gx = (1.0 - x_t + math.log(x_t)) / (1.0 - x_t) ** 2
    hx = (1.0 - x_t + x_t * math.log(x_t)) / (1.0 - x_t) ** 2
    logm = math.log(mu_w**2 / mt**2)
    cuL33 = s.cQ[2]
    bracket = (
        2.0 * cuL33 * (-0.25 * logm - 0.375 + 0.75 * gx)
        + cuL33
        + s.cu[2] * (0.5 * logm - 0.25 - 1.5 * gx)
        - 1.5 * a_em / (math.pi * s2w) * s.cW * hx
    )

    def cdl(i: int, j: int) -> float:
        """[c_dL]_ij in the down mass basis: V† diag(c_Q) V = c_Q1 δ_ij + (c_Q3 − c_Q1) V*_ti V_tj
        (c_Q1 = c_Q2: the running treats the first two generations alike), plus the top–W loop
        y_t²/(16π²)·[…]·V*_ti V_tj (BNRST20 Sec. 5; ALPaca ``match_FCNC_d``), which belongs to the
        whole matrix, its diagonal included (|V_tb|² for the b, |V_ts|², |V_td|² for s, d)."""
        vt = v_top(i, j)
        return (s.cQ[2] - s.cQ[0]) * vt + yt2 / (16 * math.pi**2) * bracket * vt

    axial = {}
    for i, f in enumerate(_UP[:2]):
        axial[f] = s.cu[i] + dk("uR") - (s.cQ[i] + dk("uL"))
    for i, f in enumerate(_DOWN):
        axial[f] = s.cd[i] + dk("dR") - (s.cQ[0] + cdl(i, i) + dk("dL"))
    for i, f in enumerate(_LEPT):
        axial[f] = s.ce[i] + dk("eR") - (s.cL[i] + dk("eL"))
    k_d = {(i, j): cdl(i, j) for (i, j) in ((1, 2), (0, 1), (0, 2))}
    return LowEnergy(mu_w, axial, s.cG, cgamma, k_d)


# ---- below μ_w ---------------------------------------------------------------------------
_QUARK_CHARGE = {"u": 2 / 3, "c": 2 / 3, "d": -1 / 3, "s": -1 / 3, "b": -1 / 3}


@lru_cache(maxsize=1)
def _alpha_s_sq_integral_table():
    """J(ln μ) = ∫_{ln μ}^{ln μ_w} α_s²/π² d ln μ′ on a grid (α_s two-loop, frozen below 1 GeV)."""
    t = np.linspace(math.log(1e-3), math.log(EW_SCALE_GEV), 2000)
    f = alpha_s_low(np.exp(t)) ** 2 / math.pi**2
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(t))])
    return t, cum[-1] - cum


def run_below(low: LowEnergy, mu: float, running: str) -> LowEnergy:
    """Axial couplings at μ < μ_w: dc_f/d ln μ = 2[α_s²/π² c̃_GG + ¾ α²/π² Q_f² c̃_γγ]/(16π²)
    for quarks (Q_f² only for leptons), BNRST20 Sec. 6 (ALPaca ``run_low.beta``), with
    c̃_GG = c_GG + ½ Σ_q c_qq, c̃_γγ = c_γγ + Σ_f N_c Q_f² c_ff over the light flavours, held at
    their μ_w values (their own running is higher order). ``numerical``: α_s(μ) under the
    integral (two-loop, frozen below 1 GeV); ``leading-log``: α_s(μ_w) (one step)."""
    if running == "none" or mu >= low.scale:
        return replace(low, scale=mu) if running == "none" else low
    ax = low.axial
    cGt = low.cG + 0.5 * sum(ax[q] for q in _QUARK_CHARGE)
    cgt = low.cgamma + sum(3 * _QUARK_CHARGE[q] ** 2 * ax[q] for q in _QUARK_CHARGE)
    cgt += sum(ax[lep] for lep in _LEPT)
    ln = math.log(low.scale / mu)  # > 0
    if running == "leading-log":
        j_s = (sm_couplings(low.scale)["alpha_s"] / math.pi) ** 2 * ln
    else:
        t, table = _alpha_s_sq_integral_table()
        j_s = float(np.interp(math.log(mu), t, table))
    a = sc.alpha  # α(0): the QED term is O(α²), its scale is beyond the precision here
    j_e = (a / math.pi) ** 2 * ln
    k = 16.0 * math.pi**2
    out = {}
    for f, v in ax.items():
        q2 = _QUARK_CHARGE.get(f, -1.0) ** 2
        gluon = cGt * j_s if f in _QUARK_CHARGE else 0.0
        out[f] = v - 2.0 * (gluon + 0.75 * q2 * cgt * j_e) / k
    return LowEnergy(mu, out, low.cG, low.cgamma, low.k_d)


# ---- public entry point ------------------------------------------------------------------
@lru_cache(maxsize=256)
def at_weak_scale(c) -> LowEnergy:
    """Couplings of ``c`` (a :class:`~.couplings.Couplings`) just below μ_w: run from the card
    scale to μ_w and matched. Couplings given below μ_w are not run above it; the matching's
    finite parts (FCNC from the W and top loops) are kept and the result is put at their scale."""
    start = c.start_scale
    s = chiral_from_couplings(c)
    if start > EW_SCALE_GEV:
        s = run_above(s, start, EW_SCALE_GEV, c.running)
    low = match_weak(s)
    return replace(low, scale=start) if start < EW_SCALE_GEV else low


def evolve(c, mu: float) -> LowEnergy:
    """Couplings of ``c`` at the process scale ``mu`` (GeV, ≤ the card scale)."""
    if not (math.isfinite(mu) and mu > 0):
        raise ValueError(f"scale must be a positive number of GeV, got {mu!r}")
    return run_below(at_weak_scale(c), float(mu), c.running)


def g_down_fcnc(c, i: int = 1, j: int = 2) -> float:
    """Flavour-changing coupling g_ij = [k_d]_ij/Λ in GeV⁻¹ of (∂_μ a) d̄_Li γ^μ d_Lj
    (default b → s: i = s, j = b), after running and matching (frozen below μ_w)."""
    return at_weak_scale(c).k_d[(i, j)] / c.Lambda
