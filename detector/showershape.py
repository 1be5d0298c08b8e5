"""Electromagnetic showers in the crystals: the transverse profile, overlap merging and the
shower-shape variables (basf2 names).

Profile: Grindhammer & Peters, "The parameterized simulation of electromagnetic showers in
homogeneous and sampling calorimeters", NIM A290 (1990) 469 (arXiv:hep-ex/0001020), eqs. for
homogeneous media: the energy at depth τ = t/T (T the shower maximum) spreads radially as
f(r) = p·2r R_C²/(r² + R_C²)² + (1 − p)·2r R_T²/(r² + R_T²)², r in Molière radii, with
R_C = z1 + z2 τ, R_T = k1 (e^{k3(τ − k2)} + e^{k4(τ − k2)}), p = p1 exp((p2 − τ)/p3 −
e^{(p2 − τ)/p3}); the longitudinal profile is a Γ distribution with ⟨T⟩ = ln y − 0.812 and
⟨α⟩ = 0.81 + (0.458 + 2.26/Z) ln y (y = E/E_c). Coefficients as tuned in Geant4's GFlash
(source/parameterisations/gflash/include/GVFlashHomoShowerTuning.hh). The profile is
averaged over the depth of the crystal (Monte Carlo, fixed seed, once per card) and
integrated over square crystals of the card's front-face size into a table: the fraction of
a shower's energy in a crystal whose centre lies (Δu, Δv) crystals from the shower axis.
The shower is taken at 1 GeV (the ln E terms move the containment by ~1 %) and without
fluctuations: E9/E21 and the second moment vary with the impact point in the crystal and
with overlaps, not shower by shower.

Crystal grid: on the plane perpendicular to the shower direction, u along θ and v along φ
(u = R θ/c, v = R sinθ φ/c, R the distance of the impact from the IP, c the crystal size):
the crystals of a projective calorimeter seen from the IP. The crystal holding a shower's
axis follows from the impact point, so two showers land in the crystals as they really do.

Merging: basf2 finds one shower per local maximum: a crystal above 10 MeV whose energy
exceeds that of each of its 8 neighbours (basf2 ecl/modules/eclLocalMaximumFinder,
ECLLocalMaximumFinderModule.cc, parameter energyCut = 10 MeV). Two clusters whose summed
crystal energies have at most one local maximum are reconstructed as one (merged) cluster.

Shower shapes (basf2 ecl/modules/eclShowerShape/src/ECLShowerShapeModule.cc), over the 21
crystals (5×5 without corners) around the highest-energy crystal: clusterE9E21 = E(3×3)/E21;
clusterSecondMoment = Σ E_i ρ_i² / Σ E_i (ρ the distance from the cluster centre in cm, as
basf2 stores it); clusterLAT = Σ_{i≥3} E_i ρ_i² / (Σ_{i≥3} E_i ρ_i² + r0² (E_1 + E_2)),
crystals sorted by energy, r0 = 5 cm (avgCrystalDimension); clusterNHits = crystals of the
21 above the card's digit threshold.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
from pathlib import Path

import numba
import numpy as np
from numpy.typing import NDArray

from .calo_kernel import absorb
from .config import CalorimeterSettings

Array = NDArray[np.float64]

#: Grindhammer–Peters radial coefficients (GFlash GVFlashHomoShowerTuning.hh).
RC1, RC2, RC3, RC4 = 0.0251, 0.00319, 0.1162, -0.000381
RT1, RT2, RT3, RT4, RT5, RT6 = 0.659, -0.00309, 0.645, -2.59, 0.3585, 0.0412
WC1, WC2, WC3, WC4, WC5, WC6 = 2.632, -0.00094, 0.401, 0.00187, 1.313, -0.0686
#: Longitudinal: <T> = ln y + AVE_T1, <α> = AVE_A1 + (AVE_A2 + AVE_A3/Z) ln y (same file).
AVE_T1, AVE_A1, AVE_A2, AVE_A3 = -0.812, 0.81, 0.458, 2.26

#: Table: crystal offsets up to HALF crystals from the axis, STEPS points per crystal.
HALF, STEPS = 6, 20
#: Half-width (crystals) of the window around a cluster's first shower: for the local-maximum
#: count of a candidate pair (up to MAX_SEPARATION apart) and for the shapes (seed within ±1).
WINDOW, SHAPE_WINDOW = 6, 3
#: Showers further apart than this (crystals) never merge (far below the table's range).
MAX_SEPARATION = 4.0
#: The 21 crystals of basf2's shower shapes: (Δu, Δv) of the 5×5 around the seed, corners out.
WINDOW21 = np.array(
    [(a, b) for a in range(-2, 3) for b in range(-2, 3) if abs(a) < 2 or abs(b) < 2], np.int64
)
#: Reference distance of clusterLAT: basf2 avgCrystalDimension = 5 cm (in mm here).
LAT_R0 = 50.0


def radial_samples(
    rng: np.random.Generator, n: int, energy: float, z: float, e_crit: float, depth: float
) -> Array:
    """Radii (Molière radii) of n energy spots of a depth-averaged Grindhammer–Peters shower
    of `energy` GeV in a medium of charge Z and critical energy `e_crit` GeV, cut at `depth`
    radiation lengths (spots beyond leak out and are dropped)."""
    ln_y = math.log(energy / e_crit)
    t_max = ln_y + AVE_T1
    alpha = AVE_A1 + (AVE_A2 + AVE_A3 / z) * ln_y
    beta = (alpha - 1.0) / t_max
    t = rng.gamma(alpha, 1.0 / beta, n)
    t = t[t < depth]
    tau = t / t_max
    ln_e = math.log(energy)
    r_core = (RC1 + RC2 * ln_e) + (RC3 + RC4 * z) * tau
    k4 = RT5 + RT6 * ln_e
    r_tail = (RT1 + RT2 * z) * (np.exp(RT4 * (tau - RT3)) + np.exp(k4 * (tau - RT3)))
    p2, p3 = WC3 + WC4 * z, WC5 + WC6 * ln_e
    w_core = np.clip((WC1 + WC2 * z) * np.exp((p2 - tau) / p3 - np.exp((p2 - tau) / p3)), 0, 1)
    radius = np.where(rng.random(t.size) < w_core, r_core, r_tail)
    u = rng.random(t.size)
    return radius * np.sqrt(u / (1.0 - u))  # inverse CDF of 2r R²/(r² + R²)²


log = logging.getLogger(__name__)


def _table_cache_file(key: tuple[float, ...]) -> Path:
    """Where the crystal table of the shower parameters `key` is kept: the user cache folder
    (alpsim/numba_cache.py), keyed by a hash of the parameters, the source of this module and
    the numpy version (the table is a fixed-seed Monte Carlo integral: numpy's generators and
    histogramming make it)."""
    import platformdirs

    h = hashlib.sha256()
    h.update(repr(key).encode())
    h.update(Path(__file__).read_bytes())
    h.update(np.__version__.encode())
    folder = Path(platformdirs.user_cache_dir("alpsim", appauthor=False)) / "shower_tables"
    return folder / f"{h.hexdigest()[:32]}.npy"


@functools.lru_cache(maxsize=16)
def _table(moliere: float, crystal: float, z: float, e_crit: float, depth: float) -> Array:
    """`_compute_table`, read from the user cache folder if it was computed before (it costs
    ~0.3 s per process otherwise, paid by every `--jobs` worker), else computed and cached
    (the same bytes either way)."""
    cache = _table_cache_file((moliere, crystal, z, e_crit, depth))
    if cache.is_file():
        try:
            return np.load(cache, allow_pickle=False)
        except Exception:  # a damaged cache entry: compute again
            log.debug("shower-table cache %s unreadable; recomputing", cache)
    table = _compute_table(moliere, crystal, z, e_crit, depth)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, table)
        os.replace(tmp, cache)
    except OSError as exc:  # a read-only cache folder only costs the computation next time
        log.debug("shower table not cached: %s", exc)
    return table


def _compute_table(moliere: float, crystal: float, z: float, e_crit: float, depth: float) -> Array:
    """The crystal table (`crystal_table`) by a fixed-seed Monte Carlo of 2·10⁶ shower
    radii, histogrammed on a fine grid and summed over each crystal's area."""
    rng = np.random.default_rng(20261204)  # fixed: the table is part of the detector card
    r = radial_samples(rng, 2_000_000, 1.0, z, e_crit, depth) * (moliere / crystal)
    phi = rng.uniform(0.0, 2.0 * np.pi, r.size)
    edges = np.linspace(-HALF - 0.5, HALF + 0.5, (2 * HALF + 1) * STEPS + 1)
    hist, _, _ = np.histogram2d(r * np.cos(phi), r * np.sin(phi), bins=(edges, edges))
    hist /= r.size
    cum = np.zeros((hist.shape[0] + 1, hist.shape[1] + 1))
    cum[1:, 1:] = hist.cumsum(0).cumsum(1)
    n = 2 * HALF * STEPS + 1  # crystal centres from −HALF to +HALF in steps of 1/STEPS
    i = np.arange(n)
    lo, hi = i[:, None], i[:, None] + STEPS
    return np.ascontiguousarray(cum[hi, hi.T] - cum[lo, hi.T] - cum[hi, lo.T] + cum[lo, lo.T])


def crystal_table(cal: CalorimeterSettings) -> Array:
    """Fraction of a shower's energy in a crystal whose centre is (Δu, Δv) crystals from the
    axis: table[i, j] at Δu = −HALF + i/STEPS, Δv = −HALF + j/STEPS (module docstring)."""
    return _table(cal.moliere_radius, cal.crystal_size, cal.effective_z, cal.critical_energy,
                  cal.crystal_depth)  # fmt: skip


@numba.njit(cache=True)
def _crystal_energies(table, e_true, su, sv, members, n_members, ref, k, grid):
    # pragma: no cover - compiled
    """Energies of the w × w crystals (w = grid size, odd) around shower `ref` of event k from
    the showers `members[:n_members]`; crystal (a, b) has its centre at a − w//2 + 0.5 − frac
    in u (same in v) from the reference shower's axis."""
    fu = su[ref, k] - math.floor(su[ref, k])
    fv = sv[ref, k] - math.floor(sv[ref, k])
    w = grid.shape[0]
    half = w // 2
    for a in range(w):
        for b in range(w):
            grid[a, b] = 0.0
    for m in range(n_members):
        s = members[m]
        e = e_true[s, k]
        # table indices of crystal (0, 0) for this shower; one step per crystal = STEPS
        i0 = (-half + 0.5 - fu - (su[s, k] - su[ref, k]) + HALF) * STEPS + 0.5
        j0 = (-half + 0.5 - fv - (sv[s, k] - sv[ref, k]) + HALF) * STEPS + 0.5
        if not (math.isfinite(i0) and math.isfinite(j0)):
            continue
        fi, fj = math.floor(i0), math.floor(j0)
        for a in range(w):
            i = fi + a * STEPS
            if i < 0 or i >= table.shape[0]:
                continue
            for b in range(w):
                j = fj + b * STEPS
                if 0 <= j < table.shape[1]:
                    grid[a, b] += e * table[i, j]


@numba.njit(cache=True)
def _local_maxima(grid, threshold):  # pragma: no cover - compiled
    """Crystals above `threshold` whose energy exceeds each of their 8 neighbours."""
    w = grid.shape[0]
    count = 0
    for a in range(w):
        for b in range(w):
            e = grid[a, b]
            if e <= threshold:
                continue
            peak = True
            for da in range(-1, 2):
                for db in range(-1, 2):
                    if (da != 0 or db != 0) and 0 <= a + da < w and 0 <= b + db < w:
                        if grid[a + da, b + db] >= e:
                            peak = False
            if peak:
                count += 1
    return count


@numba.njit(cache=True)
def merge_showers(
    table, e_true, su, sv, lm_energy, energy, x, y, z, exists, owner
):  # pragma: no cover - compiled
    """Merge clusters (k, N) whose showers overlap into one local maximum, in place.

    `e_true` (k, N) deposits and `su`, `sv` (k, N) shower axes in crystal units (module
    docstring); energy, x, y, z (k, N) the smeared clusters. Per event, slots in template
    order: a later cluster whose showers together with an earlier cluster's showers give at
    most one local maximum above `lm_energy` is absorbed (energies add, energy-weighted
    position); `owner` (k, N) is the slot holding each slot's deposit.
    """
    kc, n = energy.shape
    w = 2 * WINDOW + 1
    grid = np.empty((w, w))
    members = np.empty(kc, dtype=np.int64)
    for k in range(n):
        for i in range(kc):
            owner[i, k] = i
        for i in range(kc):
            if not exists[i, k]:
                continue
            for j in range(i + 1, kc):
                if not exists[j, k]:
                    continue
                du = su[j, k] - su[i, k]
                dv = sv[j, k] - sv[i, k]
                if not (du * du + dv * dv < MAX_SEPARATION * MAX_SEPARATION):
                    continue
                nm = 0
                for s in range(kc):
                    if owner[s, k] == i or owner[s, k] == j:
                        members[nm] = s
                        nm += 1
                _crystal_energies(table, e_true, su, sv, members, nm, i, k, grid)
                if _local_maxima(grid, lm_energy) > 1:
                    continue
                absorb(energy, x, y, z, exists, owner, i, j, k)


@numba.njit(cache=True, inline="always")
def _grid_shapes(grid, crystal, digit_threshold, e21, r21):  # pragma: no cover - compiled
    """(clusterE9E21, clusterSecondMoment (cm²), clusterLAT, clusterNHits) of the crystal
    energies `grid` (w × w, w = 2 SHAPE_WINDOW + 1) around a cluster (module docstring); the
    21 crystal energies are left in `e21` (r21: scratch). NaN shapes (0 hits) if empty."""
    w = grid.shape[0]
    # seed: the highest crystal not on the window's edge
    sa, sb, best = SHAPE_WINDOW, SHAPE_WINDOW, -1.0
    for a in range(2, w - 2):
        for b in range(2, w - 2):
            if grid[a, b] > best:
                best, sa, sb = grid[a, b], a, b
    e9 = 0.0
    cu = 0.0
    cv = 0.0
    for m in range(21):
        da, db = WINDOW21[m, 0], WINDOW21[m, 1]
        e = grid[sa + da, sb + db]
        e21[m] = e
        cu += e * da
        cv += e * db
        if abs(da) <= 1 and abs(db) <= 1:
            e9 += e
    tot = 0.0
    for q in range(21):
        tot += e21[q]
    if tot <= 0.0:
        return math.nan, math.nan, math.nan, 0.0
    cu /= tot
    cv /= tot
    # distances (mm) of the 21 crystal centres from the energy-weighted centre
    s2 = 0.0
    hits = 0
    for m in range(21):
        rr = math.sqrt((WINDOW21[m, 0] - cu) ** 2 + (WINDOW21[m, 1] - cv) ** 2) * crystal
        r21[m] = rr
        s2 += e21[m] * rr * rr
        if e21[m] > digit_threshold:
            hits += 1
    # LAT: the two highest crystals weighted by r0², the others by ρ²
    i1, i2 = 0, 1
    if e21[i2] > e21[i1]:
        i1, i2 = i2, i1
    for q in range(2, 21):
        if e21[q] > e21[i1]:
            i2, i1 = i1, q
        elif e21[q] > e21[i2]:
            i2 = q
    num = 0.0
    for q in range(21):
        if q != i1 and q != i2:
            num += e21[q] * r21[q] * r21[q]
    den = num + LAT_R0 * LAT_R0 * (e21[i1] + e21[i2])
    lat = num / den if den > 0.0 else math.nan
    return e9 / tot, s2 / tot / 100.0, lat, float(hits)  # second moment: mm² → cm²


@numba.njit(cache=True)
def _single_shower_cells(table, crystal, first):  # pragma: no cover - compiled
    """Shapes of a lone shower of 1 GeV for each of the (STEPS + 1)² table cells its axis can
    fall on (first index `first` in u and v, as _crystal_energies computes it): shapes
    (cells, cells, 3) = (E9E21, second moment, LAT) and the 21 crystal fractions (cells,
    cells, 21), whose count above digit_threshold / E gives clusterNHits. E9E21, the second
    moment and LAT do not depend on the shower's energy, so one lookup serves every lone
    shower."""
    cells = STEPS + 1
    w = 2 * SHAPE_WINDOW + 1
    grid = np.empty((w, w))
    e21, r21 = np.empty(21), np.empty(21)
    shapes = np.empty((cells, cells, 3))
    fractions = np.empty((cells, cells, 21))
    for ci in range(cells):
        for cj in range(cells):
            for a in range(w):
                i = first + ci + a * STEPS
                for b in range(w):
                    j = first + cj + b * STEPS
                    inside = 0 <= i < table.shape[0] and 0 <= j < table.shape[1]
                    grid[a, b] = table[i, j] if inside else 0.0
            e9e21, second, lat, _ = _grid_shapes(grid, crystal, -1.0, e21, r21)
            shapes[ci, cj, 0], shapes[ci, cj, 1], shapes[ci, cj, 2] = e9e21, second, lat
            for q in range(21):
                fractions[ci, cj, q] = e21[q]
    return shapes, fractions


@numba.njit(cache=True)
def shower_shapes(
    table, e_true, su, sv, crystal, digit_threshold, exists, owner, e9e21, second, lat, nhits
):  # pragma: no cover - compiled
    """clusterE9E21, clusterSecondMoment (cm²), clusterLAT and clusterNHits (k, N) of each
    existing cluster from the showers it holds (module docstring); NaN where no cluster.
    A cluster of one shower reads its shapes from _single_shower_cells (the same crystal
    sums, computed once per call); overlapping showers are summed crystal by crystal."""
    kc, n = exists.shape
    w = 2 * SHAPE_WINDOW + 1
    grid = np.empty((w, w))
    members = np.empty(kc, dtype=np.int64)
    e21 = np.empty(21)
    r21 = np.empty(21)
    # table index of crystal (0, 0) for a shower at fractional offset 0 (_crystal_energies)
    last = math.floor((-SHAPE_WINDOW + 0.5 + HALF) * STEPS + 0.5)
    first = last - STEPS
    cells, fractions = _single_shower_cells(table, crystal, first)
    for k in range(n):
        for i in range(kc):
            if not exists[i, k]:
                e9e21[i, k] = math.nan
                second[i, k] = math.nan
                lat[i, k] = math.nan
                nhits[i, k] = math.nan
                continue
            nm = 0
            for s in range(kc):
                if owner[s, k] == i:
                    members[nm] = s
                    nm += 1
            e = e_true[i, k]
            if nm == 1 and members[0] == i and e > 0.0 and math.isfinite(su[i, k] + sv[i, k]):
                fu = su[i, k] - math.floor(su[i, k])
                fv = sv[i, k] - math.floor(sv[i, k])
                ci = math.floor((-SHAPE_WINDOW + 0.5 - fu + HALF) * STEPS + 0.5) - first
                cj = math.floor((-SHAPE_WINDOW + 0.5 - fv + HALF) * STEPS + 0.5) - first
                if 0 <= ci <= STEPS and 0 <= cj <= STEPS:
                    e9e21[i, k] = cells[ci, cj, 0]
                    second[i, k] = cells[ci, cj, 1]
                    lat[i, k] = cells[ci, cj, 2]
                    hits = 0
                    for q in range(21):
                        if e * fractions[ci, cj, q] > digit_threshold:
                            hits += 1
                    nhits[i, k] = hits
                    continue
            _crystal_energies(table, e_true, su, sv, members, nm, i, k, grid)
            e9e21[i, k], second[i, k], lat[i, k], nhits[i, k] = _grid_shapes(
                grid, crystal, digit_threshold, e21, r21
            )


@numba.njit(cache=True, error_model="numpy")
def shower_coordinates(x, y, z, crystal, exists):  # pragma: no cover - compiled
    """Shower axes (k, N) in crystal units on the plane perpendicular to the direction from
    the IP: u = R θ / c, v = R sinθ φ / c (module docstring); NaN where x is NaN. Only the
    deposits that made a cluster (`exists` (k, N), before merging) are read by merge_showers
    and shower_shapes, so only theirs are computed (two libm atan2 each); NaN elsewhere."""
    su, sv = np.empty(x.shape), np.empty(x.shape)
    for c in range(x.shape[0]):
        for k in range(x.shape[1]):
            if not exists[c, k]:
                su[c, k] = math.nan
                sv[c, k] = math.nan
                continue
            rho = math.sqrt(x[c, k] ** 2 + y[c, k] ** 2)
            r = math.sqrt(rho * rho + z[c, k] ** 2)
            su[c, k] = r * math.atan2(rho, z[c, k]) / crystal
            sv[c, k] = rho * math.atan2(y[c, k], x[c, k]) / crystal
    return su, sv
