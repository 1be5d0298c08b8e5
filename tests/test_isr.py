"""ISR (Kuraev–Fadin structure function): normalisation, moments, kinematics, σ_ISR."""

import numpy as np
import pytest
from scipy import integrate

from alpsim.generator import isr
from alpsim.generator import kinematics as kin
from alpsim.generator.beams import draw_beams

from .conftest import BELLE2_BEAMS

S = 10.58**2
BEAMS = BELLE2_BEAMS


def test_beta_value():
    # β = (2α/π)(ln(s/m_e²) − 1) at √s = 10.58 GeV: 0.0877 (computed by hand with α(0), PDG m_e).
    assert isr.isr_beta(S) == pytest.approx(0.08774, abs=5e-5)


def test_structure_function_is_normalised():
    beta = isr.isr_beta(S)
    # ∫ f = 1 analytically; integrate the singular part with quad's algebraic weight.
    singular, _ = integrate.quad(
        lambda x: beta * (1 + 0.75 * beta), 0, 1, weight="alg", wvar=(beta - 1, 0)
    )
    regular, _ = integrate.quad(lambda x: -beta * (1 - x / 2), 0, 1)
    assert singular + regular == pytest.approx(1.0, abs=1e-10)
    assert isr.isr_cross_section(lambda s: np.ones_like(s), S, 0.0) == pytest.approx(1.0, 1e-10)


def test_truncated_integral_matches_closed_form():
    # ∫₀^X f = X^β(1 + 3β/4) − β(X − X²/4) for a constant cross section.
    beta = isr.isr_beta(S)
    s_min = 0.3 * S
    big_x = 1 - s_min / S
    exact = big_x**beta * (1 + 0.75 * beta) - beta * (big_x - big_x**2 / 4)
    got = isr.isr_cross_section(lambda s: np.ones_like(s), S, s_min)
    assert got == pytest.approx(exact, rel=1e-9)


def test_sampled_x_moments():
    beta = isr.isr_beta(S)
    x = isr.sample_x(np.random.default_rng(3), np.full(400_000, S))
    mean = beta * (1 + 0.75 * beta) / (1 + beta) - beta / 3
    sigma = np.std(x) / np.sqrt(x.size)
    assert abs(x.mean() - mean) < 5 * sigma
    tail = 0.1**beta  # P(x < 0.1) = 0.1^β (1 + 3β/4) − β(0.1 − 0.0025)
    p_below = tail * (1 + 0.75 * beta) - beta * (0.1 - 0.1**2 / 4)
    assert abs(np.mean(x < 0.1) - p_below) < 5 * np.sqrt(p_below * (1 - p_below) / x.size)


def test_radiation_kinematics_and_cross_section_weighting():
    rng = np.random.default_rng(5)
    beams = draw_beams(rng, 200_000, BEAMS)
    s_min = 4.0**2

    def sigma(s):
        return S / s  # a 1/s' cross section, like e+e- -> f fbar

    bound = isr.sigma_bound(sigma, 1.02 * S, s_min)
    hard = isr.radiate(rng, beams, sigma, s_min, bound)
    s = beams.sqrt_s**2
    # Energy-momentum: hard system + photon = beams; s' = s(1 − x); photon massless along a beam.
    np.testing.assert_allclose(hard.p4 + hard.photon, beams.total, atol=1e-12)
    np.testing.assert_allclose(hard.sqrt_s**2, s * (1 - hard.x), rtol=1e-9, atol=1e-9)
    assert np.all(hard.sqrt_s**2 > s_min)
    big = hard.x > 1e-3
    k = hard.photon[big]
    cos_em = (
        np.sum(k[:, :3] * beams.e_minus[big, :3], 1)
        / kin.momentum(k)
        / kin.momentum(beams.e_minus[big])
    )
    cos_ep = (
        np.sum(k[:, :3] * beams.e_plus[big, :3], 1)
        / kin.momentum(k)
        / kin.momentum(beams.e_plus[big])
    )
    assert np.all(np.maximum(cos_em, cos_ep) > 1 - 1e-9)
    assert abs(np.mean(cos_em > cos_ep) - 0.5) < 0.01
    # <x> of the generated events = ∫ x f σ / ∫ f σ (numerical integral, independent code).
    beta = isr.isr_beta(S)
    x_max = 1 - s_min / S
    f = lambda x: isr.structure_function(x, S) * sigma(S * (1 - x))  # noqa: E731
    num = integrate.quad(lambda x: x * f(x), 0, x_max, limit=200)[0]
    den = integrate.quad(f, 0, x_max, limit=200, points=[1e-6])[0]
    assert den == pytest.approx(isr.isr_cross_section(sigma, S, s_min), rel=2e-3)
    assert beta > 0
    assert abs(hard.x.mean() - num / den) < 5 * hard.x.std() / np.sqrt(hard.x.size)
