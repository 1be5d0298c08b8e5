"""The compiled object kernels of the chain (event_kernel.object_index, gather_field,
interleave_value, interleave_events, scatter_merge, momentum_cos_theta) against the numpy code
they replace: same values to the last bit, same order, same dtypes."""

from __future__ import annotations

import numpy as np
import pytest

from alpsim.detector.chain import _flatten, _merge_objects
from alpsim.detector.event_kernel import (
    gather_field,
    interleave,
    interleave_events,
    interleave_value,
    merge_positions,
    momentum_cos_theta,
    object_index,
    scatter_merge,
    scatter_merge_value,
)
from alpsim.detector.variables import cos_theta, momentum


def _numpy_flatten(mask, slots, fields):
    """The numpy version chain._flatten had: a transposed flatnonzero and one take per field."""
    k, n = mask.shape
    idx = np.flatnonzero(mask.T)
    ev = idx // k if k > 1 else idx
    kk = idx - ev * k
    pos = kk * n + ev
    out = {"event": ev.astype(np.int64)}
    out["particle"] = np.asarray(slots, dtype=np.int32)[kk] if slots else kk.astype(np.int32)
    for name, f in fields.items():
        if isinstance(f, tuple):
            arr, comp = f
            out[name] = arr.reshape(-1).take(pos * arr.shape[2] + comp)
        elif f.ndim == 1:
            out[name] = f.take(kk)
        else:
            out[name] = np.ascontiguousarray(f).reshape(-1).take(pos)
    return out


@pytest.mark.parametrize("k", [0, 1, 3, 6])
@pytest.mark.parametrize("n", [0, 1, 257])
def test_object_index_is_flatnonzero_of_the_transpose(k, n):
    mask = np.random.default_rng(k * 1000 + n).random((k, n)) < 0.6
    ev, slot = object_index(mask)
    idx = np.flatnonzero(mask.T)
    assert ev.dtype == np.int64 and slot.dtype == np.int64
    np.testing.assert_array_equal(ev * max(k, 1) + slot, idx)
    assert np.all(mask[slot, ev])


def test_gather_field_any_layout_and_dtype():
    rng = np.random.default_rng(3)
    k, n = 4, 500
    mask = rng.random((k, n)) < 0.5
    ev, slot = object_index(mask)
    sources = [
        rng.random((k, n)),  # C-contiguous float
        rng.random((k, n, 4))[:, :, 2],  # strided view
        rng.random((n, k)).T,  # transposed (Fortran order)
        rng.integers(-5, 5, (k, n)),
        rng.random((k, n)) < 0.3,
        rng.integers(0, 9, (k, n)).astype(np.int32),
    ]
    for src in sources:
        out = np.empty(ev.size, dtype=src.dtype)
        gather_field(src, ev, slot, out)
        np.testing.assert_array_equal(out, src[slot, ev])


def test_flatten_matches_the_numpy_gathers():
    rng = np.random.default_rng(5)
    k, n = 3, 1000
    mask = rng.random((k, n)) < 0.7
    p4 = rng.standard_normal((k, n, 4))
    fields = {
        "px": (p4, 0),
        "E": (p4, 3),
        "charge": np.array([1.0, -1.0, 1.0]),
        "pt": rng.random((k, n)),
        "view": rng.random((k, n, 2))[:, :, 1],
        "pid": rng.integers(0, 3000, (k, n)),
        "flag": rng.random((k, n)) < 0.5,
        "nan": np.where(rng.random((k, n)) < 0.5, np.nan, 1.0),
    }
    got = _flatten(mask, [5, 7, 8], fields)
    want = _numpy_flatten(mask, [5, 7, 8], fields)
    assert list(got) == list(want)
    for name in want:
        assert got[name].dtype == want[name].dtype, name
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def _signal_and_background(
    rng: np.random.Generator, n: int, n_signal: int, mean_background: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted event numbers of n_signal signal objects, the offsets of Poisson background
    counts per event (what the merges of chain._merge_objects take), the signal values."""
    sig_ev = np.sort(rng.integers(0, n, n_signal))
    counts = rng.poisson(mean_background, n)
    off = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=off[1:])
    return sig_ev, off, rng.random(sig_ev.size)


def test_interleave_value_and_events_match_the_array_versions():
    rng = np.random.default_rng(7)
    n = 300
    sig_ev, off, sig = _signal_and_background(rng, n, 400, 2.0)
    size = sig.size + int(off[-1])
    ref = np.empty(size)
    interleave(sig, np.full(int(off[-1]), np.nan), sig_ev, off, ref)
    got = np.empty(size)
    interleave_value(sig, np.nan, sig_ev, off, got)
    np.testing.assert_array_equal(got, ref)
    ev_ref = np.empty(size, np.int64)
    interleave(sig_ev, np.repeat(np.arange(n), np.diff(off)), sig_ev, off, ev_ref)
    ev = np.empty(size, np.int64)
    interleave_events(sig_ev, off, ev)
    np.testing.assert_array_equal(ev, ev_ref)
    assert np.all(np.diff(ev) >= 0)


def test_scatter_merges_match_the_event_walks():
    """scatter_merge / scatter_merge_value (positions from merge_positions, what
    chain._merge_objects uses) give the lists of interleave / interleave_value, strided
    background fields included."""
    rng = np.random.default_rng(8)
    n = 500
    sig_ev, off, sig = _signal_and_background(rng, n, 700, 3.0)
    bg = rng.random((int(off[-1]), 4))[:, 2]  # strided, as the background fields are read
    size = sig.size + int(off[-1])
    sig_pos, bg_pos, bg_ev = merge_positions(sig_ev, off)
    ref, got = np.empty(size), np.empty(size)
    interleave(sig, bg, sig_ev, off, ref)
    scatter_merge(sig, bg, sig_pos, bg_pos, got)
    np.testing.assert_array_equal(got, ref)
    interleave_value(sig, np.nan, sig_ev, off, ref)
    scatter_merge_value(sig, np.nan, sig_pos, got)
    np.testing.assert_array_equal(got, ref)
    ev_ref, ev = np.empty(size, np.int64), np.empty(size, np.int64)
    interleave_events(sig_ev, off, ev_ref)
    scatter_merge(sig_ev, bg_ev, sig_pos, bg_pos, ev)
    np.testing.assert_array_equal(ev, ev_ref)


def test_merge_objects_with_constant_and_strided_background_fields():
    sig = {
        "event": np.array([0, 2], np.int64),
        "particle": np.array([5, 5], np.int32),
        "px": np.array([1.0, 2.0]),
        "nParticles": np.array([1, 2], np.int64),
    }
    bg_p4 = np.arange(12.0).reshape(3, 4)
    bg = {"particle": -1, "px": bg_p4[:, 0], "nParticles": 0}
    out = _merge_objects(sig, bg, np.array([0, 1, 1, 3]), 3)
    assert out["event"].tolist() == [0, 0, 2, 2, 2]
    assert out["particle"].dtype == np.int32
    assert out["particle"].tolist() == [5, -1, 5, -1, -1]
    assert out["px"].tolist() == [1.0, 0.0, 2.0, 4.0, 8.0]
    assert out["nParticles"].tolist() == [1, 0, 2, 0, 0]


def test_momentum_cos_theta_is_bitwise_the_numpy_variables():
    rng = np.random.default_rng(11)
    p4 = rng.standard_normal((2000, 4)) * rng.lognormal(0.0, 3.0, (2000, 1))
    p4[0] = 0.0  # |p| = 0: NaN cos θ
    p4[1] = np.nan
    p, c = momentum_cos_theta(p4)
    np.testing.assert_array_equal(p, momentum(p4))
    np.testing.assert_array_equal(c, cos_theta(p4))
    assert np.isnan(c[0]) and np.isnan(p[1])
    view = rng.standard_normal((3, 50, 4))[1]  # a slot row of a slot-major array
    np.testing.assert_array_equal(momentum_cos_theta(view)[0], momentum(view))


def test_trigger_tables_built_once_and_left_unchanged():
    """trigger._line_tables is cached per menu: a second block reuses the tables, and firing
    the lines does not write into them (the same bits come out for the same inputs)."""
    from alpsim.detector.config import load_detector, shipped_card
    from alpsim.detector.trigger import TriggerInputs, _line_tables, trigger_bits

    det = load_detector(shipped_card("belle2"))
    rng = np.random.default_rng(2)
    kt, kc, n = 2, 3, 400
    theta = rng.uniform(0.3, 2.8, (kc, n))
    e = rng.exponential(1.0, (kc, n))
    p4 = np.stack([e * np.sin(theta), np.zeros_like(e), e * np.cos(theta), e], axis=-1)
    inputs = TriggerInputs(
        track_found=rng.random((kt, n)) < 0.9,
        track_pt=rng.exponential(0.8, (kt, n)),
        track_p=rng.exponential(1.0, (kt, n)) + 0.5,
        track_theta=rng.uniform(0.3, 2.8, (kt, n)),
        track_cos_phi=np.cos(rng.uniform(0, 6.28, (kt, n))),
        track_sin_phi=np.sin(rng.uniform(0, 6.28, (kt, n))),
        track_muon=rng.random((kt, n)) < 0.5,
        cluster_exists=rng.random((kc, n)) < 0.8,
        cluster_energy=e,
        cluster_energy_cms=e,
        cluster_theta=theta,
        cluster_p4=np.ascontiguousarray(p4),
        cms_beta=np.array([0.0, 0.0, 0.27]),
    )
    lines = det.trigger
    used = tuple(
        v for v in det.trigger_patterns if any(v.name in (*ln.vetoes, *ln.patterns) for ln in lines)
    )
    first = trigger_bits(lines, inputs, np.random.default_rng(9), det.trigger_patterns)
    hits = _line_tables.cache_info().hits
    second = trigger_bits(lines, inputs, np.random.default_rng(9), det.trigger_patterns)
    assert _line_tables.cache_info().hits == hits + 1  # the second block reused the tables
    assert any(first[f"trg_{ln.name}"].any() for ln in lines)
    assert first.keys() == second.keys()
    for k in first:
        np.testing.assert_array_equal(first[k], second[k])
    fresh = _line_tables.__wrapped__(tuple(lines), used)
    for cached, built in zip(_line_tables(tuple(lines), used), fresh, strict=True):
        np.testing.assert_array_equal(cached, built)
