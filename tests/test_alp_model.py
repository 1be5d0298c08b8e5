"""ALP model tests: couplings → widths, BRs, cτ (Bauer, Neubert, Thamm, JHEP 12 (2017) 044)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.constants as sc
from hypothesis import given, settings
from hypothesis import strategies as st
from particle import Particle
from scipy.integrate import quad

from alpsim.generator.alp import (
    FINAL_STATES,
    AlpModel,
    C_from_g_agamma,
    Couplings,
    alp_table,
    branching_fractions,
    ctau_mm,
    g_agamma_from_C,
    partial_widths,
    thresholds,
    total_width,
)
from alpsim.generator.alp import hadronic as had
from alpsim.generator.alp.couplings import ALPHA_EM, SIN2_THETA_W, loop_B1, loop_B2

# ħc and α(0) from scipy.constants (CODATA), independently of the hepunits values the code uses
HBARC_REF_GEV_M = sc.hbar * sc.c / (sc.e * 1e9)
ALPHA_REF = sc.fine_structure


def mass_gev(pdgid: int) -> float:
    return Particle.from_pdgid(pdgid).mass / 1000.0


def sig3(x: float) -> float:
    return float(f"{x:.3g}")


# ---------------------------------------------------------------- conventions ----------------
def test_alpha_and_conversions():
    assert ALPHA_EM == pytest.approx(ALPHA_REF, rel=1e-12)
    assert g_agamma_from_C(1.0, 1000.0) == pytest.approx(16 * math.pi * ALPHA_REF / 1000.0, 1e-12)
    assert C_from_g_agamma(g_agamma_from_C(0.37, 250.0), 250.0) == pytest.approx(0.37, 1e-12)
    c = Couplings.from_g_agamma(2.5e-4, Lambda=300.0)
    assert c.g_agamma == pytest.approx(2.5e-4, rel=1e-12)
    assert c.g_aW == 0.0


def test_w_only_alp_has_gagamma_equal_sw2_gaW():
    c = Couplings.from_g_aW(1e-5)
    assert c.g_aW == pytest.approx(1e-5, rel=1e-12)
    assert c.g_agamma == pytest.approx(SIN2_THETA_W * 1e-5, rel=1e-12)
    assert c.C_gamma_gamma == c.C_WW + c.C_BB


def test_couplings_validation():
    with pytest.raises(ValueError, match="Lambda"):
        Couplings(Lambda=0.0)
    with pytest.raises(ValueError, match="c_ee"):
        Couplings(c_ee=float("nan"))
    lu = Couplings.lepton_universal(2.0)
    assert (lu.c_ee, lu.c_mumu, lu.c_tautau, lu.c_uu) == (2.0, 2.0, 2.0, 0.0)
    qu = Couplings.quark_universal(3.0)
    assert (qu.c_uu, qu.c_tt, qu.c_ee) == (3.0, 3.0, 0.0)


# ---------------------------------------------------------------- reference points -----------
def test_gamma_gamma_reference_point():
    g, m = 1e-3, 1.0
    w = partial_widths(m, Couplings.from_g_agamma(g, running="none"))["gamma gamma"]
    assert w == pytest.approx(g**2 * m**3 / (64 * math.pi), rel=1e-9)
    assert sig3(w) == 4.97e-9  # g² m_a³/(64π) at g = 1e-3 GeV⁻¹, m_a = 1 GeV by hand [calc]


def test_gamma_gamma_ctau_reference_point():
    g, m = 1e-5, 0.2
    c = Couplings.from_g_agamma(g, running="none")
    gam = total_width(m, c)  # only γγ is open for a photon-only ALP at 0.2 GeV
    expected_mm = HBARC_REF_GEV_M * 1e3 / (g**2 * m**3 / (64 * math.pi))
    assert ctau_mm(gam) == pytest.approx(expected_mm, rel=1e-9)
    assert sig3(ctau_mm(gam) / 10.0) == 4.96  # cm: cτ = ħc/Γ by hand [calc]


def test_mumu_reference_point():
    m, mmu = 1.0, mass_gev(13)
    w = partial_widths(m, Couplings(c_mumu=1.0, Lambda=1000.0))["mu+ mu-"]
    expected = m * mmu**2 * math.sqrt(1 - 4 * mmu**2 / m**2) / (8 * math.pi * 1000.0**2)
    assert w == pytest.approx(expected, rel=1e-9)
    assert sig3(w) == 4.34e-10  # c_μμ = 1, Λ = 1 TeV, m_a = 1 GeV by hand [calc]


def test_lepton_and_invisible_widths_formula():
    c = Couplings(c_ee=0.3, c_tautau=2.0, m_chi=0.4, c_chi=5.0, Lambda=2000.0, running="none")
    m = 4.2
    pw = partial_widths(m, c)
    for key, ml, cl in (("e+ e-", mass_gev(11), 0.3), ("tau+ tau-", mass_gev(15), 2.0),
                        ("invisible", 0.4, 5.0)):  # fmt: skip
        exp = m * ml**2 * cl**2 * math.sqrt(1 - 4 * ml**2 / m**2) / (8 * math.pi * 2000.0**2)
        assert pw[key] == pytest.approx(exp, rel=1e-9), key


def test_pi_pi_and_kk_are_zero_for_cp_odd_alp():
    c = Couplings.fermion_universal(1.0, C_GG=1.0, C_WW=1.0)
    for m in (0.3, 1.0, 3.0):
        pw = partial_widths(m, c)
        assert pw["pi+ pi-"] == 0.0 and pw["K+ K-"] == 0.0


# ---------------------------------------------------------------- loops ----------------------
def test_loop_functions():
    assert complex(loop_B1(1e-12)) == pytest.approx(1.0, abs=1e-9)  # light fermion: anomaly
    assert complex(loop_B1(1.0)) == pytest.approx(1 - math.pi**2 / 4, rel=1e-12)
    # continuity of the large-τ series switch at τ = 1e3, and the heavy limit −1/(3τ)
    lo, hi = complex(loop_B1(1e3 * (1 - 1e-9))), complex(loop_B1(1e3 * (1 + 1e-9)))
    assert lo == pytest.approx(hi, rel=1e-6)
    assert complex(loop_B1(1e8)).real == pytest.approx(-1 / 3e8, rel=1e-6)
    assert complex(loop_B2(1e8)).real == pytest.approx(2 / 3e8, rel=1e-6)
    # below threshold f(τ) is complex: Im B1 ≠ 0
    assert abs(complex(loop_B1(0.1)).imag) > 0.1


def test_lepton_loop_induced_photon_coupling():
    """For m_a ≫ m_e an electron-coupled ALP has C_γγ^eff = c_ee B₁/(16π²) ≈ c_ee/(16π²)."""
    m, lam = 10.0, 1000.0
    c = Couplings(c_ee=1.0, Lambda=lam)
    w = partial_widths(m, c)["gamma gamma"]
    b1 = complex(loop_B1(4 * mass_gev(11) ** 2 / m**2))
    exp = 4 * math.pi * ALPHA_REF**2 * m**3 * abs(b1 / (16 * math.pi**2)) ** 2 / lam**2
    assert w == pytest.approx(exp, rel=1e-9)
    assert abs(b1) == pytest.approx(1.0, abs=1e-4)


# ---------------------------------------------------------------- hadronic -------------------
def _g_ab(r: float, charged: bool) -> float:
    def lam(x, y, z):
        return x * x + y * y + z * z - 2 * (x * y + x * z + y * z)

    def f(z):
        base = math.sqrt(max(1 - 4 * r / z, 0)) * math.sqrt(max(lam(1, z, r), 0))
        return base * ((z - r) ** 2 if charged else 1.0)

    val, _ = quad(f, 4 * r, (1 - math.sqrt(r)) ** 2, epsabs=0, epsrel=1e-11, limit=200)
    return (12.0 if charged else 2.0) * val / (1 - r) ** 2


@pytest.mark.parametrize("m", [0.45, 0.7, 1.2])
@pytest.mark.parametrize("charged", [True, False])
def test_3pi_matches_bnt17_closed_form_in_isospin_limit(m, charged):
    c = Couplings(C_GG=0.7, c_uu=3.0, c_dd=-1.0, Lambda=500.0)
    mp = mass_gev(111)
    delta = c.C_GG * had.delta_isospin() + (c.c_uu - c.c_dd) / (32 * math.pi**2)
    exp = (math.pi / 6) * m * mp**4 * delta**2 / (500.0**2 * had.F_PI**2)
    exp *= _g_ab(mp**2 / m**2, charged)
    got = had.width_3pi(m, c, charged=charged, m_c=mp, m_0=mp, fade=False)
    assert got == pytest.approx(exp, rel=1e-6)


@pytest.mark.parametrize("m", [0.5, 1.1, 9.0])
def test_pipigamma_ratio_against_quad(m):
    mpi = mass_gev(211)

    def integrand(s):
        beta = math.sqrt(1 - 4 * mpi**2 / s)
        return (
            (2 * ALPHA_REF / (3 * math.pi * s))
            * (1 - s / m**2) ** 3
            * beta**3
            / 4
            * float(had.pion_form_factor(s))
        )

    pts = [mass_gev(113) ** 2] if m > 0.8 else None  # the ρ(770) peak (PDG mass)
    exp, _ = quad(integrand, 4 * mpi**2, m**2, epsrel=1e-10, limit=400, points=pts)
    assert had.pipigamma_over_gammagamma(m) == pytest.approx(exp, rel=1e-6)


def test_alpha_s_at_mz_and_running():
    assert float(had.alpha_s(mass_gev(23))) == pytest.approx(0.118, rel=1e-6)
    a = had.alpha_s(np.array([1.5, 3.0, 10.0]))
    assert np.all(np.diff(a) < 0)
    assert 0.15 < a[-1] < 0.2  # α_s(10 GeV) ≈ 0.18


# ---- ASW (arXiv:1811.03474) comparison. Reference numbers: ALPINIST's digitisation of ASW Fig. 1
# (jjerhot/ALPINIST, widths/integrated/digitized_width_*.dat) [digi], in eV for C_GG = 1, Λ = 1 TeV
# (BNT17 normalisation; checked: the γγ width below m_π agrees to 10 %). Tolerances are factors:
# ASW is data-driven with resonance parameters we do not all reproduce, and the digitisation of a
# log plot is itself good to ~10-20 %. Points where we disagree more are listed in hadronic.py.
GLUON = Couplings(C_GG=1.0)
EV = 1e-9


@pytest.mark.parametrize(("m", "ref_ev"), [(0.1, 0.0037), (0.3, 0.072), (0.45, 0.80), (0.6, 1.25),
                                           (1.0, 52.5)])  # fmt: skip
def test_gluon_gamma_gamma_vs_asw(m, ref_ev):
    """VMD/anomaly a → γγ with π⁰, η, η′ poles: within 30 % of ASW [digi] up to 1 GeV."""
    got = partial_widths(m, GLUON)["gamma gamma"] / EV
    assert ref_ev / 1.3 < got < 1.3 * ref_ev


def test_gluon_gamma_gamma_zero_between_eta_and_eta_prime():
    """ASW's a → γγ vanishes near 0.683 GeV [digi] (cancellation of the η and η′ terms)."""
    ms = np.linspace(0.62, 0.76, 141)
    w = partial_widths(ms, GLUON)["gamma gamma"]
    assert 0.66 < ms[np.argmin(w)] < 0.71


def test_gluon_c_gamma_gamma_low_mass_limit():
    """m_a → 0: −2N_c Tr(κQ²) + η/η′ mass mixing = −1.96 (LO), BNT17 quotes −1.92 (NLO)."""
    c0 = complex(had.C_gamma_gamma_hadronic(1e-3, GLUON))
    assert c0.real == pytest.approx(-1.92, rel=0.03)


# ASW's a → γρ⁰* → γπ⁺π⁻ (eq. (8)): VMD with the meson-mixing 𝐚 only (no direct −κ C_GG term),
# blended into ASW's α_s-scaled flavour singlet between 1.0 and 1.2 GeV. Tolerance 1.5: the
# digitisation (~20 %) × our VMD normalisation, which gives PDG Γ(η′ → π⁺π⁻γ) × 1.3.
# ASW at 1.0 GeV: 1250 eV, interpolated between the digitised 0.996 and 1.008 GeV points.
@pytest.mark.parametrize(("m", "ref_ev"), [(0.6, 2.22), (0.7, 1.85), (0.8, 1.24), (1.0, 1250.0),
                                           (1.2, 758.0), (1.5, 1178.0), (1.8, 503.0)])  # fmt: skip
def test_gluon_pipigamma_vs_asw(m, ref_ev):
    """ASW's VMD a → γρ⁰* → γπ⁺π⁻ from 0.6 to 1.8 GeV: within 1.5 [digi]."""
    got = partial_widths(m, GLUON)["pi+ pi- gamma"] / EV
    assert ref_ev / 1.5 < got < 1.5 * ref_ev


def test_gluon_pipigamma_zero_between_rho_and_eta_prime():
    """ASW's a → π⁺π⁻γ vanishes at 0.838 GeV [digi]: ⟨a ρ⁰ρ⁰⟩ ∝ θ_η + θ_η′/√2 = 0. Ours at
    0.85 GeV (with the direct term in the ρ channel it was at 0.74 GeV)."""
    ms = np.linspace(0.80, 0.88, 161)
    w = partial_widths(ms, GLUON)["pi+ pi- gamma"]
    assert 0.83 < ms[np.argmin(w)] < 0.86
    assert w.min() < 1e-2 * partial_widths(0.7, GLUON)["pi+ pi- gamma"]


# ASW's a → γγ above the η′: direct term faded out over 1.0–1.1 GeV and the α_s-scaled flavour
# singlet blended in over 1.0–1.2 GeV (hadronic.py, _A_matrix, _singlet_matrix). Tolerance 1.5:
# digitisation (~20 %) × the interpolation choices (α̃_s line, windows) that ASW do not specify.
@pytest.mark.parametrize(("m", "ref_ev"), [(1.05, 20.4), (1.1, 13.9), (1.2, 10.0), (1.3, 9.05),
                                           (1.5, 7.43), (1.8, 1.89), (2.0, 0.351)])  # fmt: skip
def test_gluon_gamma_gamma_singlet_vs_asw(m, ref_ev):
    got = partial_widths(m, GLUON)["gamma gamma"] / EV
    assert ref_ev / 1.5 < got < 1.5 * ref_ev


def test_singlet_blend_is_continuous():
    """C_γγ^had, C_γρ continuous across the 1.0–1.2 GeV windows (and α̃_s at 1 and 2 GeV)."""
    ms = np.linspace(0.99, 1.25, 2601)
    for f in (had.C_gamma_gamma_hadronic, had.C_gamma_rho_hadronic):
        c = f(ms, GLUON)
        assert np.max(np.abs(np.diff(c))) < 0.02 * np.max(np.abs(c))
    at = had.alpha_s_tilde(np.array([1.0 - 1e-9, 1.0 + 1e-9, 2.0 - 1e-9, 2.0 + 1e-9]))
    assert at[0] == pytest.approx(at[1], abs=1e-6)
    assert at[2] == pytest.approx(at[3], abs=1e-6)


def test_pipigamma_reduces_to_kroll_wada_for_photon_alp():
    c = Couplings.from_g_agamma(1e-4)
    for m in (0.5, 1.1, 4.0):
        pw = partial_widths(m, c)
        exp = pw["gamma gamma"] * had.pipigamma_over_gammagamma(m)
        assert pw["pi+ pi- gamma"] == pytest.approx(exp, rel=1e-9)


# ASW's a → 3π: the ALP decays like the η, η′ it mixes with (plus BNT17's direct term), with a
# K-factor. Our K is fixed by PDG Γ(η → 3π) alone (K = 1.27); ASW/ALPaca use K = 2.7, a mean over
# η and η′, which overshoots η → 3π. Expected: ours ~1.5× below ASW wherever the η and η′ terms
# dominate, hence the tolerance 1.7 (1.5 from the K normalisation × digitisation, see hadronic.py).
@pytest.mark.parametrize(("m", "ref_ev"), [(0.45, 0.0798), (0.5, 1.20), (0.6, 1.488),
                                           (0.7, 0.1737)])  # fmt: skip
def test_gluon_3pi_charged_vs_asw(m, ref_ev):
    got = partial_widths(m, GLUON)["pi+ pi- pi0"] / EV
    assert ref_ev / 1.7 < got < 1.7 * ref_ev


@pytest.mark.parametrize(("m", "ref_ev"), [(0.45, 0.1655), (0.5, 1.946), (0.6, 2.126),
                                           (0.8, 0.245), (0.9, 6.98)])  # fmt: skip
def test_gluon_3pi0_vs_asw(m, ref_ev):
    got = partial_widths(m, GLUON)["pi0 pi0 pi0"] / EV
    assert ref_ev / 1.7 < got < 1.7 * ref_ev


# ALPaca 1.2.0 (arXiv:2508.08354), c_G = 1 at f = 1 TeV (C_GG = 1/16π² here), numerical running:
# Γ(a → π⁺π⁻π⁰), Γ(a → 3π⁰) in GeV, with its rate factor K = 2.7 (ASW's mean over η and η′).
ALPACA_3PI = {0.45: (3.8575e-15, 8.9876e-15), 0.5: (5.5501e-14, 9.0609e-14)}
ALPACA_K_FACTOR = 2.7


@pytest.mark.parametrize("m", sorted(ALPACA_3PI))
def test_gluon_3pi_vs_alpaca_with_its_k_factor(m):
    """Where the ALP decays like the η it mixes with (0.45–0.5 GeV), alpsim's 3π widths with
    ALPaca's K instead of ours (fixed by PDG Γ(η → 3π)) agree with ALPaca within 25 %: the
    factor ~2 between the two is the K-factor choice, nothing else (hadronic.py)."""
    c = Couplings(C_GG=1.0 / (16 * math.pi**2))
    pw = partial_widths(m, c)
    scale = ALPACA_K_FACTOR / had.three_pi_k_factor()
    for key, ref in zip(("pi+ pi- pi0", "pi0 pi0 pi0"), ALPACA_3PI[m], strict=True):
        assert pw[key] * scale == pytest.approx(ref, rel=0.25), key


def test_gluon_3pi0_zero_near_0p733():
    """ASW's a → 3π⁰ vanishes at 0.733 GeV [digi] (direct, η and η′ terms cancel); so does ours."""
    ms = np.linspace(0.66, 0.80, 141)
    w = partial_widths(ms, GLUON)["pi0 pi0 pi0"]
    assert 0.72 < ms[np.argmin(w)] < 0.75
    assert w.min() < 1e-3 * partial_widths(0.6, GLUON)["pi0 pi0 pi0"]


def test_3pi_k_factor_reproduces_eta_to_3pi():
    """K × LO U(3) η → 3π (unit mixing) = Γ_η × (22.92 + 32.57) % (PDG); K between 1 and 2.7."""
    k = had.three_pi_k_factor()
    assert 1.0 < k < 2.7
    meta = mass_gev(221)
    c_eta = had._meson_3pi_coefficient(had.T_ETA[0])
    mc, m0 = mass_gev(211), mass_gev(111)
    s0 = (meta**2 + 2 * mc**2 + m0**2) / 3
    sl = 3 / (meta**2 - m0**2)

    def dgam(s, m1, amp2):  # dΓ/ds, independent quadrature
        lam = (meta**2 - s - m0**2) ** 2 - 4 * s * m0**2
        return (
            amp2(s)
            * math.sqrt(max(lam, 0) * max(1 - 4 * m1**2 / s, 0))
            / (256 * math.pi**3 * meta**3)
        )

    gc, _ = quad(
        dgam,
        4 * mc**2,
        (meta - m0) ** 2,
        args=(mc, lambda s: (c_eta * (1 + sl * (s - s0))) ** 2),
        epsrel=1e-10,
    )
    g0, _ = quad(dgam, 4 * m0**2, (meta - m0) ** 2, args=(m0, lambda s: 9 * c_eta**2), epsrel=1e-10)
    gam = Particle.from_pdgid(221).width / 1000.0 * (0.2292 + 0.3257)
    assert k * (gc + g0 / 6) == pytest.approx(gam, rel=1e-4)


def test_eta_pipi_normalised_to_eta_prime():
    """The a₀-exchange amplitude reproduces Γ(η′ → ηππ) = Γ_η′ (42.5 + 22.4) % (PDG)."""
    metp = mass_gev(331)
    i = (
        had._eta_pipi_integral(metp, mass_gev(211))[0]
        + 0.5 * had._eta_pipi_integral(metp, mass_gev(111))[0]
    )
    gam = Particle.from_pdgid(331).width / 1000.0 * (0.425 + 0.224)
    assert had.eta_prime_coupling_sq() * i == pytest.approx(gam, rel=1e-12)


@pytest.mark.parametrize(("m", "ref_ev", "tol"), [(1.0, 4933.0, 1.5), (1.2, 50440.0, 1.8),
                                                  (1.5, 251100.0, 1.8)])  # fmt: skip
def test_gluon_eta_pipi_vs_asw(m, ref_ev, tol):
    got = had.width_eta_pipi(m, GLUON) / EV
    assert ref_ev / tol < got < tol * ref_ev


@pytest.mark.parametrize(("m", "ref_ev"), [(0.45, 1.02), (0.8, 3.04), (1.0, 6191.0),
                                           (1.2, 63600.0), (1.5, 286500.0), (2.0, 223700.0),
                                           (2.5, 288300.0), (3.0, 347700.0)])  # fmt: skip
def test_gluon_total_width_vs_asw(m, ref_ev):
    """Total width of a gluon-coupled ALP within a factor 1.6 of ASW's [digi] total."""
    got = total_width(m, GLUON) / EV
    assert ref_ev / 1.6 < got < 1.6 * ref_ev


def test_hadronic_matching_continuous():
    ms = np.linspace(1.3, 2.3, 2001)
    tot = total_width(ms, GLUON)
    assert np.all(np.abs(np.diff(np.log(tot))) < 5e-3)
    gg = had.width_gluons(np.array([2.5, 5.0]), GLUON)
    hadr = partial_widths(np.array([2.5, 5.0]), GLUON)["hadrons"]
    np.testing.assert_allclose(hadr, gg, rtol=2e-2)


def test_gluon_alp_dominantly_hadronic_above_2_gev():
    br = branching_fractions(3.0, Couplings(C_GG=1.0))
    assert br["hadrons"] > 0.99


# ---------------------------------------------------------------- structure ------------------
GENERIC = Couplings(C_WW=0.3, C_BB=-0.1, C_GG=0.05, c_ee=1.0, c_mumu=2.0, c_tautau=0.5,
                    c_uu=1.0, c_dd=-0.5, c_ss=0.3, c_cc=1.0, c_bb=0.7, c_tt=0.2,
                    m_chi=0.3, c_chi=1.0)  # fmt: skip


def test_final_states_and_thresholds():
    assert FINAL_STATES == ("gamma gamma", "e+ e-", "mu+ mu-", "tau+ tau-", "pi+ pi- pi0",
                            "pi0 pi0 pi0", "pi+ pi- gamma", "hadrons", "pi+ pi-", "K+ K-",
                            "invisible")  # fmt: skip
    thr = thresholds(m_chi=0.3)
    assert set(thr) == set(FINAL_STATES)
    m_pi0, m_pi = mass_gev(111), mass_gev(211)
    assert thr["pi0 pi0 pi0"] == pytest.approx(3 * m_pi0, rel=1e-12)
    assert thr["pi+ pi- pi0"] == pytest.approx(2 * m_pi + m_pi0, rel=1e-12)
    assert thr["pi+ pi- gamma"] == pytest.approx(2 * m_pi, rel=1e-12)
    assert thr["mu+ mu-"] == pytest.approx(2 * mass_gev(13), rel=1e-12)
    assert thr["invisible"] == 0.6


def test_widths_scale_as_coupling_squared():
    masses = np.array([0.05, 0.3, 0.6, 1.0, 1.7, 2.5, 4.0, 9.0])
    w1 = partial_widths(masses, GENERIC)
    w3 = partial_widths(masses, GENERIC.scaled(3.0))
    for k in FINAL_STATES:
        # the running is linear in the couplings; rtol: the ODE solver's tolerance (1e-11)
        np.testing.assert_allclose(w3[k], 9.0 * w1[k], rtol=1e-7, atol=0, err_msg=k)


def test_exact_zero_below_and_continuity_across_thresholds():
    thr = thresholds(m_chi=GENERIC.m_chi)
    for k, t in thr.items():
        if t <= 0 or k in ("pi+ pi-", "K+ K-"):
            continue
        below = partial_widths(t * (1 - 1e-9), GENERIC)[k]
        assert below == 0.0, k
        just = partial_widths(t * (1 + 1e-7), GENERIC)[k]
        ref = partial_widths(min(t * 1.3, 10.0), GENERIC)[k]
        assert ref > 0, k
        assert 0 <= just < 1e-3 * ref, k


def test_vectorised_matches_scalar():
    masses = np.geomspace(1e-3, 10, 37)
    vec = partial_widths(masses, GENERIC)
    for i in (0, 11, 20, 29, 36):
        sc = partial_widths(float(masses[i]), GENERIC)
        for k in FINAL_STATES:
            assert vec[k][i] == pytest.approx(sc[k], rel=1e-12, abs=0), k


def test_branching_fractions_sum_to_one():
    masses = np.geomspace(1e-3, 10, 200)
    br = branching_fractions(masses, GENERIC)
    np.testing.assert_allclose(sum(br[k] for k in FINAL_STATES), 1.0, rtol=1e-12)


def test_ctau():
    assert ctau_mm(0.0) == math.inf
    assert ctau_mm(1e-12) == pytest.approx(HBARC_REF_GEV_M * 1e3 / 1e-12, rel=1e-9)
    np.testing.assert_array_equal(ctau_mm(np.array([0.0, 1.0]))[0], np.inf)
    with pytest.raises(ValueError):
        ctau_mm(-1.0)


@settings(max_examples=60, deadline=None)
@given(
    m=st.floats(1e-3, 10.0),
    logs=st.lists(st.floats(-5.0, 5.0), min_size=8, max_size=8),
    signs=st.lists(st.booleans(), min_size=8, max_size=8),
)
def test_property_finite_nonnegative_normalised(m, logs, signs):
    vals = [(1 if s else -1) * 10.0**x for x, s in zip(logs, signs, strict=True)]
    names = ("C_WW", "C_BB", "C_GG", "c_ee", "c_mumu", "c_tautau", "c_uu", "c_cc")
    c = Couplings(**dict(zip(names, vals, strict=True)), m_chi=0.1, c_chi=vals[0])
    pw = partial_widths(m, c)
    for k, v in pw.items():
        assert math.isfinite(v) and v >= 0, (k, v)
    thr = thresholds(m_chi=0.1)
    for k, t in thr.items():
        if m <= t:
            assert pw[k] == 0.0, k
    tot = sum(pw.values())
    assert tot > 0
    assert math.isfinite(ctau_mm(tot))
    assert sum(branching_fractions(m, c).values()) == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(m=st.floats(1e-3, 10.0), lg=st.floats(-8.0, 2.0))
def test_property_photon_alp_is_g2_m3(m, lg):
    g = 10.0**lg
    w = partial_widths(m, Couplings.from_g_agamma(g, running="none"))["gamma gamma"]
    assert w == pytest.approx(g * g * m**3 / (64 * math.pi), rel=1e-9)


# ---------------------------------------------------------------- AlpModel -------------------
def test_alp_model_from_couplings():
    c = Couplings.from_g_agamma(1e-5, running="none")
    mod = AlpModel.from_couplings(0.2, c)
    assert mod.branching_fractions["gamma gamma"] == 1.0
    assert mod.ctau == pytest.approx(ctau_mm(total_width(0.2, c)), rel=1e-12)
    assert "gamma gamma" in alp_table(mod) and "c*tau" in alp_table(mod)
    with pytest.raises(TypeError):
        mod.branching_fractions["e+ e-"] = 0.5  # read-only


def test_model_independent_ok():
    m = AlpModel.model_independent(1.0, width=1e-10, branching_fractions={"pi+ pi-": 0.6,
                                   "K+ K-": 0.4})  # fmt: skip
    assert m.ctau == pytest.approx(HBARC_REF_GEV_M * 1e3 / 1e-10, rel=1e-9)
    m2 = AlpModel.model_independent(0.5, ctau=10.0, branching_fractions={"e+ e-": 1.0})
    assert m2.width == pytest.approx(HBARC_REF_GEV_M * 1e3 / 10.0, rel=1e-9)
    assert m2.partial_widths["e+ e-"] == pytest.approx(m2.width)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (dict(mass=0.15, ctau=1.0, branching_fractions={"mu+ mu-": 1.0}),
         r"alp\.decays\.'mu\+ mu-': mass 0\.15 GeV is below the threshold 0\.2113 GeV"),
        (dict(mass=0.3, ctau=1.0, branching_fractions={"K+ K-": 1.0}), r"'K\+ K-'.*threshold"),
        (dict(mass=1.0, ctau=1.0, branching_fractions={"e+ e-": 0.5, "gamma gamma": 0.4}),
         r"sum to 0\.9"),
        (dict(mass=1.0, ctau=1.0, width=1e-9, branching_fractions={"e+ e-": 1.0}),
         "exactly one of"),
        (dict(mass=1.0, branching_fractions={"e+ e-": 1.0}), "exactly one of"),
        (dict(mass=1.0, ctau=1.0, branching_fractions={"gluons": 1.0}), "'gluons': unknown"),
        (dict(mass=1.0, ctau=1.0, branching_fractions={"e+ e-": 1.5, "gamma gamma": -0.5}),
         r"'e\+ e-': branching fraction"),
        (dict(mass=1.0, ctau=-2.0, branching_fractions={"e+ e-": 1.0}), "alp.ctau"),
        (dict(mass=1.0, width=-2.0, branching_fractions={"e+ e-": 1.0}), "alp.width"),
        (dict(mass=-1.0, ctau=1.0, branching_fractions={"e+ e-": 1.0}), "alp.mass"),
    ],
)  # fmt: skip
def test_model_independent_errors(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        AlpModel.model_independent(**kwargs)


def test_br_sum_tolerance_is_1e_minus_6():
    AlpModel.model_independent(1.0, ctau=1.0, branching_fractions={"e+ e-": 0.5,
                               "gamma gamma": 0.5 + 5e-7})  # fmt: skip
    with pytest.raises(ValueError, match="sum to"):
        AlpModel.model_independent(1.0, ctau=1.0, branching_fractions={"e+ e-": 0.5,
                                   "gamma gamma": 0.5 + 5e-6})  # fmt: skip
