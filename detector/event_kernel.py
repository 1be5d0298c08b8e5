"""Compiled (numba, cached) per-event kernels of the chain: fixed-frame boosts and the event
sums, one pass over the events instead of one numpy pass per slot and operation.

Same formulas, in the same order, as generator/kinematics.boost and the numpy code of
chain.py they replace (results agree to the last bit up to libm rounding).
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def _boost_one(px, py, pz, e, bx, by, bz, b2, gamma, coef0):  # pragma: no cover - compiled
    bp = bx * px + by * py + bz * pz
    coef = coef0 * bp + gamma * e
    return px + coef * bx, py + coef * by, pz + coef * bz, gamma * (e + bp)


@numba.njit(cache=True)
def boost_fixed(p4, beta):  # pragma: no cover - compiled
    """kinematics.boost of four-vectors (N, 4) by one velocity β (3,)."""
    n = p4.shape[0]
    out = np.empty((n, 4))
    bx, by, bz = beta[0], beta[1], beta[2]
    b2 = bx * bx + by * by + bz * bz
    gamma = 1.0 / math.sqrt(1.0 - b2)
    coef0 = (gamma - 1.0) / b2 if b2 > 0.0 else 0.0
    for k in range(n):
        out[k, 0], out[k, 1], out[k, 2], out[k, 3] = _boost_one(
            p4[k, 0], p4[k, 1], p4[k, 2], p4[k, 3], bx, by, bz, b2, gamma, coef0
        )
    return out


@numba.njit(cache=True)
def sum_slots(p4, slots):  # pragma: no cover - compiled
    """Σ over template slots of four-vectors (N, P, 4) → (N, 4), slots added in order."""
    n = p4.shape[0]
    out = np.empty((n, 4))
    for k in range(n):
        for j in range(4):
            s = p4[k, slots[0], j]
            for i in range(1, slots.shape[0]):
                s += p4[k, slots[i], j]
            out[k, j] = s
    return out


@numba.njit(cache=True)
def merged_counts(owner):  # pragma: no cover - compiled
    """Particles whose deposit each slot's cluster holds (N, k) from the owners (N, k)."""
    n, k = owner.shape
    out = np.zeros((n, k), np.int64)
    for e in range(n):
        for c in range(k):
            out[e, owner[e, c]] += 1
    return out


@numba.njit(cache=True)
def event_sums(t_p4, t_found, m_hyp, c_p4, neutral, beams, beta):  # pragma: no cover - compiled
    """Event-level sums of chain.simulate_block: visible four-momentum (found tracks with their
    PID mass hypothesis, clusters without a found track), its CM energy, the missing mass²
    and the missing momentum in the CM frame, each (N,)."""
    n = t_found.shape[0]
    kt = t_found.shape[1]
    kc = neutral.shape[1]
    vis_e_cms = np.empty(n)
    mm2 = np.empty(n)
    p_miss = np.empty(n)
    bx, by, bz = -beta[0], -beta[1], -beta[2]
    b2 = bx * bx + by * by + bz * bz
    gamma = 1.0 / math.sqrt(1.0 - b2)
    coef0 = (gamma - 1.0) / b2 if b2 > 0.0 else 0.0
    for k in range(n):
        vx = vy = vz = ve = 0.0
        for c in range(kt):
            if t_found[k, c]:
                px, py, pz = t_p4[k, c, 0], t_p4[k, c, 1], t_p4[k, c, 2]
                p = math.sqrt(px**2 + py**2 + pz**2)
                vx += px
                vy += py
                vz += pz
                ve += math.sqrt(p**2 + m_hyp[k, c] ** 2)
        for c in range(kc):
            if neutral[k, c]:
                vx += c_p4[k, c, 0]
                vy += c_p4[k, c, 1]
                vz += c_p4[k, c, 2]
                ve += c_p4[k, c, 3]
        vis_e_cms[k] = _boost_one(vx, vy, vz, ve, bx, by, bz, b2, gamma, coef0)[3]
        mx, my, mz, me = beams[0] - vx, beams[1] - vy, beams[2] - vz, beams[3] - ve
        mm2[k] = me**2 - (mx**2 + my**2 + mz**2)
        qx, qy, qz, _ = _boost_one(mx, my, mz, me, bx, by, bz, b2, gamma, coef0)
        p_miss[k] = math.sqrt(qx**2 + qy**2 + qz**2)
    return vis_e_cms, mm2, p_miss


@numba.njit(cache=True)
def fire_lines_kernel(
    track_found,
    track_pt,
    track_p,
    track_theta,
    track_phi,
    track_is_muon,
    cluster_exists,
    cluster_e_lab,
    cluster_e_cms,
    cluster_theta,
    ints,
    cuts,
    cms,
):  # pragma: no cover - compiled
    """Trigger lines (trigger.trigger_bits) over all events in one pass; returns fired (L, N).

    Per line: `ints` (L, 6) = (tracks, max_tracks or -1, clusters, max_clusters or -1, muons,
    check energy sum); `cuts` (L, 11) = (track_pt, track_p, track θ lo, hi, opening angle,
    cluster_energy, cluster θ lo, hi, energy_sum, max_energy_sum, muon_p); `cms` (L,) whether
    the line compares cluster energies in the CM frame (the energy sum is always in the lab)."""
    n, kt = track_found.shape
    kc = cluster_exists.shape[1]
    n_lines = ints.shape[0]
    out = np.empty((n_lines, n), np.bool_)
    good = np.empty(kt, np.bool_)
    for k in range(n):
        e_sum = 0.0
        for c in range(kc):
            e_sum += cluster_e_lab[k, c] if cluster_exists[k, c] else 0.0
        for ln in range(n_lines):
            n_min, n_max, c_min, c_max = ints[ln, 0], ints[ln, 1], ints[ln, 2], ints[ln, 3]
            mu_min, check_sum = ints[ln, 4], ints[ln, 5]
            pt_cut, p_cut, th_lo, th_hi = cuts[ln, 0], cuts[ln, 1], cuts[ln, 2], cuts[ln, 3]
            opening, e_cut, cth_lo, cth_hi = cuts[ln, 4], cuts[ln, 5], cuts[ln, 6], cuts[ln, 7]
            e_sum_lo, e_sum_hi, mu_p = cuts[ln, 8], cuts[ln, 9], cuts[ln, 10]
            n_trk = 0
            n_mu = 0
            for c in range(kt):
                f = track_found[k, c]
                th = track_theta[k, c]
                g = f and track_pt[k, c] > pt_cut and track_p[k, c] > p_cut and th_lo <= th <= th_hi
                good[c] = g
                n_trk += g
                n_mu += f and track_is_muon[k, c] and track_p[k, c] > mu_p
            n_clu = 0
            for c in range(kc):
                ex = cluster_exists[k, c]
                th = cluster_theta[k, c]
                e = cluster_e_cms[k, c] if cms[ln] else cluster_e_lab[k, c]
                n_clu += ex and e > e_cut and cth_lo <= th <= cth_hi
            ok = n_trk >= n_min and n_clu >= c_min
            if n_max >= 0:
                ok = ok and n_trk <= n_max
            if c_max >= 0:
                ok = ok and n_clu <= c_max
            if check_sum:
                ok = ok and e_sum >= e_sum_lo and e_sum <= e_sum_hi
            ok = ok and n_mu >= mu_min
            if ok and opening > 0.0:
                best = 0.0
                for i in range(kt):
                    for j in range(i + 1, kt):
                        if good[i] and good[j]:
                            d = track_phi[k, i] - track_phi[k, j]
                            d = abs(math.atan2(math.sin(d), math.cos(d)))
                            best = max(best, d)
                ok = best > opening
            out[ln, k] = ok
    return out
