"""ALP decay kinematics for every final state of `alpsim.generator.alp.FINAL_STATES`.

Each decay is generated in the ALP rest frame and boosted with the ALP's lab velocity; the
builder then draws the vertices (the ALP's from the card's cτ, the π0's and τ's from `particle`).
The ALP has spin 0, so every final state is isotropic in its rest frame.

Final states and models (names are those written after "a -> " in the mode):

* "gamma gamma", "e+ e-", "mu+ mu-", "pi+ pi-", "K+ K-": two-body, p* = λ^½/(2m_a).
* "invisible": the ALP stays an undecayed final-state particle (status 1, PDG 9000005); the
  detector treats it as unseen. No χ particles are added.
* "pi+ pi- pi0", "pi0 pi0 pi0": amplitudes of `alp.hadronic` (BNT17 LO term + ASW's a → η, η′
  → 3π terms): |M(π+π−π0)|² = |α + β s₊₋|², s₊₋ = m²(π+π−), for a gluon-coupled ALP
  (THREE_PI_SHAPE_COUPLINGS; the decay functions do not see the model's couplings);
  |M(3π0)|² constant, i.e. a flat Dalitz plot. π0 → γγ added.
* "pi+ pi- gamma": a → γγ*, γ* → π+π− (Kroll–Wada, as in `alp.hadronic`): m²(ππ) = s drawn from
  dΓ/ds ∝ (1/s)(1 − s/m_a²)³ β_π³ |F_π(s)|² (ρ-dominance F_π of `alp.hadronic`), photon isotropic,
  pions ∝ sin²θ about the γ* flight direction in the ππ rest frame (γ* helicity ±1:
  |d¹_{±1,0}(θ)|² ∝ sin²θ, as in η → π+π−γ).
* "hadrons": a stand-in, not a prediction. The inclusive rate of `alp.hadronic` has no
  exclusive final state; we generate **a → η π+ π− with flat phase space and η → γγ forced**
  (η π0 π0 below the η π+ π− threshold, 0.8177–0.8270 GeV). ηππ is the lightest 'other' hadronic
  mode (ASW); the real mixture (ηππ with all η modes, KK̄π, 4π, gluon jets above ~2 GeV) is
  richer. `expand_final_states` renames it "hadrons [eta pi+ pi- phase space]" so the mode
  written to the output says what was generated.
* "tau+ tau-": both τ undecayed (status 1), or "tau+ tau- [m+; m-]" with m± in
  `tau_decays.TAU_MODES` (first the τ+'s mode, then the τ−'s). Spin correlations: the τ
  helicities of a spin-0 decay are equal (λ+ = λ−, J = 0), drawn ±1 per event and passed as
  longitudinal polarisations about the helicity axes; transverse spin correlations (which
  distinguish CP-even from CP-odd) are neglected. `expand_final_states` splits "tau+ tau-"
  into all ordered pairs of τ modes with BF products.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

from ..pdg import mass as pdg_mass
from .alp import FINAL_STATES, Couplings, thresholds
from .alp.hadronic import pion_form_factor, pipigamma_spectrum, three_pi_amplitude
from .builder import BlockBuilder
from .generic_b import dec_branching_fraction
from .kinematics import boost, mass, sample_cos_theta, two_body_decay, velocity
from .tau_decays import TAU_MODES, decay_pi0, decay_tau, tau_branching_fractions
from .three_body import sample_tabulated, three_body_decay

#: Two-body ALP final states and their daughters' PDG ids.
TWO_BODY: dict[str, tuple[int, int]] = {
    "gamma gamma": (22, 22),
    "e+ e-": (-11, 11),
    "mu+ mu-": (-13, 13),
    "pi+ pi-": (211, -211),
    "K+ K-": (321, -321),
}

#: Final states in which the ALP leaves the detector unseen: it stays a final-state particle.
INVISIBLE = "invisible"
TAU_PAIR = "tau+ tau-"
HADRONS = "hadrons"
#: Name of the "hadrons" stand-in after `expand_final_states`.
HADRONS_STAND_IN = "hadrons [eta pi+ pi- phase space]"
_HADRONS_NEUTRAL = "hadrons [eta pi0 pi0 phase space]"

#: Base final-state names accepted by the card (all of the ALP model's).
SUPPORTED: tuple[str, ...] = tuple(FINAL_STATES)

PI_PLUS, PI0, GAMMA, ETA, TAU = 211, 111, 22, 221, 15
_TAU_COMPOUND = re.compile(r"^tau\+ tau- \[\s*([^;\]]+?)\s*;\s*([^;\]]+?)\s*\]$")


def parse_final_state(final_state: str) -> tuple[str, tuple[str, ...]]:
    """Base final state and sub-modes: "tau+ tau- [mu nu nu; pi nu]" → ("tau+ tau-", (…, …))."""
    if final_state in SUPPORTED:
        return final_state, ()
    if final_state in (HADRONS_STAND_IN, _HADRONS_NEUTRAL):
        return HADRONS, (final_state,)
    match = _TAU_COMPOUND.match(final_state)
    if match:
        modes = (match.group(1), match.group(2))
        for m in modes:
            if m not in TAU_MODES:
                raise ValueError(f"unknown tau mode {m!r} in {final_state!r}; allowed: {TAU_MODES}")
        return TAU_PAIR, modes
    raise ValueError(f"ALP final state {final_state!r} not supported; allowed: {SUPPORTED}")


def final_state_threshold(final_state: str) -> float:
    """Kinematic threshold (GeV) of a final state, plain or compound (ALP model's `thresholds`;
    the "hadrons" stand-in needs m_η + 2m_π±, the model's "hadrons" opens at m_η + 2m_π0)."""
    base, sub = parse_final_state(final_state)
    if sub == (HADRONS_STAND_IN,):
        return pdg_mass(ETA) + 2.0 * pdg_mass(PI_PLUS)
    return float(thresholds()[base])


def expand_final_states(
    decays: dict[str, float],
    alp_mass: float | None = None,
    tau_modes: tuple[str, ...] = TAU_MODES,
) -> dict[str, float]:
    """Final states with fixed topologies, for splitting a channel's events into blocks.

    "tau+ tau-": BR → {"tau+ tau- [m+; m-]": BR·B(m+)·B(m−)} over ordered pairs of TAU_MODES with
    the EvtGen BFs of `tau_decays`; these sum to BR·(Σ B)² ≈ 0.81 BR: the rest are τ modes not
    generated; `tau_modes` restricts both τ to a subset (e.g. the one-prong modes). "hadrons" →
    the stand-in name (η π0 π0 if `alp_mass` is below the η π+ π− threshold), its weight times
    BF(η → γγ) (EvtGen table) since η → γγ is forced. Other states are unchanged.
    """
    out: dict[str, float] = {}
    for fs, br in decays.items():
        if fs == TAU_PAIR:
            # asked only here: the τ table is parsed from the EvtGen DEC file by decaylanguage
            # (~0.15 s per process), which runs without τ pairs need not import or parse
            bfs = tau_branching_fractions()
            for mp in tau_modes:
                for mm in tau_modes:
                    out[f"tau+ tau- [{mp}; {mm}]"] = br * bfs[mp] * bfs[mm]
        elif fs == HADRONS:
            charged_open = alp_mass is None or alp_mass > final_state_threshold(HADRONS_STAND_IN)
            # the stand-in forces η → γγ: only that fraction of "hadrons" is generated
            eta_gg = dec_branching_fraction("eta", ["gamma", "gamma"])
            out[HADRONS_STAND_IN if charged_open else _HADRONS_NEUTRAL] = br * eta_gg
        else:
            parse_final_state(fs)
            out[fs] = br
    return out


# ---- three-body hadronic modes -----------------------------------------------------------------
def three_pi_weight(m_a: float, s, couplings: Couplings | None = None):
    """|M(a → π+π−π0)|² at s = m²(π+π−) (arbitrary normalisation) for `couplings` (default:
    THREE_PI_SHAPE_COUPLINGS)."""
    c = THREE_PI_SHAPE_COUPLINGS if couplings is None else couplings
    amp = three_pi_amplitude(m_a, np.asarray(s, dtype=float), c)
    return np.abs(amp) ** 2


#: Couplings whose 3π Dalitz shape the sampler uses for a model-independent ALP (no couplings
#: given): the π⁺π⁻π⁰ slope depends on them (ratio of the direct BNT17 term to the η, η′ terms).
#: The gluon-coupled ALP (C_GG = 1) is the reference of alp.hadronic.
THREE_PI_SHAPE_COUPLINGS = Couplings(C_GG=1.0)


def _three_pi(
    rng: np.random.Generator,
    builder: BlockBuilder,
    alp: int,
    neutral: bool,
    couplings: Couplings | None = None,
) -> None:
    """a → π+π−π0 (|M(s₊₋)|² = |α + β s₊₋|², alp.hadronic.three_pi_amplitude for the ALP's
    couplings, THREE_PI_SHAPE_COUPLINGS if it has none, at the block's largest ALP mass) or 3π0
    (flat: the 3π0 amplitude is constant over the Dalitz plot)."""
    p4 = builder.p4(alp)
    m0, mc = pdg_mass(PI0), pdg_mass(PI_PLUS)
    if neutral:
        daughters = three_body_decay(rng, p4, m0, m0, m0)
        pdgs = (PI0, PI0, PI0)
    else:
        m_a = float(np.max(mass(p4)))

        def weight(s12, s23):
            return three_pi_weight(m_a, s12, couplings)

        # |α + β s|² is convex in s: its maximum is at an end of [4m_π±², (m_a − m_π0)²].
        ends = np.array([4 * mc * mc, (m_a - m0) ** 2])
        w_max = float(np.max(three_pi_weight(m_a, ends, couplings)))
        daughters = three_body_decay(rng, p4, mc, mc, m0, weight, w_max)
        pdgs = (PI_PLUS, -PI_PLUS, PI0)
    idx = [builder.add(pid, d, mother=alp) for pid, d in zip(pdgs, daughters, strict=True)]
    for pid, i in zip(pdgs, idx, strict=True):
        if pid == PI0:
            decay_pi0(rng, builder, i)


@cache
def _pipigamma_grid(
    m_a: float, couplings: Couplings | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """s grid and dΓ/ds: for an ALP with couplings, alp.hadronic.pipigamma_spectrum (photon
    part interfering with ASW's ρ channel); without couplings (model-independent), the photon
    part alone, Kroll–Wada dΓ/ds ∝ (1/s)(1 − s/m_a²)³ β³ |F_π(s)|² (alp.hadronic docstring)."""
    mc = pdg_mass(PI_PLUS)
    s = np.linspace(4.0 * mc * mc, m_a * m_a, 8193)
    if couplings is not None:
        return s, pipigamma_spectrum(m_a, s, couplings)
    beta = np.sqrt(np.maximum(1.0 - 4.0 * mc * mc / s, 0.0))
    return s, (1.0 - s / (m_a * m_a)) ** 3 * beta**3 * pion_form_factor(s) / s


def _pi_pi_gamma(
    rng: np.random.Generator, builder: BlockBuilder, alp: int, couplings: Couplings | None = None
) -> None:
    """a → γ γ*/ρ*(→ π+π−): see the module docstring."""
    p4 = builder.p4(alp)
    n = p4.shape[0]
    mc = pdg_mass(PI_PLUS)
    m_a = mass(p4)
    grid, dens = _pipigamma_grid(round(float(np.max(m_a)), 12), couplings)
    s = sample_tabulated(rng, n, grid, dens)
    m_pp = np.clip(np.sqrt(s), 2.0 * mc * (1 + 1e-12), m_a * (1 - 1e-12))
    photon, dipion = two_body_decay(rng, p4, 0.0, m_pp)
    # γ* helicity axis in the ππ rest frame: opposite to the ALP's direction seen from there.
    axis = -boost(p4, -velocity(dipion))[:, :3]
    cos_t = sample_cos_theta(rng, n, -1.0)
    pip, pim = two_body_decay(rng, dipion, mc, mc, cos_theta=cos_t, axis=axis)
    builder.add(GAMMA, photon, mother=alp)
    builder.add(PI_PLUS, pip, mother=alp)
    builder.add(-PI_PLUS, pim, mother=alp)


def _hadrons(rng: np.random.Generator, builder: BlockBuilder, alp: int, neutral: bool) -> None:
    """Stand-in a → η π π, flat phase space, η → γγ forced (module docstring)."""
    p4 = builder.p4(alp)
    m_pi = pdg_mass(PI0 if neutral else PI_PLUS)
    eta, pa, pb = three_body_decay(rng, p4, pdg_mass(ETA), m_pi, m_pi)
    i_eta = builder.add(ETA, eta, mother=alp)
    if neutral:
        for p in (pa, pb):
            decay_pi0(rng, builder, builder.add(PI0, p, mother=alp))
    else:
        builder.add(PI_PLUS, pa, mother=alp)
        builder.add(-PI_PLUS, pb, mother=alp)
    g1, g2 = two_body_decay(rng, builder.p4(i_eta), 0.0, 0.0)
    builder.add(GAMMA, g1, mother=i_eta)
    builder.add(GAMMA, g2, mother=i_eta)


def _tau_pair(
    rng: np.random.Generator, builder: BlockBuilder, alp: int, modes: tuple[str, ...]
) -> None:
    """a → τ+τ−, isotropic; with `modes` (τ+, τ−) each τ decays with equal helicities ±1."""
    p4 = builder.p4(alp)
    m_tau = pdg_mass(TAU)
    tp, tm = two_body_decay(rng, p4, m_tau, m_tau)
    i_tp = builder.add(-TAU, tp, mother=alp)
    i_tm = builder.add(TAU, tm, mother=alp)
    if not modes:
        return
    helicity = np.where(rng.random(p4.shape[0]) < 0.5, -1.0, 1.0)
    for i_tau, mode in zip((i_tp, i_tm), modes, strict=True):
        tau = builder.p4(i_tau)
        # Helicity axis in the τ rest frame: opposite to the ALP's direction seen from there.
        axis = -boost(p4, -velocity(tau))[:, :3]
        decay_tau(rng, builder, i_tau, mode, polarisation=helicity, axis=axis)


def decay_alp(
    rng: np.random.Generator,
    builder: BlockBuilder,
    alp_index: int,
    final_state: str,
    couplings: Couplings | None = None,
) -> None:
    """Add the decay products of template particle `alp_index` in `final_state` to the builder.

    `final_state` is a name of SUPPORTED or a compound name from `expand_final_states`.
    `couplings` (the ALP model's, None for a model-independent ALP) fix the three-body matrix
    elements of 3π and ππγ, whose shapes depend on them.
    """
    base, sub = parse_final_state(final_state)
    masses = mass(builder.p4(alp_index))
    mass_a = float(np.min(masses)) if masses.size else np.inf  # an empty block is fine
    if mass_a <= final_state_threshold(final_state):
        raise ValueError(f"ALP of mass {mass_a:g} GeV cannot decay to {final_state!r}")
    if base == INVISIBLE:
        return
    if base in TWO_BODY:
        d1, d2 = TWO_BODY[base]
        p1, p2 = two_body_decay(rng, builder.p4(alp_index), pdg_mass(abs(d1)), pdg_mass(abs(d2)))
        builder.add(d1, p1, mother=alp_index, role="alp_daughter_1")
        builder.add(d2, p2, mother=alp_index, role="alp_daughter_2")
    elif base in ("pi+ pi- pi0", "pi0 pi0 pi0"):
        _three_pi(rng, builder, alp_index, (base == "pi0 pi0 pi0"), couplings)
    elif base == "pi+ pi- gamma":
        _pi_pi_gamma(rng, builder, alp_index, couplings)
    elif base == HADRONS:
        if sub:
            neutral = sub == (_HADRONS_NEUTRAL,)
        else:
            neutral = mass_a <= final_state_threshold(HADRONS_STAND_IN)
        _hadrons(rng, builder, alp_index, neutral)
    elif base == TAU_PAIR:
        _tau_pair(rng, builder, alp_index, sub)
    else:  # pragma: no cover - every FINAL_STATE is handled above
        raise ValueError(f"no decay model for {final_state!r}")
