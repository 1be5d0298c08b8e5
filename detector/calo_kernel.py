"""Compiled (numba, cached) calorimeter kernels over event columns: ray exits, cluster
smearing, merging and the cluster four-momenta.

The physics is that of calorimeter.py, which documents it and its sources. Loops run over the
events of one calorimeter slot at a time and are written without early exits, so that the
compiler turns them into SIMD code; the rare deposit smeared by a large angle takes an exact
scalar path (atan2, sin, cos). Division by zero gives inf/NaN here (error_model="numpy"): those
lanes are masked out, never raised.
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: Smearing angles below this use the series of _sincos_small (truncation < 1e-21).
SMALL_ANGLE = 0.125
#: Deposits per tile of smear_deposits (its ~17 columns stay in cache between its passes).
CALO_TILE = 2048


@numba.njit(cache=True, error_model="numpy")
def ray_exit(ox, oy, oz, dx, dy, dz, radius, z_bwd, z_fwd, x, y, z, inside):  # pragma: no cover
    """geometry.hit_cylinder over columns (N,): writes where the rays from (ox, oy, oz) along
    (dx, dy, dz) leave the cylinder r < radius, z_bwd < z < z_fwd into x, y, z, and whether
    they start inside it into `inside`. s = min(barrel root, end-cap plane) along the unit ray.
    """
    r2 = radius * radius
    for k in range(ox.shape[0]):
        norm = math.sqrt(dx[k] * dx[k] + dy[k] * dy[k] + dz[k] * dz[k])
        ux, uy, uz = dx[k] / norm, dy[k] / norm, dz[k] / norm
        a = ux * ux + uy * uy
        b = ox[k] * ux + oy[k] * uy
        c = ox[k] * ox[k] + oy[k] * oy[k] - r2
        inside[k] = (c < 0.0) & (oz[k] > z_bwd) & (oz[k] < z_fwd)
        s_barrel = (-b + math.sqrt(max(b * b - a * c, 0.0))) / a
        s_barrel = s_barrel if a > 0.0 else math.inf
        plane = z_fwd if uz >= 0.0 else z_bwd
        s_plane = (plane - oz[k]) / uz
        s_plane = s_plane if uz != 0.0 else math.inf
        s = min(s_barrel, s_plane)
        x[k] = ox[k] + s * ux
        y[k] = oy[k] + s * uy
        z[k] = oz[k] + s * uz


@numba.njit(cache=True, inline="always")
def _sincos_small(d):  # pragma: no cover - compiled
    """(sin d, cos d) for |d| < SMALL_ANGLE from their Taylor series (truncation < 1e-21)."""
    d2 = d * d
    sn = d * (
        1.0
        - d2
        * (1.0 / 6.0)
        * (
            1.0
            - d2
            * (1.0 / 20.0)
            * (1.0 - d2 * (1.0 / 42.0) * (1.0 - d2 * (1.0 / 72.0) * (1.0 - d2 * (1.0 / 110.0))))
        )
    )
    cs = 1.0 - d2 * 0.5 * (
        1.0
        - d2
        * (1.0 / 12.0)
        * (1.0 - d2 * (1.0 / 30.0) * (1.0 - d2 * (1.0 / 56.0) * (1.0 - d2 * (1.0 / 90.0))))
    )
    return sn, cs


#: Columns of the per-region parameter table (calorimeter._region_table).
P_NOISE, P_STOCH, P_CONST, P_POS_A, P_POS_B, P_POS_C, P_THRESH, P_ALPHA, P_N, P_SAMPL = range(10)
N_PARAMS = 10


@numba.njit(cache=True, inline="always")
def relative_sigma(params, j, e):  # pragma: no cover - compiled
    """σ_E/E of region j at energy e: noise/E ⊕ stochastic/E^{1/4} ⊕ sampling/√E ⊕ constant
    (config.quadrature_resolution on the `params` table)."""
    ee = max(e, 1e-6)
    inv_s1 = 1.0 / math.sqrt(ee)
    return math.sqrt(
        params[j, P_NOISE] ** 2 * (inv_s1 * inv_s1) ** 2
        + params[j, P_STOCH] ** 2 * inv_s1
        + params[j, P_SAMPL] ** 2 * (inv_s1 * inv_s1)
        + params[j, P_CONST] ** 2
    )


@numba.njit(cache=True, inline="always")
def position_sigma(params, j, e):  # pragma: no cover - compiled
    """Cluster position resolution (mm) of region j at energy e: a + b/√E + c/E^{1/4}
    (CalorimeterSettings.position_sigma on the `params` table)."""
    ee = max(e, 1e-6)
    inv_s1 = 1.0 / math.sqrt(ee)
    return params[j, P_POS_A] + params[j, P_POS_B] * inv_s1 + params[j, P_POS_C] * math.sqrt(inv_s1)


@numba.njit(cache=True, inline="always")
def absorb(energy, x, y, z, exists, owner, i, j, k):  # pragma: no cover - compiled
    """Merge cluster j of event k into cluster i (slot-major (kc, N) columns, in place):
    energies add, the position is energy-weighted, slots held by j pass to i, and j is
    emptied (NaN, not existing). The merge step of merge_slots and
    showershape.merge_showers."""
    ei, ej = energy[i, k], energy[j, k]
    tot = ei + ej
    x[i, k] = (ei * x[i, k] + ej * x[j, k]) / tot
    y[i, k] = (ei * y[i, k] + ej * y[j, k]) / tot
    z[i, k] = (ei * z[i, k] + ej * z[j, k]) / tot
    energy[i, k] = tot
    for s in range(owner.shape[0]):
        if owner[s, k] == j:
            owner[s, k] = i
    exists[j, k] = False
    energy[j, k] = math.nan
    x[j, k] = math.nan
    y[j, k] = math.nan
    z[j, k] = math.nan


@numba.njit(cache=True, inline="always")
def _ndtri(p):  # pragma: no cover - compiled
    """Inverse of the standard normal CDF (P. J. Acklam's rational approximation, relative
    error < 1.15e-9; the algorithm as published on his web page "An algorithm for computing
    the inverse normal cumulative distribution function", 2003)."""
    a0, a1, a2 = -3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02
    a3, a4, a5 = 1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00
    b0, b1, b2 = -5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02
    b3, b4 = 6.680131188771972e01, -1.328068155288572e01
    c0, c1, c2 = -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00
    c3, c4, c5 = -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00
    d0, d1 = 7.784695709041462e-03, 3.224671290700398e-01
    d2, d3 = 2.445134137142996e00, 3.754408661907416e00
    p_low = 0.02425
    if p < p_low:
        q = math.sqrt(-2.0 * math.log(p))
        return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / (
            (((d0 * q + d1) * q + d2) * q + d3) * q + 1.0
        )
    if p > 1.0 - p_low:
        q = math.sqrt(-2.0 * math.log(1.0 - p))
        return -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / (
            (((d0 * q + d1) * q + d2) * q + d3) * q + 1.0
        )
    q = p - 0.5
    r = q * q
    return (
        (((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5)
        * q
        / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1.0)
    )


@numba.njit(cache=True, inline="always")
def crystal_ball_constants(alpha, n):  # pragma: no cover - compiled
    """(p_tail, total, Φ(−α), A, B) of the standard Crystal Ball with parameters α, n (see
    crystal_ball_quantile): computed once per region, not per deposit."""
    sqrt2 = math.sqrt(2.0)
    e_a = math.exp(-0.5 * alpha * alpha)
    tail = n / alpha / (n - 1.0) * e_a
    phi_ma = 0.5 * math.erfc(alpha / sqrt2)  # Φ(−α)
    total = tail + math.sqrt(2.0 * math.pi) * (1.0 - phi_ma)
    return tail / total, total, phi_ma, (n / alpha) ** n * e_a, n / alpha - alpha


@numba.njit(cache=True, inline="always")
def crystal_ball_from_constants(g, alpha, n, p_tail, total, phi_ma, a_n, b):
    # pragma: no cover - compiled
    """crystal_ball_quantile with the constants of crystal_ball_constants."""
    if alpha <= 0.0:
        return g
    u = 0.5 * math.erfc(-g / math.sqrt(2.0))
    if u < p_tail:
        return b - (u * total * (n - 1.0) / a_n) ** (1.0 / (1.0 - n))
    pc = phi_ma + (u - p_tail) * total / math.sqrt(2.0 * math.pi)
    return _ndtri(min(max(pc, 1e-300), 1.0 - 1e-16))


@numba.njit(cache=True, inline="always")
def crystal_ball_quantile(g, alpha, n):  # pragma: no cover - compiled
    """The standard Crystal Ball variate (low-side power-law tail; J. E. Gaiser, SLAC-R-255
    (1982), appendix F) with the same CDF value as the standard normal variate g: x =
    F_CB⁻¹(Φ(g)). Density ∝ exp(−x²/2) for x > −α, A (B − x)^(−n) below, A = (n/α)^n e^{−α²/2},
    B = n/α − α. α <= 0 returns g (Gaussian)."""
    if alpha <= 0.0:
        return g
    p_tail, total, phi_ma, a_n, b = crystal_ball_constants(alpha, n)
    return crystal_ball_from_constants(g, alpha, n, p_tail, total, phi_ma, a_n, b)


@numba.njit(cache=True)
def _crystal_ball_table(params):  # pragma: no cover - compiled
    """crystal_ball_constants of each region (M, 5) (zeros where the region is Gaussian)."""
    out = np.zeros((params.shape[0], 5))
    for j in range(params.shape[0]):
        if params[j, P_ALPHA] > 0.0:
            c = crystal_ball_constants(params[j, P_ALPHA], params[j, P_N])
            for q in range(5):
                out[j, q] = c[q]
    return out


@numba.njit(cache=True, inline="always")
def region_of(cos_theta, cos_regions):  # pragma: no cover - compiled
    """Index of the region holding the polar angle of cos θ, the nearest one (in cos θ) in a
    gap; `cos_regions` (M, 2) = (cos θ_lo, cos θ_hi) (decreasing)."""
    best, best_d = 0, math.inf
    for j in range(cos_regions.shape[0]):
        d = max(cos_theta - cos_regions[j, 0], 0.0) + max(cos_regions[j, 1] - cos_theta, 0.0)
        if d < best_d:
            best, best_d = j, d
    return best


@numba.njit(cache=True)
def smear_deposits(
    e,
    x,
    y,
    z,
    g_theta,
    g_phi,
    g_e,
    u,
    eff,
    reached,
    params,
    regions,
    out_e,
    out_x,
    out_y,
    out_z,
    exists,
):  # pragma: no cover - compiled
    """Clusters from deposits `e` (N,) at impacts (x, y, z) on the front face (calorimeter.py).

    The region (M, 2) (θ_lo, θ_hi) is the one holding the impact's polar angle seen from the
    IP (the nearest one in a gap); `params` (M, N_PARAMS) holds its terms (P_* columns).
    Energy: e·(1 + σ_E/E·x), σ_E/E = noise/E ⊕ stochastic/E^{1/4} ⊕ sampling/√E ⊕ constant
    (Belle ECL form, plus the 1/√E term BESIII quotes), x the Crystal Ball quantile of g_e
    (Gaussian if the region's α = 0); a cluster needs
    E_reco > the region's threshold, u < eff (`eff`: ε(E) per deposit) and a `reached` impact.
    Position: the impact direction seen from the IP turned by δθ = g_θ·σ/r and δφ = g_φ·σ/ρ,
    σ = a + b/√E + c/E^{1/4} mm; the cluster exists only if the smeared θ lies in one of the
    regions. Writes energy, position (NaN where no cluster) and exists. Runs in tiles of CALO_TILE
    deposits (_smear_block), so that its second pass finds the columns in cache.
    """
    n = e.shape[0]
    cos_regions = np.cos(regions)
    cb = _crystal_ball_table(params)
    for t0 in range(0, n, CALO_TILE):
        t = slice(t0, min(t0 + CALO_TILE, n))
        _smear_block(
            e[t],
            x[t],
            y[t],
            z[t],
            g_theta[t],
            g_phi[t],
            g_e[t],
            u[t],
            eff[t],
            reached[t],
            params,
            regions,
            cos_regions,
            cb,
            out_e[t],
            out_x[t],
            out_y[t],
            out_z[t],
            exists[t],
        )


@numba.njit(cache=True, error_model="numpy")
def _smear_block(
    e,
    x,
    y,
    z,
    g_theta,
    g_phi,
    g_e,
    u,
    eff,
    reached,
    params,
    regions,
    cos_regions,
    cb,
    out_e,
    out_x,
    out_y,
    out_z,
    exists,
):  # pragma: no cover - compiled
    """smear_deposits on one tile of deposits (the columns of the tile); `cos_regions` and
    `cb` (the regions' Crystal Ball constants) are computed once by the caller."""
    n = e.shape[0]
    nan = math.nan
    # first pass: the small-angle rotation assumed; deposits that cannot make a cluster
    # whatever their smeared energy (impact not reached, or the efficiency draw fails) skip
    # the Crystal Ball quantile (erfc, inverse normal) and come out NaN as before
    for k in range(n):
        if not (reached[k] and u[k] < eff[k]):
            exists[k] = False
            continue
        rho2 = x[k] * x[k] + y[k] * y[k]
        rho = math.sqrt(rho2)
        r = math.sqrt(rho2 + z[k] * z[k])
        j = region_of(z[k] / r, cos_regions)
        sig_e = relative_sigma(params, j, e[k])
        xe = crystal_ball_from_constants(
            g_e[k], params[j, P_ALPHA], params[j, P_N],
            cb[j, 0], cb[j, 1], cb[j, 2], cb[j, 3], cb[j, 4],
        )  # fmt: skip
        er = e[k] * (1.0 + sig_e * xe)
        inv_rho = 1.0 / rho
        inv_r = 1.0 / r
        sp = position_sigma(params, j, e[k])
        d_th = g_theta[k] * sp * inv_r
        d_ph = g_phi[k] * sp * inv_rho
        s_t, c_t = _sincos_small(d_th)
        s_p, c_p = _sincos_small(d_ph)
        s0, c0 = rho * inv_r, z[k] * inv_r
        st = s0 * c_t + c0 * s_t
        ct = c0 * c_t - s0 * s_t
        cu, cv = x[k] * inv_rho, y[k] * inv_rho
        fast = (abs(d_th) < SMALL_ANGLE) & (abs(d_ph) < SMALL_ANGLE) & (rho > 0.0) & (st > 0.0)
        seen = reached[k] & (er > params[j, P_THRESH]) & (u[k] < eff[k])
        # exists: provisional (acceptance and the exact path follow in the scalar pass)
        exists[k] = seen
        out_e[k] = er if fast else -math.inf  # -inf marks the lanes of the exact path
        out_x[k] = r * st * (cu * c_p - cv * s_p)
        out_y[k] = r * st * (cv * c_p + cu * s_p)
        out_z[k] = r * ct
    # scalar pass: polar-angle acceptance, the exact path for large angles, NaN where none
    for k in range(n):
        if exists[k] and out_e[k] == -math.inf:
            ok, er, px, py, pz = _smear_exact(
                e[k], x[k], y[k], z[k], g_theta[k], g_phi[k], g_e[k], params, regions
            )
            exists[k] = ok
            out_e[k], out_x[k], out_y[k], out_z[k] = er, px, py, pz
        elif exists[k]:
            ct = out_z[k] / math.sqrt(out_x[k] ** 2 + out_y[k] ** 2 + out_z[k] ** 2)
            inside = False
            for j in range(cos_regions.shape[0]):
                if cos_regions[j, 1] <= ct <= cos_regions[j, 0]:
                    inside = True
            exists[k] = inside
        if not exists[k]:
            out_e[k], out_x[k], out_y[k], out_z[k] = nan, nan, nan, nan


@numba.njit(cache=True)
def _smear_exact(e, x, y, z, g_theta, g_phi, g_e, params, regions):  # pragma: no cover
    """smear_deposits for one deposit with angles from atan2 (any smearing angle)."""
    rho = math.sqrt(x * x + y * y)
    r = math.sqrt(rho * rho + z * z)
    j = region_of(z / r, np.cos(regions))
    sig_e = relative_sigma(params, j, e)
    er = e * (1.0 + sig_e * crystal_ball_quantile(g_e, params[j, P_ALPHA], params[j, P_N]))
    sp = position_sigma(params, j, e)
    th = math.atan2(rho, z) + g_theta * sp / r
    ph = math.atan2(y, x) + g_phi * sp / rho if rho > 0.0 else math.atan2(y, x)
    inside = False
    for jj in range(regions.shape[0]):
        if regions[jj, 0] <= th <= regions[jj, 1]:
            inside = True
    inside = inside and er > params[j, P_THRESH]
    st = math.sin(th)
    return inside, er, r * st * math.cos(ph), r * st * math.sin(ph), r * math.cos(th)


@numba.njit(cache=True)
def merge_slots(energy, x, y, z, exists, owner, distance):  # pragma: no cover - compiled
    """calorimeter.merge_clusters on slot-major columns (k, N), in place.

    Per event, pairs of slots in template order: a later cluster closer than `distance` to an
    earlier one is absorbed (energies add, energy-weighted position); `owner` (k, N) is set to
    the slot whose cluster holds each slot's deposit.
    """
    kc, n = energy.shape
    for k in range(n):
        for i in range(kc):
            owner[i, k] = i
        if distance <= 0.0:
            continue
        for i in range(kc):
            for j in range(i + 1, kc):
                if not (exists[i, k] and exists[j, k]):
                    continue
                d0 = x[i, k] - x[j, k]
                d1 = y[i, k] - y[j, k]
                d2 = z[i, k] - z[j, k]
                if not (math.sqrt(d0 * d0 + d1 * d1 + d2 * d2) < distance):
                    continue
                absorb(energy, x, y, z, exists, owner, i, j, k)


@numba.njit(cache=True, error_model="numpy")
def cluster_momenta(energy, x, y, z, beta, p4, rho, e_cms):  # pragma: no cover - compiled
    """calorimeter.cluster_p4 for slot-major columns (k, N) into p4 (k, N, 4), with the
    transverse distance ρ (k, N) and the energy in the frame moving with `beta`
    (variables.cms_energy: γ (E − β·p)) (k, N). NaN where there is no cluster."""
    bx, by, bz = beta[0], beta[1], beta[2]
    gamma = 1.0 / math.sqrt(1.0 - (bx * bx + by * by + bz * bz))
    kc, n = energy.shape
    for c in range(kc):
        for k in range(n):
            e = energy[c, k]
            r2 = x[c, k] ** 2 + y[c, k] ** 2
            sc = e / math.sqrt(r2 + z[c, k] ** 2)
            qx, qy, qz = x[c, k] * sc, y[c, k] * sc, z[c, k] * sc
            p4[c, k, 0] = qx
            p4[c, k, 1] = qy
            p4[c, k, 2] = qz
            p4[c, k, 3] = e
            rho[c, k] = math.sqrt(r2)
            e_cms[c, k] = gamma * (e - (bx * qx + by * qy + bz * qz))
