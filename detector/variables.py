"""Analysis variables, named as Belle II analysts name them (basf2 variable manual).

Mbc and deltaE use the nominal centre-of-mass frame and beam energy of the detector card, as
the experiments do with their measured beam energies (Belle II Physics Book,
arXiv:1808.10567, sec. 7): Mbc = √((√s/2)² − |p*_B|²), ΔE = E*_B − √s/2.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..generator.kinematics import boost, mass


def beam_constrained_mass(
    candidate_p4: NDArray[np.float64], sqrt_s: float, cms_beta: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(Mbc, ΔE) of candidates (N, 4) given the nominal √s and the CM velocity in the lab."""
    cms = boost(candidate_p4, -np.asarray(cms_beta))
    e_beam = 0.5 * sqrt_s
    p2 = np.sum(cms[:, :3] ** 2, axis=1)
    with np.errstate(invalid="ignore"):
        mbc = np.sqrt(e_beam**2 - p2)
    return mbc, cms[:, 3] - e_beam


def invariant_mass(p4s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Invariant mass of the sum of four-vectors (N, k, 4) over k (NaN if any is missing)."""
    return mass(np.sum(p4s, axis=1))
