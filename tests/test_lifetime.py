"""Decay lengths, lifetime reweighting and forced decays (generator/lifetime.py)."""

import numpy as np
import pytest
from scipy import stats

from alpsim.card import load_card
from alpsim.generator import kinematics as kin
from alpsim.generator.lifetime import LifetimeSampling, lifetime_weight, sample_proper_length
from alpsim.runner import ctau_weight_name, simulate_chunk

from .conftest import BASE_CARD


def _alp_lab_length(block):
    i = block.roles["alp"]
    return np.linalg.norm(block.decay_vertex(i)[:, :3] - block.vertex[:, i, :3], axis=1)


def _chunk(write_card, text, size=40_000, seed=3):
    card = load_card(write_card(text))
    record, _ = simulate_chunk(card, seed, 0, 0, size)
    return card, record


def test_proper_length_is_exponential():
    rng = np.random.default_rng(1)
    ell, g = sample_proper_length(rng, np.ones(50_000), LifetimeSampling("exponential", 7.0))
    assert stats.kstest(ell, "expon", args=(0, 7.0)).pvalue > 1e-3
    np.testing.assert_allclose(lifetime_weight(ell, g, 7.0), 1.0, rtol=1e-12)


def test_reweighting_matches_direct_generation(write_card):
    # Generated at cτ0 = 10 mm, reweighted to 4 mm, against a sample made at 4 mm directly.
    base = BASE_CARD.replace("ctau = 1.0", "ctau = 10.0").replace(
        "seed = 1", "seed = 1\nctau_weights = [4.0, 30.0]"
    )
    _, rec = _chunk(write_card, base)
    _, direct = _chunk(write_card, BASE_CARD.replace("ctau = 1.0", "ctau = 4.0"), seed=4)
    length = np.concatenate([_alp_lab_length(b) for b in rec.blocks])
    w = rec.weights()[ctau_weight_name(4.0)]
    assert abs(w.mean() - 1.0) < 4 * w.std() / np.sqrt(w.size)
    w30 = rec.weights()[ctau_weight_name(30.0)]
    assert abs(w30.mean() - 1.0) < 4 * w30.std() / np.sqrt(w30.size)
    target = np.concatenate([_alp_lab_length(b) for b in direct.blocks])
    edges = np.quantile(target, np.linspace(0, 1, 21))
    edges[-1] = np.inf
    h_w, _ = np.histogram(length, edges, weights=w)
    h_w2, _ = np.histogram(length, edges, weights=w**2)
    h_d, _ = np.histogram(target, edges)
    scale = h_d.sum() / h_w.sum()
    chi2 = np.sum((h_w * scale - h_d) ** 2 / (h_w2 * scale**2 + h_d))
    assert chi2 < stats.chi2.ppf(0.999, len(h_d) - 1)


def test_forced_decays_inside_range_with_probability_weight(write_card):
    text = BASE_CARD.replace("ctau = 1.0", "ctau = 1e7\ndecay_range = [10.0, 1000.0]")
    _card, rec = _chunk(write_card, text, size=20_000)
    for b in rec.blocks:
        length = _alp_lab_length(b)
        assert length.min() >= 10.0 - 1e-9 and length.max() <= 1000.0 + 1e-9
        p4 = b.p4[:, b.roles["alp"]]
        bgct = kin.momentum(p4) / kin.mass(p4) * 1e7
        expected = np.exp(-10.0 / bgct) - np.exp(-1000.0 / bgct)
        np.testing.assert_allclose(b.weights["nominal"], expected, rtol=1e-6)
    # the acceptance for decaying in [10, 1000] mm is precise even at cτ ≫ detector
    w = rec.weights()["nominal"]
    assert w.std() / w.mean() < 0.2


def test_forced_decay_reweighting_to_short_lifetime(write_card):
    # Forced in [0, 50] mm at cτ0 = 5 mm, reweighted to cτ = 2 mm: the weights estimate the
    # probability of decaying within 50 mm at 2 mm, i.e. mean of 1 − exp(−50/βγcτ).
    text = BASE_CARD.replace("ctau = 1.0", "ctau = 5.0\ndecay_range = [0.0, 50.0]").replace(
        "seed = 1", "seed = 1\nctau_weights = [2.0]"
    )
    _, rec = _chunk(write_card, text, size=20_000)
    w = rec.weights()[ctau_weight_name(2.0)]
    p4 = np.concatenate([b.p4[:, b.roles["alp"]] for b in rec.blocks])
    bg = kin.momentum(p4) / kin.mass(p4)
    expected = np.mean(1 - np.exp(-50.0 / (bg * 2.0)))
    assert w.mean() == pytest.approx(expected, abs=4 * w.std() / np.sqrt(w.size))


def test_log_uniform_sampling_reweights_to_exponential():
    rng = np.random.default_rng(5)
    s = LifetimeSampling("log-uniform", 1.0, proper_range=(1e-4, 1e5))
    ell, g = sample_proper_length(rng, np.ones(200_000), s)
    for ct in (0.01, 1.0, 100.0):
        w = lifetime_weight(ell, g, ct)
        assert w.mean() == pytest.approx(1.0, abs=5 * w.std() / np.sqrt(w.size))
        mean_ell = np.sum(w * ell) / np.sum(w)
        assert mean_ell == pytest.approx(ct, rel=0.1)


def test_bad_decay_range_names_field(write_card):
    from alpsim.toml_fields import CardError

    with pytest.raises(CardError, match=r"alp\.decay_range.*L_max > L_min"):
        load_card(write_card(BASE_CARD.replace("ctau = 1.0", "ctau = 1.0\ndecay_range = [5, 1]")))
    with pytest.raises(CardError, match=r"run\.ctau_weights"):
        load_card(write_card(BASE_CARD.replace("seed = 1", "seed = 1\nctau_weights = [-1]")))


def test_sampling_and_weights_refuse_bad_arguments():
    """A negative or zero cτ and reversed or negative ranges are errors, not NaN lengths."""
    from alpsim.generator.lifetime import LifetimeSampling, lifetime_weight

    for bad in (
        dict(ctau=-1.0),
        dict(ctau=0.0),
        dict(ctau=float("nan")),
        dict(mode="forced", lab_range=(100.0, 10.0)),
        dict(mode="forced", lab_range=(-1.0, 10.0)),
        dict(mode="log-uniform", proper_range=(0.0, 10.0)),
        dict(mode="log-uniform", proper_range=(10.0, 1.0)),
    ):
        with pytest.raises(ValueError, match="mm: must be"):
            LifetimeSampling(**bad)
    with pytest.raises(ValueError, match="ctau"):
        lifetime_weight(np.ones(3), np.ones(3), -2.0)
    LifetimeSampling(mode="forced", lab_range=(0.0, 10.0))  # a range from the IP is fine
