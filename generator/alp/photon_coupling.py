"""The perturbative part of the ALP's effective photon coupling C_γγ^eff (leptons, heavy quarks, W).

Kept apart from :mod:`.widths` and :mod:`.hadronic` so that both can use it without importing
each other: the hadronic model (ASW) needs the non-hadronic photon coupling to interfere its
VMD amplitudes with it, and the width of a → γγ adds the hadronic part on top.
"""

from __future__ import annotations

import math

import numpy as np

from ...pdg import mass as pdg_mass
from .couplings import ALPHA_EM, SIN2_THETA_W, Couplings, loop_B1, loop_B2


def C_gamma_gamma_nonhadronic(mass, couplings: Couplings):
    """C_γγ plus the one-loop lepton, heavy-quark and W terms (complex, vectorised over mass).

    Bauer, Neubert, Thamm, "Collider probes of axion-like particles", JHEP 12 (2017) 044,
    arXiv:1708.00443, sec. 3 (the effective coupling below the weak scale):

        C_γγ + Σ_ℓ c_ℓℓ B₁(τ_ℓ)/(16π²) + Σ_{Q=c,b,t} 3 Q_Q² c_QQ B₁(τ_Q)/(16π²)
             + (2α/π)(C_WW/s_W²) B₂(τ_W),        τ_f = 4m_f²/m_a².

    The gluon and light-quark part (Aloni, Soreq, Williams, PRL 123 (2019) 071801) is
    :func:`.hadronic.C_gamma_gamma_hadronic`.
    """
    m = np.maximum(np.asarray(mass, dtype=float), 1e-300)
    c = couplings
    total = c.C_gamma_gamma + 0j
    for pid, cl in ((11, c.c_ee), (13, c.c_mumu), (15, c.c_tautau)):
        if cl:
            total = total + cl * loop_B1(4.0 * pdg_mass(pid) ** 2 / m**2) / (16.0 * math.pi**2)
    for pid, q, cq in ((4, 2.0 / 3.0, c.c_cc), (5, -1.0 / 3.0, c.c_bb), (6, 2.0 / 3.0, c.c_tt)):
        if cq:
            total = total + 3.0 * q * q * cq * loop_B1(4.0 * pdg_mass(pid) ** 2 / m**2) / (
                16.0 * math.pi**2
            )
    if c.C_WW:
        tau_w = 4.0 * pdg_mass(24) ** 2 / m**2
        total = total + 2.0 * ALPHA_EM / math.pi * c.C_WW / SIN2_THETA_W * loop_B2(tau_w)
    return total
