"""Rate formulas of rates.py at reference points computed by hand, and BF from cards."""

import math

import numpy as np
import pytest

from alpsim.card import load_card
from alpsim.generator.alp import Couplings
from alpsim.generator.channels import rates
from alpsim.generator.generic_b import dec_branching_fraction
from alpsim.pdg import mass
from alpsim.toml_fields import CardError

from .conftest import BASE_CARD, coupling_card_text

#: |V_tb V_ts*| behind the ILS reference numbers below (0.0405); alpsim uses the PDG 2024 global
#: fit (rates.VTB_VTS), so the references scale with (rates.VTB_VTS/0.0405)^(1 or 2).
CKM_OF_REFERENCE = 0.0405


def test_w_loop_gbs_reference():
    # ILS PRL 118 (2017) 111802 eq. (4), evaluated at m_t = 172.57, M_W = 80.369 (particle's
    # masses differ by < 0.04 %, moving g_bs by ~0.1 %): |g_bs| = 9.95e-5 g_aW, |V_tbV_ts| = 0.0405
    ref = 9.95e-5 * rates.VTB_VTS / CKM_OF_REFERENCE
    assert abs(rates.g_bs_w_loop(1.0)) == pytest.approx(ref, rel=3e-3)
    assert rates.g_bs_w_loop(2e-5) == pytest.approx(2 * rates.g_bs_w_loop(1e-5), rel=1e-12)


def test_b_to_k_a_reference_bf():
    # ILS eq. (5) with the BZ05 f0: BR(B+ -> K+ a) = 1.91e-7 at g_aW = 1e-5 GeV^-1, m_a -> 0
    # (|V_tbV_ts| = 0.0405), the fixed-order W loop without running
    width = rates.width_b_to_k_a(rates.g_bs_w_loop(1e-5), 1e-6)
    bf = float(rates.branching_fraction(width, rates.B_PLUS))
    assert bf == pytest.approx(1.91e-7 * (rates.VTB_VTS / CKM_OF_REFERENCE) ** 2, rel=6e-3)


# ALPaca 1.2.0 (Alda et al., arXiv:2508.08354), f = Λ = 1 TeV, couplings at 1 TeV in its
# 'derivative_above' basis, default numerical running ('scipy'), m_a = 0.1 GeV:
# alpaca.branching_ratio('B+ -> K+ alp', 0.1, ALPcouplings({'cW': 1.0}, 1000.0,
# 'derivative_above'), 1000.0) = 2.1411e-07, and with {'cuR': diag(0, 0, 1)}: 2.4067e-02;
# with integrator='leadinglog': 1.8781e-07 and 2.1368e-02.
ALPACA_B_TO_K_A = {
    ("C_WW", "numerical"): 2.1411e-07,
    ("c_tt", "numerical"): 2.4067e-02,
    ("C_WW", "leading-log"): 1.8781e-07,
    ("c_tt", "leading-log"): 2.1368e-02,
}


@pytest.mark.parametrize("key", sorted(ALPACA_B_TO_K_A))
def test_b_to_k_a_with_running_vs_alpaca(key):
    name, running = key
    value = 1.0 / (16 * math.pi**2) if name == "C_WW" else 1.0  # ALPaca's c_W = 16π² C_WW
    c = Couplings(**{name: value}, Lambda=1000.0, running=running)
    assert rates.bf_b_to_k_a(c, 0.1) == pytest.approx(ALPACA_B_TO_K_A[key], rel=0.03)


def test_running_raises_the_top_induced_b_to_s_coupling():
    # without running only the matching's finite part is left: the log ln(Λ/μ_w) of the running
    # (BNRST20 arXiv:2012.12272 eq. (24): d c_Q33/d ln μ = −y_t² c_tt/(16π²)) dominates
    fixed = abs(rates.g_bs_from_couplings(Couplings(c_tt=1.0, running="none")))
    run = abs(rates.g_bs_from_couplings(Couplings(c_tt=1.0)))
    assert run > 2.0 * fixed
    # a larger Λ at the same c_tt/Λ: the log grows, g_bs Λ grows
    far = abs(rates.g_bs_from_couplings(Couplings(c_tt=10.0, Lambda=1e4)))
    assert far > run


def _w_couplings(g_aw: float) -> Couplings:
    from alpsim.generator.alp import C_WW_from_g_aW

    return Couplings(C_WW=C_WW_from_g_aW(g_aw, 1000.0), Lambda=1000.0)


def test_form_factors_at_zero():
    assert rates.f0_bk(0.0) == pytest.approx(0.3302)
    # BSZ15 (arXiv:1503.05534) LCSR + lattice fit: A0(0) = 0.369 with a ±0.03 uncertainty
    assert rates.a0_bkstar(0.0) == pytest.approx(0.369, abs=0.03)


def test_a0_bkstar_pole_and_shape():
    """A0 rises monotonically with q² and diverges at the B_s pole (BSZ15's 0⁻ resonance)."""
    q2 = np.linspace(0.0, 19.0, 50)
    a0 = rates.a0_bkstar(q2)
    assert np.all(np.diff(a0) > 0)
    m_pole2 = mass(531) ** 2
    assert rates.a0_bkstar(m_pole2 - 1e-6) > 1e3


def test_a0_bkstar_against_flavio():
    """An independent implementation of the same BSZ15 fit: flavio (ALPaca's dependency)."""
    flavio = pytest.importorskip("flavio")
    from flavio.physics.bdecays.formfactors.b_v import bsz

    par = flavio.default_parameters.get_central_all()
    for q2 in (0.0, 4.0, 9.0, 16.0):
        ref = bsz.ff("B->K*", q2, dict(par))["A0"]
        assert rates.a0_bkstar(q2) == pytest.approx(ref, rel=0.01)


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


def test_jpsi_gamma_a_reference():
    # by hand [calc]: B(J/psi -> gamma a)/B(J/psi -> ee) = 1.31e-5 at g = 1e-3, m_a -> 0
    assert rates.jpsi_gamma_a_ratio(1e-3, 0.0) == pytest.approx(1.31e-5, rel=3e-3)
    m = mass(443)
    assert rates.jpsi_gamma_a_ratio(1e-3, 0.5 * m) == pytest.approx(
        rates.jpsi_gamma_a_ratio(1e-3, 0.0) * 0.75**3, rel=1e-12
    )


def test_jpsi_decay_constant_by_hand():
    # Γ(J/ψ → ee) = 5.53 keV (PDG 2024: Γ = 92.6 keV × 5.971 %), α(0), Q_c = 2/3 [calc]:
    # f_V = sqrt(3 · 3.0969 · 5.53e-6 / (4π α² 4/9)) = 0.4156 GeV
    assert rates.jpsi_decay_constant() == pytest.approx(0.4156, rel=2e-3)


def test_jpsi_charm_term_wilczek_limit():
    """With the LO form factor 2f_V/m_V in place of F̃ and no photon coupling, the rate is
    Wilczek's m_V² c_cc² (1 − x)/(8πα Λ²) (PRL 39 (1977) 1304, for a pseudoscalar of coupling
    c_cc m_c/Λ with m_c = m_V/2); F̃ only rescales the charm amplitude."""
    c = Couplings(c_cc=2.0, Lambda=500.0, running="none")
    m_v, m_a = mass(443), 1.2
    x = m_a**2 / m_v**2
    lo = 2 * rates.jpsi_decay_constant() / m_v
    wilczek = m_v**2 * 2.0**2 * (1 - x) / (8 * math.pi * rates.ALPHA_EM * 500.0**2)
    ratio = (float(rates.ftilde_jpsi(x)) / lo) ** 2
    assert rates.jpsi_gamma_a_ratio_couplings(c, m_a) == pytest.approx(wilczek * ratio, rel=1e-12)
    # the photon term alone is the MPRS photon formula
    g = Couplings.from_g_agamma(1e-3, running="none")
    assert rates.jpsi_gamma_a_ratio_couplings(g, m_a) == pytest.approx(
        rates.jpsi_gamma_a_ratio(1e-3, m_a), rel=1e-12
    )


def test_ftilde_against_hpqcd_file():
    """The polynomial against HPQCD's continuum-limit points (arXiv:2502.06721, ancillary file,
    as shipped with ALPaca): within 0.3 of each point's uncertainty."""
    pytest.importorskip("alpaca")
    from importlib.resources import files

    path = files("alpaca.decays.mesons") / "HPQCD_Ftilde.txt"
    x, f, sigma = np.loadtxt(str(path), skiprows=6, unpack=True)
    assert x.size > 90
    assert np.max(np.abs(rates.ftilde_jpsi(x) - f) / sigma) < 0.3


def test_ftilde_qcd_suppression():
    # HPQCD's F̃(0) = 0.2017 ± 0.0032 is 0.75 of the LO 2f_V/m_V (= 0.268 here): the QCD
    # correction the lattice result carries (arXiv:2502.06721, abstract: < 2 % uncertainty)
    lo = 2 * rates.jpsi_decay_constant() / mass(443)
    assert float(rates.ftilde_jpsi(0.0)) == pytest.approx(0.2017, abs=0.0032)
    assert 0.70 < float(rates.ftilde_jpsi(0.0)) / lo < 0.80


@pytest.mark.parametrize("benchmark", ["charm", "top", "universal"])
def test_jpsi_gamma_a_vs_alpaca(benchmark):
    """B(J/ψ → γa) of charm-, top- and universally coupled ALPs against ALPaca 1.2.0 (same
    HPQCD form factor; ALPaca's α(m_J/ψ) prefactor divided out): within 3 %. The top and
    universal couplings are the benchmarks of validation/alpaca_compare.py."""
    alpaca = pytest.importorskip("alpaca")
    ac = pytest.importorskip("validation.alpaca_compare")
    import warnings

    from alpaca import ALPcouplings

    if benchmark == "charm":
        c = Couplings(c_cc=1.0, Lambda=ac.SCALE_GEV)
        a = ALPcouplings({"cuR": np.diag([0.0, 1.0, 0.0])}, scale=ac.SCALE_GEV,
                         basis="derivative_above")  # fmt: skip
    else:
        c, a = ac.alpsim_couplings(benchmark), ac.alpaca_couplings(benchmark)
    for m_a in (0.05, 1.0, 2.5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = float(alpaca.branching_ratio("J/psi -> photon alp", m_a, a, ac.SCALE_GEV))
        ref *= rates.ALPHA_EM / ac.alpaca_alpha_em(mass(443))
        assert rates.bf_jpsi_to_gamma_a(c, m_a) == pytest.approx(ref, rel=0.03)


COUPLING_B = coupling_card_text("g_aW = 1e-5")


def test_bf_from_couplings_in_card(write_card):
    card = load_card(write_card(COUPLING_B))
    expected = rates.bf_b_to_k_a(card.alp.couplings, 1.0)
    norm = card.channel.normalisation()
    assert norm["branching_fraction"] == pytest.approx(expected, rel=1e-12)


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
