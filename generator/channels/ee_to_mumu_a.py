"""e+e− → γ* → μ+μ− a: an ALP radiated from the muon line (Belle II μμττ search), a → decay_alp.

Coupling (BNT17 eq. (1), c_μμ in the Λ normalisation): 𝓛 ⊃ (c_μμ/2)(∂^μa/Λ) μ̄γ_μγ₅μ, which for
on-shell muons equals the pseudoscalar Yukawa 𝓛 ⊃ −i g a μ̄γ₅μ with g = c_μμ m_μ/Λ (integration
by parts and the Dirac equation; the anomaly term a F F̃ it also produces is not part of this
process at tree level). Matrix element (two diagrams, the ALP from the μ− or from the μ+, as in
e+e− → f f̄ A of Djouadi, Kalinowski, Zerwas, Z. Phys. C 54 (1992) 255)::

    M = (e²/s) [v̄(p₂) γ^ν u(p₁)] · g ū(k₁) Γ_ν v(k₂),
    Γ_ν = γ₅ (k̸₁ + k̸ + m)/((k₁ + k)² − m²) γ_ν + γ_ν (−k̸₂ − k̸ + m)/((k₂ + k)² − m²) γ₅,

    (1/4) Σ|M|² = (e⁴ g²/(4 s²)) L^{μν} H_{μν},
    L^{μν} = 4 [p₁^μ p₂^ν + p₂^μ p₁^ν − g^{μν}(p₁·p₂ + m_e²)],
    H_{μν} = Tr[(k̸₁ + m) Γ_μ (k̸₂ − m) Γ̄_ν].

The traces are evaluated numerically with explicit Dirac matrices (vectorised over events;
exact at tree level, m_μ and m_e kept). Checks (tests/test_channel_mumu_a.py): current
conservation q^μ H_{μν} = 0, which fixes the relative sign of the diagrams; equality with the
derivative-coupling vertex (c/2Λ) k̸γ₅; the Monte Carlo total against a quadrature over the
Dalitz plot with the beam-orientation average ⟨L^{μν}⟩ = (4/3)(q^μq^ν − q² g^{μν}).

Generation: three-body phase space dΦ₃ = dΦ₂(s; a, Q) dQ²/2π dΦ₂(Q; μ⁺μ⁻) with Q² from a
linearly falling proposal density (Q2_SLOPE; the weights carry its inverse),
weights w = |M|² dΦ₃/(2s), unweighted by vectorised accept–reject against a maximum found on a
presample (×1.3; the efficiency is `efficiency`). σ(s) = (1/2s)∫|M|²dΦ₃ by Gauss–Legendre
quadrature on the Dalitz plot, tabulated in √s for ISR. Recoil mass against μ+μ− (nominal CM
frame and √s): M²_rec = s − 2√s E*_μμ + M²_μμ (as in Belle II, PRL 131 (2023) 121802,
arXiv:2306.12294), column `recoil_mass_truth`.
"""

from __future__ import annotations

from functools import cache

import numba
import numpy as np
from numpy.typing import NDArray

from ...pdg import ALP_PDG_ID
from ...pdg import mass as pdg_mass
from ...record import Block
from ...toml_fields import Field, Table, field_map
from ..alp.couplings import ALPHA_EM
from ..alp_decays import decay_alp
from ..beams import BeamDraw, BeamSettings
from ..builder import BlockBuilder
from ..isr import HardSystem, Radiator
from ..kinematics import boost, two_body_decay, two_body_momentum, velocity
from .base import ISR_OPTION, MODEL_INDEPENDENT, AlpSettings, generate_final_states
from .ee_to_gamma_a import GEV2_TO_FB

Array = NDArray[np.float64]
MUON, ELECTRON = 13, 11
E2 = 4.0 * np.pi * ALPHA_EM
#: Safety factor on the presampled maximum weight, presample size and its fixed seed.
SAFETY, N_PRESAMPLE, PRESAMPLE_SEED = 1.3, 20_000, 20230612
N_GL = 48  # Gauss–Legendre nodes per Dalitz axis


# ---- Dirac algebra ------------------------------------------------------------------------------
def _dirac() -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    """γ^μ (μ = 0..3) and γ₅ in the Dirac representation (Bjorken–Drell)."""
    i2, z2 = np.eye(2), np.zeros((2, 2))
    sig = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    g0 = np.block([[i2, z2], [z2, -i2]]).astype(complex)
    gs = [np.block([[z2, s], [-s, z2]]).astype(complex) for s in sig]
    g5 = np.block([[z2, i2], [i2, z2]]).astype(complex)
    return np.stack([g0, *gs]), g5


GAMMA, GAMMA5 = _dirac()
GAMMA_LOWER = GAMMA * np.array([1.0, -1.0, -1.0, -1.0])[:, None, None]


def slash(p: Array) -> NDArray[np.complex128]:
    """p̸ = γ^μ p_μ for four-vectors (N, 4) in (px, py, pz, E) order → (N, 4, 4)."""
    lower = np.stack([p[:, 3], -p[:, 0], -p[:, 1], -p[:, 2]], axis=-1)
    return np.einsum("nm,mab->nab", lower, GAMMA)


def _dot(a: Array, b: Array) -> Array:
    return a[:, 3] * b[:, 3] - np.sum(a[:, :3] * b[:, :3], axis=1)


def _bar(m: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """Γ̄ = γ⁰ Γ† γ⁰."""
    return GAMMA[0] @ np.conj(np.swapaxes(m, -1, -2)) @ GAMMA[0]


class MuonCurrent:
    """The muon-line vertex Γ(a) = V S₁ a̸ + a̸ S₂ V for a batch of (k₁, k₂, k) (module doc).

    `vertex = "yukawa"`: V = γ₅ (coupling g); `"derivative"`: V = k̸γ₅/(2m_μ) (coupling c/Λ·m_μ,
    the same g), for the equivalence check.
    """

    def __init__(self, k1: Array, k2: Array, k: Array, vertex: str = "yukawa") -> None:
        m = pdg_mass(MUON)
        eye = np.eye(4)
        n = k1.shape[0]
        d1 = _dot(k1 + k, k1 + k) - m * m
        d2 = _dot(k2 + k, k2 + k) - m * m
        s1 = (slash(k1 + k) + m * eye) / d1[:, None, None]
        s2 = (-slash(k2 + k) + m * eye) / d2[:, None, None]
        v = (
            np.broadcast_to(GAMMA5, (n, 4, 4))
            if vertex == "yukawa"
            else (slash(k) @ GAMMA5 / (2.0 * m))
        )
        self.left = v @ s1  # Γ(a) = left · a̸ + a̸ · right
        self.right = s2 @ v
        self.u = slash(k1) + m * eye  # Σ u ū
        self.v = slash(k2) - m * eye  # Σ v v̄

    def gamma(self, a_slash: NDArray[np.complex128]) -> NDArray[np.complex128]:
        return self.left @ a_slash + a_slash @ self.right

    def trace(self, a_slash, b_slash) -> NDArray[np.complex128]:
        """H(a, b) = Tr[(k̸₁ + m) Γ(a) (k̸₂ − m) Γ̄(b)] per event."""
        lhs = self.u @ self.gamma(a_slash) @ self.v
        rhs = _bar(self.gamma(b_slash))
        return np.einsum("nab,nba->n", lhs, rhs)

    def h_trace(self) -> Array:
        """g^{μν} H_{μν} (real)."""
        n = self.u.shape[0]
        out = np.zeros(n)
        for mu, sign in enumerate((1.0, -1.0, -1.0, -1.0)):
            g = np.broadcast_to(GAMMA_LOWER[mu], (n, 4, 4))
            out += sign * self.trace(g, g).real
        return out


@numba.njit(cache=True, nogil=True)
def _mm(a, b, out):  # pragma: no cover - compiled
    """out = a @ b for 4×4 complex matrices (no temporaries)."""
    for i in range(4):
        for j in range(4):
            acc = 0j
            for q in range(4):
                acc += a[i, q] * b[q, j]
            out[i, j] = acc


# Every γ matrix (and γ5) of the Dirac representation has one non-zero entry per row and per
# column: products with them are one term per entry (_mm_gamma_left / _mm_gamma_right).
_MONOMIAL = all(
    np.count_nonzero(g, axis=ax).tolist() == [1] * 4 for g in (*GAMMA, GAMMA5) for ax in (0, 1)
)
if not _MONOMIAL:  # pragma: no cover - the representation is fixed above
    raise AssertionError("a γ matrix has more than one non-zero entry in a row or column")


@numba.njit(cache=True, nogil=True)
def _nonzero_cols(a):  # pragma: no cover - compiled
    """Column of the non-zero entry of each row of a γ matrix."""
    cols = np.zeros(4, np.int64)
    for i in range(4):
        for q in range(4):
            if a[i, q] != 0:
                cols[i] = q
    return cols


@numba.njit(cache=True, nogil=True)
def _mm_gamma_left(a, cols, b, out):  # pragma: no cover - compiled
    """out = a @ b where `a` is a γ matrix whose row i holds its one non-zero in column
    cols[i]. Bit-identical to `_mm` for finite `b`: there each skipped product is ±0, and
    adding ±0 to the running sum, which starts at +0 and so is never −0, changes nothing;
    the sum is +0 plus the one product, as here."""
    for i in range(4):
        c = cols[i]
        for j in range(4):
            out[i, j] = 0j + a[i, c] * b[c, j]


@numba.njit(cache=True, nogil=True)
def _mm_gamma_right(a, b, rows, out):  # pragma: no cover - compiled
    """out = a @ b where `b` is a γ matrix whose column j holds its one non-zero in row
    rows[j] (`_mm_gamma_left`, mirrored)."""
    for j in range(4):
        r = rows[j]
        for i in range(4):
            out[i, j] = 0j + a[i, r] * b[r, j]


@numba.njit(cache=True, nogil=True)
def _lh_kernel(p1, p2, k1, k2, k, m, me2, gam, g5, out, out_htr):  # pragma: no cover - compiled
    """L^{μν}H_{μν} per event, the Yukawa vertex: the same traces as `MuonCurrent` and
    `matrix_element_squared` (module doc), from the tensor H_{μν} = Tr[U Γ(γ_μ) V Γ̄(γ_ν)]
    built once per event (γ_μ with a lower index), contracted with p1^μ p2^ν and g^{μν}."""
    metric = np.array([1.0, -1.0, -1.0, -1.0])
    scratch = np.zeros((8, 4, 4), np.complex128)
    s1, s2, u, v = scratch[0], scratch[1], scratch[2], scratch[3]
    left, right, tmp, tmp2 = scratch[4], scratch[5], scratch[6], scratch[7]
    a_mat = np.zeros((4, 4, 4), np.complex128)
    b_mat = np.zeros((4, 4, 4), np.complex128)
    gl = np.zeros((4, 4, 4), np.complex128)
    for mu in range(4):
        gl[mu] = gam[mu] * metric[mu]
    # non-zero positions: row i of γ in column c_i; column j of γ in row r_j (γ^T's c_j)
    g5_cols, g5_rows = _nonzero_cols(g5), _nonzero_cols(g5.T)
    g0_cols, g0_rows = _nonzero_cols(gam[0]), _nonzero_cols(gam[0].T)
    gl_cols, gl_rows = np.zeros((4, 4), np.int64), np.zeros((4, 4), np.int64)
    for mu in range(4):
        gl_cols[mu], gl_rows[mu] = _nonzero_cols(gl[mu]), _nonzero_cols(gl[mu].T)
    q1 = np.zeros(4)
    q2 = np.zeros(4)
    for e in range(k1.shape[0]):
        # contravariant components in (E, px, py, pz) order
        for c in range(4):
            src = 3 if c == 0 else c - 1
            q1[c] = k1[e, src] + k[e, src]
            q2[c] = k2[e, src] + k[e, src]
        d1 = q1[0] ** 2 - q1[1] ** 2 - q1[2] ** 2 - q1[3] ** 2 - m * m
        d2 = q2[0] ** 2 - q2[1] ** 2 - q2[2] ** 2 - q2[3] ** 2 - m * m
        for i in range(4):
            for j in range(4):
                sl1 = sl2 = slu = slv = 0j
                for c in range(4):  # p̸ = γ^μ p_μ = Σ γ^c metric_c p^c
                    gc = gam[c, i, j] * metric[c]
                    src = 3 if c == 0 else c - 1
                    sl1 += gc * q1[c]
                    sl2 += gc * q2[c]
                    slu += gc * k1[e, src]
                    slv += gc * k2[e, src]
                diag = m if i == j else 0.0
                s1[i, j] = (sl1 + diag) / d1
                s2[i, j] = (-sl2 + diag) / d2
                u[i, j] = slu + diag
                v[i, j] = slv - diag
        _mm_gamma_left(g5, g5_cols, s1, left)
        _mm_gamma_right(s2, g5, g5_rows, right)
        for mu in range(4):
            _mm_gamma_right(left, gl[mu], gl_rows[mu], tmp)  # Γ(γ_μ) = left γ_μ + γ_μ right
            _mm_gamma_left(gl[mu], gl_cols[mu], right, tmp2)
            for i in range(4):
                for j in range(4):
                    tmp[i, j] += tmp2[i, j]
            # Γ̄ = γ⁰ Γ† γ⁰
            for i in range(4):
                for j in range(4):
                    tmp2[i, j] = np.conj(tmp[j, i])
            _mm_gamma_left(gam[0], g0_cols, tmp2, b_mat[mu])
            _mm_gamma_right(b_mat[mu], gam[0], g0_rows, tmp2)
            b_mat[mu, :, :] = tmp2
            _mm(u, tmp, tmp2)  # U Γ V
            _mm(tmp2, v, a_mat[mu])
        pp = 0.0
        htr = 0.0
        for mu in range(4):
            src_mu = 3 if mu == 0 else mu - 1
            for nu in range(4):
                src_nu = 3 if nu == 0 else nu - 1
                w = p1[e, src_mu] * p2[e, src_nu]
                if w == 0.0 and mu != nu:
                    continue
                h = 0.0
                for i in range(4):
                    for j in range(4):
                        h += (a_mat[mu, i, j] * b_mat[nu, j, i]).real
                pp += w * h
                if mu == nu:
                    htr += metric[mu] * h
        dot12 = p1[e, 3] * p2[e, 3] - p1[e, 0] * p2[e, 0] - p1[e, 1] * p2[e, 1]
        dot12 -= p1[e, 2] * p2[e, 2]
        out[e] = 4.0 * (2.0 * pp - (dot12 + me2) * htr)
        out_htr[e] = htr


def matrix_element_squared(
    p1: Array, p2: Array, k1: Array, k2: Array, k: Array, g: float, vertex: str = "yukawa"
) -> Array:
    """Spin-averaged |M|² of e−(p1) e+(p2) → μ−(k1) μ+(k2) a(k) (module doc), any frame.
    The Yukawa vertex runs in a compiled kernel (`_lh_kernel`), the derivative one (a check,
    tests/test_channel_mumu_a.py) through `MuonCurrent`."""
    me2 = pdg_mass(ELECTRON) ** 2
    s = _dot(p1 + p2, p1 + p2)
    if vertex == "yukawa":
        lh = np.empty(k1.shape[0])
        args = (np.ascontiguousarray(x, dtype=float) for x in (p1, p2, k1, k2, k))
        _lh_kernel(*args, pdg_mass(MUON), me2, GAMMA, GAMMA5, lh, np.empty_like(lh))
        return E2**2 * g * g / (4.0 * s * s) * lh
    cur = MuonCurrent(k1, k2, k, vertex)
    me2 = pdg_mass(ELECTRON) ** 2
    lh = 4.0 * (2.0 * cur.trace(slash(p1), slash(p2)).real - (_dot(p1, p2) + me2) * cur.h_trace())
    return E2**2 * g * g / (4.0 * s * s) * lh


def h_trace(k1: Array, k2: Array, k: Array) -> Array:
    """g^{μν}H_{μν} of the Yukawa vertex by the compiled kernel (= MuonCurrent.h_trace)."""
    n = k1.shape[0]
    zero = np.zeros((n, 4))
    lh, htr = np.empty(n), np.empty(n)
    args = (np.ascontiguousarray(x, dtype=float) for x in (k1, k2, k))
    _lh_kernel(zero, zero, *args, pdg_mass(MUON), 0.0, GAMMA, GAMMA5, lh, htr)
    return htr


# ---- cross section by quadrature over the Dalitz plot -----------------------------------------
def dalitz_momenta(sqrt_s: float, s1: Array, s2: Array, m_a: float) -> tuple[Array, Array, Array]:
    """CM four-momenta (k1, k2, k) of μ−, μ+, a for s1 = (k1 + k)², s2 = (k2 + k)²."""
    m = pdg_mass(MUON)
    e1 = (sqrt_s**2 - s2 + m * m) / (2.0 * sqrt_s)
    e2 = (sqrt_s**2 - s1 + m * m) / (2.0 * sqrt_s)
    ea = sqrt_s - e1 - e2
    p1 = np.sqrt(np.maximum(e1**2 - m * m, 0.0))
    p2 = np.sqrt(np.maximum(e2**2 - m * m, 0.0))
    pa2 = np.maximum(ea**2 - m_a**2, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos12 = np.clip((pa2 - p1**2 - p2**2) / (2.0 * p1 * p2), -1.0, 1.0)
    sin12 = np.sqrt(1.0 - cos12**2)
    n = np.size(s1)
    k2 = np.zeros((n, 4))
    k2[:, 2], k2[:, 3] = p2, e2
    k1 = np.zeros((n, 4))
    k1[:, 0], k1[:, 2], k1[:, 3] = p1 * sin12, p1 * cos12, e1
    k = -(k1 + k2)
    k[:, 3] = ea
    return k1, k2, k


def cross_section_quadrature(sqrt_s: float, m_a: float, g: float, n: int = N_GL) -> float:
    """σ(e+e− → μ+μ−a) in fb by n×n Gauss–Legendre quadrature on the Dalitz plot.

    σ = (1/2s) ∫ ds₁ ds₂/(128π³ s) ⟨|M|²⟩, with the beam-orientation average
    ⟨L^{μν}H_{μν}⟩ = −(4/3) s g^{μν}H_{μν} (current conservation); PDG Kinematics eq. (49.22)
    for the Dalitz boundary.
    """
    m = pdg_mass(MUON)
    s = sqrt_s**2
    if sqrt_s <= 2.0 * m + m_a:
        return 0.0
    x, w = np.polynomial.legendre.leggauss(n)
    lo1, hi1 = (m + m_a) ** 2, (sqrt_s - m) ** 2
    s1 = lo1 + (hi1 - lo1) * 0.5 * (x + 1.0)
    w1 = (hi1 - lo1) * 0.5 * w
    # particle 1 = μ−, 2 = a (pair "12" = s1), 3 = μ+; s2 = m23² between its limits.
    e2s = (s1 - m * m + m_a**2) / (2.0 * np.sqrt(s1))
    e3s = (s - s1 - m * m) / (2.0 * np.sqrt(s1))
    pa = np.sqrt(np.maximum(e2s**2 - m_a**2, 0.0))
    pm = np.sqrt(np.maximum(e3s**2 - m * m, 0.0))
    lo2, hi2 = (e2s + e3s) ** 2 - (pa + pm) ** 2, (e2s + e3s) ** 2 - (pa - pm) ** 2
    s1g = np.repeat(s1, n)
    s2g = (lo2[:, None] + (hi2 - lo2)[:, None] * 0.5 * (x[None, :] + 1.0)).ravel()
    wg = (w1[:, None] * (hi2 - lo2)[:, None] * 0.5 * w[None, :]).ravel()
    k1, k2, k = dalitz_momenta(sqrt_s, s1g, s2g, m_a)
    h = h_trace(k1, k2, k)
    avg_m2 = E2**2 * g * g / (4.0 * s * s) * (-4.0 / 3.0) * s * h
    return float(np.sum(wg * avg_m2) / (128.0 * np.pi**3 * s) / (2.0 * s) * GEV2_TO_FB)


# ---- phase-space sampling -----------------------------------------------------------------------
#: Slope of the Q² proposal density g(x) ∝ 1 − λx, x = (Q² − Q²_min)/(Q²_max − Q²_min): |M|²dΦ₃
#: falls about linearly in Q² (m_a = 6 GeV at 10.58 GeV: the weight per Q² bin drops 9-fold from
#: the lowest to the highest bin), so this proposal doubles the unweighting efficiency; the
#: weights carry 1/g, the distribution and σ do not depend on λ (tests/test_channel_mumu_a.py).
Q2_SLOPE = 0.8


def sample_phase_space(
    rng: np.random.Generator, sqrt_s: Array, m_a: float
) -> tuple[Array, Array, Array, Array]:
    """(k1, k2, k, w_ps) in the CM frame: μ−, μ+, a and the phase-space weight dΦ₃ per event.

    Q = m(μμ) with Q² from the density g(x) = (1 − λx)/(1 − λ/2) on x ∈ [0, 1] (Q2_SLOPE, by
    inverting its CDF); a + Q and Q → μμ isotropic; w_ps = ΔQ²/(2π g) · p*_a/(4π√s) ·
    p*_μ/(4πQ) (dΦ₂ = p*/(16π²M) dΩ).
    """
    m = pdg_mass(MUON)
    n = sqrt_s.size
    q2_lo, q2_hi = (2.0 * m) ** 2, (sqrt_s - m_a) ** 2
    lam = Q2_SLOPE
    u = rng.uniform(size=n)
    if lam > 0.0:
        x = (1.0 - np.sqrt(1.0 - 2.0 * lam * (1.0 - 0.5 * lam) * u)) / lam
    else:  # uniform in Q²
        x = u
    density = (1.0 - lam * x) / (1.0 - 0.5 * lam)
    q2 = q2_lo + (q2_hi - q2_lo) * x
    q = np.sqrt(q2)
    parent = np.zeros((n, 4))
    parent[:, 3] = sqrt_s
    p_a, p_q = two_body_decay(rng, parent, m_a, q)
    k1, k2 = two_body_decay(rng, p_q, m, m)
    w = (
        (q2_hi - q2_lo)
        / (2.0 * np.pi * density)
        * two_body_momentum(sqrt_s, m_a, q)
        / (4.0 * np.pi * sqrt_s)
        * two_body_momentum(q, m, m)
        / (4.0 * np.pi * q)
    )
    return k1, k2, p_a, w


def beams_in_cms(sqrt_s: Array, axis: Array) -> tuple[Array, Array]:
    """Massless e− and e+ along ±axis in the CM frame of the hard system."""
    e = 0.5 * sqrt_s
    p1 = np.concatenate([e[:, None] * axis, e[:, None]], axis=1)
    p2 = np.concatenate([-e[:, None] * axis, e[:, None]], axis=1)
    return p1, p2


def event_weights(
    rng: np.random.Generator, sqrt_s: Array, axis: Array, m_a: float, g: float
) -> tuple[Array, Array, Array, Array]:
    """Sample (k1, k2, k) in the CM frame and their weights w = |M|² dΦ₃/(2s) in GeV⁻²."""
    k1, k2, k, w_ps = sample_phase_space(rng, sqrt_s, m_a)
    p1, p2 = beams_in_cms(sqrt_s, axis)
    m2 = matrix_element_squared(p1, p2, k1, k2, k, g)
    return k1, k2, k, m2 * w_ps / (2.0 * sqrt_s**2)


@cache
def _tables(m_a: float, g: float, sqrt_s_max: float, isr: bool):
    """σ(√s') table (quadrature) and presampled maximum weights on a √s' grid (fixed seed)."""
    rng = np.random.default_rng(PRESAMPLE_SEED)
    threshold = 2.0 * pdg_mass(MUON) + m_a
    if isr:
        grid = threshold + (sqrt_s_max - threshold) * np.linspace(0.0, 1.0, 41) ** 0.5
        grid[0] = threshold * (1 + 1e-9)
        wnodes = grid[::5]
    else:
        grid = np.array([sqrt_s_max / 1.02, sqrt_s_max])
        wnodes = grid
    sigma = np.array([cross_section_quadrature(r, m_a, g) for r in grid])
    w_max, mean_w = [], []
    axis = np.tile([0.0, 0.0, 1.0], (N_PRESAMPLE, 1))
    for r in wnodes:
        *_, w = event_weights(rng, np.full(N_PRESAMPLE, r), axis, m_a, g)
        w_max.append(w.max())
        mean_w.append(w.mean())
    return grid, sigma, wnodes, np.array(w_max), np.array(mean_w)


#: [channel] options of e+e− → μ+μ− a, declared once (validator, guide).
OPTIONS = field_map((
    Field("c_mumu", "number", "ALP-muon coupling (BNT17) of a model-independent ALP (with "
          "[alp.couplings] it comes from them); not 0",
          needs=MODEL_INDEPENDENT),
    Field("Lambda", "number", "scale Λ of c_mumu/Λ", default=1000.0, unit="GeV", lo=1.0,
          needs="model-independent ALP only (default 1000)"),
    ISR_OPTION,
))  # fmt: skip


class EeToMuMuA:
    """e+e− → μ+μ− a from the muon line (pseudoscalar, c_μμ/Λ), a → ALP final states; ISR."""

    name = "e+ e- -> mu+ mu- a"

    def __init__(
        self,
        alp: AlpSettings,
        c_over_lambda: float,
        sqrt_s: float,
        cms_beta: Array,
        isr: bool = False,
    ) -> None:
        self.alp = alp
        self.c_over_lambda = c_over_lambda
        self.g = c_over_lambda * pdg_mass(MUON)
        self.sqrt_s = sqrt_s
        self.cms_beta = np.asarray(cms_beta, dtype=float)
        grid, sigma, wnodes, w_max, mean_w = _tables(alp.mass, self.g, 1.02 * sqrt_s, isr)
        self._grid, self._sigma = grid, sigma
        self._wnodes = wnodes
        # Piecewise-constant bound on each √s' interval: the larger neighbour × SAFETY.
        self._w_bound = (
            SAFETY * np.maximum(w_max[:-1], w_max[1:]) if len(w_max) > 1 else (SAFETY * w_max)
        )
        self.presample_efficiency = float(mean_w[-1] / (SAFETY * max(w_max[-1], w_max[-2])))
        self.n_trials = 0
        self.n_accepted = 0
        self.n_overweight = 0
        self.radiator = Radiator(
            isr, self.sigma_fb, (2.0 * pdg_mass(MUON) + alp.mass) ** 2, sqrt_s**2
        )

    def sigma_fb(self, s: Array) -> Array:
        """σ(s') in fb, interpolated in √s' on the quadrature table (0 below threshold)."""
        r = np.sqrt(np.asarray(s, dtype=float))
        return np.interp(r, self._grid, self._sigma, left=0.0, right=self._sigma[-1])

    @property
    def min_sqrt_s(self) -> float:
        return 2.0 * pdg_mass(MUON) + self.alp.mass

    @staticmethod
    def max_alp_mass(beams: BeamSettings) -> float:
        return float(beams.nominal_cms()[0]) - 2.0 * pdg_mass(MUON)

    @classmethod
    def from_card(cls, table: Table, alp: AlpSettings, beams: BeamSettings) -> EeToMuMuA:
        """Options: `c_mumu` and `Lambda` (GeV, default 1000) for a model-independent ALP
        (a coupling-driven one takes alp.couplings.c_mumu/Lambda), `isr` (default false)."""
        if alp.couplings is not None:
            for key in ("c_mumu", "Lambda"):
                if table.has(key):
                    raise table.error(
                        key,
                        "cannot be combined with [alp.couplings]: c_mumu/Λ "
                        "is taken from the couplings",
                    )
            c_over_lambda = alp.couplings.c_mumu / alp.couplings.Lambda
            if c_over_lambda == 0.0:
                raise table.error("name", "e+ e- -> mu+ mu- a needs alp.couplings.c_mumu != 0")
        else:
            if not table.has("c_mumu"):
                raise table.error(
                    "c_mumu",
                    "is required for a model-independent ALP: the "
                    "ALP-muon coupling c_mumu (BNT17), with Lambda in GeV",
                )
            c = OPTIONS["c_mumu"].read(table)
            lam = OPTIONS["Lambda"].read(table)
            if c == 0.0:
                raise table.error("c_mumu", "= 0 gives no events")
            c_over_lambda = c / lam
        isr = OPTIONS["isr"].read(table)
        sqrt_s, beta = beams.nominal_cms()
        return cls(alp, c_over_lambda, float(sqrt_s), beta, isr)

    # ---- generation -------------------------------------------------------------------------
    def _bound(self, sqrt_s: Array) -> Array:
        if self._wnodes.size == 2 and not self.radiator.enabled:
            return np.full(sqrt_s.shape, self._w_bound[0])
        i = np.clip(np.searchsorted(self._wnodes, sqrt_s) - 1, 0, self._w_bound.size - 1)
        return self._w_bound[i]

    def _unweighted(self, rng: np.random.Generator, hard: HardSystem) -> tuple[Array, ...]:
        """CM-frame (k1, k2, k) distributed as |M|² dΦ₃ for each event's √s' and beam axis."""
        sqrt_s = hard.sqrt_s
        n = sqrt_s.size
        out = np.empty((3, n, 4))
        todo = np.arange(n)
        # r trials per pending event in one vectorised pass; each event takes its first
        # accepted trial, as a sequential accept–reject would. Trials after the first accepted
        # one are wasted: r/(1 − (1 − ε)^r) evaluations per event against 1/ε sequentially,
        # so r ≈ 1/(4ε) (at most ~12 % waste) rather than 1/ε (~37 %), at the cost of a few
        # more, ever smaller passes.
        r = int(min(64, np.ceil(0.25 / max(self.efficiency, 1e-3))))
        for _ in range(100_000):
            if not todo.size:
                break
            # the last few events (near threshold the acceptance can be tiny) get at least
            # ~1000 trials per pass between them, so the number of passes stays small
            idx = np.repeat(todo, max(r, min(4096, -(-1024 // todo.size))))
            k1, k2, k, w = event_weights(rng, sqrt_s[idx], hard.axis[idx], self.alp.mass, self.g)
            bound = self._bound(sqrt_s[idx])
            self.n_overweight += int(np.sum(w > bound))
            keep = rng.uniform(size=idx.size) * bound < w
            events, first = np.unique(idx[keep], return_index=True)  # idx is sorted
            rows = np.flatnonzero(keep)[first]
            # trials a sequential accept–reject would have made: up to the first accepted
            per = idx.size // todo.size
            tried = np.full(todo.size, per)
            tried[np.searchsorted(todo, events)] = rows % per + 1
            self.n_trials += int(tried.sum())
            self.n_accepted += events.size
            for j, p in enumerate((k1, k2, k)):
                out[j, events] = p[rows]
            todo = np.setdiff1d(todo, events, assume_unique=True)
        else:  # pragma: no cover
            raise RuntimeError("e+e- -> mu+ mu- a: unweighting did not converge")
        return out[0], out[1], out[2]

    @property
    def efficiency(self) -> float:
        """Unweighting efficiency of the events generated so far (presample value before)."""
        return self.n_accepted / self.n_trials if self.n_trials else self.presample_efficiency

    def generate(self, rng: np.random.Generator, beams: BeamDraw) -> list[Block]:
        return generate_final_states(rng, beams, self.alp.decays, self._generate_mode)

    def _generate_mode(self, rng: np.random.Generator, beams: BeamDraw, final_state: str) -> Block:
        b = BlockBuilder(beams)
        hard = self.radiator.hard_system(rng, beams)
        self.radiator.add_photon(b, hard)
        k1, k2, k = self._unweighted(rng, hard)
        to_lab = velocity(hard.p4)
        b.add(MUON, boost(k1, to_lab), role="mu-")
        b.add(-MUON, boost(k2, to_lab), role="mu+")
        alp = b.add(ALP_PDG_ID, boost(k, to_lab), role="alp")
        decay_alp(rng, b, alp, final_state, self.alp.couplings)
        block = b.build(rng, f"e+ e- -> mu+ mu- a; a -> {final_state}", alp_ctau_mm=self.alp.ctau)
        block.extra.update(self.radiator.extra(hard))
        mumu = block.p4[:, block.roles["mu-"]] + block.p4[:, block.roles["mu+"]]
        block.extra["recoil_mass_truth"] = self.recoil_mass(mumu)
        return block

    def recoil_mass(self, p4_lab: Array) -> Array:
        """√(s − 2√s E* + M²) of a system (lab four-momenta) in the nominal CM frame; the sign
        of M²_rec is kept (−√|M²| for negative values)."""
        cms = boost(p4_lab, -np.broadcast_to(self.cms_beta, p4_lab[:, :3].shape))
        m2 = cms[:, 3] ** 2 - np.sum(cms[:, :3] ** 2, axis=1)
        rec2 = self.sqrt_s**2 - 2.0 * self.sqrt_s * cms[:, 3] + m2
        return np.sign(rec2) * np.sqrt(np.abs(rec2))

    def normalisation(self) -> dict[str, object]:
        sigma = self.radiator.cross_section()
        born = float(cross_section_quadrature(self.sqrt_s, self.alp.mass, self.g))
        return {
            "kind": "cross_section",
            "process": "e+ e- -> mu+ mu- a",
            "sqrt_s_GeV": self.sqrt_s,
            "c_mumu_over_Lambda_per_GeV": self.c_over_lambda,
            "isr": self.radiator.enabled,
            "cross_section_fb": sigma,
            # Gauss–Legendre vs a doubled grid agree to < 1e-4 (tests); table interpolation
            # for ISR adds < 1e-3.
            "cross_section_error_fb": (1e-3 if self.radiator.enabled else 1e-4) * sigma,
            "cross_section_born_fb": born,
            "unweighting_efficiency": self.efficiency,
            "alp_branching_fraction": self.alp.generated_branching_fraction,
            "alp_branching_fractions": dict(self.alp.decays),
            "formula": "N = L[fb^-1] * cross_section_fb * alp_branching_fraction * "
            "BF(a -> final state | generated) * eff",
        }


def cross_section_vs_mass(masses: Array, sqrt_s: float, c_over_lambda: float = 1e-3) -> Array:
    """Born σ(e+e− → μ+μ−a) in fb for an array of m_a (σ ∝ (c_μμ/Λ)², c/Λ in GeV⁻¹)."""
    g = c_over_lambda * pdg_mass(MUON)
    return np.array([cross_section_quadrature(sqrt_s, float(m), g) for m in masses])
