"""The detector chain: each stage is a function of arrays, applied block by block.

Stages (docs/detector.md): tracking (helix, efficiency, resolution, perigee) → calorimeter (impact,
deposits, clusters, merging) → vertexing (opposite-charge sibling tracks) → PID → trigger →
analysis variables. The result is columnar: per-particle reconstructed four-momenta aligned
with the truth template, per-event columns, and the reconstructed objects as flat arrays.

Which truth particles the detector sees: final-state (status 1) photons, e, μ, π±, K±, p
(long-lived on the scale of the detector), and K_L and neutrons as calorimeter clusters when
the detector card sets `neutral_hadrons`. Neutrinos, an undecayed ALP and
particles left undecayed by the generator (e.g. the other B of B+ → K+ a with
`other_b = "undecayed"`) leave nothing: event-level variables and trigger bits only see what the
generator made. A block's ragged part (the other B's decay chain) goes through
detector/rest_of_event.py and joins the event as the beam-background objects do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ..generator.beams import BeamSettings
from ..generator.kinematics import mass as inv_mass
from ..generator.kinematics import pseudo_rest_frame_x
from ..pdg import charge as pdg_charge
from ..pdg import mass as pdg_mass
from ..record import FINAL, Block, EventRecord
from .background import BackgroundObjects, overlay
from .calorimeter import (
    charged_deposit,
    cluster_block,
    hadron_deposit,
    hadron_shower_deposit,
    split_offs,
)
from .config import PID_SPECIES, DetectorSettings
from .event_kernel import (
    event_major,
    event_sums,
    gather_field,
    merge_positions,
    merged_counts,
    momentum_cos_theta,
    object_index,
    scatter_merge,
    scatter_merge_value,
    slot_major,
    sum_slot_groups,
)
from .kinfit import beam_energy_spread, fit_candidates
from .matching import match_tracks_to_clusters
from .muonid import muon_response
from .pid import assign_species
from .rest_of_event import combine, rest_objects
from .tracking import TRACK_COVARIANCES, TrackResponse, TrackTable, track_response
from .trigger import TriggerInputs, trigger_bits
from .variables import (
    beam_constrained_mass,
    energy_constrained_mass,
    momentum,
    recoil_mass,
    reduced_mass,
    to_cms,
)
from .vertexing import VertexResponse, fit_vertex

#: Mass of each PID hypothesis, indexed by |PDG| id (0 elsewhere).
_HYPOTHESIS_MASS = np.zeros(2213)
for _s in PID_SPECIES:
    _HYPOTHESIS_MASS[_s] = pdg_mass(_s)

PHOTON = 22
#: Charged species that live long enough to cross the whole detector.
CHARGED_STABLE = {11, 13, 211, 321, 2212}
DETECTABLE = CHARGED_STABLE | {PHOTON}
#: Neutral hadrons that reach the calorimeter (K_L, n): seen there if the card says so.
NEUTRAL_HADRONS = {130, 2112}
#: Hadrons whose calorimeter showers can throw split-off clusters.
HADRONS = {211, 321, 2212} | NEUTRAL_HADRONS
MUON = 13

Array = NDArray[np.float64]


@dataclass
class RecoBlock:
    """Detector response for one block.

    - `p4` (N, P, 4) and `detected` (N, P): truth-matched response aligned with the template
      (NaN/False where unseen). Tracks: momentum at the POCA to the IP, true mass hypothesis;
      photons: the cluster seen from the IP (merged clusters belong to the first slot).
    - `columns`: per-event columns (N,) (floats NaN where undefined, bools for flags/triggers).
    - `objects`: reconstructed objects as flat arrays, each with `event` (index of the event in
      the block) and `particle` (template index of the truth particle that made it):
      * "tracks": charge, pid (assigned |PDG| id: 11, 13, 211, 321, 2212), px, py, pz, E (at the
        POCA, true-mass hypothesis), pt, p, cosTheta, the helix d0, phi0, omega, z0, tanLambda
        (mm, rad, 1/mm; w.r.t. the IP, basf2 Helix signs) and their errors d0Err ...
        tanLambdaErr, nLayers (layers crossed), clusterIndex (template slot of the cluster its
        extrapolated helix is matched to, −1 if none; matching.py);
      * "clusters": E (GeV), x, y, z (mm, front face), theta, phi (rad, seen from the IP),
        nParticles (particles merged into it), isTrackMatched (a track's extrapolated helix
        is matched to it, matching.py), and
        with the card's shower model clusterE9E21, clusterSecondMoment (cm²), clusterLAT,
        clusterNHits (basf2 names; showershape.py);
      * "vertices" (the charged daughters, two or more, of one mother, all found; `particle`
        is the mother): x, y, z, x_uncertainty, y_uncertainty, z_uncertainty, dr, distance
        (mm from the IP), px, py, pz, E (at the vertex), M, ErrM, Mprime (GeV), chi2, chiProb,
        flightDistance, flightDistanceErr (mm), significanceOfDistance,
        cosAngleBetweenMomentumAndVertexVector (vertexing.py).
    """

    p4: Array
    detected: NDArray[np.bool_]
    columns: dict[str, NDArray] = field(default_factory=dict)
    objects: dict[str, dict[str, NDArray]] = field(default_factory=dict)

    @property
    def n_events(self) -> int:
        return self.p4.shape[0]


@dataclass
class RecoRecord:
    """Detector response for one chunk: per-block responses and per-event columns."""

    blocks: list[RecoBlock]

    def columns(self) -> dict[str, NDArray]:
        """Per-event columns over the chunk; a column a block lacks is NaN (False for bools)."""
        kinds: dict[str, np.dtype] = {}
        for b in self.blocks:
            for k, v in b.columns.items():
                kinds.setdefault(k, v.dtype)
        out = {}
        for k, dt in kinds.items():
            parts = []
            for b in self.blocks:
                col = b.columns.get(k)
                if col is None:
                    col = (
                        np.zeros(b.n_events, bool)
                        if dt == np.bool_
                        else np.full(b.n_events, np.nan)
                    )
                parts.append(col)
            out[k] = np.concatenate(parts)
        return out

    def objects(self) -> dict[str, dict[str, NDArray]]:
        """Objects over the chunk; `event` becomes the event index within the chunk."""
        out: dict[str, dict[str, NDArray]] = {}
        offset = 0
        for b in self.blocks:
            for kind, arrays in b.objects.items():
                dest = out.setdefault(kind, {k: [] for k in arrays})
                for k, v in arrays.items():
                    dest[k].append(v + offset if k == "event" else v)
            offset += b.n_events
        return {kind: {k: np.concatenate(v) for k, v in a.items()} for kind, a in out.items()}


@lru_cache(maxsize=16)
def _beam_frame(beams: BeamSettings) -> tuple[float, Array, Array]:
    """(√s, β of the CM frame, e− + e+ four-momentum) of the nominal beams, computed once per
    beam setting instead of in every stage of every block (shared arrays: never written)."""
    sqrt_s, beta = beams.nominal_cms()
    em, ep = beams.nominal()
    return sqrt_s, np.asarray(beta, dtype=float), em + ep


def is_visible(pdg: int, neutral_hadrons: bool = False) -> bool:
    """Particles the detector sees (final-state photons and long-lived charged particles, and
    K_L and neutrons if the calorimeter card models their showers)."""
    return abs(pdg) in DETECTABLE or (neutral_hadrons and abs(pdg) in NEUTRAL_HADRONS)


def _flatten(mask: NDArray[np.bool_], slots: list[int], fields: dict[str, object]) -> dict:
    """Objects of one kind as flat arrays, sorted by event then slot, from slot-major columns.

    `mask` (k, N) marks the objects that exist. A field is a (k, N) array, a (k,) array of
    per-slot constants, or (array (k, N, c), component) for one component of a (k, N, c)
    array. Every field is read with one compiled gather (event_kernel.gather_field).
    """
    ev, kk = object_index(mask)  # sorted by event, then slot
    out: dict[str, NDArray] = {"event": ev}
    out["particle"] = np.asarray(slots, dtype=np.int32)[kk] if slots else kk.astype(np.int32)
    for name, f in fields.items():
        if isinstance(f, tuple):
            arr, comp = f
            f = arr[:, :, comp]
        if f.ndim == 1:
            out[name] = f.take(kk)
            continue
        dest = np.empty(ev.shape[0], dtype=f.dtype)
        gather_field(f, ev, kk, dest)
        out[name] = dest
    return out


def simulate_block(rng: np.random.Generator, block: Block, det: DetectorSettings) -> RecoBlock:
    """Run the detector stages on one block and compute the candidate and event variables."""
    n, n_part = block.n_events, block.n_particles
    # the muon system, the background overlay and the trigger draw from a child stream
    # (SeedSequence spawn: it does not advance `rng`, so the other stages' numbers stay put)
    aux = rng.spawn(1)[0]
    nh = det.calorimeter.neutral_hadrons
    final = [i for i in np.flatnonzero(block.status == FINAL) if is_visible(int(block.pdg[i]), nh)]
    # slot-major copies (P, N, 4) of the visible particles (rows of the others unset): each
    # stage reads and writes whole particle columns
    seen = np.asarray(final, dtype=np.int64)
    p4_sm, vertex_sm = slot_major(block.p4, seen), slot_major(block.vertex, seen)
    reco = np.empty((n_part, n, 4))
    detected = np.zeros((n_part, n), dtype=bool)
    trk_slots = [i for i in final if abs(int(block.pdg[i])) in CHARGED_STABLE]
    cal, trk = det.calorimeter, det.tracking

    # tracking and calorimeter deposits, slot by slot (random numbers drawn in slot order),
    # then all clusters in one compiled pass (impacts, smearing, merging, four-momenta)
    tracks: dict[int, TrackResponse] = {}
    table = TrackTable.empty(len(trk_slots), n)  # slot-major (k_t, N)
    k_c = len(final)
    deposit = np.empty((k_c, n))
    impact = np.empty((3, k_c, n))
    reached = np.zeros((k_c, n), dtype=bool)
    g = np.empty((k_c, 3, n))
    u = np.empty((k_c, n))
    photon = np.zeros(k_c, dtype=bool)
    straight = np.zeros(k_c, dtype=bool)  # neutral hadrons: straight line, hadronic deposit
    splitting = cal.split_off_probability > 0.0
    hadron_rows, showered = [], []  # rows that may throw split-offs, and whether they showered
    for c, i in enumerate(final):
        pdg = int(block.pdg[i])
        if pdg == PHOTON:
            photon[c] = True
        elif abs(pdg) in NEUTRAL_HADRONS:
            straight[c] = True
            if splitting:
                deposit[c], sh = hadron_shower_deposit(rng, p4_sm[i], abs(pdg),
                                                       pdg_mass(abs(pdg)), cal)  # fmt: skip
                hadron_rows.append(c)
                showered.append(sh)
            else:
                deposit[c] = hadron_deposit(rng, p4_sm[i], pdg_mass(abs(pdg)), cal)
        else:
            p4, vtx = p4_sm[i], vertex_sm[i]
            m = pdg_mass(abs(pdg))
            slot = trk_slots.index(i)
            tr = track_response(rng, p4, vtx, pdg_charge(pdg), m, trk, cal, table, slot)
            tracks[i] = tr
            reco[i], detected[i] = tr.p4, tr.found
            impact[:, c], reached[c] = tr.impact.T, tr.reached
            if splitting and abs(pdg) in HADRONS:
                deposit[c], sh = hadron_shower_deposit(rng, p4, abs(pdg), m, cal)
                hadron_rows.append(c)
                showered.append(sh)
            else:
                deposit[c] = charged_deposit(rng, p4, abs(pdg), m, cal)
        rng.standard_normal(out=g[c])
        rng.random(out=u[c])
    # hadronic split-offs: extra calorimeter rows after the particles' (`particle`: the hadron)
    cal_slots = list(final)
    if hadron_rows:
        s_dep, s_imp, s_hit = split_offs(rng, cal, hadron_rows, np.array(showered), deposit,
                                         impact, reached)  # fmt: skip
        k_s = len(hadron_rows)
        deposit = np.concatenate([deposit, s_dep])
        impact = np.concatenate([impact, s_imp], axis=1)
        reached = np.concatenate([reached, s_hit])
        g = np.concatenate([g, rng.standard_normal((k_s, 3, n))])
        u = np.concatenate([u, rng.random((k_s, n))])
        photon = np.concatenate([photon, np.zeros(k_s, dtype=bool)])
        straight = np.concatenate([straight, np.zeros(k_s, dtype=bool)])
        cal_slots += [final[c] for c in hadron_rows]
    _sqrt_s, beta, beams_p4 = _beam_frame(det.beams)
    clusters = cluster_block(
        p4_sm, vertex_sm, cal_slots, photon, deposit, impact, reached, g, u, cal, beta, straight
    )
    c_exists, owner = clusters.exists, clusters.owner
    for c, i in enumerate(final):
        if photon[c] or straight[c]:
            reco[i], detected[i] = clusters.p4[c], c_exists[c]

    vertices = _fit_vertices(rng, block, trk_slots, tracks, vertex_sm, det)

    # PID per track slot, from the slot-major track table
    k_t = len(trk_slots)
    t_found, t_p4 = table.found, table.p4
    t_pt, t_p, t_cos, t_ux, t_uy = table.kinematics
    t_theta = np.arccos(np.clip(t_cos, -1.0, 1.0))
    t_pid = np.empty((k_t, n), dtype=np.int64)
    t_muon = np.zeros((k_t, n), dtype=bool)  # matched to muon-system hits (muonid)
    pid = {}
    for j, i in enumerate(trk_slots):
        apdg = abs(int(block.pdg[i]))
        q = int(np.sign(pdg_charge(int(block.pdg[i]))))
        reach = None
        if det.muon is not None:
            reach, match = muon_response(
                aux, apdg, t_p[j], t_pt[j], t_theta[j], trk.field, det.muon
            )
            t_muon[j] = match & t_found[j]
        t_pid[j] = pid[i] = assign_species(rng, apdg, t_p[j], t_theta[j], det.pid, q, reach)

    out = RecoBlock(event_major(reco, seen), np.ascontiguousarray(detected.T))
    cols = out.columns
    cols.update(
        candidate_variables(
            block, reco, detected, det, tracks, vertices, owner, final, pid, beams_p4
        )
    )
    cols.update(_photon_shape_columns(block, final, owner, clusters))

    # event level: tracks with their PID hypothesis, clusters not matched to a track's
    # extrapolated helix (matching.py)
    t_impact = np.empty((3, k_t, n))
    for j, i in enumerate(trk_slots):
        t_impact[:, j] = tracks[i].impact_reco.T
    cl_xyz = np.stack([clusters.x, clusters.y, clusters.z])
    t_match, matched = match_tracks_to_clusters(
        t_impact, t_found, cl_xyz, c_exists, trk.cluster_match_distance
    )
    neutral = c_exists & ~matched
    # beam-background overlay (event-major objects, detector/background.py)
    bg = None
    if det.background is not None:
        bg = overlay(aux, n, det.background, cal, trk, np.asarray(beta))
    if block.rest is not None:  # the ragged part (other B): detector/rest_of_event.py
        bg = combine(bg, rest_objects(rng.spawn(1)[0], block, det, np.asarray(beta)))
    vis_e_cms, mm2, p_miss = event_sums(
        t_p4,
        t_found,
        _HYPOTHESIS_MASS[t_pid],
        clusters.p4,
        neutral,
        beams_p4,
        np.asarray(beta),
        bg.visible if bg is not None else np.zeros((n, 4)),
    )
    n_trk = t_found.sum(axis=0).astype(np.float64)
    n_clu = c_exists.sum(axis=0).astype(np.float64)
    if bg is not None:
        n_trk += bg.n_tracks
        n_clu += bg.n_clusters
    cols["nTracks"] = n_trk
    cols["nClusters"] = n_clu
    cols["visibleEnergyOfEventCMS"] = vis_e_cms
    cols["missingMass2"] = mm2
    cols["missingMomentumOfEventCMS"] = p_miss

    # trigger
    tr = TriggerInputs(
        track_found=t_found,
        track_pt=t_pt,
        track_p=t_p,
        track_theta=t_theta,
        track_cos_phi=t_ux,
        track_sin_phi=t_uy,
        track_muon=t_muon,
        cluster_exists=c_exists,
        cluster_energy=clusters.energy,
        cluster_energy_cms=clusters.energy_cms,
        cluster_theta=clusters.theta,
        cluster_p4=clusters.p4,
        cms_beta=np.asarray(beta),
        background=bg,
    )
    cols.update(trigger_bits(det.trigger, tr, aux, det.trigger_patterns))

    # objects
    out.objects["tracks"] = _track_objects(
        block, trk_slots, table, t_pid, np.asarray(cal_slots, dtype=np.int64), t_match
    )
    clusters_obj = _flatten(
        c_exists,
        cal_slots,
        {
            "E": clusters.energy,
            "x": clusters.x,
            "y": clusters.y,
            "z": clusters.z,
            "theta": clusters.theta,
            "phi": clusters.phi,
            "nParticles": merged_counts(owner),  # particles merged into each slot's cluster
            "isTrackMatched": matched,
            **(clusters.shapes or {}),  # basf2 shower shapes (showershape.py), if modelled
        },
    )
    if bg is not None:
        out.objects["tracks"] = _merge_objects(
            out.objects["tracks"], _background_tracks(bg), bg.t_offsets, n
        )
        clusters_obj = _merge_objects(clusters_obj, _background_clusters(bg), bg.c_offsets, n)
    out.objects["clusters"] = clusters_obj
    out.objects["vertices"] = _vertex_objects(vertices, n)
    return out


def _kinfit_columns(
    block: Block, reco_p4: Array, det: DetectorSettings, sums, parent: int, a_parts: list[int]
) -> dict[str, NDArray]:
    """`a_M_kinfit` (m_γγ after the fit of the parent to the beam energy and its PDG mass)
    and `kinfit_chi2` (kinfit.fit_candidates); NaN unless every daughter is reconstructed."""
    slots = sums.slots["parent"]
    is_photon = np.array([int(block.pdg[i]) == PHOTON for i in slots])
    mass = np.array([0.0 if g else pdg_mass(abs(int(block.pdg[i])))
                     for i, g in zip(slots, is_photon, strict=True)])  # fmt: skip
    sqrt_s, beta, _ = _beam_frame(det.beams)
    b = det.beams
    spread = beam_energy_spread(b.e_minus_energy, b.e_plus_energy, b.e_minus_energy_spread,
                                b.e_plus_energy_spread)  # fmt: skip
    m_fit, chi2 = fit_candidates(reco_p4, np.asarray(slots), is_photon, mass,
                                 np.isin(slots, a_parts), det.calorimeter, det.tracking,
                                 0.5 * sqrt_s, spread, pdg_mass(abs(int(block.pdg[parent]))),
                                 np.asarray(beta))  # fmt: skip
    return {"a_M_kinfit": m_fit, "kinfit_chi2": chi2}


def _photon_shape_columns(
    block: Block, final: list[int], owner: NDArray[np.int64], clusters
) -> dict[str, NDArray]:
    """`<role>_<shape>` for photons with a role: the basf2 shower shapes of the cluster that
    holds the photon (its own, or the one it was merged into); NaN where none."""
    cols: dict[str, NDArray] = {}
    if clusters.shapes is None:
        return cols
    n = block.n_events
    ev = np.arange(n)
    for role, i in block.roles.items():
        if i not in final or int(block.pdg[i]) != PHOTON:
            continue
        c = final.index(i)
        holder = owner[c]  # (N,) slot of the cluster holding this photon's deposit
        for name, arr in clusters.shapes.items():
            col = np.empty(n, dtype=arr.dtype)
            gather_field(arr, ev, holder, col)  # arr[holder, ev] in one compiled pass
            cols[f"{role}_{name}"] = col
    return cols


def _merge_objects(
    sig: dict[str, NDArray], bg: dict[str, object], bg_offsets: NDArray[np.int64], n: int
) -> dict[str, NDArray]:
    """Signal objects (sorted by event) and background objects (event-major, `bg_offsets`)
    merged into one list sorted by event, the signal objects of an event first; fields the
    background objects lack are NaN (floats) or 0 / False. A background field is an array
    (any strides: read in place) or one value for every background object (a scalar).
    Where each object goes is worked out once (merge_positions); every field is then two
    branch-free scatters (scatter_merge), or a fill and the signal scatter
    (scatter_merge_value), instead of walking the events once per field."""
    sig_ev = sig["event"]
    n_bg = int(bg_offsets[-1])
    sig_pos, bg_pos, bg_ev = merge_positions(np.ascontiguousarray(sig_ev), bg_offsets)
    out = {}
    for k, v in sig.items():
        v = np.ascontiguousarray(v)
        merged = np.empty(v.size + n_bg, dtype=v.dtype)
        if k == "event":
            scatter_merge(v, bg_ev.astype(v.dtype, copy=False), sig_pos, bg_pos, merged)
        elif k in bg and np.ndim(bg[k]) > 0:
            b = bg[k]
            scatter_merge(v, b if b.dtype == v.dtype else b.astype(v.dtype), sig_pos, bg_pos,
                          merged)  # fmt: skip
        else:  # one value, or a field background objects lack (a shower shape): NaN / 0 / False
            fill = bg.get(k, np.nan if np.issubdtype(v.dtype, np.floating) else 0)
            scatter_merge_value(v, v.dtype.type(fill), sig_pos, merged)
        out[k] = merged
    return out


def _background_tracks(bg: BackgroundObjects) -> dict[str, object]:
    """Background tracks as flat arrays (RecoBlock fields; a scalar: the same for all),
    `particle` = −1, pion hypothesis."""
    return {
        "particle": -1,
        "charge": bg.t_charge,
        "pid": 211,
        "px": bg.t_p4[:, 0],
        "py": bg.t_p4[:, 1],
        "pz": bg.t_p4[:, 2],
        "E": bg.t_p4[:, 3],
        "pt": bg.t_kinematics[:, 0],
        "p": bg.t_kinematics[:, 1],
        "cosTheta": bg.t_kinematics[:, 2],
        "d0": bg.t_d0,
        "z0": bg.t_z0,
        "nLayers": bg.t_n_layers,
        "clusterIndex": -1,
        **(bg.t_extra or {}),  # truth links and helix fields of the rest of the event
    }


def _background_clusters(bg: BackgroundObjects) -> dict[str, object]:
    """Background clusters as flat arrays (RecoBlock fields; a scalar: the same for all),
    `particle` = −1."""
    return {
        "particle": -1,
        "E": bg.c_p4[:, 3],
        "x": bg.c_xyz[:, 0],
        "y": bg.c_xyz[:, 1],
        "z": bg.c_xyz[:, 2],
        "theta": bg.c_theta,
        "phi": bg.c_phi,
        "nParticles": 0,
        "isTrackMatched": False,
        **(bg.c_extra or {}),  # truth links and shapes of the rest of the event
    }


def _fit_vertices(
    rng: np.random.Generator,
    block: Block,
    trk_slots: list[int],
    tracks: dict[int, TrackResponse],
    vertex_sm: Array,
    det: DetectorSettings,
) -> dict[int, VertexResponse]:
    """Vertices of the charged daughters (two or more, not all of one charge) of one mother,
    keyed by the mother (vertexing.fit_vertex; `rng` kept for the stage's signature: the
    fit uses the smeared tracks and draws nothing)."""
    vertices: dict[int, VertexResponse] = {}
    for mom in np.unique(block.mother[trk_slots]) if trk_slots else []:
        kids = [i for i in trk_slots if block.mother[i] == mom]
        signs = {int(np.sign(block.pdg[k])) for k in kids}
        if len(kids) < 2 or len(signs) < 2:
            continue
        species = [abs(int(block.pdg[k])) for k in kids]
        vertices[int(mom)] = fit_vertex(
            [tracks[k] for k in kids],
            [pdg_mass(a) for a in species],
            len(set(species)) == 1,
            det.vertexing,
            det.beams.spot_sigma,
        )
    return vertices


def _track_objects(
    block: Block,
    trk_slots: list[int],
    table: TrackTable,
    t_pid: NDArray[np.int64],
    final: NDArray[np.int64],
    t_match: NDArray[np.int64],
) -> dict[str, NDArray]:
    """The found tracks as flat arrays (RecoBlock)."""
    t_pt, t_p, t_cos = table.kinematics[:3]
    h = table.helix
    names = ("d0", "phi0", "omega", "z0", "tanLambda")
    helix = {name: h[j] for j, name in enumerate(names)}
    helix.update({f"{name}Err": h[5 + j] for j, name in enumerate(names)})
    helix.update({name: h[10 + j] for j, name in enumerate(TRACK_COVARIANCES)})
    cluster = np.where(t_match >= 0, final[np.maximum(t_match, 0)], -1) if final.size else t_match
    return _flatten(
        table.found,
        trk_slots,
        {
            "charge": np.array([pdg_charge(int(block.pdg[i])) for i in trk_slots], dtype=float),
            "pid": t_pid,
            "px": (table.p4, 0),
            "py": (table.p4, 1),
            "pz": (table.p4, 2),
            "E": (table.p4, 3),
            "pt": t_pt,
            "p": t_p,
            "cosTheta": t_cos,
            **helix,
            "nLayers": table.n_layers,
            "clusterIndex": cluster,
        },
    )


#: Vertex object fields (basf2 variable names) read from VertexResponse attributes.
_VERTEX_FIELDS = {
    "M": "mass",
    "ErrM": "mass_err",
    "Mprime": "mprime",
    "chi2": "chi2",
    "chiProb": "chi_prob",
    "flightDistance": "flight_distance",
    "flightDistanceErr": "flight_distance_err",
    "significanceOfDistance": "significance",
    "cosAngleBetweenMomentumAndVertexVector": "cos_pointing",
}


def _vertex_objects(vertices: dict[int, VertexResponse], n: int) -> dict[str, NDArray]:
    """The fitted vertices as flat arrays (RecoBlock); `particle` is the mother's slot. The
    derived fields (dr, distance, the position uncertainties) are computed for the found
    vertices only, after the gather (the same element-wise operations)."""
    v_slots = list(vertices)
    k_v = len(v_slots)
    if k_v == 1:  # the usual case: the response's own arrays, read in place
        v = vertices[v_slots[0]]
        v_exists = np.asarray(v.exists, dtype=bool)[None]
        vx = np.asarray(v.position, dtype=float)[None]
        vp = np.asarray(v.p4, dtype=float)[None]
        vc = np.asarray(v.cov, dtype=float)[None]
        extra = {
            name: np.broadcast_to(np.asarray(getattr(v, attr), dtype=float), (n,))[None]
            for name, attr in _VERTEX_FIELDS.items()
        }
    else:
        v_exists = np.empty((k_v, n), dtype=bool)
        vx, vp, vc = np.empty((k_v, n, 3)), np.empty((k_v, n, 4)), np.empty((k_v, n, 6))
        extra = {name: np.empty((k_v, n)) for name in _VERTEX_FIELDS}
        for j, m in enumerate(v_slots):
            v = vertices[m]
            v_exists[j], vx[j], vp[j], vc[j] = v.exists, v.position, v.p4, v.cov
            for name, attr in _VERTEX_FIELDS.items():
                extra[name][j] = getattr(v, attr)
    names = ("x", "y", "z", "cxx", "cyy", "czz", "px", "py", "pz", "E")
    arrays = (vx, vx, vx, vc, vc, vc, vp, vp, vp, vp)
    comps = (0, 1, 2, 0, 1, 2, 0, 1, 2, 3)
    flat = _flatten(
        v_exists,
        v_slots,
        {name: (a, c) for name, a, c in zip(names, arrays, comps, strict=True)} | extra,
    )
    x, y, z = flat["x"], flat["y"], flat["z"]
    dr = np.sqrt(x**2 + y**2)
    out = {"event": flat["event"], "particle": flat["particle"], "x": x, "y": y, "z": z}
    for axis in "xyz":
        out[f"{axis}_uncertainty"] = np.sqrt(flat[f"c{axis}{axis}"])
    out["dr"] = dr
    out["distance"] = np.sqrt(dr**2 + z**2)
    for name in ("px", "py", "pz", "E", *_VERTEX_FIELDS):
        out[name] = flat[name]
    return out


class _GroupSums:
    """The reconstructed four-momentum sums candidate_variables needs, from the slot-major
    template (event_kernel.sum_slot_groups): the signal parent's visible descendants, the
    tag τ's, the ALP's, the rest of the signal side and every visible particle with a role.
    `slots` holds each non-empty group's template slots, `sums[name]` its sum (N, 4)."""

    def __init__(self, p4: Array, block: Block, final: list[int], parent, alp) -> None:
        visible = set(final)
        groups: dict[str, list[int]] = {}
        if parent is not None:
            groups["parent"] = [i for i in block.final_descendants(parent) if i in visible]
            side = groups["parent"]
        else:
            side = [i for i in final if block.mother[i] < 0 or block.status[block.mother[i]] == 4]
        tag = block.roles.get("tag_tau")
        if tag is not None:
            groups["tag"] = [i for i in block.final_descendants(tag) if i in visible]
        if alp is not None:
            groups["alp"] = [i for i in block.final_descendants(alp) if i in visible]
            from_alp = set(block.final_descendants(alp))
            groups["rest"] = [i for i in side if i not in from_alp]
        summed = {k: v for k, v in groups.items() if v}
        flat = np.array([i for v in summed.values() for i in v], dtype=np.int64)
        offsets = np.cumsum([0, *(len(v) for v in summed.values())]).astype(np.int64)
        sums = sum_slot_groups(p4, flat, offsets) if summed else np.empty((0, p4.shape[1], 4))
        self._sums = dict(zip(summed, sums, strict=True))
        # a particle with a role is a group of one: its row of `p4` itself, not a copy
        for role, i in block.roles.items():
            if i in visible:
                summed[role] = [i]
                self._sums[role] = p4[i]
        self.slots = summed

    def __getitem__(self, name: str) -> Array:
        return self._sums[name]


def candidate_variables(
    block: Block,
    reco_p4: Array,
    detected: NDArray[np.bool_],
    det: DetectorSettings,
    tracks: dict[int, TrackResponse],
    vertices: dict[int, VertexResponse],
    owner: NDArray[np.int64],
    final: list[int],
    pid: dict[int, NDArray[np.int64]],
    beams_p4: Array,
) -> dict[str, NDArray]:
    """Variables of the truth-matched candidates (basf2 names), from the slot-major response
    `reco_p4` (P, N, 4) and `detected` (P, N).

    Signal parent: `Mbc`, `deltaE`, `sig_M`, `reconstructed` (all its visible final-state
    descendants seen; without a decaying parent, all visible particles of the hard process
    except ISR photons). ALP (`a_`): `M` (vertex mass if two tracks were vertexed, else the
    invariant mass of its reconstructed daughters), `InvM` (always the latter, with the track
    momenta at the point of closest approach to the IP), `Mprime`, `p`, `cosTheta`, `distance`,
    `dr`, `dz` (fitted vertex w.r.t. the IP), `merged` (two of its photons in one cluster),
    `M_fit` (photon-only ALPs from a decaying parent: the mass after the beam-energy
    constraint ΔE = 0, see `variables.energy_constrained_mass`), `M_kinfit` with
    `kinfit_chi2` (the same after the fit to the beam energy and the parent mass,
    kinfit.fit_candidates).
    `recoilMass`: recoil against the visible signal-side particles that do not come from the
    ALP (e.g. the photon of e+e− → γa, the K of B → K a). Per final-state particle with a role
    (`<role>_`): `p`, `cosTheta`, `E`, and for tracks `dr`, `dz`, `pid`.
    """
    cols: dict[str, NDArray] = {}
    n = block.n_events
    sqrt_s, beta, _ = _beam_frame(det.beams)
    visible = set(final)
    parent = block.roles.get("signal_parent")
    alp = block.roles.get("alp")
    sums = _GroupSums(reco_p4, block, final, parent, alp)
    if parent is not None:
        cand = sums["parent"]
        cols["Mbc"], cols["deltaE"] = beam_constrained_mass(cand, sqrt_s, beta)
        cols["sig_M"] = inv_mass(cand)
        cols["reconstructed"] = detected[sums.slots["parent"]].all(axis=0)
    else:
        # no decaying parent (e+e- -> gamma a, mu+ mu- a): the candidate is every visible
        # particle of the hard process, ISR photons excluded
        isr = {i for r, i in block.roles.items() if r.startswith("isr")}
        hard = [
            i
            for i in range(block.n_particles)
            if block.mother[i] < 0 and block.status[i] != 4 and i not in isr
        ]
        parts = sorted({j for i in hard for j in block.final_descendants(i) if j in visible})
        if parts:
            cols["reconstructed"] = detected[parts].all(axis=0)
    if alp is not None:
        a_parts = sums.slots.get("alp", [])
        if a_parts:
            a_p4 = sums["alp"]
            m = inv_mass(a_p4)
            cols["a_InvM"] = m  # basf2 InvM: the daughters' momenta as reconstructed at the IP
            v = vertices.get(alp)
            nanv = np.full(n, np.nan)
            pos = v.position if v is not None else np.full((n, 3), np.nan)
            if v is not None and len(a_parts) == 2:
                a_p4 = np.where(v.exists[:, None], v.p4, a_p4)
                m = np.where(v.exists, v.mass, m)
            cols["a_M"] = m
            d = [abs(int(block.pdg[i])) for i in a_parts]
            if len(d) == 2 and d[0] == d[1] and d[0] != PHOTON:
                cols["a_Mprime"] = reduced_mass(m, pdg_mass(d[0]))
            else:
                cols["a_Mprime"] = nanv
            a_p = momentum(a_p4)
            cols["a_p"] = a_p
            with np.errstate(invalid="ignore", divide="ignore"):
                cols["a_cosTheta"] = a_p4[:, 2] / a_p  # variables.cos_theta
            dr = np.sqrt(pos[:, 0] ** 2 + pos[:, 1] ** 2)
            cols["a_distance"] = np.sqrt(dr**2 + pos[:, 2] ** 2)
            cols["a_dr"] = dr
            cols["a_dz"] = pos[:, 2]
            for name, attr in _VERTEX_FIELDS.items():
                if name not in ("M", "Mprime", "chi2"):
                    cols[f"a_{name}"] = getattr(v, attr) if v is not None else nanv
            slots = [final.index(i) for i in a_parts]
            merged = np.zeros(n, dtype=bool)
            for s in slots:
                for t in slots:
                    if s != t:
                        merged |= owner[t] == s
            cols["a_merged"] = merged
            if parent is not None and all(x == PHOTON for x in d):
                cols["a_M_fit"] = energy_constrained_mass(cand, a_p4, m, sqrt_s, beta)
                cols.update(_kinfit_columns(block, reco_p4, det, sums, parent, a_parts))
        if "rest" in sums.slots:
            cols["recoilMass"] = recoil_mass(beams_p4, sums["rest"])
    lepton, tag = block.roles.get("lepton"), block.roles.get("tag_tau")
    if lepton in visible and tag is not None:
        # τ → ℓ a: x_ℓ of the reconstructed lepton in the pseudo-rest frame of the signal τ,
        # opposite the reconstructed visible tag (NaN unless the lepton and the whole tag are seen)
        seen = detected[lepton] & detected[sums.slots["tag"]].all(axis=0)
        x = pseudo_rest_frame_x(to_cms(sums["lepton"], beta), to_cms(sums["tag"], beta), sqrt_s)
        cols["x_l"] = np.where(seen, x, np.nan)
    for role, i in block.roles.items():
        if i not in visible:
            continue
        p4 = sums[role]
        cols[f"{role}_p"], cols[f"{role}_cosTheta"] = momentum_cos_theta(p4)
        cols[f"{role}_E"] = p4[:, 3]
        if i in tracks:
            cols[f"{role}_dr"] = np.abs(tracks[i].d0)
            cols[f"{role}_dz"] = tracks[i].z0
            cols[f"{role}_pid"] = np.where(tracks[i].found, pid[i], np.nan)
    return cols


def simulate(rng: np.random.Generator, record: EventRecord, det: DetectorSettings) -> RecoRecord:
    """Detector response for a whole chunk."""
    return RecoRecord([simulate_block(rng, b, det) for b in record.blocks])
