"""ALP decay lengths: how they are sampled, and event weights for any other lifetime.

Every event carries the ALP's proper decay length ℓ and the density g(ℓ) it was drawn from.
The weight that turns the sample into one with lifetime cτ is the ratio of densities
w(cτ) = f_cτ(ℓ)/g(ℓ), f_cτ(ℓ) = exp(−ℓ/cτ)/cτ (exponential decay law), so that:

- exponential sampling at cτ0 (the physical sample): w = (cτ0/cτ)·exp(−ℓ(1/cτ − 1/cτ0)),
  the ratio of the two exponential densities, with mean 1 (finite variance only for
  cτ < 2cτ0: ∫ f_cτ²/g dℓ − 1 = cτ0²/(cτ(2cτ0 − cτ)) − 1);
- forced decays inside a lab flight range [L_min, L_max] (long lifetimes): ℓ drawn from the
  exponential at cτ0 truncated to [L_min, L_max]/βγ; the nominal weight is the probability
  P0 = exp(−L_min/βγcτ0) − exp(−L_max/βγcτ0) of decaying there, and w(cτ) = P0·(the above);
- log-uniform sampling over [ℓ_lo, ℓ_hi] (lifetime scans): g = 1/(ℓ ln(ℓ_hi/ℓ_lo)), which puts
  events at every decay length so one sample serves cτ over many decades.

Since the ALP's descendants are produced relative to its decay point, re-drawing ℓ shifts the
whole decay subtree rigidly: that is how a block is resampled after generation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..pdg import C_MM_PER_NS
from ..record import Block
from .kinematics import mass, momentum


@dataclass(frozen=True)
class LifetimeSampling:
    """How the ALP proper decay length is drawn: 'exponential', 'forced' or 'log-uniform'."""

    mode: str = "exponential"
    ctau: float = 1.0  # mm, the sample's physical cτ0
    lab_range: tuple[float, float] | None = None  # mm, for 'forced' (lab flight distance)
    proper_range: tuple[float, float] | None = None  # mm, for 'log-uniform'

    def __post_init__(self) -> None:
        if self.mode not in ("exponential", "forced", "log-uniform"):
            raise ValueError(f"unknown lifetime sampling mode {self.mode!r}")
        if self.mode == "forced" and self.lab_range is None:
            raise ValueError("forced decays need a lab_range [L_min, L_max] in mm")
        if self.mode == "log-uniform" and self.proper_range is None:
            raise ValueError("log-uniform sampling needs a proper_range [l_lo, l_hi] in mm")
        if not (np.isfinite(self.ctau) and self.ctau > 0):
            raise ValueError(f"ctau = {self.ctau!r} mm: must be a finite number > 0")
        for name, rng_, lo_ok in (("lab_range", self.lab_range, 0.0),
                                  ("proper_range", self.proper_range, None)):  # fmt: skip
            if rng_ is None:
                continue
            lo, hi = rng_
            low_bad = lo < 0 if lo_ok is not None else not lo > 0
            if not (np.isfinite(lo) and np.isfinite(hi)) or low_bad or not hi > lo:
                bound = ">= 0" if lo_ok is not None else "> 0"
                raise ValueError(
                    f"{name} = {rng_!r} mm: must be two finite numbers, low {bound} and high > low"
                )


def sample_proper_length(
    rng: np.random.Generator, betagamma: NDArray[np.float64], sampling: LifetimeSampling
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Proper decay lengths ℓ (mm) and their sampling density g(ℓ) (1/mm), per event."""
    n = betagamma.shape[0]
    ct = sampling.ctau
    if sampling.mode == "exponential":
        ell = ct * rng.standard_exponential(n)
        return ell, np.exp(-ell / ct) / ct
    if sampling.mode == "forced":
        lo = sampling.lab_range[0] / betagamma / ct  # in units of cτ0
        width = (sampling.lab_range[1] - sampling.lab_range[0]) / betagamma / ct
        # truncated exponential on [lo, lo + width], stable for cτ0 ≫ range (expm1/log1p)
        u = rng.uniform(0.0, 1.0, n)
        t = -np.log1p(u * np.expm1(-width))  # x − lo ∈ [0, width]
        ell = (lo + t) * ct
        # g(ℓ) = exp(−x)/(cτ0·P0) with P0 = exp(−lo)(1 − exp(−width)): exp(−lo) cancels, so g
        # stays finite even where P0 underflows (the nominal weight P0 is then exactly 0)
        return ell, np.exp(-t) / (ct * -np.expm1(-width))
    lo, hi = sampling.proper_range
    log_span = np.log(hi / lo)
    ell = lo * np.exp(rng.uniform(0.0, log_span, n))
    return ell, 1.0 / (ell * log_span)


def lifetime_weight(
    proper_length: NDArray[np.float64], density: NDArray[np.float64], ctau: float
) -> NDArray[np.float64]:
    """w(cτ) = f_cτ(ℓ)/g(ℓ) with f_cτ(ℓ) = exp(−ℓ/cτ)/cτ, evaluated in log space."""
    if not (np.isfinite(ctau) and ctau > 0):
        raise ValueError(f"ctau = {ctau!r} mm: must be a finite number > 0")
    with np.errstate(divide="ignore"):
        return np.exp(-proper_length / ctau - np.log(ctau) - np.log(density))


def descendants(mother: NDArray[np.int32], index: int) -> NDArray[np.intp]:
    """Template indices of all descendants of particle `index` (template order is topological)."""
    inside = np.zeros(mother.size, dtype=bool)
    inside[index] = True
    for i in range(index + 1, mother.size):
        if mother[i] >= 0 and inside[mother[i]]:
            inside[i] = True
    inside[index] = False
    return np.flatnonzero(inside)


def resample_alp_decays(rng: np.random.Generator, block: Block, sampling: LifetimeSampling) -> None:
    """Redraw the ALP decay length of every event of a block and move its decay subtree.

    Sets `extra['alp_proper_length']` and `extra['alp_sampling_density']` and the nominal
    weight (1 for exponential sampling, the decay probability P0 for forced decays, the
    density ratio at cτ0 for log-uniform sampling). Blocks without a decaying ALP are left
    alone.
    """
    alp = block.roles.get("alp")
    if alp is None or block.status[alp] != 2:
        return
    if sampling.mode == "exponential":  # the builder already drew ℓ from the decay law at cτ0
        ell = block.extra["alp_proper_length"]
        block.extra["alp_sampling_density"] = np.exp(-ell / sampling.ctau) / sampling.ctau
        return
    p4 = block.p4[:, alp]
    p = momentum(p4)
    m = mass(p4)
    betagamma = p / m
    ell, density = sample_proper_length(rng, betagamma, sampling)
    new_disp = np.empty((block.n_events, 4))
    new_disp[:, :3] = p4[:, :3] * (ell / m)[:, None]  # βγℓ along p̂: p·ℓ/m
    new_disp[:, 3] = ell * p4[:, 3] / m / C_MM_PER_NS
    old_disp = block.decay_vertex(alp) - block.vertex[:, alp]
    shift = new_disp - old_disp
    block.vertex[:, descendants(block.mother, alp)] += shift[:, None, :]
    block.extra["alp_proper_length"] = ell
    block.extra["alp_sampling_density"] = density
    block.weights["nominal"] = lifetime_weight(ell, density, sampling.ctau)
