"""B → K* a at Belle II: K* line shape and helicity, two-body momenta, Mbc/ΔE, sub-modes."""

import numpy as np
import pytest

from alpsim.card import load_card
from alpsim.generator import kinematics as kin
from alpsim.generator.beams import draw_beams
from alpsim.generator.channels.b_to_kstar_a import kstar_lineshape, kstar_range, kstar_width
from alpsim.pdg import mass, width

from .conftest import BASE_CARD

M_A = 1.0


def generate(write_card, name: str, n: int, extra: str = "", seed: int = 5):
    text = BASE_CARD.replace('name = "B+ -> K+ a"', f'name = "{name}"\n{extra}')
    card = load_card(write_card(text))
    rng = np.random.default_rng(seed)
    beams = draw_beams(rng, n, card.detector.beams, card.channel.min_sqrt_s)
    return card, card.channel.generate(rng, beams)


@pytest.fixture(scope="module")
def neutral(tmp_path_factory):
    path = tmp_path_factory.mktemp("ks") / "c.toml"

    def write(text):
        path.write_text(text)
        return path

    return generate(write, "B0 -> K*0 a", 40_000)


def test_modes_and_charge_conjugates(neutral):
    _, blocks = neutral
    modes = {b.mode for b in blocks}
    assert modes == {
        "B0 -> K*0 a, K*0 -> K+ pi-; a -> gamma gamma",
        "anti-B0 -> anti-K*0 a, anti-K*0 -> K- pi+; a -> gamma gamma",
    }
    for b in blocks:
        sign = np.sign(b.pdg[b.roles["signal_parent"]])
        assert b.pdg[b.roles["kaon"]] == sign * 321 and b.pdg[b.roles["pion"]] == -sign * 211


def test_four_momentum_conserved(neutral):
    for b in neutral[1]:
        initial = b.p4[:, 0] + b.p4[:, 1]
        final = b.p4[:, b.status == 1].sum(axis=1)
        np.testing.assert_allclose(final, initial, atol=1e-9)


def test_alp_and_kaon_momenta_in_parent_frames(neutral):
    for b in neutral[1]:
        bp, kst = b.p4[:, b.roles["signal_parent"]], b.p4[:, b.roles["kstar"]]
        m_kst = kin.mass(kst)
        a_rest = kin.boost(b.p4[:, b.roles["alp"]], -kin.velocity(bp))
        np.testing.assert_allclose(
            kin.momentum(a_rest), kin.two_body_momentum(mass(511), m_kst, M_A), rtol=1e-7
        )
        k_rest = kin.boost(b.p4[:, b.roles["kaon"]], -kin.velocity(kst))
        np.testing.assert_allclose(
            kin.momentum(k_rest), kin.two_body_momentum(m_kst, mass(321), mass(211)), rtol=1e-6
        )


def test_lineshape_binned_chi2(neutral):
    m = np.concatenate([kin.mass(b.p4[:, b.roles["kstar"]]) for b in neutral[1]])
    lo, hi = kstar_range(313, mass(321), mass(211), mass(511), M_A)
    assert m.min() >= lo and m.max() <= hi
    edges = np.linspace(0.80, 1.00, 21)
    counts, _ = np.histogram(m, edges)
    fine = np.linspace(lo, hi, 20001)
    pdf = kstar_lineshape(fine, 313, mass(321), mass(211), mass(511), M_A)
    cdf = np.concatenate([[0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(fine))])
    expected = m.size * np.diff(np.interp(edges, fine, cdf)) / cdf[-1]
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert chi2 < 20 + 5 * np.sqrt(40)  # 20 bins; fails for a wrong width or a non-relativistic BW
    assert abs(np.median(m) - mass(313)) < 0.01


def test_mass_dependent_width_is_pdg_at_pole():
    m0 = mass(313)
    assert kstar_width(m0, m0, width(313), mass(321), mass(211)) == pytest.approx(width(313))
    assert kstar_width(0.7, m0, width(313), mass(321), mass(211)) < width(313)


def test_longitudinal_helicity_cos2(neutral):
    c = []
    for b in neutral[1]:
        kst = b.p4[:, b.roles["kstar"]]
        beta = -kin.velocity(kst)
        k = kin.boost(b.p4[:, b.roles["kaon"]], beta)[:, :3]
        axis = -kin.boost(b.p4[:, b.roles["signal_parent"]], beta)[:, :3]
        c.append(np.sum(k * axis, 1) / np.linalg.norm(k, axis=1) / np.linalg.norm(axis, axis=1))
    c2 = np.concatenate(c) ** 2
    err = c2.std() / np.sqrt(c2.size)
    assert abs(c2.mean() - 3 / 5) < 5 * err  # cos²θ: <cos²θ> = 3/5 (isotropic: 1/3)


def test_mbc_delta_e_peaks_at_truth(neutral):
    card, blocks = neutral
    sqrt_s, beta = card.detector.beams.nominal_cms()
    bp = np.concatenate([b.p4[:, b.roles["signal_parent"]] for b in blocks])
    cms = kin.boost(bp, -beta)
    mbc = np.sqrt((sqrt_s / 2) ** 2 - np.sum(cms[:, :3] ** 2, 1))
    de = cms[:, 3] - sqrt_s / 2
    assert abs(np.median(mbc) - mass(511)) < 1e-3
    assert abs(np.median(de)) < 1e-3
    assert 1e-3 < de.std() < 6e-3  # half the CM energy spread (~5 MeV)


def test_charged_kstar_submodes(write_card):
    card, blocks = generate(write_card, "B+ -> K*+ a", 20_000)
    counts = {b.mode: b.n_events for b in blocks}
    ks = sum(v for k, v in counts.items() if "K_S0 pi" in k)
    k0 = sum(v for k, v in counts.items() if "pi0" in k)
    subs = {s.key: s.secondary_bf for s in card.channel.submodes()}
    frac = subs["K_S0 pi+"] / (subs["K_S0 pi+"] + subs["K+ pi0"])
    n = ks + k0
    assert abs(ks / n - frac) < 5 * np.sqrt(frac * (1 - frac) / n)
    assert card.channel.normalisation()["secondary_branching_fraction"] == pytest.approx(
        sum(subs.values())
    )
    for b in blocks:
        if "pi0" in b.mode:
            g = b.p4[:, b.roles["pi0_gamma_1"]] + b.p4[:, b.roles["pi0_gamma_2"]]
            np.testing.assert_allclose(kin.mass(g), mass(111), rtol=1e-6)
        else:
            p = b.p4[:, b.roles["ks_pi+"]] + b.p4[:, b.roles["ks_pi-"]]
            np.testing.assert_allclose(kin.mass(p), mass(310), rtol=1e-6)
