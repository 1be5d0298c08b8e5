"""B → K a, a → γγ at Belle II: conservation laws, masses, two-body momenta, decay lengths."""

import numpy as np
import pytest

from alpsim.card import load_card
from alpsim.generator import kinematics as kin
from alpsim.pdg import C_MM_PER_NS, mass
from alpsim.pdg import ctau as pdg_ctau
from alpsim.runner import simulate_chunk


@pytest.fixture(scope="module")
def blocks(default_card):
    card = load_card(default_card)
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
    b = blocks[1][0]
    for i in np.flatnonzero(b.status == 2):
        kids = b.daughters(i)
        for k in kids[1:]:
            np.testing.assert_array_equal(b.vertex[:, k], b.vertex[:, kids[0]])


def test_sqrt_s_above_bb_threshold(blocks):
    for b in blocks[1]:
        assert np.all(b.extra["sqrt_s"] > 2 * mass(521))
