"""τ decays: branching fractions from EvtGen's table and vectorised decay kinematics.

Modes (named for the τ−; the τ+ gets the charge conjugates):

==============  ==================================  ==============================================
mode            τ− final state (template)            model
==============  ==================================  ==============================================
"e nu nu"       e− ν̄e ντ                            Michel spectrum, SM V−A, lepton mass kept
"mu nu nu"      μ− ν̄μ ντ                            same
"pi nu"         π− ντ                                two-body, 1 + P cosθ
"rho nu"        ρ−(→π−π0) ντ, π0→γγ                  CVC ρ line shape, helicity-correct angles
"3pi nu"        a1−(→ρ0π−, ρ0→π+π−) ντ              a1 → ρπ Breit–Wigner cascade (see below)
"pi 2pi0 nu"    a1−(→ρ−π0, ρ−→π−π0) ντ, π0→γγ        same
==============  ==================================  ==============================================

The five modes of the issue are the first five; "pi 2pi0 nu" is the second 3π charge state,
without which the listed modes cover 0.81 instead of 0.90 of the τ width.

Branching fractions: `tau_branching_fractions` parses the ``Decay tau-`` block of the EvtGen
decay file bundled with `decaylanguage` (default ``DECAY_BELLE2.DEC``, Belle II's EvtGen table;
``DECAY_LHCB.DEC`` also works) with `decaylanguage.DecFileParser`, and sums, for each mode, the
channels with exactly the daughters listed in `_DEC_CHANNELS` (e.g. "rho nu" = ``rho- nu_tau``
plus ``pi- pi0 nu_tau``). Radiative channels (``... gamma``) are not counted.

Polarisation: an optional per-event longitudinal polarisation P ∈ [−1, 1] of the τ along an
axis given in the τ rest frame (reached from the lab by a pure boost; default: the τ flight
direction in the lab, i.e. the lab helicity axis). Leptons follow the polarised Michel
distribution; π the 1 ± P cosθ law; ρ and a1 the helicity decomposition below. Neutrinos
are massless (not a PDG number: the SM value).
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

import numpy as np
from numpy.typing import NDArray

from ..pdg import mass as pdg_mass
from ..pdg import width as pdg_width
from .builder import BlockBuilder
from .kinematics import (
    boost,
    directions,
    four_vector,
    mass,
    two_body_decay,
    two_body_momentum,
    velocity,
)
from .three_body import sample_tabulated

Array = NDArray[np.float64]

TAU, NU_E, NU_MU, NU_TAU = 15, 12, 14, 16
ELECTRON, MUON, PI_PLUS, PI0, GAMMA = 11, 13, 211, 111, 22
RHO_PLUS, RHO0, A1_PLUS = 213, 113, 20213

TAU_MODES: tuple[str, ...] = ("e nu nu", "mu nu nu", "pi nu", "rho nu", "3pi nu", "pi 2pi0 nu")

#: EvtGen τ− channels (daughter names as in the .DEC file) summed into each mode.
_DEC_CHANNELS: dict[str, tuple[tuple[str, ...], ...]] = {
    "e nu nu": (("e-", "anti-nu_e", "nu_tau"),),
    "mu nu nu": (("mu-", "anti-nu_mu", "nu_tau"),),
    "pi nu": (("pi-", "nu_tau"),),
    "rho nu": (("rho-", "nu_tau"), ("pi-", "pi0", "nu_tau")),
    "3pi nu": (("pi-", "pi-", "pi+", "nu_tau"),),
    "pi 2pi0 nu": (("pi-", "pi0", "pi0", "nu_tau"),),
}

DEFAULT_DECFILE = "DECAY_BELLE2.DEC"


# ---- branching fractions ---------------------------------------------------------------------
@cache
def _tau_dec_modes(decfile: str) -> tuple[tuple[float, tuple[str, ...]], ...]:
    """(BF, sorted daughters) of every channel of the τ− block of a decaylanguage data file."""
    from decaylanguage import DecFileParser

    text = files("decaylanguage.data").joinpath(decfile).read_text()
    block = re.search(r"^Decay tau-\s*$.*?^Enddecay", text, re.S | re.M)
    if block is None:
        raise ValueError(f"no 'Decay tau-' block in {decfile}")
    parser = DecFileParser.from_string(block.group(0) + "\nEnd\n")
    parser.parse()
    chains = parser.build_decay_chains("tau-")["tau-"]
    return tuple((float(c["bf"]), tuple(sorted(c["fs"]))) for c in chains)


@cache
def tau_branching_fractions(decfile: str = DEFAULT_DECFILE) -> dict[str, float]:
    """BF(τ → mode) for every mode of TAU_MODES from the EvtGen table `decfile` (see module doc).

    The table's BFs sum to 1 over all its channels; these are the sums of the matching channels.
    """
    modes = _tau_dec_modes(decfile)
    out = {}
    for mode, channels in _DEC_CHANNELS.items():
        wanted = {tuple(sorted(c)) for c in channels}
        out[mode] = sum(bf for bf, fs in modes if fs in wanted)
    return out


def tau_mode_fractions(modes: list[str] | tuple[str, ...]) -> list[float]:
    """BFs of the selected τ modes normalised to sum to 1 (for splitting events into blocks)."""
    bfs = tau_branching_fractions()
    for m in modes:
        if m not in bfs:
            raise ValueError(f"unknown tau mode {m!r}; allowed: {TAU_MODES}")
    total = sum(bfs[m] for m in modes)
    return [bfs[m] / total for m in modes]


# ---- helpers ---------------------------------------------------------------------------------
def _charge_sign(builder: BlockBuilder, index: int) -> int:
    """+1 for a τ−, −1 for a τ+ (PDG id 15 is the τ−)."""
    pid = builder._pdg[index]  # BlockBuilder has no public pdg accessor
    if abs(pid) != TAU:
        raise ValueError(f"template particle {index} is {pid}, not a tau")
    return 1 if pid > 0 else -1


def rejection_sample(
    rng: np.random.Generator,
    n: int,
    trial,
    acceptance: float = 0.5,
    max_trials: int = 64,
) -> list[Array]:
    """Accept–reject for n events, each with its own density, in a few vectorised passes.

    `trial(rng, todo, r)` draws r independent trials for each pending event `todo` (k,) and
    returns (values, ok): a tuple of (k, r) arrays and the (k, r) acceptance mask. Each event
    keeps its first accepted trial, which has the event's target distribution exactly as with
    one trial per pass (its trials are independent and identically distributed); drawing
    r ≈ 1.5/acceptance trials at once (acceptance: the one seen in the previous pass) takes a
    handful of passes instead of hundreds of nearly empty ones. Returns one (n,) array per value.
    """
    outs: list[Array] = []
    todo = np.arange(n)
    while todo.size:
        r = int(min(max_trials, np.ceil(1.5 / max(acceptance, 1.0 / max_trials))))
        values, ok = trial(rng, todo, r)
        if not outs:
            outs = [np.empty(n, dtype=v.dtype) for v in values]
        hit = ok.any(axis=1)
        rows = np.flatnonzero(hit)
        first = ok.argmax(axis=1)[rows]
        for out, v in zip(outs, values, strict=True):
            out[todo[rows]] = v[rows, first]
        acceptance = float(ok.mean())
        todo = todo[~hit]
    return outs


def _polarisation(n: int, polarisation: Array | float | None) -> Array:
    p = np.zeros(n) if polarisation is None else np.broadcast_to(np.asarray(polarisation), (n,))
    if np.any(np.abs(p) > 1.0):
        raise ValueError("polarisation must lie in [-1, 1]")
    return np.asarray(p, dtype=float)


def sample_linear_cos(rng: np.random.Generator, slope: Array) -> Array:
    """cosθ with density (1 + a cosθ)/2 on [−1, 1], |a| ≤ 1, by exact inversion of the CDF."""
    a = np.asarray(slope, dtype=float)
    u = rng.random(a.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (np.sqrt((1.0 - a) ** 2 + 4.0 * a * u) - 1.0) / a
    return np.clip(np.where(np.abs(a) < 1e-9, 2.0 * u - 1.0, c), -1.0, 1.0)


def decay_pi0(rng: np.random.Generator, builder: BlockBuilder, index: int) -> None:
    """π0 → γγ (98.8 %; the Dalitz decay is neglected), isotropic; the builder draws the vertex."""
    g1, g2 = two_body_decay(rng, builder.p4(index), 0.0, 0.0)
    builder.add(GAMMA, g1, mother=index)
    builder.add(GAMMA, g2, mother=index)


def _boost_from_rest(k: Array, parent: Array, parent_mass: Array) -> Array:
    """Four-vectors k given in the rest frame of `parent` (mass M) into the parent's frame.

    k'_E = (P_E k_E + P·k)/M, k' = k + P (k_E + P·k/(P_E + M))/M (Jackson eq. 11.19 written
    with the parent four-momentum): no 1 − β² cancellation for nearly light-like parents.
    """
    pk = np.sum(parent[:, :3] * k[:, :3], axis=-1)
    out = np.empty_like(k)
    out[:, 3] = (parent[:, 3] * k[:, 3] + pk) / parent_mass
    coef = (k[:, 3] + pk / (parent[:, 3] + parent_mass)) / parent_mass
    out[:, :3] = k[:, :3] + coef[:, None] * parent[:, :3]
    return out


# ---- leptonic: Michel spectrum ------------------------------------------------------------------
def michel_density(x: Array, cos_theta: Array, x0: float, pol_sign: Array) -> Array:
    """d²Γ/(dx dcosθ) for τ → ℓνν̄, SM Michel parameters ρ = δ = 3/4, η = 0, ξ = 1 (unnormalised).

    PDG Review "Muon decay parameters" (Fetscher & Gerber), with W = (m_τ² + m_ℓ²)/(2m_τ),
    x = E_ℓ/W, x0 = m_ℓ/W:  √(x² − x0²) [F_IS(x) + s P cosθ F_AS(x)] × 6,
    6 F_IS = 3x − 2x² − x0²,  6 F_AS = 2 √(x² − x0²) (x − 1 + √(1 − x0²)/2),
    which for x0 → 0 is x²[(3 − 2x) + s P cosθ (2x − 1)], i.e. dΓ/dx = 2x²(3 − 2x) normalised.
    `pol_sign` = s P: for the τ− the charged lepton goes opposite to the spin (V−A helicity
    argument at x = 1), s = −1; for the τ+ s = +1.
    """
    r = np.sqrt(np.maximum(x * x - x0 * x0, 0.0))
    f_is = 3.0 * x - 2.0 * x * x - x0 * x0
    f_as = 2.0 * r * (x - 1.0 + 0.5 * np.sqrt(1.0 - x0 * x0))
    return r * (f_is + pol_sign * cos_theta * f_as)


def _sample_michel(rng: np.random.Generator, x0: float, pol_sign: Array) -> tuple[Array, Array]:
    """(x, cosθ) from `michel_density` by accept–reject (the density is ≤ 2 on [x0, 1]×[−1, 1])."""

    def trial(rng, todo, r):
        xt = x0 + (1.0 - x0) * rng.random((todo.size, r))
        ct = rng.uniform(-1.0, 1.0, (todo.size, r))
        ok = rng.random((todo.size, r)) * 2.0 < michel_density(xt, ct, x0, pol_sign[todo, None])
        return (xt, ct), ok

    x, c = rejection_sample(rng, pol_sign.size, trial)
    return x, c


def _leptonic(rng, builder, tau, q, lepton, pol, axis) -> None:
    tau_p4 = builder.p4(tau)
    n = tau_p4.shape[0]
    m_tau = mass(tau_p4)
    m_l = pdg_mass(lepton)
    w = (m_tau * m_tau + m_l * m_l) / (2.0 * m_tau)
    x0 = float(np.max(m_l / w))
    x, c = _sample_michel(rng, x0, -q * pol)
    e_l = x * w
    p_l = w * np.sqrt(np.maximum(x * x - (m_l / w) ** 2, 0.0))
    d = directions(c, rng.uniform(0.0, 2.0 * np.pi, n), axis)
    lep = np.empty((n, 4))
    lep[:, :3] = p_l[:, None] * d
    lep[:, 3] = e_l
    # νν̄ system: recoil of the lepton, q² = 2 m_τ W (1 − x); decays isotropically (approximation:
    # the V−A correlation between the two neutrinos is not modelled; both are invisible).
    nunu = np.empty((n, 4))
    nunu[:, :3] = -lep[:, :3]
    nunu[:, 3] = m_tau - e_l
    q_mass = np.sqrt(np.maximum(2.0 * m_tau * w * (1.0 - x), 0.0))
    k = np.empty((n, 4))
    k[:, :3] = (
        0.5 * q_mass[:, None] * directions(rng.uniform(-1, 1, n), rng.uniform(0, 2 * np.pi, n))
    )
    k[:, 3] = 0.5 * q_mass
    with np.errstate(invalid="ignore", divide="ignore"):
        nu1 = _boost_from_rest(k, nunu, q_mass)
    nu1 = np.where(q_mass[:, None] > 0, nu1, 0.5 * nunu)
    nu2 = nunu - nu1
    beta = velocity(tau_p4)
    nu_l = NU_E if lepton == ELECTRON else NU_MU
    builder.add(q * lepton, boost(lep, beta), mother=tau)
    builder.add(-q * nu_l, boost(nu1, beta), mother=tau)
    builder.add(q * NU_TAU, boost(nu2, beta), mother=tau)


# ---- τ → π ν -----------------------------------------------------------------------------------
def _pi_nu(rng, builder, tau, q, pol, axis) -> None:
    """τ− → π− ντ: p* = (m_τ² − m_π²)/(2m_τ), dΓ/dcosθ ∝ 1 + P cosθ (τ+: 1 − P cosθ).

    Tsai, PRD 4 (1971) 2821; Bullock, Hagiwara, Martin, Nucl. Phys. B395 (1993) 499, eq. (2.5).
    """
    tau_p4 = builder.p4(tau)
    n = tau_p4.shape[0]
    m_tau = mass(tau_p4)
    m_pi = pdg_mass(PI_PLUS)
    c = sample_linear_cos(rng, q * pol)
    pstar = two_body_momentum(m_tau, m_pi, 0.0)
    d = directions(c, rng.uniform(0.0, 2.0 * np.pi, n), axis)
    pi = four_vector(pstar[:, None] * d, m_pi)
    nu = four_vector(-pstar[:, None] * d, 0.0)
    beta = velocity(tau_p4)
    builder.add(-q * PI_PLUS, boost(pi, beta), mother=tau)
    builder.add(q * NU_TAU, boost(nu, beta), mother=tau)


# ---- line shapes -------------------------------------------------------------------------------
def rho_line_shape(s: Array, m_rho: float, g_rho: float, ma: float, mb: float) -> Array:
    """|BW_ρ(s)|² m_ρ⁴ with the p-wave running width Γ(s) = Γ_ρ (m_ρ/√s)(p(s)/p(m_ρ²))³.

    Kühn & Santamaria, Z. Phys. C 48 (1990) 445, eqs. (19)–(20) (ρ term only, no ρ′).
    """
    sq = np.sqrt(np.maximum(s, 1e-300))
    p = np.nan_to_num(two_body_momentum(sq, ma, mb))
    p0 = float(two_body_momentum(m_rho, ma, mb))
    gs = g_rho * (m_rho / sq) * (p / p0) ** 3
    return m_rho**4 / ((m_rho * m_rho - s) ** 2 + (m_rho * gs) ** 2)


def tau_hadronic_weight(q2: Array, m_tau: float) -> Array:
    """τ → ν + hadrons of mass² Q² through a spin-1 current: (1 − Q²/m_τ²)² (1 + 2Q²/m_τ²).

    Tsai, PRD 4 (1971) 2821; Kühn & Santamaria 1990 eq. (9): dΓ/dQ² ∝ this × spectral function.
    The two terms are the longitudinal (m_τ²) and transverse (2Q²) hadron helicities.
    """
    r = q2 / (m_tau * m_tau)
    return (1.0 - r) ** 2 * (1.0 + 2.0 * r)


@cache
def rho_nu_grid() -> tuple[Array, Array]:
    """s grid and dΓ/ds for τ → ρν → ππ0ν: weight × β³ |F_π(s)|² with β = 2p*/√s (CVC)."""
    m_tau, mpi, mpi0 = pdg_mass(TAU), pdg_mass(PI_PLUS), pdg_mass(PI0)
    s = np.linspace((mpi + mpi0) ** 2, m_tau * m_tau, 8193)
    beta = np.nan_to_num(2.0 * two_body_momentum(np.sqrt(s), mpi, mpi0) / np.sqrt(s))
    rho = rho_line_shape(s, pdg_mass(RHO_PLUS), pdg_width(RHO_PLUS), mpi, mpi0)
    return s, tau_hadronic_weight(s, m_tau) * beta**3 * rho


def _vector_direction(rng, q, pol, s, m_tau):
    """(cosθ of V along the spin axis, cosψ of the V decay about its flight direction).

    Helicity decomposition of τ− → V ν (Bullock–Hagiwara–Martin 1993, sec. 2): λ_V = 0 with
    weight m_τ² (1 + P cosθ) cos²ψ, λ_V = −1 with weight 2Q² (1 − P cosθ) sin²ψ/2 (|d¹_{10}|²).
    τ+: P → −P. The λ = 0/−1 interference (an azimuthal correlation about the V direction for
    P ≠ 0) is neglected; it vanishes for P = 0, and the θ and ψ marginals are exact.
    """
    a = np.broadcast_to(q * pol, s.shape)
    mt2 = np.broadcast_to(m_tau * m_tau, s.shape)

    def trial(rng, todo, r):
        ct = rng.uniform(-1.0, 1.0, (todo.size, r))
        pt = rng.uniform(-1.0, 1.0, (todo.size, r))
        at, st, m2 = a[todo, None], s[todo, None], mt2[todo, None]
        w = m2 * (1 + at * ct) * pt * pt + st * (1 - at * ct) * (1 - pt * pt)
        ok = rng.random((todo.size, r)) * m2 * (1.0 + np.abs(at)) < w
        return (ct, pt), ok

    c, cpsi = rejection_sample(rng, s.size, trial)
    return c, cpsi


def _rho_nu(rng, builder, tau, q, pol, axis) -> None:
    """τ− → ρ− ντ, ρ− → π− π0 (π0 → γγ): s from `rho_nu_grid`, angles from `_vector_direction`."""
    tau_p4 = builder.p4(tau)
    n = tau_p4.shape[0]
    m_tau = mass(tau_p4)
    mpi, mpi0 = pdg_mass(PI_PLUS), pdg_mass(PI0)
    grid, dens = rho_nu_grid()
    s = sample_tabulated(rng, n, grid, dens)
    s = np.clip(s, (mpi + mpi0) ** 2 * (1 + 1e-12), (m_tau * (1 - 1e-12)) ** 2)
    c, cpsi = _vector_direction(rng, q, pol, s, m_tau)
    m_rho = np.sqrt(s)
    pstar = two_body_momentum(m_tau, m_rho, 0.0)
    d = directions(c, rng.uniform(0.0, 2.0 * np.pi, n), axis)
    rho = four_vector(pstar[:, None] * d, m_rho)
    nu = four_vector(-pstar[:, None] * d, 0.0)
    # ρ helicity axis = its flight direction in the τ rest frame (unchanged by the boost).
    pi, pi0 = two_body_decay(rng, rho, mpi, mpi0, cos_theta=cpsi, axis=d)
    beta = velocity(tau_p4)
    i_nu = builder.add(q * NU_TAU, boost(nu, beta), mother=tau)
    i_rho = builder.add(-q * RHO_PLUS, boost(rho, beta), mother=tau)
    builder.add(-q * PI_PLUS, boost(pi, beta), mother=i_rho)
    i_pi0 = builder.add(PI0, boost(pi0, beta), mother=i_rho)
    decay_pi0(rng, builder, i_pi0)
    del i_nu


# ---- τ → 3π ν: a1 → ρ π cascade ----------------------------------------------------------------
def _three_pi_masses(neutral: bool) -> tuple[float, float, float, float, float]:
    """(m_ρ-daughter a, m_ρ-daughter b, m_bachelor π, m_ρ, Γ_ρ) for the 3π charge state."""
    mpi, mpi0 = pdg_mass(PI_PLUS), pdg_mass(PI0)
    if neutral:  # a1− → ρ− π0, ρ− → π− π0
        return mpi, mpi0, mpi0, pdg_mass(RHO_PLUS), pdg_width(RHO_PLUS)
    return mpi, mpi, mpi, pdg_mass(RHO0), pdg_width(RHO0)  # a1− → ρ0 π−, ρ0 → π+ π−


def a1_weight(q2: Array, s: Array, neutral: bool) -> Array:
    """Joint density of (Q² = m²(3π), s = m²(ρ)) on the uniform (Q², s) box, unnormalised.

    Quasi-two-body model of τ → a1 ν → ρ π ν → 3π ν (in the spirit of Kühn & Santamaria 1990,
    simplified): tau_hadronic_weight(Q²) × |BW_a1(Q²)|² (constant width) × [2p_ρπ(Q, √s)/Q]
    (a1 → ρπ s-wave phase space) × rho_line_shape(s) × [2p_ππ(√s)/√s] (ρ → ππ phase space, the
    p-wave factor is in the running width). No Bose symmetrisation of identical pions, no
    spin correlations: a1 and ρ decay isotropically. This is a resonance model, not a fit.
    """
    ma, mb, mc, m_rho, g_rho = _three_pi_masses(neutral)
    m_tau = pdg_mass(TAU)
    m_a1, g_a1 = pdg_mass(A1_PLUS), pdg_width(A1_PLUS)
    qm = np.sqrt(q2)
    sq = np.sqrt(s)
    p_rp = np.nan_to_num(two_body_momentum(qm, sq, mc))
    p_pp = np.nan_to_num(two_body_momentum(sq, ma, mb))
    bw_a1 = m_a1**4 / ((m_a1 * m_a1 - q2) ** 2 + (m_a1 * g_a1) ** 2)
    return (
        tau_hadronic_weight(q2, m_tau)
        * bw_a1
        * (2.0 * p_rp / qm)
        * rho_line_shape(s, m_rho, g_rho, ma, mb)
        * (2.0 * p_pp / sq)
    )


@cache
def _a1_envelope(neutral: bool) -> tuple[Array, Array, Array, Array, float]:
    """A piecewise-constant bound on `a1_weight` over the (Q², s) box for accept–reject.

    The box [Q²_lo, m_τ²] × [s_lo, (m_τ − m_c)²] is cut into 96 × 96 cells; each cell's bound
    is 1.2 × the largest weight on a 9 × 9 lattice over the cell (s clamped to the phase-space
    boundary (√Q² − m_c)², as in the density's support). Returns the Q² and s cell edges, the
    cell bounds (96, 96), their cumulative integral (flattened) and its total. Sampling a cell
    by its bound × area, a point uniformly in it, and accepting with weight/bound gives the
    density exactly where the bound holds, with an acceptance of ~0.5 (instead of a few per
    cent for one bound over the whole box).
    """
    ma, mb, mc, *_ = _three_pi_masses(neutral)
    m_tau = pdg_mass(TAU)
    nq = ns = 96
    sub = 9
    q_edges = np.linspace((ma + mb + mc) ** 2, m_tau * m_tau, nq + 1)
    s_edges = np.linspace((ma + mb) ** 2, (m_tau - mc) ** 2, ns + 1)
    frac = np.linspace(0.0, 1.0, sub)
    qg = (q_edges[:-1, None] + np.diff(q_edges)[:, None] * frac[None, :]).reshape(-1)
    sg = (s_edges[:-1, None] + np.diff(s_edges)[:, None] * frac[None, :]).reshape(-1)
    qq, ss = np.meshgrid(qg, sg, indexing="ij")
    w = a1_weight(qq, np.minimum(ss, (np.sqrt(qq) - mc) ** 2), neutral)
    bound = 1.2 * np.nan_to_num(w).reshape(nq, sub, ns, sub).max(axis=(1, 3))
    area = np.diff(q_edges)[:, None] * np.diff(s_edges)[None, :]
    cum = np.cumsum((bound * area).reshape(-1))
    return q_edges, s_edges, bound, cum, float(cum[-1])


def _sample_a1(rng, n: int, neutral: bool) -> tuple[Array, Array]:
    """(Q², s) from `a1_weight` by accept–reject under the cell-wise bound `_a1_envelope`."""
    q_edges, s_edges, bound, cum, total = _a1_envelope(neutral)
    mc = _three_pi_masses(neutral)[2]
    ns = s_edges.size - 1

    def trial(rng, todo, r):
        cell = np.searchsorted(cum, rng.random((todo.size, r)) * total, side="right")
        cell = np.minimum(cell, cum.size - 1)
        iq, js = np.divmod(cell, ns)
        qt = q_edges[iq] + (q_edges[iq + 1] - q_edges[iq]) * rng.random(cell.shape)
        st = s_edges[js] + (s_edges[js + 1] - s_edges[js]) * rng.random(cell.shape)
        s_max = (np.sqrt(qt) - mc) ** 2
        ok = st < s_max
        w = np.where(ok, a1_weight(qt, np.minimum(st, s_max), neutral), 0.0)
        ok &= rng.random(cell.shape) * bound[iq, js] < w
        return (qt, st), ok

    q2, s = rejection_sample(rng, n, trial, acceptance=0.5)
    return q2, s


def _three_pi_nu(rng, builder, tau, q, pol, axis, neutral: bool) -> None:
    """τ− → a1− ντ, a1− → ρπ, ρ → ππ (`a1_weight`); a1 direction 1 + α P cosθ with
    α = (m_τ² − 2Q²)/(m_τ² + 2Q²) (Bullock–Hagiwara–Martin 1993, eq. (2.7)); τ+: P → −P."""
    tau_p4 = builder.p4(tau)
    n = tau_p4.shape[0]
    m_tau = mass(tau_p4)
    ma, mb, mc, *_ = _three_pi_masses(neutral)
    q2, s = _sample_a1(rng, n, neutral)
    alpha = (m_tau**2 - 2.0 * q2) / (m_tau**2 + 2.0 * q2)
    c = sample_linear_cos(rng, q * pol * alpha)
    m_a1 = np.sqrt(q2)
    pstar = two_body_momentum(m_tau, m_a1, 0.0)
    d = directions(c, rng.uniform(0.0, 2.0 * np.pi, n), axis)
    a1 = four_vector(pstar[:, None] * d, m_a1)
    nu = four_vector(-pstar[:, None] * d, 0.0)
    rho, bach = two_body_decay(rng, a1, np.sqrt(s), mc)
    pa, pb = two_body_decay(rng, rho, ma, mb)
    beta = velocity(tau_p4)
    builder.add(q * NU_TAU, boost(nu, beta), mother=tau)
    i_a1 = builder.add(-q * A1_PLUS, boost(a1, beta), mother=tau)
    if neutral:
        i_rho = builder.add(-q * RHO_PLUS, boost(rho, beta), mother=i_a1)
        i_bach = builder.add(PI0, boost(bach, beta), mother=i_a1)
        builder.add(-q * PI_PLUS, boost(pa, beta), mother=i_rho)
        i_pi0 = builder.add(PI0, boost(pb, beta), mother=i_rho)
        decay_pi0(rng, builder, i_bach)
        decay_pi0(rng, builder, i_pi0)
    else:
        i_rho = builder.add(RHO0, boost(rho, beta), mother=i_a1)
        builder.add(-q * PI_PLUS, boost(bach, beta), mother=i_a1)
        builder.add(PI_PLUS, boost(pa, beta), mother=i_rho)
        builder.add(-PI_PLUS, boost(pb, beta), mother=i_rho)


# ---- public entry point ------------------------------------------------------------------------
def decay_tau(
    rng: np.random.Generator,
    builder: BlockBuilder,
    tau_index: int,
    mode: str,
    polarisation: Array | float | None = None,
    axis: Array | None = None,
) -> None:
    """Add the decay products of template particle `tau_index` (a τ±) in `mode` to the builder.

    `polarisation` (N,) or scalar: longitudinal τ polarisation along `axis` ((N, 3), in the τ
    rest frame reached by a pure boost from the lab; default the τ lab flight direction).
    Charge conjugation follows the τ's PDG id.
    """
    if mode not in TAU_MODES:
        raise ValueError(f"unknown tau mode {mode!r}; allowed: {TAU_MODES}")
    q = _charge_sign(builder, tau_index)
    tau_p4 = builder.p4(tau_index)
    pol = _polarisation(tau_p4.shape[0], polarisation)
    if axis is None:  # lab flight direction; z for a τ at rest (then only P = 0 is meaningful)
        axis = tau_p4[:, :3].copy()
        axis[np.all(axis == 0.0, axis=1), 2] = 1.0
    if mode == "e nu nu":
        _leptonic(rng, builder, tau_index, q, ELECTRON, pol, axis)
    elif mode == "mu nu nu":
        _leptonic(rng, builder, tau_index, q, MUON, pol, axis)
    elif mode == "pi nu":
        _pi_nu(rng, builder, tau_index, q, pol, axis)
    elif mode == "rho nu":
        _rho_nu(rng, builder, tau_index, q, pol, axis)
    else:
        _three_pi_nu(rng, builder, tau_index, q, pol, axis, neutral=(mode == "pi 2pi0 nu"))
