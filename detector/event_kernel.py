"""Compiled (numba, cached) per-event kernels of the chain: fixed-frame boosts and the event
sums, one pass over the events instead of one numpy pass per slot and operation.

Same formulas, in the same order, as generator/kinematics.boost and the numpy code of
chain.py they replace (results agree to the last bit up to libm rounding).
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: Events per tile of fire_lines_kernel (its per-event columns stay in cache across lines).
TRIGGER_TILE = 2048


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
def mbc_delta_e(p4, e_beam, beta):  # pragma: no cover - compiled
    """variables.beam_constrained_mass: candidates (N, 4) boosted to the frame moving with
    −`beta` (as boost_fixed), Mbc = √(E_beam² − |p*|²) (NaN below 0) and ΔE = E* − E_beam."""
    n = p4.shape[0]
    mbc = np.empty(n)
    de = np.empty(n)
    bx, by, bz = -beta[0], -beta[1], -beta[2]
    b2 = bx * bx + by * by + bz * bz
    gamma = 1.0 / math.sqrt(1.0 - b2)
    coef0 = (gamma - 1.0) / b2 if b2 > 0.0 else 0.0
    for k in range(n):
        px, py, pz, e = _boost_one(
            p4[k, 0], p4[k, 1], p4[k, 2], p4[k, 3], bx, by, bz, b2, gamma, coef0
        )
        m2 = e_beam * e_beam - (px * px + py * py + pz * pz)
        mbc[k] = math.sqrt(m2) if m2 >= 0.0 else math.nan
        de[k] = e - e_beam
    return mbc, de


@numba.njit(cache=True)
def recoil_kernel(beams, p4):  # pragma: no cover - compiled
    """variables.recoil_mass: √((p_beams − p_X)²) of four-vectors (N, 4), NaN where negative."""
    n = p4.shape[0]
    out = np.empty(n)
    for k in range(n):
        ex, ey, ez, ee = (
            beams[0] - p4[k, 0],
            beams[1] - p4[k, 1],
            beams[2] - p4[k, 2],
            beams[3] - p4[k, 3],
        )
        m2 = ee * ee - (ex * ex + ey * ey + ez * ez)
        out[k] = math.sqrt(m2) if m2 >= 0.0 else math.nan
    return out


@numba.njit(cache=True)
def slot_major(a, slots):  # pragma: no cover - compiled
    """(N, P, c) → (P, N, c) for the template `slots` (other rows left unset): the event
    record's particle columns made contiguous in one sequential pass (reading one slot of the
    (N, P, c) layout touches a cache line per event)."""
    n, p, c = a.shape
    out = np.empty((p, n, c))
    for k in range(n):
        for i in slots:
            for j in range(c):
                out[i, k, j] = a[k, i, j]
    return out


@numba.njit(cache=True)
def object_index(mask):  # pragma: no cover - compiled
    """(event, slot) of the objects marked in the slot-major mask (k, N), sorted by event then
    slot: np.flatnonzero(mask.T) split into its two indices, without the transposed copy."""
    k, n = mask.shape
    count = 0
    for c in range(k):
        for e in range(n):
            count += mask[c, e]
    ev = np.empty(count, np.int64)
    slot = np.empty(count, np.int64)
    o = 0
    for e in range(n):
        for c in range(k):
            if mask[c, e]:
                ev[o] = e
                slot[o] = c
                o += 1
    return ev, slot


@numba.njit(cache=True)
def gather_field(src, ev, slot, out):  # pragma: no cover - compiled
    """out[o] = src[slot[o], ev[o]]: one field (k, N) of the objects of object_index, read in
    one compiled pass (no flat index array built per field, any layout of `src`)."""
    for o in range(ev.shape[0]):
        out[o] = src[slot[o], ev[o]]


@numba.njit(cache=True)
def event_major(a, slots):  # pragma: no cover - compiled
    """(P, N, c) → (N, P, c), the inverse of slot_major: rows `slots` copied, NaN elsewhere
    (each element of the output written once: no NaN fill overwritten by the copy)."""
    p, n, c = a.shape
    out = np.empty((n, p, c))
    copied = np.zeros(p, np.bool_)
    for i in slots:
        copied[i] = True
    for k in range(n):
        for i in range(p):
            if copied[i]:
                for j in range(c):
                    out[k, i, j] = a[i, k, j]
            else:
                for j in range(c):
                    out[k, i, j] = math.nan
    return out


@numba.njit(cache=True)
def sum_slot_groups(p4, slots, offsets):  # pragma: no cover - compiled
    """Σ over groups of template slots of slot-major four-vectors (P, N, 4) → (G, N, 4):
    group g holds slots[offsets[g]:offsets[g + 1]], added in order."""
    n = p4.shape[1]
    n_groups = offsets.shape[0] - 1
    out = np.empty((n_groups, n, 4))
    for g in range(n_groups):
        a, b = offsets[g], offsets[g + 1]
        first = p4[slots[a]]
        for k in range(n):  # one pass per group: each sum kept in registers, same order
            sx, sy, sz, se = first[k, 0], first[k, 1], first[k, 2], first[k, 3]
            for i in range(a + 1, b):
                q = p4[slots[i]]
                sx += q[k, 0]
                sy += q[k, 1]
                sz += q[k, 2]
                se += q[k, 3]
            out[g, k, 0] = sx
            out[g, k, 1] = sy
            out[g, k, 2] = sz
            out[g, k, 3] = se
    return out


@numba.njit(cache=True, error_model="numpy")
def momentum_cos_theta(p4):  # pragma: no cover - compiled
    """basf2 `p` and `cosTheta` of four-vectors (N, 4) in one pass: |p| = √((px² + py²) + pz²)
    and pz/|p| (variables.momentum, variables.cos_theta: same operations in the same order;
    NaN for |p| = 0)."""
    n = p4.shape[0]
    p = np.empty(n)
    cos = np.empty(n)
    for k in range(n):
        x, y, z = p4[k, 0], p4[k, 1], p4[k, 2]
        q = math.sqrt(x * x + y * y + z * z)
        p[k] = q
        cos[k] = z / q
    return p, cos


@numba.njit(cache=True)
def merged_counts(owner):  # pragma: no cover - compiled
    """Particles whose deposit each slot's cluster holds (k, N) from the owners (k, N)."""
    k, n = owner.shape
    out = np.zeros((k, n), np.int64)
    for c in range(k):
        for e in range(n):
            out[owner[c, e], e] += 1
    return out


@numba.njit(cache=True)
def event_sums(t_p4, t_found, m_hyp, c_p4, neutral, beams, beta, extra):  # pragma: no cover
    """Event-level sums of chain.simulate_block: visible four-momentum (found tracks with their
    PID mass hypothesis, clusters without a found track, plus `extra` (N, 4), e.g. the
    beam-background objects), its CM energy, the missing mass² and the missing momentum in the
    CM frame, each (N,). Slot-major inputs: tracks t_p4 (kt, N, 4), t_found and m_hyp (kt, N);
    clusters c_p4 (kc, N, 4) and neutral (kc, N)."""
    kt, n = t_found.shape
    kc = neutral.shape[0]
    vis_e_cms = np.empty(n)
    mm2 = np.empty(n)
    p_miss = np.empty(n)
    bx, by, bz = -beta[0], -beta[1], -beta[2]
    b2 = bx * bx + by * by + bz * bz
    gamma = 1.0 / math.sqrt(1.0 - b2)
    coef0 = (gamma - 1.0) / b2 if b2 > 0.0 else 0.0
    for k in range(n):
        vx, vy, vz, ve = extra[k, 0], extra[k, 1], extra[k, 2], extra[k, 3]
        for c in range(kt):
            if t_found[c, k]:
                px, py, pz = t_p4[c, k, 0], t_p4[c, k, 1], t_p4[c, k, 2]
                p = math.sqrt(px**2 + py**2 + pz**2)
                vx += px
                vy += py
                vz += pz
                ve += math.sqrt(p**2 + m_hyp[c, k] ** 2)
        for c in range(kc):
            if neutral[c, k]:
                vx += c_p4[c, k, 0]
                vy += c_p4[c, k, 1]
                vz += c_p4[c, k, 2]
                ve += c_p4[c, k, 3]
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
    track_cos_phi,
    track_sin_phi,
    track_muon,
    cluster_exists,
    cluster_e_lab,
    cluster_e_cms,
    cluster_theta,
    bg_t_off,
    bg_t_kin,
    bg_t_theta,
    bg_t_g,
    bg_c_off,
    bg_c_e_lab,
    bg_c_e_cms,
    bg_c_theta,
    bg_c_g,
    track_g,
    cluster_g,
    sum_g,
    u_prescale,
    veto_bits,
    line_vetoes,
    line_patterns,
    ints,
    cuts,
    cms,
):  # pragma: no cover - compiled
    """Trigger lines (trigger.trigger_bits) on slot-major objects (k, N); returns fired (L, N).

    Per line: `ints` (L, 9) = (tracks, max_tracks or -1, clusters, max_clusters or -1, muons,
    check energy sum, other_clusters, max_other_clusters or -1, prescale); `cuts` (L, 17) =
    (track_pt, track_p, track θ lo, hi, cos of the opening angle, cluster_energy, cluster θ
    lo, hi, energy_sum, max_energy_sum, muon_p, track width, cluster width, energy-sum width,
    energy-sum θ lo, hi, other_cluster_energy); `cms` (L,) whether the line compares cluster
    energies in the CM frame (energy sum and the other-cluster count are in the lab).
    Background objects (detector/background.py) come event-major: object i of event k at
    bg_*_off[k] + i; tracks bg_t_kin (T, 5) = (pT, p, cos θ, cos φ, sin φ), bg_t_theta, with
    their turn-on normals bg_t_g; clusters bg_c_e_lab, bg_c_e_cms, bg_c_theta, bg_c_g.

    Turn-on: an object passes a threshold x0 of width w if x > x0 + w·g with its own standard
    normal g (track_g, cluster_g (k, N); sum_g (N,) for the energy sum), so that its passing
    probability is ½(1 + erf((x − x0)/(√2 w))); g is shared by all lines (one trigger-level
    measurement per object). A line fires if u_prescale < 1/prescale and none of its vetoes
    (line_vetoes (L, V) over the pattern bits veto_bits (V, N)) is set and all its required
    patterns (line_patterns (L, V)) are. The largest transverse opening angle
    between two selected tracks exceeds the cut when the smallest cos Δφ is below its cosine
    (cos = 2: no cut). Loops run over events innermost (SIMD), in tiles of
    TRIGGER_TILE events (_fire_lines_block on copies of the tile's columns: the per-event
    columns of all the passes over the lines then stay in cache)."""
    n = track_found.shape[1]
    out = np.empty((ints.shape[0], n), np.bool_)
    for t0 in range(0, n, TRIGGER_TILE):
        t1 = min(t0 + TRIGGER_TILE, n)
        ta, tb, ca, cb = bg_t_off[t0], bg_t_off[t1], bg_c_off[t0], bg_c_off[t1]
        out[:, t0:t1] = _fire_lines_block(
            np.ascontiguousarray(track_found[:, t0:t1]),
            np.ascontiguousarray(track_pt[:, t0:t1]),
            np.ascontiguousarray(track_p[:, t0:t1]),
            np.ascontiguousarray(track_theta[:, t0:t1]),
            np.ascontiguousarray(track_cos_phi[:, t0:t1]),
            np.ascontiguousarray(track_sin_phi[:, t0:t1]),
            np.ascontiguousarray(track_muon[:, t0:t1]),
            np.ascontiguousarray(cluster_exists[:, t0:t1]),
            np.ascontiguousarray(cluster_e_lab[:, t0:t1]),
            np.ascontiguousarray(cluster_e_cms[:, t0:t1]),
            np.ascontiguousarray(cluster_theta[:, t0:t1]),
            bg_t_off[t0 : t1 + 1] - bg_t_off[t0],
            bg_t_kin[ta:tb],
            bg_t_theta[ta:tb],
            bg_t_g[ta:tb],
            bg_c_off[t0 : t1 + 1] - bg_c_off[t0],
            bg_c_e_lab[ca:cb],
            bg_c_e_cms[ca:cb],
            bg_c_theta[ca:cb],
            bg_c_g[ca:cb],
            np.ascontiguousarray(track_g[:, t0:t1]),
            np.ascontiguousarray(cluster_g[:, t0:t1]),
            sum_g[t0:t1],
            u_prescale[t0:t1],
            np.ascontiguousarray(veto_bits[:, t0:t1]),
            line_vetoes,
            line_patterns,
            ints,
            cuts,
            cms,
        )
    return out


@numba.njit(cache=True)
def _fire_lines_block(
    track_found,
    track_pt,
    track_p,
    track_theta,
    track_cos_phi,
    track_sin_phi,
    track_muon,
    cluster_exists,
    cluster_e_lab,
    cluster_e_cms,
    cluster_theta,
    bg_t_off,
    bg_t_kin,
    bg_t_theta,
    bg_t_g,
    bg_c_off,
    bg_c_e_lab,
    bg_c_e_cms,
    bg_c_theta,
    bg_c_g,
    track_g,
    cluster_g,
    sum_g,
    u_prescale,
    veto_bits,
    line_vetoes,
    line_patterns,
    ints,
    cuts,
    cms,
):  # pragma: no cover - compiled
    """fire_lines_kernel on one tile of events (all arrays of the tile, background offsets
    starting at 0)."""
    kt, n = track_found.shape
    kc = cluster_exists.shape[0]
    n_lines = ints.shape[0]
    n_veto = veto_bits.shape[0]
    out = np.empty((n_lines, n), np.bool_)
    e_sum = np.zeros(n)
    n_trk = np.empty(n, np.int64)
    n_mu = np.empty(n, np.int64)
    n_clu = np.empty(n, np.int64)
    n_oth = np.empty(n, np.int64)
    least = np.empty(n)
    good = np.empty((kt, n), np.bool_)
    bg_good = np.empty(bg_t_theta.shape[0], np.bool_)
    # event of each background object: the per-line passes then run over flat arrays
    bg_c_ev = np.empty(bg_c_off[n], np.int64)
    bg_t_ev = np.empty(bg_t_off[n], np.int64)
    for k in range(n):
        bg_c_ev[bg_c_off[k] : bg_c_off[k + 1]] = k
        bg_t_ev[bg_t_off[k] : bg_t_off[k + 1]] = k
    for ln in range(n_lines):
        pt_cut, p_cut, th_lo, th_hi = cuts[ln, 0], cuts[ln, 1], cuts[ln, 2], cuts[ln, 3]
        cos_open, e_cut, cth_lo, cth_hi = cuts[ln, 4], cuts[ln, 5], cuts[ln, 6], cuts[ln, 7]
        mu_p, w_trk, w_clu, w_sum = cuts[ln, 10], cuts[ln, 11], cuts[ln, 12], cuts[ln, 13]
        sth_lo, sth_hi, o_cut = cuts[ln, 14], cuts[ln, 15], cuts[ln, 16]
        t_min, t_max, c_min, c_max = ints[ln, 0], ints[ln, 1], ints[ln, 2], ints[ln, 3]
        mu_min, check_sum, o_min, o_max = ints[ln, 4], ints[ln, 5], ints[ln, 6], ints[ln, 7]
        # only the counts a line uses are made (e.g. no cluster loop for a track line)
        use_trk = (t_min > 0) | (t_max >= 0) | (cos_open < 1.5)
        use_mu = mu_min > 0
        use_clu = (c_min > 0) | (c_max >= 0)
        use_oth = (o_min > 0) | (o_max >= 0)
        use_sum = check_sum != 0
        n_trk[:] = 0
        n_mu[:] = 0
        n_clu[:] = 0
        n_oth[:] = 0
        e_sum[:] = 0.0
        if use_trk:
            for c in range(kt):
                for k in range(n):
                    th = track_theta[c, k]
                    shift = w_trk * track_g[c, k]
                    g = track_found[c, k] & (track_pt[c, k] > pt_cut + shift)
                    g &= (track_p[c, k] > p_cut + shift) & (th_lo <= th) & (th <= th_hi)
                    good[c, k] = g
                    n_trk[k] += g
        if use_mu:
            for c in range(kt):
                for k in range(n):
                    n_mu[k] += track_found[c, k] & track_muon[c, k] & (track_p[c, k] > mu_p)
        e_clu = cluster_e_cms if cms[ln] else cluster_e_lab
        if use_clu:
            for c in range(kc):
                for k in range(n):
                    th = cluster_theta[c, k]
                    ok = cluster_exists[c, k] & (e_clu[c, k] > e_cut + w_clu * cluster_g[c, k])
                    n_clu[k] += ok & (cth_lo <= th) & (th <= cth_hi)
        if use_oth:
            for c in range(kc):
                for k in range(n):
                    n_oth[k] += cluster_exists[c, k] & (cluster_e_lab[c, k] > o_cut)
        if use_sum:
            for c in range(kc):
                for k in range(n):
                    th = cluster_theta[c, k]
                    in_sum = cluster_exists[c, k] & (sth_lo <= th) & (th <= sth_hi)
                    e_sum[k] += cluster_e_lab[c, k] if in_sum else 0.0
        # background tracks and clusters (no muon-system hits)
        bg_e = bg_c_e_cms if cms[ln] else bg_c_e_lab
        if use_trk:
            for i in range(bg_t_ev.shape[0]):
                th = bg_t_theta[i]
                shift = w_trk * bg_t_g[i]
                g = (bg_t_kin[i, 0] > pt_cut + shift) & (bg_t_kin[i, 1] > p_cut + shift)
                g &= (th_lo <= th) & (th <= th_hi)
                bg_good[i] = g
                n_trk[bg_t_ev[i]] += g
        if use_clu:
            for i in range(bg_c_ev.shape[0]):
                th = bg_c_theta[i]
                ok = (bg_e[i] > e_cut + w_clu * bg_c_g[i]) & (cth_lo <= th) & (th <= cth_hi)
                n_clu[bg_c_ev[i]] += ok
        if use_oth:
            for i in range(bg_c_ev.shape[0]):
                n_oth[bg_c_ev[i]] += bg_c_e_lab[i] > o_cut
        if use_sum:
            for i in range(bg_c_ev.shape[0]):
                th = bg_c_theta[i]
                in_sum = (sth_lo <= th) & (th <= sth_hi)
                e_sum[bg_c_ev[i]] += bg_c_e_lab[i] if in_sum else 0.0
        least[:] = 2.0
        if cos_open < 1.5:
            for i in range(kt):
                for j in range(i + 1, kt):
                    for k in range(n):
                        cij = (
                            track_cos_phi[i, k] * track_cos_phi[j, k]
                            + track_sin_phi[i, k] * track_sin_phi[j, k]
                        )
                        least[k] = min(least[k], cij) if good[i, k] & good[j, k] else least[k]
            for k in range(n if bg_t_off[n] > 0 else 0):  # pairs with background tracks
                a, b = bg_t_off[k], bg_t_off[k + 1]
                for i in range(a, b):
                    if not bg_good[i]:
                        continue
                    ci, si = bg_t_kin[i, 3], bg_t_kin[i, 4]
                    for c in range(kt):
                        if good[c, k]:
                            least[k] = min(
                                least[k], ci * track_cos_phi[c, k] + si * track_sin_phi[c, k]
                            )
                    for j in range(i + 1, b):
                        if bg_good[j]:
                            least[k] = min(least[k], ci * bg_t_kin[j, 3] + si * bg_t_kin[j, 4])
        keep = 1.0 / ints[ln, 8]
        lo, hi = cuts[ln, 8], cuts[ln, 9]
        for k in range(n):
            ok = (n_trk[k] >= t_min) & (n_clu[k] >= c_min) & (n_mu[k] >= mu_min)
            ok &= (t_max < 0) | (n_trk[k] <= t_max)
            ok &= (c_max < 0) | (n_clu[k] <= c_max)
            ok &= (n_oth[k] >= o_min) & ((o_max < 0) | (n_oth[k] <= o_max))
            ok &= (check_sum == 0) | ((e_sum[k] >= lo + w_sum * sum_g[k]) & (e_sum[k] <= hi))
            ok &= u_prescale[k] < keep
            out[ln, k] = ok & (least[k] < cos_open) if cos_open < 1.5 else ok
        for v in range(n_veto):
            if line_vetoes[ln, v]:
                for k in range(n):
                    out[ln, k] &= ~veto_bits[v, k]
            if line_patterns[ln, v]:
                for k in range(n):
                    out[ln, k] &= veto_bits[v, k]
    return out


@numba.njit(cache=True)
def back_to_back_patterns(
    exists, p4, e_cms, bg_off, bg_p4, bg_e_cms, beta, e_low, e_high, dphi, theta_sum
):  # pragma: no cover - compiled
    """(V, N): events with a pair of clusters both above e_low[v] in the CM frame, one above
    e_high[v], |Δφ| (folded to 0–360°) in dphi[v] and θ1 + θ2 in theta_sum[v] (radians),
    angles in the CM frame (frame moving with `beta`): the ECL 3D Bhabha veto / selection
    patterns. Signal clusters slot-major (exists (k, N), lab p4 (k, N, 4), e_cms (k, N));
    background clusters event-major (bg_off (N + 1,), bg_p4 (M, 4), bg_e_cms (M,)). Only
    clusters above the lowest e_low are boosted, once, and paired."""
    k, n = exists.shape
    n_pat = e_low.shape[0]
    out = np.zeros((n_pat, n), np.bool_)
    if n_pat == 0:
        return out
    cut = e_low.min()
    two_pi = 2.0 * math.pi
    bx, by, bz = -beta[0], -beta[1], -beta[2]
    b2 = bx * bx + by * by + bz * bz
    gamma = 1.0 / math.sqrt(1.0 - b2)
    coef0 = (gamma - 1.0) / b2 if b2 > 0.0 else 0.0
    size = k + 64
    th = np.empty(size)
    ph = np.empty(size)
    ee = np.empty(size)
    # candidates per event, counted slot by slot (contiguous reads); only events with two or
    # more are looked at one by one
    count = np.zeros(n, np.int64)
    for c in range(k):
        for e in range(n):
            count[e] += exists[c, e] & (e_cms[c, e] > cut)
    for e in range(n):
        for i in range(bg_off[e], bg_off[e + 1]):
            count[e] += bg_e_cms[i] > cut
    for e in range(n):
        if count[e] < 2:
            continue
        m = 0
        for c in range(k + bg_off[e + 1] - bg_off[e]):
            if c < k:
                if not (exists[c, e] and e_cms[c, e] > cut):
                    continue
                px, py, pz, en = p4[c, e, 0], p4[c, e, 1], p4[c, e, 2], p4[c, e, 3]
                ec = e_cms[c, e]
            else:
                i = bg_off[e] + c - k
                if not bg_e_cms[i] > cut:
                    continue
                px, py, pz, en = bg_p4[i, 0], bg_p4[i, 1], bg_p4[i, 2], bg_p4[i, 3]
                ec = bg_e_cms[i]
            if m >= size:
                break
            qx, qy, qz, _ = _boost_one(px, py, pz, en, bx, by, bz, b2, gamma, coef0)
            q = math.sqrt(qx * qx + qy * qy + qz * qz)
            th[m] = math.acos(min(max(qz / q, -1.0), 1.0)) if q > 0.0 else 0.0
            ph[m] = math.atan2(qy, qx)
            ee[m] = ec
            m += 1
        for i in range(m):
            for j in range(i + 1, m):
                d = abs(ph[i] - ph[j]) % two_pi
                s = th[i] + th[j]
                for v in range(n_pat):
                    if not (ee[i] > e_low[v] and ee[j] > e_low[v]):
                        continue
                    if not (ee[i] > e_high[v] or ee[j] > e_high[v]):
                        continue
                    if dphi[v, 0] <= d <= dphi[v, 1] and theta_sum[v, 0] <= s <= theta_sum[v, 1]:
                        out[v, e] = True
    return out


@numba.njit(cache=True)
def merge_positions(sig_event, bg_offsets):  # pragma: no cover - compiled
    """Where signal objects (sorted by event) and background objects (event-major offsets,
    (N + 1,)) go in one list sorted by event, each event's signal objects first: (signal
    positions, background positions, background event indices)."""
    n = bg_offsets.shape[0] - 1
    n_sig, n_bg = sig_event.shape[0], bg_offsets[n]
    sig_pos = np.empty(n_sig, np.int64)
    bg_pos = np.empty(n_bg, np.int64)
    bg_ev = np.empty(n_bg, np.int64)
    j = 0
    out = 0
    for k in range(n):
        while j < n_sig and sig_event[j] == k:
            sig_pos[j] = out
            out += 1
            j += 1
        for i in range(bg_offsets[k], bg_offsets[k + 1]):
            bg_pos[i] = out
            bg_ev[i] = k
            out += 1
    return sig_pos, bg_pos, bg_ev


@numba.njit(cache=True)
def interleave(sig, bg, sig_event, bg_offsets, out):  # pragma: no cover - compiled
    """One field of the merged object list (merge_positions' order) in one sequential pass:
    each event's signal objects (`sig`, sorted by `sig_event`), then its background objects
    (`bg`, event-major with offsets (N + 1,)), into `out`."""
    n = bg_offsets.shape[0] - 1
    n_sig = sig.shape[0]
    j = 0
    o = 0
    for k in range(n):
        while j < n_sig and sig_event[j] == k:
            out[o] = sig[j]
            o += 1
            j += 1
        for i in range(bg_offsets[k], bg_offsets[k + 1]):
            out[o] = bg[i]
            o += 1


@numba.njit(cache=True)
def interleave_value(sig, value, sig_event, bg_offsets, out):  # pragma: no cover - compiled
    """interleave with every background object's field equal to `value` (e.g. NaN for a
    field background objects lack), without an array of it."""
    n = bg_offsets.shape[0] - 1
    n_sig = sig.shape[0]
    j = 0
    o = 0
    for k in range(n):
        while j < n_sig and sig_event[j] == k:
            out[o] = sig[j]
            o += 1
            j += 1
        for _ in range(bg_offsets[k], bg_offsets[k + 1]):
            out[o] = value
            o += 1


@numba.njit(cache=True)
def interleave_events(sig_event, bg_offsets, out):  # pragma: no cover - compiled
    """The `event` field of the merged list (interleave's order): each object's event index."""
    n = bg_offsets.shape[0] - 1
    n_sig = sig_event.shape[0]
    j = 0
    o = 0
    for k in range(n):
        while j < n_sig and sig_event[j] == k:
            out[o] = k
            o += 1
            j += 1
        for _ in range(bg_offsets[k], bg_offsets[k + 1]):
            out[o] = k
            o += 1


@numba.njit(cache=True)
def scatter_merge(sig, bg, sig_pos, bg_pos, out):  # pragma: no cover - compiled
    """interleave with the positions of merge_positions, computed once for all fields: two
    branch-free scatters (the signal objects, then the background objects, any strides)."""
    for j in range(sig.shape[0]):
        out[sig_pos[j]] = sig[j]
    for i in range(bg.shape[0]):
        out[bg_pos[i]] = bg[i]


@numba.njit(cache=True)
def scatter_merge_value(sig, value, sig_pos, out):  # pragma: no cover - compiled
    """interleave_value with the positions of merge_positions: `value` everywhere (a
    streaming fill), then the signal objects scattered to their places."""
    for o in range(out.shape[0]):
        out[o] = value
    for j in range(sig.shape[0]):
        out[sig_pos[j]] = sig[j]
