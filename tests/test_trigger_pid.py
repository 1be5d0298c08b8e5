"""Trigger turn-ons, prescales and vetoes; the muon-system response; PID tables per charge and
region; the beam-background overlay; and the card checks of their fields."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.special import erf
from scipy.stats import poisson

import alpsim
from alpsim.card import load_card
from alpsim.detector.background import overlay
from alpsim.detector.config import (
    PID_SPECIES,
    PidRegion,
    PidSettings,
    TriggerLine,
    load_detector,
    shipped_card,
)
from alpsim.detector.helix import K_FIELD
from alpsim.detector.muonid import hit_layers, muon_layers, muon_response
from alpsim.detector.pid import assign_species
from alpsim.detector.trigger import TriggerInputs, trigger_bits
from alpsim.pdg import mass
from alpsim.toml_fields import CardError

from .conftest import CARDS


@pytest.fixture(scope="module")
def belle2():
    return load_detector(shipped_card("belle2"))


def _p4(e, theta, phi):
    """Massless four-vectors (k, N, 4) from energies and angles (k, N)."""
    st = np.sin(theta)
    return np.stack([e * st * np.cos(phi), e * st * np.sin(phi), e * np.cos(theta), e], axis=-1)


def _inputs(n, k_t=1, k_c=1, phi=None, **over):
    """Trigger inputs of n events with k_t tracks and k_c clusters (nothing found/existing);
    the CM frame is the lab (cms_beta = 0), cluster azimuths `phi` (default 0)."""
    d = {
        "track_found": np.zeros((k_t, n), bool),
        "track_pt": np.zeros((k_t, n)),
        "track_p": np.zeros((k_t, n)),
        "track_theta": np.full((k_t, n), np.pi / 2),
        "track_cos_phi": np.ones((k_t, n)),
        "track_sin_phi": np.zeros((k_t, n)),
        "track_muon": np.zeros((k_t, n), bool),
        "cluster_exists": np.zeros((k_c, n), bool),
        "cluster_energy": np.zeros((k_c, n)),
        "cluster_energy_cms": np.zeros((k_c, n)),
        "cluster_theta": np.full((k_c, n), np.pi / 2),
        "cms_beta": np.zeros(3),
    }
    d.update(over)
    phi = np.zeros((k_c, n)) if phi is None else phi
    d["cluster_p4"] = _p4(d["cluster_energy_cms"], d["cluster_theta"], phi)
    return TriggerInputs(**d)


def _binomial_tol(p, n):
    return 4.0 * math.sqrt(max(p * (1 - p), 0.25 / n) / n)


def test_cluster_turn_on_is_the_error_function():
    """A one-cluster line with threshold 1 GeV and width 0.1 GeV: efficiency versus the
    cluster energy is ½(1 + erf((E − 1)/(√2·0.1))) (the analytic turn-on)."""
    line = TriggerLine("t", clusters=1, cluster_energy=1.0, cluster_width=0.1)
    n = 20000
    rng = np.random.default_rng(5)
    for e in (0.8, 0.95, 1.0, 1.05, 1.2):
        t = _inputs(n, cluster_exists=np.ones((1, n), bool), cluster_energy=np.full((1, n), e))
        got = trigger_bits((line,), t, rng)["trg_t"].mean()
        expect = 0.5 * (1 + erf((e - 1.0) / (math.sqrt(2) * 0.1)))
        assert got == pytest.approx(expect, abs=_binomial_tol(expect, n)), e


def test_energy_sum_turn_on_and_theta_range():
    line = TriggerLine("s", energy_sum=1.0, energy_sum_width=0.05, energy_sum_theta=(0.5, 2.5))
    n = 20000
    rng = np.random.default_rng(6)
    # two clusters of 0.55 GeV: both inside the range -> 1.1 GeV; one outside -> 0.55 GeV
    e = np.full((2, n), 0.55)
    inside = _inputs(n, k_c=2, cluster_exists=np.ones((2, n), bool), cluster_energy=e)
    got = trigger_bits((line,), inside, rng)["trg_s"].mean()
    expect = 0.5 * (1 + erf(0.1 / (math.sqrt(2) * 0.05)))
    assert got == pytest.approx(expect, abs=_binomial_tol(expect, n))
    theta = np.array([np.full(n, 1.0), np.full(n, 3.0)])
    outside = replace(inside, cluster_theta=theta)
    assert trigger_bits((line,), outside, rng)["trg_s"].mean() < 1e-3


def test_prescale_keeps_one_in_n():
    line = TriggerLine("p", prescale=8)
    n = 40000
    got = trigger_bits((line,), _inputs(n), np.random.default_rng(7))["trg_p"].mean()
    assert got == pytest.approx(1 / 8, abs=_binomial_tol(1 / 8, n))


def test_bhabha_veto_suppresses_hie_but_not_lml1(belle2):
    """Two back-to-back CM clusters of 5 GeV (a Bhabha or e+e- -> γγ pattern, basf2
    TrgEclMaster 3D veto) kill hie; lml1 (no veto) still fires; at 2.5 GeV there is no veto."""
    n = 2000
    ones = np.ones((2, n), bool)
    theta = np.array([np.full(n, 1.2), np.full(n, math.pi - 1.2 + 0.02)])
    phi = np.array([np.zeros(n), np.full(n, math.pi + 0.05)])

    def fire(e_cms):
        t = _inputs(
            n,
            k_c=2,
            cluster_exists=ones,
            cluster_energy=np.full((2, n), e_cms),
            cluster_energy_cms=np.full((2, n), e_cms),
            cluster_theta=theta,
            phi=phi,
        )
        return trigger_bits(belle2.trigger, t, np.random.default_rng(8), belle2.trigger_patterns)

    bits = fire(5.0)
    assert bits["trgpattern_bhabha3d"].all()
    assert not bits["trg_hie"].any() and not bits["trg_lml0"].any()
    assert bits["trg_lml1"].all()
    bits = fire(2.5)
    assert not bits["trgpattern_bhabha3d"].any()
    assert bits["trg_hie"].all()


def test_prescaled_bhabha_selection_line(belle2):
    """bha3d requires the 3D Bhabha selection pattern and keeps 1 in 100 (basf2 docs)."""
    n = 50000
    ones = np.ones((2, n), bool)
    theta = np.array([np.full(n, 1.2), np.full(n, math.pi - 1.2)])
    phi = np.array([np.zeros(n), np.full(n, math.pi)])
    e = np.full((2, n), 5.0)
    t = _inputs(
        n,
        k_c=2,
        cluster_exists=ones,
        cluster_energy=e,
        cluster_energy_cms=e,
        cluster_theta=theta,
        phi=phi,
    )
    bits = trigger_bits(belle2.trigger, t, np.random.default_rng(14), belle2.trigger_patterns)
    assert bits["trg_bha3d"].mean() == pytest.approx(0.01, abs=_binomial_tol(0.01, n))
    none = replace(t, cluster_exists=np.zeros((2, n), bool))
    bits = trigger_bits(belle2.trigger, none, np.random.default_rng(14), belle2.trigger_patterns)
    assert not bits["trg_bha3d"].any()


def test_lml6_exactly_one_energetic_cluster(belle2):
    """lml6: exactly one cluster above 1 GeV CM in the barrel and exactly one above 300 MeV
    lab anywhere (basf2 TrgEclMaster lml6): a second 0.5 GeV cluster kills it."""
    n = 500
    e_lab = np.array([np.full(n, 2.0), np.full(n, 0.5)])
    e_cms = np.array([np.full(n, 2.2), np.full(n, 0.6)])
    one = _inputs(
        n,
        k_c=2,
        cluster_exists=np.array([np.ones(n, bool), np.zeros(n, bool)]),
        cluster_energy=e_lab,
        cluster_energy_cms=e_cms,
    )
    rng = np.random.default_rng(9)
    assert trigger_bits(belle2.trigger, one, rng, belle2.trigger_patterns)["trg_lml6"].all()
    two = replace(one, cluster_exists=np.ones((2, n), bool))
    assert not trigger_bits(belle2.trigger, two, rng, belle2.trigger_patterns)["trg_lml6"].any()


def test_muon_reach_threshold(belle2):
    """A muon at θ = 90° reaches the KLM's `min_layers` only above the momentum where its
    kinetic energy covers the energy loss in front plus (min_layers − 1) absorber gaps and its
    helix leaves the coil (the closed-form threshold of the card's numbers)."""
    mu = belle2.muon
    m = mass(13)
    t_need = mu.energy_loss + (mu.min_layers - 1) * mu.absorber * mu.absorber_dedx
    p_range = math.sqrt((t_need + m) ** 2 - m**2)
    p_curl = 0.5 * K_FIELD * belle2.tracking.field * mu.coil_radius
    p_min = max(p_range, p_curl)
    p = np.array([0.97, 1.03]) * p_min
    layers = muon_layers(p, p, np.full(2, np.pi / 2), m, belle2.tracking.field, mu)
    assert layers[0] < mu.min_layers <= layers[1]
    # high momentum: every layer; outside the polar coverage: none
    far = muon_layers(np.array([5.0]), np.array([5.0]), np.array([np.pi / 2]), m, 1.5, mu)
    assert far[0] == mu.layers
    fwd = muon_layers(np.array([5.0]), np.array([0.5]), np.array([0.1]), m, 1.5, mu)
    assert fwd[0] == 0


def test_hadrons_and_electrons_in_the_muon_system(belle2):
    """Pions reach the first layer with the card's survival probability (no interaction in
    the calorimeter); electrons never; muons always (above their reach)."""
    mu = belle2.muon
    n = 40000
    rng = np.random.default_rng(10)
    p = np.full(n, 3.0)
    th = np.full(n, np.pi / 2)
    pi = hit_layers(rng, 211, p, p, th, mass(211), 1.5, mu)
    assert (pi >= 1).mean() == pytest.approx(mu.hadron_survival, abs=_binomial_tol(0.5, n))
    # beyond the first layer the survivors stop after an exponential depth (λ_I)
    p_two = mu.hadron_survival * math.exp(-mu.absorber / mu.interaction_length)
    assert (pi >= 2).mean() == pytest.approx(p_two, abs=_binomial_tol(0.5, n))
    assert not hit_layers(rng, 11, p, p, th, mass(11), 1.5, mu).any()
    assert (hit_layers(rng, 13, p, p, th, mass(13), 1.5, mu) == mu.layers).all()


def test_muon_response_reach_and_match(belle2):
    """muon_response: `reach` is the muon hypothesis' layer count ≥ min_layers whatever the
    species; `match` is the species' own response (muons = reach, e± never, pions with the
    survival and interaction probability of the first min_layers − 1 gaps)."""
    mu = belle2.muon
    n = 40000
    rng = np.random.default_rng(15)
    p = np.concatenate([np.full(n // 2, 0.3), np.full(n // 2, 3.0)])
    th = np.full(n, np.pi / 2)
    expect = muon_layers(p, p, th, mass(13), 1.5, mu) >= mu.min_layers
    for pdg in (13, 11, 211):
        reach, match = muon_response(rng, pdg, p, p, th, 1.5, mu)
        np.testing.assert_array_equal(reach, expect)
        assert not (match & ~reach).any()
    assert not muon_response(rng, 11, p, p, th, 1.5, mu)[1].any()
    _, match = muon_response(rng, 211, p, p, th, 1.5, mu)
    p_match = mu.hadron_survival * math.exp(
        -(mu.min_layers - 1) * mu.absorber / mu.interaction_length
    )
    assert match[n // 2 :].mean() == pytest.approx(p_match, abs=_binomial_tol(0.5, n // 2))


def test_muon_id_needs_the_muon_system(belle2):
    """Muons below the KLM reach are never called muons; above it the card's 90 % holds."""
    rng = np.random.default_rng(11)
    n = 20000
    th = np.full(n, np.pi / 2)
    for p, expect in ((0.35, 0.0), (2.0, 0.90)):
        pp = np.full(n, p)
        reach = muon_layers(pp, pp, th, mass(13), 1.5, belle2.muon) >= belle2.muon.min_layers
        got = (assign_species(rng, 13, pp, th, belle2.pid, -1, reach) == 13).mean()
        assert got == pytest.approx(expect, abs=_binomial_tol(max(expect, 0.01), n))


def test_pid_regions_per_charge():
    """A region for positive tracks only (K+ efficiency 50 %) and one for both (90 %):
    positive kaons get the first, negative ones the second."""
    m_all = np.tile(np.eye(5), (1, 1, 1))
    m_all[0, 3] = [0, 0, 0.1, 0.9, 0]
    m_pos = m_all.copy()
    m_pos[0, 3] = [0, 0, 0.5, 0.5, 0]
    theta = (0.0, np.pi)
    pid = PidSettings((0.0, 100.0), (PidRegion(theta, m_pos, 1), PidRegion(theta, m_all, -1)))
    rng = np.random.default_rng(12)
    n = 20000
    p = np.full(n, 1.0)
    th = np.full(n, 1.0)
    for q, expect in ((1, 0.5), (-1, 0.9)):
        got = (assign_species(rng, 321, p, th, pid, q) == 321).mean()
        assert got == pytest.approx(expect, abs=_binomial_tol(expect, n))
    assert PID_SPECIES[3] == 321


def test_background_overlay_multiplicities(belle2):
    """Cluster counts are Poisson with mean photons × scale × P(E > threshold) (exponential
    spectrum above E_min), polar-angle bins follow the weights, tracks Poisson(tracks × scale)."""
    cond = replace(next(c for c in belle2.background_conditions), scale=2.0)
    n = 20000
    cms_beta = belle2.beams.nominal_cms()[1]
    bg = overlay(np.random.default_rng(13), n, cond, belle2.calorimeter, belle2.tracking, cms_beta)
    e_min, slope = cond.photon_energy
    thr = belle2.calorimeter.energy_threshold
    keep = math.exp(-max(thr - e_min, 0.0) / slope)
    mean = cond.photons * cond.scale * keep
    counts = bg.n_clusters
    assert counts.mean() == pytest.approx(mean, abs=4 * math.sqrt(mean / n))
    assert (counts == 0).mean() == pytest.approx(poisson.pmf(0, mean), abs=0.02)
    t_mean = cond.tracks * cond.scale
    assert bg.n_tracks.mean() == pytest.approx(t_mean, abs=4 * math.sqrt(t_mean / n))
    # energies above the threshold follow the exponential (mean = threshold + slope)
    e0 = max(e_min, thr)
    assert bg.c_p4[:, 3].min() >= e0
    assert bg.c_p4[:, 3].mean() == pytest.approx(e0 + slope, rel=0.02)
    # polar angles fall in the θ bins with the weights
    edges = np.asarray(cond.photon_theta_edges)
    frac = np.histogram(bg.c_theta, bins=edges)[0] / bg.c_theta.size
    np.testing.assert_allclose(frac, cond.photon_theta_weights, atol=0.02)
    # the event sum is the sum of the objects
    total = bg.c_p4[:, 3].sum() + bg.t_p4[:, 3].sum()
    assert bg.visible[:, 3].sum() == pytest.approx(total)
    k = int(np.argmax(counts))
    a, b = bg.c_offsets[k], bg.c_offsets[k + 1]
    t0, t1 = bg.t_offsets[k], bg.t_offsets[k + 1]
    expect = bg.c_p4[a:b].sum(axis=0) + bg.t_p4[t0:t1].sum(axis=0)
    np.testing.assert_allclose(bg.visible[k], expect)


def test_background_objects_enter_the_event(write_card):
    """With [background], the event counts include untruth-matched objects (particle = −1)
    and the same seed gives the same events."""
    text = (CARDS / "belle2_gamma_a_gg.toml").read_text()
    card = write_card(text + '\n[background]\ncondition = "nominal"\n')
    r1 = alpsim.run(card, n=2000)
    r2 = alpsim.run(card, n=2000)
    for col in ("nClusters", "nTracks", "visibleEnergyOfEventCMS", "trg_any", "a_M"):
        np.testing.assert_array_equal(np.asarray(r1.events[col]), np.asarray(r2.events[col]))
    base = alpsim.run(CARDS / "belle2_gamma_a_gg.toml", n=2000).events
    ev = r1.events
    assert np.mean(ev["nClusters"]) > np.mean(base["nClusters"]) + 5
    clusters = ev["clusters"].combine_chunks().flatten()
    part = np.asarray(clusters.field("particle"))
    assert (part == -1).any() and (part >= 0).any()
    n_clu = np.asarray([len(x) for x in ev["clusters"].to_pylist()])
    np.testing.assert_array_equal(n_clu, np.asarray(ev["nClusters"]))


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ('vetoes = ["bhabha3d"]', 'vetoes = ["bhabha"]', r"trigger\.hie\.vetoes.*bhabha3d"),
        ("prescale", "prescale", None),
        ("energy_sum = 1.0 ", "energy_sum = 1.0\nmax_energy_sum = 0.5\n", "max_energy_sum"),
        ("max_clusters = 1\n", "max_clusters = 0\n", r"lml6\.max_clusters.*>= clusters"),
        ("energy_low = 3.0", "energy_low = 5.0", r"trigger_pattern\.bhabha3d\.energy_high"),
        ("delta_phi = [160.0, 200.0]", "delta_phi = [200.0, 160.0]", "delta_phi"),
        ("min_layers = 2 ", "min_layers = 20 ", r"muon\.min_layers.*<= 15"),
        ("photon_theta_weights = [0.45, 0.25, 0.30]", "photon_theta_weights = [0.45, 0.25]",
         r"early_phase3\.photon_theta_weights"),
        ("photon_theta_edges = [12.4, 31.4,", "photon_theta_edges = [31.4, 12.4,",
         r"photon_theta_edges.*increasing"),
    ],
)  # fmt: skip
def test_bad_trigger_muon_background_fields(tmp_path, old, new, match):
    text = shipped_card("belle2").read_text()
    if match is None:  # prescale 0 on a line
        head = text.index("\n", text.index("[trigger.stt]")) + 1
        bad = text[:head] + "prescale = 0\n" + text[head:]
        match = r"trigger\.stt\.prescale.*>= 1"
    else:
        assert old in text
        bad = text.replace(old, new, 1)
    (tmp_path / "d.toml").write_text(bad)
    with pytest.raises(CardError, match=match):
        load_detector(tmp_path / "d.toml")


def test_bad_pid_regions_overlap_or_gap(tmp_path):
    text = shipped_card("belle2").read_text()
    start = text.index("[pid.regions.acceptance]")
    end = text.index("\n[muon]\n") + 1
    block = text[start:end]
    fwd = block.replace("acceptance]", "forward]").replace("[17.0, 150.0]", "[17.0, 40.0]")
    rest = block.replace("acceptance]", "rest]").replace("[17.0, 150.0]", "[35.0, 150.0]")
    (tmp_path / "o.toml").write_text(text[:start] + fwd + rest + text[end:])
    with pytest.raises(CardError, match=r"pid\.regions\.rest.*overlaps region 'forward'"):
        load_detector(tmp_path / "o.toml")
    rest = rest.replace("[35.0, 150.0]", "[45.0, 150.0]")
    (tmp_path / "g.toml").write_text(text[:start] + fwd + rest + text[end:])
    with pytest.raises(CardError, match=r"pid\.regions\.rest.*gap after region 'forward'"):
        load_detector(tmp_path / "g.toml")


def test_run_card_background_condition_is_checked(write_card):
    text = (CARDS / "belle2_gamma_a_gg.toml").read_text()
    with pytest.raises(CardError, match=r"background\.condition.*early_phase3"):
        load_card(write_card(text + '\n[background]\ncondition = "phase9"\n'))
    with pytest.raises(CardError, match=r"background\.scale"):
        load_card(write_card(text + "\n[background]\nscale = -1\n"))
    bes = (CARDS / "bes3_gamma_a_gg.toml").read_text()
    with pytest.raises(CardError, match=r"background\.condition.*no \[background"):
        load_card(write_card(bes + "\n[background]\n"))
    off = load_card(write_card(text + "\n[background]\nenabled = false\n"))
    assert off.detector.background is None


def test_merge_signal_and_background_objects():
    """Objects stay sorted by event, each event's signal objects first; a field only the
    signal objects have is NaN (floats) or False for the background ones."""
    from alpsim.detector.chain import _merge_objects

    sig = {
        "event": np.array([0, 0, 2]),
        "particle": np.array([1, 2, 1], np.int32),
        "E": np.array([1.0, 2.0, 3.0]),
        "shape": np.array([0.5, 0.6, 0.7]),
        "flag": np.array([True, False, True]),
    }
    bg = {"particle": np.array([-1, -1], np.int32), "E": np.array([0.1, 0.2])}
    out = _merge_objects(sig, bg, np.array([0, 1, 1, 2]), 3)
    assert out["event"].tolist() == [0, 0, 0, 2, 2]
    assert out["particle"].tolist() == [1, 2, -1, 1, -1]
    assert out["E"].tolist() == [1.0, 2.0, 0.1, 3.0, 0.2]
    np.testing.assert_array_equal(out["shape"], [0.5, 0.6, np.nan, 0.7, np.nan])
    assert out["flag"].tolist() == [True, False, False, True, False]
