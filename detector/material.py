"""Material in front of the calorimeter: photon conversions, bremsstrahlung, multiple scattering.

The stage acts on the truth event record before the detector chain (runner.simulate_chunk), with
its own random stream, so that what it makes is then tracked and clustered like any particle:

- Photon conversions γ → e+e−: a photon crossing a layer of thickness t = x/X0 along its path
  converts there with probability 1 − exp(−7/9 t) (high-energy pair cross section
  σ = 7/9 A/(X0 N_A): Y.-S. Tsai, Rev. Mod. Phys. 46 (1974) 815; PDG Review "Passage of particles
  through matter", eq. 34.31 integrated). The electron takes the fraction x of the photon energy
  from the complete-screening Bethe–Heitler spectrum dσ/dx ∝ 1 − 4/3 x(1 − x) (PDG eq. 34.31),
  x ∈ [m_e/E, 1 − m_e/E]; the pair goes along the photon (opening angle ~ m_e/E neglected) from
  the crossing point. In the record the photon becomes status 2 with the e− and e+ as its
  status-1 daughters at the conversion vertex. Photons below 2 m_e do not convert. The asymptotic
  7/9 law overestimates conversions of soft photons (in light materials the pair cross section
  is well below its limit under ~100 MeV: PDG Review, same chapter, figure of the conversion
  probability versus photon energy): not corrected.
- Bremsstrahlung of e±: in each layer crossed the electron keeps the energy fraction u with the
  Bethe–Heitler density f(u) = (−ln u)^{c−1}/Γ(c), c = t/ln 2 (Bethe & Heitler, Proc. R. Soc.
  A146 (1934) 83; R. Frühwirth, Comput. Phys. Commun. 154 (2003) 131, eq. 1), i.e. −ln u is
  Gamma(c)-distributed and ⟨u⟩ = exp(−t). Gamma variates of one scale add, so the loss over all
  layers crossed is one draw with c = Σ t/ln 2. The radiated energy goes into one photon along
  the electron at a layer chosen with probability t_k/Σ t (its expected share of the loss;
  photons of several layers are collinear to within the track's bending between layers). The
  photon is a status-1 daughter of the electron; the electron keeps its slot, status and
  mother, and its four-momentum in the record becomes the one after the material (same
  direction, energy u·E, at least m_e), so the tracker measures the radiated momentum and the
  energy balances: E_before = E_after + E_γ (the photon leaves along the electron's direction
  at the emission point; the nucleus takes a recoil of O(m_e²/E)).
  Photons lighter than the card's `brems_min_energy` are not made (that electron keeps its
  energy). Second order in x/X0 and not simulated: conversion pairs do not radiate and
  bremsstrahlung photons do not convert.
- Multiple scattering: `highland_theta0` (PDG eq. 34.15) and `crossings` (per-layer traversed
  thickness of a helix or a straight line) for the tracking stage; the stage itself does not
  deflect tracks.

Only layers whose kind interacts (config.MATERIAL_KINDS: not "calorimeter_front") make
conversions and bremsstrahlung. Events whose photons convert or whose electrons radiate get a
template of their own: a block becomes several blocks of the same mode (the record's events are
then grouped by what happened in the material, in a fixed order: same seed, same events).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
import scipy.constants as sc
from numpy.typing import NDArray

from ..pdg import C_MM_PER_NS
from ..pdg import charge as pdg_charge
from ..pdg import mass as pdg_mass
from ..record import DECAYED, FINAL, Block, EventRecord, derived_block
from .config import DetectorSettings, MaterialLayer, MaterialSettings

Array = NDArray[np.float64]

#: GeV per (T mm): radius of curvature ρ = pT/(K q B), K = c · 1e-12 (c in m/s).
K_FIELD = sc.c * 1e-12
#: High-energy pair-production probability per radiation length: 7/9 (Tsai 1974; PDG eq. 34.31).
PAIR_FRACTION = 7.0 / 9.0
#: Highland scale 13.6 MeV and log coefficient 0.038 (PDG Review, "Passage of particles through
#: matter", eq. 34.15; Lynch & Dahl, NIM B58 (1991) 6).
HIGHLAND_SCALE, HIGHLAND_LOG = 0.0136, 0.038
ELECTRON, PHOTON = 11, 22
M_E = pdg_mass(ELECTRON)
#: Smallest cosine between direction and layer normal used for the path (grazing crossings).
MIN_COS = 1e-3


def highland_theta0(
    p: Array | float, beta: Array | float, x_over_x0: Array | float, charge: float = 1.0
) -> Array:
    """Plane-projected multiple-scattering angle θ0 (rad) after x/X0 of material:

    θ0 = 13.6 MeV/(β c p) |z| √(x/X0) [1 + 0.038 ln(x z²/(X0 β²))]
    (PDG Review "Passage of particles through matter", eq. 34.15; Highland, NIM 129 (1975) 497;
    Lynch & Dahl, NIM B58 (1991) 6), p in GeV. Accurate to 11 % for 1e-3 < x/X0 < 100; 0 where
    there is no material.
    """
    p, beta, x = (np.asarray(v, dtype=float) for v in (p, beta, x_over_x0))
    z2 = charge * charge
    with np.errstate(divide="ignore", invalid="ignore"):
        log = np.log(np.where(x > 0, x * z2 / (beta * beta), 1.0))
        theta = HIGHLAND_SCALE / (beta * p) * abs(charge) * np.sqrt(x) * (1.0 + HIGHLAND_LOG * log)
    return np.where(x > 0, theta, 0.0)


def conversion_probability(x_over_x0_path: Array | float) -> Array:
    """Probability that a high-energy photon converts in t radiation lengths: 1 − exp(−7/9 t)."""
    return -np.expm1(-PAIR_FRACTION * np.asarray(x_over_x0_path, dtype=float))


def sample_pair_fraction(rng: np.random.Generator, e_gamma: Array) -> Array:
    """Energy fraction x of the electron in γ → e+e−, complete-screening Bethe–Heitler spectrum
    dσ/dx ∝ 1 − 4/3 x(1 − x) (PDG eq. 34.31) on [m_e/E, 1 − m_e/E]; by rejection (acceptance
    ≥ 2/3)."""
    e_gamma = np.asarray(e_gamma, dtype=float)
    lo = np.minimum(M_E / e_gamma, 0.5)
    x = np.empty(e_gamma.shape)
    todo = np.arange(e_gamma.size)
    while todo.size:
        a = lo[todo]
        trial = a + (1.0 - 2.0 * a) * rng.random(todo.size)
        ok = rng.random(todo.size) < 1.0 - 4.0 / 3.0 * trial * (1.0 - trial)
        x[todo[ok]] = trial[ok]
        todo = todo[~ok]
    return x


def sample_brems_loss(rng: np.random.Generator, x_over_x0: Array) -> Array:
    """s = −ln u for thicknesses t (any shape): Gamma(t/ln 2)-distributed, so that the kept
    energy fraction u = exp(−s) follows the Bethe–Heitler density (−ln u)^{t/ln2 − 1}/Γ(t/ln 2)
    and ⟨u⟩ = 2^{−t/ln 2} = exp(−t). Zero where t = 0."""
    return rng.gamma(np.asarray(x_over_x0, dtype=float) / np.log(2.0))


@dataclass
class Crossings:
    """Where N particles cross each of L layers (outgoing, first crossing):

    `x0` (N, L) traversed thickness x/X0 over the cosine to the layer normal (0: not crossed),
    `position` (N, L, 3) mm, `direction` (N, L, 3) unit vector there, `path` (N, L) mm travelled
    from the production point."""

    x0: Array
    position: Array
    direction: Array
    path: Array


@nb.njit(cache=True)
def _cross(x0, y0, z0, px, py, pz, q, field, big_r, z_lo, z_hi, k_field):
    """First outgoing crossing of the cylinder r = big_r, z_lo < z < z_hi by a straight line
    (q = 0 or no field) or a helix from (x0, y0, z0) with momentum (px, py, pz).
    Returns (crossed, cosine to the normal, x, y, z, unit direction dx, dy, dz, path length)."""
    pt = np.hypot(px, py)
    p = np.sqrt(pt * pt + pz * pz)
    r0 = np.hypot(x0, y0)
    if big_r <= r0 + 1e-9 or pt <= 0.0:
        return False, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    ux, uy = px / pt, py / pt
    if q == 0.0 or field == 0.0:
        b = x0 * ux + y0 * uy
        st = -b + np.sqrt(b * b - (r0 * r0 - big_r * big_r))  # transverse distance
        x, y, z = x0 + st * ux, y0 + st * uy, z0 + st * pz / pt
        dx, dy, dz = px / p, py / p, pz / p
        s = st * p / pt
    else:
        rho = pt / (k_field * abs(q) * field)
        sgn = 1.0 if q * field > 0 else -1.0
        cx, cy = x0 + sgn * rho * uy, y0 - sgn * rho * ux
        dc = np.hypot(cx, cy)
        if dc <= 0.0:
            return False, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
        cosv = (big_r * big_r - dc * dc - rho * rho) / (2.0 * rho * dc)
        if cosv > 1.0 or cosv < -1.0:
            return False, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0  # never reaches big_r
        psi0 = np.arctan2(y0 - cy, x0 - cx)
        a = np.arccos(cosv)
        phi0 = sgn * (psi0 - np.arctan2(cy, cx))
        two_pi = 2.0 * np.pi
        al1, al2 = (phi0 - a) % two_pi, (phi0 + a) % two_pi
        alpha = al1 if al1 < al2 else al2
        psi = psi0 - sgn * alpha
        x, y = cx + rho * np.cos(psi), cy + rho * np.sin(psi)
        z = z0 + rho * pz / pt * alpha
        dx, dy, dz = sgn * np.sin(psi) * pt / p, -sgn * np.cos(psi) * pt / p, pz / p
        s = rho * alpha * p / pt
    if z < z_lo or z > z_hi:
        return False, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    cosn = max((x * dx + y * dy) / big_r, MIN_COS)
    return True, cosn, x, y, z, dx, dy, dz, s


@nb.njit(cache=True)
def _crossings_kernel(
    vtx, p3, q, field, radii, zlo, zhi, thick, k_field, out_t, out_pos, out_dir, out_s
):
    n, n_l = out_t.shape
    for i in range(n):
        for k in range(n_l):
            ok, cosn, x, y, z, dx, dy, dz, s = _cross(
                vtx[i, 0],
                vtx[i, 1],
                vtx[i, 2],
                p3[i, 0],
                p3[i, 1],
                p3[i, 2],
                q,
                field,
                radii[k],
                zlo[k],
                zhi[k],
                k_field,
            )
            out_t[i, k] = thick[k] / cosn if ok else 0.0
            out_pos[i, k, 0], out_pos[i, k, 1], out_pos[i, k, 2] = x, y, z
            out_dir[i, k, 0], out_dir[i, k, 1], out_dir[i, k, 2] = dx, dy, dz
            out_s[i, k] = s


@nb.njit(cache=True)
def _walk_kernel(
    vtx,
    p4,
    slots,
    q,
    field,
    radii,
    zlo,
    zhi,
    thick,
    k_field,
    thresh,
    relative,
    e_min,
    out_k,
    out_total,
    out_pos,
    out_dir,
    out_s,
):
    """For each particle, the layers it crosses in order of radius with traversed thickness
    t_k; picks the first layer at which the running sum Σ t reaches `thresh` (absolute, or
    `thresh` × the total when `relative`): its index (−1 if none), the total Σ t and the
    crossing point, direction and path length there. One pass, no (N, L) arrays. For
    straight lines with an absolute threshold the layers are skipped (total NaN) when an upper
    bound on Σ t is below the threshold.

    Particles are the columns `slots` of `vtx` and `p4` (N, P, 4), read in place; output row
    c·N + e holds event e of slot slots[c]. Particles with energy ≤ `e_min` are skipped."""
    n, n_l = p4.shape[0], radii.shape[0]
    ts = np.empty(n_l)
    straight = q == 0.0 or field == 0.0
    two_pi = 2.0 * np.pi
    sum_thick = thick.sum()
    for row in range(n * slots.shape[0]):
        c = row // n
        e = row - c * n
        j = slots[c]
        i = row
        out_k[i] = -1
        if p4[e, j, 3] <= e_min:
            out_total[i] = 0.0
            continue
        x0, y0, z0 = vtx[e, j, 0], vtx[e, j, 1], vtx[e, j, 2]
        px, py, pz = p4[e, j, 0], p4[e, j, 1], p4[e, j, 2]
        r02 = x0 * x0 + y0 * y0
        total = 0.0
        if straight:
            pt2 = px * px + py * py
            if pt2 <= 0.0:
                out_total[i] = 0.0
                continue
            p = np.sqrt(pt2 + pz * pz)
            if not relative:
                # upper bound on Σ t: on the outgoing branch of a line with transverse impact
                # parameter d, the cosine to the normal at radius r is sinθ·sqrt(1 − d²/r²),
                # smallest at the first layer outside the start; most photons convert nowhere
                k1 = 0
                while k1 < n_l and radii[k1] * radii[k1] <= r02 + 1e-9:
                    k1 += 1
                if k1 == n_l:
                    out_total[i] = 0.0
                    continue
                d2 = (x0 * py - y0 * px) ** 2 / pt2
                cos_min = np.sqrt(pt2 * max(1.0 - d2 / (radii[k1] * radii[k1]), 0.0)) / p
                if thresh[i] * max(cos_min, MIN_COS) > sum_thick:
                    out_total[i] = np.nan  # not needed: no conversion
                    continue
            b = (x0 * px + y0 * py) / pt2
            inv_pt2, inv_p = 1.0 / pt2, 1.0 / p
            for k in range(n_l):
                ts[k] = 0.0
                r = radii[k]
                if r * r <= r02 + 1e-9:
                    continue
                # x = x0 + a px with |x_T| = r: a = −b + sqrt(b² + (r² − r0²)/pT²)
                a = -b + np.sqrt(b * b + (r * r - r02) * inv_pt2)
                z = z0 + a * pz
                if z < zlo[k] or z > zhi[k]:
                    continue
                cosn = ((x0 + a * px) * px + (y0 + a * py) * py) * inv_p / r
                ts[k] = thick[k] / max(cosn, MIN_COS)
                total += ts[k]
        else:
            # helix: per particle the circle (centre distance dc, radius ρ) and the turning
            # angle to the apex φ0; per layer one arccos for the turning angle α (z check) and
            # the law of cosines in (IP, centre, crossing) for the angle to the normal:
            # cos γ = (r² + ρ² − dc²)/(2 r ρ), transverse cosine to the normal = sin γ
            pt = np.hypot(px, py)
            if pt <= 0.0:
                out_total[i] = 0.0
                continue
            p = np.sqrt(pt * pt + pz * pz)
            rho = pt / (k_field * abs(q) * field)
            sgn = 1.0 if q * field > 0 else -1.0
            cx, cy = x0 + sgn * rho * py / pt, y0 - sgn * rho * px / pt
            dc = np.hypot(cx, cy)
            if dc <= 0.0:
                out_total[i] = 0.0
                continue
            phi0 = (sgn * (np.arctan2(y0 - cy, x0 - cx) - np.arctan2(cy, cx))) % two_pi
            dz_da = rho * pz / pt
            c_v, inv_v = dc * dc + rho * rho, 0.5 / (rho * dc)
            c_g, inv_g = rho * rho - dc * dc, 0.5 / rho
            sin_t = pt / p
            for k in range(n_l):
                ts[k] = 0.0
                r = radii[k]
                r2 = r * r
                if r2 <= r02 + 1e-9:
                    continue
                cosv = (r2 - c_v) * inv_v
                if cosv > 1.0 or cosv < -1.0:
                    continue  # never reaches r
                a = np.arccos(cosv)  # in [0, π]; φ0 in [0, 2π): first α ≥ 0 with cos(φ0 − α) = cosv
                al1 = phi0 - a
                if al1 < 0.0:
                    al1 += two_pi
                al2 = phi0 + a
                if al2 >= two_pi:
                    al2 -= two_pi
                z = z0 + dz_da * (al1 if al1 < al2 else al2)
                if z < zlo[k] or z > zhi[k]:
                    continue
                cg = (r2 + c_g) * inv_g / r
                cosn = np.sqrt(max(1.0 - cg * cg, 0.0)) * sin_t
                ts[k] = thick[k] / max(cosn, MIN_COS)
                total += ts[k]
        out_total[i] = total
        target = thresh[i] * total if relative else thresh[i]
        if total <= 0.0 or target > total:
            continue
        run = 0.0
        for k in range(n_l):
            if ts[k] <= 0.0:
                continue
            run += ts[k]
            if run >= target:
                _ok, _cosn, x, y, z, dx, dy, dz, s = _cross(
                    x0, y0, z0, px, py, pz, q, field, radii[k], zlo[k], zhi[k], k_field
                )
                out_k[i] = k
                out_pos[i, 0], out_pos[i, 1], out_pos[i, 2] = x, y, z
                out_dir[i, 0], out_dir[i, 1], out_dir[i, 2] = dx, dy, dz
                out_s[i] = s
                break


def crossings(
    vertex: Array, p3: Array, charge: float, field: float, layers: tuple[MaterialLayer, ...]
) -> Crossings:
    """Layer crossings of particles from production points `vertex` (N, ≥3) with momenta `p3`
    (N, ≥3): straight lines for neutral particles, helices in the solenoid field `field` (T)
    otherwise (same parametrisation as detector/helix.py). A layer counts if the particle starts
    inside its radius and crosses it within its z range; the traversed thickness is x/X0 divided
    by the cosine between direction and the layer normal (1/sinθ from the IP). For multiple
    scattering: `highland_theta0(p, β, crossings(...).x0)` gives θ0 layer by layer."""
    n, n_l = vertex.shape[0], len(layers)
    radii = np.array([layer.radius for layer in layers], dtype=float)
    zlo = np.array([layer.z_range[0] for layer in layers], dtype=float)
    zhi = np.array([layer.z_range[1] for layer in layers], dtype=float)
    thick = np.array([layer.x_over_x0 for layer in layers], dtype=float)
    out = Crossings(
        np.empty((n, n_l)), np.zeros((n, n_l, 3)), np.zeros((n, n_l, 3)), np.zeros((n, n_l))
    )
    _crossings_kernel(
        np.ascontiguousarray(vertex[:, :3], dtype=float),
        np.ascontiguousarray(p3[:, :3], dtype=float),
        float(charge),
        float(field),
        radii,
        zlo,
        zhi,
        thick,
        K_FIELD,
        out.x0,
        out.position,
        out.direction,
        out.path,
    )
    return out


def _layer_arrays(layers: tuple[MaterialLayer, ...]) -> tuple[Array, Array, Array, Array]:
    radii = np.array([layer.radius for layer in layers], dtype=float)
    zlo = np.array([layer.z_range[0] for layer in layers], dtype=float)
    zhi = np.array([layer.z_range[1] for layer in layers], dtype=float)
    thick = np.array([layer.x_over_x0 for layer in layers], dtype=float)
    return radii, zlo, zhi, thick


def scattering_angles(
    vertex: Array, p4: Array, charge: float, field: float, layers: tuple[MaterialLayer, ...]
) -> tuple[Array, Array]:
    """Highland θ0 (rad) of charged particles in each layer they cross, (N, L), 0 where a layer
    is not crossed, and the traversed thickness x/X0 (N, L): from production points `vertex`
    (N, ≥3) and four-momenta `p4` (N, 4), in the solenoid field `field` (T). For the tracking
    stage's covariances. Note the PDG's caveat: the log term makes θ0 of several layers
    differ from the quadrature sum of per-layer θ0 (for the total, use the summed thickness)."""
    cr = crossings(vertex, p4[:, :3], charge, field, layers)
    p = np.linalg.norm(p4[:, :3], axis=1)
    beta = p / p4[:, 3]
    return highland_theta0(p[:, None], beta[:, None], cr.x0, charge), cr.x0


@dataclass
class _Walk:
    """Result of `_walk`: chosen layer (−1 none), Σ t over the layers crossed, and the crossing
    point, direction and path length at the chosen layer."""

    layer: NDArray[np.int64]
    total: Array
    position: Array
    direction: Array
    path: Array


def _walk(vertex, p4, charge, field, layers, thresh, relative: bool) -> _Walk:
    """`_walk_kernel` on particles given as (N, 4) arrays."""
    n = p4.shape[0]
    w = _Walk(np.empty(n, np.int64), np.empty(n), np.empty((n, 3)), np.empty((n, 3)), np.empty(n))
    _walk_kernel(
        vertex[:, None, :], p4[:, None, :], np.zeros(1, np.int64), float(charge), float(field),
        *_layer_arrays(layers), K_FIELD, np.ascontiguousarray(thresh, dtype=float), relative,
        -1.0, w.layer, w.total, w.position, w.direction, w.path,
    )  # fmt: skip
    return w


@dataclass
class _Conversions:
    """Conversions of one photon slot: the mask over events, and for the converted events
    (`index`, sorted) the e− and e+ four-momenta and the conversion vertex."""

    converted: NDArray[np.bool_]
    index: NDArray[np.intp]
    e_minus: Array
    e_plus: Array
    vertex: Array


def _convert(rng: np.random.Generator, blocks: list[Block], photons, layers, field: float):
    """Conversions of the photon columns `photons` ((block, slot) pairs), stacked slot after
    slot: (_Conversions over the stack, offsets of each column in it).

    One exponential variate per photon: the depth τ = E·9/7 (in X0, E ~ Exp(1)) at which it
    converts, P(τ < T) = 1 − exp(−7/9 T); it converts in the first layer where the traversed
    Σ t ≥ τ (the same law as layer-by-layer trials, with one random number). The kernel reads
    each block's arrays in place (no copies of the photon columns)."""
    sizes = [blocks[j].n_events for j, _ in photons]
    off = np.zeros(len(photons) + 1, dtype=np.int64)
    np.cumsum(sizes, out=off[1:])
    m = int(off[-1])
    tau = rng.standard_exponential(m) / PAIR_FRACTION
    w = _Walk(np.empty(m, np.int64), np.empty(m), np.empty((m, 3)), np.empty((m, 3)), np.empty(m))
    layer_arrays = _layer_arrays(layers)
    c = 0
    while c < len(photons):  # consecutive columns of one block in one call
        j = photons[c][0]
        d = c
        while d < len(photons) and photons[d][0] == j:
            d += 1
        a, b = off[c], off[d]
        slots = np.array([s for _, s in photons[c:d]], dtype=np.int64)
        _walk_kernel(
            blocks[j].vertex, blocks[j].p4, slots, 0.0, float(field), *layer_arrays, K_FIELD,
            tau[a:b], False, 2.0 * M_E, w.layer[a:b], w.total[a:b], w.position[a:b],
            w.direction[a:b], w.path[a:b],
        )  # fmt: skip
        c = d
    converted = w.layer >= 0
    idx = np.flatnonzero(converted)
    e_g, t0 = np.empty(idx.size), np.empty(idx.size)
    column = np.searchsorted(off, idx, side="right") - 1
    for col in np.unique(column):
        sel = column == col
        j, s = photons[col]
        rows = idx[sel] - off[col]
        e_g[sel] = blocks[j].p4[rows, s, 3]
        t0[sel] = blocks[j].vertex[rows, s, 3]
    x = sample_pair_fraction(rng, e_g)
    pairs = []
    for frac in (x, 1.0 - x):
        e = frac * e_g
        out = np.empty((idx.size, 4))
        out[:, :3] = w.direction[idx] * np.sqrt(np.maximum(e * e - M_E * M_E, 0.0))[:, None]
        out[:, 3] = e
        pairs.append(out)
    vertex = np.empty((idx.size, 4))
    vertex[:, :3] = w.position[idx]
    vertex[:, 3] = t0 + w.path[idx] / C_MM_PER_NS
    return _Conversions(converted, idx, pairs[0], pairs[1], vertex), off


def _radiate(rng: np.random.Generator, p4: Array, vtx: Array, pdg: int, layers, field, k_min):
    """Bremsstrahlung of one electron slot (N events) over all the layers it crosses:
    (radiates (N,), electron p4 after the material, photon p4, photon vertex).

    The total −ln u over the layers is Gamma(Σ t / ln 2) (the Bethe–Heitler densities of the
    layers convolve exactly); the photon is emitted at layer k with probability t_k/Σ t, the
    layer's expected share of the loss (one uniform, one gamma variate per electron)."""
    n = p4.shape[0]
    w = _walk(vtx, p4, pdg_charge(pdg), field, layers, rng.random(n), True)
    e0 = p4[:, 3]
    # an electron that radiates (almost) everything keeps a sliver of momentum (p > 0)
    e1 = np.maximum(e0 * np.exp(-sample_brems_loss(rng, w.total)), M_E * (1.0 + 1e-6))
    k_gamma = e0 - e1
    rad = (w.layer >= 0) & (k_gamma >= max(k_min, 1e-12))
    idx = np.flatnonzero(rad)
    after = p4.copy()
    p0 = np.linalg.norm(p4[idx, :3], axis=1)
    p1 = np.sqrt(np.maximum(e1[idx] ** 2 - M_E * M_E, 0.0))
    after[idx, :3] *= (p1 / p0)[:, None]
    after[idx, 3] = e1[idx]
    gamma, gvtx = np.zeros((n, 4)), np.zeros((n, 4))
    gamma[idx, :3] = w.direction[idx] * k_gamma[idx, None]
    gamma[idx, 3] = k_gamma[idx]
    gvtx[idx, :3] = w.position[idx]
    gvtx[idx, 3] = vtx[idx, 3] + w.path[idx] * e0[idx] / (p0 * C_MM_PER_NS)
    return rad, after, gamma, gvtx


def _pattern_codes(bits: NDArray[np.bool_]) -> NDArray[np.int64]:
    """One integer per event for its row of bits (0: nothing happened)."""
    if bits.shape[1] <= 62:
        codes = np.zeros(bits.shape[0], np.int64)
        for j in range(bits.shape[1]):
            codes |= bits[:, j].astype(np.int64) << j
        return codes
    rows, inverse = np.unique(bits, axis=0, return_inverse=True)
    codes = inverse.reshape(-1).astype(np.int64)
    # rows are sorted with the all-False row (nothing happened) first when present: it must be 0
    return codes + 1 if rows[0].any() else codes


def material_block(
    rng: np.random.Generator, block: Block, settings: MaterialSettings, field: float
) -> list[Block]:
    """Conversions and bremsstrahlung in one block (`material_blocks` of one block)."""
    return material_blocks(rng, [block], settings, field)


def _slots(blocks: list[Block], settings: MaterialSettings):
    """(block, slot) pairs of the final-state photons and of the e−, e+ of every block."""
    photons, e_minus, e_plus = [], [], []
    for j, b in enumerate(blocks):
        if b.n_events == 0:
            continue
        final = b.status == FINAL
        if settings.conversions:
            photons += [(j, int(s)) for s in np.flatnonzero(final & (b.pdg == PHOTON))]
        if settings.bremsstrahlung:
            e_minus += [(j, int(s)) for s in np.flatnonzero(final & (b.pdg == ELECTRON))]
            e_plus += [(j, int(s)) for s in np.flatnonzero(final & (b.pdg == -ELECTRON))]
    return photons, e_minus, e_plus


def _stack(blocks: list[Block], slots: list[tuple[int, int]]):
    """Four-momenta and vertices of the given (block, slot) columns stacked over events, and
    the offset of each column in the stack."""
    sizes = [blocks[j].n_events for j, _ in slots]
    offsets = np.zeros(len(slots) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    if not slots:
        return np.empty((0, 4)), np.empty((0, 4)), offsets
    p4 = np.concatenate([blocks[j].p4[:, s] for j, s in slots])
    vtx = np.concatenate([blocks[j].vertex[:, s] for j, s in slots])
    return p4, vtx, offsets


def material_blocks(
    rng: np.random.Generator, blocks: list[Block], settings: MaterialSettings, field: float
) -> list[Block]:
    """Conversions and bremsstrahlung in a list of blocks, all particles at once (one compiled
    pass and one draw per kind of particle, whatever the number of blocks). A block where
    nothing happened is returned as it is; otherwise its untouched events (first) and one block
    per pattern of conversions and emissions. The untouched events keep the block's arrays:
    touched rows are swapped out in place."""
    layers = tuple(layer for layer in settings.layers if layer.interacting)
    photons, e_minus, e_plus = _slots(blocks, settings)
    if not layers or not (photons or e_minus or e_plus):
        return list(blocks)
    # one pass over every photon, then every e−, then every e+ (fixed order: reproducible)
    conv_all, off_g = _convert(rng, blocks, photons, layers, field)
    rad_all = []
    for slots, pdg in ((e_minus, ELECTRON), (e_plus, -ELECTRON)):
        p4, vtx, off = _stack(blocks, slots)
        rad_all.append(
            (slots, off, _radiate(rng, p4, vtx, pdg, layers, field, settings.brems_min_energy))
        )
    # per block: its photons' conversions and its electrons' emissions, then the split
    conv: dict[int, list] = {}
    for c, (j, s) in enumerate(photons):
        a, b = off_g[c], off_g[c + 1]
        lo, hi = np.searchsorted(conv_all.index, [a, b])
        piece = _Conversions(
            conv_all.converted[a:b], conv_all.index[lo:hi] - a, conv_all.e_minus[lo:hi],
            conv_all.e_plus[lo:hi], conv_all.vertex[lo:hi],
        )  # fmt: skip
        conv.setdefault(j, []).append((s, piece))
    rad: dict[int, list] = {}
    for slots, off, (r, after, gamma, gvtx) in rad_all:
        for c, (j, s) in enumerate(slots):
            a, b = off[c], off[c + 1]
            rad.setdefault(j, []).append((s, (r[a:b], after[a:b], gamma[a:b], gvtx[a:b])))
    out: list[Block] = []
    for j, block in enumerate(blocks):
        c_j, r_j = conv.get(j, []), sorted(rad.get(j, []), key=lambda x: x[0])
        out.extend(_split(block, c_j, r_j))
    return out


def _split(block: Block, conv: list, rad: list) -> list[Block]:
    """One block split by what happened to its photons (`conv`: (slot, _Conversions)) and
    electrons (`rad`: (slot, emissions))."""
    if not conv and not rad:
        return [block]
    bits = np.column_stack([c.converted for _, c in conv] + [r[0] for _, r in rad])
    codes = _pattern_codes(bits)
    touched = np.flatnonzero(codes)
    if touched.size == 0:
        return [block]
    touched = touched[np.argsort(codes[touched], kind="stable")]
    t_codes = codes[touched]
    starts = np.flatnonzero(np.r_[True, t_codes[1:] != t_codes[:-1]])
    ends = np.r_[starts[1:], touched.size]
    out = [
        _pattern_block(block, touched[a:b], conv, rad, bits[touched[a]])
        for a, b in zip(starts, ends, strict=True)
    ]
    keep = codes == 0
    return [_untouched(block, keep), *out] if keep.any() else out


def _untouched(block: Block, keep: NDArray[np.bool_]) -> Block:
    """The events with nothing in the material: rows of the touched events are swapped to the
    end of the block's arrays (in place, O(touched)) and the head is taken as a view."""
    n_u = int(keep.sum())
    head = np.arange(n_u)
    bad = np.flatnonzero(~keep[:n_u])
    free = np.flatnonzero(keep[n_u:]) + n_u
    head[bad] = free
    if bad.size:
        if not (block.p4.flags.writeable and block.vertex.flags.writeable):
            return derived_block(
                block, head, block.status, np.empty(0, np.int32), np.empty(0, np.int32),
                block.p4[head], block.vertex[head],
            )  # fmt: skip
        for arr in (block.p4, block.vertex):
            arr[bad], arr[free] = arr[free], arr[bad]
    return derived_block(
        block, head, block.status, np.empty(0, np.int32), np.empty(0, np.int32),
        block.p4[:n_u], block.vertex[:n_u],
    )  # fmt: skip


def _pattern_block(block, events, conv, rad, bits) -> Block:
    """Events sharing one pattern of conversions and emissions, as a block with its template:
    converted photons become status 2 with their e−, e+ daughters appended; radiating electrons
    get their momentum after the material and a photon daughter appended."""
    status = block.status.copy()
    p4 = block.p4[events]
    new_pdg, new_mother, new_p4, new_vtx = [], [], [], []
    for j, (s, c) in enumerate(conv):
        if bits[j]:
            status[s] = DECAYED
            rows = np.searchsorted(c.index, events)
            for pdg, e in ((ELECTRON, c.e_minus), (-ELECTRON, c.e_plus)):
                new_pdg.append(pdg)
                new_mother.append(s)
                new_p4.append(e[rows])
                new_vtx.append(c.vertex[rows])
    for j, (s, (_, after, gamma, gvtx)) in enumerate(rad):
        if bits[len(conv) + j]:
            p4[:, s] = after[events]
            new_pdg.append(PHOTON)
            new_mother.append(s)
            new_p4.append(gamma[events])
            new_vtx.append(gvtx[events])
    all_p4 = np.concatenate([p4, np.stack(new_p4, axis=1)], axis=1)
    all_vtx = np.concatenate([block.vertex[events], np.stack(new_vtx, axis=1)], axis=1)
    return derived_block(
        block, events, status, np.array(new_pdg, np.int32), np.array(new_mother, np.int32),
        all_p4, all_vtx,
    )  # fmt: skip


def apply_material(rng: np.random.Generator, record: EventRecord, det: DetectorSettings) -> None:
    """Photon conversions and bremsstrahlung in the detector card's material, in place on the
    truth record (a no-op unless [material] is enabled). Blocks are replaced; the arrays of
    the original blocks are reordered in place (their untouched events become the first rows)."""
    m = det.material
    if not m.enabled or not m.layers:
        return
    record.blocks = material_blocks(rng, record.blocks, m, det.solenoid_field)
