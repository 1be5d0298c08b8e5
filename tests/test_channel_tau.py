"""τ → ℓ a in e+e- → τ+τ-: pair production (angles, helicities, σ), signal kinematics, PRF x_ℓ."""

import numpy as np
import pytest

from alpsim.generator import kinematics as kin
from alpsim.generator.alp import Couplings
from alpsim.generator.beams import draw_beams
from alpsim.generator.channels import CHANNELS
from alpsim.generator.channels.base import AlpSettings
from alpsim.generator.channels.tau_pair import (
    produce_pair,
    tau_pair_cross_section,
    tau_velocity,
)
from alpsim.generator.channels.tau_to_l_a import TauToLA, width_tau_to_l_a
from alpsim.generator.isr import no_radiation
from alpsim.generator.kinematics import pseudo_rest_frame_x
from alpsim.pdg import ALP_PDG_ID, mass
from alpsim.toml_fields import CardError, Table

from .conftest import BELLE2_BEAMS, BELLE2_NO_SPREAD

BELLE2, NO_SPREAD = BELLE2_BEAMS, BELLE2_NO_SPREAD
M_TAU = mass(15)


def make(options, m_a=0.5, decays=None, beams=NO_SPREAD, n=40_000, seed=3, couplings=None):
    alp = AlpSettings(m_a, 1.0, decays or {"invisible": 1.0}, couplings=couplings)
    ch = TauToLA.from_card(Table(dict(options), "channel"), alp, beams)
    rng = np.random.default_rng(seed)
    return ch, ch.generate(rng, draw_beams(rng, n, beams, ch.min_sqrt_s))


def test_pair_cross_section_and_reference():
    s = 10.58**2
    beta = tau_velocity(s)
    # Point cross section 4πα²/(3s) = 86.85 nb GeV²/s (PDG QED review) times β(3 − β²)/2.
    assert tau_pair_cross_section(s) / 1e6 == pytest.approx(
        86.85 / s * beta * (3 - beta**2) / 2, rel=1e-3
    )
    assert tau_pair_cross_section(3.0**2) == 0.0
    ch, _ = make({"lepton": "e", "branching_fraction": 1e-3, "isr": True}, n=10)
    norm = ch.normalisation()
    born, isr, ref = (
        norm["cross_section_born_fb"],
        norm["cross_section_fb"],
        norm["cross_section_reference_fb"],
    )
    # 0.772 nb (Born) -> ISR raises it by ~10 %; KKMC's 0.919 nb adds vacuum polarisation (~8 %).
    assert born / 1e6 == pytest.approx(0.772, abs=0.002)
    assert 1.05 < isr / born < 1.15 and isr < ref


def test_pair_angular_distribution_and_helicity_correlation():
    rng = np.random.default_rng(1)
    beams = draw_beams(rng, 300_000, NO_SPREAD)
    hard = no_radiation(beams)
    tm, _tp, hm, hp = produce_pair(rng, hard)
    cms = -kin.velocity(hard.p4)
    t_cms = kin.boost(tm, cms)
    c = np.sum(t_cms[:, :3] * hard.axis, 1) / kin.momentum(t_cms)
    b2 = tau_velocity(hard.sqrt_s[0] ** 2) ** 2
    # D = (2 − β²) + β² c²: <c²> = [(2−β²)/3 + β²/5] / [(2−β²) + β²/3].
    c2 = ((2 - b2) / 3 + b2 / 5) / ((2 - b2) + b2 / 3)
    n = c.size
    assert abs(np.mean(c)) < 5 * np.sqrt(c2 / n)
    assert abs(np.mean(c**2) - c2) < 5 * np.sqrt(np.var(c**2) / n)
    assert abs(np.mean(c**2) - 0.4) > 5 * np.sqrt(np.var(c**2) / n)  # the mass term is visible
    # Helicities: <h> = 0; <h− h+> = −[∫(1+c²) − (1−β²)∫(1−c²)] / ∫D.
    corr = -((1 + 1 / 3) - (1 - b2) * (1 - 1 / 3)) / ((2 - b2) + b2 / 3)
    assert abs(np.mean(hm)) < 5 / np.sqrt(n) and abs(np.mean(hp)) < 5 / np.sqrt(n)
    assert abs(np.mean(hm * hp) - corr) < 5 / np.sqrt(n)
    np.testing.assert_allclose(kin.mass(tm), M_TAU, rtol=1e-9)


@pytest.mark.parametrize("lepton,pdg", [("e", 11), ("mu", 13)])
def test_monochromatic_lepton_in_tau_rest_frame(lepton, pdg):
    m_a = 0.8
    _, blocks = make({"lepton": lepton, "branching_fraction": 1e-3}, m_a=m_a, n=5000)
    e_star = (M_TAU**2 + mass(pdg) ** 2 - m_a**2) / (2 * M_TAU)
    for b in blocks:
        sig, lep = b.roles["signal_parent"], b.roles["lepton"]
        assert abs(b.pdg[lep]) == pdg and b.pdg[lep] * b.pdg[sig] > 0
        rest = kin.boost(b.p4[:, lep], -kin.velocity(b.p4[:, sig]))
        np.testing.assert_allclose(rest[:, 3], e_star, rtol=1e-9)
        np.testing.assert_allclose(b.extra["x_l_truth"], 2 * e_star / M_TAU, rtol=1e-9)
        assert b.status[b.roles["alp"]] == 1 and b.pdg[b.roles["alp"]] == ALP_PDG_ID
        initial = b.p4[:, 0] + b.p4[:, 1]
        np.testing.assert_allclose(b.p4[:, b.status == 1].sum(1), initial, atol=1e-9)


def _cos_to_helicity_axis(b):
    """cosθ of the lepton to the signal τ's CM flight direction, in the τ rest frame."""
    sig, lep = b.roles["signal_parent"], b.roles["lepton"]
    total = b.p4[:, 0] + b.p4[:, 1]
    beta = -kin.velocity(b.p4[:, sig])
    axis = -kin.boost(total, beta)[:, :3]
    rest = kin.boost(b.p4[:, lep], beta)
    return np.sum(rest[:, :3] * axis, 1) / kin.momentum(rest) / np.linalg.norm(axis, axis=1)


@pytest.mark.parametrize("chirality,asym", [("scalar", 0.0), ("V-A", -1.0), ("V+A", 1.0)])
def test_lepton_angle_follows_chirality_and_helicity(chirality, asym):
    _, blocks = make(
        {"lepton": "mu", "branching_fraction": 1e-3, "chirality": chirality}, n=60_000, seed=5
    )
    vals = []
    for b in blocks:
        q = 1 if b.pdg[b.roles["signal_parent"]] > 0 else -1
        vals.append(q * b.extra["signal_tau_helicity"] * _cos_to_helicity_axis(b))
    v = np.concatenate(vals)
    # dΓ/dcosθ ∝ 1 + q A P cosθ  =>  <q P cosθ> = A/3.
    assert abs(v.mean() - asym / 3) < 5 * np.sqrt(1 / 3 / v.size)


def test_sm_michel_spectrum():
    _, blocks = make({"lepton": "e", "signal": "sm"}, n=60_000)
    x = np.concatenate([b.extra["x_l_truth"] for b in blocks])
    # dΓ/dx = 2x²(3 − 2x): <x> = 0.7, <x²> = 8/15 (unpolarised on average over the pair).
    assert abs(x.mean() - 0.7) < 5 * x.std() / np.sqrt(x.size)
    assert abs(np.mean(x**2) - 8 / 15) < 5 * np.std(x**2) / np.sqrt(x.size)
    assert {b.mode for b in blocks} == {
        "tau- -> e- nu nu (SM); tag tau+ -> 3pi nu",
        "tau+ -> e+ nu nu (SM); tag tau- -> 3pi nu",
    }


def test_pseudo_rest_frame_x():
    ch, blocks = make({"lepton": "mu", "branching_fraction": 1e-3}, m_a=0.3, n=40_000)
    x_true = 1 + (mass(13) ** 2 - 0.09) / M_TAU**2
    sqrt_s = ch.sqrt_s
    cms = -ch.cms_beta
    for b in blocks:
        lep = kin.boost(b.p4[:, b.roles["lepton"]], cms)
        sig = kin.boost(b.p4[:, b.roles["signal_parent"]], cms)
        tag = kin.boost(b.p4[:, b.roles["tag_tau"]], cms)
        # Exact τ direction and energy (no ISR, no beam spread) -> the rest-frame value.
        np.testing.assert_allclose(pseudo_rest_frame_x(lep, tag, sqrt_s), x_true, rtol=1e-7)
        # With the visible tag, the error is bounded by the direction error:
        # |δx| ≤ (2/m_τ) γβ |p_ℓ| |n̂_PRF − n̂_τ|.
        x_prf = b.extra["x_l_truth_prf"]
        vis = [i for i in b.final_descendants(b.roles["tag_tau"]) if abs(b.pdg[i]) != 16]
        n_prf = -b.p4[:, vis].sum(1)[:, :3]
        n_prf = kin.boost(b.p4[:, vis].sum(1), cms)[:, :3]
        n_prf = -n_prf / np.linalg.norm(n_prf, axis=1, keepdims=True)
        n_tau = sig[:, :3] / kin.momentum(sig)[:, None]
        gb = kin.momentum(sig) / M_TAU
        bound = 2 / M_TAU * gb * kin.momentum(lep) * np.linalg.norm(n_prf - n_tau, axis=1)
        assert np.all(np.abs(x_prf - x_true) <= bound + 1e-9)
    x = np.concatenate([b.extra["x_l_truth_prf"] for b in blocks])
    # Centred near the true value, smeared by the 3π-ν opening angle (RMS ~ 0.1–0.2).
    assert abs(np.median(x) - x_true) < 0.06
    assert 0.05 < x.std() < 0.3


def test_branching_fraction_from_couplings_and_card_errors():
    det = NO_SPREAD  # channels read only the collider
    # m_ℓ → 0 limit of the width: |c|² m_τ³ (1 − m_a²/m_τ²)²/(64πΛ²) (two-body width of the
    # generator/channels/tau_to_l_a.py module text).
    ref = 1.0 * M_TAU**3 * (1 - 0.25 / M_TAU**2) ** 2 / (64 * np.pi * 1e6)
    assert width_tau_to_l_a(0.5, 1e-9, 1.0, 1e3) == pytest.approx(ref, rel=1e-6)
    assert width_tau_to_l_a(0.5, mass(11), 1.0, 1e3) == pytest.approx(ref, rel=1e-3)
    assert width_tau_to_l_a(1.7, mass(13), 1.0, 1e3) == 0.0
    coupled = AlpSettings(
        0.5, 1.0, {"invisible": 1.0}, couplings=Couplings(c_taue=1e-3, c_chi=1.0, m_chi=0.1)
    )
    ch = TauToLA.from_card(Table({"lepton": "e"}, "channel"), coupled, det)
    from alpsim.pdg import width

    assert ch.branching_fraction == pytest.approx(
        width_tau_to_l_a(0.5, mass(11), 1e-3, 1e3) / width(15)
    )
    with pytest.raises(CardError, match=r"channel\.branching_fraction"):
        TauToLA.from_card(
            Table({"lepton": "e", "branching_fraction": 1e-3}, "channel"), coupled, det
        )
    with pytest.raises(CardError, match=r"channel\.chirality"):
        TauToLA.from_card(Table({"lepton": "e", "chirality": "V-A"}, "channel"), coupled, det)
    plain = AlpSettings(1.7, 1.0, {"invisible": 1.0})
    with pytest.raises(CardError, match=r"channel\.lepton"):
        TauToLA.from_card(
            Table({"lepton": "mu", "branching_fraction": 1e-3}, "channel"), plain, det
        )
    with pytest.raises(CardError, match=r"channel\.lepton"):
        TauToLA.from_card(Table({"branching_fraction": 1e-3}, "channel"), plain, det)
    with pytest.raises(CardError, match=r"channel\.tag"):
        TauToLA.from_card(
            Table({"lepton": "e", "branching_fraction": 1e-3, "tag": "5pi"}, "channel"), plain, det
        )
    assert CHANNELS[TauToLA.name] is TauToLA


@pytest.mark.parametrize("card", ["belle2_tau_e_a.toml", "belle2_tau_mu_a.toml"])
def test_shipped_cards_load(card):
    from pathlib import Path

    from alpsim.card import load_card

    c = load_card(Path(__file__).resolve().parents[1] / "cards" / card)
    assert c.channel.normalisation()["kind"] == "branching_fraction"


def test_reconstructed_x_l_follows_the_truth_pseudo_rest_frame():
    """The detector's `x_l`: reconstructed lepton and 3π tag in the pseudo-rest frame; NaN
    unless both are seen; close to the truth x_ℓ(PRF) event by event."""
    from pathlib import Path

    from alpsim.card import load_card
    from alpsim.runner import simulate_chunk

    card = load_card(Path(__file__).resolve().parents[1] / "cards" / "belle2_tau_mu_a.toml")
    record, reco = simulate_chunk(card, 5, 0, 0, 4000)
    x = reco.columns()["x_l"]
    truth = np.concatenate([b.extra["x_l_truth_prf"] for b in record.blocks])
    seen = np.isfinite(x)
    assert 0.3 < seen.mean() < 0.95
    d = x[seen] - truth[seen]
    assert abs(np.median(d)) < 2e-3
    assert 0.5 * np.subtract(*np.percentile(d, [84, 16])) < 0.02
    lepton = np.concatenate(
        [r.detected[:, b.roles["lepton"]] for b, r in zip(record.blocks, reco.blocks, strict=True)]
    )
    assert not np.any(seen & ~lepton)
