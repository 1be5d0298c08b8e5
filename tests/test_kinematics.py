"""Kinematics kernels against analytic values."""

import numpy as np
import pytest

from alpsim.generator import kinematics as kin
from alpsim.pdg import mass


def test_two_body_momentum_b_to_k_a_reference():
    # p* = λ^½(m_B², m_K², m_a²)/(2m_B) (PDG Review "Kinematics") = 2.520 GeV at m_a = 1 GeV,
    # by hand with the PDG B+ and K+ masses [calc].
    p = kin.two_body_momentum(mass(521), mass(321), 1.0)
    assert p == pytest.approx(2.520, abs=5e-4)
    m_b, m_k = mass(521), mass(321)
    lam = (m_b**2 - (m_k + 1.0) ** 2) * (m_b**2 - (m_k - 1.0) ** 2)
    assert p == pytest.approx(np.sqrt(lam) / (2 * m_b), rel=1e-12)


def test_two_body_closed_is_nan():
    assert np.isnan(kin.two_body_momentum(1.0, 0.6, 0.6))


def test_boost_round_trip_and_invariant_mass():
    rng = np.random.default_rng(3)
    p3 = rng.normal(size=(1000, 3))
    p4 = kin.four_vector(p3, 0.5)
    beta = rng.uniform(-0.5, 0.5, size=(1000, 3))
    boosted = kin.boost(p4, beta)
    np.testing.assert_allclose(kin.mass(boosted), 0.5, rtol=1e-9)
    np.testing.assert_allclose(kin.boost(boosted, -beta), p4, atol=1e-12)


def test_boost_of_particle_at_rest_gives_velocity():
    rest = np.array([[0.0, 0.0, 0.0, 2.0]])
    moving = kin.boost(rest, np.array([[0.0, 0.6, 0.0]]))
    np.testing.assert_allclose(kin.velocity(moving), [[0.0, 0.6, 0.0]], atol=1e-12)


@pytest.mark.parametrize("a2, expected", [(0.0, 1 / 3), (1.0, 2 / 5), (-1.0, 1 / 5)])
def test_cos_theta_second_moment(a2, expected):
    # <cos²θ> for 1 + a cos²θ: (1/3 + a/5) / (1 + a/3).
    c = kin.sample_cos_theta(np.random.default_rng(5), 200_000, a2)
    assert c.min() >= -1 and c.max() <= 1
    err = np.std(c**2) / np.sqrt(c.size)
    assert abs(np.mean(c**2) - expected) < 5 * err


def test_directions_about_axis():
    axis = np.array([[1.0, 1.0, 0.0]])
    d = kin.directions(np.array([1.0]), np.array([0.3]), axis)
    np.testing.assert_allclose(d, axis / np.sqrt(2), atol=1e-12)


def test_two_body_decay_conserves_four_momentum():
    rng = np.random.default_rng(9)
    parent = kin.four_vector(rng.normal(size=(5000, 3)) * 3, mass(521))
    d1, d2 = kin.two_body_decay(rng, parent, mass(321), 1.0)
    np.testing.assert_allclose(d1 + d2, parent, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(kin.mass(d1), mass(321), rtol=1e-7)
    np.testing.assert_allclose(kin.mass(d2), 1.0, rtol=1e-9)


def test_compiled_boost_equals_the_numpy_formula_bit_for_bit():
    """kinematics.boost (one compiled pass) against the numpy expressions it replaced, on
    broadcast shapes, β = 0 and non-finite input: identical to the last bit."""
    rng = np.random.default_rng(4)

    def reference(p4, beta):
        b2 = np.sum(beta * beta, axis=-1)
        gamma = 1.0 / np.sqrt(1.0 - b2)
        bp = np.sum(beta * p4[..., :3], axis=-1)
        coef = np.where(b2 > 0.0, (gamma - 1.0) / b2, 0.0)
        coef = coef * bp + gamma * p4[..., 3]
        out = np.empty(np.broadcast_shapes(p4.shape, (*beta.shape[:-1], 4)))
        out[..., :3] = p4[..., :3] + coef[..., None] * beta
        out[..., 3] = gamma * (p4[..., 3] + bp)
        return out

    p = rng.normal(size=(300, 5, 3))
    p4 = np.concatenate([p, np.sqrt((p**2).sum(-1, keepdims=True) + 0.2)], axis=-1)
    betas = [rng.uniform(-0.57, 0.57, (300, 5, 3)), rng.uniform(-0.57, 0.57, (300, 1, 3)),
             np.array([0.1, -0.2, 0.4]), np.zeros((300, 5, 3))]  # fmt: skip
    betas[0][0, 0] = np.nan
    for beta in betas:
        with np.errstate(invalid="ignore"):
            got, want = kin.boost(p4, beta), reference(p4, beta)
        assert got.shape == want.shape and got.tobytes() == want.tobytes()
