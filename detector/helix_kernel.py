"""Compiled (numba, cached) helix kernel: one pass per track over layers and calorimeter.

The same mathematics as helix.py (which documents it and its sources), fused into a loop over
tracks so that the detector keeps up with the generator: layer crossings on the way out, the
perigee (d0, z0, direction at the POCA) and the impact point on the calorimeter front face.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .helix import K_FIELD

TWO_PI = 2.0 * math.pi


@numba.njit(cache=True, inline="always")
def _hypot(a, b):
    return math.sqrt(a * a + b * b)


@numba.njit(cache=True, inline="always")
def _mod2pi(x):
    return x - TWO_PI * math.floor(x / TWO_PI)


@numba.njit(cache=True, inline="always")
def _alpha_to_radius(r, dc, rad, phi0):
    if dc <= 0.0 or rad <= 0.0:
        return -1.0
    c = (r * r - dc * dc - rad * rad) / (2.0 * rad * dc)
    if c < -1.0 or c > 1.0:
        return -1.0
    a = math.acos(c)
    a1 = _mod2pi(phi0 - a)
    a2 = _mod2pi(phi0 + a)
    return min(a1, a2)


@numba.njit(cache=True, inline="always")
def _alpha_bounds(x_lo, x_hi):
    """Bounds on α = 2·asin(x) for x in [x_lo, x_hi] (x = chord/2R, α ≤ π), without asin:
    the Taylor series of asin has positive coefficients that decrease from 3/40 on, so
    x + x³/6 ≤ asin x ≤ x + x³/6 + (3/40)·x⁵/(1 − x²)."""
    x_lo = max(x_lo, 0.0)
    lo = 2.0 * x_lo * (1.0 + x_lo * x_lo / 6.0)
    if x_hi >= 0.9:
        return lo, math.pi
    x2 = x_hi * x_hi
    hi = 2.0 * x_hi * (1.0 + x2 / 6.0 + 0.075 * x2 * x2 / (1.0 - x2))
    return lo, min(hi, math.pi)


@numba.njit(cache=True)
def helix_kernel(
    x0, p3, charge, field, radii, weights, res, cot_lo, cot_hi, r_cal, z_bwd, z_fwd
):  # pragma: no cover - compiled
    """Per track: (n_layers, first, last, sigma_first, d0, z0, ux, uy at POCA, impact (3),
    reached)."""
    n = x0.shape[0]
    n_lay = np.zeros(n, np.int64)
    first = np.full(n, np.inf)
    last = np.zeros(n)
    sig = np.full(n, np.inf)
    d0 = np.empty(n)
    z0 = np.empty(n)
    uxp = np.empty(n)
    uyp = np.empty(n)
    impact = np.full((n, 3), np.nan)
    reached = np.zeros(n, np.bool_)
    s = 1.0 if charge * field > 0 else -1.0
    kq = K_FIELD * abs(charge) * field
    for k in range(n):
        px, py, pz = p3[k, 0], p3[k, 1], p3[k, 2]
        x, y, z = x0[k, 0], x0[k, 1], x0[k, 2]
        pt = _hypot(px, py)
        if pt <= 0.0:
            d0[k] = _hypot(x, y)
            z0[k] = z
            uxp[k] = 0.0
            uyp[k] = 0.0
            continue
        rad = pt / kq
        ux, uy = px / pt, py / pt
        dzda = rad * pz / pt
        cx = x + s * rad * uy
        cy = y - s * rad * ux
        psi0 = math.atan2(y - cy, x - cx)
        dc = _hypot(cx, cy)
        phi0 = s * (psi0 - math.atan2(cy, cx))
        rmax = dc + rad
        r0 = _hypot(x, y)
        # radius reached after half a turn (the point opposite the start on the circle):
        # layers up to it are first reached at a turning angle α ≤ π, bounded by the chord
        # r − r0 ≤ 2R sin(α/2) ≤ r + r0 (see _alpha_bounds)
        hx, hy = 2.0 * cx - x, 2.0 * cy - y
        rpi2 = hx * hx + hy * hy
        inv_2r = 0.5 / rad
        inv_c = 1.0 / (2.0 * rad * dc) if dc > 0.0 else 0.0
        ssq = dc * dc + rad * rad
        zscale = abs(z) + 4.0 * abs(dzda)
        for j in range(radii.shape[0]):
            r = radii[j]
            if rmax <= r:
                break  # radii increase: no later layer is reached either
            if r0 >= r:
                continue
            decided = False
            hit = False
            if r * r <= rpi2 and dc > 0.0:
                c = (r * r - ssq) * inv_c
                if -1.0 + 1e-9 < c < 1.0 - 1e-9:
                    lo, hi = _alpha_bounds((r - r0) * inv_2r, (r + r0) * inv_2r)
                    za = z + dzda * lo
                    zb = z + dzda * hi
                    if za > zb:
                        za, zb = zb, za
                    zlo = r * cot_lo
                    zhi = r * cot_hi
                    tol = 1e-9 * (zscale + abs(zlo) + abs(zhi)) + 1e-6 * abs(dzda)
                    if za > zlo + tol and zb < zhi - tol:
                        decided = True
                        hit = True
                    elif zb < zlo - tol or za > zhi + tol:
                        decided = True
            if not decided:
                a = _alpha_to_radius(r, dc, rad, phi0)
                if a < 0.0:
                    continue
                cot = (z + dzda * a) / r
                hit = not (cot < cot_lo or cot > cot_hi)
            if not hit:
                continue
            n_lay[k] += weights[j]
            if not math.isfinite(first[k]):
                first[k] = r
                sig[k] = res[j]
            last[k] = r
        # perigee: turning angle in (-pi, pi]
        a = _mod2pi(phi0 - math.pi)
        if a > math.pi:
            a -= TWO_PI
        if dc > 0.0:
            # the POCA is the point of the circle towards the IP: ψ = atan2(cy, cx) + π, so
            # (cos ψ, sin ψ) = −(cx, cy)/dc and d0 = s·(dc − R) without sin/cos
            vx, vy = -s * cy / dc, s * cx / dc
            d0[k] = s * (dc - rad)
        else:
            psi = psi0 - s * a
            px_ = cx + rad * math.cos(psi)
            py_ = cy + rad * math.sin(psi)
            vx, vy = s * math.sin(psi), -s * math.cos(psi)
            d0[k] = px_ * vy - py_ * vx
        z0[k] = z + dzda * a
        uxp[k] = vx
        uyp[k] = vy
        # calorimeter
        if not (r0 < r_cal and z_bwd < z < z_fwd):
            continue
        ab = -1.0
        if rmax > r_cal:
            ab = _alpha_to_radius(r_cal, dc, rad, phi0)
        zb = z + dzda * ab
        if ab >= 0.0 and z_bwd < zb < z_fwd:
            psi = psi0 - s * ab
            impact[k, 0] = cx + rad * math.cos(psi)
            impact[k, 1] = cy + rad * math.sin(psi)
            impact[k, 2] = zb
            reached[k] = True
        elif dzda != 0.0:
            plane = z_fwd if dzda > 0.0 else z_bwd
            ae = (plane - z) / dzda
            psi = psi0 - s * ae
            impact[k, 0] = cx + rad * math.cos(psi)
            impact[k, 1] = cy + rad * math.sin(psi)
            impact[k, 2] = plane
            reached[k] = True
    return n_lay, first, last, sig, d0, z0, uxp, uyp, impact, reached


@numba.njit(cache=True)
def track_kernel(
    x0,
    p4,
    charge,
    field,
    radii,
    weights,
    res,
    cot_lo,
    cot_hi,
    r_cal,
    z_bwd,
    z_fwd,
    u_found,
    g,
    mass,
    resp,
    min_layers,
    full_layers,
):  # pragma: no cover - compiled
    """helix_kernel fused with the track response of tracking.track_response (finding,
    pT and impact-parameter smearing, four-momenta at the POCA and at the production point),
    one pass per track. `resp` = (min_pt, pt_turn_on, efficiency, a_pt, b_pt, a_d0, b_d0,
    a_z0, b_z0); `u_found` (N,) and `g` (3, N) are the random numbers of track_response."""
    n_lay, first, last, sig, d0, z0, uxp, uyp, impact, reached = helix_kernel(
        x0, p4[:, :3], charge, field, radii, weights, res, cot_lo, cot_hi, r_cal, z_bwd, z_fwd
    )
    n = x0.shape[0]
    found = np.empty(n, np.bool_)
    out = np.empty((n, 4))
    at_vertex = np.empty((n, 4))
    min_pt, turn_on_pt, plateau, a_pt, b_pt, a_d0, b_d0, a_z0, b_z0 = (
        resp[0],
        resp[1],
        resp[2],
        resp[3],
        resp[4],
        resp[5],
        resp[6],
        resp[7],
        resp[8],
    )
    span = full_layers - min_layers + 1
    full = radii[-1] - radii[0]
    r1, res1 = radii[0], res[0]
    m2 = mass * mass
    nan = np.nan
    for k in range(n):
        px, py, pz, e = p4[k, 0], p4[k, 1], p4[k, 2], p4[k, 3]
        pt = _hypot(px, py)
        p = math.sqrt(pt * pt + pz * pz)
        beta = p / e
        turn_on = -math.expm1(-max(pt - min_pt, 0.0) / turn_on_pt)
        layers = min(max((n_lay[k] - min_layers + 1) / span, 0.0), 1.0)
        eff = plateau * turn_on * layers
        ok = (n_lay[k] >= min_layers) and (u_found[k] < eff)
        found[k] = ok
        if not ok:
            for j in range(4):
                out[k, j] = nan
                at_vertex[k, j] = nan
            d0[k] = nan
            z0[k] = nan
            continue
        f = first[k] if math.isfinite(first[k]) else 0.0
        arm = max(last[k] - f, 0.05 * full)
        rel = math.sqrt((a_pt * pt * (full / arm) ** 2) ** 2 + (b_pt / beta) ** 2)
        scale = 1.0 + rel * g[0, k]
        qx = uxp[k] * pt * scale
        qy = uyp[k] * pt * scale
        qz = pz * scale
        out[k, 0] = qx
        out[k, 1] = qy
        out[k, 2] = qz
        out[k, 3] = math.sqrt(qx * qx + qy * qy + qz * qz + m2)
        vx, vy, vz = px * scale, py * scale, pz * scale
        at_vertex[k, 0] = vx
        at_vertex[k, 1] = vy
        at_vertex[k, 2] = vz
        at_vertex[k, 3] = math.sqrt(vx * vx + vy * vy + vz * vz + m2)
        # impact-parameter resolution (tracking.impact_sigmas)
        sin_t = pt / (p if p > 0 else 1.0)
        lever = first[k] / r1
        sc = sig[k] / res1
        pb = max(p * beta, 1e-6)
        s_d0 = _hypot(a_d0 * sc, b_d0 / (pb * sin_t**1.5) * lever)
        s_z0 = _hypot(a_z0 * sc, b_z0 / (pb * sin_t**2.5) * lever)
        d0[k] = d0[k] + s_d0 * g[1, k]
        z0[k] = z0[k] + s_z0 * g[2, k]
    return found, out, at_vertex, d0, z0, n_lay, first, sig, impact, reached


@numba.njit(cache=True)
def ray_kernel(origin, p3, radius, z_bwd, z_fwd):  # pragma: no cover - compiled
    """geometry.hit_cylinder over arrays: exit points (N, 3) and start-inside mask (N,)."""
    n = origin.shape[0]
    hit = np.empty((n, 3))
    inside = np.empty(n, np.bool_)
    r2 = radius * radius
    for k in range(n):
        dx, dy, dz = p3[k, 0], p3[k, 1], p3[k, 2]
        norm = math.sqrt(dx * dx + dy * dy + dz * dz)
        dx, dy, dz = dx / norm, dy / norm, dz / norm
        ox, oy, oz = origin[k, 0], origin[k, 1], origin[k, 2]
        a = dx * dx + dy * dy
        b = ox * dx + oy * dy
        c = ox * ox + oy * oy - r2
        inside[k] = (c < 0.0) and (oz > z_bwd) and (oz < z_fwd)
        s = math.inf
        if a > 0.0:
            s = (-b + math.sqrt(max(b * b - a * c, 0.0))) / a
        if dz != 0.0:
            plane = z_fwd if dz >= 0.0 else z_bwd
            s = min(s, (plane - oz) / dz)
        hit[k, 0] = ox + s * dx
        hit[k, 1] = oy + s * dy
        hit[k, 2] = oz + s * dz
    return hit, inside


@numba.njit(cache=True, inline="always")
def _cluster_one(
    e,
    x,
    y,
    z,
    g_theta,
    g_phi,
    g_e,
    u,
    noise,
    stoch,
    const,
    pos_a,
    pos_b,
    pos_c,
    threshold,
    plateau,
    turn_on,
    regions,
    regions_cos,
):  # pragma: no cover - compiled
    """One deposit at impact (x, y, z): (found, energy, position) as in cluster_kernel."""
    ee = max(e, 1e-6)
    q = math.sqrt(math.sqrt(ee))
    sig_e = math.sqrt((noise / ee) ** 2 + (stoch / q) ** 2 + const * const)
    er = e * (1.0 + sig_e * g_e)
    if er <= threshold:
        return False, er, 0.0, 0.0, 0.0
    eff = plateau if turn_on <= 0.0 else plateau * (1.0 - math.exp(-max(e, 0.0) / turn_on))
    if u >= eff:
        return False, er, 0.0, 0.0, 0.0
    rho = _hypot(x, y)
    r = math.sqrt(rho * rho + z * z)
    sp = pos_a + pos_b / math.sqrt(ee) + pos_c / q
    d_th = g_theta * sp / r
    d_ph = g_phi * sp / rho
    if abs(d_th) < 0.125 and abs(d_ph) < 0.125 and rho > 0.0:
        # rotate the impact direction by the small smearing angles (angle addition with
        # series for sin/cos of |δ| < 1/8, exact to rounding) instead of atan2, sin and cos
        s_t, c_t = _sincos_small(d_th)
        s0, c0 = rho / r, z / r
        st = s0 * c_t + c0 * s_t
        ct = c0 * c_t - s0 * s_t
        if st > 0.0:
            inside = False
            for j in range(regions_cos.shape[0]):
                if regions_cos[j, 1] <= ct <= regions_cos[j, 0]:
                    inside = True
            if not inside:
                return False, er, 0.0, 0.0, 0.0
            s_p, c_p = _sincos_small(d_ph)
            u, v = x / rho, y / rho
            return True, er, r * st * (u * c_p - v * s_p), r * st * (v * c_p + u * s_p), r * ct
    th = math.atan2(rho, z) + d_th
    ph = math.atan2(y, x) + d_ph
    inside = False
    for j in range(regions.shape[0]):
        if regions[j, 0] <= th <= regions[j, 1]:
            inside = True
    if not inside:
        return False, er, 0.0, 0.0, 0.0
    st = math.sin(th)
    return True, er, r * st * math.cos(ph), r * st * math.sin(ph), r * math.cos(th)


@numba.njit(cache=True, inline="always")
def _sincos_small(d):
    """(sin d, cos d) for |d| < 1/8 from their Taylor series (truncation < 1e-21)."""
    d2 = d * d
    sn = d * (
        1.0
        - d2 / 6.0 * (1.0 - d2 / 20.0 * (1.0 - d2 / 42.0 * (1.0 - d2 / 72.0 * (1.0 - d2 / 110.0))))
    )
    cs = 1.0 - d2 / 2.0 * (
        1.0 - d2 / 12.0 * (1.0 - d2 / 30.0 * (1.0 - d2 / 56.0 * (1.0 - d2 / 90.0)))
    )
    return sn, cs


@numba.njit(cache=True)
def cluster_kernel(
    deposit,
    impact,
    reached,
    g_theta,
    g_phi,
    g_e,
    u_eff,
    noise,
    stoch,
    const,
    pos_a,
    pos_b,
    pos_c,
    threshold,
    plateau,
    turn_on,
    regions,
):  # pragma: no cover - compiled
    """Smeared cluster energy and position and the cluster-found flag (calorimeter.py)."""
    n = deposit.shape[0]
    regions_cos = np.cos(regions)
    energy = np.full(n, np.nan)
    pos = np.full((n, 3), np.nan)
    exists = np.zeros(n, np.bool_)
    for k in range(n):
        if not reached[k]:
            continue
        ok, er, x, y, z = _cluster_one(
            deposit[k],
            impact[k, 0],
            impact[k, 1],
            impact[k, 2],
            g_theta[k],
            g_phi[k],
            g_e[k],
            u_eff[k],
            noise,
            stoch,
            const,
            pos_a,
            pos_b,
            pos_c,
            threshold,
            plateau,
            turn_on,
            regions,
            regions_cos,
        )
        if not ok:
            continue
        pos[k, 0] = x
        pos[k, 1] = y
        pos[k, 2] = z
        energy[k] = er
        exists[k] = True
    return energy, pos, exists


@numba.njit(cache=True)
def calo_kernel(
    p4,
    vertex,
    slots,
    photon,
    deposit,
    impact,
    reached,
    g,
    u,
    geo,
    params,
    regions,
    merging,
    cms_beta,
    reco,
    detected,
):  # pragma: no cover - compiled
    """All cluster slots of a block in one pass: photon impacts (ray_kernel: straight line
    from the vertex of template slot `slots[c]` of p4/vertex (N, P, 4)), charged impacts
    given (`impact` (N, k, 3), `reached` (N, k), `deposit` (N, k); photon columns unused),
    cluster smearing (cluster_kernel with g (k, 3, N) and u (k, N)), merging
    (calorimeter.merge_clusters) and the cluster four-momenta (calorimeter.cluster_p4).
    `geo` = (inner radius, z_backward, z_forward); `params` = (noise, stochastic, constant,
    position a, b, c, threshold, plateau, turn-on). Returns energy (N, k), position (N, k, 3),
    exists (N, k), owner (N, k), p4 (N, k, 4), and for the trigger and the objects the
    cluster θ and φ seen from the IP and the energy in the CM frame moving with `cms_beta`
    (variables.cms_energy), each (N, k) (NaN where no cluster). The four-momenta and found
    flags of the photon slots are also written into `reco` (N, P, 4) and `detected` (N, P)
    at their template slots."""
    n = p4.shape[0]
    kc = slots.shape[0]
    regions_cos = np.cos(regions)
    energy = np.full((n, kc), np.nan)
    pos = np.full((n, kc, 3), np.nan)
    exists = np.zeros((n, kc), np.bool_)
    owner = np.empty((n, kc), np.int64)
    out = np.empty((n, kc, 4))
    theta = np.empty((n, kc))
    phi = np.empty((n, kc))
    e_cms = np.empty((n, kc))
    bx, by, bz = cms_beta[0], cms_beta[1], cms_beta[2]
    gamma = 1.0 / math.sqrt(1.0 - (bx * bx + by * by + bz * bz))
    radius, z_bwd, z_fwd = geo[0], geo[1], geo[2]
    r2 = radius * radius
    noise, stoch, const, pos_a, pos_b, pos_c = (
        params[0],
        params[1],
        params[2],
        params[3],
        params[4],
        params[5],
    )
    threshold, plateau, turn_on = params[6], params[7], params[8]
    for k in range(n):
        for c in range(kc):
            owner[k, c] = c
            if photon[c]:
                i = slots[c]
                dx, dy, dz = p4[k, i, 0], p4[k, i, 1], p4[k, i, 2]
                norm = math.sqrt(dx * dx + dy * dy + dz * dz)
                dx, dy, dz = dx / norm, dy / norm, dz / norm
                ox, oy, oz = vertex[k, i, 0], vertex[k, i, 1], vertex[k, i, 2]
                a = dx * dx + dy * dy
                b = ox * dx + oy * dy
                cc = ox * ox + oy * oy - r2
                if not ((cc < 0.0) and (oz > z_bwd) and (oz < z_fwd)):
                    continue
                s = math.inf
                if a > 0.0:
                    s = (-b + math.sqrt(max(b * b - a * cc, 0.0))) / a
                if dz != 0.0:
                    plane = z_fwd if dz >= 0.0 else z_bwd
                    s = min(s, (plane - oz) / dz)
                x = ox + s * dx
                y = oy + s * dy
                z = oz + s * dz
                e = p4[k, i, 3]
            else:
                if not reached[k, c]:
                    continue
                x, y, z = impact[k, c, 0], impact[k, c, 1], impact[k, c, 2]
                e = deposit[k, c]
            ok, er, x, y, z = _cluster_one(
                e,
                x,
                y,
                z,
                g[c, 0, k],
                g[c, 1, k],
                g[c, 2, k],
                u[c, k],
                noise,
                stoch,
                const,
                pos_a,
                pos_b,
                pos_c,
                threshold,
                plateau,
                turn_on,
                regions,
                regions_cos,
            )
            if not ok:
                continue
            pos[k, c, 0] = x
            pos[k, c, 1] = y
            pos[k, c, 2] = z
            energy[k, c] = er
            exists[k, c] = True
        if merging > 0.0:
            for i in range(kc):
                for j in range(i + 1, kc):
                    if not (exists[k, i] and exists[k, j]):
                        continue
                    d0 = pos[k, i, 0] - pos[k, j, 0]
                    d1 = pos[k, i, 1] - pos[k, j, 1]
                    d2 = pos[k, i, 2] - pos[k, j, 2]
                    if not (math.sqrt(d0**2 + d1**2 + d2**2) < merging):
                        continue
                    ei, ej = energy[k, i], energy[k, j]
                    w = ei + ej
                    for m in range(3):
                        pos[k, i, m] = (ei * pos[k, i, m] + ej * pos[k, j, m]) / w
                    energy[k, i] = w
                    for jj in range(kc):
                        if owner[k, jj] == j:
                            owner[k, jj] = i
                    exists[k, j] = False
                    energy[k, j] = np.nan
                    for m in range(3):
                        pos[k, j, m] = np.nan
        for c in range(kc):
            e = energy[k, c]
            x, y, z = pos[k, c, 0], pos[k, c, 1], pos[k, c, 2]
            sc = e / math.sqrt(x**2 + y**2 + z**2)
            qx, qy, qz = x * sc, y * sc, z * sc
            out[k, c, 0] = qx
            out[k, c, 1] = qy
            out[k, c, 2] = qz
            out[k, c, 3] = e
            theta[k, c] = math.atan2(math.sqrt(x**2 + y**2), z)
            phi[k, c] = math.atan2(y, x)
            e_cms[k, c] = gamma * (e - (bx * qx + by * qy + bz * qz))
            if photon[c]:
                i = slots[c]
                reco[k, i, 0] = qx
                reco[k, i, 1] = qy
                reco[k, i, 2] = qz
                reco[k, i, 3] = e
                detected[k, i] = exists[k, c]
    return energy, pos, exists, owner, out, theta, phi, e_cms
