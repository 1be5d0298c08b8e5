"""e+e- -> γ a: cross section, photon energy and 1 + cos²θ, decays, ISR, card.

Cross section of M. J. Dolan, T. Ferber, C. Hearty, F. Kahlhoefer, K. Schmidt-Hoberg ("DFHKS"),
JHEP 12 (2017) 094, arXiv:1709.00009, sec. 3.
"""

import numpy as np
import pytest

from alpsim.generator import kinematics as kin
from alpsim.generator.alp import Couplings
from alpsim.generator.beams import draw_beams
from alpsim.generator.channels import CHANNELS
from alpsim.generator.channels.base import AlpSettings
from alpsim.generator.channels.ee_to_gamma_a import EeToGammaA, cross_section_gamma_a
from alpsim.generator.isr import isr_cross_section
from alpsim.pdg import ALP_PDG_ID
from alpsim.toml_fields import CardError, Table

from .conftest import BELLE2_BEAMS, BELLE2_NO_SPREAD

BELLE2, NO_SPREAD = BELLE2_BEAMS, BELLE2_NO_SPREAD


def make(mass=1.0, decays=None, isr=False, beams=BELLE2, g=1e-3, n=100_000, seed=7):
    alp = AlpSettings(mass, 1.0, decays or {"gamma gamma": 1.0})
    ch = EeToGammaA(alp, g, beams.nominal_cms()[0], isr)
    rng = np.random.default_rng(seed)
    return ch, ch.generate(rng, draw_beams(rng, n, beams, ch.min_sqrt_s))


def test_reference_cross_section():
    # DFHKS sec. 3 formula (α g²/24)(1 − m_a²/s)³ (ħc)² evaluated by hand [calc]: √s = 10.58 GeV,
    # g = 1e-3 GeV⁻¹, m_a = 0.2 GeV -> 0.118 pb.
    assert cross_section_gamma_a(10.58**2, 0.2, 1e-3) / 1e3 == pytest.approx(0.118, abs=0.0005)
    assert cross_section_gamma_a(10.58**2, 0.2, 2e-3) == pytest.approx(
        4 * cross_section_gamma_a(10.58**2, 0.2, 1e-3)
    )
    assert cross_section_gamma_a(25.0, 5.0, 1e-3) == 0.0


def test_photon_energy_and_angular_distribution_in_cms():
    _, blocks = make(n=200_000, beams=NO_SPREAD)
    b = blocks[0]
    total = b.p4[:, 0] + b.p4[:, 1]
    s = kin.mass(total) ** 2
    gamma = kin.boost(b.p4[:, b.roles["photon"]], -kin.velocity(total))
    np.testing.assert_allclose(gamma[:, 3], (s - 1.0) / (2 * np.sqrt(s)), rtol=1e-9)
    axis = kin.boost(b.p4[:, 0], -kin.velocity(total))[:, :3]
    c = np.sum(gamma[:, :3] * axis, 1) / kin.momentum(gamma) / np.linalg.norm(axis, axis=1)
    n = c.size
    # 1 + cos²θ: <cosθ> = 0, <cos²θ> = 2/5 (isotropic would give 1/3), <cos⁴θ> = 9/35.
    assert abs(c.mean()) < 5 * np.sqrt(0.4 / n)
    assert abs(np.mean(c**2) - 0.4) < 5 * np.sqrt((9 / 35 - 0.16) / n)
    assert abs(np.mean(c**4) - 9 / 35) < 0.005


def test_three_photon_and_single_photon_final_states():
    _, blocks = make(decays={"gamma gamma": 0.5, "invisible": 0.5}, n=20_000)
    modes = {b.mode: b for b in blocks}
    assert set(modes) == {"e+ e- -> gamma a; a -> gamma gamma", "e+ e- -> gamma a; a -> invisible"}
    gg = modes["e+ e- -> gamma a; a -> gamma gamma"]
    final = gg.pdg[gg.status == 1]
    assert sorted(final.tolist()) == [22, 22, 22]
    m = kin.mass(gg.p4[:, gg.roles["alp_daughter_1"]] + gg.p4[:, gg.roles["alp_daughter_2"]])
    np.testing.assert_allclose(m, 1.0, rtol=1e-7)
    inv = modes["e+ e- -> gamma a; a -> invisible"]
    assert sorted(inv.pdg[inv.status == 1].tolist()) == [22, ALP_PDG_ID]
    for b in blocks:
        initial = b.p4[:, 0] + b.p4[:, 1]
        final = b.p4[:, b.status == 1].sum(axis=1)
        np.testing.assert_allclose(final, initial, atol=1e-9)
        assert set(b.extra) >= {"sqrt_s", "sqrt_s_hard", "isr_x"}


def test_isr_lowers_sqrt_s_and_corrects_cross_section():
    ch, blocks = make(isr=True, n=100_000, mass=3.0)
    b = blocks[0]
    assert "isr_photon" in b.roles
    hard = b.p4[:, b.roles["photon"]] + b.p4[:, b.roles["alp"]]
    np.testing.assert_allclose(kin.mass(hard), b.extra["sqrt_s_hard"], rtol=1e-9)
    np.testing.assert_allclose(
        b.extra["sqrt_s_hard"] ** 2, b.extra["sqrt_s"] ** 2 * (1 - b.extra["isr_x"]), rtol=1e-9
    )
    # The photon energy in the hard frame stays monochromatic at (s' − m²)/(2√s').
    gamma = kin.boost(b.p4[:, b.roles["photon"]], -kin.velocity(hard))
    sh = b.extra["sqrt_s_hard"]
    np.testing.assert_allclose(gamma[:, 3], (sh**2 - 9.0) / (2 * sh), rtol=1e-8)
    norm = ch.normalisation()
    born = norm["cross_section_born_fb"]
    s = ch.sqrt_s**2
    expected = isr_cross_section(lambda x: cross_section_gamma_a(x, 3.0, 1e-3), s, 9.0)
    assert norm["cross_section_fb"] == pytest.approx(expected, rel=1e-12)
    assert 0.9 * born < norm["cross_section_fb"] < born  # σ falls with s': ISR lowers it
    # Mean radiated fraction of the accepted events ≈ ∫ x f σ / ∫ f σ (< unweighted <x>).
    assert 0.01 < b.extra["isr_x"].mean() < 0.06


def _collider(beams=BELLE2):
    return beams  # channels read only the collider


def test_card_options_and_errors():
    alp = AlpSettings(1.0, 1.0)
    ch = EeToGammaA.from_card(Table({"g_agg": 2e-3, "isr": True}, "channel"), alp, _collider())
    assert ch.g_agamma == 2e-3 and ch.radiator.enabled
    with pytest.raises(CardError, match=r"channel\.g_agg"):
        EeToGammaA.from_card(Table({}, "channel"), alp, _collider())
    fixed = AlpSettings(1.0, 1.0, couplings=Couplings.from_g_agamma(5e-4, running="none"))
    ch = EeToGammaA.from_card(Table({}, "channel"), fixed, _collider())
    assert ch.g_agamma == pytest.approx(5e-4, rel=1e-12)
    # with running, the lepton couplings the photon coupling induces add their loops at q² = s
    coupled = AlpSettings(1.0, 1.0, couplings=Couplings.from_g_agamma(5e-4))
    ch = EeToGammaA.from_card(Table({}, "channel"), coupled, _collider())
    assert ch.g_agamma == pytest.approx(5e-4, rel=1e-3) and ch.g_agamma != 5e-4
    with pytest.raises(CardError, match=r"channel\.g_agg"):
        EeToGammaA.from_card(Table({"g_agg": 1e-3}, "channel"), coupled, _collider())
    # a muon-coupled ALP is made through the muon loop at q² = s (photon_coupling.loop_B3)
    lepton_only = AlpSettings(1.0, 1.0, couplings=Couplings(c_mumu=1.0))
    assert EeToGammaA.from_card(Table({}, "channel"), lepton_only, _collider()).g_agamma > 0
    dark_only = AlpSettings(1.0, 1.0, couplings=Couplings(c_chi=1.0, m_chi=0.1))
    with pytest.raises(CardError, match="photon coupling"):
        EeToGammaA.from_card(Table({}, "channel"), dark_only, _collider())
    assert CHANNELS["e+ e- -> gamma a"] is EeToGammaA


@pytest.mark.parametrize(
    "card", ["belle2_gamma_a_gg.toml", "belle2_gamma_a_invisible.toml", "bes3_gamma_a_gg.toml"]
)
def test_shipped_cards_load(card):
    from pathlib import Path

    from alpsim.card import load_card

    c = load_card(Path(__file__).resolve().parents[1] / "cards" / card)
    norm = c.channel.normalisation()
    assert norm["kind"] == "cross_section" and norm["cross_section_fb"] > 0
