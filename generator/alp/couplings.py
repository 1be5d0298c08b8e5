"""ALP couplings in one convention: BNT17 Λ-normalisation.

Convention (Bauer, Neubert, Thamm, arXiv:1708.00443, eq. (1) and (4); "BNT17")::

    L ⊃ e² C_γγ (a/Λ) F F̃ + g_s² C_GG (a/Λ) G G̃ + g² C_WW (a/Λ) W W̃ + g'² C_BB (a/Λ) B B̃
        + Σ_f (c_ff/2) (∂^μ a/Λ) f̄ γ_μ γ₅ f

with F̃^{μν} = ½ ε^{μνρσ} F_ρσ. Because the gauge couplings are written out in front of each
field-strength term, the photon coupling below the electroweak scale is (BNT17 eq. (4))

    C_γγ = C_WW + C_BB .

Note: the project brief quoted ``C_γγ = C_WW s_W² + C_BB c_W²``; that relation holds for operators
normalised *without* the explicit g², g'² (e.g. e² C̃_WW a W W̃/Λ). With the BNT17 normalisation used
here it would contradict ``g_aW = 4 g² C_WW/Λ`` together with ``g_aγγ = s_W² g_aW`` (ILS, BaBar).
We keep BNT17's own relation, which reproduces g_aγγ = s_W² g_aW for an ALP coupled only to SU(2)_L.

Conversions to the "g" convention (L = −¼ g_aγγ a F F̃, −¼ g_aW a W W̃; g in GeV⁻¹; ILS,
PRL 118 (2017) 111802):

    g_aγγ = 4 e² C_γγ / Λ = 16 π α C_γγ / Λ,      g_aW = 4 g² C_WW / Λ,  g² = e²/s_W².

α choice: every photon coupling uses α(0), the fine-structure constant of scipy.constants
(CODATA). Real photons couple with α(0); using α(m_a) instead would raise Γ(a→γγ) at fixed C_γγ
by 1–7 % over 1 MeV–10 GeV (ALPaca, arXiv:2508.08354, uses α(m_a): the validation's ratio plot
shows this). For the g-convention conversions α cancels in Γ(a→γγ) = g_aγγ² m_a³/(64π), so
reference numbers quoted in g are reproduced exactly whatever α is. sin²θ_W = 0.23122, MS-bar at
M_Z (PDG 2024, Electroweak model review; scipy's "weak mixing angle" is the on-shell value
1 − M_W²/M_Z² = 0.223, a different quantity), used for g_aγγ = s_W² g_aW (ILS, BaBar).

Scale, basis and running: the couplings are given at ``scale`` (GeV; default Λ) in ``basis``
("BNT17" or "BNRST20", see :mod:`.running`) and run to the scale of each process with
``running`` = "numerical" (default), "leading-log" or "none" (Bauer et al., JHEP 04 (2021) 063,
arXiv:2012.12272). :meth:`Couplings.at_scale` gives the low-energy couplings at μ.

Lepton-flavour-violating couplings c_τμ, c_τe (same normalisation as c_ff) and the dark fermion
χ (mass m_chi in GeV, axial coupling c_chi, same normalisation) are stored here for the channel
modules (τ→ℓa) and for a→χχ̄.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import scipy.constants as sc

from .running import SIN2_THETA_W_MSBAR_MZ

#: Fine-structure constant α(0) (scipy.constants, CODATA).
ALPHA_EM: float = sc.alpha
#: sin²θ̂_W(M_Z), MS-bar (PDG 2024, Electroweak model review; not held by a library), written
#: once in .running.
SIN2_THETA_W: float = SIN2_THETA_W_MSBAR_MZ
#: e² = 4πα(0).
E2: float = 4.0 * math.pi * ALPHA_EM
#: SU(2)_L coupling squared g² = e²/s_W².
G2_WEAK: float = E2 / SIN2_THETA_W

#: Default new-physics scale Λ in GeV.
DEFAULT_LAMBDA_GEV: float = 1000.0


def g_agamma_from_C(C_gamma_gamma: float, Lambda: float = DEFAULT_LAMBDA_GEV) -> float:
    """g_aγγ [GeV⁻¹] = 4 e² C_γγ/Λ (BNT17 ↔ ILS conventions)."""
    return 4.0 * E2 * C_gamma_gamma / Lambda


def C_from_g_agamma(g_agamma: float, Lambda: float = DEFAULT_LAMBDA_GEV) -> float:
    """C_γγ = g_aγγ Λ/(4 e²), the inverse of :func:`g_agamma_from_C`."""
    return g_agamma * Lambda / (4.0 * E2)


def g_aW_from_C_WW(C_WW: float, Lambda: float = DEFAULT_LAMBDA_GEV) -> float:
    """g_aW [GeV⁻¹] = 4 g² C_WW/Λ with g² = e²/s_W² (ILS)."""
    return 4.0 * G2_WEAK * C_WW / Lambda


def C_WW_from_g_aW(g_aW: float, Lambda: float = DEFAULT_LAMBDA_GEV) -> float:
    """C_WW = g_aW Λ/(4 g²), the inverse of :func:`g_aW_from_C_WW`."""
    return g_aW * Lambda / (4.0 * G2_WEAK)


_LEPTONS = ("c_ee", "c_mumu", "c_tautau")
_QUARKS = ("c_uu", "c_dd", "c_ss", "c_cc", "c_bb", "c_tt")


@dataclass(frozen=True)
class Couplings:
    """ALP Wilson coefficients in the BNT17 Λ-normalisation (dimensionless; Λ in GeV).

    ``C_gamma_gamma`` (a property) is C_WW + C_BB. Flavour-diagonal fermion couplings are the
    axial couplings c_ff of BNT17; ``c_taumu``/``c_taue`` are LFV couplings (stored only);
    ``m_chi`` [GeV] and ``c_chi`` describe a dark Dirac fermion χ for a → χχ̄.
    """

    C_WW: float = 0.0
    C_BB: float = 0.0
    C_GG: float = 0.0
    c_ee: float = 0.0
    c_mumu: float = 0.0
    c_tautau: float = 0.0
    c_uu: float = 0.0
    c_dd: float = 0.0
    c_ss: float = 0.0
    c_cc: float = 0.0
    c_bb: float = 0.0
    c_tt: float = 0.0
    c_taumu: float = 0.0
    c_taue: float = 0.0
    m_chi: float = 0.0
    c_chi: float = 0.0
    Lambda: float = DEFAULT_LAMBDA_GEV
    #: scale μ₀ [GeV] at which the couplings are given (None: Λ); basis and running of
    #: :mod:`.running` (input basis only for the record: the fields are always BNT17's).
    scale: float | None = None
    basis: str = "BNT17"
    running: str = "numerical"

    def __post_init__(self) -> None:
        from .running import BASES, RUNNING

        if self.basis not in BASES:
            raise ValueError(f"Couplings.basis: {self.basis!r} is not one of {', '.join(BASES)}")
        if self.running not in RUNNING:
            raise ValueError(
                f"Couplings.running: {self.running!r} is not one of {', '.join(RUNNING)}"
            )
        if self.scale is not None and not (
            isinstance(self.scale, (int, float)) and math.isfinite(self.scale) and self.scale > 0
        ):
            raise ValueError(f"Couplings.scale: {self.scale!r} GeV must be positive")
        for f in fields(self):
            if f.name in ("scale", "basis", "running"):
                continue
            v = getattr(self, f.name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                raise ValueError(f"Couplings.{f.name}: {v!r} is not a finite number")
        if self.Lambda <= 0:
            raise ValueError(f"Couplings.Lambda: {self.Lambda!r} GeV must be positive")
        if self.m_chi < 0:
            raise ValueError(f"Couplings.m_chi: {self.m_chi!r} GeV must be >= 0")

    # ---- scale ----------------------------------------------------------------------------
    @property
    def start_scale(self) -> float:
        """Scale μ₀ in GeV at which the couplings are given (Λ unless ``scale`` is set)."""
        return self.Lambda if self.scale is None else float(self.scale)

    @property
    def runs(self) -> bool:
        """True if the couplings are run from μ₀ to the process scale (``running`` ≠ "none")."""
        return self.running != "none"

    def at_scale(self, mu: float) -> Couplings:
        """The flavour-diagonal couplings at μ ≤ μ₀ (GeV) after running and weak-scale matching
        (:mod:`.running`), as fixed couplings (``running = "none"``, ``scale = μ``). The top
        is integrated out at μ_w (its effects live on in the induced couplings); C_GG, C_WW and
        C_BB do not run at one loop."""
        if not self.runs:
            return self
        from .running import evolve

        low = evolve(self, mu)
        ax = low.axial
        return replace(
            self,
            c_uu=ax["u"], c_dd=ax["d"], c_ss=ax["s"], c_cc=ax["c"], c_bb=ax["b"], c_tt=0.0,
            c_ee=ax["e"], c_mumu=ax["mu"], c_tautau=ax["tau"],
            scale=float(mu), running="none",
        )  # fmt: skip

    def describe_scale(self) -> str:
        """One line: basis, Λ, input scale and running (printed by `alpsim alp`)."""
        return (
            f"couplings in basis {self.basis} at scale {self.start_scale:g} GeV "
            f"(Λ = {self.Lambda:g} GeV), running: {self.running}"
        )

    # ---- derived quantities -------------------------------------------------------------
    @property
    def C_gamma_gamma(self) -> float:
        """Tree-level photon coupling C_γγ = C_WW + C_BB (BNT17 eq. (4))."""
        return self.C_WW + self.C_BB

    @property
    def g_agamma(self) -> float:
        """Tree-level g_aγγ in GeV⁻¹ (4e²C_γγ/Λ)."""
        return g_agamma_from_C(self.C_gamma_gamma, self.Lambda)

    @property
    def g_aW(self) -> float:
        """g_aW in GeV⁻¹ (4g²C_WW/Λ)."""
        return g_aW_from_C_WW(self.C_WW, self.Lambda)

    def lepton(self, flavour: str) -> float:
        """Diagonal lepton coupling for 'e', 'mu' or 'tau'."""
        return {"e": self.c_ee, "mu": self.c_mumu, "tau": self.c_tautau}[flavour]

    def scaled(self, factor: float) -> Couplings:
        """All couplings (not Λ, not m_chi) multiplied by ``factor``."""
        kw = {
            f.name: getattr(self, f.name) * factor
            for f in fields(self)
            if f.name not in ("Lambda", "m_chi", "scale", "basis", "running")
        }
        return replace(self, **kw)

    # ---- constructors -------------------------------------------------------------------
    @classmethod
    def from_g_agamma(cls, g_agamma: float, Lambda: float = DEFAULT_LAMBDA_GEV, **kw) -> Couplings:
        """Photon-coupled ALP from g_aγγ [GeV⁻¹], put in C_BB (so g_aW = 0, as for a
        "photon-dominated" ALP in ILS/BaBar/Belle II; C_WW vs C_BB does not matter for the decays
        below 10 GeV). Extra keyword couplings are passed through."""
        return cls(C_BB=C_from_g_agamma(g_agamma, Lambda), Lambda=Lambda, **kw)

    @classmethod
    def from_g_aW(cls, g_aW: float, Lambda: float = DEFAULT_LAMBDA_GEV, **kw) -> Couplings:
        """ALP coupled to SU(2)_L only (ILS): C_WW from g_aW; then g_aγγ = s_W² g_aW."""
        return cls(C_WW=C_WW_from_g_aW(g_aW, Lambda), Lambda=Lambda, **kw)

    @classmethod
    def lepton_universal(cls, c_ll: float, Lambda: float = DEFAULT_LAMBDA_GEV, **kw) -> Couplings:
        """c_ee = c_μμ = c_ττ = c_ll."""
        return cls(**dict.fromkeys(_LEPTONS, c_ll), Lambda=Lambda, **kw)

    @classmethod
    def quark_universal(cls, c_qq: float, Lambda: float = DEFAULT_LAMBDA_GEV, **kw) -> Couplings:
        """c_uu = c_dd = c_ss = c_cc = c_bb = c_tt = c_qq."""
        return cls(**dict.fromkeys(_QUARKS, c_qq), Lambda=Lambda, **kw)

    @classmethod
    def fermion_universal(cls, c_ff: float, Lambda: float = DEFAULT_LAMBDA_GEV, **kw) -> Couplings:
        """All diagonal SM fermion couplings equal to c_ff."""
        return cls(**dict.fromkeys(_LEPTONS + _QUARKS, c_ff), Lambda=Lambda, **kw)


# ---- one-loop functions of BNT17 (eq. (14) and (20)); shared by widths.py and hadronic.py ----
def _one_minus_sqrt_one_minus(x):
    """1 − √(1 − x) without cancellation for small x (x ≤ 1)."""
    import numpy as np

    return x / (1.0 + np.sqrt(1.0 - x))


def loop_f(tau):
    """BNT17 f(τ): arcsin(1/√τ) for τ ≥ 1; π/2 + (i/2) ln[(1+√(1−τ))/(1−√(1−τ))] for τ < 1.

    Vectorised; returns a complex array (BNT17 eq. (14)).
    """
    import numpy as np

    tau = np.asarray(tau, dtype=float)
    out = np.empty(tau.shape, dtype=complex)
    hi = tau >= 1.0
    out[hi] = np.arcsin(1.0 / np.sqrt(tau[hi]))
    t = tau[~hi]
    root = np.sqrt(1.0 - t)
    out[~hi] = 0.5 * np.pi + 0.5j * np.log((1.0 + root) / _one_minus_sqrt_one_minus(t))
    return out


def loop_B1(tau):
    """BNT17 B₁(τ) = 1 − τ f²(τ) (complex below threshold τ < 1); B₁ → 1 for τ → 0 and
    B₁ → −1/(3τ) for τ → ∞ (series used above τ = 1e3 to avoid cancellation)."""
    import numpy as np

    tau = np.asarray(tau, dtype=float)
    big = tau > 1.0e3
    ts = np.where(big, 2.0, tau)  # placeholder value where the series is used
    exact = 1.0 - ts * loop_f(ts) ** 2
    inv = 1.0 / np.where(big, tau, 1.0)
    series = -inv / 3.0 - 8.0 * inv**2 / 45.0
    return np.where(big, series + 0j, exact)


def loop_B2(tau):
    """BNT17 B₂(τ) = 1 − (τ − 1) f²(τ) (W loop in C_γγ^eff); → 2/(3τ) for τ → ∞."""
    import numpy as np

    tau = np.asarray(tau, dtype=float)
    big = tau > 1.0e3
    ts = np.where(big, 2.0, tau)
    exact = 1.0 - (ts - 1.0) * loop_f(ts) ** 2
    inv = 1.0 / np.where(big, tau, 1.0)
    series = 2.0 * inv / 3.0 + 7.0 * inv**2 / 45.0
    return np.where(big, series + 0j, exact)
