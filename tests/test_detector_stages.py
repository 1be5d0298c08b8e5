"""Detector stages in isolation, on hand-made particles."""

from dataclasses import replace

import numpy as np
import pytest

from alpsim.detector.calorimeter import reconstruct_photons
from alpsim.detector.geometry import hit_cylinder
from alpsim.detector.tracking import reconstruct_tracks
from alpsim.detector.variables import beam_constrained_mass
from alpsim.generator.kinematics import four_vector
from alpsim.pdg import mass


def test_ray_hits_barrel_at_known_point():
    origin = np.array([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0]])
    direction = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    hit, inside = hit_cylinder(origin, direction, 1250.0, -1020.0, 1960.0)
    np.testing.assert_allclose(hit[0], [1250.0, 0.0, 1250.0])
    np.testing.assert_allclose(hit[1], [100.0, np.sqrt(1250.0**2 - 100.0**2), 0.0])
    assert inside.all()


def test_ray_hits_forward_endcap_and_outside_start_is_flagged():
    hit, inside = hit_cylinder(
        np.array([[0.0, 0, 0], [2000.0, 0, 0]]),
        np.array([[0.1, 0, 1.0], [1.0, 0, 0]]),
        1250.0,
        -1020.0,
        1960.0,
    )
    np.testing.assert_allclose(hit[0], [196.0, 0.0, 1960.0])
    assert inside.tolist() == [True, False]


def test_photon_from_displaced_vertex_reconstructed_from_ip(belle2):
    # A photon produced at (x=500 mm) travelling along +y hits the barrel at x=500;
    # seen from the IP its direction is tilted by atan(500/1146) in azimuth.
    rng = np.random.default_rng(1)
    n = 2000
    p4 = np.tile([0.0, 3.0, 0.0, 3.0], (n, 1))
    vtx = np.tile([500.0, 0.0, 0.0, 0.0], (n, 1))
    no_tail = tuple(replace(r, tail_alpha=0.0) for r in belle2.calorimeter.regions)
    cal = replace(belle2.calorimeter, efficiency=1.0, regions=no_tail)  # Gaussian response
    reco, ok = reconstruct_photons(rng, p4, vtx, cal)
    assert ok.all()
    phi = np.arctan2(reco[:, 1], reco[:, 0])
    expected = np.arctan2(np.sqrt(1250.0**2 - 500.0**2), 500.0)
    assert abs(np.median(phi) - expected) < 2e-3
    rel = np.std(reco[:, 3]) / 3.0
    assert rel == pytest.approx(  # the barrel region's terms (the photon hits it at 90 deg)
        belle2.calorimeter.relative_energy_resolution(np.array(3.0), np.array(np.pi / 2)), rel=0.1
    )


def test_photon_in_gap_or_outside_acceptance_is_lost(belle2):
    rng = np.random.default_rng(2)
    theta = np.radians([31.8, 10.0, 90.0, 160.0])  # gap, beam pipe, barrel, backward hole
    p3 = np.stack([np.sin(theta), np.zeros(4), np.cos(theta)], axis=1) * 2.0
    cal = replace(belle2.calorimeter, efficiency=1.0)
    _, ok = reconstruct_photons(rng, four_vector(p3, 0.0), np.zeros((4, 4)), cal)
    assert ok.tolist() == [False, False, True, False]


def test_track_acceptance_and_resolution(belle2):
    rng = np.random.default_rng(3)
    n = 20000
    p3 = np.tile([2.0, 0.0, 0.5], (n, 1))
    m_k = mass(321)  # charged kaon, PDG mass from `particle`
    reco, ok = reconstruct_tracks(rng, four_vector(p3, m_k), np.zeros((n, 4)), m_k, belle2.tracking)
    assert ok.mean() == pytest.approx(belle2.tracking.efficiency, abs=0.01)
    pt = np.hypot(reco[ok, 0], reco[ok, 1])
    beta = np.linalg.norm(p3[0]) / np.sqrt(np.sum(p3[0] ** 2) + m_k**2)
    expected = np.hypot(0.001 * 2.0, 0.003 / beta)
    assert np.std(pt) / 2.0 == pytest.approx(expected, rel=0.05)
    # produced beyond the last tracking layer: not found
    far = np.tile([1120.0, 0.0, 0.0, 0.0], (10, 1))
    _, ok = reconstruct_tracks(rng, four_vector(p3[:10], m_k), far, m_k, belle2.tracking)
    assert not ok.any()


def test_mbc_and_delta_e_of_b_at_rest_in_cms(belle2):
    sqrt_s, beta = belle2.beams.nominal_cms()
    from alpsim.generator.kinematics import boost

    b_rest = np.array([[0.0, 0.0, 0.3, np.sqrt(0.09 + (sqrt_s / 2) ** 2 - 0.09)]])
    b_lab = boost(b_rest, beta[None, :])
    mbc, de = beam_constrained_mass(b_lab, sqrt_s, beta)
    assert mbc[0] == pytest.approx(np.sqrt((sqrt_s / 2) ** 2 - 0.09), rel=1e-12)
    assert de[0] == pytest.approx(b_rest[0, 3] - sqrt_s / 2, abs=1e-12)


def test_energy_constrained_mass_restores_scaled_photon_energies(belle2):
    """Photons whose energies are all off by one factor: the ΔE = 0 constraint undoes it."""
    from alpsim.detector.variables import energy_constrained_mass
    from alpsim.generator.kinematics import boost, mass, two_body_decay
    from alpsim.pdg import mass as pdg_mass

    rng = np.random.default_rng(4)
    sqrt_s, beta = belle2.beams.nominal_cms()
    n = 1000
    e_b = sqrt_s / 2
    p_b = np.sqrt(e_b**2 - pdg_mass(521) ** 2)
    b_cms = np.tile([0.0, 0.0, p_b, e_b], (n, 1))
    k, a = two_body_decay(rng, b_cms, pdg_mass(321), 1.0)
    g1, g2 = two_body_decay(rng, a, 0.0, 0.0)
    scale = 0.97
    g1, g2 = g1 * scale, g2 * scale
    to_lab = np.broadcast_to(beta, (n, 3))
    k_l, g1_l, g2_l = boost(k, to_lab), boost(g1, to_lab), boost(g2, to_lab)
    gg = g1_l + g2_l
    m_fit = energy_constrained_mass(k_l + gg, gg, mass(gg), sqrt_s, beta)
    np.testing.assert_allclose(mass(gg), 0.97, rtol=1e-9)
    np.testing.assert_allclose(m_fit, 1.0, rtol=1e-9)
