"""Beams: energies, crossing angle, √s spread and the luminous region."""

import numpy as np
import pytest

from alpsim.detector.config import load_detector, shipped_card
from alpsim.generator.beams import draw_beams
from alpsim.generator.kinematics import velocity


@pytest.fixture(scope="module", params=["belle2", "babar", "bes3", "belle"])
def det(request):
    return load_detector(shipped_card(request.param))


def test_nominal_sqrt_s_and_boost(det):
    b = det.beams
    sqrt_s, beta = b.nominal_cms()
    half = 0.5 * (b.e_minus_angle + b.e_plus_angle)
    assert sqrt_s == pytest.approx(
        2 * np.sqrt(b.e_minus_energy * b.e_plus_energy) * np.cos(half), rel=1e-6
    )
    # boost: (E− sinθ− + E+ sinθ+, 0, E− cosθ− − E+ cosθ+)/(E− + E+)
    expected = np.array(
        [
            b.e_minus_energy * np.sin(b.e_minus_angle) + b.e_plus_energy * np.sin(b.e_plus_angle),
            0.0,
            b.e_minus_energy * np.cos(b.e_minus_angle) - b.e_plus_energy * np.cos(b.e_plus_angle),
        ]
    ) / (b.e_minus_energy + b.e_plus_energy)
    np.testing.assert_allclose(beta, expected, atol=1e-6)


def test_belle2_boost_reference():
    # REFERENCES.md §8: Belle II βγ = 0.284 (7 × 4 GeV), boost tilted by the crossing angle.
    b = load_detector(shipped_card("belle2")).beams
    _, beta = b.nominal_cms()
    bg = np.linalg.norm(beta) / np.sqrt(1 - beta @ beta)
    assert bg == pytest.approx(0.284, abs=0.003)
    assert beta[0] > 0 and np.arctan2(beta[0], beta[2]) == pytest.approx(0.150, abs=0.01)


def test_sqrt_s_spread_and_luminous_region(det):
    rng = np.random.default_rng(2)
    b = det.beams
    draw = draw_beams(rng, 100_000, b)
    sqrt_s, _ = b.nominal_cms()
    s_em = b.e_minus_energy_spread * sqrt_s / (2 * b.e_minus_energy)
    s_ep = b.e_plus_energy_spread * sqrt_s / (2 * b.e_plus_energy)
    assert draw.sqrt_s.std() == pytest.approx(np.hypot(s_em, s_ep), rel=0.02)
    assert draw.sqrt_s.mean() == pytest.approx(sqrt_s, abs=3 * draw.sqrt_s.std() / 300)
    np.testing.assert_allclose(draw.primary_vertex[:, :3].std(axis=0), b.spot_sigma, rtol=0.02)
    assert np.all(draw.primary_vertex[:, 3] == 0)


def test_threshold_redraws_below_min_sqrt_s():
    b = load_detector(shipped_card("belle2")).beams
    sqrt_s, _ = b.nominal_cms()
    draw = draw_beams(np.random.default_rng(3), 50_000, b, min_sqrt_s=sqrt_s)
    assert draw.sqrt_s.min() >= sqrt_s - 1e-9
    vel = velocity(draw.total)
    assert np.all(vel[:, 0] > 0)


def test_belle_boost_reference():
    # REFERENCES.md §8: Belle 8.0 × 3.5 GeV → βγ = 0.425
    b = load_detector(shipped_card("belle")).beams
    _, beta = b.nominal_cms()
    assert np.linalg.norm(beta) / np.sqrt(1 - beta @ beta) == pytest.approx(0.425, abs=0.002)
