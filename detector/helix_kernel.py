"""Compiled (numba, cached) helix kernels over all tracks of one template slot.

The same mathematics as helix.py (which documents it and its sources; tests/test_helix_kernel.py
holds the two against each other), written as passes over the tracks that the compiler turns
into SIMD code so that the detector keeps up with the generator: the circles, the layer
crossings on the way out (layer by layer), the perigee (d0, z0, direction at the POCA) and the
impact point on the calorimeter front face, then the track response (finding and smearing).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numba
import numpy as np

from .helix import K_FIELD

TWO_PI = 2.0 * math.pi
#: Tracks per tile of _layer_pass (its working set, ~16 columns of doubles, in L1/L2).
LAYER_TILE = 1024


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
def _cos_sin(x):
    """(cos x, sin x): Taylor polynomials for |x| ≤ 0.5 (errors < 3e-10, the common small
    smearing angle, no libm call), libm beyond."""
    if abs(x) > 0.5:
        return math.cos(x), math.sin(x)
    x2 = x * x
    c = 1.0 - x2 / 2.0 * (1.0 - x2 / 12.0 * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0)))
    s = x * (1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0 * (1.0 - x2 / 72.0))))
    return c, s


@numba.njit(cache=True, inline="always")
def ms_correlations(p, beta, sin_t, first, r1, b_d0, b_z0, ms_ph, ms_tl, s_d0, s_ph, s_z0, s_tl):
    """Correlation coefficients (ρ(d0, φ0), ρ(z0, tanλ)) at the production point: the
    multiple-scattering parts of σ_d0 and σ_φ0 (σ_z0 and σ_tanλ) come from the same angle θ
    taken at a lever arm s from the production point, d0 = +s·θ, z0 = −s·tanλ-kick (a thin
    scatterer: fully correlated displacement and angle; PDG Review "Passage of particles
    through matter", sec. 34.3, where a scatterer of finite thickness gives ρ = √3/2), so
    cov = (MS part of σ_d0)·(MS part of σ_φ0) and ρ = cov/(σ_d0 σ_φ0); the measurement terms
    (a) are taken as uncorrelated."""
    pb = max(p * beta, 1e-6)
    root = math.sqrt(sin_t)
    lever = first / r1
    ms_d0 = b_d0 / (pb * sin_t * root) * lever
    ms_z0 = b_z0 / (pb * sin_t * sin_t * root) * lever
    rho_dp = ms_d0 * ms_ph / max(s_d0 * s_ph, 1e-300)
    rho_zt = -ms_z0 * ms_tl / max(s_z0 * s_tl, 1e-300)
    return min(rho_dp, 1.0), max(rho_zt, -1.0)


@numba.njit(cache=True, inline="always")
def impact_sigmas(p, beta, sin_t, first, sigma_point, r1, res1, a_d0, b_d0, a_z0, b_z0):
    """(σ_d0, σ_z0) in mm of a track whose first hit is at radius `first` (formula in
    tracking.py's docstring): a·σ_point/σ₁ ⊕ b/(pβ sin^{3/2}θ)·first/r₁, sin^{5/2}θ for z0."""
    lever = first / r1
    scale = sigma_point / res1
    pb = max(p * beta, 1e-6)
    root = math.sqrt(sin_t)
    s_d0 = _hypot(a_d0 * scale, b_d0 / (pb * sin_t * root) * lever)
    s_z0 = _hypot(a_z0 * scale, b_z0 / (pb * sin_t * sin_t * root) * lever)
    return s_d0, s_z0


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


@numba.njit(cache=True, error_model="numpy")
def _circles(x0, p3, s, kq, geo):  # pragma: no cover - compiled
    """Per track, vectorised: the helix circle (helix.py) and the quantities of the layer
    pass, as rows of `geo` (14, N): rad, ux, uy, dzda, cx, cy, dc, rmax, r0, rpi2, inv_2r,
    inv_c, ssq, zscale. rpi2 is the squared radius after half a turn (the point opposite the
    start): layers up to it are first reached at a turning angle α ≤ π."""
    for k in range(x0.shape[0]):
        px, py, pz = p3[k, 0], p3[k, 1], p3[k, 2]
        x, y, z = x0[k, 0], x0[k, 1], x0[k, 2]
        pt = _hypot(px, py)
        rad = pt / kq
        ux, uy = px / pt, py / pt
        dzda = rad * pz / pt
        cx = x + s * rad * uy
        cy = y - s * rad * ux
        dc = _hypot(cx, cy)
        hx, hy = 2.0 * cx - x, 2.0 * cy - y
        geo[0, k] = rad
        geo[1, k] = ux
        geo[2, k] = uy
        geo[3, k] = dzda
        geo[4, k] = cx
        geo[5, k] = cy
        geo[6, k] = dc
        geo[7, k] = dc + rad
        geo[8, k] = _hypot(x, y)
        geo[9, k] = hx * hx + hy * hy
        geo[10, k] = 0.5 / rad
        geo[11, k] = 1.0 / (2.0 * rad * dc) if dc > 0.0 else 0.0
        geo[12, k] = dc * dc + rad * rad
        geo[13, k] = abs(z) + 4.0 * abs(dzda)


@numba.njit(cache=True, error_model="numpy")
def _layer_pass(
    z, geo, phi0, radii, weights, res, cot_lo, cot_hi, n_silicon, n_lay, n_si, first, last, sig
):  # pragma: no cover - compiled
    """Layers crossed on the way out (helix.py), layer by layer within tiles of LAYER_TILE
    tracks (_layer_block); `n_si` counts the crossings of the first `n_silicon` (silicon)
    layers.

    A layer of radius r (a cylinder whose ends are the cones cot θ = cot_lo, cot_hi seen from
    the IP) is hit if the helix reaches r with z/r inside the cones. For layers within half a
    turn, bounds on the turning angle (_alpha_bounds) decide most tracks in a vectorised pass;
    the rest take the exact angle (_alpha_to_radius) in a scalar pass."""
    n = z.shape[0]
    rad, dzda, dc, rmax, r0 = geo[0], geo[3], geo[6], geo[7], geo[8]
    rpi2, inv_2r, inv_c, ssq, zscale = geo[9], geo[10], geo[11], geo[12], geo[13]
    undecided = np.empty(min(n, LAYER_TILE), np.bool_)
    # tiles of tracks, all layers per tile: the ~16 columns the pass reads and writes stay in
    # the core's cache across the layers (each track still sees its layers in order)
    for t0 in range(0, n, LAYER_TILE):
        t = slice(t0, min(t0 + LAYER_TILE, n))
        _layer_block(
            z[t], rad[t], dzda[t], dc[t], rmax[t], r0[t], rpi2[t], inv_2r[t], inv_c[t], ssq[t],
            zscale[t], phi0[t], radii, weights, res, cot_lo, cot_hi, n_silicon, n_lay[t],
            n_si[t], first[t], last[t], sig[t], undecided,
        )  # fmt: skip


@numba.njit(cache=True, error_model="numpy")
def _layer_block(
    z, rad, dzda, dc, rmax, r0, rpi2, inv_2r, inv_c, ssq, zscale, phi0, radii, weights, res,
    cot_lo, cot_hi, n_silicon, n_lay, n_si, first, last, sig, undecided,
):  # pragma: no cover - compiled  # fmt: skip
    """_layer_pass on one tile of tracks (columns of the tile; `undecided`: scratch)."""
    n = z.shape[0]
    for j in range(radii.shape[0]):
        r, w, sj = radii[j], weights[j], res[j]
        wsi = 1 if j < n_silicon else 0
        zlo, zhi = r * cot_lo, r * cot_hi
        for k in range(n):
            reach = (rmax[k] > r) & (r0[k] < r)
            c = (r * r - ssq[k]) * inv_c[k]
            bounded = (r * r <= rpi2[k]) & (dc[k] > 0.0) & (c > -1.0 + 1e-9) & (c < 1.0 - 1e-9)
            lo, hi = _alpha_bounds((r - r0[k]) * inv_2r[k], (r + r0[k]) * inv_2r[k])
            za = z[k] + dzda[k] * lo
            zb = z[k] + dzda[k] * hi
            za, zb = min(za, zb), max(za, zb)
            tol = 1e-9 * (zscale[k] + abs(zlo) + abs(zhi)) + 1e-6 * abs(dzda[k])
            inside = (za > zlo + tol) & (zb < zhi - tol)
            outside = (zb < zlo - tol) | (za > zhi + tol)
            decided = bounded & (inside | outside)
            hit = reach & decided & inside
            undecided[k] = reach & ~decided
            n_lay[k] += w if hit else 0
            n_si[k] += wsi if hit else 0
            new = hit & (first[k] == math.inf)
            sig[k] = sj if new else sig[k]
            first[k] = r if new else first[k]
            last[k] = r if hit else last[k]
        for k in range(n):
            if not undecided[k]:
                continue
            a = _alpha_to_radius(r, dc[k], rad[k], phi0[k])
            if a < 0.0:
                continue
            cot = (z[k] + dzda[k] * a) / r
            if cot < cot_lo or cot > cot_hi:
                continue
            n_lay[k] += w
            n_si[k] += wsi
            if first[k] == math.inf:
                first[k] = r
                sig[k] = sj
            last[k] = r


def helix_kernel(
    x0: np.ndarray,
    p3: np.ndarray,
    charge: float,
    field: float,
    radii: np.ndarray,
    weights: np.ndarray,
    res: np.ndarray,
    cot_lo: float,
    cot_hi: float,
    r_cal: float,
    z_bwd: float,
    z_fwd: float,
) -> tuple[np.ndarray, ...]:
    """Per track: (n_layers, first, last, sigma_first, d0, z0, ux, uy at POCA, impact (3),
    reached). Tracks with pT = 0 cross no layer; their perigee is the production point.
    Compiled passes over all tracks; the two arctangents per track run in numpy (SIMD)."""
    out = _helix_core(
        x0, p3, charge, field, radii, weights, res, cot_lo, cot_hi, r_cal, z_bwd, z_fwd, 0
    )
    return out[:10]


def _helix_core(
    x0, p3, charge, field, radii, weights, res, cot_lo, cot_hi, r_cal, z_bwd, z_fwd, n_silicon
):
    """helix_kernel, also returning the silicon layers crossed (11th entry)."""
    n = x0.shape[0]
    s = 1.0 if charge * field > 0 else -1.0
    geo = np.empty((14, n))
    _circles(x0, p3, s, K_FIELD * abs(charge) * field, geo)
    psi0 = np.arctan2(x0[:, 1] - geo[5], x0[:, 0] - geo[4])
    phi0 = s * (psi0 - np.arctan2(geo[5], geo[4]))
    n_lay = np.zeros(n, np.int64)
    n_si = np.zeros(n, np.int64)
    first = np.full(n, np.inf)
    last = np.zeros(n)
    sig = np.full(n, np.inf)
    z = np.ascontiguousarray(x0[:, 2])
    _layer_pass(
        z, geo, phi0, radii, weights, res, cot_lo, cot_hi, n_silicon, n_lay, n_si, first, last,
        sig,
    )  # fmt: skip
    d0, z0, uxp, uyp, impact, reached = _perigee(
        x0, geo, psi0, phi0, s, r_cal, z_bwd, z_fwd, n_lay, first, last, sig
    )
    return n_lay, first, last, sig, d0, z0, uxp, uyp, impact, reached, n_si


def _perigee(x0, geo, psi0, phi0, s, r_cal, z_bwd, z_fwd, n_lay, first, last, sig):
    """Perigee and calorimeter impact of circles already computed by _circles."""
    with np.errstate(invalid="ignore"):  # NaN: the circle does not reach r_cal
        a_cal = np.arccos((r_cal * r_cal - geo[12]) * geo[11])  # _alpha_to_radius's angle
    return _perigee_and_impact(
        x0, geo, psi0, phi0, a_cal, s, r_cal, z_bwd, z_fwd, n_lay, first, last, sig
    )


@numba.njit(cache=True, error_model="numpy")
def _perigee_and_impact(
    x0, geo, psi0, phi0, a_cal, s, r_cal, z_bwd, z_fwd, n_lay, first, last, sig
):  # pragma: no cover - compiled
    """Per track: perigee (d0, z0, direction at the POCA) and the calorimeter impact
    (helix.py); tracks with pT = 0 have no layers and their start point as perigee.

    Vectorised pass for the common case (circle centre off the beam line): the POCA is the
    point of the circle towards the IP, ψ = β + π with β = atan2(cy, cx), so the direction is
    s·(−cy, cx)/dc and d0 = s·(dc − R); the barrel is reached at ψ = β ± s·a with
    cos a = (r² − dc² − R²)/(2R·dc) (`a_cal` = a, NaN where the circle does not reach r_cal;
    the sign is that of the smaller turning angle, as _alpha_to_radius), so the impact needs
    no sin or cos. End-cap impacts and the degenerate tracks take a scalar pass."""
    n = x0.shape[0]
    d0 = np.empty(n)
    z0 = np.empty(n)
    uxp = np.empty(n)
    uyp = np.empty(n)
    impact = np.empty((n, 3))
    reached = np.empty(n, np.bool_)
    scalar = np.empty(n, np.bool_)
    nan = math.nan
    for k in range(n):
        zk = x0[k, 2]
        rad, dzda, cx, cy, dc = geo[0, k], geo[3, k], geo[4, k], geo[5, k], geo[6, k]
        a = _mod2pi(phi0[k] - math.pi)
        a = a - TWO_PI if a > math.pi else a
        inv_dc = 1.0 / dc
        cb, sb = cx * inv_dc, cy * inv_dc
        uxp[k] = -s * sb
        uyp[k] = s * cb
        d0[k] = s * (dc - rad)
        z0[k] = zk + dzda * a
        start_inside = (geo[8, k] < r_cal) & (z_bwd < zk) & (zk < z_fwd)
        ac = a_cal[k]
        a1 = _mod2pi(phi0[k] - ac)
        a2 = _mod2pi(phi0[k] + ac)
        ab = min(a1, a2)
        t = s * ac if a1 <= a2 else -s * ac  # ψ − β at the crossing
        zb = zk + dzda * ab
        barrel = (geo[7, k] > r_cal) & (ac == ac) & (z_bwd < zb) & (zb < z_fwd)
        c = (r_cal * r_cal - geo[12, k]) * geo[11, k]
        sin_t = math.sqrt(max(1.0 - c * c, 0.0))
        sin_t = sin_t if t >= 0.0 else -sin_t
        cpsi = cb * c - sb * sin_t
        spsi = sb * c + cb * sin_t
        impact[k, 0] = cx + rad * cpsi
        impact[k, 1] = cy + rad * spsi
        impact[k, 2] = zb
        ok = start_inside & barrel
        reached[k] = ok
        scalar[k] = (not (rad > 0.0)) | (not (dc > 0.0)) | (start_inside & ~barrel)
        if not ok:
            impact[k, 0] = nan
            impact[k, 1] = nan
            impact[k, 2] = nan
    for k in range(n):
        if not scalar[k]:
            continue
        x, y, zk = x0[k, 0], x0[k, 1], x0[k, 2]
        rad, dzda, cx, cy, dc = geo[0, k], geo[3, k], geo[4, k], geo[5, k], geo[6, k]
        if not (rad > 0.0 and dc > 0.0):  # redo the calorimeter from scratch
            reached[k] = False
            impact[k, 0] = impact[k, 1] = impact[k, 2] = nan
        if not rad > 0.0:
            n_lay[k] = 0
            first[k] = math.inf
            last[k] = 0.0
            sig[k] = math.inf
            d0[k] = _hypot(x, y)
            z0[k] = zk
            uxp[k] = 0.0
            uyp[k] = 0.0
            continue
        if not dc > 0.0:
            a = _mod2pi(phi0[k] - math.pi)
            if a > math.pi:
                a -= TWO_PI
            psi = psi0[k] - s * a
            px_ = cx + rad * math.cos(psi)
            py_ = cy + rad * math.sin(psi)
            vx, vy = s * math.sin(psi), -s * math.cos(psi)
            d0[k] = px_ * vy - py_ * vx
            z0[k] = zk + dzda * a
            uxp[k] = vx
            uyp[k] = vy
            if not (geo[8, k] < r_cal and z_bwd < zk < z_fwd):
                continue
            ab = _alpha_to_radius(r_cal, dc, rad, phi0[k]) if geo[7, k] > r_cal else -1.0
            zb = zk + dzda * ab
            if ab >= 0.0 and z_bwd < zb < z_fwd:
                psi = psi0[k] - s * ab
                impact[k, 0] = cx + rad * math.cos(psi)
                impact[k, 1] = cy + rad * math.sin(psi)
                impact[k, 2] = zb
                reached[k] = True
                continue
        if dzda != 0.0:  # the end cap it moves towards
            plane = z_fwd if dzda > 0.0 else z_bwd
            psi = psi0[k] - s * (plane - zk) / dzda
            impact[k, 0] = cx + rad * math.cos(psi)
            impact[k, 1] = cy + rad * math.sin(psi)
            impact[k, 2] = plane
            reached[k] = True
    return d0, z0, uxp, uyp, impact, reached


def track_kernel(
    x0: np.ndarray,
    p4: np.ndarray,
    charge: float,
    field: float,
    radii: np.ndarray,
    weights: np.ndarray,
    res: np.ndarray,
    cot_lo: float,
    cot_hi: float,
    r_cal: float,
    z_bwd: float,
    z_fwd: float,
    n_silicon: int,
    u_found: np.ndarray,
    g: np.ndarray,
    mass: float,
    resp: np.ndarray,
    hits: np.ndarray,
    table_eff: np.ndarray | None,
    d0_factor: Callable[[np.ndarray], np.ndarray] | None,
    found: np.ndarray,
    out: np.ndarray,
    kinematics: np.ndarray,
    helix: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The track response of tracking.track_response: the true helix through the layers
    (hits, calorimeter impact of the particle), finding, the smeared helix at the production
    point and, propagated from there, its perigee at the IP and its calorimeter impact.

    `resp` = (min_pt, pt_turn_on, efficiency, a_pt, b_pt, a_d0, b_d0, a_z0, b_z0, a_φ0, b_φ0,
    a_tanλ, b_tanλ, 1 if the pT term b is b/β else 0); `hits` = (min_silicon_hits,
    min_drift_hits, full_drift_hits);
    `table_eff` (N,) the per-track ε(r) at the production radius of the "table" and "impact"
    models (None: the "layers" model's plateau and ramp); `d0_factor` the "impact" model's
    factor on it, a function of the true helix's d0 (TrackingSettings.impact_factor; None:
    no factor); `u_found` (N,) and `g` (5, N) the random numbers. Written in place: `found` (N,),
    the four-momenta at the POCA `out` (N, 4), `kinematics` (5, N) = (pT, p, cos θ, cos φ,
    sin φ) and `helix` (14, N) = (d0, φ0, ω, z0, tanλ at the IP perigee, their σ, then
    cov(d0, φ0), cov(d0, ω), cov(φ0, ω), cov(z0, tanλ): perigee_covariance), NaN where not
    found."""
    n_lay, first, last, sig, d0_true, _z0, _ux, _uy, impact, reached, n_si = _helix_core(
        x0, p4[:, :3], charge, field, radii, weights, res, cot_lo, cot_hi, r_cal, z_bwd, z_fwd,
        n_silicon,
    )  # fmt: skip
    if d0_factor is not None:
        table_eff = table_eff * d0_factor(d0_true)
    n = x0.shape[0]
    pt = np.sqrt(p4[:, 0] ** 2 + p4[:, 1] ** 2)
    turn_on = -np.expm1(-np.maximum(pt - resp[0], 0.0) / resp[1])  # tracking.finding_efficiency
    eff = resp[2] * turn_on if table_eff is None else table_eff * turn_on
    x_ref = np.empty((n, 3))
    p_ref = np.empty((n, 4))
    local = np.empty((n, 7))
    _smear(
        p4, x0, radii, res, u_found, g, eff, table_eff is None, mass, resp, hits, n_lay, n_si,
        first, last, sig, found, x_ref, p_ref, local,
    )  # fmt: skip
    # the smeared helix, from its point at the production vertex to the IP and the calorimeter
    # (every track is smeared; those not found are set to NaN at the end)
    s = 1.0 if charge * field > 0 else -1.0
    geo = np.empty((14, n))
    xr, p3 = x_ref, p_ref[:, :3]
    _circles(xr, p3, s, K_FIELD * abs(charge) * field, geo)
    psi0 = np.arctan2(xr[:, 1] - geo[5], xr[:, 0] - geo[4])
    phi0 = s * (psi0 - np.arctan2(geo[5], geo[4]))
    d0, z0, uxp, uyp, impact_reco, reached_reco = _perigee(
        xr, geo, psi0, phi0, s, r_cal, z_bwd, z_fwd, n_lay.copy(), first.copy(), last.copy(),
        sig.copy(),
    )  # fmt: skip
    omega_true = np.sign(charge) * K_FIELD * abs(charge) * field  # ω·pT (basf2 Helix sign)
    _perigee_response(
        xr, p_ref, d0, z0, uxp, uyp, local, found, mass, omega_true, out, kinematics, helix
    )
    return (found, out, p_ref, helix[0], helix[3], n_lay, n_si, first, sig, impact, reached,
            impact_reco, reached_reco, x_ref, local)  # fmt: skip


@numba.njit(cache=True, error_model="numpy")
def _smear(
    p4, x0, radii, res, u_found, g, eff, layer_model, mass, resp, hits, n_lay, n_si, first,
    last, sig, found, x_ref, p_ref, local,
):  # pragma: no cover - compiled  # fmt: skip
    """Finding and the smeared helix at the production point (tracking.py docstring), per
    track, vectorised: every lane computed (NaN for the tracks not found comes later, in
    _perigee_response). `local` (N, 5)
    gets the σ of (d0, φ0, ω/ω, z0, tanλ) at the production point."""
    n = p4.shape[0]
    a_pt, b_pt, a_d0, b_d0, a_z0, b_z0 = resp[3], resp[4], resp[5], resp[6], resp[7], resp[8]
    a_ph, b_ph, a_tl, b_tl, over_beta = resp[9], resp[10], resp[11], resp[12], resp[13]
    min_si, min_dc, full_dc = hits[0], hits[1], hits[2]
    span = full_dc - min_dc + 1
    full = radii[-1] - radii[0]
    r1, res1 = radii[0], res[0]
    m2 = mass * mass
    for k in range(n):
        px, py, pz, e = p4[k, 0], p4[k, 1], p4[k, 2], p4[k, 3]
        pt = _hypot(px, py)
        p = math.sqrt(pt * pt + pz * pz)
        beta = p / e
        n_dc = n_lay[k] - n_si[k]
        ramp = min(max((n_dc - min_dc + 1) / span, 0.0), 1.0) if layer_model else 1.0
        ok = (n_si[k] >= min_si) & (n_dc >= min_dc) & (u_found[k] < eff[k] * ramp) & (pt > 0)
        found[k] = ok
        f = first[k] if first[k] < math.inf else 0.0
        lever = full / max(last[k] - f, 0.05 * full)  # measured lever arm L0/L
        b_term = b_pt / beta if over_beta > 0.5 else b_pt
        rel = math.sqrt((a_pt * pt * lever * lever) ** 2 + b_term**2)
        ptc = max(pt, 1e-9)
        sin_t = ptc / max(p, 1e-9)
        r0 = _hypot(x0[k, 0], x0[k, 1])
        sp = sig[k] if sig[k] < math.inf else res1  # no layer crossed: never found anyway
        s_d0, s_z0 = impact_sigmas(
            p, beta, sin_t, max(f - r0, 0.0), sp, r1, res1, a_d0, b_d0, a_z0, b_z0
        )
        pb = max(p * beta, 1e-6)
        root = math.sqrt(sin_t)
        ms_ph = b_ph / (pb * sin_t * root)  # multiple-scattering parts of σ_φ0, σ_tanλ
        ms_tl = b_tl / (pb * sin_t * sin_t * root)
        s_ph = _hypot(a_ph * lever, ms_ph)
        s_tl = _hypot(a_tl * lever, ms_tl)
        # the same scattering angle moves d0 and φ0 (z0 and tanλ): MS parts fully correlated
        rho_dp, rho_zt = ms_correlations(
            p, beta, sin_t, max(f - r0, 0.0), r1, b_d0, b_z0, ms_ph, ms_tl, s_d0, s_ph, s_z0, s_tl
        )
        ux, uy = px / ptc, py / ptc
        g_d, g_z = g[0, k], g[3, k]
        d = s_d0 * g_d
        g_p = rho_dp * g_d + math.sqrt(max(1.0 - rho_dp * rho_dp, 0.0)) * g[1, k]
        g_t = rho_zt * g_z + math.sqrt(max(1.0 - rho_zt * rho_zt, 0.0)) * g[4, k]
        cd, sd = _cos_sin(s_ph * g_p)  # φ0 smeared: the direction rotated by δφ
        ptr = ptc / max(1.0 + rel * g[2, k], 0.05)  # ω smeared: ω' = ω (1 + σ_ω/ω · g)
        tl = pz / ptc + s_tl * g_t
        qx, qy, qz = ptr * (ux * cd - uy * sd), ptr * (uy * cd + ux * sd), ptr * tl
        x_ref[k, 0] = x0[k, 0] + d * uy  # d0 > 0: origin to the left
        x_ref[k, 1] = x0[k, 1] - d * ux
        x_ref[k, 2] = x0[k, 2] + s_z0 * g_z
        p_ref[k, 0] = qx
        p_ref[k, 1] = qy
        p_ref[k, 2] = qz
        p_ref[k, 3] = math.sqrt(qx * qx + qy * qy + qz * qz + m2)
        local[k, 0] = s_d0
        local[k, 1] = s_ph
        local[k, 2] = rel
        local[k, 3] = s_z0
        local[k, 4] = s_tl
        local[k, 5] = rho_dp
        local[k, 6] = rho_zt


@numba.njit(cache=True, inline="always")
def perigee_covariance(s_d0, s_ph, s_om, s_z0, s_tl, rho_dp, rho_zt, arc):
    """The helix covariance at the IP perigee from the one at the production point (σ of
    d0, φ0, ω, z0, tanλ and ρ(d0, φ0), ρ(z0, tanλ)) transported over the transverse arc L
    from the perigee to the production point (negative for a track moving towards the IP):
    C' = J C Jᵀ with the straight-line-plus-curvature Jacobian d0' = d0 + L φ0 + L²/2 ω,
    φ0' = φ0 + L ω, z0' = z0 − L tanλ (a helix expanded to second order in L·ω; Billoir,
    NIM 225 (1984) 352; Frühwirth & Strandlie, "Pattern Recognition, Tracking and Vertex
    Reconstruction in Particle Detectors", Springer 2021, ch. 4). Returns (σ_d0, σ_φ0, σ_ω,
    σ_z0, σ_tanλ, cov(d0, φ0), cov(d0, ω), cov(φ0, ω), cov(z0, tanλ)); the transverse and
    longitudinal projections stay uncorrelated (every other element is 0; the coupling
    through the smeared arc length, correlations up to ~0.15 for tracks born some 100 mm
    from the IP, tests/test_tracking_vertexing.py, is neglected)."""
    c_dp = rho_dp * s_d0 * s_ph
    c_zt = rho_zt * s_z0 * s_tl
    om2 = s_om * s_om
    half = 0.5 * arc * arc
    v_d0 = s_d0 * s_d0 + arc * arc * s_ph * s_ph + half * half * om2 + 2.0 * arc * c_dp
    v_ph = s_ph * s_ph + arc * arc * om2
    v_z0 = s_z0 * s_z0 + arc * arc * s_tl * s_tl - 2.0 * arc * c_zt
    return (
        math.sqrt(max(v_d0, 0.0)),
        math.sqrt(v_ph),
        s_om,
        math.sqrt(max(v_z0, 0.0)),
        s_tl,
        c_dp + arc * s_ph * s_ph + arc * half * om2,
        half * om2,
        arc * om2,
        c_zt - arc * s_tl * s_tl,
    )


@numba.njit(cache=True, error_model="numpy")
def _perigee_response(
    xr, p_ref, d0, z0, uxp, uyp, local, found, mass, omega_pt, out, kinematics, helix
):  # pragma: no cover - compiled  # fmt: skip
    """Four-momenta at the IP perigee of the smeared helices and their five parameters with
    σ: the local σ at the production point transported over the transverse arc L from there
    to the perigee (straight-line Jacobian: d0 += L δφ0, φ0 += L δω, z0 −= L δtanλ). The
    smeared point and momentum at the production vertex (xr, p_ref) become NaN where the
    track is not found."""
    nan = math.nan
    m2 = mass * mass
    for k in range(xr.shape[0]):
        ok = found[k]
        pt = _hypot(p_ref[k, 0], p_ref[k, 1])
        qx, qy, qz = uxp[k] * pt, uyp[k] * pt, p_ref[k, 2]
        out[k, 0] = qx if ok else nan
        out[k, 1] = qy if ok else nan
        out[k, 2] = qz if ok else nan
        out[k, 3] = math.sqrt(pt * pt + qz * qz + m2) if ok else nan
        p = math.sqrt(pt * pt + qz * qz)
        kinematics[0, k] = pt if ok else nan
        kinematics[1, k] = p if ok else nan
        kinematics[2, k] = qz / p if ok else nan
        kinematics[3, k] = uxp[k] if ok else nan
        kinematics[4, k] = uyp[k] if ok else nan
        omega = omega_pt / pt
        r2 = xr[k, 0] ** 2 + xr[k, 1] ** 2
        arc = math.sqrt(max(r2 - d0[k] * d0[k], 0.0))
        if xr[k, 0] * p_ref[k, 0] + xr[k, 1] * p_ref[k, 1] < 0.0:
            arc = -arc  # moving towards the IP: the perigee lies ahead of the production point
        s_om = abs(omega) * local[k, 2]
        helix[0, k] = d0[k] if ok else nan
        helix[1, k] = math.atan2(uyp[k], uxp[k]) if ok else nan
        helix[2, k] = omega if ok else nan
        helix[3, k] = z0[k] if ok else nan
        helix[4, k] = qz / pt if ok else nan
        c = perigee_covariance(local[k, 0], local[k, 1], s_om, local[k, 3], local[k, 4],
                               local[k, 5], local[k, 6], arc)  # fmt: skip
        helix[5, k] = c[0] if ok else nan
        helix[6, k] = c[1] if ok else nan
        helix[7, k] = c[2] if ok else nan
        helix[8, k] = c[3] if ok else nan
        helix[9, k] = c[4] if ok else nan
        helix[10, k] = c[5] if ok else nan
        helix[11, k] = c[6] if ok else nan
        helix[12, k] = c[7] if ok else nan
        helix[13, k] = c[8] if ok else nan
        for j in range(3):
            xr[k, j] = xr[k, j] if ok else nan
        for j in range(4):
            p_ref[k, j] = p_ref[k, j] if ok else nan
