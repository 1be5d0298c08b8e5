"""The published lifetime curves of validation/published_lifetime.py, recomputed from the limit
grids that ALPaca ships (skipped without ALPaca, an optional extra)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy.constants import c

from alpsim.validation import published_lifetime as pub


def _grid(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    spec = importlib.util.find_spec("alpaca")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("ALPaca (alpaca-alps) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "experimental_data" / "visible"
    data = np.load(path / name)
    # ALPaca's layout: last row the masses (GeV), last column log10(τ / ps), the rest log10(BR).
    return data[-1, :-1], 10 ** data[:-1, -1] * 1e-12 * c * 1e3, data[:-1, :-1]


@pytest.mark.parametrize(
    ("state", "name"),
    [("mu+ mu-", "belleII_BKmumu_displ.npy"), ("e+ e-", "belleII_BKee_displ.npy")],
)
def test_belle2_curves_follow_from_the_limits(state: str, name: str) -> None:
    masses, ctau_mm, log_br = _grid(name)
    np.testing.assert_allclose(ctau_mm, pub.BELLE2_CTAU_MM, rtol=1e-3)
    for m, curve in pub.BELLE2_B2KS_RELATIVE[state].items():
        i = int(np.argmin(np.abs(masses - m)))
        assert abs(masses[i] - m) < 3e-3
        limit = 10 ** log_br[:, i]
        np.testing.assert_allclose(limit.min() / limit, curve, atol=6e-4)


def test_babar_ratios_follow_from_the_limits() -> None:
    masses, ctau_mm, log_br = _grid("babar_BKphotons_displ.npy")
    np.testing.assert_allclose(ctau_mm, pub.BABAR_CTAU_MM, rtol=1e-3)
    finite = np.all(np.isfinite(log_br), axis=0)
    for (lo, hi), (n, q10, q100) in pub.BABAR_B2KA_GG_RELATIVE.items():
        s = finite & (masses >= lo) & (masses < hi)
        assert s.sum() == n
        for row, quartiles in ((1, q10), (2, q100)):
            ratio = 10 ** (log_br[0, s] - log_br[row, s])
            np.testing.assert_allclose(np.percentile(ratio, [25, 50, 75]), quartiles, atol=6e-3)


def test_published_curves_are_relative_efficiencies() -> None:
    """Every Belle II curve peaks at exactly 1, and rises then falls (a lifetime curve)."""
    for curves in pub.BELLE2_B2KS_RELATIVE.values():
        for curve in curves.values():
            assert len(curve) == len(pub.BELLE2_CTAU_MM)
            assert max(curve) == 1.0 and curve[0] < 0.05 and curve[-1] < 0.3


def test_gg_sensitivity_of_a_gaussian_peak() -> None:
    """ε f/√W for a Gaussian peak: f = 95.4 % inside ±2σ, W = 4σ; twice as wide costs √2,
    half the events cost 2, and a shifted peak costs nothing (the window follows it)."""
    from alpsim.validation.checks_calorimeter import gg_sensitivity

    rng = np.random.default_rng(1)
    x = rng.normal(1.0, 0.01, 200_000)
    w = np.ones_like(x)
    s = gg_sensitivity(x, w, x.size)
    assert s == pytest.approx(0.9545 / np.sqrt(0.04), rel=0.01)
    assert gg_sensitivity(1.0 + 2 * (x - 1.0), w, x.size) == pytest.approx(s / np.sqrt(2), rel=0.01)
    assert gg_sensitivity(x, w * (rng.random(x.size) < 0.5), x.size) == pytest.approx(
        s / 2, rel=0.01
    )
    assert gg_sensitivity(x - 0.1, w, x.size) == pytest.approx(s, rel=1e-6)
