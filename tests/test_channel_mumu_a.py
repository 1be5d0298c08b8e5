"""e+e- -> μ+μ- a: |M|² checks (current conservation, derivative-coupling equivalence), σ by
quadrature vs Monte Carlo, unweighting, recoil-mass peak at m_a, a -> τ+τ- wiring, card options."""

import numpy as np
import pytest

from alpsim.generator import kinematics as kin
from alpsim.generator.alp import Couplings
from alpsim.generator.beams import draw_beams
from alpsim.generator.channels import CHANNELS
from alpsim.generator.channels import ee_to_mumu_a as mm
from alpsim.generator.channels.base import AlpSettings
from alpsim.pdg import mass
from alpsim.toml_fields import CardError, Table

from .conftest import BELLE2_BEAMS, BELLE2_NO_SPREAD

BELLE2, NO_SPREAD = BELLE2_BEAMS, BELLE2_NO_SPREAD
G = 1e-3 * mass(13)  # c_μμ/Λ = 1e-3 GeV⁻¹


def _kinematics(n=3000, sqrt_s=10.58, m_a=5.0, seed=1):
    rng = np.random.default_rng(seed)
    rs = np.full(n, sqrt_s)
    k1, k2, k, w = mm.sample_phase_space(rng, rs, m_a)
    axis = kin.directions(rng.uniform(-1, 1, n), rng.uniform(0, 2 * np.pi, n))
    p1, p2 = mm.beams_in_cms(rs, axis)
    return p1, p2, k1, k2, k, w


def test_phase_space_points_conserve_momentum_and_masses():
    p1, p2, k1, k2, k, _ = _kinematics()
    np.testing.assert_allclose(k1 + k2 + k, p1 + p2, atol=1e-10)
    np.testing.assert_allclose(kin.mass(k), 5.0, rtol=1e-9)
    np.testing.assert_allclose(kin.mass(k1), mass(13), rtol=1e-6)


def test_current_conservation_and_coupling_equivalence():
    p1, p2, k1, k2, k, _ = _kinematics()
    q = p1 + p2
    cur = mm.MuonCurrent(k1, k2, k)
    scale = np.abs(cur.trace(mm.slash(p1), mm.slash(p2)))
    # q^μ H_μν = 0: only with the + relative sign of the two diagrams.
    assert np.max(np.abs(cur.trace(mm.slash(q), mm.slash(q))) / scale) < 1e-10
    assert np.max(np.abs(cur.trace(mm.slash(q), mm.slash(p1))) / scale) < 1e-10
    wrong = mm.MuonCurrent(k1, k2, k)
    wrong.right = -wrong.right
    assert np.median(np.abs(wrong.trace(mm.slash(q), mm.slash(q))) / scale) > 1e-3
    # Derivative coupling (c/2Λ) k̸γ5 = Yukawa g γ5 with g = c m_μ/Λ for on-shell muons.
    yuk = mm.matrix_element_squared(p1, p2, k1, k2, k, G)
    der = mm.matrix_element_squared(p1, p2, k1, k2, k, G, vertex="derivative")
    np.testing.assert_allclose(der, yuk, rtol=1e-9)
    assert np.all(yuk > 0)


def test_total_cross_section_quadrature_vs_monte_carlo():
    sq = mm.cross_section_quadrature(10.58, 5.0, G)
    assert mm.cross_section_quadrature(10.58, 5.0, G, n=96) == pytest.approx(sq, rel=1e-4)
    assert mm.cross_section_quadrature(10.58, 5.0, 2 * G) == pytest.approx(4 * sq, rel=1e-12)
    assert mm.cross_section_quadrature(10.58, 10.58 - 0.2, G) == 0.0
    rng = np.random.default_rng(2)
    n = 60_000
    axis = kin.directions(rng.uniform(-1, 1, n), rng.uniform(0, 2 * np.pi, n))
    *_, w = mm.event_weights(rng, np.full(n, 10.58), axis, 5.0, G)
    mc = w.mean() * mm.GEV2_TO_FB
    err = w.std() / np.sqrt(n) * mm.GEV2_TO_FB
    assert abs(mc - sq) < 4 * err
    assert err / mc < 0.01


def make(m_a=5.0, decays=None, beams=NO_SPREAD, isr=False, n=4000, seed=4):
    alp = AlpSettings(m_a, 1.0, decays or {"invisible": 1.0})
    ch = mm.EeToMuMuA(alp, 1e-3, beams.nominal_cms()[0], beams.nominal_cms()[1], isr)
    rng = np.random.default_rng(seed)
    return ch, ch.generate(rng, draw_beams(rng, n, beams, ch.min_sqrt_s))


def test_unweighted_events_follow_the_weighted_distribution():
    ch, blocks = make(n=10_000)
    b = blocks[0]
    mumu = b.p4[:, b.roles["mu-"]] + b.p4[:, b.roles["mu+"]]
    q2 = kin.mass(mumu) ** 2
    # Weighted expectation of <m²(μμ)> from independent weighted events.
    rng = np.random.default_rng(9)
    n = 80_000
    axis = kin.directions(rng.uniform(-1, 1, n), rng.uniform(0, 2 * np.pi, n))
    k1, k2, _, w = mm.event_weights(rng, np.full(n, ch.sqrt_s), axis, 5.0, ch.g)
    expect = np.sum(w * kin.mass(k1 + k2) ** 2) / w.sum()
    assert abs(q2.mean() - expect) < 5 * q2.std() / np.sqrt(q2.size)
    assert ch.n_overweight == 0
    assert 0.05 < ch.efficiency < 1.0
    initial = b.p4[:, 0] + b.p4[:, 1]
    np.testing.assert_allclose(b.p4[:, b.status == 1].sum(1), initial, atol=1e-9)


def test_recoil_mass_peaks_at_alp_mass():
    _, blocks = make(n=3000)
    np.testing.assert_allclose(blocks[0].extra["recoil_mass_truth"], 5.0, atol=1e-6)
    _, blocks = make(beams=BELLE2, n=3000)
    rec = blocks[0].extra["recoil_mass_truth"]
    assert abs(np.median(rec) - 5.0) < 0.01 and np.percentile(np.abs(rec - 5.0), 90) < 0.05


def test_isr_tail_and_tau_pair_decay():
    ch, blocks = make(m_a=6.0, decays={"tau+ tau- [pi nu; pi nu]": 1.0}, isr=True, n=3000)
    b = blocks[0]
    assert b.mode == "e+ e- -> mu+ mu- a; a -> tau+ tau- [pi nu; pi nu]"
    assert sorted(b.pdg[b.status == 1].tolist()) == sorted([22, 13, -13, 211, -211, 16, -16])
    rec = b.extra["recoil_mass_truth"]
    assert abs(np.median(rec) - 6.0) < 0.02 and np.mean(rec > 6.1) > 0.05  # ISR tail upwards
    norm = ch.normalisation()
    assert norm["kind"] == "cross_section"
    assert (
        0.7 * norm["cross_section_born_fb"]
        < norm["cross_section_fb"]
        < norm["cross_section_born_fb"]
    )


def test_card_options():
    det = NO_SPREAD  # channels read only the collider
    alp = AlpSettings(5.0, 1.0, {"invisible": 1.0})
    with pytest.raises(CardError, match=r"channel\.c_mumu"):
        mm.EeToMuMuA.from_card(Table({}, "channel"), alp, det)
    ch = mm.EeToMuMuA.from_card(Table({"c_mumu": 2.0, "Lambda": 2000.0}, "channel"), alp, det)
    assert ch.c_over_lambda == pytest.approx(1e-3)
    coupled = AlpSettings(5.0, 1.0, {"invisible": 1.0}, couplings=Couplings(c_mumu=1.0))
    with pytest.raises(CardError, match=r"channel\.c_mumu"):
        mm.EeToMuMuA.from_card(Table({"c_mumu": 1.0}, "channel"), coupled, det)
    assert CHANNELS["e+ e- -> mu+ mu- a"] is mm.EeToMuMuA


def test_shipped_card_loads():
    from pathlib import Path

    from alpsim.card import load_card

    c = load_card(Path(__file__).resolve().parents[1] / "cards" / "belle2_mumu_a_tautau.toml")
    assert c.channel.normalisation()["cross_section_fb"] > 0


def test_compiled_matrix_element_equals_the_dirac_matrix_traces():
    """The compiled |M|² kernel against the explicit traces of `MuonCurrent` (module doc)."""
    p1, p2, k1, k2, k, _ = _kinematics(n=500, seed=4)
    cur = mm.MuonCurrent(k1, k2, k)
    me2 = mass(11) ** 2
    lh = 4.0 * (
        2.0 * cur.trace(mm.slash(p1), mm.slash(p2)).real - (mm._dot(p1, p2) + me2) * cur.h_trace()
    )
    s = mm._dot(p1 + p2, p1 + p2)
    want = mm.E2**2 * G * G / (4.0 * s * s) * lh
    np.testing.assert_allclose(mm.matrix_element_squared(p1, p2, k1, k2, k, G), want, rtol=1e-11)


@pytest.mark.parametrize("m_a", [0.5, 5.0, 9.0])
def test_q2_proposal_leaves_the_cross_section_unchanged(monkeypatch, m_a):
    """σ from the weights with the falling Q² proposal (Q2_SLOPE) and with the uniform one it
    replaced (slope 0) agree with each other and with the quadrature, within their
    statistical errors (4σ); the proposal raises max/mean efficiency at m_a = 5 GeV."""
    n, rs = 200_000, 10.58
    axis = np.tile([0.0, 0.0, 1.0], (n, 1))
    quad = mm.cross_section_quadrature(rs, m_a, G) / mm.GEV2_TO_FB
    means, eff, slope_used = {}, {}, mm.Q2_SLOPE
    for slope in (slope_used, 0.0):
        monkeypatch.setattr(mm, "Q2_SLOPE", slope)
        *_, w = mm.event_weights(np.random.default_rng(7), np.full(n, rs), axis, m_a, G)
        means[slope] = (w.mean(), w.std() / np.sqrt(n))
        eff[slope] = w.mean() / w.max()
        assert abs(w.mean() - quad) < 4 * means[slope][1], (slope, w.mean() / quad)
    (a, da), (b, db) = means.values()
    assert abs(a - b) < 4 * np.hypot(da, db)
    if m_a == 5.0:
        assert eff[slope_used] > 1.3 * eff[0.0]


def test_compiled_h_trace_equals_the_dirac_matrix_traces():
    _, _, k1, k2, k, _ = _kinematics(n=300, seed=5)
    want = mm.MuonCurrent(k1, k2, k).h_trace()
    np.testing.assert_allclose(mm.h_trace(k1, k2, k), want, rtol=1e-11)
