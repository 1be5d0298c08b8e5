"""The perturbative part of the ALP's effective photon coupling C_γγ^eff (leptons, heavy quarks, W).

Kept apart from :mod:`.widths` and :mod:`.hadronic` so that both can use it without importing
each other: the hadronic model (ASW) needs the non-hadronic photon coupling to interfere its
VMD amplitudes with it, and the width of a → γγ adds the hadronic part on top.
"""

from __future__ import annotations

import math

import numpy as np

from ...pdg import charge as pdg_charge
from ...pdg import mass as pdg_mass
from .couplings import ALPHA_EM, SIN2_THETA_W, Couplings, loop_B1, loop_B2, loop_f


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


def loop_B3(tau_a, tau_q):
    """Loop function of a fermion with derivative (axial) ALP coupling in a → γ γ*(q²), one
    photon on shell, τ_a = 4m²/m_a², τ_q = 4m²/q² (vectorised, complex):

        B₃ = 1 + 2m² C₀(0, q², m_a²; m) = 1 + τ_a τ_q/(τ_a − τ_q) [f²(τ_a) − f²(τ_q)],

    with the scalar triangle of one massless external leg, C₀ = −2[f²(τ_a) − f²(τ_q)]/(m_a² − q²)
    ('t Hooft & Veltman, Nucl. Phys. B153 (1979) 365; BNT17's f), the "1" being the anomaly term
    of the derivative coupling. Limits: B₁(τ_a) for q² → 0 (BNT17 eq. (14)), → 0 for m → ∞
    (series −(1/τ_a + 1/τ_q)/3 used when both τ > 10³). The same function is ALPaca's
    ``common.B3`` (Alda et al., arXiv:2508.08354) for e+e− → γ a."""
    ta = np.asarray(tau_a, dtype=float)
    tq = np.asarray(tau_q, dtype=float)
    ta, tq = np.broadcast_arrays(ta, tq)
    big = (ta > 1.0e3) & (tq > 1.0e3)
    # equal τ (q² = m_a²) is a removable point; nudge it so the difference quotient stays finite
    tq_safe = np.where(np.isclose(ta, tq, rtol=1e-9, atol=0.0), tq * (1.0 + 1e-6), tq)
    ta_e = np.where(big, 2.0, ta)
    tq_e = np.where(big, 3.0, tq_safe)
    exact = 1.0 + ta_e * tq_e / (ta_e - tq_e) * (loop_f(ta_e) ** 2 - loop_f(tq_e) ** 2)
    series = -(1.0 / np.where(big, ta, 1.0) + 1.0 / np.where(big, tq, 1.0)) / 3.0
    return np.where(big, series + 0j, exact)


#: fermions of the off-shell photon coupling: (PDG id, BNT17 field name); N_c Q_f² from `particle`
_FERMIONS = (
    (11, "c_ee"), (13, "c_mumu"), (15, "c_tautau"), (2, "c_uu"), (1, "c_dd"), (3, "c_ss"),
    (4, "c_cc"), (5, "c_bb"), (6, "c_tt"),
)  # fmt: skip


def C_gamma_gamma_offshell(mass, q2: float, couplings: Couplings):
    """C_γγ^eff(m_a², q²) of one on-shell photon and one of virtuality q² > 0 (GeV²), as in
    e+e− → γ* → γ a at q² = s: C_γγ + Σ_f N_c Q_f² c_ff B₃(τ_a, τ_q)/(16π²) over the leptons and
    quarks (current masses from `particle`: at q² ≫ Λ_QCD² the light quarks are perturbative,
    and at the B factories' √s the ALP–meson mixing of :mod:`.hadronic` is suppressed by the
    γ*γP form factor ∝ 1/q² and left out). The W loop is O(α m_a²/M_W²) and left out too.
    The couplings are used as given: run them to μ = √q² first (:meth:`Couplings.at_scale`)."""
    m = np.maximum(np.asarray(mass, dtype=float), 1e-300)
    c = couplings
    total = c.C_gamma_gamma + 0j
    for pid, name in _FERMIONS:
        cf = getattr(c, name)
        if cf:
            weight = (3.0 if pid <= 6 else 1.0) * pdg_charge(pid) ** 2  # N_c Q_f²
            m_f2 = pdg_mass(pid) ** 2
            b3 = loop_B3(4.0 * m_f2 / m**2, 4.0 * m_f2 / q2)
            total = total + weight * cf * b3 / (16.0 * math.pi**2)
    return total


def g_agamma_offshell(mass: float, s: float, couplings: Couplings) -> float:
    """|g_aγγ^eff| (GeV⁻¹) of e+e− → γ a at s (GeV²): 16πα(0)|C_γγ^eff(m_a², s)|/Λ with the
    couplings run to μ = √s (:func:`C_gamma_gamma_offshell`)."""
    c = couplings.at_scale(math.sqrt(s))
    coeff = complex(np.ravel(C_gamma_gamma_offshell(mass, s, c))[0])
    return 16.0 * math.pi * ALPHA_EM * abs(coeff) / c.Lambda
