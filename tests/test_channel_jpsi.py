"""J/ψ → γ a at BESIII, untagged and tagged (ψ(3686) → π+π−J/ψ): resonance, angles, spectra, BF."""

import numpy as np
import pytest

from alpsim.card import load_card
from alpsim.generator import kinematics as kin
from alpsim.generator.beams import draw_beams
from alpsim.generator.channels import rates
from alpsim.generator.channels.jpsi_to_gamma_a import pipi_density
from alpsim.pdg import mass
from alpsim.toml_fields import CardError

from .conftest import CARDS

TAGGED = "psi(2S) -> pi+ pi- J/psi, J/psi -> gamma a"


def generate(path, n: int, seed: int = 9):
    card = load_card(path)
    rng = np.random.default_rng(seed)
    beams = draw_beams(rng, n, card.detector.beams, card.channel.min_sqrt_s)
    return card, card.channel.generate(rng, beams)


@pytest.fixture(scope="module")
def untagged():
    return generate(CARDS / "bes3_jpsi_gamma_a_untagged.toml", 30_000)


@pytest.fixture(scope="module")
def tagged():
    return generate(CARDS / "bes3_jpsi_gamma_a_tagged.toml", 30_000)


def photon_cos2_to_beam(b):
    j = b.p4[:, b.roles["signal_parent"]]
    beta = -kin.velocity(j)
    g = kin.boost(b.p4[:, b.roles["photon"]], beta)[:, :3]
    axis = kin.boost(b.p4[:, 0], beta)[:, :3]
    c = np.sum(g * axis, 1) / np.linalg.norm(g, axis=1) / np.linalg.norm(axis, axis=1)
    return c**2


@pytest.mark.parametrize("which", ["untagged", "tagged"])
def test_photon_energy_and_polarisation(request, which):
    card, blocks = request.getfixturevalue(which)
    (b,) = blocks
    j = b.p4[:, b.roles["signal_parent"]]
    np.testing.assert_allclose(kin.mass(j), mass(443), rtol=1e-9)  # J/ψ at its PDG mass
    g_rest = kin.boost(b.p4[:, b.roles["photon"]], -kin.velocity(j))
    m_a, m_j = card.alp.mass, mass(443)
    np.testing.assert_allclose(g_rest[:, 3], (m_j**2 - m_a**2) / (2 * m_j), rtol=1e-7)
    c2 = photon_cos2_to_beam(b)
    assert abs(c2.mean() - 0.4) < 5 * c2.std() / np.sqrt(c2.size)  # 1 + cos²θ: <cos²θ> = 2/5
    initial = b.p4[:, 0] + b.p4[:, 1]
    np.testing.assert_allclose(b.p4[:, b.status == 1].sum(1), initial, atol=1e-9)


def test_untagged_runs_exactly_on_resonance(untagged):
    (b,) = untagged[1]
    np.testing.assert_allclose(b.extra["sqrt_s"], mass(443), rtol=1e-12)
    assert b.mode == "J/psi -> gamma a; a -> gamma gamma"


def test_tagged_pipi_spectrum_shape(tagged):
    (b,) = tagged[1]
    psi = b.p4[:, b.roles["psi2s"]]
    np.testing.assert_allclose(kin.mass(psi), mass(100443), rtol=1e-9)
    j_rest = kin.boost(b.p4[:, b.roles["signal_parent"]], -kin.velocity(psi))
    pp = b.p4[:, b.roles["pi+"]] + b.p4[:, b.roles["pi-"]]
    m = kin.mass(pp)
    np.testing.assert_allclose(  # two-body momentum of J/ψ against the ππ system
        kin.momentum(j_rest), kin.two_body_momentum(mass(100443), mass(443), m), rtol=1e-6
    )
    lo, hi = 2 * mass(211), mass(100443) - mass(443)
    edges = np.linspace(lo, hi, 16)
    counts, _ = np.histogram(m, edges)
    fine = np.linspace(lo, hi, 3001)
    cos = np.linspace(-1, 1, 201)
    dens = pipi_density(fine[:, None], cos[None, :]).mean(axis=1)
    cdf = np.concatenate([[0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(fine))])
    expected = m.size * np.diff(np.interp(edges, fine, cdf)) / cdf[-1]
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert chi2 < 15 + 5 * np.sqrt(30)
    # not phase space: the measured spectrum peaks at high m_ππ (phase-space mean is ~0.44 GeV)
    ps = np.sqrt(np.maximum(kin.kallen(mass(100443) ** 2, mass(443) ** 2, fine**2), 0)) * np.sqrt(
        np.maximum(1 - 4 * mass(211) ** 2 / fine**2, 0)
    )
    ps_mean = np.sum(fine * ps) / np.sum(ps)
    assert m.mean() > ps_mean + 0.04


def test_tagged_bf_and_normalisation(tagged):
    card, _ = tagged
    norm = card.channel.normalisation()
    assert norm["parent"] == "psi(2S)" and norm["n_parents"] == 2.71e9
    assert norm["secondary_branching_fraction"] == pytest.approx(0.3469)  # PDG 2024: 34.69 %
    assert norm["branching_fraction"] == 1e-6


def test_untagged_bf_from_g_agg(untagged):
    card, _ = untagged
    norm = card.channel.normalisation()
    # photon and charm terms (the charm coupling the photon coupling induces by running, 1.5 %)
    expected = rates.jpsi_gamma_a_ratio_couplings(card.alp.couplings, card.alp.mass) * 0.05971
    assert norm["branching_fraction"] == pytest.approx(float(expected), rel=1e-9)  # PDG B(ee)
    photon_only = rates.jpsi_gamma_a_ratio(1e-3, card.alp.mass) * 0.05971
    assert norm["branching_fraction"] == pytest.approx(float(photon_only), rel=0.03)
    assert norm["n_parents"] == 10.087e9 and norm["parent"] == "J/psi"


def test_background_jpsi_gamma_eta(tmp_path):
    text = (CARDS / "bes3_jpsi_gamma_a_tagged.toml").read_text()
    text = text.replace("branching_fraction = 1e-6", 'background = "eta\'"')
    path = tmp_path / "bkg.toml"
    path.write_text(text)
    card, (b,) = generate(path, 2000)
    assert b.pdg[b.roles["alp"]] == 331 and "J/psi -> gamma eta'" in b.mode
    norm = card.channel.normalisation()
    assert norm["branching_fraction"] == pytest.approx(5.25e-3)  # PDG 2024 B(J/psi -> gamma eta')
    assert norm["alp_branching_fraction"] == pytest.approx(0.02307)  # PDG 2024 B(eta' -> γγ)


def test_wrong_collision_energy_names_resonance(tmp_path):
    text = (CARDS / "bes3_jpsi_gamma_a_tagged.toml").read_text()
    path = tmp_path / "wrong.toml"
    path.write_text(text.replace('resonance = "psi(2S)"', 'resonance = "J/psi(1S)"'))
    with pytest.raises(CardError, match=r"run\.resonance.*psi\(2S\)"):
        load_card(path)
