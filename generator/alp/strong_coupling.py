"""The strong coupling α_s(μ) below the Z mass, shared by the hadronic ALP model and the RG running.

Two-loop running from α_s(M_Z) with flavour thresholds at m_b and m_c (PDG 2024 review
"Quantum chromodynamics": the β-function coefficients b₀ and b₁), frozen at its
μ = 1 GeV value below 1 GeV. A module of its own so that :mod:`.hadronic` and :mod:`.running`
do not import each other.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ...pdg import mass as pdg_mass

#: α_s(M_Z) (PDG 2024 world average, review "Quantum chromodynamics").
ALPHA_S_MZ: float = 0.1180


@lru_cache(maxsize=1)
def _alpha_s_table():
    from scipy.integrate import solve_ivp

    mz = pdg_mass(23)
    mb, mc = pdg_mass(5), pdg_mass(4)

    def rhs(nf):
        b0 = (33.0 - 2.0 * nf) / (12.0 * math.pi)
        b1 = (153.0 - 19.0 * nf) / (24.0 * math.pi**2)
        return lambda t, a: -(b0 * a**2 + b1 * a**3)  # t = ln μ²

    segs = [(5, math.log(mz**2), math.log(mb**2)), (4, math.log(mb**2), math.log(mc**2)),
            (3, math.log(mc**2), math.log(1.0))]  # fmt: skip
    a0 = ALPHA_S_MZ
    ts, als = [], []
    for nf, t0, t1 in segs:
        grid = np.linspace(t0, t1, 200)
        sol = solve_ivp(rhs(nf), (t0, t1), [a0], t_eval=grid, rtol=1e-10, atol=1e-12)
        ts.append(sol.t)
        als.append(sol.y[0])
        a0 = sol.y[0][-1]
    t = np.concatenate(ts)[::-1]
    a = np.concatenate(als)[::-1]
    t, idx = np.unique(t, return_index=True)
    return t, a[idx]


def alpha_s(mu):
    """Two-loop α_s(μ) from α_s(M_Z) = 0.118; frozen at its μ = 1 GeV value below 1 GeV."""
    t, a = _alpha_s_table()
    lt = np.log(np.maximum(np.asarray(mu, dtype=float), 1.0) ** 2)
    return np.interp(lt, t, a)
