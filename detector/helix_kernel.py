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
        pt = math.hypot(px, py)
        if pt <= 0.0:
            d0[k] = math.hypot(x, y)
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
        dc = math.hypot(cx, cy)
        phi0 = s * (psi0 - math.atan2(cy, cx))
        rmax = dc + rad
        r0 = math.hypot(x, y)
        for j in range(radii.shape[0]):
            r = radii[j]
            if rmax <= r:
                break  # radii increase: no later layer is reached either
            if r0 >= r:
                continue
            a = _alpha_to_radius(r, dc, rad, phi0)
            if a < 0.0:
                continue
            cot = (z + dzda * a) / r
            if cot < cot_lo or cot > cot_hi:
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
    energy = np.full(n, np.nan)
    pos = np.full((n, 3), np.nan)
    exists = np.zeros(n, np.bool_)
    for k in range(n):
        if not reached[k]:
            continue
        e = deposit[k]
        ee = max(e, 1e-6)
        sig_e = math.sqrt((noise / ee) ** 2 + (stoch / ee**0.25) ** 2 + const * const)
        er = e * (1.0 + sig_e * g_e[k])
        if er <= threshold:
            continue
        eff = plateau if turn_on <= 0.0 else plateau * (1.0 - math.exp(-max(e, 0.0) / turn_on))
        if u_eff[k] >= eff:
            continue
        x, y, z = impact[k, 0], impact[k, 1], impact[k, 2]
        rho = math.hypot(x, y)
        r = math.sqrt(rho * rho + z * z)
        sp = pos_a + pos_b / math.sqrt(ee) + pos_c / ee**0.25
        th = math.atan2(rho, z) + g_theta[k] * sp / r
        ph = math.atan2(y, x) + g_phi[k] * sp / rho
        inside = False
        for j in range(regions.shape[0]):
            if regions[j, 0] <= th <= regions[j, 1]:
                inside = True
        if not inside:
            continue
        st = math.sin(th)
        pos[k, 0] = r * st * math.cos(ph)
        pos[k, 1] = r * st * math.sin(ph)
        pos[k, 2] = r * math.cos(th)
        energy[k] = er
        exists[k] = True
    return energy, pos, exists
