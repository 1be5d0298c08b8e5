"""Material stage (detector/material.py) against independent values: the 7/9 X/X0 conversion law,
the Bethe–Heitler pair spectrum and energy-loss distribution, the Highland formula; event-record
consistency of conversions and bremsstrahlung; the [material] card section and its switches."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hepunits import GeV, c_light, eplus, mm, tesla
from scipy import stats

from alpsim.card import load_card
from alpsim.detector.config import MaterialLayer, MaterialSettings, load_detector
from alpsim.detector.material import (
    apply_material,
    crossings,
    highland_theta0,
    material_block,
    sample_pair_fraction,
    scattering_angles,
)
from alpsim.pdg import mass as pdg_mass
from alpsim.record import DECAYED, FINAL, Block, EventRecord
from alpsim.runner import simulate_chunk

#: pT = c·B·R: c in GeV/(T·mm), from hepunits (c_light, tesla, mm, eplus, GeV).
C_LIGHT_GEV_PER_T_MM = float(c_light * tesla * mm * eplus / GeV)
CARDS = Path(__file__).resolve().parents[1] / "cards"
M_E = pdg_mass(11)


def layer(radius: float, x0: float, kind: str = "vertex_detector", z=(-1e4, 1e4)) -> MaterialLayer:
    return MaterialLayer(f"r{radius:g}", kind, radius, z, x0, "test")


def gun(pdg: int, n: int, energy: float, theta: float, origin=(0.0, 0.0, 0.0)) -> Block:
    """n particles of one kind from `origin` at polar angle theta, azimuths uniform."""
    rng = np.random.default_rng(7)
    phi = rng.uniform(0, 2 * np.pi, n)
    m = 0.0 if pdg == 22 else M_E
    p = np.sqrt(energy**2 - m**2)
    p4 = np.empty((n, 1, 4))
    p4[:, 0, 0] = p * np.sin(theta) * np.cos(phi)
    p4[:, 0, 1] = p * np.sin(theta) * np.sin(phi)
    p4[:, 0, 2] = p * np.cos(theta)
    p4[:, 0, 3] = energy
    vertex = np.zeros((n, 1, 4))
    vertex[:, 0, :3] = origin
    one = np.ones(1)
    return Block(
        "gun", (pdg * one).astype(np.int32), one.astype(np.int8), -one.astype(np.int32), p4, vertex
    )


def settings(*layers: MaterialLayer, **kw) -> MaterialSettings:
    return MaterialSettings(enabled=True, layers=layers, **kw)


def converted_fraction(blocks: list[Block]) -> float:
    n = sum(b.n_events for b in blocks)
    return sum(b.n_events for b in blocks if b.status[0] == DECAYED) / n


def binomial_tolerance(p: float, n: int, k: float = 4.0) -> float:
    return k * np.sqrt(p * (1 - p) / n)


# --- conversions: probability 1 - exp(-7/9 t), t = x/X0 / sin(theta) ------------------------


@pytest.mark.parametrize("theta_deg", [90.0, 40.0])
def test_conversion_probability_follows_seven_ninths_law(theta_deg):
    n, x0 = 200_000, 0.05
    theta = np.radians(theta_deg)
    blocks = material_block(
        np.random.default_rng(1), gun(22, n, 1.0, theta), settings(layer(100.0, x0)), 1.5
    )
    expected = 1 - np.exp(-7 / 9 * x0 / np.sin(theta))  # Tsai 1974; PDG eq. 34.31 integrated
    assert abs(converted_fraction(blocks) - expected) < binomial_tolerance(expected, n)


def test_conversions_layer_by_layer():
    """Two layers: P(first) = 1 - e^{-7/9 t1}, P(second) = e^{-7/9 t1} (1 - e^{-7/9 t2})."""
    n, t1, t2 = 200_000, 0.04, 0.08
    blocks = material_block(
        np.random.default_rng(2),
        gun(22, n, 2.0, np.pi / 2),
        settings(layer(50.0, t1), layer(200.0, t2)),
        1.5,
    )
    r = np.concatenate([np.hypot(*b.vertex[:, 1, :2].T) for b in blocks if b.n_particles == 3])
    p1 = 1 - np.exp(-7 / 9 * t1)
    p2 = np.exp(-7 / 9 * t1) * (1 - np.exp(-7 / 9 * t2))
    for radius, p in ((50.0, p1), (200.0, p2)):
        frac = np.count_nonzero(np.isclose(r, radius)) / n
        assert abs(frac - p) < binomial_tolerance(p, n)
    assert np.isclose(r, 50.0).sum() + np.isclose(r, 200.0).sum() == r.size


def test_photons_convert_only_outside_their_origin_and_within_z():
    n = 50_000
    # born at r = 120 mm: the 100 mm layer is behind the photon
    born_outside = material_block(
        np.random.default_rng(3),
        gun(22, n, 1.0, np.pi / 2, origin=(120.0, 0.0, 0.0)),
        settings(layer(100.0, 0.5)),
        1.5,
    )
    assert converted_fraction(born_outside) == 0.0
    # a layer that ends at z = 50 mm is missed by photons at 30 degrees (z = 173 mm at r = 100 mm)
    missed = material_block(
        np.random.default_rng(3),
        gun(22, n, 1.0, np.radians(30.0)),
        settings(layer(100.0, 0.5, z=(-50.0, 50.0))),
        1.5,
    )
    assert converted_fraction(missed) == 0.0
    # the calorimeter-front kind is part of the budget but makes no pairs
    front = material_block(
        np.random.default_rng(3),
        gun(22, n, 1.0, np.pi / 2),
        settings(layer(100.0, 0.5, kind="calorimeter_front")),
        1.5,
    )
    assert converted_fraction(front) == 0.0


def test_pair_energy_sharing_is_bethe_heitler():
    """x = E(e-)/E(gamma) against the complete-screening spectrum 9/7 [1 - 4/3 x(1 - x)]
    (PDG eq. 34.31): CDF 9/7 (x - 2/3 x^2 + 4/9 x^3); a flat spectrum fails this test."""
    x = sample_pair_fraction(np.random.default_rng(4), np.full(200_000, 50.0))
    cdf = lambda v: 9 / 7 * (v - 2 / 3 * v**2 + 4 / 9 * v**3)  # noqa: E731
    assert stats.kstest(x, cdf).pvalue > 1e-3
    assert stats.kstest(x, "uniform").pvalue < 1e-6
    # <x(1-x)> = 9/7 (1/6 - 4/3 * 1/30) = 11/70
    assert abs(np.mean(x * (1 - x)) - 11 / 70) < 4 * np.std(x * (1 - x)) / np.sqrt(x.size)


def test_pair_energy_within_kinematic_limits():
    e = np.full(10_000, 0.003)  # 3 MeV: x in [m_e/E, 1 - m_e/E]
    x = sample_pair_fraction(np.random.default_rng(5), e)
    assert x.min() >= M_E / 0.003 and x.max() <= 1 - M_E / 0.003


def test_conversion_record_is_consistent():
    """Photon status 2, e- and e+ daughters (status 1, mother = photon) at the conversion vertex
    on the layer, energy conserved exactly and three-momentum to O(m_e^2/E)."""
    n, e_gamma = 20_000, 1.5
    block = gun(22, n, e_gamma, np.radians(60.0))
    original = block.p4[:, 0].copy()
    blocks = material_block(np.random.default_rng(6), block, settings(layer(80.0, 0.3)), 1.5)
    conv = [b for b in blocks if b.status[0] == DECAYED]
    assert len(conv) == 1 and len(blocks) == 2
    b = conv[0]
    assert list(b.pdg) == [22, 11, -11]
    assert list(b.mother) == [-1, 0, 0]
    assert list(b.status) == [DECAYED, FINAL, FINAL]
    pair = b.p4[:, 1] + b.p4[:, 2]
    np.testing.assert_allclose(pair[:, 3], b.p4[:, 0, 3], rtol=1e-12)
    # E - p <= m_e for each lepton: the pair momentum falls short by at most 2 m_e
    np.testing.assert_allclose(pair[:, :3], b.p4[:, 0, :3], atol=2 * M_E)
    np.testing.assert_allclose(b.vertex[:, 1], b.vertex[:, 2])
    np.testing.assert_allclose(np.hypot(b.vertex[:, 1, 0], b.vertex[:, 1, 1]), 80.0)
    # the conversion point lies on the photon's line, at time r/(c sin theta)
    d = b.vertex[:, 1, :3] / np.linalg.norm(b.vertex[:, 1, :3], axis=1)[:, None]
    np.testing.assert_allclose(d, b.p4[:, 0, :3] / e_gamma, atol=1e-9)
    c = 299.792458  # mm/ns
    np.testing.assert_allclose(b.vertex[:, 1, 3], 80.0 / np.sin(np.radians(60.0)) / c)
    # untouched photons keep their four-momenta; nothing is lost or duplicated
    assert sum(x.n_events for x in blocks) == n
    np.testing.assert_allclose(blocks[0].p4[:, 0, 3], e_gamma)
    assert np.isclose(
        np.sort(np.concatenate([x.p4[:, 0, 0] for x in blocks])), np.sort(original[:, 0])
    ).all()


# --- bremsstrahlung: <E> = E0 exp(-t) and the Bethe-Heitler variance -------------------------


@pytest.mark.parametrize("ts", [(0.1,), (0.03, 0.05)])
def test_brems_mean_energy_loss(ts):
    """Kept fraction u: <u> = exp(-t) and <u^2> = 3^{-t/ln 2} for t = sum of layers crossed
    (moments of f(u) = (-ln u)^{t/ln2 - 1}/Gamma(t/ln 2))."""
    n, e0 = 200_000, 5.0
    layers = [layer(50.0 * (i + 1), t) for i, t in enumerate(ts)]
    blocks = material_block(
        np.random.default_rng(8),
        gun(11, n, e0, np.pi / 2),
        settings(*layers, brems_min_energy=0.0),
        0.0,  # no field: the electron crosses each layer at normal incidence
    )
    u = np.concatenate([b.p4[:, 0, 3] for b in blocks]) / e0
    t = sum(ts)
    mean, second = np.exp(-t), 3.0 ** (-t / np.log(2))
    sigma = np.sqrt(second - mean**2)
    assert abs(u.mean() - mean) < 4 * sigma / np.sqrt(n)
    assert abs(np.mean(u**2) - second) < 4 * np.std(u**2) / np.sqrt(n)


def test_brems_record_is_consistent():
    n, e0 = 20_000, 2.0
    blocks = material_block(
        np.random.default_rng(9),
        gun(11, n, e0, np.radians(70.0)),
        settings(layer(40.0, 0.05), layer(90.0, 0.05), brems_min_energy=0.01),
        1.5,
    )
    rad = [b for b in blocks if b.n_particles == 2]
    assert len(rad) == 1
    b = rad[0]
    assert list(b.pdg) == [11, 22] and list(b.mother) == [-1, 0] and list(b.status) == [1, 1]
    # the electron keeps its slot and status, its energy drops by the photon's
    np.testing.assert_allclose(b.p4[:, 0, 3] + b.p4[:, 1, 3], e0, rtol=1e-12)
    assert (b.p4[:, 1, 3] >= 0.01).all()
    np.testing.assert_allclose(np.linalg.norm(b.p4[:, 1, :3], axis=1), b.p4[:, 1, 3])
    e, p = b.p4[:, 0, 3], np.linalg.norm(b.p4[:, 0, :3], axis=1)
    np.testing.assert_allclose(e**2 - p**2, M_E**2, rtol=1e-6)
    r = np.hypot(b.vertex[:, 1, 0], b.vertex[:, 1, 1])
    assert np.all(np.isclose(r, 40.0) | np.isclose(r, 90.0))
    # equal thickness: each layer takes half the emissions (probability t_k / sum t)
    assert abs(np.isclose(r, 40.0).mean() - 0.5) < binomial_tolerance(0.5, r.size)
    untouched = next(x for x in blocks if x.n_particles == 1)
    np.testing.assert_allclose(untouched.p4[:, 0, 3], e0)
    assert untouched.n_events + b.n_events == n


# --- geometry and multiple scattering --------------------------------------------------------


def test_helix_crossing_lies_on_the_circle():
    """A 0.3 GeV/c track from the IP in 1.5 T: the crossing point is on the layer and on the
    track's circle (radius pT/(c B), c in GeV/(T mm), through the origin); the direction is
    tangent."""
    n = 1000
    b = gun(11, n, 0.3, np.pi / 2)
    cr = crossings(b.vertex[:, 0], b.p4[:, 0], -1.0, 1.5, (layer(300.0, 0.01),))
    x = cr.position[:, 0]
    np.testing.assert_allclose(np.hypot(x[:, 0], x[:, 1]), 300.0)
    rho = np.hypot(b.p4[:, 0, 0], b.p4[:, 0, 1]) / (C_LIGHT_GEV_PER_T_MM * 1.5)
    # centre: perpendicular to the initial direction at distance rho
    u = b.p4[:, 0, :2] / np.linalg.norm(b.p4[:, 0, :2], axis=1)[:, None]
    for sign in (1.0, -1.0):
        centre = sign * rho[:, None] * np.column_stack([u[:, 1], -u[:, 0]])
        dist = np.hypot(*(x[:, :2] - centre).T)
        if np.allclose(dist, rho):
            break
    else:
        pytest.fail("crossing point not on the track circle")
    radial = x[:, :2] - centre
    np.testing.assert_allclose(np.sum(radial * cr.direction[:, 0, :2], axis=1), 0.0, atol=1e-9)
    # path factor: 1/cos of the angle to the layer normal, cos = sqrt(1 - (r/2rho)^2)
    np.testing.assert_allclose(cr.x0[:, 0], 0.01 / np.sqrt(1 - (300.0 / (2 * rho)) ** 2))


def test_highland_formula():
    """PDG eq. 34.15: 13.6 MeV/(beta c p) z sqrt(x/X0) [1 + 0.038 ln(x z^2/(X0 beta^2))]."""
    # 1 GeV/c, beta = 1, 1 % X0: 13.6 mrad * 0.1 * (1 + 0.038 ln 0.01) = 1.1220 mrad
    assert highland_theta0(1.0, 1.0, 0.01) == pytest.approx(1.12200e-3, rel=1e-4)
    # 1/p scaling at fixed beta; z = 2 multiplies by 2 (1 + 0.038 ln(4x))/(1 + 0.038 ln x)
    assert highland_theta0(2.0, 1.0, 0.01) == pytest.approx(0.5 * highland_theta0(1.0, 1.0, 0.01))
    ratio = 2 * (1 + 0.038 * np.log(0.04)) / (1 + 0.038 * np.log(0.01))
    assert highland_theta0(1.0, 1.0, 0.01, charge=2) == pytest.approx(
        ratio * highland_theta0(1.0, 1.0, 0.01)
    )
    # beta enters as 1/beta in the scale and 1/beta^2 in the log
    b = 0.5
    expect = 0.0136 / (b * 1.0) * 0.1 * (1 + 0.038 * np.log(0.01 / b**2))
    assert highland_theta0(1.0, b, 0.01) == pytest.approx(expect)
    assert highland_theta0(1.0, 1.0, 0.0) == 0.0


# --- the stage in a run: cards, switches, reproducibility -----------------------------------


def test_shipped_cards_have_a_valid_material_budget():
    for name in ("belle2", "babar", "bes3", "belle"):
        det = load_detector(CARDS / f"{name}.toml")
        m = det.material
        assert m.enabled and len(m.layers) >= 5
        radii = [x.radius for x in m.layers]
        assert radii == sorted(radii) and radii[-1] < det.calorimeter.inner_radius
        assert all(x.x_over_x0 >= 0 and x.source for x in m.layers)
        assert {x.kind for x in m.layers} >= {
            "beam_pipe",
            "drift_chamber_wall",
            "calorimeter_front",
        }


def test_material_stage_in_a_run(tmp_path):
    """Same card and seed: same events; the run card's material = false switches it off."""
    card = load_card(CARDS / "belle2_b2ka_gg.toml")
    rec1, reco1 = simulate_chunk(card, 5, 0, 0, 4000)
    rec2, reco2 = simulate_chunk(card, 5, 0, 0, 4000)
    assert len(rec1.blocks) > len(rec1.mode_names)  # conversions made templates of their own
    for a, b in zip(rec1.blocks, rec2.blocks, strict=True):
        np.testing.assert_array_equal(a.p4, b.p4)
        np.testing.assert_array_equal(a.pdg, b.pdg)
    np.testing.assert_array_equal(reco1.columns()["a_M"], reco2.columns()["a_M"])
    assert sum(b.n_events for b in rec1.blocks) == 4000
    assert len(set(rec1.mode_names)) == len(rec1.mode_names)
    text = (
        (CARDS / "belle2_b2ka_gg.toml").read_text().replace("[run]", "[run]\nmaterial = false", 1)
    )
    off_path = tmp_path / "off.toml"
    off_path.write_text(
        text.replace('detector = "belle2"', f'detector = "{CARDS / "belle2.toml"}"')
    )
    off = load_card(off_path)
    assert not off.detector.material.enabled
    rec_off, _ = simulate_chunk(off, 5, 0, 0, 4000)
    assert len(rec_off.blocks) == len(rec_off.mode_names)
    assert all(22 not in b.pdg[b.status == DECAYED] for b in rec_off.blocks)


def test_disabled_material_leaves_the_record_alone():
    card = load_card(CARDS / "belle2_b2ka_gg.toml")
    det = dataclasses.replace(
        card.detector, material=dataclasses.replace(card.detector.material, enabled=False)
    )
    block = gun(22, 100, 1.0, 1.0)
    record = EventRecord("gun", [block])
    apply_material(np.random.default_rng(0), record, det)
    assert record.blocks == [block]


@pytest.mark.parametrize("writeable", [True, False])
def test_events_keep_their_own_rows(writeable):
    """Splitting a block (in place, or by copies for read-only arrays) keeps each event's
    four-momenta, vertices and per-event columns together and loses none."""
    n = 5000
    block = gun(22, n, 1.0, np.pi / 2)
    block.vertex[:, 0, 3] = np.arange(n)  # production time tags the event
    block.extra["tag"] = np.arange(n, dtype=float)
    original = block.p4[:, 0].copy()
    block.p4.setflags(write=writeable)
    block.vertex.setflags(write=writeable)
    blocks = material_block(np.random.default_rng(10), block, settings(layer(50.0, 0.2)), 1.5)
    assert len(blocks) == 2 and sum(b.n_events for b in blocks) == n
    tags = np.concatenate([b.vertex[:, 0, 3] for b in blocks]).astype(int)
    np.testing.assert_array_equal(np.sort(tags), np.arange(n))
    for b in blocks:
        tag = b.vertex[:, 0, 3].astype(int)
        np.testing.assert_array_equal(b.extra["tag"], tag)
        np.testing.assert_array_equal(b.p4[:, 0], original[tag])


def test_bremsstrahlung_photons_are_not_decay_products():
    """A → e+ e−, then e− radiates: A's final-state descendants stay the two electrons (the
    photon is a material secondary of a final-state particle), and the electron alone is its own
    final state."""
    n = 2000
    p4 = np.zeros((n, 3, 4))
    p4[:, 1] = [0.0, 2.0, 0.0, np.hypot(2.0, M_E)]
    p4[:, 2] = [0.0, -2.0, 0.0, np.hypot(2.0, M_E)]
    p4[:, 0] = p4[:, 1] + p4[:, 2]
    block = Block(
        "A -> e+ e-",
        np.array([9000005, 11, -11], np.int32),
        np.array([DECAYED, FINAL, FINAL], np.int8),
        np.array([-1, 0, 0], np.int32),
        p4,
        np.zeros((n, 3, 4)),
    )
    blocks = material_block(
        np.random.default_rng(13), block, settings(layer(50.0, 0.1), brems_min_energy=0.0), 1.5
    )
    both = [b for b in blocks if b.n_particles == 5]
    assert both, "expected events where both electrons radiate"
    b = both[0]
    assert list(b.pdg[3:]) == [22, 22] and list(b.mother[3:]) == [1, 2]
    assert list(b.final_descendants(0)) == [1, 2]
    assert list(b.final_descendants(1)) == [1]
    # energy balance at the decay: A = e+ + e- + their photons
    np.testing.assert_allclose(b.p4[:, 1:, 3].sum(axis=1), b.p4[:, 0, 3], rtol=1e-12)


def test_block_where_every_photon_converts():
    """No empty block is left behind when nothing stays untouched."""
    blocks = material_block(
        np.random.default_rng(14), gun(22, 300, 1.0, np.pi / 2), settings(layer(50.0, 1.0)), 1.5
    )
    # P(no conversion in 1 X0) = exp(-7/9) = 0.46 per photon: both kinds of events are there
    assert all(b.n_events > 0 for b in blocks) and len(blocks) == 2
    always = material_block(
        np.random.default_rng(14),
        gun(22, 300, 1.0, np.pi / 2),
        settings(*(layer(50.0 + i, 1.0) for i in range(20))),
        1.5,
    )
    # 20 X0: P(no conversion) = exp(-140/9) ~ 2e-7
    assert len(always) == 1 and always[0].status[0] == DECAYED


def test_scattering_angles_per_layer():
    """θ0 of a 0.5 GeV/c muon from the IP in 1.5 T at each layer: Highland on the thickness
    x/X0 / cos(angle to the normal), cos = sqrt(1 - (r/2ρ)^2) for a circle through the IP."""
    n, p, m_mu = 100, 0.5, pdg_mass(13)
    block = gun(22, n, p, np.pi / 2)  # directions; made a muon's four-momentum below
    p4 = block.p4[:, 0].copy()
    p4[:, 3] = np.hypot(p, m_mu)
    layers = (layer(100.0, 0.01), layer(400.0, 0.02, z=(-1.0, 1.0)))
    theta0, x0 = scattering_angles(block.vertex[:, 0], p4, -1.0, 1.5, layers)
    rho = p / (C_LIGHT_GEV_PER_T_MM * 1.5)
    t = 0.01 / np.sqrt(1 - (100.0 / (2 * rho)) ** 2)
    np.testing.assert_allclose(x0[:, 0], t)
    beta = p / np.hypot(p, m_mu)
    expect = 0.0136 / (beta * p) * np.sqrt(t) * (1 + 0.038 * np.log(t / beta**2))
    np.testing.assert_allclose(theta0[:, 0], expect)
    # the second layer's z range (|z| < 1 mm) is crossed at theta = 90 deg only
    assert np.all(theta0[:, 1] > 0)
