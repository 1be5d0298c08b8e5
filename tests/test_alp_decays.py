"""ALP decays: conservation, masses, Dalitz plots, π+π−γ spectrum, τ pairs, name expansion."""

from __future__ import annotations

import numpy as np
import pytest

from alpsim.generator.alp import FINAL_STATES, thresholds
from alpsim.generator.alp_decays import (
    HADRONS_STAND_IN,
    SUPPORTED,
    TWO_BODY,
    decay_alp,
    expand_final_states,
    final_state_threshold,
    parse_final_state,
)
from alpsim.generator.builder import BlockBuilder
from alpsim.generator.kinematics import boost, mass, momentum, two_body_momentum, velocity
from alpsim.generator.tau_decays import TAU_MODES, tau_branching_fractions
from alpsim.generator.three_body import phase_space_s12_density, s23_limits
from alpsim.pdg import ALP_PDG_ID
from alpsim.pdg import mass as pdg_mass

from .conftest import density_chi2, head_on_beams

NEUTRINOS = {12, 14, 16}
M_PI, M_PI0 = pdg_mass(211), pdg_mass(111)


def alp_block(rng, n, m_a, final_state, couplings=None):
    """One ALP of mass m_a with random lab momentum, decayed to `final_state`."""
    b = BlockBuilder(head_on_beams(n))
    p4 = np.zeros((n, 4))
    p4[:, :3] = rng.normal(0.0, 2.0, (n, 3))
    p4[:, 3] = np.sqrt(np.sum(p4[:, :3] ** 2, axis=1) + m_a**2)
    alp = b.add(ALP_PDG_ID, p4, role="alp")
    decay_alp(rng, b, alp, final_state, couplings)
    return b.build(rng, final_state, alp_ctau_mm=1.0), alp


def daughters_rest(block, alp):
    """Direct daughters' four-momenta in the ALP rest frame, (N, k, 4)."""
    d = block.daughters(alp)
    return boost(block.p4[:, d], -velocity(block.p4[:, alp])[:, None, :]), d


ALL_STATES = [
    *expand_final_states({k: 1.0 for k in FINAL_STATES if k != "tau+ tau-"}, 4.0),
    "tau+ tau-",
    *[f"tau+ tau- [{m}; {m}]" for m in TAU_MODES],
    "tau+ tau- [mu nu nu; pi nu]",
]


@pytest.mark.parametrize("final_state", ALL_STATES)
def test_conservation_and_invariant_mass(final_state):
    rng = np.random.default_rng(11)
    m_a = 4.0
    block, alp = alp_block(rng, 3000, m_a, final_state)
    fin = block.final_descendants(alp)
    total = block.p4[:, fin].sum(axis=1)
    scale = block.p4[:, alp, 3][:, None]
    assert np.all(np.abs(total - block.p4[:, alp]) <= 1e-9 * scale)
    direct = block.p4[:, block.daughters(alp)].sum(axis=1)
    if block.daughters(alp).size:
        assert np.allclose(mass(direct), m_a, rtol=1e-9)
    for i in fin:  # final particles on their mass shell
        pid = abs(int(block.pdg[i]))
        if pid == ALP_PDG_ID:  # "invisible": the ALP itself is final
            continue
        m_true = 0.0 if pid in NEUTRINOS | {22} else pdg_mass(pid)
        m2 = block.p4[:, i, 3] ** 2 - momentum(block.p4[:, i]) ** 2
        assert np.allclose(m2, m_true**2, atol=1e-9 * block.p4[:, i, 3].max() ** 2)
    assert np.all(block.status[fin] == 1)
    # Neutral total charge in the final state.
    charges = {11: -1, 13: -1, 15: -1, 211: 1, 321: 1}
    q = sum(np.sign(block.pdg[i]) * charges.get(abs(int(block.pdg[i])), 0) for i in fin)
    assert q == 0


@pytest.mark.parametrize("final_state", list(TWO_BODY))
def test_two_body_momentum(final_state):
    rng = np.random.default_rng(12)
    m_a = 1.5
    block, alp = alp_block(rng, 2000, m_a, final_state)
    p, _ = daughters_rest(block, alp)
    m1, m2 = (pdg_mass(abs(x)) if abs(x) != 22 else 0.0 for x in TWO_BODY[final_state])
    assert np.allclose(momentum(p[:, 0]), two_body_momentum(m_a, m1, m2), rtol=1e-9)
    cos = p[:, 0, 2] / momentum(p[:, 0])  # isotropic: ⟨cosθ⟩ = 0, ⟨cos²θ⟩ = 1/3
    assert abs(np.mean(cos**2) - 1 / 3) < 4 * np.std(cos**2) / np.sqrt(cos.size)


def test_invisible_keeps_alp_final():
    rng = np.random.default_rng(13)
    block, alp = alp_block(rng, 10, 1.0, "invisible")
    assert block.n_particles == alp + 1 and block.status[alp] == 1


# ---- Dalitz plots -------------------------------------------------------------------------------
def dalitz(block, alp):
    p, _ = daughters_rest(block, alp)
    s12 = mass(p[:, 0] + p[:, 1]) ** 2
    s23 = mass(p[:, 1] + p[:, 2]) ** 2
    return s12, s23


def chi2_s12(s12, m_a, m1, m2, m3, extra=None, bins=25):
    """χ² of the m²₁₂ histogram against ∫ chord(s12) × extra(s12) ds12 per bin."""
    lo, hi = (m1 + m2) ** 2, (m_a - m3) ** 2
    edges = np.linspace(lo, hi, bins + 1)
    fine = np.linspace(lo, hi, 20001)
    dens = phase_space_s12_density(m_a, m1, m2, m3, fine)
    if extra is not None:
        dens = dens * extra(fine)
    cdf = np.concatenate([[0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(fine))])
    expect = np.diff(np.interp(edges, fine, cdf)) / cdf[-1] * s12.size
    obs, _ = np.histogram(s12, edges)
    ok = expect > 5
    return np.sum((obs[ok] - expect[ok]) ** 2 / expect[ok]), int(ok.sum())


def test_three_pi0_flat_dalitz():
    """LO ChPT: |M(3π0)|² is constant (alp.hadronic), so m²₁₂ follows the phase-space chord."""
    rng = np.random.default_rng(14)
    m_a = 0.8
    block, alp = alp_block(rng, 40_000, m_a, "pi0 pi0 pi0")
    s12, s23 = dalitz(block, alp)
    lo, hi = s23_limits(m_a, M_PI0, M_PI0, M_PI0, s12)
    assert np.all((s23 >= lo - 1e-9) & (s23 <= hi + 1e-9))
    chi2, ndf = chi2_s12(s12, m_a, M_PI0, M_PI0, M_PI0)
    assert chi2 < ndf + 5 * np.sqrt(2 * ndf)
    # The test can fail: the charged-mode weight (s − m_π0²)² is strongly rejected here.
    chi2_bad, _ = chi2_s12(s12, m_a, M_PI0, M_PI0, M_PI0, lambda s: (s - M_PI0**2) ** 2)
    assert chi2_bad > ndf + 10 * np.sqrt(2 * ndf)


def test_charged_three_pi_matrix_element():
    """a → π+π−π0: m²(π+π−) ∝ chord × |α + β s|² (alp.hadronic.three_pi_amplitude, C_GG = 1)."""
    from alpsim.generator.alp_decays import three_pi_weight

    rng = np.random.default_rng(15)
    m_a = 0.8
    block, alp = alp_block(rng, 40_000, m_a, "pi+ pi- pi0")
    assert list(block.pdg[block.daughters(alp)]) == [211, -211, 111]
    s12, s23 = dalitz(block, alp)
    lo, hi = s23_limits(m_a, M_PI, M_PI, M_PI0, s12)
    assert np.all((s23 >= lo - 1e-9) & (s23 <= hi + 1e-9))
    assert s12.min() >= 4 * M_PI**2 and s12.max() <= (m_a - M_PI0) ** 2
    chi2, ndf = chi2_s12(s12, m_a, M_PI, M_PI, M_PI0, lambda s: three_pi_weight(m_a, s))
    assert chi2 < ndf + 5 * np.sqrt(2 * ndf)
    # Able to fail: phase space and the former BNT17-only shape (s − m_π0²)² are rejected.
    flat, _ = chi2_s12(s12, m_a, M_PI, M_PI, M_PI0)
    assert flat > ndf + 10 * np.sqrt(2 * ndf)
    bnt, _ = chi2_s12(s12, m_a, M_PI, M_PI, M_PI0, lambda s: (s - M_PI0**2) ** 2)
    assert bnt > ndf + 10 * np.sqrt(2 * ndf)


def test_pi0s_decay_to_photons():
    rng = np.random.default_rng(16)
    block, alp = alp_block(rng, 100, 1.0, "pi0 pi0 pi0")
    for i in block.daughters(alp):
        kids = block.daughters(int(i))
        assert list(block.pdg[kids]) == [22, 22]
        assert np.allclose(mass(block.p4[:, kids].sum(axis=1)), M_PI0, rtol=1e-9)


# ---- π+π−γ -------------------------------------------------------------------------------------
def test_pi_pi_gamma_spectrum_and_angle():
    """m²(ππ) follows (1/s)(1 − s/m_a²)³ β³ |F_π|² (the ρ peak), pions ∝ sin²θ: ⟨cos²θ⟩ = 1/5."""
    from alpsim.generator.alp.hadronic import pion_form_factor

    rng = np.random.default_rng(17)
    m_a = 1.5
    n = 40_000
    block, alp = alp_block(rng, n, m_a, "pi+ pi- gamma")
    p, d = daughters_rest(block, alp)
    assert list(block.pdg[d]) == [22, 211, -211]
    pipi = p[:, 1] + p[:, 2]
    s = mass(pipi) ** 2
    # χ² against the Kroll–Wada density (not the phase-space chord: the ME is not flat).
    edges = np.linspace(4 * M_PI**2, m_a**2, 31)
    fine = np.linspace(edges[0], edges[-1], 20001)
    beta = np.sqrt(np.maximum(1 - 4 * M_PI**2 / fine, 0))
    dens = (1 - fine / m_a**2) ** 3 * beta**3 * pion_form_factor(fine) / fine
    chi2, ndf = density_chi2(s, edges, fine, dens)
    assert chi2 < ndf + 5 * np.sqrt(2 * ndf)
    # Helicity angle of π+ in the ππ frame about the γ* direction.
    pip = boost(p[:, 1], -velocity(pipi))
    cos = np.sum(pip[:, :3] * pipi[:, :3], axis=1) / (momentum(pip) * momentum(pipi))
    assert abs(np.mean(cos**2) - 0.2) < 4 * np.std(cos**2) / np.sqrt(n)


# ---- τ pairs -----------------------------------------------------------------------------------
def test_tau_pair_helicity_correlation():
    """Spin 0 → τ+τ−: equal helicities, so with τ → πν, ⟨cosθ+ cosθ−⟩ = −1/9 (each angle of the
    π in its τ rest frame to the τ direction in the ALP frame), while ⟨cosθ±⟩ = 0."""
    rng = np.random.default_rng(18)
    block, alp = alp_block(rng, 100_000, 4.0, "tau+ tau- [pi nu; pi nu]")
    tp, tm = block.daughters(alp)
    a_p4 = block.p4[:, alp]
    cosines = []
    for tau, pion in ((tp, 211), (tm, -211)):
        kids = block.daughters(int(tau))
        pi = block.p4[:, kids[block.pdg[kids] == pion][0]]
        beta = velocity(block.p4[:, tau])
        pi_r, alp_r = boost(pi, -beta), boost(a_p4, -beta)
        cosines.append(
            -np.sum(pi_r[:, :3] * alp_r[:, :3], axis=1) / (momentum(pi_r) * momentum(alp_r))
        )
    prod = cosines[0] * cosines[1]
    err = prod.std() / np.sqrt(prod.size)
    assert abs(prod.mean() + 1 / 9) < 4 * err
    for c in cosines:
        assert abs(c.mean()) < 4 * c.std() / np.sqrt(c.size)


def test_tau_pair_undecayed_and_compound_order():
    rng = np.random.default_rng(19)
    block, alp = alp_block(rng, 10, 4.0, "tau+ tau-")
    assert list(block.pdg[block.daughters(alp)]) == [-15, 15]
    assert np.all(block.status[block.daughters(alp)] == 1)
    block, alp = alp_block(rng, 10, 4.0, "tau+ tau- [mu nu nu; pi nu]")
    tp, tm = block.daughters(alp)
    assert -13 in block.pdg[block.daughters(int(tp))]  # τ+ → μ+ ν ν̄
    assert -211 in block.pdg[block.daughters(int(tm))]  # τ− → π− ν


# ---- names and thresholds ----------------------------------------------------------------------
def test_expand_final_states():
    out = expand_final_states({"tau+ tau-": 0.5, "gamma gamma": 0.3, "hadrons": 0.2})
    bfs = tau_branching_fractions()
    from alpsim.generator.generic_b import dec_branching_fraction

    eta_gg = dec_branching_fraction("eta", ["gamma", "gamma"])
    assert 0.3 < eta_gg < 0.5  # EvtGen: BF(η → γγ) ≈ 0.39
    assert out["gamma gamma"] == 0.3
    assert out[HADRONS_STAND_IN] == pytest.approx(0.2 * eta_gg)  # η → γγ is forced
    assert out["tau+ tau- [mu nu nu; pi nu]"] == pytest.approx(0.5 * bfs["mu nu nu"] * bfs["pi nu"])
    tau_sum = sum(v for k, v in out.items() if k.startswith("tau+ tau- ["))
    assert tau_sum == pytest.approx(0.5 * sum(bfs.values()) ** 2)
    assert len(out) == 2 + len(TAU_MODES) ** 2
    for name in out:
        parse_final_state(name)
    low = expand_final_states({"hadrons": 1.0}, alp_mass=0.82)
    assert list(low) == ["hadrons [eta pi0 pi0 phase space]"]


def test_thresholds_and_names():
    thr = thresholds()
    for fs in SUPPORTED:
        assert final_state_threshold(fs) == pytest.approx(thr[fs])
    assert final_state_threshold("tau+ tau- [e nu nu; rho nu]") == pytest.approx(2 * pdg_mass(15))
    assert final_state_threshold(HADRONS_STAND_IN) == pytest.approx(pdg_mass(221) + 2 * M_PI)
    with pytest.raises(ValueError):
        parse_final_state("tau+ tau- [e nu nu; K nu]")
    with pytest.raises(ValueError):
        parse_final_state("gluon gluon")
    rng = np.random.default_rng(20)
    with pytest.raises(ValueError):
        alp_block(rng, 10, 0.3, "pi0 pi0 pi0")


@pytest.mark.parametrize(("m_a", "pion"), [(0.82, 111), (0.83, 211), (1.0, 211)])
def test_hadrons_stand_in_near_threshold(m_a, pion):
    """η π0 π0 between its threshold (0.8177) and that of η π+ π− (0.8270 GeV), else η π+ π−."""
    rng = np.random.default_rng(21)
    block, alp = alp_block(rng, 2000, m_a, "hadrons")
    d = block.daughters(alp)
    assert block.pdg[d[0]] == 221 and abs(block.pdg[d[1]]) == pion
    assert np.allclose(mass(block.p4[:, d].sum(axis=1)), m_a, rtol=1e-9)


@pytest.mark.parametrize("c_gg, g_agg", [(1.0, 0.0), (0.0, 1e-4)])
def test_pipigamma_spectrum_follows_the_couplings(c_gg, g_agg):
    """m²(ππ) in a → π+π−γ is drawn from alp.hadronic's dΓ/ds for the ALP's couplings: the ρ
    channel for a gluon-coupled ALP, Kroll–Wada for a photon-coupled one (means compared with
    the numerically integrated spectrum)."""
    from scipy import integrate

    from alpsim.generator.alp import Couplings
    from alpsim.generator.alp.hadronic import pipigamma_spectrum

    couplings = Couplings.from_g_agamma(g_agg, C_GG=c_gg) if g_agg else Couplings(C_GG=c_gg)
    m_a, n = 1.0, 40_000
    block, alp = alp_block(np.random.default_rng(8), n, m_a, "pi+ pi- gamma", couplings)
    d = block.daughters(alp)
    pions = [i for i in d if abs(block.pdg[i]) == 211]
    s = mass(block.p4[:, pions[0]] + block.p4[:, pions[1]]) ** 2
    lo, hi = 4 * M_PI**2, m_a**2
    dens = lambda x: float(pipigamma_spectrum(m_a, np.array([x]), couplings)[0])  # noqa: E731
    pts = [0.5776]  # the ρ peak, for the quadrature
    norm = integrate.quad(dens, lo, hi, points=pts, limit=200)[0]
    mean = integrate.quad(lambda x: x * dens(x), lo, hi, points=pts, limit=200)[0] / norm
    assert abs(s.mean() - mean) < 5 * s.std() / np.sqrt(n)
