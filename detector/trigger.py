"""Trigger lines: named conditions on reconstructed objects, one boolean per event each.

A line (card [trigger.<name>]) requires, all at once: at least `tracks` (at most `max_tracks`)
tracks with pT > track_pt, p > track_p and θ in track_theta, the largest transverse opening
angle between two of them above `opening_angle`; at least `clusters` (at most
`max_clusters`) clusters with E > cluster_energy (lab or CMS) and θ in cluster_theta; at
least `other_clusters` (at most `max_other_clusters`) clusters anywhere with lab E >
other_cluster_energy; a lab cluster-energy sum over energy_sum_theta in [energy_sum,
max_energy_sum]; at least `muons` tracks with p > muon_p matched to muon-system hits
(detector/muonid.py: the muon system's response, not the true species).

Thresholds turn on as error functions of the offline quantity, ½(1 + erf((x − x0)/(√2 w))),
with a width w per line (`track_width`, `cluster_width`, `energy_sum_width`): the trigger
measures the objects with its own, coarser resolution (Belle II: trigger-cell energies and 2D
track finder, Iwasaki et al., IEEE TNS 58 (2011) 1807). A line keeps one in `prescale` of its
events and is suppressed by the vetoes it names ([trigger_pattern.<name>], e.g. the ECL 3D Bhabha
veto of basf2 trg/ecl/src/TrgEclMaster.cc) or require the patterns it names (`patterns`, e.g.
the prescaled 3D Bhabha selection). Lines carry the experiments' names (Belle II GDL
bits of basf2 trg/gdl and trg/ecl; BaBar NIM A 479 (2002) 1, sec. 10; BESIII NIM A 614
(2010) 345, sec. 9); the thresholds are in the cards, with their sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .background import BackgroundObjects
from .config import TriggerLine, TriggerPattern
from .event_kernel import back_to_back_patterns, fire_lines_kernel


@dataclass
class TriggerInputs:
    """Dense per-block objects, slot-major: tracks (kt, N) and clusters (kc, N); the
    beam-background objects (event-major, detector/background.py) if overlaid."""

    track_found: NDArray[np.bool_]
    track_pt: NDArray[np.float64]
    track_p: NDArray[np.float64]
    track_theta: NDArray[np.float64]
    track_cos_phi: NDArray[np.float64]  # transverse direction (cos φ, sin φ)
    track_sin_phi: NDArray[np.float64]
    track_muon: NDArray[np.bool_]  # matched to muon-system hits (muonid)
    cluster_exists: NDArray[np.bool_]
    cluster_energy: NDArray[np.float64]
    cluster_energy_cms: NDArray[np.float64]
    cluster_theta: NDArray[np.float64]
    cluster_p4: NDArray[np.float64] | None = None  # (kc, N, 4) lab, for the patterns only
    cms_beta: NDArray[np.float64] | None = None  # velocity of the CM frame, for the patterns
    background: BackgroundObjects | None = None


def _line_arrays(line: TriggerLine) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """(ints, cuts) of one line, the parameter vectors of event_kernel.fire_lines_kernel."""
    ints = np.array(
        [
            line.tracks,
            -1 if line.max_tracks is None else line.max_tracks,
            line.clusters,
            -1 if line.max_clusters is None else line.max_clusters,
            line.muons,
            line.energy_sum > 0.0 or np.isfinite(line.max_energy_sum),
            line.other_clusters,
            -1 if line.max_other_clusters is None else line.max_other_clusters,
            line.prescale,
        ],
        dtype=np.int64,
    )
    cuts = np.array(
        [
            line.track_pt,
            line.track_p,
            *line.track_theta,
            np.cos(line.opening_angle) if line.opening_angle > 0.0 else 2.0,
            line.cluster_energy,
            *line.cluster_theta,
            line.energy_sum,
            line.max_energy_sum,
            line.muon_p,
            line.track_width,
            line.cluster_width,
            line.energy_sum_width,
            *line.energy_sum_theta,
            line.other_cluster_energy,
        ],
        dtype=float,
    )
    return ints, cuts


@lru_cache(maxsize=2)
def _no_background(n: int) -> BackgroundObjects:
    """BackgroundObjects.none(n), made once per block size (the kernels only read it)."""
    return BackgroundObjects.none(n)


@lru_cache(maxsize=32)
def _line_tables(
    lines: tuple[TriggerLine, ...], used: tuple[TriggerPattern, ...]
) -> tuple[NDArray, ...]:
    """The per-line parameter tables of fire_lines_kernel, built once per trigger menu: which
    patterns veto and which are required (L, V), ints (L, 9), cuts (L, 17), CMS frame (L,)."""
    shape = (len(lines), len(used))
    line_vetoes = np.array(
        [[v.name in ln.vetoes for v in used] for ln in lines], dtype=np.bool_
    ).reshape(shape)
    line_patterns = np.array(
        [[v.name in ln.patterns for v in used] for ln in lines], dtype=np.bool_
    ).reshape(shape)
    arrays = [_line_arrays(line) for line in lines]
    ints = np.stack([a[0] for a in arrays])
    cuts = np.stack([a[1] for a in arrays])
    cms = np.array([line.cluster_frame != "lab" for line in lines], dtype=np.bool_)
    return line_vetoes, line_patterns, ints, cuts, cms


def veto_bits(vetoes: tuple[TriggerPattern, ...], t: TriggerInputs) -> NDArray[np.bool_]:
    """(V, N) whether each pattern fires (needs the clusters' lab p4 and the CM velocity)."""
    n = t.cluster_exists.shape[1]
    if vetoes and (t.cluster_p4 is None or t.cms_beta is None):
        raise ValueError("trigger patterns need the clusters' four-momenta and the CM velocity")
    bg = t.background if t.background is not None else _no_background(n)
    return back_to_back_patterns(
        t.cluster_exists,
        t.cluster_p4,
        t.cluster_energy_cms,
        bg.c_offsets,
        bg.c_p4,
        bg.c_energy_cms,
        np.asarray(t.cms_beta, dtype=float),
        np.array([v.energy_low for v in vetoes], dtype=float),
        np.array([v.energy_high for v in vetoes], dtype=float),
        np.array([v.delta_phi for v in vetoes], dtype=float).reshape(-1, 2),
        np.array([v.theta_sum for v in vetoes], dtype=float).reshape(-1, 2),
    )


def needs_randoms(lines: tuple[TriggerLine, ...]) -> bool:
    """Whether any line has a turn-on width or a prescale (random numbers are drawn)."""
    return any(
        ln.track_width > 0 or ln.cluster_width > 0 or ln.energy_sum_width > 0 or ln.prescale > 1
        for ln in lines
    )


def trigger_bits(
    lines: tuple[TriggerLine, ...],
    t: TriggerInputs,
    rng: np.random.Generator | None = None,
    vetoes: tuple[TriggerPattern, ...] = (),
) -> dict[str, NDArray[np.bool_]]:
    """{`trg_<name>`: fired} for every line, plus `trg_any` (logical or) if there are lines.

    Random numbers (one normal per track and cluster, one normal and one uniform per event) are
    drawn from `rng` only if a line has a turn-on width or a prescale; background objects bring
    their own normals."""
    if not lines:
        return {}
    kt, n = t.track_found.shape
    kc = t.cluster_exists.shape[0]
    if needs_randoms(lines):
        if rng is None:
            raise ValueError("trigger lines with turn-on widths or prescales need an rng")
        track_g = rng.standard_normal((kt, n))
        cluster_g = rng.standard_normal((kc, n))
        sum_g = rng.standard_normal(n)
        u = rng.random(n)
    else:
        track_g, cluster_g, sum_g, u = (
            np.zeros((kt, n)),
            np.zeros((kc, n)),
            np.zeros(n),
            np.zeros(n),
        )
    used = [v for v in vetoes if any(v.name in (*ln.vetoes, *ln.patterns) for ln in lines)]
    bits = veto_bits(tuple(used), t) if used else np.zeros((0, n), dtype=bool)
    line_vetoes, line_patterns, ints, cuts, cms = _line_tables(tuple(lines), tuple(used))
    bg = t.background if t.background is not None else _no_background(n)
    fired = fire_lines_kernel(  # all lines in one pass over the events
        t.track_found,
        t.track_pt,
        t.track_p,
        t.track_theta,
        t.track_cos_phi,
        t.track_sin_phi,
        t.track_muon,
        t.cluster_exists,
        t.cluster_energy,
        t.cluster_energy_cms,
        t.cluster_theta,
        bg.t_offsets,
        bg.t_kinematics,
        bg.t_theta,
        bg.t_g,
        bg.c_offsets,
        bg.c_p4[:, 3],
        bg.c_energy_cms,
        bg.c_theta,
        bg.c_g,
        track_g,
        cluster_g,
        sum_g,
        u,
        bits,
        line_vetoes,
        line_patterns,
        ints,
        cuts,
        cms,
    )
    out = {f"trg_{line.name}": fired[i] for i, line in enumerate(lines)}
    out["trg_any"] = fired.any(axis=0)
    for i, v in enumerate(used):
        out[f"trgpattern_{v.name}"] = bits[i]
    return out
