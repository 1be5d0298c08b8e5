"""The shower profile and overlap merging (detector/showershape.py), the kinematic fit
(detector/kinfit.py) and the validation of the new calorimeter card fields."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from alpsim.detector.config import load_detector, shipped_card
from alpsim.detector.kinfit import beam_energy_spread, fit_candidates, fit_parent
from alpsim.detector.showershape import (
    HALF,
    SHAPE_WINDOW,
    STEPS,
    _crystal_energies,
    _grid_shapes,
    crystal_table,
    merge_showers,
    radial_samples,
    shower_shapes,
)
from alpsim.pdg import mass as pdg_mass

from .conftest import CARDS


@pytest.fixture(scope="module")
def cal():
    return load_detector(shipped_card("belle2")).calorimeter


def test_moliere_radius_contains_ninety_percent():
    """PDG Review, "Passage of particles through matter" (EM cascades): a cylinder of radius
    R_M contains on average 90 % of the shower energy, 3.5 R_M about 99 %. The depth-averaged
    Grindhammer–Peters profile of a 1 GeV shower in CsI reproduces both within 4 % (absolute)."""
    r = radial_samples(np.random.default_rng(1), 400_000, 1.0, 54.0, 0.01117, 16.1)
    assert np.mean(r < 1.0) == pytest.approx(0.90, abs=0.04)
    assert np.mean(r < 3.5) == pytest.approx(0.99, abs=0.02)


def test_crystal_table_sums_to_the_contained_energy(cal):
    """Summed over all crystals the table holds the energy within the table's ±HALF crystals
    (all but the far tail), for any shower position; a shower at a crystal centre leaves most
    of its energy in that crystal and is symmetric."""
    t = crystal_table(cal)
    c = HALF * STEPS  # shower axis at a crystal centre
    total = t[c % STEPS :: STEPS, c % STEPS :: STEPS].sum()
    assert 0.97 < total <= 1.0
    off = t[(c + 7) % STEPS :: STEPS, (c + 3) % STEPS :: STEPS].sum()  # off-centre shower
    assert off == pytest.approx(total, abs=0.01)
    assert 0.6 < t[c, c] < 0.9
    assert t[c + STEPS, c] == pytest.approx(t[c - STEPS, c], rel=0.05)
    assert t[c + STEPS, c] == pytest.approx(t[c, c + STEPS], rel=0.05)


def _pair(cal, separation: float, e2: float = 1.0, offset: float = 0.5):
    """Two showers (1 GeV and e2) `separation` crystals apart along u, merged or not, and the
    shapes of the resulting clusters."""
    table = crystal_table(cal)
    su = np.array([[10.0 + offset], [10.0 + offset + separation]])
    sv = np.full((2, 1), 20.5)
    e = np.array([[1.0], [e2]])
    energy, x, y, z = e.copy(), np.ones((2, 1)), np.zeros((2, 1)), np.zeros((2, 1))
    exists = np.ones((2, 1), dtype=bool)
    owner = np.empty((2, 1), dtype=np.int64)
    merge_showers(table, e, su, sv, 0.010, energy, x, y, z, exists, owner)
    shapes = np.empty((4, 2, 1))
    shower_shapes(table, e, su, sv, cal.crystal_size, 0.0005, exists, owner, *shapes)
    return exists[:, 0], owner[:, 0], energy[:, 0], shapes[:, :, 0]


def test_overlapping_showers_merge_and_separated_ones_do_not(cal):
    """Two 1 GeV showers in one crystal give one local maximum: one cluster with the summed
    energy; three crystals apart they give two clusters with single-shower shapes."""
    exists, owner, energy, _ = _pair(cal, 0.2)
    assert exists.tolist() == [True, False] and owner.tolist() == [0, 0]
    assert energy[0] == pytest.approx(2.0)
    exists, owner, energy, shapes = _pair(cal, 3.0)
    assert exists.tolist() == [True, True] and owner.tolist() == [0, 1]
    single = _pair(cal, 30.0)[3]
    np.testing.assert_allclose(shapes[:, 0], single[:, 0], rtol=0.05)


def test_merged_cluster_is_wider(cal):
    """A cluster made of two showers one crystal apart (merged when the second is soft) has a
    larger second moment and a smaller E9/E21 than a single shower at the same place."""
    exists, owner, _, shapes = _pair(cal, 1.0, e2=0.15)
    assert not exists[1] and owner[1] == 0
    single = _pair(cal, 30.0)[3]
    assert shapes[1, 0] > 1.3 * single[1, 0]  # clusterSecondMoment
    assert shapes[0, 0] < single[0, 0]  # clusterE9E21
    assert 0.0 < shapes[2, 0] < 1.0  # clusterLAT


def test_alp_photons_merge_at_low_mass():
    """e+e− → γa at √s = 10.58 GeV, Belle II: at m_a = 0.2 GeV (photons ~1.5 crystals apart)
    a sizeable fraction of ALPs is one cluster, at 1 GeV almost none (the issue's 9 cm on 6 cm
    crystals)."""
    import alpsim

    from .conftest import CARDS as cards

    frac = {}
    for m in (0.2, 1.0):
        text = (cards / "analysis_belle2_gamma_a_gg.toml").read_text()
        text = text.replace("mass = 1.0 ", f"mass = {m} ")
        res = alpsim.run(_write(text), n=2000)
        frac[m] = float(np.mean(np.asarray(res.events["a_merged"])))
    assert frac[0.2] > 0.1
    assert frac[1.0] < 0.01


def _write(text: str):
    import tempfile
    from pathlib import Path

    d = Path(tempfile.mkdtemp())
    (d / "card.toml").write_text(
        text.replace('detector = "belle2"', f'detector = "{CARDS}/belle2.toml"')
    )
    return d / "card.toml"


def _b_to_k_gg(rng, n, m_a, e_beam):
    """Truth B+ → K+ a(→ γγ) in the CM frame (β = 0), the B of energy e_beam in a random
    direction: four-momenta (N, 3, 4)."""
    m_b, m_k = pdg_mass(521), pdg_mass(321)
    p = np.sqrt((m_b**2 - (m_k + m_a) ** 2) * (m_b**2 - (m_k - m_a) ** 2)) / (2 * m_b)
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    k = np.concatenate([p * u, np.sqrt(p * p + m_k**2)[None].repeat(n)[:, None]], axis=1)
    e_a = np.sqrt(p * p + m_a**2)
    # a → γγ isotropic in the a frame, boosted along −u
    w = rng.normal(size=(n, 3))
    w /= np.linalg.norm(w, axis=1)[:, None]
    g1 = np.concatenate([0.5 * m_a * w, np.full((n, 1), 0.5 * m_a)], axis=1)
    g2 = g1.copy()
    g2[:, :3] *= -1
    beta = (-p * u) / e_a
    from alpsim.generator.kinematics import boost

    out = np.stack([k, boost(g1, beta), boost(g2, beta)], axis=1)
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    beta_b = v * np.sqrt(1.0 - (m_b / e_beam) ** 2)
    return np.stack([boost(out[:, i], beta_b) for i in range(3)], axis=1)


def test_kinematic_fit_meets_constraints_and_chi2_has_two_degrees_of_freedom():
    """Smear truth B → K γγ with the stated Gaussian errors, fit: the fitted B has the beam
    energy and the B mass, ⟨χ²⟩ = 2 (two constraints), and the fitted m_γγ is closer to the
    truth than the measured one."""
    rng = np.random.default_rng(2)
    n, m_a, e_beam = 4000, 1.0, 5.29
    truth = _b_to_k_gg(rng, n, m_a, e_beam)
    m_b = pdg_mass(521)
    par = np.stack(
        [np.linalg.norm(truth[..., :3], axis=-1),
         np.arccos(truth[..., 2] / np.linalg.norm(truth[..., :3], axis=-1)),
         np.arctan2(truth[..., 1], truth[..., 0])], axis=-1,
    )  # fmt: skip
    sigma = np.empty_like(par)
    sigma[..., 0] = 0.03 * par[..., 0]
    sigma[..., 1:] = 0.005
    sigma[:, 0, 1:] = 0.0  # the K direction exact
    sigma[:, 0, 0] = 0.005 * par[:, 0, 0]
    meas = par + sigma * rng.standard_normal(par.shape)
    mass = np.array([pdg_mass(321), 0.0, 0.0])
    st = np.sin(meas[..., 1])
    pm, ph = meas[..., 0], meas[..., 2]
    p4 = np.stack([pm * st * np.cos(ph), pm * st * np.sin(ph), pm * np.cos(meas[..., 1]),
                   np.sqrt(pm**2 + mass**2)], axis=-1)  # fmt: skip
    fitted, chi2 = fit_parent(p4, sigma, mass, e_beam, 0.0, m_b, np.zeros(3))
    tot = fitted.sum(axis=1)
    np.testing.assert_allclose(tot[:, 3], e_beam, atol=1e-4)  # 0.1 MeV: far below resolution
    np.testing.assert_allclose(np.sqrt(tot[:, 3] ** 2 - (tot[:, :3] ** 2).sum(1)), m_b, atol=1e-4)
    assert np.mean(chi2) == pytest.approx(2.0, rel=0.1)

    def mgg(q):
        s = q[:, 1] + q[:, 2]
        return np.sqrt(s[:, 3] ** 2 - (s[:, :3] ** 2).sum(1))

    assert np.std(mgg(fitted) - m_a) < 0.7 * np.std(mgg(p4) - m_a)


def test_beam_energy_spread_of_symmetric_beams():
    """Equal beams of spread σ: √s/2 = E has spread σ/√2."""
    assert beam_energy_spread(5.0, 5.0, 0.004, 0.004) == pytest.approx(0.004 / np.sqrt(2))


def test_region_overrides_reach_the_regions(tmp_path):
    text = (CARDS / "bes3.toml").read_text()
    (tmp_path / "det.toml").write_text(text)
    cal = load_detector(tmp_path / "det.toml").calorimeter
    names = [r.name for r in cal.regions]
    assert names == ["forward_endcap", "barrel", "backward_endcap"]
    barrel = cal.regions[1].relative_energy_resolution(np.array(1.0))
    endcap = cal.regions[0].relative_energy_resolution(np.array(1.0))
    # BESIII NIM A 614 (2010) 345: 2.5 % (barrel) and 5 % (end caps) at 1 GeV
    assert barrel == pytest.approx(0.025, abs=0.001)
    assert endcap == pytest.approx(0.05, abs=0.001)
    assert cal.regions[0].energy_threshold == 0.05 and cal.regions[1].energy_threshold == 0.025
    assert replace(cal, regions=()).region_list()[0].noise == cal.noise


def test_end_cap_position_resolution_is_the_regions():
    """BESIII NIM A 614 (2010) 345: 6 mm (barrel) and 9 mm (end caps) at 1 GeV; photons at the
    centre of the forward end cap are smeared by the end cap's terms (spread of the azimuthal
    position on the front face, 1 GeV, 5 %)."""
    from alpsim.detector.calorimeter import reconstruct_photons

    cal = load_detector(shipped_card("bes3")).calorimeter
    fwd, barrel = cal.regions[0], cal.regions[1]
    th_f = 0.5 * (fwd.theta[0] + fwd.theta[1])
    assert cal.position_sigma(np.array(1.0), np.array(th_f)) == pytest.approx(9.0)
    assert cal.position_sigma(np.array(1.0), np.array(np.pi / 2)) == pytest.approx(6.0)
    n = 40_000
    p4 = np.tile([np.sin(th_f), 0.0, np.cos(th_f), 1.0], (n, 1))
    reco, ok = reconstruct_photons(np.random.default_rng(3), p4, np.zeros((n, 4)), cal)
    rho = cal.z_forward * np.tan(th_f)  # transverse radius of the impact on the end-cap face
    y = np.arctan2(reco[ok, 1], reco[ok, 0]) * rho
    assert np.std(y) == pytest.approx(9.0, rel=0.05)
    assert barrel.position is None


def test_split_offs_conserve_the_deposit_and_sit_at_the_card_distance(cal):
    """split_offs moves a fraction of showered deposits to a second impact: the sum is kept,
    the fraction of rows split is the card's probability, and the split-off lies at the card's
    mean distance (exponential) from the parent impact on the barrel face."""
    from alpsim.detector.calorimeter import split_offs

    c2 = replace(cal, split_off_probability=0.4, split_off_fraction=0.2, split_off_distance=150.0)
    rng = np.random.default_rng(8)
    n = 100_000
    theta = np.full(n, np.pi / 2)
    impact = np.zeros((3, 1, n))
    impact[0, 0] = cal.inner_radius * np.sin(theta)
    deposit = np.full((1, n), 0.5)
    reached = np.ones((1, n), dtype=bool)
    dep, imp, hit = split_offs(rng, c2, [0], np.ones((1, n), dtype=bool), deposit, impact, reached)
    np.testing.assert_allclose(deposit[0] + dep[0], 0.5)
    assert hit.mean() == pytest.approx(0.4, abs=0.01)
    assert dep[0][hit[0]].mean() == pytest.approx(0.5 * 0.2, rel=0.03)
    # distance along the front face (small angles): R·Δangle
    d = np.linalg.norm(imp[:, 0, hit[0]] - impact[:, 0, hit[0]], axis=0)
    assert np.median(d) == pytest.approx(150.0 * np.log(2), rel=0.05)


def test_split_offs_appear_as_neutral_clusters_of_the_hadron(tmp_path):
    """With split-offs on, events with charged pions get extra clusters that carry the pion's
    particle index and no track match; with them off, none."""
    import alpsim

    text = (CARDS / "belle2.toml").read_text()
    assert "split_off_probability = 0.0" in text
    text = text.replace("split_off_probability = 0.0", "split_off_probability = 1.0")
    (tmp_path / "det.toml").write_text(text)
    run = (CARDS / "belle2_b2ka_pipi.toml").read_text()
    run = run.replace('detector = "belle2"', f'detector = "{tmp_path / "det.toml"}"')
    (tmp_path / "run.toml").write_text(run)
    n_on = alpsim.run(tmp_path / "run.toml", n=500).events
    n_off = alpsim.run(CARDS / "belle2_b2ka_pipi.toml", n=500).events
    c_on = n_on["clusters"].combine_chunks().flatten()
    c_off = n_off["clusters"].combine_chunks().flatten()
    assert len(c_on) > len(c_off)
    assert np.asarray(n_on["nClusters"]).sum() > np.asarray(n_off["nClusters"]).sum()


def test_fit_candidates_with_the_card_errors_has_two_degrees_of_freedom():
    """fit_candidates (the compiled per-event fit the chain runs) on truth B → K γγ smeared
    with exactly the errors it assigns (photons: the region's σ_E, σ_pos/R in θ and φ; the kaon:
    σ_p from the tracker): ⟨χ²⟩ = 2 and the fitted m_γγ is sharper than the measured one.
    Missing daughters (NaN) give NaN."""
    det = load_detector(shipped_card("belle2"))
    cal, trk = det.calorimeter, det.tracking
    rng = np.random.default_rng(3)
    n, m_a, e_beam = 6000, 1.0, 5.29
    truth = _b_to_k_gg(rng, n, m_a, e_beam)
    p = np.linalg.norm(truth[..., :3], axis=-1)
    th = np.arccos(truth[..., 2] / p)
    ph = np.arctan2(truth[..., 1], truth[..., 0])
    sig = np.zeros((n, 3, 3))
    for c in (1, 2):
        e, t = truth[:, c, 3], th[:, c]
        sig[:, c, 0] = e * cal.relative_energy_resolution(e, t)
        s, co = np.sin(t), np.cos(t)
        r = np.fmin(cal.inner_radius / s, np.where(co > 0, cal.z_forward / co, cal.z_backward / co))
        sig[:, c, 1] = cal.position_sigma(e, t) / r
        sig[:, c, 2] = sig[:, c, 1] / s
    pt_k = p[:, 0] * np.sin(th[:, 0])
    sig[:, 0, 0] = p[:, 0] * trk.relative_pt_resolution(pt_k, p[:, 0] / truth[:, 0, 3])
    meas = np.stack([p, th, ph], axis=-1) + sig * rng.standard_normal((n, 3, 3))
    mass = np.array([pdg_mass(321), 0.0, 0.0])
    st = np.sin(meas[..., 1])
    pm = meas[..., 0]
    reco = np.stack([pm * st * np.cos(meas[..., 2]), pm * st * np.sin(meas[..., 2]),
                     pm * np.cos(meas[..., 1]), np.sqrt(pm**2 + mass**2)], axis=-1)  # fmt: skip
    reco = np.ascontiguousarray(reco.transpose(1, 0, 2))  # slot-major (3, N, 4)
    reco[2, :10] = np.nan  # a missing photon
    m_fit, chi2 = fit_candidates(reco, np.arange(3), np.array([False, True, True]), mass,
                                 np.array([False, True, True]), cal, trk, e_beam, 0.0,
                                 pdg_mass(521), np.zeros(3))  # fmt: skip
    assert np.isnan(m_fit[:10]).all() and np.isnan(chi2[:10]).all()
    assert np.isfinite(m_fit[10:]).all()
    assert np.mean(chi2[10:]) == pytest.approx(2.0, rel=0.1)
    g = reco[1, 10:] + reco[2, 10:]
    m_raw = np.sqrt(g[:, 3] ** 2 - (g[:, :3] ** 2).sum(1))
    assert np.std(m_fit[10:] - m_a) < 0.8 * np.std(m_raw - m_a)


@pytest.mark.parametrize("offset", [0.0, 0.13, 0.5, 0.77, 0.999])
def test_lone_shower_shapes_from_the_cell_table_equal_the_crystal_sums(cal, offset):
    """shower_shapes reads a lone shower's shapes from a table of grid cells; they equal the
    shapes of the crystal sums computed directly (_crystal_energies, _grid_shapes)."""
    table = crystal_table(cal)
    su = np.array([[7.0 + offset]])
    sv = np.array([[3.0 + 0.5 * offset]])
    e = np.array([[0.8]])
    exists = np.ones((1, 1), dtype=bool)
    owner = np.zeros((1, 1), dtype=np.int64)
    shapes = np.empty((4, 1, 1))
    shower_shapes(table, e, su, sv, cal.crystal_size, 0.0005, exists, owner, *shapes)
    grid = np.empty((2 * SHAPE_WINDOW + 1, 2 * SHAPE_WINDOW + 1))
    _crystal_energies(table, e, su, sv, np.zeros(1, np.int64), 1, 0, 0, grid)
    direct = _grid_shapes(grid, cal.crystal_size, 0.0005, np.empty(21), np.empty(21))
    np.testing.assert_allclose(shapes[:, 0, 0], direct, rtol=1e-12)


def test_crystal_table_cache_holds_the_computed_table(cal, tmp_path, monkeypatch):
    """The crystal table read back from the disk cache is the computed one, byte for byte (a
    fresh cache folder: computed and written, then read)."""
    from alpsim.detector import showershape

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    args = (cal.moliere_radius, cal.crystal_size, cal.effective_z, cal.critical_energy,
            cal.crystal_depth)  # fmt: skip
    path = showershape._table_cache_file(args)
    assert str(tmp_path) in str(path) and not path.exists()
    showershape._table.cache_clear()
    try:
        first = showershape._table(*args)  # computed, then cached
        assert path.is_file()
        showershape._table.cache_clear()
        again = showershape._table(*args)  # read from the file
    finally:
        showershape._table.cache_clear()
    want = showershape._compute_table(*args)
    assert first.tobytes() == want.tobytes() and again.tobytes() == want.tobytes()
