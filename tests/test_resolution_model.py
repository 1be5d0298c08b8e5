"""The least-squares resolution model (detector/resolution_model.py) against cases solved by
hand, and the shipped cards' multiple-scattering terms against it."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from alpsim.detector.config import load_detector, shipped_card
from alpsim.detector.material import highland_theta0
from alpsim.detector.resolution_model import fit_resolution
from alpsim.validation.checks_material import COPIED_TOL, FROM_FIT, HIGHLAND_TOL


def _tracker(radii, sigma, weights=None):
    """The three fields fit_resolution reads from a TrackingSettings."""
    return SimpleNamespace(
        layer_radii=tuple(radii),
        layer_resolution=tuple(sigma),
        layer_weights=tuple(weights or [1] * len(radii)),
    )


def test_one_scatterer_before_precise_layers_gives_lever_arm_times_angle():
    """Three nearly perfect layers behind one thin scatterer at r_s: the fit absorbs the kink
    δ exactly into d0' = d0 − r_s δ and φ0' = φ0 + δ, so b(d0) = r_s θ0 and b(φ0) = θ0 (the
    Highland angle of x/X0 at 1 GeV)."""
    x, r_s = 0.01, 5.0
    trk = _tracker([10.0, 20.0, 30.0], [1e-7] * 3)
    fit = fit_resolution(trk, (SimpleNamespace(radius=r_s, x_over_x0=x),), p=1.0)
    theta0 = float(highland_theta0(1.0, 1.0, x))
    assert fit.phi0_b == pytest.approx(theta0, rel=1e-4)
    assert fit.d0_b == pytest.approx(r_s * theta0, rel=1e-4)
    assert fit.d0_a < 1e-5


def test_no_material_gives_no_scattering_term_and_weights_act_as_layers():
    """Without material b = 0; a card entry of weight w measures like w layers (σ/√w)."""
    radii = [10.0, 20.0, 30.0, 40.0]
    weighted = fit_resolution(_tracker(radii, [0.01] * 4, [4] * 4), ())
    single = fit_resolution(_tracker(radii, [0.005] * 4), ())
    assert weighted.d0_b == 0.0 and weighted.phi0_b == 0.0
    assert weighted.d0_a == pytest.approx(single.d0_a, rel=1e-9)
    assert weighted.phi0_a == pytest.approx(single.phi0_a, rel=1e-9)


def test_scattering_term_scales_as_one_over_p():
    """b is p·√(σ(p)² − a²): the same at any p for this linear model."""
    trk = _tracker([14.0, 22.0, 40.0, 80.0], [0.01] * 4)
    mat = (SimpleNamespace(radius=11.0, x_over_x0=0.008),)
    assert fit_resolution(trk, mat, p=0.3).d0_b == pytest.approx(
        fit_resolution(trk, mat, p=3.0).d0_b, rel=1e-6
    )


@pytest.mark.parametrize("name", ["belle2", "babar", "bes3", "belle"])
def test_card_scattering_terms_follow_their_material(name):
    """The d0 and φ0 multiple-scattering terms of the tracking cards against the fit through
    their own layers and material. Terms a card typed from its own sources (Belle II's, from the
    TDR) must lie within 25 % of the fit (HIGHLAND_TOL); terms a card copied from this very fit
    (FROM_FIT: BaBar's and BESIII's, Belle's φ0) are a regression check only, within the 2 % of
    their rounding (COPIED_TOL), so a change of the card's layers or material that leaves them
    stale fails. Belle's typed b(d0) = 35.5 µm GeV (SVD2, NIM A 560 (2006) 1, not re-read
    [unverified]) is 1.3 × what its material gives: a known FAIL row of
    validation/checks_material.py, not asserted here."""
    det = load_detector(shipped_card(name))
    fit = fit_resolution(det.tracking, det.material.layers)
    terms = {"d0": (det.tracking.d0_resolution[1], fit.d0_b),
             "phi0": (det.tracking.phi0_resolution[1], fit.phi0_b)}  # fmt: skip
    checked = 0
    for key, (card, model) in terms.items():
        if (name, key) in FROM_FIT:
            assert card == pytest.approx(model, rel=COPIED_TOL), key
        elif name != "belle":
            assert card == pytest.approx(model, rel=HIGHLAND_TOL), key
        else:
            continue
        checked += 1
    assert checked >= 1
    assert np.isfinite(fit.d0_a) and fit.d0_a > 0


def test_fiducial_curve_of_the_lifetime_diagnostic():
    """validation/checks_tracking.fiducial_curve: for one transverse boost the relative
    efficiency is (e^{−r_min/λ} − e^{−R/λ}) over its maximum on the grid, λ = cτ·βγ_T."""
    from validation.checks_tracking import fiducial_curve

    grid = np.array([1.0, 10.0, 100.0, 1000.0])
    bg = np.array([2.0])
    rel = fiducial_curve(bg, grid, 0.5, 125.0)
    lam = grid * 2.0
    f = np.exp(-0.5 / lam) - np.exp(-125.0 / lam)
    np.testing.assert_allclose(rel, f / f.max(), rtol=1e-12)
    assert rel.max() == 1.0
    # a larger fiducial radius keeps more of the long-lived decays
    assert fiducial_curve(bg, grid, 0.5, 1000.0)[-1] > rel[-1]
