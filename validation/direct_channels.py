"""Validation of the direct and τ channels (issue 5): cross sections against references and an
independent integration, unweighting efficiency, ISR effects, x_ℓ in the pseudo-rest frame.

Run: python validation/direct_channels.py   (about a minute; prints a report, no files).
"""

from __future__ import annotations

import time

import numpy as np
from scipy import integrate

from alpsim.detector.config import load_detector, shipped_card
from alpsim.generator import kinematics as kin
from alpsim.generator.alp.couplings import ALPHA_EM
from alpsim.generator.beams import draw_beams
from alpsim.generator.channels import ee_to_mumu_a as mm
from alpsim.generator.channels.base import AlpSettings
from alpsim.generator.channels.ee_to_gamma_a import cross_section_gamma_a
from alpsim.generator.channels.tau_pair import SIGMA_TAUTAU_KKMC_NB, tau_pair_cross_section
from alpsim.generator.channels.tau_to_l_a import TauToLA
from alpsim.generator.isr import isr_cross_section
from alpsim.pdg import mass
from alpsim.toml_fields import Table

#: Belle II beams as in the shipped detector card (its [beams] table cites each number).
BELLE2 = load_detector(shipped_card("belle2")).beams


def gamma_a() -> None:
    print("== e+e- -> gamma a ==")
    s = 10.58**2
    born = cross_section_gamma_a(s, 0.2, 1e-3)
    # reference: σ = (α g²/24)(1 − m_a²/s)³ (ħc)² of M. J. Dolan et al. ("DFHKS"), JHEP 12 (2017)
    # 094, arXiv:1709.00009, sec. 3, evaluated by hand [calc]
    print(
        f"  sigma(10.58 GeV, g=1e-3, m_a=0.2) = {born / 1e3:.4f} pb"
        "   (DFHKS sec. 3 formula by hand: 0.118 pb)"
    )
    for m_a in (0.2, 1.0, 5.0, 9.0):
        b = cross_section_gamma_a(s, m_a, 1e-3)
        i = isr_cross_section(lambda x, m=m_a: cross_section_gamma_a(x, m, 1e-3), s, m_a**2)
        print(f"  m_a = {m_a:4.1f}: Born {b:8.3f} fb, with ISR {i:8.3f} fb (ratio {i / b:.4f})")
    s3 = 3.773**2
    print(f"  BESIII 3.773 GeV, m_a = 0.5: {cross_section_gamma_a(s3, 0.5, 1e-3):.2f} fb")


def tau_pair() -> None:
    print("== e+e- -> tau+ tau- at 10.58 GeV ==")
    s = 10.58**2
    born = float(tau_pair_cross_section(s))
    isr = isr_cross_section(tau_pair_cross_section, s, 4 * mass(15) ** 2)
    # Leptonic vacuum polarisation, leading log: Δα_ℓ = (α/3π) Σ [ln(s/m_ℓ²) − 5/3] (s ≫ m_ℓ²).
    dal = sum(ALPHA_EM / (3 * np.pi) * (np.log(s / mass(p) ** 2) - 5 / 3) for p in (11, 13, 15))
    print(f"  Born (QED, beta(3-beta^2)/2)     : {born / 1e6:.4f} nb")
    print(f"  Born x Kuraev-Fadin ISR          : {isr / 1e6:.4f} nb (x{isr / born:.3f})")
    print(
        f"  ... x leptonic VP 1/(1-da_l)^2   : {isr / (1 - dal) ** 2 / 1e6:.4f} nb "
        f"(da_l = {dal:.4f})"
    )
    print(
        f"  KKMC (Banerjee et al. 2008)      : {SIGMA_TAUTAU_KKMC_NB:.3f} nb; the rest is hadronic"
        " VP (~+1.5 %) and FSR/interference; alpsim stores the Born(+ISR) value and the reference"
    )


def mumu_a() -> None:
    print("== e+e- -> mu+ mu- a (c_mumu/Lambda = 1e-3 GeV^-1, sqrt(s) = 10.58 GeV) ==")
    g = 1e-3 * mass(13)
    sqrt_s = 10.58
    print("  m_a [GeV]   quadrature [fb]   scipy dblquad [fb]   MC (2e5 weights) [fb]   eff")
    rng = np.random.default_rng(1)
    for m_a in (0.5, 2.0, 3.6, 5.0, 7.0, 9.0, 10.0):
        q = mm.cross_section_quadrature(sqrt_s, m_a, g)
        m = mass(13)
        s = sqrt_s**2

        def integrand(s2, s1, m_a=m_a, s=s):
            k1, k2, k = mm.dalitz_momenta(sqrt_s, np.array([s1]), np.array([s2]), m_a)
            h = mm.MuonCurrent(k1, k2, k).h_trace()[0]
            return mm.E2**2 * g * g / (4 * s * s) * (-4 / 3) * s * h

        def lims(s1, m_a=m_a, s=s, m=m):
            e2 = (s1 - m * m + m_a**2) / (2 * np.sqrt(s1))
            e3 = (s - s1 - m * m) / (2 * np.sqrt(s1))
            pa, pm = np.sqrt(max(e2**2 - m_a**2, 0)), np.sqrt(max(e3**2 - m * m, 0))
            return (e2 + e3) ** 2 - (pa + pm) ** 2, (e2 + e3) ** 2 - (pa - pm) ** 2

        d, _ = integrate.dblquad(
            integrand,
            (m + m_a) ** 2,
            (sqrt_s - m) ** 2,
            lambda s1: lims(s1)[0],
            lambda s1: lims(s1)[1],
            epsrel=1e-5,
        )
        d = d / (128 * np.pi**3 * s) / (2 * s) * mm.GEV2_TO_FB
        n = 200_000
        axis = kin.directions(rng.uniform(-1, 1, n), rng.uniform(0, 2 * np.pi, n))
        *_, w = mm.event_weights(rng, np.full(n, sqrt_s), axis, m_a, g)
        mc, err = w.mean() * mm.GEV2_TO_FB, w.std() / np.sqrt(n) * mm.GEV2_TO_FB
        print(
            f"  {m_a:5.1f}      {q:.5e}      {d:.5e}        {mc:.5e} +- {err:.1e}"
            f"   {w.mean() / (mm.SAFETY * w.max()):.3f}"
        )
    for isr in (False, True):
        ch = mm.EeToMuMuA(
            AlpSettings(6.0, 1.0, {"invisible": 1.0}), 1e-3, *BELLE2.nominal_cms(), isr
        )
        rng = np.random.default_rng(2)
        t = time.perf_counter()
        blocks = ch.generate(rng, draw_beams(rng, 20_000, BELLE2, ch.min_sqrt_s))
        dt = time.perf_counter() - t
        rec = blocks[0].extra["recoil_mass_truth"]
        norm = ch.normalisation()
        print(
            f"  m_a = 6, ISR {isr}: sigma {norm['cross_section_fb']:.4e} fb, unweighting eff "
            f"{ch.efficiency:.3f}, overweights {ch.n_overweight}, {20_000 / dt:,.0f} ev/s, "
            f"recoil median {np.median(rec):.4f}, 90% of |dM| < "
            f"{np.percentile(np.abs(rec - 6), 90):.4f} GeV"
        )


def prf() -> None:
    print("== tau -> mu a, x_l in the pseudo-rest frame (3pi tag, Belle II beams) ==")
    for isr in (False, True):
        ch = TauToLA.from_card(
            Table({"lepton": "mu", "branching_fraction": 1e-3, "isr": isr}, "channel"),
            AlpSettings(0.5, 1.0, {"invisible": 1.0}),
            BELLE2,
        )
        rng = np.random.default_rng(3)
        blocks = ch.generate(rng, draw_beams(rng, 100_000, BELLE2, ch.min_sqrt_s))
        x = np.concatenate([b.extra["x_l_truth_prf"] for b in blocks])
        xt = np.concatenate([b.extra["x_l_truth"] for b in blocks])
        h, edges = np.histogram(x, bins=60, range=(0.4, 1.6))
        peak = 0.5 * (edges[h.argmax()] + edges[h.argmax() + 1])
        print(
            f"  ISR {isr}: x true {xt.mean():.4f}; PRF mean {x.mean():.4f}, median "
            f"{np.median(x):.4f}, peak {peak:.3f}, RMS {x.std():.4f}"
        )


if __name__ == "__main__":
    gamma_a()
    tau_pair()
    prf()
    mumu_a()
