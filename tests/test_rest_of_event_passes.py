"""The rest-of-event detector path's bookkeeping (detector/rest_of_event.py): the visible
particles a pass gathers, the scatter of the passes back to event order, and blocks whose
ragged part has no tracks or nothing visible."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest

from alpsim.detector import rest_of_event as roe
from alpsim.record import FINAL, Ragged

from .conftest import simulate_card_text
from .test_rest_of_event import GENERIC


@pytest.fixture(scope="module")
def chunk(tmp_path_factory):
    card, record, _ = simulate_card_text(tmp_path_factory.mktemp("roe_passes"), GENERIC, 7, 300)
    return card, record.blocks[0]


def _visible_reference(rest: Ragged, events, n_template: int, neutral_hadrons: bool):
    """The visible particles of `events` the slow way: Ragged.take, then a mask."""
    sub = rest.take(events)
    codes = (*roe.CHARGED_STABLE, roe.PHOTON) + (roe.NEUTRAL_HADRONS if neutral_hadrons else ())
    keep = (sub.status == FINAL) & np.isin(np.abs(sub.pdg), codes)
    ev = sub.event
    index = n_template + np.arange(sub.pdg.size) - sub.offsets[ev]
    off = np.zeros(sub.n_events + 1, dtype=np.int64)
    np.cumsum(np.bincount(ev[keep], minlength=sub.n_events), out=off[1:])
    return off, sub.pdg[keep], sub.p4[keep], sub.vertex[keep], index[keep]


@pytest.mark.parametrize("neutral_hadrons", [False, True])
def test_a_pass_gathers_exactly_its_visible_particles(chunk, neutral_hadrons):
    """_VisibleIndex.take(events) holds the final-state e, μ, π, K, p, γ (and K_L, n) of those
    events, in event order and particle order, with their index in the event."""
    _, block = chunk
    rest = block.rest
    where = roe._VisibleIndex(rest, block.n_particles, neutral_hadrons)
    rng = np.random.default_rng(4)
    for events in (rng.permutation(rest.n_events)[:77], np.arange(rest.n_events), None):
        got = where.take(events)
        ref = _visible_reference(rest, np.arange(rest.n_events) if events is None else events,
                                 block.n_particles, neutral_hadrons)  # fmt: skip
        for a, b in zip((got.offsets, got.pdg, got.p4, got.vertex, got.index), ref, strict=True):
            np.testing.assert_array_equal(a, b)
    assert where.n_seen.sum() > 3 * rest.n_events


def test_gather_puts_every_pass_object_back_in_event_order(chunk):
    """_gather of passes over a permutation of the events equals the stable sort by event of
    the concatenated passes (the definition of event-major)."""
    card, block = chunk
    n = block.n_events
    where = roe._VisibleIndex(block.rest, block.n_particles, True)
    order = np.random.default_rng(5).permutation(n)
    passes = [order[a : a + 64] for a in range(0, n, 64)]
    rng = np.random.default_rng(6)
    beta = np.array([0.0, 0.0, 0.28])
    parts = [roe._rest_objects(rng, where.take(e), card.detector, beta) for e in passes]
    got = roe._gather(copy.deepcopy(parts), passes, n)  # _gather empties the parts it reads
    for kind, name in (("c", "c_offsets"), ("t", "t_offsets")):
        ev = np.concatenate([e[np.repeat(np.arange(e.size), np.diff(getattr(p, name)))]
                             for p, e in zip(parts, passes, strict=True)])  # fmt: skip
        o = np.argsort(ev, kind="stable")
        np.testing.assert_array_equal(np.diff(getattr(got, name)), np.bincount(ev, minlength=n))
        fields = [f for f in vars(got) if f.startswith(kind + "_") and f != name]
        for f in fields:
            if f.endswith("extra"):
                for key, val in getattr(got, f).items():
                    ref = np.concatenate([getattr(p, f)[key] for p in parts])[o]
                    np.testing.assert_array_equal(val, ref)
            else:
                ref = np.concatenate([getattr(p, f) for p in parts])[o]
                np.testing.assert_array_equal(getattr(got, f), ref)
    for p, e in zip(parts, passes, strict=True):
        np.testing.assert_array_equal(got.visible[e], p.visible)


@pytest.mark.parametrize("what", ["photons only", "nothing visible"])
def test_ragged_part_without_tracks_or_visible_particles(chunk, what, monkeypatch):
    """Every particle a photon: clusters and no tracks; every particle decayed: no objects and
    zero visible four-momentum (in one pass and in several)."""
    card, block = chunk
    r = block.rest
    if what == "photons only":
        rest = replace(r, pdg=np.full_like(r.pdg, 22), status=np.full_like(r.status, FINAL))
    else:
        rest = replace(r, status=np.zeros_like(r.status))
    b = replace(block, rest=rest)
    for per_pass in (roe.EVENTS_PER_PASS, 50):
        monkeypatch.setattr(roe, "EVENTS_PER_PASS", per_pass)
        o = roe.rest_objects(np.random.default_rng(8), b, card.detector, np.zeros(3))
        assert o.t_offsets[-1] == 0 and o.t_theta.size == 0
        assert o.t_extra["particle"].size == 0
        if what == "photons only":
            assert o.c_offsets[-1] > b.n_events
        else:
            assert o.c_offsets[-1] == 0
            np.testing.assert_array_equal(o.visible, 0.0)


@pytest.mark.parametrize("shape", [(0, 4), (7,), (7, 3), (7, 5)])
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.bool_])
def test_row_moves_equal_fancy_indexing(shape, dtype):
    """_rows / _put_rows (np.take and row-as-one-item copies) move the same elements as
    a[idx] and out[idx] = a."""
    rng = np.random.default_rng(1)
    a = (rng.random(shape) * 100).astype(dtype)
    idx = rng.permutation(shape[0])
    np.testing.assert_array_equal(roe._rows(a, idx), a[idx])
    out, ref = np.zeros_like(a), np.zeros_like(a)
    roe._put_rows(out, idx, a)
    ref[idx] = a
    np.testing.assert_array_equal(out, ref)
