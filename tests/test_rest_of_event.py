"""The other B's full decay chain (the block's ragged part) through the detector and writers."""

from __future__ import annotations

import numpy as np
import pyhepmc
import pytest

from alpsim.card import load_card
from alpsim.detector.chain import simulate
from alpsim.detector.writers.hepmc3 import HepMC3Writer
from alpsim.detector.writers.table import chunk_table
from alpsim.record import DECAYED, FINAL, EventRecord
from alpsim.runner import simulate_chunk

from .conftest import BASE_CARD, simulate_card_text

GENERIC = BASE_CARD.replace(
    "branching_fraction = 1e-6", 'branching_fraction = 1e-6\nother_b = "generic"'
)


@pytest.fixture(scope="module")
def generic(tmp_path_factory):
    return simulate_card_text(tmp_path_factory.mktemp("roe"), GENERIC, 5, 400)


def test_rest_of_event_enters_the_event_variables(generic, tmp_path):
    """nTracks and nClusters grow by the other B's visible products; its tracks and clusters
    link to its particles (index ≥ the template size); the signal candidate is unchanged."""
    _, record, reco = generic
    cols = reco.columns()
    undecayed = tmp_path / "u.toml"
    undecayed.write_text(BASE_CARD)
    _, reco_u = simulate_chunk(load_card(undecayed), 5, 0, 0, 400)
    base = reco_u.columns()
    assert np.mean(cols["nTracks"]) > np.mean(base["nTracks"]) + 3.0
    assert np.mean(cols["nClusters"]) > np.mean(base["nClusters"]) + 3.0
    # an undecayed other B is all missing (m² ≈ m_B² ≈ 27.9 GeV²); its decay products are
    # mostly seen, but for neutrinos, K_L and what escapes the acceptance
    assert np.median(base["missingMass2"]) > 25.0
    assert 0.0 < np.median(cols["missingMass2"]) < 10.0
    vis = np.mean(cols["visibleEnergyOfEventCMS"]) - np.mean(base["visibleEnergyOfEventCMS"])
    assert 3.0 < vis < 5.3
    objs = reco.objects()
    n_template = record.blocks[0].n_particles
    t_part = objs["tracks"]["particle"]
    assert np.any(t_part >= n_template) and np.all(t_part >= 0)
    assert np.any(objs["clusters"]["particle"] >= n_template)
    # every ragged track is a charged final-state particle of that event's chain
    ev = objs["tracks"]["event"]
    flat = record.flat()
    off = flat["offsets"]
    ragged = t_part >= n_template
    pdg = flat["pdg"][off[ev[ragged]] + t_part[ragged]]
    assert set(np.abs(pdg).tolist()) <= {11, 13, 211, 321, 2212}
    assert np.all(flat["status"][off[ev[ragged]] + t_part[ragged]] == FINAL)


def test_rest_of_event_with_beam_background(generic):
    """Ragged objects and the beam-background overlay share the event lists."""
    from dataclasses import replace

    from alpsim.detector.config import select_background
    from alpsim.toml_fields import Table

    card, record, _ = generic
    det = select_background(card.detector, Table({"condition": "early_phase3"}, "background"))
    det = replace(det, material=replace(det.material, enabled=False))
    reco = simulate(np.random.default_rng(1), record, det)
    objs = reco.objects()
    part = objs["tracks"]["particle"]
    assert np.any(part == -1) and np.any(part >= record.blocks[0].n_particles)
    # beam-background objects keep their own fields: pion hypothesis, no merged particles
    assert np.all(objs["tracks"]["pid"][part == -1] == 211)
    c_bg = objs["clusters"]["particle"] == -1
    assert c_bg.any() and np.all(objs["clusters"]["nParticles"][c_bg] == 0)
    assert np.all(np.diff(objs["tracks"]["event"]) >= 0)  # still event-major


def test_parquet_truth_full_holds_the_chain(generic):
    _, record, reco = generic
    full = chunk_table(record, reco, "full")
    signal = chunk_table(record, reco, "signal")
    row = full.slice(0, 1).to_pylist()[0]
    flat = record.flat()
    n0 = int(flat["offsets"][1])
    assert len(row["particles"]) == n0
    assert [p["pdg"] for p in row["particles"]] == flat["pdg"][:n0].tolist()
    assert [p["mother"] for p in row["particles"]] == flat["mother"][:n0].tolist()
    for t in row["tracks"]:  # links point at the particle the track came from
        assert abs(row["particles"][t["particle"]]["pdg"]) in (11, 13, 211, 321, 2212)
    srow = signal.slice(0, 1).to_pylist()[0]
    n_sig = len(srow["particles"])
    assert all(-1 <= t["particle"] < n_sig for t in srow["tracks"])


def test_hepmc3_round_trip_with_the_chain(generic, tmp_path):
    """pyhepmc reads back every particle, status and link; four-momentum is conserved at every
    vertex of the other B's chain."""
    _, record, _ = generic
    path = tmp_path / "x.hepmc3"
    with HepMC3Writer(path, {}) as w:
        w.write(record)
    flat = record.flat()
    off = flat["offsets"]
    n = 0
    with pyhepmc.open(path) as f:
        for k, ev in enumerate(f):
            a, b = off[k], off[k + 1]
            assert [p.pid for p in ev.particles] == flat["pdg"][a:b].tolist()
            assert [p.status for p in ev.particles] == flat["status"][a:b].tolist()
            bs = [p for p in ev.particles if abs(p.pid) == 521]
            assert len(bs) == 2 and all(p.end_vertex is not None for p in bs)
            for v in ev.vertices:
                if not v.particles_in or v.particles_in[0].pid in (11, -11, 22):
                    continue  # the beams' vertex; conversions (material stage)
                p_in = sum(np.array(p.momentum) for p in v.particles_in)
                p_out = sum(np.array(p.momentum) for p in v.particles_out)
                np.testing.assert_allclose(p_in, p_out, atol=2e-4)
            n += 1
    assert n == record.n_events


def test_material_stage_keeps_the_chain_links(generic):
    """Blocks split by the material stage (conversions append template particles) carry each
    event's chain, with mothers that still point at the other B or at decayed chain particles
    (record.derived_block shifts the ragged mothers)."""
    _, record, _ = generic
    assert len(record.blocks) > 2  # the material stage split the two signal-mode blocks
    for b in record.blocks:
        r = b.rest
        inner = r.mother >= b.n_particles
        assert np.all(r.mother[~inner] == b.roles["other_b"])
        local = r.mother[inner] - b.n_particles
        assert np.all(r.status[r.offsets[r.event[inner]] + local] == DECAYED)
    assert EventRecord("x", record.blocks).n_events == 400


def test_passes_of_events_keep_objects_with_their_events(generic, monkeypatch):
    """Simulated in passes of 64 events (rest_of_event.EVENTS_PER_PASS), every ragged track and
    cluster still belongs to a visible final-state particle of its own event."""
    from alpsim.detector import rest_of_event

    card, record, _ = generic
    monkeypatch.setattr(rest_of_event, "EVENTS_PER_PASS", 64)
    reco = simulate(np.random.default_rng(3), record, card.detector)
    flat = record.flat()
    off = flat["offsets"]
    n_template = record.blocks[0].n_particles
    for kind, allowed in (("tracks", {11, 13, 211, 321, 2212}),
                          ("clusters", {11, 13, 211, 321, 2212, 22, 130, 2112})):  # fmt: skip
        o = reco.objects()[kind]
        ragged = o["particle"] >= n_template
        assert ragged.sum() > 3 * record.n_events
        at = off[o["event"][ragged]] + o["particle"][ragged]
        assert np.all(at < off[o["event"][ragged] + 1])
        assert set(np.abs(flat["pdg"][at]).tolist()) <= allowed
        assert np.all(flat["status"][at] == FINAL)
    n_trk = reco.columns()["nTracks"]
    per_event = np.bincount(reco.objects()["tracks"]["event"], minlength=record.n_events)
    np.testing.assert_array_equal(n_trk, per_event)
