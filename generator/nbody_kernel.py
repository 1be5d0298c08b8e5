# ruff: noqa: NPY002  (numba kernels draw from numba's own generator, seeded per call)
"""Flat n-body phase space for rows of different masses and multiplicities, in one compiled pass.

The same algorithm as generator/generic_b.py `phase_space` (GENBOD: F. James, CERN 68-15
(1968); ROOT TGenPhaseSpace): intermediate invariant masses from sorted uniforms, weight
Π p*_i, unweighted by accept–reject against the bound of TGenPhaseSpace::SetDecay, then a chain
of isotropic two-body decays boosted to the lab. Each row has its own parent, daughter masses
and number of daughters (≥ 2), so every multi-body decay of a generation of a decay chain is
done in one call (generator/decay_chains.py). Random numbers come from numba's generator,
seeded per call from the caller's numpy Generator. The bound of each mode is probed once
(`max_weight`): the TGenPhaseSpace bound is orders of magnitude loose for five or more light
daughters.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray


@numba.njit(cache=True, inline="always")
def _pdk(a: float, b: float, c: float) -> float:
    x = (a - b - c) * (a + b + c) * (a - b + c) * (a + b - c)
    return math.sqrt(x) / (2.0 * a) if x > 0.0 else 0.0


@numba.njit(cache=True, inline="always")
def _boost(v: NDArray, bx: float, by: float, bz: float) -> None:
    b2 = bx * bx + by * by + bz * bz
    if b2 <= 0.0:
        return
    g = 1.0 / math.sqrt(1.0 - b2)
    bp = bx * v[0] + by * v[1] + bz * v[2]
    g2 = (g - 1.0) / b2
    c = g2 * bp + g * v[3]
    v[0] += c * bx
    v[1] += c * by
    v[2] += c * bz
    v[3] = g * (v[3] + bp)


@numba.njit(cache=True)
def genbod_row(
    px: float, py: float, pz: float, e: float, m: NDArray, n: int, wmax: float, out: NDArray,
    inv: NDArray, pd: NDArray, r: NDArray,
) -> None:  # fmt: skip
    """One n-body decay (n ≥ 2) of a parent (px, py, pz, E) into masses m[:n]: daughter lab
    four-momenta in out[:n] (scratch arrays inv, pd, r of length ≥ n); `wmax` the accept–reject
    bound (`max_weight`), ≤ 0 for the TGenPhaseSpace bound."""
    big_m = math.sqrt(max(e * e - px * px - py * py - pz * pz, 0.0))
    msum = 0.0
    for i in range(n):
        msum += m[i]
    t_kin = big_m - msum
    emmax = t_kin + m[0]
    emmin = 0.0
    wtmax = 1.0
    for i in range(1, n):
        emmin += m[i - 1]
        emmax += m[i]
        wtmax *= _pdk(emmax, emmin, m[i])
    if wmax > 0.0:
        wtmax = min(wtmax, wmax)
    while True:
        r[0] = 0.0
        for i in range(1, n - 1):
            r[i] = np.random.random()
        r[n - 1] = 1.0
        for i in range(2, n - 1):  # insertion sort of the n − 2 uniforms
            x = r[i]
            j = i - 1
            while j >= 1 and r[j] > x:
                r[j + 1] = r[j]
                j -= 1
            r[j + 1] = x
        cm = 0.0
        for i in range(n):
            cm += m[i]
            inv[i] = r[i] * t_kin + cm
        w = 1.0
        for i in range(1, n):
            pd[i] = _pdk(inv[i], inv[i - 1], m[i])
            w *= pd[i]
        if np.random.random() * wtmax < w:
            break
    ct = 2.0 * np.random.random() - 1.0
    st = math.sqrt(max(0.0, 1.0 - ct * ct))
    ph = 2.0 * math.pi * np.random.random()
    q = pd[1]
    ux, uy, uz = st * math.cos(ph), st * math.sin(ph), ct
    out[0, 0], out[0, 1], out[0, 2] = q * ux, q * uy, q * uz
    out[0, 3] = math.sqrt(q * q + m[0] * m[0])
    out[1, 0], out[1, 1], out[1, 2] = -q * ux, -q * uy, -q * uz
    out[1, 3] = math.sqrt(q * q + m[1] * m[1])
    for i in range(2, n):
        ct = 2.0 * np.random.random() - 1.0
        st = math.sqrt(max(0.0, 1.0 - ct * ct))
        ph = 2.0 * math.pi * np.random.random()
        q = pd[i]
        ux, uy, uz = st * math.cos(ph), st * math.sin(ph), ct
        esys = math.sqrt(q * q + inv[i - 1] * inv[i - 1])
        bx, by, bz = q * ux / esys, q * uy / esys, q * uz / esys
        for j in range(i):
            _boost(out[j], bx, by, bz)
        out[i, 0], out[i, 1], out[i, 2] = -q * ux, -q * uy, -q * uz
        out[i, 3] = math.sqrt(q * q + m[i] * m[i])
    bx, by, bz = px / e, py / e, pz / e
    for j in range(n):
        _boost(out[j], bx, by, bz)


@numba.njit(cache=True)
def nbody(seed: int, parent: NDArray, masses: NDArray, n_body: NDArray, wmax: NDArray) -> NDArray:
    """Daughter four-momenta (K, MAXD, 4) in the lab for parents (K, 4), masses (K, MAXD),
    multiplicities n_body (K,) (rows beyond n_body[k] are left zero). `wmax` (K,) is the
    accept–reject bound of each row (`max_weight`), ≤ 0 for the TGenPhaseSpace bound."""
    np.random.seed(seed)
    k_rows, maxd = masses.shape
    out = np.zeros((k_rows, maxd, 4))
    inv = np.empty(maxd)
    pd = np.empty(maxd)
    r = np.empty(maxd)
    for k in range(k_rows):
        p = parent[k]
        genbod_row(p[0], p[1], p[2], p[3], masses[k], n_body[k], wmax[k], out[k], inv, pd, r)
    return out


@numba.njit(cache=True)
def max_weight(seed: int, parent_mass: float, m: NDArray, n: int, trials: int) -> float:
    """Largest GENBOD weight Π p*_i seen in `trials` draws for one mode, times 1.2: the
    accept–reject bound (probing the maximum, as EvtGen does for its models' maximum
    probabilities), never above the TGenPhaseSpace bound."""
    np.random.seed(seed)
    t_kin = parent_mass
    for i in range(n):
        t_kin -= m[i]
    emmax, emmin, bound = t_kin + m[0], 0.0, 1.0
    for i in range(1, n):
        emmin += m[i - 1]
        emmax += m[i]
        bound *= _pdk(emmax, emmin, m[i])
    r = np.empty(n)
    best = 0.0
    for _ in range(trials):
        r[0] = 0.0
        for i in range(1, n - 1):
            r[i] = np.random.random()
        r[n - 1] = 1.0
        r[1 : n - 1] = np.sort(r[1 : n - 1])
        cm, prev, w = m[0], m[0], 1.0
        for i in range(1, n):
            cm += m[i]
            cur = r[i] * t_kin + cm
            w *= _pdk(cur, prev, m[i])
            prev = cur
        best = max(best, w)
    return min(1.2 * best, bound)
