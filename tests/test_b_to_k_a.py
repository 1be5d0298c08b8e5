"""B → K a, a → γγ at Belle II: conservation laws, masses, two-body momenta, decay lengths."""

import dataclasses

import numpy as np
import pytest

from alpsim.card import load_card
from alpsim.generator import kinematics as kin
from alpsim.pdg import C_MM_PER_NS, mass, width
from alpsim.pdg import ctau as pdg_ctau
from alpsim.runner import simulate_chunk


@pytest.fixture(scope="module")
def blocks(default_card):
    card = load_card(default_card)
    # the generator's record: no material stage (conversions give the nucleus a recoil)
    material = dataclasses.replace(card.detector.material, enabled=False)
    card = dataclasses.replace(card, detector=dataclasses.replace(card.detector, material=material))
    record, _ = simulate_chunk(card, seed=11, index=0, first=0, size=100_000)
    return card, record.blocks


def test_both_charges_present_in_equal_shares(blocks):
    _, bl = blocks
    counts = {b.mode: b.n_events for b in bl}
    assert set(counts) == {"B+ -> K+ a; a -> gamma gamma", "B- -> K- a; a -> gamma gamma"}
    n = sum(counts.values())
    assert abs(counts["B+ -> K+ a; a -> gamma gamma"] - n / 2) < 5 * np.sqrt(n / 4)


def test_four_momentum_conserved_per_event(blocks):
    for b in blocks[1]:
        initial = b.p4[:, 0] + b.p4[:, 1]
        final = b.p4[:, b.status == 1].sum(axis=1)
        scale = initial[:, 3:4]
        np.testing.assert_allclose(final / scale, initial / scale, rtol=0, atol=1e-9)


def test_each_decay_conserves_momentum(blocks):
    for b in blocks[1]:
        for i in np.flatnonzero(b.status == 2):
            kids = b.daughters(i)
            np.testing.assert_allclose(
                b.p4[:, kids].sum(axis=1) / b.p4[:, i, 3:4], b.p4[:, i] / b.p4[:, i, 3:4], atol=1e-9
            )


def test_truth_diphoton_mass_equals_alp_mass(blocks):
    card, bl = blocks
    for b in bl:
        m = kin.mass(b.p4[:, b.roles["alp_daughter_1"]] + b.p4[:, b.roles["alp_daughter_2"]])
        np.testing.assert_allclose(m, card.alp.mass, rtol=1e-7)


def test_alp_momentum_in_b_rest_frame_is_two_body_pstar(blocks):
    card, bl = blocks
    b = bl[0]
    parent = b.p4[:, b.roles["signal_parent"]]
    alp_rest = kin.boost(b.p4[:, b.roles["alp"]], -kin.velocity(parent))
    expected = kin.two_body_momentum(mass(521), mass(321), card.alp.mass)
    np.testing.assert_allclose(kin.momentum(alp_rest), expected, rtol=1e-7)


def test_b_production_angle_is_sin2(blocks):
    # Υ(4S) → BB̄: dN/dcosθ* ∝ sin²θ* about the beam axis, so <cos²θ*> = 1/5.
    b = blocks[1][0]
    ups = b.p4[:, b.roles["upsilon"]]
    beta = -kin.velocity(ups)
    bdir = kin.boost(b.p4[:, b.roles["signal_parent"]], beta)[:, :3]
    axis = kin.boost(b.p4[:, 0], beta)[:, :3]
    c = np.sum(bdir * axis, axis=1) / np.linalg.norm(bdir, axis=1) / np.linalg.norm(axis, axis=1)
    err = np.std(c**2) / np.sqrt(c.size)
    assert abs(np.mean(c**2) - 0.2) < 5 * err


@pytest.mark.parametrize("role", ["alp", "signal_parent"])
def test_decay_length_over_betagamma_ctau_has_mean_one(blocks, role):
    card, bl = blocks
    ctau = card.alp.ctau if role == "alp" else pdg_ctau(521)
    ratios = []
    for b in bl:
        i = b.roles[role]
        p4 = b.p4[:, i]
        length = np.linalg.norm(b.decay_vertex(i)[:, :3] - b.vertex[:, i, :3], axis=1)
        ratios.append(length / (kin.momentum(p4) / kin.mass(p4) * ctau))
    r = np.concatenate(ratios)
    assert abs(r.mean() - 1.0) < 4 * r.std() / np.sqrt(r.size)
    assert r.std() == pytest.approx(1.0, rel=0.03)  # exponential: σ = mean


def test_times_consistent_with_lengths(blocks):
    b = blocks[1][0]
    i = b.roles["alp"]
    d = b.decay_vertex(i) - b.vertex[:, i]
    L = np.linalg.norm(d[:, :3], axis=1)
    beta = kin.momentum(b.p4[:, i]) / b.p4[:, i, 3]
    np.testing.assert_allclose(d[:, 3], L / (beta * C_MM_PER_NS), rtol=1e-9)


def test_daughters_start_at_mother_decay_vertex(blocks):
    """Siblings share one vertex, and it lies along the mother's flight direction, at the
    flight time of that distance (the mother-daughter link of the chain)."""
    b = blocks[1][0]
    for i in np.flatnonzero(b.status == 2):
        kids = b.daughters(i)
        for k in kids[1:]:
            np.testing.assert_array_equal(b.vertex[:, k], b.vertex[:, kids[0]])
        flight = b.vertex[:, kids[0]] - b.vertex[:, i]
        if np.median(np.linalg.norm(flight[:, :3], axis=1)) < 1e-3:
            continue  # strong decays (Υ(4S)): femtometre flights drown in rounding
        p3 = b.p4[:, i, :3]
        cross = np.cross(flight[:, :3], p3)
        scale = np.linalg.norm(flight[:, :3], axis=1) * np.linalg.norm(p3, axis=1) + 1e-300
        assert np.all(np.linalg.norm(cross, axis=1) / scale < 1e-9)  # parallel to p
        assert np.all(np.einsum("ij,ij->i", flight[:, :3], p3) >= 0)  # forward
        beta = kin.momentum(b.p4[:, i]) / b.p4[:, i, 3]
        length = np.linalg.norm(flight[:, :3], axis=1)
        np.testing.assert_allclose(
            flight[:, 3], length / (beta * C_MM_PER_NS), rtol=1e-9, atol=1e-15
        )


def test_sqrt_s_above_bb_threshold(blocks):
    for b in blocks[1]:
        assert np.all(b.extra["sqrt_s"] > 2 * mass(521))


# ---- B0 -> K0_S a, generic other B, peaking backgrounds, normalisation (issue 4) -----------


def _generate(write_card, name: str, n: int, extra: str = "", seed: int = 7):
    from alpsim.generator.beams import draw_beams

    from .conftest import BASE_CARD

    text = BASE_CARD.replace('name = "B+ -> K+ a"', f'name = "{name}"\n{extra}')
    if "background" in extra:
        text = text.replace("branching_fraction = 1e-6\n", "")
    card = load_card(write_card(text))
    rng = np.random.default_rng(seed)
    beams = draw_beams(rng, n, card.detector.beams, card.channel.min_sqrt_s)
    return card, card.channel.generate(rng, beams)


def test_b0_to_ks_a_kinematics_and_ks_flight(write_card):
    card, bl = _generate(write_card, "B0 -> K0S a", 20_000)
    assert {b.mode for b in bl} == {
        "B0 -> K_S0 a; a -> gamma gamma",
        "anti-B0 -> K_S0 a; a -> gamma gamma",
    }
    ratios = []
    for b in bl:
        parent = b.p4[:, b.roles["signal_parent"]]
        k_rest = kin.boost(b.p4[:, b.roles["kaon"]], -kin.velocity(parent))
        np.testing.assert_allclose(
            kin.momentum(k_rest), kin.two_body_momentum(mass(511), mass(310), 1.0), rtol=1e-7
        )
        i = b.roles["kaon"]
        pip = b.p4[:, b.roles["ks_pi+"]] + b.p4[:, b.roles["ks_pi-"]]
        np.testing.assert_allclose(kin.mass(pip), mass(310), rtol=1e-6)
        length = np.linalg.norm(b.decay_vertex(i)[:, :3] - b.vertex[:, i, :3], axis=1)
        p4 = b.p4[:, i]
        ratios.append(length / (kin.momentum(p4) / kin.mass(p4) * pdg_ctau(310)))
    r = np.concatenate(ratios)
    assert abs(r.mean() - 1) < 5 * r.std() / np.sqrt(r.size)  # K_S flies with its PDG cτ
    norm = card.channel.normalisation()
    # PDG 2024: B(K_S -> pi+ pi-) = 69.20 %, times 1/2 for K0 -> K_S
    assert norm["secondary_branching_fraction"] == pytest.approx(0.5 * 0.6920, rel=1e-9)
    assert norm["parent"] == "B0" and norm["kind"] == "branching_fraction"


def test_generic_other_b_full_chain(write_card):
    """other_b = "generic": one block per signal mode, the other B's full decay chain as the
    ragged part; four-momentum conserved over all final-state particles, final-state particles
    at their PDG masses and none of them unstable for the detector."""
    from alpsim.generator.dec_tables import STABLE
    from alpsim.record import DECAYED, FINAL, EventRecord

    card, bl = _generate(write_card, "B+ -> K+ a", 3000, 'other_b = "generic"')
    assert len(bl) == 2  # B+ and B- signal modes: no block per other-B channel
    for b in bl:
        other = b.roles["other_b"]
        assert b.status[other] == DECAYED and b.rest is not None
        r = b.rest
        kids = r.mother == other
        assert np.all(np.bincount(r.event[kids], minlength=b.n_events) >= 1)
        fin = r.status == FINAL
        assert set(np.abs(r.pdg[fin]).tolist()) <= set(STABLE)
        m_fin = np.array([0.0 if a in (12, 14, 16) else mass(a) for a in np.abs(r.pdg[fin])])
        np.testing.assert_allclose(kin.mass(r.p4[fin]), m_fin, atol=2e-5)
        total = np.zeros((b.n_events, 4))
        np.add.at(total, r.event[fin], r.p4[fin])
        total += b.p4[:, b.status == FINAL].sum(1)
        np.testing.assert_allclose(total, b.p4[:, 0] + b.p4[:, 1], atol=1e-6)
    flat = EventRecord("x", bl).flat()
    assert flat["offsets"][-1] == sum(b.n_events * b.n_particles + b.rest.pdg.size for b in bl)
    assert sum(b.n_events for b in bl) == 3000
    norm = card.channel.normalisation()
    assert 0.95 < norm["other_b_kept_fraction"] <= 1.0  # quark modes hadronised (quark_modes.py)
    assert norm["other_b_dec_file"].endswith("DECAY_BELLE2.DEC")


def test_user_dec_file_replaces_the_default(write_card, tmp_path):
    """A card's dec_file (relative to the card) decays the other B: here B+ → D0 π+ only."""
    dec = tmp_path / "mine.dec"
    dec.write_text(
        "Decay B+\n1.0 anti-D0 pi+ PHSP;\nEnddecay\nCDecay B-\n"
        "Decay B0\n1.0 D- pi+ PHSP;\nEnddecay\nCDecay anti-B0\n"
        "Decay anti-D0\n1.0 K+ pi- PHSP;\nEnddecay\nCDecay D0\nEnd\n"
    )
    card, bl = _generate(
        write_card, "B+ -> K+ a", 400, 'other_b = "generic"\ndec_file = "mine.dec"'
    )
    for b in bl:
        sign = np.sign(b.pdg[b.roles["other_b"]])
        r = b.rest
        assert r.counts.tolist() == [4] * b.n_events  # D0 π, D0 → K π
        assert set(r.pdg.tolist()) == {int(sign * -421), int(sign * 211), int(sign * 321),
                                       int(sign * -211)}  # fmt: skip
    assert card.channel.normalisation()["other_b_dec_file"] == str(dec.resolve())


def test_phase_space_three_body_dalitz_is_flat():
    from alpsim.generator.nbody_kernel import nbody

    m = (mass(211), mass(211), mass(211))
    n = 60_000
    parent = np.zeros((n, 4))
    parent[:, 3] = mass(521)
    d = nbody(3, parent, np.tile(m, (n, 1)), np.full(n, 3), np.zeros(n))
    m12 = kin.mass(d[:, 0] + d[:, 1]) ** 2
    # flat Dalitz plot: dN/dm12² ∝ the m23² range at fixed m12², compare the mean with quadrature
    grid = np.linspace((2 * m[0]) ** 2, (mass(521) - m[2]) ** 2, 4001)
    e2 = (grid - m[0] ** 2 + m[1] ** 2) / (2 * np.sqrt(grid))
    e3 = (mass(521) ** 2 - grid - m[2] ** 2) / (2 * np.sqrt(grid))
    width = (
        4 * np.sqrt(np.maximum(e2**2 - m[1] ** 2, 0)) * np.sqrt(np.maximum(e3**2 - m[2] ** 2, 0))
    )
    expected = np.sum(grid * width) / np.sum(width)
    assert abs(m12.mean() - expected) < 5 * m12.std() / np.sqrt(m12.size)


@pytest.mark.parametrize("meson, pdg", [("eta", 221), ("eta'", 331), ("pi0", 111)])
def test_peaking_background_meson(write_card, meson, pdg):
    from alpsim.generator.generic_b import dec_branching_fraction

    card, bl = _generate(write_card, "B+ -> K+ a", 4000, f'background = "{meson}"')
    for b in bl:
        assert b.pdg[b.roles["alp"]] == pdg
        assert b.mode.startswith(("B+ -> K+ " + meson, "B- -> K- " + meson))
        g = b.p4[:, b.roles["alp_daughter_1"]] + b.p4[:, b.roles["alp_daughter_2"]]
        assert abs(np.median(kin.mass(g)) - mass(pdg)) < 1e-6 + width(pdg)
    norm = card.channel.normalisation()
    assert norm["branching_fraction"] == dec_branching_fraction("B+", ["K+", meson])
    pdg_2024_gg = {"pi0": 0.98823, "eta": 0.3936, "eta'": 0.02307}  # PDG 2024 B(P -> γγ)
    assert norm["alp_branching_fraction"] == pytest.approx(pdg_2024_gg[meson], rel=1e-12)
    assert norm["background"] == meson


def test_normalisation_parents_from_bb_pairs(write_card):
    card, _ = _generate(write_card, "B+ -> K+ a", 10, "n_bb_pairs = 1e8")
    norm = card.channel.normalisation()
    assert norm["n_parents"] == pytest.approx(1e8 * norm["n_parents_per_bb_pair"])
    assert 1.02 < norm["n_parents_per_bb_pair"] < 1.04  # 2 f(+-), f(+-) = 0.514-0.516
    assert norm["alp_branching_fraction"] == 1.0
    for key in ("kind", "parent", "branching_fraction", "formula"):
        assert key in norm
