"""Rate formulas of rates.py at the reference points of REFERENCES.md §3–§4, and BF from cards."""

import math

import numpy as np
import pytest

from alpsim.card import load_card
from alpsim.cardreader import CardError
from alpsim.generator.alp import Couplings
from alpsim.generator.channels import rates
from alpsim.generator.generic_b import dec_branching_fraction
from alpsim.pdg import mass

from .conftest import BASE_CARD


def test_w_loop_gbs_reference():
    # REFERENCES.md §3 [calc]: |g_bs| = 9.95e-5 g_aW (m_t = 172.57, M_W = 80.369; particle's
    # masses differ by < 0.04 %, moving g_bs by ~0.1 %).
    assert abs(rates.g_bs_w_loop(1.0)) == pytest.approx(9.95e-5, rel=3e-3)
    assert rates.g_bs_w_loop(2e-5) == pytest.approx(2 * rates.g_bs_w_loop(1e-5), rel=1e-12)


def test_b_to_k_a_reference_bf():
    # REFERENCES.md §3 [calc]: BR(B+ -> K+ a) = 1.91e-7 at g_aW = 1e-5 GeV^-1, m_a -> 0.
    bf = rates.bf_b_to_k_a(_w_couplings(1e-5), 1e-6)
    assert bf == pytest.approx(1.91e-7, rel=6e-3)


def _w_couplings(g_aw: float) -> Couplings:
    from alpsim.generator.alp import C_WW_from_g_aW

    return Couplings(C_WW=C_WW_from_g_aW(g_aw, 1000.0), Lambda=1000.0)


def test_form_factors_at_zero():
    assert rates.f0_bk(0.0) == pytest.approx(0.3302)
    assert rates.a0_bkstar(0.0) == pytest.approx(0.374, abs=1e-12)  # BZ05: A0(0) = 0.374


def test_widths_close_at_kinematic_limit_with_right_power():
    g = 1e-8
    m_b, m_k = mass(521), mass(321)
    limit = m_b - m_k
    w = rates.width_b_to_k_a(g, [limit - 1e-3, limit - 4e-3], m_b, m_k)
    # λ^{1/2} ∝ √(limit − m_a) near the end point
    assert w[1] / w[0] == pytest.approx(
        2.0 * (rates.f0_bk((limit - 4e-3) ** 2) / rates.f0_bk((limit - 1e-3) ** 2)) ** 2, rel=2e-3
    )
    ks = rates.width_b_to_kstar_a(g, [limit - 1e-3], m_b, m_k)  # K* mass set to m_K here
    assert ks[0] < 1e-3 * rates.width_b_to_kstar_a(g, [0.0], m_b, m_k)[0]  # λ^{3/2}


def test_b_to_k_a_width_formula_by_hand():
    g, m_a = 3e-9, 1.3
    m_b, m_k = mass(521), mass(321)
    lam = (1 - (m_k + m_a) ** 2 / m_b**2) * (1 - (m_k - m_a) ** 2 / m_b**2)
    f0 = 0.3302 / (1 - m_a**2 / 37.46)
    expected = m_b**3 * g**2 / (64 * math.pi) * (1 - m_k**2 / m_b**2) ** 2 * f0**2 * lam**0.5
    assert rates.width_b_to_k_a(g, m_a) == pytest.approx(expected, rel=1e-12)


def test_top_loop_log_coefficient():
    # d g_bs / d ln Λ² at fixed c_tt/Λ is y_t²/(16π²) |V_tb V_ts| c_tt/(2Λ) (leading log)
    lam1, lam2 = 1e3, 1e5
    g1 = rates.g_bs_top_loop(1.0, lam1) * lam1
    g2 = rates.g_bs_top_loop(1.0, lam2) * lam2
    yt2 = 2 * math.sqrt(2) * rates.G_FERMI * mass(6) ** 2
    slope = yt2 / (16 * math.pi**2) * rates.VTB_VTS * 0.5
    assert abs(g2 - g1) == pytest.approx(slope * math.log(lam2**2 / lam1**2), rel=1e-12)


def test_jpsi_gamma_a_reference():
    # REFERENCES.md §4 [calc]: B(J/psi -> gamma a)/B(J/psi -> ee) = 1.31e-5 at g = 1e-3, m_a -> 0
    assert rates.jpsi_gamma_a_ratio(1e-3, 0.0) == pytest.approx(1.31e-5, rel=3e-3)
    m = mass(443)
    assert rates.jpsi_gamma_a_ratio(1e-3, 0.5 * m) == pytest.approx(
        rates.jpsi_gamma_a_ratio(1e-3, 0.0) * 0.75**3, rel=1e-12
    )


COUPLING_B = (
    BASE_CARD.replace("branching_fraction = 1e-6\n", "")
    .replace("ctau = 1.0\n", "")
    .replace('[alp.decays]\n"gamma gamma" = 1.0', "[alp.couplings]\ng_aW = 1e-5")
)


def test_bf_from_couplings_in_card(write_card):
    card = load_card(write_card(COUPLING_B))
    expected = rates.bf_b_to_k_a(card.alp.couplings, 1.0)
    norm = card.channel.normalisation()
    assert norm["branching_fraction"] == pytest.approx(expected, rel=1e-12)
    assert 1.9e-7 < expected < 2.1e-7  # f0 rises slightly from m_a = 0 to 1 GeV


def test_missing_bf_names_field(write_card):
    text = BASE_CARD.replace("branching_fraction = 1e-6\n", "")
    with pytest.raises(CardError, match=r"channel\.branching_fraction.*required"):
        load_card(write_card(text))


def test_bf_and_couplings_conflict(write_card):
    text = COUPLING_B.replace(
        'name = "B+ -> K+ a"', 'name = "B+ -> K+ a"\nbranching_fraction = 1e-6'
    )
    with pytest.raises(CardError, match=r"channel\.branching_fraction.*cannot be combined"):
        load_card(write_card(text))


def test_dec_table_values_are_read_not_typed():
    assert 0.05 < dec_branching_fraction("J/psi", ["e+", "e-"]) < 0.07
    assert dec_branching_fraction("J/psi", ["e-", "e+"]) == dec_branching_fraction(
        "J/psi", ["e+", "e-"]
    )
    assert dec_branching_fraction("J/psi", ["gamma", "nonsense"]) == 0.0
    assert np.isclose(dec_branching_fraction("K0", ["K_S0"]), 0.5)
