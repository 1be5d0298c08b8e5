"""Vectorised three-body decays: Dalitz variables sampled within the kinematic boundary.

A parent of mass M decays to 1 2 3. The Dalitz variables s12 = (p1+p2)², s23 = (p2+p3)² are
drawn uniformly in the bounding box and kept if inside the boundary (uniform Dalitz density =
constant |M|², PDG Review "Kinematics", eq. 49.22: dΓ ∝ |M|² ds12 ds23) and, if a weight
(|M|²) is given, by accept–reject on weight/weight_max. The momenta are then built in the
parent rest frame, given a uniformly random orientation and boosted to the lab.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .kinematics import boost, four_vector, mass, velocity

Array = NDArray[np.float64]
#: |M|²(s12, s23) over arrays of events; must be ≤ weight_max everywhere on the Dalitz plot.
Weight = Callable[[Array, Array], Array]


def s23_limits(
    parent_mass: ArrayLike, m1: float, m2: float, m3: float, s12: ArrayLike
) -> tuple[Array, Array]:
    """Range of s23 at fixed s12 (PDG Review "Kinematics", eq. 49.23).

    E2* = (s12 − m1² + m2²)/(2√s12), E3* = (M² − s12 − m3²)/(2√s12) in the (12) rest frame;
    s23± = (E2* + E3*)² − (√(E2*² − m2²) ∓ √(E3*² − m3²))².
    """
    mm = np.asarray(parent_mass, dtype=float)
    s12 = np.asarray(s12, dtype=float)
    r = np.sqrt(s12)
    e2 = (s12 - m1 * m1 + m2 * m2) / (2.0 * r)
    e3 = (mm * mm - s12 - m3 * m3) / (2.0 * r)
    q2 = np.sqrt(np.maximum(e2 * e2 - m2 * m2, 0.0))
    q3 = np.sqrt(np.maximum(e3 * e3 - m3 * m3, 0.0))
    return (e2 + e3) ** 2 - (q2 + q3) ** 2, (e2 + e3) ** 2 - (q2 - q3) ** 2


def phase_space_s12_density(
    parent_mass: float, m1: float, m2: float, m3: float, s12: ArrayLike
) -> Array:
    """Unnormalised phase-space projection dΦ/ds12 ∝ s23⁺ − s23⁻.

    s23⁺ − s23⁻ = λ^½(M², s12, m3²) λ^½(s12, m1², m2²)/s12.
    The length of the Dalitz-plot chord at fixed s12 (PDG eqs. 49.22–49.23); zero outside.
    """
    lo, hi = s23_limits(parent_mass, m1, m2, m3, s12)
    s12 = np.asarray(s12, dtype=float)
    inside = (s12 >= (m1 + m2) ** 2) & (s12 <= (parent_mass - m3) ** 2)
    return np.where(inside, np.maximum(hi - lo, 0.0), 0.0)


def sample_dalitz(
    rng: np.random.Generator,
    parent_mass: ArrayLike,
    m1: float,
    m2: float,
    m3: float,
    weight: Weight | None = None,
    weight_max: float | None = None,
) -> tuple[Array, Array]:
    """(s12, s23) per event, density ∝ weight(s12, s23) on the Dalitz plot (flat if None).

    `parent_mass` is an (N,) array (or scalar for one event). Vectorised accept–reject: each
    round draws one trial per still-empty event, uniformly in the bounding box.
    """
    mm = np.atleast_1d(np.asarray(parent_mass, dtype=float))
    if np.any(mm <= m1 + m2 + m3):
        raise ValueError(f"three-body decay closed: M={mm.min():g} <= {m1 + m2 + m3:g}")
    if weight is not None and (weight_max is None or weight_max <= 0):
        raise ValueError("a weight needs a positive weight_max")
    n = mm.size
    s12 = np.empty(n)
    s23 = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        m = mm[todo]
        a12, b12 = (m1 + m2) ** 2, (m - m3) ** 2
        a23, b23 = (m2 + m3) ** 2, (m - m1) ** 2
        x = a12 + (b12 - a12) * rng.random(todo.size)
        y = a23 + (b23 - a23) * rng.random(todo.size)
        lo, hi = s23_limits(m, m1, m2, m3, x)
        ok = (y >= lo) & (y <= hi)
        if weight is not None:
            w = weight(x, y)
            if np.any(w[ok] > weight_max * (1.0 + 1e-9)):
                raise ValueError(f"weight exceeds weight_max={weight_max:g}: {w[ok].max():g}")
            ok &= rng.random(todo.size) * weight_max < w
        s12[todo[ok]] = x[ok]
        s23[todo[ok]] = y[ok]
        todo = todo[~ok]
    return s12, s23


def random_rotations(rng: np.random.Generator, n: int) -> Array:
    """(n, 3, 3) rotations uniform in SO(3): unit quaternions (Shoemake, Graphics Gems III)."""
    u1, u2, u3 = rng.random((3, n))
    a, b = np.sqrt(1.0 - u1), np.sqrt(u1)
    w, x = a * np.sin(2 * np.pi * u2), a * np.cos(2 * np.pi * u2)
    y, z = b * np.sin(2 * np.pi * u3), b * np.cos(2 * np.pi * u3)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=-2,
    )


def momenta_from_dalitz(
    rng: np.random.Generator,
    parent_mass: Array,
    m1: float,
    m2: float,
    m3: float,
    s12: Array,
    s23: Array,
) -> tuple[Array, Array, Array]:
    """Rest-frame four-momenta (N, 4) of 1 2 3 for given Dalitz variables, randomly oriented.

    E1 = (M² + m1² − s23)/(2M), E3 = (M² + m3² − s12)/(2M) (PDG eq. 49.21 analogues); the angle
    between p1 and p3 follows from s13 = M² + Σm² − s12 − s23; p2 = −p1 − p3.
    """
    mm = parent_mass
    e1 = (mm * mm + m1 * m1 - s23) / (2.0 * mm)
    e3 = (mm * mm + m3 * m3 - s12) / (2.0 * mm)
    p1 = np.sqrt(np.maximum(e1 * e1 - m1 * m1, 0.0))
    p3 = np.sqrt(np.maximum(e3 * e3 - m3 * m3, 0.0))
    s13 = mm * mm + m1 * m1 + m2 * m2 + m3 * m3 - s12 - s23
    den = 2.0 * p1 * p3
    with np.errstate(invalid="ignore", divide="ignore"):
        c13 = np.where(den > 0, (2.0 * e1 * e3 + m1 * m1 + m3 * m3 - s13) / den, 1.0)
    c13 = np.clip(c13, -1.0, 1.0)
    s13n = np.sqrt(1.0 - c13 * c13)
    n = mm.size
    v1 = np.zeros((n, 3))
    v1[:, 2] = p1
    v3 = np.stack([p3 * s13n, np.zeros(n), p3 * c13], axis=-1)
    rot = random_rotations(rng, n)
    v1 = np.einsum("nij,nj->ni", rot, v1)
    v3 = np.einsum("nij,nj->ni", rot, v3)
    return four_vector(v1, m1), four_vector(-v1 - v3, m2), four_vector(v3, m3)


def three_body_decay(
    rng: np.random.Generator,
    parent: Array,
    m1: float,
    m2: float,
    m3: float,
    weight: Weight | None = None,
    weight_max: float | None = None,
) -> tuple[Array, Array, Array]:
    """Decay parents (N, 4) (lab) to three daughters; returns their lab four-momenta.

    Dalitz density ∝ weight(s12, s23) (phase space if None), isotropic orientation (spin-0
    parent or unpolarised), boost with the parent velocity.
    """
    mm = mass(parent)
    s12, s23 = sample_dalitz(rng, mm, m1, m2, m3, weight, weight_max)
    d = momenta_from_dalitz(rng, mm, m1, m2, m3, s12, s23)
    beta = velocity(parent)
    return boost(d[0], beta), boost(d[1], beta), boost(d[2], beta)


def sample_tabulated(rng: np.random.Generator, n: int, grid: Array, density: Array) -> Array:
    """n values distributed as a tabulated 1-D density (e.g. a resonance line shape in s).

    Inverse transform of the trapezoidal CDF, linear between grid points: exact for a density
    that is linear between nodes, so use a grid fine compared with the structures (widths).
    """
    d = np.maximum(np.asarray(density, dtype=float), 0.0)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (d[1:] + d[:-1]) * np.diff(grid))])
    if cdf[-1] <= 0:
        raise ValueError("density vanishes on the whole grid")
    u = rng.random(n) * cdf[-1]
    # Invert the piecewise-quadratic CDF exactly within each interval.
    k = np.clip(np.searchsorted(cdf, u, side="right") - 1, 0, grid.size - 2)
    h = grid[k + 1] - grid[k]
    f0, f1 = d[k], d[k + 1]
    slope = (f1 - f0) / h
    r = u - cdf[k]
    with np.errstate(invalid="ignore", divide="ignore"):
        quad = (np.sqrt(np.maximum(f0 * f0 + 2.0 * slope * r, 0.0)) - f0) / slope
        lin = np.where(f0 > 0, r / f0, 0.5 * h)
    t = np.where(np.abs(slope) * h > 1e-12 * (f0 + f1 + 1e-300), quad, lin)
    return grid[k] + np.clip(t, 0.0, h)
