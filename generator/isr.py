"""Initial-state radiation (ISR) by the Kuraev–Fadin structure function, over whole arrays.

Leading-log electron structure function (E. A. Kuraev, V. S. Fadin, Sov. J. Nucl. Phys. 41
(1985) 466, eq. (28), in the form used by e.g. the BaBar/Belle ISR generators)::

    f(x) = β x^(β−1) (1 + 3β/4) − β (1 − x/2),     β = (2α/π) (ln(s/m_e²) − 1),

with x the fraction of the collision energy radiated: the hard process happens at
s' = s (1 − x). ∫₀¹ f(x) dx = 1 exactly, so the structure function moves events in √s without
changing their number; the cross section becomes σ_ISR(s) = ∫ f(x) σ(s(1 − x)) dx.

Kinematics: the radiated energy is carried by one photon collinear with the e− or the e+ (half
of the events each), of energy x √s/2 in the centre-of-mass (CM) frame, so that the remaining
e+e− system has invariant mass² exactly s (1 − x). The hard process is generated in the rest
frame of that system, with the beam axis as seen in it. α = α(0), the fine-structure constant
(CODATA 2018; `ALPHA_EM` of generator/alp/couplings.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ..pdg import mass as pdg_mass
from .alp.couplings import ALPHA_EM
from .beams import BeamDraw
from .kinematics import boost, velocity

Array = NDArray[np.float64]
SigmaFn = Callable[[Array], Array]

ELECTRON, PHOTON = 11, 22
#: Gauss–Legendre nodes for σ_ISR (the integrand is smooth in u = x^β).
_N_NODES = 400


def isr_beta(s: float | Array) -> float | Array:
    """β = (2α/π)(ln(s/m_e²) − 1) (Kuraev–Fadin 1985, eq. (28)); 0.0877 at √s = 10.58 GeV."""
    return 2.0 * ALPHA_EM / np.pi * (np.log(np.asarray(s) / pdg_mass(ELECTRON) ** 2) - 1.0)


def structure_function(x: Array, s: float) -> Array:
    """Kuraev–Fadin f(x) = β x^(β−1)(1 + 3β/4) − β(1 − x/2) on 0 < x ≤ 1 (normalised to 1)."""
    beta = isr_beta(s)
    x = np.asarray(x, dtype=float)
    return beta * x ** (beta - 1.0) * (1.0 + 0.75 * beta) - beta * (1.0 - 0.5 * x)


def _ratio_to_power_law(x: Array, beta: Array) -> Array:
    """f(x)/(β x^(β−1)) = (1 + 3β/4) − (1 − x/2) x^(1−β): smooth, in [1/2, 1 + 3β/4]."""
    return (1.0 + 0.75 * beta) - (1.0 - 0.5 * x) * x ** (1.0 - beta)


@lru_cache(maxsize=1)
def _gauss_legendre() -> tuple[Array, Array]:
    """The `_N_NODES` Gauss–Legendre nodes and weights, computed once per process (numpy finds
    them from a 400 × 400 eigenvalue problem, ~0.1 s, and every run's normalisation asks)."""
    nodes, weights = np.polynomial.legendre.leggauss(_N_NODES)
    nodes.flags.writeable = weights.flags.writeable = False  # shared: never written
    return nodes, weights


def isr_cross_section(sigma: SigmaFn, s: float, s_min: float) -> float:
    """σ_ISR(s) = ∫₀^{x_max} f(x) σ(s(1 − x)) dx, x_max = 1 − s_min/s (Kuraev–Fadin 1985).

    Computed by Gauss–Legendre quadrature in u = x^β, where f dx = [(1 + 3β/4) −
    (1 − x/2) x^(1−β)] du has no singularity. `sigma` takes an array of s' values.
    """
    beta = float(isr_beta(s))
    x_max = 1.0 - s_min / s
    if x_max <= 0.0:
        return 0.0
    nodes, weights = _gauss_legendre()
    u_max = x_max**beta
    u = 0.5 * u_max * (nodes + 1.0)
    x = u ** (1.0 / beta)
    integrand = _ratio_to_power_law(x, beta) * sigma(s * (1.0 - x))
    return float(0.5 * u_max * np.sum(weights * integrand))


def sample_x(rng: np.random.Generator, s: Array) -> Array:
    """Radiated fractions x ~ f(x) (one per event, s per event), by vectorised accept–reject.

    Proposal β x^(β−1) (x = u^(1/β)), acceptance f/(proposal·(1 + 3β/4)) ≥ 0.46.
    """
    s = np.asarray(s, dtype=float)
    beta = isr_beta(s)
    out = np.empty(s.shape)
    todo = np.arange(s.size)
    while todo.size:
        b = beta[todo]
        x = rng.uniform(0.0, 1.0, todo.size) ** (1.0 / b)
        keep = rng.uniform(0.0, 1.0 + 0.75 * b) < _ratio_to_power_law(x, b)
        out[todo[keep]] = x[keep]
        todo = todo[~keep]
    return out


@dataclass
class HardSystem:
    """The e+e− system that makes the hard process, event by event (lab frame).

    `p4` (N, 4) its four-momentum, `axis` (N, 3) the unit e− direction in its rest frame,
    `photon` (N, 4) the ISR photon (None without ISR), `x` (N,) the radiated fraction.
    """

    p4: Array
    axis: Array
    photon: Array | None
    x: Array

    @property
    def sqrt_s(self) -> Array:
        p = self.p4
        return np.sqrt(np.maximum(p[:, 3] ** 2 - np.sum(p[:, :3] ** 2, axis=1), 0.0))


def _axis_in_rest_frame(e_minus: Array, system: Array) -> Array:
    d = boost(e_minus, -velocity(system))[:, :3]
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def no_radiation(beams: BeamDraw) -> HardSystem:
    """The hard system without ISR: the colliding beams themselves."""
    total = beams.total
    return HardSystem(total, _axis_in_rest_frame(beams.e_minus, total), None, np.zeros(len(total)))


def radiate(
    rng: np.random.Generator,
    beams: BeamDraw,
    sigma: SigmaFn,
    s_min: float,
    sigma_max: float,
) -> HardSystem:
    """Draw x per event from f(x) σ(s(1 − x)) (x < 1 − s_min/s) and emit the ISR photon.

    x comes from f(x) (`sample_x`), then is kept with probability σ(s(1 − x))/σ_max
    (vectorised accept–reject; `sigma_max` must bound σ above s_min). The photon goes along
    the e− or the e+ (equal odds) in the CM frame with energy x √s/2 and is boosted to the lab.
    """
    s = beams.sqrt_s**2
    n = s.size
    x = np.empty(n)
    todo = np.arange(n)
    for _ in range(100_000):
        if not todo.size:
            break
        xs = sample_x(rng, s[todo])
        s_hard = s[todo] * (1.0 - xs)
        ok = s_hard > s_min
        weight = np.zeros(todo.size)
        weight[ok] = sigma(s_hard[ok]) / sigma_max
        if np.any(weight > 1.0 + 1e-9):
            raise ValueError(f"ISR: sigma_max = {sigma_max:g} does not bound the cross section")
        keep = rng.uniform(0.0, 1.0, todo.size) < weight
        x[todo[keep]] = xs[keep]
        todo = todo[~keep]
    else:  # pragma: no cover
        raise RuntimeError("ISR accept-reject did not converge")
    total = beams.total
    beta_cms = velocity(total)
    axis_cms = beams.beam_axis_cms()
    side = np.where(rng.uniform(size=n) < 0.5, 1.0, -1.0)  # +1: from the e−, −1: from the e+
    k_cms = np.empty((n, 4))
    k_cms[:, 3] = 0.5 * x * np.sqrt(s)
    k_cms[:, :3] = (side * k_cms[:, 3])[:, None] * axis_cms
    photon = boost(k_cms, beta_cms)
    hard = total - photon
    return HardSystem(hard, _axis_in_rest_frame(beams.e_minus, hard), photon, x)


def sigma_bound(sigma: SigmaFn, s_max: float, s_min: float, n: int = 4000) -> float:
    """A safe upper bound of σ(s') on (s_min, s_max]: the maximum on a dense grid, +2 %."""
    grid = np.concatenate(
        [np.linspace(s_min, s_max, n)[1:], s_min + (s_max - s_min) * np.geomspace(1e-8, 1e-2, 200)]
    )
    return 1.02 * float(np.max(sigma(grid)))


class Radiator:
    """ISR switch of a channel: its hard cross section σ(s'), threshold and nominal s.

    `hard_system` gives the e+e− system of the hard process event by event (the beams when
    ISR is off), `add_photon` puts the ISR photon into a block (role 'isr_photon', produced at
    the primary vertex), and `cross_section` is σ(s) or σ_ISR(s).
    """

    def __init__(self, enabled: bool, sigma: SigmaFn, s_min: float, s_nominal: float) -> None:
        self.enabled = enabled
        self.sigma = sigma
        self.s_min = s_min
        self.s_nominal = s_nominal
        # Beam-energy spread moves s by < 1e-3: bound σ up to 2 % above the nominal s.
        self.sigma_max = sigma_bound(sigma, 1.02 * s_nominal, s_min) if enabled else 0.0

    def hard_system(self, rng: np.random.Generator, beams: BeamDraw) -> HardSystem:
        if not self.enabled:
            return no_radiation(beams)
        return radiate(rng, beams, self.sigma, self.s_min, self.sigma_max)

    def add_photon(self, builder, hard: HardSystem) -> None:
        """Add the ISR photon (if any) to a `BlockBuilder`, produced at the primary vertex."""
        if hard.photon is not None:
            builder.add(PHOTON, hard.photon, role="isr_photon")

    def cross_section(self, s: float | None = None) -> float:
        """σ at s (default: nominal), with ISR when enabled: ∫ f(x) σ(s(1 − x)) dx."""
        s = self.s_nominal if s is None else s
        if not self.enabled:
            return float(self.sigma(np.array([s]))[0]) if s > self.s_min else 0.0
        return isr_cross_section(self.sigma, s, self.s_min)

    def extra(self, hard: HardSystem) -> dict[str, Array]:
        """Per-event truth columns: √s' of the hard process and the radiated fraction x."""
        return {"sqrt_s_hard": hard.sqrt_s, "isr_x": hard.x}
