"""Trigger lines: named conditions on reconstructed objects, one boolean per event each.

A line (card [trigger.<name>]) requires, all at once: at least `tracks` (at most `max_tracks`)
tracks with pT > track_pt, p > track_p and θ in track_theta, the largest transverse opening
angle between two of them above `opening_angle`; at least `clusters` (at most
`max_clusters`) clusters with E > cluster_energy (lab or CMS) and θ in cluster_theta; a lab
cluster-energy sum in [energy_sum, max_energy_sum]; at least `muons` found tracks of true
muons with p > muon_p (a track matched to muon-system hits). The conditions mimic the
Level-1 logic of the experiments (Belle II: Iwasaki et al., IEEE TNS 58 (2011) 1807;
BaBar: NIM A 479 (2002) 1, sec. 10; BESIII: NIM A 614 (2010) 345, sec. 9); the thresholds are
in the cards, with their sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .config import TriggerLine
from .event_kernel import fire_lines_kernel


@dataclass
class TriggerInputs:
    """Dense per-block objects, slot-major: tracks (kt, N) and clusters (kc, N)."""

    track_found: NDArray[np.bool_]
    track_pt: NDArray[np.float64]
    track_p: NDArray[np.float64]
    track_theta: NDArray[np.float64]
    track_cos_phi: NDArray[np.float64]  # transverse direction (cos φ, sin φ)
    track_sin_phi: NDArray[np.float64]
    track_is_muon: NDArray[np.bool_]
    cluster_exists: NDArray[np.bool_]
    cluster_energy: NDArray[np.float64]
    cluster_energy_cms: NDArray[np.float64]
    cluster_theta: NDArray[np.float64]


def _between(x: NDArray[np.float64], lo_hi: tuple[float, float]) -> NDArray[np.bool_]:
    return (x >= lo_hi[0]) & (x <= lo_hi[1])


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
        ],
        dtype=float,
    )
    return ints, cuts


def trigger_bits(lines: tuple[TriggerLine, ...], t: TriggerInputs) -> dict[str, NDArray[np.bool_]]:
    """{`trg_<name>`: fired} for every line, plus `trg_any` (logical or) if there are lines."""
    if not lines:
        return {}
    arrays = [_line_arrays(line) for line in lines]
    fired = fire_lines_kernel(  # all lines in one pass over the events
        t.track_found,
        t.track_pt,
        t.track_p,
        t.track_theta,
        t.track_cos_phi,
        t.track_sin_phi,
        t.track_is_muon,
        t.cluster_exists,
        t.cluster_energy,
        t.cluster_energy_cms,
        t.cluster_theta,
        np.stack([a[0] for a in arrays]),
        np.stack([a[1] for a in arrays]),
        np.array([line.cluster_frame != "lab" for line in lines], dtype=np.bool_),
    )
    bits = {f"trg_{line.name}": fired[i] for i, line in enumerate(lines)}
    bits["trg_any"] = fired.any(axis=0)
    return bits
