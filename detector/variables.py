"""Analysis variables, named as Belle II analysts name them (basf2 variable manual).

Mbc and deltaE use the nominal centre-of-mass frame and beam energy of the detector card, as
the experiments do with their measured beam energies (Belle II Physics Book,
arXiv:1808.10567, sec. 7): Mbc = √((√s/2)² − |p*_B|²), ΔE = E*_B − √s/2.
Recoil mass and missing mass from the nominal beam four-momentum p_beams (Belle II Physics Book,
arXiv:1808.10567, sec. 7; M²_rec as in Belle II, PRL 131 (2023) 121802, arXiv:2306.12294):
M²_rec(X) = (p_beams − p_X)², M²_miss = (p_beams − Σ p_visible)².
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..generator.kinematics import boost
from .event_kernel import boost_fixed, mbc_delta_e, recoil_kernel


def to_cms(p4: NDArray[np.float64], cms_beta: NDArray[np.float64]) -> NDArray[np.float64]:
    """Four-vectors (N, 4) in the CM frame moving with β in the lab (compiled for one β)."""
    b = np.asarray(cms_beta, dtype=float)
    if b.ndim == 1 and p4.ndim == 2:
        return boost_fixed(p4, -b)
    return boost(p4, -b)


def beam_constrained_mass(
    candidate_p4: NDArray[np.float64], sqrt_s: float, cms_beta: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(Mbc, ΔE) of candidates (N, 4) given the nominal √s and the CM velocity in the lab
    (NaN for Mbc where |p*| exceeds the beam energy)."""
    return mbc_delta_e(
        np.ascontiguousarray(candidate_p4, dtype=float), 0.5 * sqrt_s, np.asarray(cms_beta, float)
    )


def recoil_mass(beams_p4: NDArray[np.float64], p4: NDArray[np.float64]) -> NDArray[np.float64]:
    """basf2 `recoilMass`: √((p_beams − p_X)²), NaN where negative."""
    return recoil_kernel(np.asarray(beams_p4, dtype=float), np.ascontiguousarray(p4, dtype=float))


def cos_theta(p4: NDArray[np.float64]) -> NDArray[np.float64]:
    """basf2 `cosTheta` (lab): pz/|p|."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return p4[..., 2] / momentum(p4)


def momentum(p4: NDArray[np.float64]) -> NDArray[np.float64]:
    """basf2 `p` (lab)."""
    return np.sqrt(p4[..., 0] ** 2 + p4[..., 1] ** 2 + p4[..., 2] ** 2)


def reduced_mass(m: NDArray[np.float64], daughter_mass: float) -> NDArray[np.float64]:
    """M′ = √(M² − 4m²), NaN below threshold.

    Belle II, PRD 108 (2023) L111104, arXiv:2306.02830.
    """
    with np.errstate(invalid="ignore"):
        return np.sqrt(m * m - 4.0 * daughter_mass**2)


def cms_energy(p4: NDArray[np.float64], cms_beta: NDArray[np.float64]) -> NDArray[np.float64]:
    """Energy in the CM frame moving with velocity β in the lab: γ(E − β·p)."""
    b = np.asarray(cms_beta, dtype=float)
    gamma = 1.0 / np.sqrt(1.0 - float(b @ b))
    return gamma * (p4[..., 3] - (b[0] * p4[..., 0] + b[1] * p4[..., 1] + b[2] * p4[..., 2]))


def energy_constrained_mass(
    candidate_p4: NDArray[np.float64],
    photons_p4: NDArray[np.float64],
    photons_mass: NDArray[np.float64],
    sqrt_s: float,
    cms_beta: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Di-photon mass after constraining the parent's CM energy to the beam energy (ΔE = 0).

    The photon energies dominate the uncertainty of a B → K a(→γγ) candidate, so the
    constraint rescales them by one factor k with E*_rest + k·E*_γγ = √s/2; m_γγ scales by k.
    This is the one-parameter version of the kinematic fit with which B-factory analyses
    sharpen m_γγ (BaBar, PRL 128 (2022) 131802: fit constraining the B candidate to the beam
    energy); it ignores the angular errors and the K momentum error. NaN where undefined.
    """
    cand = to_cms(candidate_p4, cms_beta)
    gg = to_cms(photons_p4, cms_beta)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = (0.5 * sqrt_s - (cand[:, 3] - gg[:, 3])) / gg[:, 3]
        return np.where(k > 0, k * photons_mass, np.nan)
