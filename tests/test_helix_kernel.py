"""The compiled helix kernel against the plain numpy helix (helix.py, tracking.layer_crossings,
calorimeter.charged_impact) on random prompt and displaced tracks, curlers included."""

from __future__ import annotations

import numpy as np
import pytest

from alpsim.detector.calorimeter import charged_impact
from alpsim.detector.config import load_detector, shipped_card
from alpsim.detector.helix import make_helix
from alpsim.detector.helix_kernel import helix_kernel
from alpsim.detector.tracking import layer_crossings


def _tracks(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pt = np.exp(rng.uniform(np.log(0.03), np.log(5.0), n))  # curlers to stiff tracks
    phi = rng.uniform(-np.pi, np.pi, n)
    cot = np.sinh(rng.uniform(-2.0, 2.0, n))
    p3 = np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * cot], axis=1)
    r = np.where(rng.random(n) < 0.5, 0.0, rng.exponential(300.0, n))  # half displaced
    a = rng.uniform(-np.pi, np.pi, n)
    vtx = np.stack([r * np.cos(a), r * np.sin(a), rng.normal(0.0, 200.0, n)], axis=1)
    return vtx, p3


@pytest.mark.parametrize("card, charge", [("belle2", 1.0), ("belle2", -1.0), ("bes3", 1.0)])
def test_compiled_helix_equals_numpy_helix(card, charge):
    det = load_detector(shipped_card(card))
    trk, cal = det.tracking, det.calorimeter
    vtx, p3 = _tracks(20_000, 11)
    n_lay, first, last, sig, d0, z0, ux, uy, impact, reached = helix_kernel(
        vtx, p3, charge, trk.field,
        np.asarray(trk.layer_radii, dtype=float), np.asarray(trk.layer_weights, dtype=np.int64),
        np.asarray(trk.layer_resolution, dtype=float),
        1.0 / np.tan(trk.theta_range[1]), 1.0 / np.tan(trk.theta_range[0]),
        cal.inner_radius, cal.z_backward, cal.z_forward,
    )  # fmt: skip
    h = make_helix(vtx, p3, charge, trk.field)
    count, first_ref, last_ref, sig_ref = layer_crossings(h, trk)
    same = count == n_lay
    assert same.mean() > 0.999  # a layer exactly at a cone edge may go either way
    np.testing.assert_array_equal(first[same], first_ref[same])
    np.testing.assert_array_equal(last[same], last_ref[same])
    np.testing.assert_array_equal(sig[same], sig_ref[same])
    d0_ref, z0_ref, alpha_poca = h.perigee()
    np.testing.assert_allclose(d0, d0_ref, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(z0, z0_ref, rtol=1e-9, atol=1e-7)
    ux_ref, uy_ref = h.direction_xy(alpha_poca)
    np.testing.assert_allclose(ux, ux_ref, atol=1e-9)
    np.testing.assert_allclose(uy, uy_ref, atol=1e-9)
    pos, ok = charged_impact(h, cal)
    assert (ok == reached).mean() > 0.9999
    both = ok & reached
    assert both.mean() > 0.3
    np.testing.assert_allclose(impact[both], pos[both], rtol=1e-9, atol=1e-6)
    assert np.all(np.isnan(impact[~reached]))
