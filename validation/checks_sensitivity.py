"""Sensitivity reproduction: published upper limits on a cross section or branching fraction
turned into coupling limits with alpsim's model (and efficiency), compared with the published
coupling limits.

For a rate ∝ g², g_limit = g_ref·√(UL / pred(g_ref)).

Reference numbers are digitisations [digi] of the published figures by third parties (the
numeric tables of the papers were not reachable with the search tool):
- Belle II e+e− → γa (PRL 125 (2020) 161806, Fig. 3): 95 % CL σ limits from the ALPaca
  repository (alp-aca/alp-aca, alpaca/experimental_data/invisible/Belle2_gamma_binned.txt,
  mass bins in GeV, σ in barn) and g_aγγ limits from C. O'Hare's AxionLimits
  (cajohare/AxionLimits, limit_data/AxionPhoton/BelleII.txt). Values below are read from those
  files at the listed masses (the bin containing m_a; linear interpolation between the two
  nearest points of the g curve).
- BaBar B+ → K+a, a → γγ (PRL 128 (2022) 131802): 90 % CL limits on B(B+→K+a)·B(a→γγ) for
  cτ_a = 1 mm, from ALPaca (tutorials/displaced_LHCb/babar_bkphotons_displ_1mm.txt). BaBar's own
  g_aW limits (their Fig. 4) were not found in numeric form (the search tool returns only the
  first ~2000 characters of each stored page: author list and abstract of ar5iv 2111.01800).
  What was found is a statement in the abstract of Belle, JHEP 12 (2025) 109 (arXiv:2507.01249;
  abstract as stored at research.unipd.it/handle/11577/3594380 and arts.units.it) [paper]:
  "90% confidence level upper limits are established on the coupling to the W boson, gaW, as a
  function of a mass. The limits range from 3 × 10−6 GeV−1 to 3 × 10−5 GeV−1, improving the
  current constraints on gaW by a factor of two over the most stringent previous experimental
  results" (the previous best being BaBar's B → K a, a → γγ search). Belle scans 0.16–4.50 GeV
  (K modes), which covers the masses below. BaBar's limits are therefore expected inside an
  envelope from 3e-6 GeV⁻¹ (not better than Belle's best) to 6e-5 GeV⁻¹ (twice Belle's
  weakest): a loose, factor-20 band that tests the order of magnitude of the whole chain (ILS
  rate, form factor, widths, lifetime reweighting), not its mass dependence.

Tolerance on coupling ratios: 25 %. Both digitised curves are jagged (neighbouring σ values in
the ALPaca table differ by 30–50 %, the AxionLimits points sit at other masses); g ∝ √σ halves
that spread. The tolerance was chosen knowing this spread, not tuned on the alpsim result.
"""

from __future__ import annotations

import math

import numpy as np

from alpsim.generator.alp import branching_fractions, ctau_mm, total_width
from alpsim.generator.channels import rates
from alpsim.generator.channels.ee_to_gamma_a import cross_section_gamma_a

from .checks_theory import ILS, w_coupled
from .report import Context, Result, check, compare_band, compare_rel, info

G_TOL = 0.25
#: Belle II √s (PRL 125 161806: Υ(4S) energy) and luminosity (445 ± 3) pb⁻¹.
BELLE2_SQRT_S, BELLE2_LUMI_PB = 10.58, 445.0

#: m_a [GeV]: (σ_95 [pb] from ALPaca [digi], g_aγγ,95 [GeV⁻¹] from AxionLimits [digi]).
BELLE2_GAMMA_A = {
    0.30: (0.0922, 7.25e-4),
    0.52: (0.0991, 7.94e-4),
    1.00: (0.150, 1.33e-3),
    2.00: (0.403, 1.78e-3),
    3.00: (0.478, 2.37e-3),
    4.00: (0.901, 3.50e-3),
}
#: Belle JHEP 12 (2025) 109 abstract [paper]: g_aW limits "range from 3 × 10−6 GeV−1 to
#: 3 × 10−5 GeV−1", "a factor of two" below the previous best (BaBar).
BELLE_GAW_RANGE = (3e-6, 3e-5)
BELLE_OVER_PREVIOUS = 2.0
#: Envelope for BaBar's g_aW limits implied by that sentence (GeV⁻¹).
BABAR_GAW_ENVELOPE = (BELLE_GAW_RANGE[0], BELLE_OVER_PREVIOUS * BELLE_GAW_RANGE[1])
#: m_a [GeV]: BaBar 90 % CL UL on B(B+→K+a)·B(a→γγ) at cτ = 1 mm (ALPaca [digi]).
BABAR_BF_UL_1MM = {0.25: 1.30e-7, 0.70: 1.70e-7, 1.20: 1.29e-7, 2.00: 7.15e-8, 2.40: 1.16e-7}


def g_limit(ul: float, pred_at_ref: float, g_ref: float) -> float:
    """Coupling at which a rate ∝ g² equals the upper limit."""
    return g_ref * math.sqrt(ul / pred_at_ref)


@check("sensitivity", quick=True)
def belle2_gamma_a_coupling(ctx: Context) -> list[Result]:
    """Belle II e+e− → γa, a → γγ (PRL 125 (2020) 161806, 445 pb⁻¹): the published 95 % CL
    σ limit [digi] turned into g_aγγ with alpsim's σ = (αg²/24)(1 − m_a²/s)³ (Dolan, Ferber,
    Hearty, Kahlhoefer, Schmidt-Hoberg, JHEP 12 (2017) 094, arXiv:1709.00009, sec. 3; Born,
    B(a→γγ) = 1) and compared with the published g_aγγ limit [digi] (module docstring).
    """
    s = BELLE2_SQRT_S**2
    out = []
    for m_a, (sigma_ul, g_pub) in BELLE2_GAMMA_A.items():
        pred = float(cross_section_gamma_a(s, m_a, 1e-3)) / 1e3  # pb at g = 1e-3
        g = g_limit(sigma_ul, pred, 1e-3)
        out.append(
            compare_rel(f"g_aγγ limit, m_a = {m_a:g} GeV", g, g_pub, G_TOL, unit="GeV⁻¹",
                        source="Belle II PRL 125 161806 Fig. 3 [digi]")
        )  # fmt: skip
    return out


@check("sensitivity", quick=False)
def belle2_gamma_a_yield(ctx: Context) -> list[Result]:
    """Belle II e+e− → γa: alpsim's efficiency of cards/analysis_belle2_gamma_a_gg.toml (ISR on)
    and the paper's luminosity, 445 pb⁻¹ (PRL 125 (2020) 161806), give the signal yield alpsim
    expects at the published σ limit [digi]: N = σ_UL·ε_alpsim·L. With the paper's efficiency
    this would equal the paper's yield limit; neither was found in numeric form, so the rows
    are INFO (the e+e− → γγ(γ) background makes the yield limits large and mass dependent).
    """
    import alpsim

    from .checks_kinematics import card_with

    out = []
    for m_a, (sigma_ul, _) in BELLE2_GAMMA_A.items():
        res = alpsim.run(
            card_with("analysis_belle2_gamma_a_gg.toml", alp__mass=m_a), n=ctx.events(2000, 8000)
        )
        n_sig = sigma_ul * res.efficiency * BELLE2_LUMI_PB
        out.append(info(f"ε_alpsim, m_a = {m_a:g} GeV", res.efficiency))
        out.append(info(f"N = σ_UL·ε·L, m_a = {m_a:g} GeV", n_sig, note="events"))
    return out


def _babar_prediction(g_aw: float, m_a: float) -> tuple[float, float]:
    """B(B+→K+a)·B(a→γγ) and cτ (mm) of a W-coupled ALP (ILS; BNT17 widths)."""
    c = w_coupled(g_aw)
    br_gg = float(np.asarray(branching_fractions(m_a, c)["gamma gamma"]))
    return rates.bf_b_to_k_a(c, m_a) * br_gg, float(ctau_mm(total_width(m_a, c)))


@check("sensitivity", quick=False)
def babar_gaw_limit(ctx: Context) -> list[Result]:
    """BaBar B+ → K+a, a → γγ (PRL 128 (2022) 131802): the 90 % CL limit on B(B+→K+a)·B(a→γγ)
    at cτ = 1 mm [digi] becomes a g_aW limit with alpsim's rates (g_bs from the W loop of
    Izaguirre, Lin, Shuve, PRL 118 (2017) 111802, eq. (4)–(5); f₀ of Ball, Zwicky, PRD 71 (2005)
    014015; widths of Bauer, Neubert, Thamm, JHEP 12 (2017) 044). The ALP's cτ follows from
    g_aW, so the limit is rescaled with alpsim's efficiency versus cτ (lifetime reweighting of
    cards/analysis_babar_b2ka_gg.toml): UL(cτ) = UL(1 mm)·ε(1 mm)/ε(cτ), iterated to a
    self-consistent g_aW. BaBar's published g_aW limits (their Fig. 4) were not found in numeric
    form; each alpsim limit is judged against the envelope 3e-6–6e-5 GeV⁻¹ implied by the
    abstract of Belle JHEP 12 (2025) 109 [paper] (Belle's limits "range from 3 × 10−6 GeV−1 to
    3 × 10−5 GeV−1", "a factor of two" below the previous best, BaBar; module docstring), with no
    extra margin: the band is already a factor 20 wide. The smallest alpsim limit is shown
    against 2 × 3e-6 GeV⁻¹ as INFO (a rounded "factor of two" and a rounded 3e-6, at unknown
    masses, do not make a number to judge). The first row repeats the [calc] anchor
    BR(B+→K+a) = 1.91e-7 at g_aW = 1e-5 GeV⁻¹ (the ILS formula evaluated by hand at
    |V_tb V_ts| = 0.0405; checks_theory.b_to_k_a_rates) for scale.
    """
    from alpsim.card import load_card
    from alpsim.detector.config import shipped_card
    from alpsim.scan import scan_mass

    card = load_card(shipped_card("analysis_babar_b2ka_gg"))
    ctaus = np.geomspace(0.01, 1e5, 36)
    out = [
        info("B(B+→K+a), g_aW = 1e-5, m_a→0", rates.bf_b_to_k_a(w_coupled(1e-5), 1e-6),
             reference=1.91e-7, source=f"{ILS}, evaluated by hand [calc]"),
    ]  # fmt: skip
    limits = []
    for m_a, ul in BABAR_BF_UL_1MM.items():
        pts = scan_mass(card, m_a, ctaus, ctx.events(3000, 20000), seed=11)
        eff = np.array([p.efficiency for p in pts])
        eff_1mm = float(np.interp(0.0, np.log(ctaus), eff))
        pred, _ = _babar_prediction(1e-5, m_a)
        g = g_limit(ul, pred, 1e-5)
        for _ in range(30):
            _, ct = _babar_prediction(g, m_a)
            e = float(np.interp(np.log(ct), np.log(ctaus), eff))
            g_new = g_limit(ul * eff_1mm / max(e, 1e-9), pred, 1e-5)
            if abs(g_new / g - 1) < 1e-4:
                break
            g = g_new
        _, ct = _babar_prediction(g, m_a)
        limits.append(g)
        out.append(
            compare_band(f"g_aW limit, m_a = {m_a:g} GeV", g, *BABAR_GAW_ENVELOPE, 0.0,
                         unit="GeV⁻¹",
                         source="envelope from Belle JHEP 12 (2025) 109 abstract [paper]",
                         note=f"alpsim from BaBar UL(cτ=1 mm) [digi]; cτ at the limit "
                         f"{ct:.3g} mm; ε(cτ)/ε(1 mm) = "
                         f"{np.interp(np.log(ct), np.log(ctaus), eff) / eff_1mm:.3f}; "
                         "BaBar's own g_aW not found in numeric form")
        )  # fmt: skip
    out.append(
        info("smallest g_aW limit over these masses", min(limits), unit="GeV⁻¹",
             reference=BELLE_OVER_PREVIOUS * BELLE_GAW_RANGE[0],
             source="2 × Belle's best, JHEP 12 (2025) 109 abstract [paper]",
             note="Belle's best limit may sit at another mass; 'factor of two' is rounded")
    )  # fmt: skip
    return out


__all__ = ["BABAR_BF_UL_1MM", "BABAR_GAW_ENVELOPE", "BELLE2_GAMMA_A", "g_limit"]
