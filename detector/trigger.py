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


@dataclass
class TriggerInputs:
    """Dense per-block objects: tracks (N, kt) and clusters (N, kc)."""

    track_found: NDArray[np.bool_]
    track_pt: NDArray[np.float64]
    track_p: NDArray[np.float64]
    track_theta: NDArray[np.float64]
    track_phi: NDArray[np.float64]
    track_is_muon: NDArray[np.bool_]
    cluster_exists: NDArray[np.bool_]
    cluster_energy: NDArray[np.float64]
    cluster_energy_cms: NDArray[np.float64]
    cluster_theta: NDArray[np.float64]


def _between(x: NDArray[np.float64], lo_hi: tuple[float, float]) -> NDArray[np.bool_]:
    return (x >= lo_hi[0]) & (x <= lo_hi[1])


def fire(line: TriggerLine, t: TriggerInputs) -> NDArray[np.bool_]:
    """Events (N,) that pass one trigger line."""
    with np.errstate(invalid="ignore"):
        trk = (
            t.track_found
            & (t.track_pt > line.track_pt)
            & (t.track_p > line.track_p)
            & _between(t.track_theta, line.track_theta)
        )
        e = t.cluster_energy if line.cluster_frame == "lab" else t.cluster_energy_cms
        clu = (
            t.cluster_exists
            & (e > line.cluster_energy)
            & _between(t.cluster_theta, line.cluster_theta)
        )
        n_trk = trk.sum(axis=1)
        n_clu = clu.sum(axis=1)
        ok = (n_trk >= line.tracks) & (n_clu >= line.clusters)
        if line.max_tracks is not None:
            ok &= n_trk <= line.max_tracks
        if line.max_clusters is not None:
            ok &= n_clu <= line.max_clusters
        if line.energy_sum > 0.0 or np.isfinite(line.max_energy_sum):
            esum = np.where(t.cluster_exists, t.cluster_energy, 0.0).sum(axis=1)
            ok &= (esum >= line.energy_sum) & (esum <= line.max_energy_sum)
        if line.muons > 0:
            mu = t.track_found & t.track_is_muon & (t.track_p > line.muon_p)
            ok &= mu.sum(axis=1) >= line.muons
        if line.opening_angle > 0.0:
            k = trk.shape[1]
            best = np.zeros(trk.shape[0])
            for i in range(k):
                for j in range(i + 1, k):
                    d = np.abs(np.angle(np.exp(1j * (t.track_phi[:, i] - t.track_phi[:, j]))))
                    both = trk[:, i] & trk[:, j]
                    best = np.where(both, np.maximum(best, d), best)
            ok &= best > line.opening_angle
    return ok


def trigger_bits(lines: tuple[TriggerLine, ...], t: TriggerInputs) -> dict[str, NDArray[np.bool_]]:
    """{`trg_<name>`: fired} for every line, plus `trg_any` (logical or) if there are lines."""
    bits = {f"trg_{line.name}": fire(line, t) for line in lines}
    if bits:
        bits["trg_any"] = np.logical_or.reduce(list(bits.values()))
    return bits
