"""Detector checks against published performance: the BaBar di-photon mass resolution in
B → K a, the Belle II photon efficiency, the π0, η and K0_S peaks and vertex resolutions, and
signal efficiencies of the
analysis cards (cards/analysis_*.toml) where a published number exists.

Tolerances for a parametrized detector: peak positions 1 % (energy scale of a Gaussian
calorimeter model without leakage tails tuned to data) and 0.2 % for tracks (momentum scale);
resolutions 25 % (a resolution function with [unverified] coefficients, no cluster-shape
or kinematic-fit modelling); efficiencies 5 % relative (plateau values taken from the same
performance figures, but geometry and turn-ons are approximations).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from alpsim.detector.config import load_detector, shipped_card
from alpsim.pdg import ctau, mass

from .detector_checks import robust_sigma, sample
from .report import Context, Result, check, compare_band, compare_rel, info

CARDS = Path(__file__).resolve().parents[1] / "cards"
PEAK_TOL, TRACK_PEAK_TOL, RES_TOL, EFF_TOL = 0.01, 0.002, 0.25, 0.05
NO_FIT_NOTE = (
    "alpsim's a_M_fit constrains only the photon-energy scale (ΔE = 0), not the angles nor m_B; "
    "whether BaBar's 8–14 MeV comes from a fuller fit is not verified"
)


@check("detector", quick=False)
def babar_mgg_resolution(ctx: Context) -> list[Result]:
    """σ(m_γγ) of B+ → K+a, a → γγ at BaBar: 8–14 MeV over the search range (BaBar PRL 128
    (2022) 131802, quoted in the seed talk; REFERENCES.md "Detector performance anchors"
    [paper, seed talk]; the paper text itself was not found by the search tool, so how the
    range maps onto m_a is not known). alpsim: half-width of the central 68 % of m_γγ for
    reconstructed prompt ALPs (cτ = 1 µm), using `a_M_fit` (the ΔE = 0 constrained mass, since
    BaBar fits its candidates; the unconstrained `a_M` is shown as INFO). PASS if inside
    8–14 MeV ± 25 %. The displaced case
    (cτ = 100 mm) is INFO: BaBar's limits cover cτ up to 100 mm with a degraded resolution.
    """
    babar = load_detector(shipped_card("babar"))
    masses = (0.2, 0.5, 1.0, 2.0, 3.0, 4.0)
    n = ctx.events(3000, 20000)
    out, prompt, displaced = [], [], []
    raw = []
    for m in masses:
        _, c = sample(babar, m, 1e-3, "gamma gamma", n)
        ok = c["reconstructed"] & ~c["a_merged"]
        s = robust_sigma(c["a_M_fit"][ok]) * 1e3
        prompt.append(s)
        raw.append(robust_sigma(c["a_M"][ok]) * 1e3)
        out.append(
            compare_band(f"σ(m_γγ) with ΔE constraint, m_a = {m:g} GeV, prompt", s, 8.0, 14.0,
                         RES_TOL, unit="MeV", source="BaBar PRL 128 131802 (seed talk)",
                         note="" if s < 17.5 else NO_FIT_NOTE)
        )  # fmt: skip
        out.append(info(f"σ(m_γγ) without constraint, m_a = {m:g} GeV, prompt", raw[-1],
                        unit="MeV"))  # fmt: skip
        _, c = sample(babar, m, 100.0, "gamma gamma", n)
        displaced.append(robust_sigma(c["a_M"][c["reconstructed"]]) * 1e3)
        out.append(info(f"σ(m_γγ), m_a = {m:g} GeV, cτ = 100 mm", displaced[-1], unit="MeV"))
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(masses, prompt, "o-", label="alpsim prompt, ΔE-constrained (a_M_fit)")
    ax.plot(masses, raw, "^:", label="alpsim prompt, no constraint (a_M)")
    ax.plot(masses, displaced, "s--", label="alpsim cτ = 100 mm")
    ax.axhspan(8, 14, color="grey", alpha=0.3, label="BaBar 8–14 MeV")
    ax.set(xlabel="m_a [GeV]", ylabel="σ(m_γγ) [MeV]", yscale="log", title="BaBar B→Ka, a→γγ")
    ax.legend()
    fig.tight_layout()
    ctx.savefig(fig, "det_babar_mgg.png")
    return out


@check("detector", quick=True)
def pi0_ks_peaks(ctx: Context) -> list[Result]:
    """π0 → γγ, η → γγ and K0_S → π+π− peaks at Belle II (ALPs of the π0 and η masses decaying
    promptly to γγ, an ALP of the K_S mass and cτ to π+π−, from B+ → K+a): peak positions
    against the PDG masses (tolerances 1 % calorimeter, 0.2 % tracks; module docstring). Widths
    are INFO: the Belle II numbers in validation/detector_checks.py (π0 5–7 MeV, K_S 2–4 MeV)
    are [unverified]; the calorimeter and tracker parameters are those of REFERENCES.md
    "Detector performance anchors". Vertex resolutions (two-track vertex objects against the
    true decay point) are INFO beside the seed talk's "vertexing ≈ 15 µm" [paper], which does
    not say whether it means impact parameters or vertices, nor for which tracks.
    """
    belle2 = load_detector(shipped_card("belle2"))
    n = ctx.events(3000, 20000)
    _, c = sample(belle2, mass(111), 1e-3, "gamma gamma", n)
    m_pi0 = c["a_M"][c["reconstructed"]]
    _, c = sample(belle2, mass(221), 1e-3, "gamma gamma", n)
    m_eta = c["a_M"][c["reconstructed"]]
    rec, c = sample(belle2, mass(310), ctau(310), "pi+ pi-", n, objects=True)
    m_ks = c["a_M"][np.isfinite(c["a_dr"])]
    ks_x, _ = _vertex_residuals(rec, c)
    rec, c = sample(belle2, 1.0, 1e-3, "mu+ mu-", n, objects=True)
    mu_x, mu_z = _vertex_residuals(rec, c)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 4, figsize=(14, 3.5))
    for a, m, pdg, name in ((ax[0], m_pi0, 111, "π0 → γγ"), (ax[1], m_eta, 221, "η → γγ"),
                            (ax[2], m_ks, 310, "K0_S → π+π− (vertex mass)")):  # fmt: skip
        half = {111: 0.25 * mass(111), 221: 0.08 * mass(221), 310: 0.02}[pdg]
        a.hist(m * 1e3, bins=80, range=((mass(pdg) - half) * 1e3, (mass(pdg) + half) * 1e3))
        a.axvline(mass(pdg) * 1e3, color="k", lw=0.8)
        a.set(xlabel="mass [MeV]", title=f"{name}, Belle II")
    for res, label in ((ks_x, "K0_S, x"), (mu_x, "a→μμ 1 GeV, x"), (mu_z, "a→μμ 1 GeV, z")):
        ax[3].hist(res * 1e3, bins=80, range=(-400, 400), histtype="step", density=True,
                   label=label)  # fmt: skip
    ax[3].set(xlabel="vertex − true [µm]", title="two-track vertices")
    ax[3].legend(fontsize=7)
    fig.tight_layout()
    ctx.savefig(fig, "det_peaks_vertices.png")
    return [
        compare_rel("π0 peak (median m_γγ)", float(np.median(m_pi0)), mass(111), PEAK_TOL,
                    unit="GeV", source="PDG"),
        info("σ(m_γγ) π0 (68 % half-width)", robust_sigma(m_pi0) * 1e3, unit="MeV",
             note="Belle II ~5–7 MeV [unverified]"),
        compare_rel("η peak (median m_γγ)", float(np.median(m_eta)), mass(221), PEAK_TOL,
                    unit="GeV", source="PDG"),
        info("σ(m_γγ) η (68 % half-width)", robust_sigma(m_eta) * 1e3, unit="MeV"),
        compare_rel("K0_S peak (median vertex mass)", float(np.median(m_ks)), mass(310),
                    TRACK_PEAK_TOL, unit="GeV", source="PDG"),
        info("σ(M) K0_S (68 % half-width)", robust_sigma(m_ks) * 1e3, unit="MeV",
             note="Belle II ~2–4 MeV [unverified]; alpsim is narrower (track directions are "
             "not smeared)"),
        info("K0_S vertex: σ(x) (68 % half-width)", robust_sigma(ks_x) * 1e3, unit="µm"),
        info("prompt a → μμ (m_a = 1 GeV) vertex: σ(x)", robust_sigma(mu_x) * 1e3, unit="µm",
             reference=15.0, note="seed talk 'vertexing ≈ 15 µm'; the transverse error grows "
             "as 1/sin(Δφ/2) for the small opening angles of light ALPs"),
        info("prompt a → μμ (m_a = 1 GeV) vertex: σ(z)", robust_sigma(mu_z) * 1e3, unit="µm",
             reference=15.0),
    ]  # fmt: skip


def _vertex_residuals(record, columns) -> tuple[np.ndarray, np.ndarray]:
    """x and z of the ALP's fitted two-track vertices minus the true decay point (mm)."""
    v = columns["vertices"]
    true = np.concatenate([b.decay_vertex(b.roles["alp"]) for b in record.blocks])[v["event"]]
    return v["x"] - true[:, 0], v["z"] - true[:, 2]


@check("detector", quick=True)
def belle2_photon_efficiency(ctx: Context) -> list[Result]:
    """Belle II photon reconstruction efficiency: 90 % above 1.5 GeV (seed talk, REFERENCES.md
    "Detector performance anchors" [paper]). alpsim: fraction of final-state photons with lab
    E > 1.5 GeV and polar angle inside the barrel calorimeter (32.2°–128.7°, cards/belle2.toml)
    that are reconstructed, in e+e− → γa, a → γγ (m_a = 1 GeV). Tolerance 5 % relative. The
    fraction over 17°–150° (with the barrel/end-cap gaps) is INFO.
    """
    import alpsim

    from .checks_kinematics import card_with

    t = alpsim.run(card_with("belle2_gamma_a_gg.toml"), n=ctx.events(3000, 20000)).events
    flat = t["particles"].combine_chunks().flatten()

    def col(k):
        return np.asarray(flat.field(k).to_numpy(zero_copy_only=False))

    pdg, status, det = col("pdg"), col("status"), col("detected").astype(bool)
    px, py, pz, e = (col(k).astype(float) for k in ("px", "py", "pz", "E"))
    theta = np.degrees(np.arccos(pz / np.sqrt(px**2 + py**2 + pz**2)))
    hard = (pdg == 22) & (status == 1) & (e > 1.5)
    barrel = hard & (theta > 32.2) & (theta < 128.7)
    wide = hard & (theta > 17.0) & (theta < 150.0)
    return [
        compare_rel("self-consistency: photon efficiency, E > 1.5 GeV, barrel",
                    float(det[barrel].mean()), 0.90, EFF_TOL,
                    source="card photon_efficiency plateau = Belle II seed talk 90 %"),
        info("photon efficiency, E > 1.5 GeV, 17°–150°", float(det[wide].mean()),
             reference=0.90, note="includes the barrel/end-cap gaps"),
    ]  # fmt: skip


@check("detector", quick=False)
def analysis_efficiencies(ctx: Context) -> list[Result]:
    """Signal efficiencies of the analysis cards (selections following the papers as far as the
    detector columns allow): cards/analysis_babar_b2ka_gg.toml (BaBar PRL 128 (2022) 131802) and
    cards/analysis_belle2_gamma_a_gg.toml (Belle II PRL 125 (2020) 161806), and the displaced
    B+ → K+a, a → μ+μ− card cards/analysis_belle2_b2ka_mumu_displaced.toml versus cτ (Belle II
    PRD 108 (2023) L111104). The published efficiencies were not found: the search tool's stored
    copies of the papers (vdocument.in copy of arXiv:2007.13071, ar5iv 2111.01800 and 2306.02830,
    arxiv.org/html/2507.01249v3 for Belle's comparison with BaBar) return only the first ~2000
    characters of each page (author list, abstract), and no efficiency table or digitisation was
    found in the code index. These rows are therefore INFO: no reference. What the abstracts do
    fix [paper]: Belle II searched 0.2 < m_a < 9.7 GeV with 445 pb⁻¹, BaBar 0.175 < m_a <
    4.78 GeV, Belle II (displaced) used 189 fb⁻¹; the masses below lie inside those ranges.
    The BaBar card's ALP lifetime follows from g_aW = 1e-5 GeV⁻¹ (cτ in the note): at
    m_a = 0.2 GeV the ALP has cτ ≈ 0.9 m and mostly escapes, which is why ε is small there.
    """
    import alpsim
    from alpsim.card import load_card
    from alpsim.generator.alp import ctau_mm, total_width
    from alpsim.scan import scan_mass

    from .checks_kinematics import card_with
    from .checks_theory import w_coupled

    out = []
    n = ctx.events(2000, 10000)
    curves = {}
    for card_name, masses in (
        ("analysis_babar_b2ka_gg.toml", (0.2, 0.5, 1.0, 2.0, 3.0, 4.0)),
        ("analysis_belle2_gamma_a_gg.toml", (0.3, 0.5, 1.0, 2.0, 4.0, 8.0)),
    ):
        effs = []
        for m in masses:
            res = alpsim.run(card_with(card_name, alp__mass=m), n=n)
            effs.append(res.efficiency)
            note = "published efficiency not found"
            if "babar" in card_name:
                ct = float(ctau_mm(total_width(m, w_coupled(1e-5))))
                note = f"cτ = {ct:.3g} mm (g_aW = 1e-5/GeV); " + note
            out.append(info(f"{card_name}: ε(m_a = {m:g} GeV)", res.efficiency,
                            source="alpsim", note=note))  # fmt: skip
        curves[card_name] = (masses, effs)
    disp = load_card(CARDS / "analysis_belle2_b2ka_mumu_displaced.toml")
    ctaus = np.geomspace(0.1, 1e4, 13)
    pts = scan_mass(disp, 1.0, ctaus, ctx.events(4000, 40000), seed=7)
    for p in pts[::3]:
        out.append(info(f"displaced B→Ka(μμ): ε(cτ = {p.ctau:.3g} mm)", p.efficiency,
                        note=f"± {p.error:.2g}; published efficiency not found"))  # fmt: skip
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for name, (m, e) in curves.items():
        ax[0].plot(m, e, "o-", label=name.replace(".toml", ""))
    ax[0].set(xlabel="m_a [GeV]", ylabel="efficiency", ylim=(0, 1))
    ax[0].legend(fontsize=7)
    ax[1].plot([p.ctau for p in pts], [p.efficiency for p in pts], "o-")
    ax[1].set(xscale="log", xlabel="cτ [mm]", ylabel="efficiency", title="B+→K+a(μμ), m_a = 1")
    fig.tight_layout()
    ctx.savefig(fig, "det_analysis_eff.png")
    return out
