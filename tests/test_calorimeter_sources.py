"""The Belle II card's calorimeter numbers against the basf2 tables they were taken from, and the
π0 gun of the Belle π0-resolution check (validation/checks_calorimeter.py)."""

from __future__ import annotations

import numpy as np
import pytest

from alpsim.detector.config import load_detector, shipped_card
from alpsim.pdg import mass
from alpsim.validation.checks_calorimeter import (
    BASF2_ECL_SIGMA_E,
    basf2_sigma_e,
    belle_pi0_sigma,
    pi0_gun,
)


@pytest.mark.parametrize("region", sorted(BASF2_ECL_SIGMA_E))
def test_belle2_region_resolution_follows_basf2(region):
    """Each ECL region's σ_E/E (cards/belle2.toml, a fit of the quadrature form) stays within
    10 % of basf2's ECLCovarianceMatrixModule parametrisation from 50 MeV to 5 GeV."""
    cal = load_detector(shipped_card("belle2")).calorimeter
    reg = next(r for r in cal.regions if r.name == region)
    energies = np.geomspace(0.05, 5.0, 30)
    card = reg.relative_energy_resolution(energies)
    ref = np.array([basf2_sigma_e(region, e) for e in energies])
    assert np.all(np.abs(card / ref - 1.0) < 0.10), (card / ref).round(3)


def test_belle2_regions_are_basf2s():
    """The polar ranges of the ECL regions are basf2's ECLShower::getDetectorRegion edges."""
    cal = load_detector(shipped_card("belle2")).calorimeter
    edges = {r.name: np.degrees(r.theta).round(1).tolist() for r in cal.regions}
    assert edges == {
        "forward_endcap": [12.4, 31.4],
        "barrel": [32.2, 128.7],
        "backward_endcap": [130.7, 155.1],
    }


def test_pi0_gun_conserves_four_momentum():
    """The two photons add up to a π0 of the requested lab momentum and direction, each is
    massless, and their invariant mass is the π0 mass."""
    rng = np.random.default_rng(3)
    p, theta = 1.7, np.radians(70.0)
    g1, g2 = pi0_gun(rng, 5000, p, theta)
    tot = g1 + g2
    m = mass(111)
    np.testing.assert_allclose(tot[:, 0], p * np.sin(theta), atol=1e-12)
    np.testing.assert_allclose(tot[:, 1], 0.0, atol=1e-12)
    np.testing.assert_allclose(tot[:, 2], p * np.cos(theta), atol=1e-12)
    np.testing.assert_allclose(tot[:, 3], np.hypot(p, m), rtol=1e-12)
    for g in (g1, g2):
        np.testing.assert_allclose(g[:, 3], np.linalg.norm(g[:, :3], axis=1), rtol=1e-10)
    inv = np.sqrt(tot[:, 3] ** 2 - np.sum(tot[:, :3] ** 2, axis=1))
    np.testing.assert_allclose(inv, m, rtol=1e-9)
    # isotropic in the rest frame: the energy sharing is flat between its kinematic limits
    share = g1[:, 3] / tot[:, 3]
    beta = p / np.hypot(p, m)
    assert share.min() > 0.5 * (1 - beta) - 1e-9 and share.max() < 0.5 * (1 + beta) + 1e-9
    assert abs(np.mean(share) - 0.5) < 0.01


def test_belle_pi0_sigma_grows_with_momentum_above_1gev():
    """Belle's π0 peak widens with momentum (the opening-angle term), in every polar range."""
    for th in ((20.0, 45.0), (45.0, 100.0), (100.0, 150.0)):
        widths = [belle_pi0_sigma(th, p) for p in (1.0, 2.0, 3.0)]
        assert widths[0] < widths[1] < widths[2]
        assert 4.0 < widths[0] < 8.0  # MeV, the range of the data tables at 1 GeV
