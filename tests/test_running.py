"""RG running and weak-scale matching of the ALP couplings (generator/alp/running.py) against
independent values: the SM inputs, the analytic leading-log solution of BNRST20 eq. (24)
(Bauer et al., JHEP 04 (2021) 063, arXiv:2012.12272) and the basis conversion."""

import math

import pytest

from alpsim.card import load_card
from alpsim.generator.alp import AlpModel, Couplings
from alpsim.generator.alp import running as rn
from alpsim.pdg import mass

from .conftest import BASE_CARD

K = 16 * math.pi**2


def test_sm_inputs_at_mz():
    sm = rn.sm_couplings(mass(23))
    assert sm["alpha_s"] == pytest.approx(0.1180, rel=1e-3)  # PDG 2024 alpha_s(M_Z)
    assert sm["s2w"] == pytest.approx(0.23122, rel=1e-3)  # PDG 2024 MS-bar
    assert 1 / sm["alpha_em"] == pytest.approx(127.951, rel=1e-3)


def test_top_yukawa_near_the_msbar_top_mass():
    # PDG 2024: m_t(m_t) = 162.5 GeV (MS-bar) -> y_t = sqrt(2) m_t / v, v = 246.22 GeV
    assert rn.sm_couplings(162.5)["y_t"] == pytest.approx(math.sqrt(2) * 162.5 / 246.22, rel=0.01)


def test_leading_log_top_coupling_is_the_analytic_solution():
    # c_tt = 1 at Λ, LL (BNRST20 eq. (24), eq. (20)): c̃_GG = c_tt/2, c̃_WW = 0, c̃_BB = 4c_tt/3;
    # c_Q3 − c_Q1 = −y_t² c_tt L/(16π²) and c_Q1 = (−16α_s² c̃_GG − α₁² c̃_BB/3) L/(16π²),
    # L = ln(μ_w/Λ), all couplings at Λ
    lam = 2000.0
    c = Couplings(c_tt=1.0, Lambda=lam, running="leading-log")
    s = rn.run_above(rn.chiral_from_couplings(c), lam, rn.EW_SCALE_GEV, "leading-log")
    sm = rn.sm_couplings(lam)
    log = math.log(rn.EW_SCALE_GEV / lam)
    assert s.cQ[2] - s.cQ[0] == pytest.approx(-(sm["y_t"] ** 2) * log / K, rel=1e-9)
    gauge = -16 * sm["alpha_s"] ** 2 * 0.5 - sm["alpha_1"] ** 2 * (4 / 3) / 3
    assert s.cQ[0] == pytest.approx(gauge * log / K, rel=1e-9)


def test_numerical_and_leading_log_agree_for_a_short_run():
    # over a short interval the two solutions coincide to second order in the log
    c_num = Couplings(c_tt=1.0, Lambda=120.0)
    c_ll = Couplings(c_tt=1.0, Lambda=120.0, running="leading-log")
    g1, g2 = rn.g_down_fcnc(c_num), rn.g_down_fcnc(c_ll)
    assert g1 == pytest.approx(g2, rel=2e-3)


def test_no_running_keeps_the_couplings():
    c = Couplings(c_ee=0.3, C_GG=0.1, running="none")
    assert c.at_scale(1.0) is c


def test_bnrst20_basis_in_a_card_is_c_over_16pi2(write_card):
    card = BASE_CARD.replace("branching_fraction = 1e-6\n", "").replace("ctau = 1.0\n", "")
    a = card.replace('[alp.decays]\n"gamma gamma" = 1.0', "[alp.couplings]\nC_GG = 1.0")
    b = card.replace(
        '[alp.decays]\n"gamma gamma" = 1.0',
        f'[alp.couplings]\nC_GG = {K!r}\nbasis = "BNRST20"',
    )
    ca, cb = load_card(write_card(a, "a.toml")), load_card(write_card(b, "b.toml"))
    assert cb.alp.couplings.C_GG == pytest.approx(ca.alp.couplings.C_GG, rel=1e-12)
    assert cb.alp.ctau == pytest.approx(ca.alp.ctau, rel=1e-9)
    assert cb.alp.couplings.basis == "BNRST20"


def test_couplings_given_at_the_weak_scale_are_not_run_above_it():
    c_w = Couplings(c_tt=1.0, scale=rn.EW_SCALE_GEV)
    c_hi = Couplings(c_tt=1.0)
    # the running from 1 TeV adds the log ln(Λ/μ_w) to the b → s coupling
    assert abs(rn.g_down_fcnc(c_hi)) > 2 * abs(rn.g_down_fcnc(c_w))
    model = AlpModel.from_couplings(1.0, c_w)
    assert "scale 100 GeV" in c_w.describe_scale() and model.ctau > 0


def test_scale_below_mass_is_refused():
    with pytest.raises(ValueError, match="above the couplings' scale"):
        AlpModel.from_couplings(3.0, Couplings(c_mumu=1.0, scale=2.0))
