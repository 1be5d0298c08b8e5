"""Smeared helices, their covariances, the vertex fit and track–cluster matching against
independent values: the truth helix (helix.py), the card's resolution formulas, χ² statistics
(a consistent covariance gives unit pulls and a flat χ² probability) and hand-made geometry."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from alpsim.detector.config import load_detector, shipped_card
from alpsim.detector.helix import K_FIELD, make_helix
from alpsim.detector.matching import match_tracks_to_clusters
from alpsim.detector.tracking import finding_efficiency, track_response
from alpsim.detector.vertexing import fit_vertex
from alpsim.generator.kinematics import four_vector
from alpsim.pdg import mass

PION, MUON = mass(211), mass(13)


@pytest.fixture(scope="module")
def belle2():
    det = load_detector(shipped_card("belle2"))
    trk = det.tracking  # plateau 1 in every displaced-track model
    table = tuple(e / trk.efficiency for e in trk.efficiency_table)
    return replace(det, tracking=replace(trk, efficiency=1.0, efficiency_table=table))


def _tracks(n, p, theta, vertex, m=PION, seed=1):
    rng = np.random.default_rng(seed)
    phi = rng.uniform(-np.pi, np.pi, n)
    p3 = p * np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi),
                       np.full(n, np.cos(theta))], axis=1)  # fmt: skip
    vtx = np.zeros((n, 4))
    vtx[:, :3] = vertex
    return four_vector(p3, m), vtx


def _pull_width(x):
    """Half-width of the central 68 % (robust against the few non-Gaussian tails)."""
    lo, hi = np.nanpercentile(x, [16, 84])
    return 0.5 * (hi - lo)


@pytest.mark.parametrize("charge", [1.0, -1.0])
def test_helix_pulls_are_unit_and_d0_resolution_is_the_card_formula(belle2, charge):
    trk = belle2.tracking
    n, p, theta = 40_000, 1.0, np.radians(70.0)
    p4, vtx = _tracks(n, p, theta, [0.0, 0.0, 0.0])
    rng = np.random.default_rng(2)
    from alpsim.detector.tracking import TrackTable

    table = TrackTable.empty(1, n)
    tr = track_response(rng, p4, vtx, charge, PION, trk, table=table)
    assert tr.found.mean() > 0.95
    h = table.helix[:, 0]
    true = make_helix(vtx, p4[:, :3], charge, trk.field)
    d0_true, z0_true, _ = true.perigee()
    phi_true = np.arctan2(p4[:, 1], p4[:, 0])  # prompt track: direction at the perigee
    pt = np.hypot(p4[:, 0], p4[:, 1])
    omega_true = charge * K_FIELD * trk.field / pt  # basf2 Helix: ω > 0 for q > 0
    tanl_true = p4[:, 2] / pt
    dphi = np.angle(np.exp(1j * (h[1] - phi_true)))
    for reco, ref, sigma in ((h[0], d0_true, h[5]), (dphi, 0.0, h[6]), (h[2], omega_true, h[7]),
                             (h[3], z0_true, h[8]), (h[4], tanl_true, h[9])):  # fmt: skip
        assert _pull_width((reco - ref) / sigma) == pytest.approx(1.0, abs=0.04)
    # σ_d0 from the card: a ⊕ b/(pβ sin^{3/2}θ), for a track from the IP
    beta = p / np.hypot(p, PION)
    a, b = trk.d0_resolution
    expect = np.hypot(a, b / (p * beta * np.sin(theta) ** 1.5))
    assert np.nanmedian(h[5]) == pytest.approx(expect, rel=0.02)
    assert _pull_width(h[0] - d0_true) == pytest.approx(expect, rel=0.04)
    # the direction is smeared (the old model left θ exact): σ_θ = σ_tanλ · sin²θ
    theta_reco = np.arctan2(np.hypot(tr.p4[:, 0], tr.p4[:, 1]), tr.p4[:, 2])
    a, b = trk.tanlambda_resolution
    s_tl = np.hypot(a, b / (p * beta * np.sin(theta) ** 2.5))
    assert _pull_width(theta_reco - theta) == pytest.approx(s_tl * np.sin(theta) ** 2, rel=0.05)


def test_babar_pt_resolution_has_a_constant_term():
    babar = load_detector(shipped_card("babar"))
    trk = replace(babar.tracking, efficiency=1.0)
    assert not trk.pt_resolution_over_beta
    a, b = trk.pt_resolution
    for p in (0.15, 2.0):  # slow pion (β = 0.73): the term stays b, not b/β
        p4, vtx = _tracks(20_000, p, np.radians(90.0), [0.0, 0.0, 0.0])
        tr = track_response(np.random.default_rng(3), p4, vtx, 1.0, PION, trk)
        pt = np.hypot(tr.p4[:, 0], tr.p4[:, 1])
        assert _pull_width(pt / p - 1.0) == pytest.approx(np.hypot(a * p, b), rel=0.05)


def test_displaced_track_errors_grow_with_distance_to_the_ip(belle2):
    trk = belle2.tracking
    n = 20_000
    p4, vtx = _tracks(n, 1.0, np.radians(90.0), [100.0, 0.0, 0.0])
    from alpsim.detector.tracking import TrackTable

    table = TrackTable.empty(1, n)
    track_response(np.random.default_rng(4), p4, vtx, 1.0, PION, trk, table=table)
    h = table.helix[:, 0]
    true = make_helix(vtx, p4[:, :3], 1.0, trk.field)
    d0_true, _, _ = true.perigee()
    pull = (h[0] - d0_true) / h[5]
    assert _pull_width(pull) == pytest.approx(1.0, abs=0.06)
    prompt = np.hypot(*trk.d0_resolution)
    assert np.nanmedian(h[5]) > 3 * prompt  # extrapolated over ~100 mm with the φ0 error


def _pair(n, r, p_alp=2.5, m_alp=1.0, seed=5):
    """n decays a → μ+μ− at transverse distance r along +x (isotropic in the rest frame)."""
    rng = np.random.default_rng(seed)
    cos = rng.uniform(-1, 1, n)
    phi = rng.uniform(0, 2 * np.pi, n)
    q = np.sqrt(m_alp**2 / 4 - MUON**2)
    k = q * np.stack([np.sqrt(1 - cos**2) * np.cos(phi), np.sqrt(1 - cos**2) * np.sin(phi),
                      cos], axis=1)  # fmt: skip
    e = np.hypot(q, MUON)
    gamma = np.hypot(p_alp, m_alp) / m_alp
    bg = p_alp / m_alp
    # boost along x
    px1 = gamma * k[:, 0] + bg * e
    px2 = -gamma * k[:, 0] + bg * e
    p1 = np.stack([px1, k[:, 1], k[:, 2]], axis=1)
    p2 = np.stack([px2, -k[:, 1], -k[:, 2]], axis=1)
    vtx = np.zeros((n, 4))
    vtx[:, 0] = r
    return four_vector(p1, MUON), four_vector(p2, MUON), vtx


@pytest.mark.parametrize("r", [1.0, 50.0])
def test_vertex_fit_pulls_chi2_and_mass_error(belle2, r):
    trk = belle2.tracking
    n = 20_000
    p1, p2, vtx = _pair(n, r)
    rng = np.random.default_rng(6)
    t1 = track_response(rng, p1, vtx, 1.0, MUON, trk)
    t2 = track_response(rng, p2, vtx, -1.0, MUON, trk)
    v = fit_vertex([t1, t2], [MUON, MUON], True, belle2.vertexing, belle2.beams.spot_sigma)
    ok = v.exists
    assert ok.mean() > 0.9 and v.ndf == 1
    for j, var in ((0, 0), (1, 1), (2, 2)):
        pull = (v.position[ok, j] - vtx[ok, j]) / np.sqrt(v.cov[ok, var])
        assert _pull_width(pull) == pytest.approx(1.0, abs=0.07)
    # χ² of a consistent fit: flat probability, mean χ² = ndf
    assert np.mean(v.chi_prob[ok]) == pytest.approx(0.5, abs=0.03)
    assert np.median(v.chi2[ok]) == pytest.approx(0.455, rel=0.1)  # χ²(1) median
    # the mass error describes the mass spread around the true mass
    assert _pull_width((v.mass[ok] - 1.0) / v.mass_err[ok]) == pytest.approx(1.0, abs=0.1)
    # flight distance along +x and the pointing
    assert np.median(v.flight_distance[ok]) == pytest.approx(r, rel=0.02, abs=0.01)
    if r > 10:
        assert np.median(v.cos_pointing[ok]) > 0.999
        assert np.median(v.significance[ok]) > 20


def test_vertex_needs_every_track():
    det = load_detector(shipped_card("belle2"))
    p1, p2, vtx = _pair(2000, 10.0)
    rng = np.random.default_rng(7)
    t1 = track_response(rng, p1, vtx, 1.0, MUON, det.tracking)
    t2 = track_response(rng, p2, vtx, -1.0, MUON, det.tracking)
    v = fit_vertex([t1, t2], [MUON, MUON], True, det.vertexing, det.beams.spot_sigma)
    np.testing.assert_array_equal(v.exists, t1.found & t2.found)
    assert np.isnan(v.position[~v.exists]).all()


def test_one_displaced_model_and_zero_beyond_the_tracker(belle2):
    # the "layers" model on the card's geometry (the shipped card uses the "impact" model)
    trk = replace(belle2.tracking, efficiency_model="layers", full_drift_hits=20)
    r_find = trk.findable_radius()
    assert trk.layer_radii[-1] >= r_find > trk.layer_radii[trk.n_silicon]
    pt = np.full(4, 2.0)
    layers = np.array([0, trk.min_drift_hits - 1, trk.min_drift_hits, 100])
    eff = finding_efficiency(pt, layers, trk)
    assert eff[0] == eff[1] == 0.0 and 0.0 < eff[2] < eff[3]
    # the table model: ε(r) replaces the layer ramp, it does not multiply it
    table = replace(trk, efficiency_model="table", efficiency_radii=(0.0, 500.0, 900.0),
                    efficiency_table=(0.9, 0.6, 0.0))  # fmt: skip
    eff = finding_efficiency(np.full(3, 5.0), np.full(3, trk.min_drift_hits), table,
                             r_production=np.array([0.0, 250.0, 950.0]))  # fmt: skip
    np.testing.assert_allclose(eff, [0.9, 0.75, 0.0], rtol=1e-6)
    # radial tracks from beyond the findable radius are never found, in either model
    p4, vtx = _tracks(2000, 2.0, np.radians(90.0), [r_find + 20.0, 0.0, 0.0])
    impact = replace(table, efficiency_model="impact", global_max_d0=50.0, local_efficiency=0.1)
    for model in (trk, table, impact):
        assert not track_response(np.random.default_rng(8), p4, vtx, 1.0, PION, model).found.any()


def test_true_impact_parameter_is_the_closest_approach_of_the_helix():
    """The "impact" model reads the true helix's d0 that the kernel computes (the formulas of
    Helix.perigee, tests/test_helix_kernel.py): against a brute-force scan of points along the
    circle, for both charges, and a stiff track's straight-line distance."""
    rng = np.random.default_rng(3)
    n = 200
    x0 = np.zeros((n, 3))
    x0[:, :2] = rng.uniform(-600.0, 600.0, (n, 2))
    p4 = np.zeros((n, 4))
    p4[:, :3] = rng.normal(0.0, 0.5, (n, 3))
    for q in (1.0, -1.0):
        d0, _, _ = make_helix(x0, p4[:, :3], q, 1.5).perigee()
        pt = np.hypot(p4[:, 0], p4[:, 1])
        radius = pt / (K_FIELD * 1.5)
        phi = np.arctan2(p4[:, 1], p4[:, 0])
        turn = np.linspace(0.0, 2.0 * np.pi, 200_001)[:, None]  # turning angle along the orbit
        ang = phi - q * turn  # q > 0 turns clockwise in B along +z
        x = x0[:, 0] - q * radius * (np.sin(ang) - np.sin(phi))  # velocity ∝ (cos ang, sin ang)
        y = x0[:, 1] + q * radius * (np.cos(ang) - np.cos(phi))
        brute = np.min(np.hypot(x, y), axis=0)
        np.testing.assert_allclose(np.abs(d0), brute, atol=1e-3)
    stiff, _, _ = make_helix(np.array([[100.0, 0.0, 0.0]]), np.array([[0.0, 1e6, 0.0]]),
                             1.0, 1.5).perigee()  # fmt: skip
    np.testing.assert_allclose(np.abs(stiff), [100.0], rtol=1e-6)


def test_impact_model_finds_tracks_missing_the_ip_at_the_local_rate(belle2):
    """The "impact" model: tracks from r = 300 mm pointing away from the axis (d0 ≈ 0) are
    found with ε(300 mm); tracks there perpendicular to the radius (|d0| ≈ 300 mm) with
    local_efficiency × ε(300 mm); nothing else multiplies them."""
    trk = replace(belle2.tracking, efficiency_model="impact", efficiency_radii=(0.0, 200.0, 800.0),
                  efficiency_table=(1.0, 0.9, 0.0), global_max_d0=50.0,
                  local_efficiency=0.25)  # fmt: skip
    n = 20_000
    vtx = np.zeros((n, 4))
    vtx[:, 0] = 300.0
    radial = four_vector(np.tile([3.0, 0.0, 0.5], (n, 1)), PION)
    across = four_vector(np.tile([0.0, 3.0, 0.5], (n, 1)), PION)
    f_rad = track_response(np.random.default_rng(1), radial, vtx, 1.0, PION, trk).found.mean()
    f_acr = track_response(np.random.default_rng(2), across, vtx, 1.0, PION, trk).found.mean()
    eps = 0.9 * 500.0 / 600.0 * -np.expm1(-(3.0 - trk.min_pt) / trk.pt_turn_on)  # ε(300 mm)
    assert abs(f_rad - eps) <= 4 * np.sqrt(eps * (1 - eps) / n)
    want = 0.25 * eps
    assert abs(f_acr - want) < 4 * np.sqrt(want * (1 - want) / n)
    eff = finding_efficiency(np.full(2, 3.0), np.full(2, 40), trk,
                             r_production=np.full(2, 300.0),
                             d0_true=np.array([49.0, -51.0]))  # fmt: skip
    np.testing.assert_allclose(eff, [eps, 0.25 * eps], rtol=1e-12)


def test_matching_uses_the_extrapolated_helix():
    impact = np.array([[[1250.0, 1250.0]], [[0.0, 0.0]], [[10.0, np.nan]]])  # (3, k_t=1, N=2)
    found = np.array([[True, True]])
    xyz = np.array([[[1250.0, 1250.0], [1250.0, 1250.0]],
                    [[30.0, 0.0], [500.0, 0.0]],
                    [[10.0, 10.0], [10.0, 10.0]]])  # (3, k_c=2, N=2)  # fmt: skip
    exists = np.array([[True, True], [True, True]])
    match, matched = match_tracks_to_clusters(impact, found, xyz, exists, 100.0)
    assert match.tolist() == [[0, -1]]  # event 1: the helix does not reach the calorimeter
    assert matched.tolist() == [[True, False], [False, False]]
    _, matched = match_tracks_to_clusters(impact, found, xyz, exists, 20.0)
    assert not matched.any()


def test_chain_matches_muon_tracks_to_their_clusters(belle2):
    from alpsim.card import load_card
    from alpsim.runner import simulate_chunk

    card = load_card(shipped_card("belle2").parent / "belle2_b2ka_mumu.toml")
    _, reco = simulate_chunk(card, card.run.seed, 0, 0, 2000)
    obj = reco.objects()
    trk, cl = obj["tracks"], obj["clusters"]
    # a track whose particle made a cluster is matched to it; others (no cluster: gaps,
    # curlers, threshold) are rarely matched to another particle's cluster
    keys = set(zip(cl["event"], cl["particle"], strict=True))
    own = np.array([(e, p) in keys for e, p in zip(trk["event"], trk["particle"], strict=True)])
    has = trk["clusterIndex"] >= 0
    assert own.mean() > 0.5
    assert has[own].mean() > 0.98 and has[~own].mean() < 0.03
    assert np.mean(trk["clusterIndex"][has] == trk["particle"][has]) > 0.98
    assert cl["isTrackMatched"].any()
    cols = reco.columns()
    assert "a_chiProb" in cols and np.nanmean(cols["a_chiProb"]) == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("ndf", [1, 2, 3, 4, 5, 7])
def test_chi2_probability_closed_form_equals_scipy(ndf):
    from scipy.stats import chi2

    from alpsim.detector.vertexing import chi2_probability

    x = np.array([0.0, 1e-6, 0.3, 1.0, 2.7, 10.0, 40.0, np.nan])
    out = np.empty_like(x)
    chi2_probability(x, ndf, out)
    np.testing.assert_allclose(out[:-1], chi2.sf(x[:-1], ndf), rtol=1e-10, atol=1e-15)
    assert np.isnan(out[-1])


@pytest.mark.parametrize(
    ("r0", "phi_dir", "p"),
    [(0.0, 0.5, 0.4), (80.0, 0.2, 1.0), (80.0, 2.9, 1.0), (300.0, 0.3, 1.5), (300.0, -2.8, 1.5)],
)
def test_perigee_covariance_matches_the_spread(belle2, r0, phi_dir, p):
    """The reported 5x5 helix covariance at the IP (σ and the non-zero off-diagonal elements)
    equals the covariance of the smeared parameters, for prompt tracks (the MS correlation of
    d0 and φ0, z0 and tanλ alone) and for displaced tracks moving away from and towards the IP
    (the transport over the arc, whose odd terms change sign)."""
    from alpsim.detector.tracking import TRACK_COVARIANCES, TrackTable

    n = 100_000
    u = np.array([np.cos(phi_dir) * np.sin(1.2), np.sin(phi_dir) * np.sin(1.2), np.cos(1.2)])
    p4 = four_vector(np.tile(p * u, (n, 1)), PION)
    vtx = np.zeros((n, 4))
    vtx[:, 0] = r0
    table = TrackTable.empty(1, n)
    t = track_response(np.random.default_rng(9), p4, vtx, 1.0, PION, belle2.tracking, table=table)
    h = table.helix[:, 0][:, t.found]
    emp = np.cov(h[:5])
    sig = np.median(h[5:10], axis=1)
    np.testing.assert_allclose(np.sqrt(np.diag(emp)), sig, rtol=0.05)  # linear transport
    pairs = ((0, 1), (0, 2), (1, 2), (3, 4))
    assert len(pairs) == len(TRACK_COVARIANCES)
    for j, (a, b) in enumerate(pairs):
        rho_emp = emp[a, b] / np.sqrt(emp[a, a] * emp[b, b])
        rho_rep = np.median(h[10 + j]) / (sig[a] * sig[b])
        assert rho_emp == pytest.approx(rho_rep, abs=0.03), (a, b)
    if r0 == 0.0:  # multiple scattering: d0 follows φ0, z0 moves against tanλ (thin scatterer)
        assert emp[0, 1] / np.sqrt(emp[0, 0] * emp[1, 1]) > 0.5 and emp[3, 4] < 0
    # transverse and longitudinal: uncorrelated in the model; through the arc length a small
    # coupling (up to ~0.15) appears for displaced tracks through the smeared arc length
    for a, b in ((0, 3), (1, 4), (2, 3)):
        assert abs(emp[a, b] / np.sqrt(emp[a, a] * emp[b, b])) < (0.02 if r0 == 0 else 0.2)
