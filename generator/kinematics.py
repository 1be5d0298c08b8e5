"""Relativistic kinematics over whole arrays of events.

Four-vectors are float64 arrays whose last axis is (px, py, pz, E) in GeV. Every function
works on any leading shape, so one call treats all events of a chunk.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray
from particle.literals import tau_minus

from ..pdg import mass as pdg_mass

Array = NDArray[np.float64]


def kallen(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> Array:
    """Källén function λ(a, b, c) = a² + b² + c² − 2ab − 2ac − 2bc."""
    a, b, c = np.asarray(a), np.asarray(b), np.asarray(c)
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)


def two_body_momentum(parent_mass: ArrayLike, m1: ArrayLike, m2: ArrayLike) -> Array:
    """Daughter momentum in the rest frame of a two-body decay, p* = λ^{1/2}(M², m₁², m₂²)/(2M).

    Standard two-body kinematics (PDG Review of Particle Physics, Kinematics, eq. 49.17).
    Returns NaN where the decay is kinematically closed.
    """
    mm = np.asarray(parent_mass, dtype=float)
    lam = kallen(mm * mm, np.square(m1), np.square(m2))
    with np.errstate(invalid="ignore"):
        return np.sqrt(lam) / (2.0 * mm)


def mass(p4: Array) -> Array:
    """Invariant mass √(E² − |p|²); negative m² from rounding is clipped to 0."""
    m2 = p4[..., 3] ** 2 - (p4[..., 0] ** 2 + p4[..., 1] ** 2 + p4[..., 2] ** 2)
    return np.sqrt(np.maximum(m2, 0.0))


def momentum(p4: Array) -> Array:
    """Magnitude of the three-momentum."""
    return np.sqrt(p4[..., 0] ** 2 + p4[..., 1] ** 2 + p4[..., 2] ** 2)


def four_vector(p3: Array, m: ArrayLike) -> Array:
    """Four-vectors (px, py, pz, E) from three-momenta and masses."""
    out = np.empty((*p3.shape[:-1], 4))
    out[..., :3] = p3
    out[..., 3] = np.sqrt(np.sum(p3 * p3, axis=-1) + np.square(m))
    return out


def boost(p4: Array, beta: Array) -> Array:
    """Lorentz boost of four-vectors by velocity β (a frame moving with −β sees them).

    A particle at rest boosted by β acquires velocity β: use β = p_parent/E_parent to take
    decay products from the parent's rest frame to the frame where the parent has p_parent,
    and −β to go the other way. Standard pure-boost matrix (Jackson, Classical
    Electrodynamics, eq. 11.19). Any leading shapes that broadcast; one compiled pass
    (`_boost_kernel`) instead of ~15 numpy passes with their temporaries.
    """
    p4 = np.asarray(p4, dtype=float)
    beta = np.asarray(beta, dtype=float)
    lead = np.broadcast_shapes(p4.shape[:-1], beta.shape[:-1])
    out = np.empty((*lead, 4))
    # 2-d views (copies only where a broadcast axis cannot be merged)
    _boost_kernel(np.broadcast_to(p4, (*lead, 4)).reshape(-1, 4),
                  np.broadcast_to(beta, (*lead, 3)).reshape(-1, 3), out.reshape(-1, 4))  # fmt: skip
    return out


@numba.njit(cache=True, error_model="numpy")
def _boost_kernel(p4: Array, beta: Array, out: Array) -> None:  # pragma: no cover - compiled
    """`boost` per four-vector, each operation in the order of the numpy expressions it
    replaced (b2 = Σβ², γ = 1/√(1 − b2), bp = β·p, coef = ((γ − 1)/b2 if b2 > 0 else 0)·bp +
    γE, p' = p + coef β, E' = γ(E + bp)), so the results are identical to the last bit."""
    for i in range(p4.shape[0]):
        bx, by, bz = beta[i, 0], beta[i, 1], beta[i, 2]
        px, py, pz, e = p4[i, 0], p4[i, 1], p4[i, 2], p4[i, 3]
        b2 = bx * bx + by * by + bz * bz
        gamma = 1.0 / math.sqrt(1.0 - b2)
        bp = bx * px + by * py + bz * pz
        coef = (gamma - 1.0) / b2 if b2 > 0.0 else 0.0
        coef = coef * bp + gamma * e
        out[i, 0] = px + coef * bx
        out[i, 1] = py + coef * by
        out[i, 2] = pz + coef * bz
        out[i, 3] = gamma * (e + bp)


def velocity(p4: Array) -> Array:
    """Velocity vector β = p/E."""
    return p4[..., :3] / p4[..., 3:4]


def orthonormal_frame(axis: Array) -> tuple[Array, Array, Array]:
    """Two unit vectors perpendicular to `axis` and the unit axis itself (a right-handed frame)."""
    z = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    helper = np.zeros_like(z)
    use_x = np.abs(z[..., 0]) < 0.9
    helper[..., 0] = use_x
    helper[..., 1] = ~use_x
    x = np.cross(helper, z)
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.cross(z, x)
    return x, y, z


def directions(cos_theta: Array, phi: Array, axis: Array | None = None) -> Array:
    """Unit vectors at polar angle θ and azimuth φ about `axis` (default: the z axis)."""
    sin_theta = np.sqrt(np.maximum(0.0, 1.0 - cos_theta * cos_theta))
    local = (sin_theta * np.cos(phi), sin_theta * np.sin(phi), cos_theta)
    if axis is None:
        return np.stack(local, axis=-1)
    ex, ey, ez = orthonormal_frame(np.broadcast_to(axis, (*cos_theta.shape, 3)))
    return local[0][..., None] * ex + local[1][..., None] * ey + local[2][..., None] * ez


def sample_cos_theta(rng: np.random.Generator, n: int, a2: float = 0.0) -> Array:
    """cos θ distributed as 1 + a₂ cos²θ on [−1, 1] (a₂ ≥ −1), by vectorised accept–reject.

    a₂ = 1 gives the 1 + cos²θ of e+e− → vector/fermion pairs, a₂ = −1 the sin²θ of
    Υ(4S) → BB̄, a₂ = 0 isotropy.
    """
    if a2 < -1.0:
        raise ValueError(f"angular coefficient a2={a2} must be >= -1")
    if a2 == 0.0:
        return rng.uniform(-1.0, 1.0, n)
    fmax = 1.0 + max(a2, 0.0)
    out = np.empty(n)
    filled = 0
    while filled < n:
        need = n - filled
        trial = int(need / (1.0 + min(a2, 0.0) / 3.0 * fmax) * 1.1) + 16
        c = rng.uniform(-1.0, 1.0, trial)
        keep = c[rng.uniform(0.0, fmax, trial) < 1.0 + a2 * c * c][:need]
        out[filled : filled + keep.size] = keep
        filled += keep.size
    return out


def two_body_decay(
    rng: np.random.Generator,
    parent: Array,
    m1: ArrayLike,
    m2: ArrayLike,
    cos_theta: Array | None = None,
    axis: Array | None = None,
) -> tuple[Array, Array]:
    """Decay parents (N, 4) into two daughters of masses m1, m2; returns their four-momenta.

    The first daughter's direction in the parent rest frame has polar angle `cos_theta`
    (default isotropic) about `axis` given in that rest frame (default: z). Uniform azimuth.
    The arithmetic is that of `two_body_momentum`, `directions`, `four_vector` and `boost`,
    in one compiled pass over the events (no temporaries); NaN where the decay is closed.
    """
    n = parent.shape[0]
    if cos_theta is None:
        cos_theta = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    d1 = np.empty((n, 4))
    d2 = np.empty((n, 4))
    _two_body_kernel(
        np.asarray(parent, dtype=float),
        np.broadcast_to(np.asarray(m1, dtype=float), (n,)),
        np.broadcast_to(np.asarray(m2, dtype=float), (n,)),
        np.broadcast_to(np.asarray(cos_theta, dtype=float), (n,)),
        phi,
        np.zeros((1, 3)) if axis is None else np.broadcast_to(np.asarray(axis, float), (n, 3)),
        axis is not None,
        d1,
        d2,
    )
    return d1, d2


@numba.njit(cache=True)
def _two_body_kernel(
    parent: Array, m1: Array, m2: Array, cos_theta: Array, phi: Array, axis: Array,
    has_axis: bool, d1: Array, d2: Array,
) -> None:  # fmt: skip
    """Per event: p* (PDG Kinematics eq. 49.17), the direction about `axis`, both daughters'
    four-vectors in the rest frame and the boost by β = p/E of the parent (Jackson eq. 11.19);
    each operation in the order of the numpy functions above, so results are identical."""
    for i in range(parent.shape[0]):
        px, py, pz, e = parent[i, 0], parent[i, 1], parent[i, 2], parent[i, 3]
        big_m = math.sqrt(max(e**2 - (px**2 + py**2 + pz**2), 0.0))
        a, b, c = big_m * big_m, m1[i] * m1[i], m2[i] * m2[i]
        lam = a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)
        pstar = np.sqrt(lam) / (2.0 * big_m) if lam >= 0.0 else np.nan
        ct = cos_theta[i]
        st = math.sqrt(max(0.0, 1.0 - ct * ct))
        l0, l1, l2 = st * math.cos(phi[i]), st * math.sin(phi[i]), ct
        if has_axis:
            ax, ay, az = axis[i, 0], axis[i, 1], axis[i, 2]
            norm = math.sqrt(ax * ax + ay * ay + az * az)
            zx, zy, zz = ax / norm, ay / norm, az / norm
            hx, hy = (1.0, 0.0) if abs(zx) < 0.9 else (0.0, 1.0)
            # x = helper × z (helper_z = 0), normalised; y = z × x
            xx, xy, xz = hy * zz, -(hx * zz), hx * zy - hy * zx
            norm = math.sqrt(xx * xx + xy * xy + xz * xz)
            xx, xy, xz = xx / norm, xy / norm, xz / norm
            yx, yy, yz = zy * xz - zz * xy, zz * xx - zx * xz, zx * xy - zy * xx
            dx = l0 * xx + l1 * yx + l2 * zx
            dy = l0 * xy + l1 * yy + l2 * zy
            dz = l0 * xz + l1 * yz + l2 * zz
        else:
            dx, dy, dz = l0, l1, l2
        qx, qy, qz = pstar * dx, pstar * dy, pstar * dz
        q2 = qx * qx + qy * qy + qz * qz
        e1 = math.sqrt(q2 + m1[i] ** 2)
        e2 = math.sqrt(q2 + m2[i] ** 2)
        bx, by, bz = px / e, py / e, pz / e
        b2 = bx * bx + by * by + bz * bz
        gamma = 1.0 / math.sqrt(1.0 - b2)
        g2 = (gamma - 1.0) / b2 if b2 > 0.0 else 0.0
        bp = bx * qx + by * qy + bz * qz
        coef = g2 * bp + gamma * e1
        d1[i, 0], d1[i, 1], d1[i, 2] = qx + coef * bx, qy + coef * by, qz + coef * bz
        d1[i, 3] = gamma * (e1 + bp)
        bp = bx * -qx + by * -qy + bz * -qz
        coef = g2 * bp + gamma * e2
        d2[i, 0], d2[i, 1], d2[i, 2] = -qx + coef * bx, -qy + coef * by, -qz + coef * bz
        d2[i, 3] = gamma * (e2 + bp)


def pseudo_rest_frame_x(lepton_p4_cms: Array, tag_p4_cms: Array, sqrt_s: float | Array) -> Array:
    """x_ℓ = 2E_ℓ/m_τ in the pseudo-rest frame of the signal τ (Belle II, arXiv:2007.08239).

    Shared by the generator (truth x_ℓ of τ → ℓa) and the detector's analysis variables.

    The signal τ is taken with energy √s/2 and direction −p̂(tag visible system), both in the CM
    frame; `lepton_p4_cms`, `tag_p4_cms` (N, 4) in the CM frame (reconstructed or truth).
    """
    m_tau = pdg_mass(int(tau_minus.pdgid))
    e_tau = 0.5 * np.asarray(sqrt_s, dtype=float)
    p_tau = np.sqrt(np.maximum(e_tau**2 - m_tau**2, 0.0))
    d = -tag_p4_cms[:, :3] / np.linalg.norm(tag_p4_cms[:, :3], axis=1, keepdims=True)
    beta = (p_tau / e_tau)[..., None] * d if np.ndim(e_tau) else (p_tau / e_tau) * d
    return 2.0 * boost(lepton_p4_cms, -beta)[:, 3] / m_tau
