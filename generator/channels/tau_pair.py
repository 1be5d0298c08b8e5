"""e+e− → γ* → τ+τ−: cross section, angular distribution and helicity correlation (τ mass kept).

QED with one photon, unpolarised beams, m_e → 0 (Peskin & Schroeder, "An Introduction to
Quantum Field Theory", eqs. (5.12)–(5.13), with β the τ velocity in the CM frame)::

    dσ/dcosθ ∝ 1 + cos²θ + (1 − β²) sin²θ,      σ = (4πα²/3s) β (3 − β²)/2.

Helicities. In the helicity basis the γ* → τ−τ+ amplitudes are ∝ (1 ± cosθ) for opposite
helicities (h− = −h+, helicity conserving) and ∝ √(1 − β²) sinθ for equal ones (helicity flip,
2m_τ/√s = √(1 − β²)); see e.g. Tsai, PRD 4 (1971) 2821, and Hagiwara, Martin, Wade, Nucl.
Phys. B327 (1989) 569. Summed over beam helicities the diagonal of the two-τ spin density
matrix is

    P(h− = −h+) = (1 + cos²θ)/D,   P(h− = h+) = (1 − β²) sin²θ / D,   D = 1 + cos²θ + (1−β²)sin²θ,

each split evenly between its two sign choices. We keep exactly this diagonal part: each τ is
given a longitudinal polarisation ±1 about its CM flight direction, drawn with these
probabilities, so the single-τ polarisation averages to 0 (no Z exchange: its P_τ ~ 1e-3 at
10.58 GeV is neglected) and the longitudinal–longitudinal correlation
⟨h− h+⟩ = −[1 + cos²θ − (1 − β²) sin²θ]/D is exact. The off-diagonal elements (transverse
and normal spin correlations C_TT, C_NN, C_LT, which only shape the azimuthal correlation
between the two decay planes) are dropped. α = α(0): no running (vacuum polarisation) and no
final-state radiation; ISR on request (generator/isr.py).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ...pdg import mass as pdg_mass
from ..alp.couplings import ALPHA_EM
from ..isr import HardSystem
from ..kinematics import boost, two_body_decay, velocity
from ..tau_decays import rejection_sample
from .ee_to_gamma_a import GEV2_TO_FB

TAU = 15
Array = NDArray[np.float64]
#: σ(e+e− → τ+τ−) at √s = 10.58 GeV from KK2f/KKMC with all radiative corrections: 0.919 nb
#: (Banerjee, Pietrzyk, Roney, Was, PRD 77 (2008) 054012, arXiv:0706.3235).
SIGMA_TAUTAU_KKMC_NB: float = 0.919


def tau_velocity(s: float | Array) -> Array:
    """β = √(1 − 4m_τ²/s) (0 below threshold)."""
    return np.sqrt(np.clip(1.0 - 4.0 * pdg_mass(TAU) ** 2 / np.asarray(s, dtype=float), 0.0, None))


def tau_pair_cross_section(s: float | Array) -> Array:
    """Born σ(e+e− → γ* → τ+τ−) in fb = (4πα²/3s) β(3 − β²)/2 (Peskin–Schroeder eq. (5.13))."""
    s = np.asarray(s, dtype=float)
    beta = tau_velocity(s)
    return 4.0 * np.pi * ALPHA_EM**2 / (3.0 * s) * beta * (3.0 - beta**2) / 2.0 * GEV2_TO_FB


def angular_density(cos_theta: Array, beta: Array) -> Array:
    """D = 1 + cos²θ + (1 − β²) sin²θ (Peskin–Schroeder eq. (5.12)); D ≤ 2."""
    c2 = cos_theta * cos_theta
    return 1.0 + c2 + (1.0 - beta * beta) * (1.0 - c2)


def sample_cos_theta_pair(rng: np.random.Generator, beta: Array) -> Array:
    """cosθ of the τ− to the e− beam from D(cosθ; β), β per event (vectorised accept–reject)."""
    b = np.broadcast_to(beta, np.shape(beta))

    def trial(rng, todo, r):
        c = rng.uniform(-1.0, 1.0, (todo.size, r))
        return (c,), rng.uniform(0.0, 2.0, (todo.size, r)) < angular_density(c, b[todo, None])

    (out,) = rejection_sample(rng, b.size, trial, acceptance=0.75)
    return out


def sample_helicities(
    rng: np.random.Generator, cos_theta: Array, beta: Array
) -> tuple[Array, Array]:
    """Helicities (h−, h+) = ±1 of τ− and τ+ from the diagonal spin density matrix (module doc)."""
    p_opposite = (1.0 + cos_theta**2) / angular_density(cos_theta, beta)
    opposite = rng.uniform(size=cos_theta.size) < p_opposite
    h_minus = np.where(rng.uniform(size=cos_theta.size) < 0.5, 1.0, -1.0)
    h_plus = np.where(opposite, -h_minus, h_minus)
    return h_minus, h_plus


def produce_pair(rng: np.random.Generator, hard: HardSystem) -> tuple[Array, Array, Array, Array]:
    """τ− and τ+ lab four-momenta and helicities (h−, h+) for the hard e+e− system."""
    beta = tau_velocity(hard.sqrt_s**2)
    c = sample_cos_theta_pair(rng, beta)
    m_tau = pdg_mass(TAU)
    tau_minus, tau_plus = two_body_decay(rng, hard.p4, m_tau, m_tau, cos_theta=c, axis=hard.axis)
    h_minus, h_plus = sample_helicities(rng, c, beta)
    return tau_minus, tau_plus, h_minus, h_plus


def helicity_axis(tau: Array, system: Array) -> Array:
    """Unit τ flight direction of the CM (hard-system) frame, seen in the τ rest frame that
    is reached from the lab by a pure boost: −p̂(system) there (the axis `decay_tau` takes)."""
    d = -boost(system, -velocity(tau))[:, :3]
    return d / np.linalg.norm(d, axis=1, keepdims=True)
