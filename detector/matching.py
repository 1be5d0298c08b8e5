"""Track–cluster matching from the reconstructed helix, not from truth.

Each found track's smeared helix is extrapolated to the calorimeter front face
(tracking.py, `TrackResponse.impact_reco`); the track is matched to the nearest cluster
whose position on the front face lies within `cluster_match_distance` (detector card
[tracking]) of that impact, as the Belle II ECL track-cluster matching associates a track
with the cluster hit by its extrapolation (basf2 ecl/modules/eclTrackClusterMatching, which
compares the extrapolated position with the cluster in θ and φ). A cluster matched by any
track is "track matched" (basf2 `isTrackMatched`) and does not count as a neutral cluster.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray


def match_tracks_to_clusters(
    impact: NDArray[np.float64],
    track_ok: NDArray[np.bool_],
    cluster_xyz: NDArray[np.float64],
    cluster_ok: NDArray[np.bool_],
    max_distance: float,
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Match tracks to clusters event by event, slot-major.

    `impact` (3, k_t, N) the tracks' extrapolated impacts (NaN if the helix does not reach
    the calorimeter), `track_ok` (k_t, N) found tracks, `cluster_xyz` (3, k_c, N) cluster
    positions, `cluster_ok` (k_c, N) clusters that exist. Returns the matched cluster slot of
    each track (k_t, N; −1 if none) and the track-matched flag of each cluster (k_c, N).
    """
    k_t, n = track_ok.shape
    k_c = cluster_ok.shape[0]
    match = np.full((k_t, n), -1, dtype=np.int64)
    matched = np.zeros((k_c, n), dtype=bool)
    if k_t and k_c:
        _match(
            np.ascontiguousarray(impact, dtype=float), track_ok,
            np.ascontiguousarray(cluster_xyz, dtype=float), cluster_ok, float(max_distance),
            match, matched,
        )  # fmt: skip
    return match, matched


@numba.njit(cache=True)
def _match(impact, track_ok, xyz, cluster_ok, max_d, match, matched):  # pragma: no cover
    """Nearest existing cluster within max_d of each found track's impact."""
    k_t, n = track_ok.shape
    k_c = cluster_ok.shape[0]
    d2max = max_d * max_d
    for e in range(n):
        for t in range(k_t):
            if not track_ok[t, e]:
                continue
            x, y, z = impact[0, t, e], impact[1, t, e], impact[2, t, e]
            if not (x == x):
                continue
            best = d2max
            j = -1
            for c in range(k_c):
                if not cluster_ok[c, e]:
                    continue
                d2 = (xyz[0, c, e] - x) ** 2 + (xyz[1, c, e] - y) ** 2 + (xyz[2, c, e] - z) ** 2
                if d2 <= best and math.isfinite(d2):
                    best = d2
                    j = c
            match[t, e] = j
            if j >= 0:
                matched[j, e] = True
