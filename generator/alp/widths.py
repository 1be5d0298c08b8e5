"""ALP partial widths (GeV), total width, branching fractions and cτ.

Couplings follow the BNT17 convention of :mod:`.couplings`. Each width function names its source;
the hadronic ones (and their approximations) are documented in :mod:`.hadronic`. All functions are
vectorised over ``mass`` (GeV, scalar or numpy array) and return exactly 0 below threshold.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...pdg import HBARC_GEV_MM
from . import hadronic as _had
from .couplings import ALPHA_EM, Couplings
from .hadronic import pdg_mass
from .photon_coupling import C_gamma_gamma_nonhadronic

#: Final states known to alpsim, in a fixed order.
FINAL_STATES: tuple[str, ...] = (
    "gamma gamma",
    "e+ e-",
    "mu+ mu-",
    "tau+ tau-",
    "pi+ pi- pi0",
    "pi0 pi0 pi0",
    "pi+ pi- gamma",
    "hadrons",
    "pi+ pi-",
    "K+ K-",
    "invisible",
)

#: Final states a CP-odd ALP cannot reach (two pseudoscalars in an L = 0 state are CP-even):
#: zero width in the coupling-driven model, allowed only for a model-independent spin-0 state.
CP_FORBIDDEN: tuple[str, ...] = ("pi+ pi-", "K+ K-")


_LEPTON_PDG = {"e+ e-": (11, "e"), "mu+ mu-": (13, "mu"), "tau+ tau-": (15, "tau")}


def thresholds(m_chi: float = 0.0) -> dict[str, float]:
    """Kinematic threshold mass (GeV) of each final state; 'invisible' is 2 m_χ."""
    me, mmu, mtau = pdg_mass(11), pdg_mass(13), pdg_mass(15)
    mpc, mp0, mk = pdg_mass(211), pdg_mass(111), pdg_mass(321)
    return {
        "gamma gamma": 0.0,
        "e+ e-": 2.0 * me,
        "mu+ mu-": 2.0 * mmu,
        "tau+ tau-": 2.0 * mtau,
        "pi+ pi- pi0": 2.0 * mpc + mp0,
        "pi0 pi0 pi0": 3.0 * mp0,
        "pi+ pi- gamma": 2.0 * mpc,
        "hadrons": _had.hadrons_threshold(),
        "pi+ pi-": 2.0 * mpc,
        "K+ K-": 2.0 * mk,
        "invisible": 2.0 * float(m_chi),
    }


def _beta(mass, m_f):
    """β = √(1 − 4m_f²/m_a²), 0 below threshold."""
    m = np.asarray(mass, dtype=float)
    return np.sqrt(np.maximum(1.0 - 4.0 * m_f * m_f / np.maximum(m, 1e-300) ** 2, 0.0))


def C_gamma_gamma_eff(mass, couplings: Couplings):
    """Effective photon coupling (complex), BNT17 Sec. 3 (one-loop, below the weak scale):

    C_γγ^eff = C_γγ + Σ_ℓ c_ℓℓ B₁(τ_ℓ)/(16π²) + Σ_{Q=c,b,t} 3 Q_Q² c_QQ B₁(τ_Q)/(16π²)
               + (2α/π)(C_WW/s_W²) B₂(τ_W) + [gluon / light-quark part, see hadronic.py],

    τ_f = 4m_f²/m_a². Without the 1/(16π²) the fermion term is the
    f-normalised (BNRST20) form, c_γγ^eff = c_γγ + Σ N_c Q_f² c_ff B₁; in the Λ-normalisation
    (e² C_γγ a F F̃/Λ, c_ff/2 derivative couplings) the anomaly gives the 1/(16π²)."""
    total = C_gamma_gamma_nonhadronic(mass, couplings)
    c = couplings
    if c.C_GG or c.c_uu or c.c_dd or c.c_ss:
        m = np.maximum(np.asarray(mass, dtype=float), 1e-300)
        total = total + _had.C_gamma_gamma_hadronic(m, c)
    return total


def width_gamma_gamma(mass, couplings: Couplings):
    """Γ(a→γγ) = 4π α(0)² m_a³ |C_γγ^eff|²/Λ² (BNT17 Sec. 3; = g_aγγ² m_a³/(64π)), GeV."""
    m = np.asarray(mass, dtype=float)
    c2 = np.abs(C_gamma_gamma_eff(m, couplings)) ** 2
    return 4.0 * math.pi * ALPHA_EM**2 * m**3 * c2 / couplings.Lambda**2


#: δ₁ = −11/3, the scheme constant of the one-loop a → ℓℓ correction (BNT17 Sec. 3).
DELTA_1: float = -11.0 / 3.0


def _g_photon_loop(tau: float) -> complex:
    """BNT17's loop function g(τ) of the photon-induced a → ℓℓ amplitude (Sec. 3), from its
    Feynman-parameter integral (the representation ALPaca's ``common.g_photonloop`` uses):
    g = 5 + (4/3) ∫₀¹ dx (1 − 4τ(1−x)² − 2x + 4x²) arctan(x/D)/D, D = √(τ(1−x)² − x²)."""
    from scipy.integrate import quad

    t = tau * (1 - 1e-8j)

    def f(x):
        den = np.sqrt(t * (1 - x) ** 2 - x * x + 0j)
        return (1 - 4 * t * (1 - x) ** 2 - 2 * x + 4 * x * x) / den * np.arctan(x / den)

    with warnings.catch_warnings():  # integrable end-point behaviour; 1e-6 is plenty here
        warnings.simplefilter("ignore")
        re = quad(lambda x: f(x).real, 0.0, 1.0, limit=200, epsrel=1e-6)[0]
        im = quad(lambda x: f(x).imag, 0.0, 1.0, limit=200, epsrel=1e-6)[0]
    return 5.0 + 4.0 / 3.0 * complex(re, im)


def lepton_coupling_eff(mass: float, couplings: Couplings, flavour: str) -> complex:
    """c_ℓℓ^eff = c_ℓℓ − 12 α² C_γγ [ln(m_a²/m_ℓ²) + δ₁ + g(τ_ℓ)] (BNT17 Sec. 3, μ = m_a): the
    one-loop a → γ*γ* → ℓℓ amplitude of a photon coupling (for the BNT17 normalisation
    e² C_γγ; BNRST20's 12 Q_ℓ² (α/4π)² c_γγ with c_γγ = 16π² C_γγ)."""
    cl = couplings.lepton(flavour)
    cg = couplings.C_gamma_gamma
    if cg == 0.0:
        return complex(cl)
    ml = pdg_mass({"e": 11, "mu": 13, "tau": 15}[flavour])
    tau = 4.0 * ml * ml / (mass * mass)
    bracket = math.log(mass * mass / (ml * ml)) + DELTA_1 + _g_photon_loop(tau)
    return cl - 12.0 * ALPHA_EM**2 * cg * bracket


def width_leptons(mass, couplings: Couplings, final_state: str, loops: bool = True):
    """Γ(a→ℓ⁺ℓ⁻) = m_a m_ℓ² |c_ℓℓ^eff|² β_ℓ/(8πΛ²) (BNT17 Sec. 3; β to the first power for a
    pseudoscalar), c_ℓℓ^eff of :func:`lepton_coupling_eff` (its photon-loop term matters only
    for an ALP without a tree-level lepton coupling); ``loops=False``: the tree-level c_ℓℓ."""
    pid, flav = _LEPTON_PDG[final_state]
    ml = pdg_mass(pid)
    m = np.asarray(mass, dtype=float)
    if couplings.C_gamma_gamma == 0.0 or not loops:
        c2 = couplings.lepton(flav) ** 2
    else:
        c2 = np.array(
            [abs(lepton_coupling_eff(float(x), couplings, flav)) ** 2 if x > 2 * ml else 0.0
             for x in np.atleast_1d(m)]
        ).reshape(m.shape)  # fmt: skip
    return m * ml * ml * c2 * _beta(m, ml) / (8.0 * math.pi * couplings.Lambda**2)


def width_invisible(mass, couplings: Couplings):
    """Γ(a→χχ̄) = m_a m_χ² |c_χ|² β_χ/(8πΛ²) (same form as the lepton width, BNT17 Sec. 3)."""
    m = np.asarray(mass, dtype=float)
    mc = couplings.m_chi
    return m * mc * mc * couplings.c_chi**2 * _beta(m, mc) / (8.0 * math.pi * couplings.Lambda**2)


def partial_widths(mass, couplings: Couplings) -> dict[str, float | np.ndarray]:
    """All partial widths in GeV, keyed by :data:`FINAL_STATES` (floats for a scalar mass, arrays
    for an array of masses). 'pi+ pi-' and 'K+ K-' are exactly 0 (CP-odd ALP).

    Couplings that run (``couplings.runs``) are evaluated at μ = m_a (:meth:`Couplings.at_scale`,
    Bauer et al. arXiv:2012.12272, as ALPaca does), one mass at a time."""
    scalar = np.ndim(mass) == 0
    m = np.atleast_1d(np.asarray(mass, dtype=float))
    if np.any(~np.isfinite(m)) or np.any(m <= 0):
        raise ValueError(f"ALP mass must be finite and > 0 GeV, got {mass!r}")
    if couplings.runs:
        if np.any(m > couplings.start_scale):
            raise ValueError(
                f"ALP mass {float(np.max(m)):g} GeV is above the couplings' scale "
                f"{couplings.start_scale:g} GeV"
            )
        rows = [_partial_widths(np.array([mi]), couplings.at_scale(float(mi)), True) for mi in m]
        out = {k: np.concatenate([r[k] for r in rows]) for k in FINAL_STATES}
    else:
        out = _partial_widths(m, couplings, False)
    if scalar:
        return {k: float(v[0]) for k, v in out.items()}
    return out


def _partial_widths(m: np.ndarray, couplings: Couplings, loops: bool) -> dict[str, np.ndarray]:
    """Partial widths at the masses ``m`` for fixed couplings; ``loops``: the one-loop
    photon term of a → ℓℓ (on with running, off for couplings taken as given)."""
    g_gg = width_gamma_gamma(m, couplings)
    g3c = _had.width_3pi(m, couplings, charged=True)
    g30 = _had.width_3pi(m, couplings, charged=False)
    out = {
        "gamma gamma": g_gg,
        "e+ e-": width_leptons(m, couplings, "e+ e-", loops),
        "mu+ mu-": width_leptons(m, couplings, "mu+ mu-", loops),
        "tau+ tau-": width_leptons(m, couplings, "tau+ tau-", loops),
        "pi+ pi- pi0": g3c,
        "pi0 pi0 pi0": g30,
        "pi+ pi- gamma": _had.width_pipigamma(m, couplings),
        "hadrons": _had.width_hadrons_rest(m, couplings, g3c + g30),
        "pi+ pi-": np.zeros_like(m),
        "K+ K-": np.zeros_like(m),
        "invisible": width_invisible(m, couplings),
    }
    return out


def total_width(mass, couplings: Couplings):
    """Sum of :func:`partial_widths` (GeV)."""
    pw = partial_widths(mass, couplings)
    return sum(pw[k] for k in FINAL_STATES)


def branching_fractions(mass, couplings: Couplings) -> dict[str, float | np.ndarray]:
    """Partial widths divided by the total (all zero where the total width is zero)."""
    pw = partial_widths(mass, couplings)
    tot = sum(pw[k] for k in FINAL_STATES)
    safe = np.where(np.asarray(tot) > 0, tot, 1.0)
    res = {k: np.where(np.asarray(tot) > 0, pw[k] / safe, 0.0) for k in FINAL_STATES}
    if np.ndim(mass) == 0:
        return {k: float(v) for k, v in res.items()}
    return res


def ctau_mm(width):
    """cτ = ħc/Γ in mm (ħc from hepunits); +inf for Γ = 0. Vectorised."""
    w = np.asarray(width, dtype=float)
    if np.any(w < 0) or np.any(np.isnan(w)):
        raise ValueError(f"width must be >= 0 GeV, got {width!r}")
    with np.errstate(divide="ignore"):
        out = np.where(w > 0, HBARC_GEV_MM / np.where(w > 0, w, 1.0), np.inf)
    return float(out) if np.ndim(width) == 0 else out
