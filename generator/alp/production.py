"""Production rates of an ALP from its couplings, and the number of ALPs in each shipped
experiment's data set: the table `alpsim alp` prints.

Rates: BR(B+ → K+ a), BR(B0 → K*0 a) (b → s after running, rates.py), B(J/ψ → γ a) from the
photon and charm couplings (HPQCD's lattice form factor), σ(e+e− → γ a) from the effective
photon coupling at q² = s (tree C_γγ plus lepton and quark loops, photon_coupling.py), BR(τ → ℓ a)
from the LFV couplings c_τe, c_τμ.
Data sets (each number with its source; no library holds them):
- Belle II: 387 × 10⁶ BB̄ pairs, 362 fb⁻¹ at the Υ(4S) (Belle II, PRD 109 (2024) 112006,
  arXiv:2311.14647);
- BaBar: 471 × 10⁶ BB̄ pairs, 424 fb⁻¹ at the Υ(4S) (BaBar, NIM A 726 (2013) 203);
- Belle: 772 × 10⁶ BB̄ pairs, 711 fb⁻¹ at the Υ(4S) (Belle, PTEP 2013 (2013) 03A001);
- BESIII: 10.087 × 10⁹ J/ψ (Chin. Phys. C 46 (2022) 074001) and 2.71 × 10⁹ ψ(2S) (Chin. Phys.
  C 48 (2024) 093001) events.
τ pairs at the Υ(4S): σ(e+e− → τ+τ−) = 0.919 nb at √s = 10.58 GeV (Banerjee, Pietrzyk, Roney,
Was, PRD 77 (2008) 054012). √s of each experiment from its detector card (nominal beams).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..channels.jpsi_to_gamma_a import N_JPSI_BESIII, N_PSI2S_BESIII
from .couplings import Couplings

#: Υ(4S) data sets: experiment → (detector card, BB̄ pairs, integrated luminosity in fb⁻¹).
B_FACTORIES: dict[str, tuple[str, float, float]] = {
    "Belle II": ("belle2", 387e6, 362.0),
    "BaBar": ("babar", 471e6, 424.0),
    "Belle": ("belle", 772e6, 711.0),
}
#: BESIII: (detector card, J/ψ events, ψ(2S) events), the sample sizes of the J/ψ channel.
BESIII: tuple[str, float, float] = ("bes3", N_JPSI_BESIII, N_PSI2S_BESIII)
#: σ(e+e− → τ+τ−) at the Υ(4S) in fb (Banerjee et al., PRD 77 (2008) 054012).
SIGMA_TAU_PAIR_FB: float = 0.919e6


@dataclass
class ProductionRates:
    """Rates of one ALP (mass, couplings) and the expected number of ALPs per data set."""

    mass: float
    couplings: Couplings
    rates: dict[str, float] = field(default_factory=dict)
    #: (experiment, process) → number of ALPs produced in the data set
    yields: dict[tuple[str, str], float] = field(default_factory=dict)


def _sqrt_s(card: str) -> float:
    from ...cards import shipped_card
    from ..beams import load_collider

    return float(load_collider(shipped_card(card)).nominal_cms()[0])


def production_rates(mass: float, couplings: Couplings) -> ProductionRates:
    """All production rates of :mod:`this module <.production>` for an ALP of ``mass`` (GeV)."""
    from ...pdg import ctau as pdg_ctau
    from ...pdg import mass as pdg_mass
    from ..channels import rates as r
    from ..channels.b_to_k_a import upsilon_fraction
    from ..channels.ee_to_gamma_a import cross_section_gamma_a
    from ..channels.normalisation import bf_psi2s_to_pipi_jpsi
    from ..channels.tau_to_l_a import width_tau_to_l_a
    from .photon_coupling import g_agamma_offshell
    from .widths import HBARC_GEV_MM

    out = ProductionRates(mass, couplings)

    def g_offshell(m: float, s: float) -> float:
        return g_agamma_offshell(m, s, couplings) if m**2 < s else 0.0

    rt = out.rates
    rt["BR(B+ -> K+ a)"] = (
        r.bf_b_to_k_a(couplings, mass) if mass < pdg_mass(521) - pdg_mass(321) else 0.0
    )
    rt["BR(B0 -> K*0 a)"] = (
        r.bf_b_to_kstar_a(couplings, mass) if mass < pdg_mass(511) - pdg_mass(313) else 0.0
    )
    rt["B(J/psi -> gamma a)"] = r.bf_jpsi_to_gamma_a(couplings, mass)
    for lep, pid, c in (("mu", 13, couplings.c_taumu), ("e", 11, couplings.c_taue)):
        width = width_tau_to_l_a(mass, pdg_mass(pid), c, couplings.Lambda) if c else 0.0
        rt[f"BR(tau -> {lep} a)"] = width * pdg_ctau(15) / HBARC_GEV_MM
    for exp, (card, n_bb, lumi) in B_FACTORIES.items():
        sqrt_s = _sqrt_s(card)
        sigma = float(cross_section_gamma_a(sqrt_s**2, mass, g_offshell(mass, sqrt_s**2)))
        rt[f"sigma(e+e- -> gamma a) [fb], {exp} sqrt(s) = {sqrt_s:.3f} GeV"] = sigma
        y = out.yields
        y[(exp, "B+- -> K+- a")] = 2 * n_bb * upsilon_fraction(True) * rt["BR(B+ -> K+ a)"]
        y[(exp, "B0, anti-B0 -> K*0 a")] = (
            2 * n_bb * upsilon_fraction(False) * rt["BR(B0 -> K*0 a)"]
        )
        y[(exp, "e+e- -> gamma a")] = sigma * lumi
        n_tau = 2 * SIGMA_TAU_PAIR_FB * lumi
        y[(exp, "tau -> l a")] = n_tau * (rt["BR(tau -> mu a)"] + rt["BR(tau -> e a)"])
    card, n_jpsi, n_psi2s = BESIII
    sqrt_s = _sqrt_s(card)
    rt[f"sigma(e+e- -> gamma a) [fb], BESIII sqrt(s) = {sqrt_s:.3f} GeV"] = float(
        cross_section_gamma_a(sqrt_s**2, mass, g_offshell(mass, sqrt_s**2))
    )
    b_jpsi = rt["B(J/psi -> gamma a)"]
    out.yields[("BESIII", "J/psi -> gamma a")] = n_jpsi * b_jpsi
    out.yields[("BESIII", "psi(2S) -> pi+pi- J/psi, J/psi -> gamma a")] = (
        n_psi2s * bf_psi2s_to_pipi_jpsi() * b_jpsi
    )
    return out


def format_production(p: ProductionRates) -> str:
    """Readable text table of :func:`production_rates`, saying which scale and basis are used."""
    lines = [
        f"production of an ALP of m_a = {p.mass:.6g} GeV; {p.couplings.describe_scale()}",
        f"{'process':<58}{'rate':>14}",
        "-" * 72,
    ]
    lines += [f"{k:<58}{v:>14.4e}" for k, v in p.rates.items()]
    lines += ["", f"{'ALPs produced in the data set':<58}{'number':>14}", "-" * 72]
    lines += [f"{exp + ': ' + proc:<58}{n:>14.4g}" for (exp, proc), n in p.yields.items()]
    return "\n".join(lines)


__all__ = ["ProductionRates", "format_production", "production_rates"]
