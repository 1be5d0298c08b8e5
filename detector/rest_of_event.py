"""Detector response to the ragged part of a block (record.Ragged: the other B's decay chain).

The ragged particles differ in number and species from event to event, so they are not template
slots: they are simulated as flat arrays, one call per species of each stage the template slots
go through (detector/chain.py), and come out as event-major reconstructed objects in the layout
of the beam-background overlay (background.BackgroundObjects), which the chain already adds to
nTracks, nClusters, the visible energy, the missing mass and the trigger, and appends to the
track and cluster lists. Unlike background objects they are truth-matched (`particle` = the
particle's index in the event: template size + its index in the ragged part).

Stages, as for template slots: tracking (track_response: helix, finding, smeared helix, the
perigee, the extrapolation to the calorimeter), PID (assign_species, with the muon system's
reach if the card has one), deposits (charged_deposit; photons their energy; K_L and neutrons,
if the calorimeter card models them, hadron_deposit), then the clusters of each event in one
cluster_block call (smearing, acceptance, merging among the ragged particles' clusters, shower
shapes) and track–cluster matching among them (matching.py). Which particles the detector sees:
final-state (status 1) e, μ, π±, K±, p, γ (and K_L, n with `neutral_hadrons`), as for the
template.

Simplifications (stated where the objects are used): the ragged particles' clusters do not
merge with the template's clusters, and their tracks are not matched to the template's
clusters (nor the template's tracks to theirs); no hadronic split-offs, no muon-trigger hits and
no material interactions (conversions, bremsstrahlung) for them; their tracks are not vertexed;
the truth record's `reco_*` / `detected` fields of ragged particles are not filled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..pdg import charge as pdg_charge
from ..pdg import mass as pdg_mass
from ..record import FINAL, Block, Ragged
from .background import BackgroundObjects
from .calorimeter import (
    SHAPE_NAMES,
    charged_deposit,
    cluster_block,
    hadron_deposit,
    photon_impact,
)
from .config import DetectorSettings
from .event_kernel import merged_counts
from .matching import match_tracks_to_clusters
from .muonid import muon_response
from .pid import assign_species
from .tracking import TRACK_COVARIANCES, TrackTable, track_response

Array = NDArray[np.float64]
PHOTON = 22
CHARGED_STABLE = (11, 13, 211, 321, 2212)
NEUTRAL_HADRONS = (130, 2112)
_HELIX = ("d0", "phi0", "omega", "z0", "tanLambda")


def _offsets(event: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(event, minlength=n), out=off[1:])
    return off


def _rows(a: NDArray, idx: NDArray[np.intp]) -> NDArray:
    """a[idx] along the first axis (np.take: several times faster than fancy indexing of a 2-d
    array; the same elements)."""
    return np.take(a, idx, axis=0)


def _put_rows(out: NDArray, idx: NDArray[np.intp], a: NDArray) -> None:
    """out[idx] = a along the first axis; rows of a 2-d array move as one opaque item each
    (a byte copy, several times faster than fancy assignment)."""
    if a.ndim == 1:
        out[idx] = a
        return
    assert out.flags.c_contiguous  # the view below must write into `out`
    width = int(np.prod(out.shape[1:]))
    row = np.dtype((np.void, out.dtype.itemsize * width))
    src = np.ascontiguousarray(a, dtype=out.dtype).reshape(a.shape[0], width)
    out.reshape(out.shape[0], width).view(row)[:, 0][idx] = src.view(row)[:, 0]


def _ragged_take(offsets: NDArray[np.int64], events: NDArray[np.intp]):
    """Flat indices of the items of `events` (in that order) in a ragged layout with `offsets`,
    and the offsets of the subset."""
    counts = offsets[events + 1] - offsets[events]
    sub = np.zeros(events.size + 1, dtype=np.int64)
    np.cumsum(counts, out=sub[1:])
    idx = np.repeat(offsets[events] - sub[:-1], counts) + np.arange(sub[-1])
    return idx, sub


@dataclass
class _Visible:
    """The particles of the ragged part the detector simulates (module doc), event-major:
    `offsets` (N + 1,), pdg, `index` (the particle's index in its event) and `sel` (its flat
    index in `rest`, whose p4 and vertex are read once, in the order a pass needs)."""

    offsets: NDArray[np.int64]
    pdg: NDArray[np.int32]
    index: NDArray[np.int32]
    sel: NDArray[np.int64]
    rest: Ragged

    @property
    def p4(self) -> Array:
        return self.rest.p4[self.sel]

    @property
    def vertex(self) -> Array:
        return self.rest.vertex[self.sel]


#: Events simulated per pass: bounds the padded (particles × events) calorimeter arrays.
EVENTS_PER_PASS = 8192


class _VisibleIndex:
    """Where the visible particles of `rest` are (flat indices, event-major) and how many each
    event has, so that a pass gathers only its own events' visible particles."""

    def __init__(self, rest: Ragged, n_template: int, neutral_hadrons: bool) -> None:
        final = rest.status == FINAL
        apdg = np.abs(rest.pdg)
        seen = final & np.isin(apdg, (*CHARGED_STABLE, PHOTON))
        cum = np.zeros(rest.pdg.size + 1, dtype=np.int64)
        np.cumsum(seen, out=cum[1:])
        #: visible charged particles and photons per event (the order of the passes)
        self.n_seen = cum[rest.offsets[1:]] - cum[rest.offsets[:-1]]
        if neutral_hadrons:
            seen |= final & np.isin(apdg, NEUTRAL_HADRONS)
            np.cumsum(seen, out=cum[1:])
        self.rest, self.n_template = rest, n_template
        self.sel = np.flatnonzero(seen)
        self.offsets = cum[rest.offsets]

    def take(self, events: NDArray[np.intp] | None) -> _Visible:
        """The visible particles of `events` (in that order; None: all events)."""
        rest = self.rest
        if events is None:
            sel, sub = self.sel, self.offsets
            first = np.repeat(rest.offsets[:-1], np.diff(sub))
        else:
            idx, sub = _ragged_take(self.offsets, events)
            sel = self.sel[idx]
            first = np.repeat(rest.offsets[events], np.diff(sub))
        index = (self.n_template + sel - first).astype(np.int32)
        return _Visible(sub, rest.pdg[sel], index, sel, rest)


def rest_objects(
    rng: np.random.Generator, block: Block, det: DetectorSettings, cms_beta: Array
) -> BackgroundObjects:
    """Reconstructed tracks and clusters of the ragged part of `block` (module doc), event-major,
    with the truth links and the track-object fields in `t_extra` / `c_extra`. The events go in
    passes of EVENTS_PER_PASS (memory bounded whatever the block size), taken in order of their
    number of visible particles so that each pass's padded layout has little padding. A pass
    gathers only its events' visible particles (the decayed and invisible ones never leave the
    record)."""
    rest = block.rest
    assert rest is not None
    n = block.n_events
    where = _VisibleIndex(rest, block.n_particles, det.calorimeter.neutral_hadrons)
    if n <= EVENTS_PER_PASS:
        return _rest_objects(rng, where.take(None), det, cms_beta)
    order = np.argsort(where.n_seen, kind="stable")
    passes = [order[a : a + EVENTS_PER_PASS] for a in range(0, n, EVENTS_PER_PASS)]
    parts = [_rest_objects(rng, where.take(e), det, cms_beta) for e in passes]
    return _gather(parts, passes, n)


def _gather(parts: list[BackgroundObjects], passes: list[NDArray[np.intp]], n: int):
    """Objects of passes over subsets of the events (`passes`: each pass's event indices) as
    one event-major set over the n events: each pass's objects are scattered to their place
    (an event's objects all come from one pass, in order)."""

    def places(name: str) -> tuple[list[NDArray[np.int64]], NDArray[np.int64]]:
        counts = np.zeros(n, dtype=np.int64)
        for p, e in zip(parts, passes, strict=True):
            counts[e] = np.diff(getattr(p, name))
        off = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=off[1:])
        dest = []
        for p, e in zip(parts, passes, strict=True):
            local = getattr(p, name)
            c = np.diff(local)
            dest.append(np.repeat(off[e] - local[:-1], c) + np.arange(local[-1]))
        return dest, off

    c_dest, c_off = places("c_offsets")
    t_dest, t_off = places("t_offsets")

    def scatter(arrays: list[NDArray], dest: list[NDArray[np.int64]], size: int) -> NDArray:
        out = np.empty((size, *arrays[0].shape[1:]), dtype=arrays[0].dtype)
        for a, d in zip(arrays, dest, strict=True):
            _put_rows(out, d, a)
        return out

    # each field leaves the passes' objects as it is gathered: the peak holds the result and
    # one field of the passes, not the result twice
    def cat(name: str) -> NDArray:
        tracks = name.startswith("t_")
        dest, size = (t_dest, t_off[-1]) if tracks else (c_dest, c_off[-1])
        arrays = [getattr(p, name) for p in parts]
        for p in parts:
            setattr(p, name, None)
        return scatter(arrays, dest, size)

    def extras(name: str) -> dict[str, NDArray]:
        dest, size = (t_dest, t_off[-1]) if name == "t_extra" else (c_dest, c_off[-1])
        return {k: scatter([getattr(p, name).pop(k) for p in parts], dest, size)
                for k in list(getattr(parts[0], name))}  # fmt: skip

    visible = np.empty((n, 4))
    for p, e in zip(parts, passes, strict=True):
        _put_rows(visible, e, p.visible)
    return BackgroundObjects(
        c_off, cat("c_p4"), cat("c_energy_cms"), cat("c_theta"), cat("c_phi"), cat("c_xyz"),
        cat("c_g"), t_off, cat("t_p4"), cat("t_kinematics"), cat("t_theta"), cat("t_charge"),
        cat("t_d0"), cat("t_z0"), cat("t_n_layers"), cat("t_g"), visible,
        t_extra=extras("t_extra"), c_extra=extras("c_extra"),
    )  # fmt: skip


def _rest_objects(
    rng: np.random.Generator, vis: _Visible, det: DetectorSettings, cms_beta: Array
) -> BackgroundObjects:
    """`rest_objects` of one pass of events (`vis`: their visible particles)."""
    n = vis.offsets.size - 1
    cal, trk = det.calorimeter, det.tracking
    m_all = vis.pdg.size
    ev_all = np.repeat(np.arange(n, dtype=np.int64), np.diff(vis.offsets))
    index = vis.index
    apdg = np.abs(vis.pdg)

    # tracks, one call per charged species (random numbers drawn species by species, in
    # order of their codes, then photons, K_L, neutrons): the particles are read species-major
    # (stable, so in particle order within a species), each species a contiguous slice
    charged = np.isin(apdg, CHARGED_STABLE)
    codes = np.unique(vis.pdg[charged])
    n_codes = codes.size
    key = np.full(m_all, n_codes, dtype=np.int64)
    for c, code in enumerate(codes):
        key[vis.pdg == code] = c
    neutral = [PHOTON] + (list(NEUTRAL_HADRONS) if cal.neutral_hadrons else [])
    for j, code in enumerate(neutral[1:]):
        key[apdg == code] = n_codes + 1 + j
    perm = np.argsort(key, kind="stable")
    bounds = np.zeros(n_codes + len(neutral) + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=bounds.size - 1), out=bounds[1:])
    sel = vis.sel[perm]
    p4_all, vtx_all = _rows(vis.rest.p4, sel), _rows(vis.rest.vertex, sel)
    nt = int(bounds[n_codes])
    tp = {"found": np.zeros(nt, dtype=bool), "p4": np.empty((nt, 4)), "kin": np.empty((5, nt)),
          "helix": np.empty((14, nt)), "d0": np.empty(nt), "z0": np.empty(nt),
          "nl": np.empty(nt, dtype=np.int64), "imp": np.empty((nt, 3)),
          "reach": np.zeros(nt, dtype=bool), "pid": np.empty(nt, dtype=np.int64),
          "charge": np.empty(nt)}  # fmt: skip
    deposit_flat = np.empty(m_all)  # species-major, like p4_all
    impact_flat = np.empty((3, m_all))
    hit_flat = np.zeros(m_all, dtype=bool)
    for c, code in enumerate(codes):
        s = slice(bounds[c], bounds[c + 1])
        a, q, m = abs(int(code)), pdg_charge(int(code)), pdg_mass(abs(int(code)))
        p4, vtx = p4_all[s], vtx_all[s]
        table = TrackTable.empty(1, p4.shape[0])
        tr = track_response(rng, p4, vtx, q, m, trk, cal, table, 0)
        pt, p, cos = table.kinematics[0, 0], table.kinematics[1, 0], table.kinematics[2, 0]
        theta = np.arccos(np.clip(cos, -1.0, 1.0))
        reach = None
        if det.muon is not None:
            reach, _ = muon_response(rng, a, p, pt, theta, trk.field, det.muon)
        pid = assign_species(rng, a, p, theta, det.pid, int(np.sign(q)), reach)
        tp["found"][s] = table.found[0]
        tp["p4"][s] = table.p4[0]
        tp["kin"][:, s] = table.kinematics[:, 0]
        tp["helix"][:, s] = table.helix[:, 0]
        tp["d0"][s] = table.d0[0]
        tp["z0"][s] = table.z0[0]
        tp["nl"][s] = table.n_layers[0]
        tp["imp"][s] = tr.impact_reco
        tp["reach"][s] = tr.reached_reco
        tp["pid"][s] = pid
        tp["charge"][s] = q
        deposit_flat[s] = charged_deposit(rng, p4, a, m, cal)
        impact_flat[:, s] = tr.impact.T
        hit_flat[s] = tr.reached
    for j, code in enumerate(neutral):
        s = slice(bounds[n_codes + j], bounds[n_codes + j + 1])
        if s.start == s.stop:
            continue
        p4 = p4_all[s]
        impact, hit = photon_impact(p4, vtx_all[s], cal)
        dep = p4[:, 3] if code == PHOTON else hadron_deposit(rng, p4, pdg_mass(code), cal)
        deposit_flat[s] = dep
        impact_flat[:, s] = impact.T
        hit_flat[s] = hit
    del p4_all, vtx_all, sel

    # clusters: each event's calorimeter particles as rows 0..k−1 of a padded (k, N) layout
    # (flat position rank·N + event)
    rank = np.arange(m_all) - vis.offsets[ev_all]
    k = int(rank.max()) + 1 if m_all else 1
    cell = rank * n + ev_all  # particle order
    cell_sp = cell[perm]  # species-major, the order of deposit_flat etc.
    deposit = np.zeros((k, n))
    impact = np.full((3, k, n), np.nan)
    reached = np.zeros((k, n), dtype=bool)
    deposit.reshape(-1)[cell_sp] = deposit_flat
    for j in range(3):
        impact[j].reshape(-1)[cell_sp] = impact_flat[j]
    reached.reshape(-1)[cell_sp] = hit_flat
    del deposit_flat, impact_flat, hit_flat
    g = rng.standard_normal((k, 3, n))
    u = rng.random((k, n))
    dummy = np.zeros((1, n, 4))
    clusters = cluster_block(dummy, dummy, list(range(k)), np.zeros(k, dtype=bool), deposit,
                             impact, reached, g, u, cal, cms_beta, None)  # fmt: skip
    del deposit, impact, reached, g, u
    slot_particle = np.full((k, n), -1, dtype=np.int32)
    slot_particle.reshape(-1)[cell] = index

    # tracks in the same padded layout for the matching to these clusters; `to_sp`: the
    # species-major place of each track in particle order
    trows = np.flatnonzero(charged)
    to_sp = np.empty(nt, dtype=np.int64)
    to_sp[(np.cumsum(charged) - 1)[perm[:nt]]] = np.arange(nt)
    ev_t = ev_all[trows]
    t_rank = np.arange(nt) - _offsets(ev_t, n)[ev_t]
    k_t = int(t_rank.max()) + 1 if nt else 0
    t_cell_sp = np.empty(nt, dtype=np.int64)
    t_cell_sp[to_sp] = t_rank * n + ev_t
    t_imp = np.full((3, k_t, n), np.nan)
    t_ok = np.zeros((k_t, n), dtype=bool)
    if nt:
        imp = np.where(tp["reach"][:, None], tp["imp"], np.nan)
        for j in range(3):
            t_imp[j].reshape(-1)[t_cell_sp] = imp[:, j]
        t_ok.reshape(-1)[t_cell_sp] = tp["found"]
    cl_xyz = np.stack([clusters.x, clusters.y, clusters.z])
    t_match, matched = match_tracks_to_clusters(
        t_imp, t_ok, cl_xyz, clusters.exists, trk.cluster_match_distance
    )
    return _objects(rng, n, index, ev_all, trows, tp, to_sp, t_rank, t_match, slot_particle,
                    clusters, matched)  # fmt: skip


#: Masses of the PID hypotheses, in the order of their codes (for the event sums).
_HYP_CODES = np.array([11, 13, 211, 321, 2212])
_HYP_MASS = np.array([pdg_mass(int(s)) for s in _HYP_CODES])


def _objects(rng, n, index, ev_all, trows, tp, to_sp, t_rank, t_match, slot_particle, clusters,
             matched) -> BackgroundObjects:  # fmt: skip
    """Found tracks and existing clusters as event-major BackgroundObjects with truth links.
    The padded (k, N) cluster arrays are read at flat positions slot·N + event (one gather
    per field)."""
    found = np.flatnonzero(tp["found"][to_sp])  # particle order
    f_sp = to_sp[found]  # their places in the species-major track arrays `tp`
    ev_t = ev_all[trows[found]]
    t_off = _offsets(ev_t, n)
    kin = np.take(tp["kin"], f_sp, axis=1)
    p4 = _rows(tp["p4"], f_sp)
    pid = tp["pid"][f_sp].astype(np.int64)
    # event sums: tracks with their PID mass hypothesis, clusters not matched to a track
    hyp = _HYP_MASS[np.searchsorted(_HYP_CODES, pid)]
    e_hyp = np.sqrt(kin[1] ** 2 + hyp**2)
    exists = clusters.exists
    k = exists.shape[0]
    c_idx = np.flatnonzero(exists.T)  # event-major
    c_ev, c_slot = np.divmod(c_idx, k)
    cell = c_slot * n + c_ev

    def at(a: NDArray) -> NDArray:
        return np.take(a.reshape(-1), cell)

    c_p4 = _rows(clusters.p4.reshape(-1, 4), cell)
    neutral = ~at(matched)
    n_ev, n_p4 = c_ev[neutral], np.compress(neutral, c_p4, axis=0)
    visible = np.empty((n, 4))
    for c in range(4):
        t_part = e_hyp if c == 3 else p4[:, c]
        visible[:, c] = np.bincount(ev_t, t_part, minlength=n) + np.bincount(
            n_ev, n_p4[:, c], minlength=n
        )
    # each track's cluster: the particle whose row holds the matched cluster
    t_ev = ev_all[trows]
    m = t_match.reshape(-1)[t_rank * n + t_ev]
    t_cluster = np.where(m >= 0, slot_particle.reshape(-1)[np.maximum(m, 0) * n + t_ev], -1)
    helix = np.take(tp["helix"], f_sp, axis=1)
    t_extra = {
        "particle": index[trows[found]],
        "pid": pid,
        **{name: helix[j] for j, name in enumerate(_HELIX)},
        **{f"{name}Err": helix[5 + j] for j, name in enumerate(_HELIX)},
        **{name: helix[10 + j] for j, name in enumerate(TRACK_COVARIANCES)},
        "clusterIndex": t_cluster[found].astype(np.int64),
    }
    c_extra = {
        "particle": at(slot_particle),
        "nParticles": at(merged_counts(clusters.owner)),
        "isTrackMatched": at(matched),
    }
    if clusters.shapes is not None:
        c_extra.update({s: at(clusters.shapes[s]) for s in SHAPE_NAMES})
    xyz = np.empty((cell.size, 3))
    for j, a in enumerate((clusters.x, clusters.y, clusters.z)):
        xyz[:, j] = at(a)
    return BackgroundObjects(
        _offsets(c_ev, n), c_p4, at(clusters.energy_cms), at(clusters.theta), at(clusters.phi),
        xyz, rng.standard_normal(c_ev.size), t_off, p4, np.ascontiguousarray(kin.T),
        np.arccos(np.clip(kin[2], -1.0, 1.0)), tp["charge"][f_sp], tp["d0"][f_sp],
        tp["z0"][f_sp], tp["nl"][f_sp].astype(np.int64), rng.standard_normal(ev_t.size),
        visible, t_extra=t_extra, c_extra=c_extra,
    )  # fmt: skip


def combine(first: BackgroundObjects | None, second: BackgroundObjects) -> BackgroundObjects:
    """Two sets of event-major objects of the same events as one (per event: `first`'s objects,
    then `second`'s); extra fields one set lacks take −1 (links, indices), 211 (`pid`), NaN or
    False."""
    if first is None:
        return second
    n = first.c_offsets.size - 1

    def merged(off_a, off_b):
        ev = np.concatenate([np.repeat(np.arange(n), np.diff(off_a)),
                             np.repeat(np.arange(n), np.diff(off_b))])  # fmt: skip
        return np.argsort(ev, kind="stable"), off_a + off_b

    c_order, c_off = merged(first.c_offsets, second.c_offsets)
    t_order, t_off = merged(first.t_offsets, second.t_offsets)

    def cat(a, b, order):
        return _rows(np.concatenate([a, b]), order)

    def extras(ea, eb, size_a, size_b, order):
        ea, eb = ea or {}, eb or {}
        out = {}
        for key in dict.fromkeys([*ea, *eb]):
            ref = ea.get(key, eb.get(key))
            fill = _fill(key, ref.dtype)
            a = ea.get(key, np.full(size_a, fill, dtype=ref.dtype))
            b = eb.get(key, np.full(size_b, fill, dtype=ref.dtype))
            out[key] = cat(a, b, order)
        return out

    f, s = first, second
    na_c, nb_c, na_t, nb_t = f.c_theta.size, s.c_theta.size, f.t_theta.size, s.t_theta.size
    return BackgroundObjects(
        c_off, cat(f.c_p4, s.c_p4, c_order), cat(f.c_energy_cms, s.c_energy_cms, c_order),
        cat(f.c_theta, s.c_theta, c_order), cat(f.c_phi, s.c_phi, c_order),
        cat(f.c_xyz, s.c_xyz, c_order), cat(f.c_g, s.c_g, c_order), t_off,
        cat(f.t_p4, s.t_p4, t_order), cat(f.t_kinematics, s.t_kinematics, t_order),
        cat(f.t_theta, s.t_theta, t_order), cat(f.t_charge, s.t_charge, t_order),
        cat(f.t_d0, s.t_d0, t_order), cat(f.t_z0, s.t_z0, t_order),
        cat(f.t_n_layers, s.t_n_layers, t_order), cat(f.t_g, s.t_g, t_order),
        f.visible + s.visible,
        t_extra=extras(f.t_extra, s.t_extra, na_t, nb_t, t_order),
        c_extra=extras(f.c_extra, s.c_extra, na_c, nb_c, c_order),
    )  # fmt: skip


def _fill(key: str, dtype: np.dtype) -> object:
    """What a beam-background object has for a field only the rest of the event carries
    (chain._background_tracks / _background_clusters)."""
    if key == "pid":
        return 211
    if key == "nParticles":
        return 0
    if np.issubdtype(dtype, np.floating):
        return np.nan
    if dtype == np.bool_:
        return False
    return -1
