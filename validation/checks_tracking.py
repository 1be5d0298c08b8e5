"""Tracking and vertexing checks: the displaced B → K a lifetime curve of Belle II, track
parameter resolutions, vertex-fit statistics, K0_S and J/ψ → μμ peaks, displaced-vertex
efficiency versus radius.

Row labels: "[self-consistency]" compares the simulated chain with a number the detector card
itself holds (it shows the chain reproduces its input, not that the input is right);
"[consistency]" is a statistical property any correct covariance must have (unit pulls, a
flat χ² probability); rows without a label compare with a published number. References
whose provenance was not read are INFO, with one exception: the displaced lifetime curve (full
suite) is judged against values read off the paper's limits in issue 17, not re-read in the
paper, and its source says so ([unverified]).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from alpsim.detector.config import load_detector, shipped_card
from alpsim.pdg import ctau, mass

from .detector_samples import robust_sigma, sample
from .published_lifetime import BELLE2_B2KS_RELATIVE, BELLE2_CTAU_MM, BELLE2_SOURCE
from .report import Context, Result, check, compare_abs, compare_rel, info

CARDS = Path(__file__).resolve().parents[1] / "cards"
RES_TOL = 0.10  # relative, resolutions against the card's own formula (sampling + POCA effects)
PULL_TOL = 0.10  # absolute, on unit pull widths and on the mean χ² probability (×2)
CURVE_TOL = 0.06  # absolute, on the relative efficiency (limit ratios: ~10 % statistical)

#: Belle II displaced B+ → K+ S, S → μμ at m_S = 1 GeV: efficiency relative to its maximum
#: versus cτ (mm), from the inverse ratio of the published upper limits per cτ (PRD 108 (2023)
#: L111104, arXiv:2306.02830; the limit grid, validation/published_lifetime.py).
PUBLISHED_CURVE = {
    c: BELLE2_B2KS_RELATIVE["mu+ mu-"][1.0][BELLE2_CTAU_MM.index(c)]
    for c in (0.5, 1.0, 100.0, 250.0, 1000.0)
}
CURVE_SOURCE = BELLE2_SOURCE + ", m_S = 1 GeV"


def _alp_vertices(rec) -> tuple[np.ndarray, np.ndarray]:
    """Per event over all blocks: the ALP's decay point and production point (N, 3)."""
    decay, prod = [], []
    for b in rec.blocks:
        alp = b.roles["alp"]
        kid = next(i for i in range(b.n_particles) if b.mother[i] == alp)
        decay.append(b.vertex[:, kid, :3])
        prod.append(b.vertex[:, alp, :3])
    return np.concatenate(decay), np.concatenate(prod)


def _track_truth(rec, event: np.ndarray, particle: np.ndarray) -> tuple[np.ndarray, ...]:
    """Production point and momentum (N_tracks, 3) of each track's truth particle."""
    vtx = np.full((event.size, 3), np.nan)
    p3 = np.full((event.size, 3), np.nan)
    lo = 0
    for b in rec.blocks:
        s = (event >= lo) & (event < lo + b.n_events)
        vtx[s] = b.vertex[event[s] - lo, particle[s], :3]
        p3[s] = b.p4[event[s] - lo, particle[s], :3]
        lo += b.n_events
    return vtx, p3


@check("detector", quick=False)
def displaced_b2ka_lifetime_curve(ctx: Context) -> list[Result]:
    """Relative efficiency versus cτ of cards/analysis_belle2_b2ka_mumu_displaced.toml (B+ → K+
    a, a → μμ, m = 1 GeV) against the Belle II search, PRD 108 (2023) L111104
    (arXiv:2306.02830): at a fixed mass the published limits scale as 1/efficiency, so their
    inverse ratio gives the efficiency relative to its maximum (0.64, 0.84 at cτ = 0.5, 1 mm;
    0.53, 0.28, 0.08 at 10, 25, 100 cm: the limit grid, validation/published_lifetime.py).
    Tolerance ±0.06 absolute (the limits fluctuate with the few background events). The vertex
    radius runs over the whole drift chamber (the paper's fiducial range was not read).
    Every row is [calibration]: the two numbers of the card's displaced-track model
    ("impact": ε(r) times local_efficiency for tracks whose true helix misses the beam axis by
    more than global_max_d0; cards/belle2.toml [tracking]) were chosen on this curve, as the
    smallest rms over its 17 points (55 mm, 0.15: rms 0.019 at 200000 events, 2026-12-06). The
    seven other curves of the same search (displaced_b2ka_lifetime_grid) are the test. Before
    (ε(r) alone, the former "table" model) these rows read 0.63 / 0.80 / 0.83 / 0.54 / 0.19;
    now 0.64 / 0.81 / 0.52 / 0.28 / 0.08 against 0.64 / 0.84 / 0.53 / 0.28 / 0.08.

    Sources searched for a measured displaced-track efficiency (2026-12-05; none gave a
    readable number, hence the calibration):
    (1) the paper's selection: the stored copies of arXiv:2306.02830 (ar5iv HTML, pubdb.belle2.org
    record 4396, journal-abstract mirrors) stop after the author list and abstract; S. Dreyer's
    thesis (Hamburg, the analysis' author) only as its abstract page (www2.physnet.uni-hamburg.de
    dissertation list: 0.025-4.78 GeV, cτ 0.001-400 cm, LLP reconstruction validated with K0_S;
    no cut named); the skim (basf2 skim/scripts/skim/WGs/dark.py, BtoKplusLLP) builds the S
    from the unselected "all" track lists with dr > 0.05 cm, no radius or hit cut.
    (2) Belle II displaced-track efficiency versus production radius: arXiv:2602.10897,
    2411.13596, 2501.00857 (TrackEff), 2511.14171 (Kink Finder), 2505.09705 (dark Higgs with
    inelastic DM), 2003.12466 (Track finding at Belle II): the stored pages give only the title,
    abstract and start of the introduction; the only numbers read are the averages 48.0 % and
    52.2 % (abstracts; used in displaced_track_finding_efficiency), none per radius.
    (3) Mechanism, qualitative only: the global CDC finder is a Legendre transform "to find
    complete tracks originating from the interaction region" (Frühwirth & Strandlie, Pattern
    Recognition, Tracking and Vertex Reconstruction in Particle Detectors, Springer 2021,
    ch. 11, sect. 11.1 "Belle II"); in basf2 it is a "legendre space search over phi0 and
    curvature" (tracking/trackFindingCDC/findlets/minimal/src/AxialTrackCreatorHitLegendre.cc,
    getDescription), with no impact-parameter axis, so tracks from large radii are left to
    the segment-based finders, whose efficiency was not found in any readable source.
    """
    grid = np.array(sorted({*PUBLISHED_CURVE, 3.0, 10.0, 30.0}))
    eff = _grid_efficiency("mu+ mu-", 1.0, grid, ctx.events(20_000, 100_000))
    rel = eff / eff.max()
    out = [
        compare_abs(f"[calibration] relative efficiency at cτ = {c:g} mm",
                    float(rel[list(grid).index(c)]), ref, CURVE_TOL, source=CURVE_SOURCE,
                    note="the card's global_max_d0 and local_efficiency were chosen on this curve")
        for c, ref in PUBLISHED_CURVE.items()
    ]  # fmt: skip
    out.append(info("maximum absolute efficiency", float(eff.max()), note="alpsim selection"))
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(grid, rel, "o-", label="alpsim (analysis card)")
    ax.plot(list(PUBLISHED_CURVE), list(PUBLISHED_CURVE.values()), "ks", label="Belle II limits")
    ax.set(xscale="log", xlabel="cτ [mm]", ylabel="efficiency / maximum",
           title="B+ → K+ a, a → μμ, m = 1 GeV, Belle II")  # fmt: skip
    ax.legend()
    fig.tight_layout()
    ctx.savefig(fig, "trk_displaced_curve.png")
    return out


GRID_CTAU_ROWS = (0.5, 10.0, 100.0, 1000.0)  # mm: rising edge, peak, falling edge, tail


@check("detector", quick=False)
def displaced_b2ka_lifetime_grid(ctx: Context) -> list[Result]:
    """The lifetime curve of the displaced analysis card at every mass and final state of the
    published grid held here (m_S = 0.3, 0.5, 0.7, 1, 1.5, 2, 2.5, 3.5 GeV; S → μμ and S → ee)
    against the Belle II
    limits, PRD 108 (2023) L111104 (relative efficiency = limit_min / limit(cτ):
    validation/published_lifetime.py). Rows at cτ = 0.5, 10, 100 and 1000 mm, ±0.06 absolute
    as displaced_b2ka_lifetime_curve; the plot has all 17 cτ points. The card is only changed
    in mass and final state (overrides). The m = 1 GeV μμ rows are [calibration] (the card's
    displaced-track model was chosen on that curve: displaced_b2ka_lifetime_curve); the 60
    others test the model. Measured 2026-12-06 (20000 events per point, two runs): 56-58 of
    64 rows within ±0.06; on the four masses held before (0.5, 1, 2, 3.5 GeV) 29 of 32, against
    12-15 with ε(r) alone (the former "table" model) and 19-20 with a sharp 125 mm vertex
    radius. The impact parameter grows with the decay radius and with the daughters' angle to
    the S, so heavy, slow S lose their vertices at smaller radii and light, boosted ones at
    larger radii, as published. Misses: light S (0.3-0.7 GeV) at cτ = 100 mm are 0.06-0.09
    too high (they still fall a little too slowly), heavy S → ee at cτ = 10 mm 0.07-0.11 too
    low, and the rising edge of the 0.3 GeV μμ curve (0.88 against 0.76 at 0.5 mm).

    What the misses are (measured 2026-12-06, 200000 events per curve, per-cut efficiencies
    versus the true decay radius; nothing in the cards was changed by it):
    (1) Heavy S → ee at 10 mm: electron bremsstrahlung in the material before the CDC
    (detector/material.py) with the card's [unverified] B window (|ΔE| < 0.10 GeV, 5.27 <
    Mbc < 5.29 GeV). At 2.5 GeV the window keeps 70 % of the reconstructed ee candidates
    decaying at r < 10 mm (beam pipe, PXD and SVD ahead: ~4 % X0), 78 % at 10-40 mm, 87 % at
    80-140 mm, 96 % beyond the CDC inner wall, and ~100 % of the μμ ones at every radius; the
    efficiency therefore keeps rising with cτ and peaks later for ee than for μμ. The
    published ee and μμ curves agree within ~0.03 at every mass and cτ (3.5 GeV: 0.945 and
    0.940 at 10 mm), so the paper's electron selection has no such radius dependence; how
    (bremsstrahlung recovery, a wider window) was not readable. Tried and not adopted: the
    skim's window (Mbc > 5.20 GeV, |ΔE| < 0.25 GeV; basf2 skim/WGs/dark.py BtoKplusLLP)
    leaves 3.5 GeV at 0.86; basf2's Belle-like recovery (correctBremsBelle: photons within
    0.05 rad of the electron, analysis/scripts/modularAnalysis.py) lifts it to 0.90 but the
    light ee rising edges to 0.06-0.07 above the published ones: 30 of the 32 ee rows either
    way. The INFO rows "ee − μμ at cτ = 10 mm" show the signature.
    (2) Light S at 100 mm, μμ and ee alike (so not an electron effect): their daughters
    leave the decay point at small angles, pass within global_max_d0 of the beam axis and
    are found with ε(r) out to r ≈ 400 mm (at 0.3 GeV the pair efficiency is 0.84 up to
    140 mm, 0.61 at 200-300 mm, 0.27 at 300-500 mm). With alpsim's S kinematics, the
    published falling edge at 0.3 GeV is that of a sharp vertex radius of 190-210 mm (read at
    cτ = 25, 100 and 1000 mm), alpsim's that of 270-290 mm (0.5 GeV: 160-190 against
    220-240 mm; 1 GeV: 100-140 mm for both). An upper a_dr edge anywhere in 250-400 mm takes
    the grid to 61-62 of 64 (100000-200000 events) and leaves the 1 GeV μμ curve unchanged
    (rms 0.019-0.021), so that curve cannot fix it: the number would be read off the test
    curves, and no source gives such a cut (the paper's fiducial range was not readable), so
    it is not set. A candidate cause with the right mass and radius dependence, not modelled:
    basf2's AxialTrackMerger (tracking/trackFindingCDC/findlets/minimal/src/
    AxialTrackMerger.cc) fits the hits of two Legendre tracks with one circle and merges them
    when, after removing hits far from it, more hits remain than either track has and the fit
    probability exceeds 0.85 (AxialTrackMerger.h, minFitProb); two daughters that run within one
    CDC cell of each other in some axial layers can so lose one track. Their true helices come
    within one cell width (2πr over the cells of the layer: 160 in the two inner superlayers,
    basf2 cdc/data/CDC.xml NHoles/2; 192-384 further out, assumed, not read; the 56 layers taken
    evenly spaced in radius) in a median of 8 of ~46 layers after a vertex at 160-600 mm at 0.3
    GeV, 3 at 0.5 GeV and 1 at 1 GeV. Leaving one track of such a pair to the local finders
    (local_efficiency) when they share at least 1 axial layer and the vertex lies beyond SVD L4
    (80 mm: fewer than three SVD layers, no standalone SVD track) removes too much at 0.3 GeV
    and 10 mm (0.79 against 0.93); with at least 3 layers and beyond SVD L6 (135 mm) the grid
    reads 60 of 64 with the 1 GeV curve unchanged (100000 events, 55 without it), but both
    numbers (and the fraction of pairs whose common fit passes 0.85) would be chosen on the test
    curves: not adopted. Also examined: a higher local_efficiency with a radius cut (towards the
    48-52 % of displaced_track_finding_efficiency) makes the 1 GeV curve and the grid worse
    (41-59 of 64 for local_efficiency 0.3-0.45); along the 1 GeV curve's valley of
    (global_max_d0, local_efficiency), from (55 mm, 0.15) to (20 mm, 0.6), the per-track
    efficiency stays at 0.29-0.37 and the grid at 54-60 of 64.
    (3) 0.3 GeV μμ at 0.5 mm: mostly the normalisation of the published curve. Its points
    at 1 and 2.5 mm (0.984, 1.0) stand above their neighbours (0.865 at 5 mm, a dip no
    efficiency can make: cτ smears over an exponential decay length), and the published μμ
    curve is 0.91-0.96 of the ee one at the same mass at 14 of the other 15 cτ but 1.00 at
    those two: its maximum is ~7 % high, which lowers every other relative value by as much.
    Renormalised that way it reads ~0.81 at 0.5 mm against alpsim's 0.88 (and 0.32 at
    100 mm against 0.38, so (2) remains). Not changed: the rows compare with the published
    ratios as they are.
    """
    grid = np.array(BELLE2_CTAU_MM)
    n = ctx.events(20_000, 100_000)
    out: list[Result] = []
    curves = {}
    for state, by_mass in BELLE2_B2KS_RELATIVE.items():
        for m, ref in by_mass.items():
            eff = _grid_efficiency(state, m, grid, n)
            rel = eff / eff.max()
            curves[state, m] = rel
            for c in GRID_CTAU_ROWS:
                k = BELLE2_CTAU_MM.index(c)
                label = "[calibration] " if (state, m) == ("mu+ mu-", 1.0) else ""
                out.append(
                    compare_abs(
                        f"{label}{state}, m = {m:g} GeV: relative efficiency at cτ = {c:g} mm",
                        float(rel[k]), ref[k], CURVE_TOL, source=BELLE2_SOURCE,
                    )
                )  # fmt: skip
    # the electron signature (docstring, (1)): the ee curve minus the μμ one at the same mass
    k10 = BELLE2_CTAU_MM.index(10.0)
    pub = BELLE2_B2KS_RELATIVE
    for m in pub["e+ e-"]:
        if m in pub["mu+ mu-"]:
            published = pub["e+ e-"][m][k10] - pub["mu+ mu-"][m][k10]
            out.append(info(
                f"e+ e- minus mu+ mu-, m = {m:g} GeV: relative efficiency at cτ = 10 mm",
                float(curves["e+ e-", m][k10] - curves["mu+ mu-", m][k10]), source=BELLE2_SOURCE,
                note=f"published {published:+.3f}; alpsim's ee efficiency rises with the "
                     "decay radius (bremsstrahlung before the CDC, the card's ΔE, Mbc window)"),
            )  # fmt: skip
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(4, 4, figsize=(12, 10), sharex=True, sharey=True)
    for ax, ((state, m), rel) in zip(axes.flat, curves.items(), strict=True):
        ax.plot(grid, rel, "o-", ms=3, label="alpsim")
        ax.plot(grid, BELLE2_B2KS_RELATIVE[state][m], "ks", ms=3, label="Belle II limits")
        ax.set(xscale="log", title=f"{state}, m = {m:g} GeV")
    for ax in axes[-1]:
        ax.set_xlabel("cτ [mm]")
    for ax in axes[:, 0]:
        ax.set_ylabel("efficiency / maximum")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    ctx.savefig(fig, "trk_displaced_grid.png")
    return out


def _grid_efficiency(state: str, m: float, grid: np.ndarray, n: int) -> np.ndarray:
    """Efficiency over the cτ grid (mm) of the displaced analysis card for an S of mass m
    (GeV) decaying to `state` (the card's own point is m = 1 GeV, μμ)."""
    from alpsim.card import load_card
    from alpsim.scan import scan

    card = load_card(
        CARDS / "analysis_belle2_b2ka_mumu_displaced.toml",
        overrides={"alp.mass": m, "alp.decays": {state: 1.0}},
    )
    return np.array([p.efficiency for p in scan(card, grid, n=n)])


def _alp_transverse_boost(det, n: int, seed: int = 1) -> np.ndarray:
    """p_T/m of the a of B+ → K+ a (m = 1 GeV) at the detector's beams: its transverse decay
    length is cτ·p_T/m."""
    from alpsim.generator.beams import draw_beams
    from alpsim.generator.channels.b_to_k_a import BToKA
    from alpsim.generator.channels.base import AlpSettings

    rng = np.random.default_rng(seed)
    ch = BToKA(AlpSettings(1.0, 1e-3, {"mu+ mu-": 1.0}), 1e-6)
    blocks = ch.generate(rng, draw_beams(rng, n, det.beams, ch.min_sqrt_s))
    blocks = blocks if isinstance(blocks, list) else [blocks]
    return np.concatenate(
        [np.hypot(b.p4[:, b.roles["alp"], 0], b.p4[:, b.roles["alp"], 1]) for b in blocks]
    )


def fiducial_curve(bg_t: np.ndarray, grid: np.ndarray, r_min: float, r_max: float) -> np.ndarray:
    """Relative efficiency versus cτ (grid, mm) if every a decaying at transverse radius
    r_min < r < r_max were found and no other: the mean over the sample of
    exp(−r_min/λ) − exp(−r_max/λ), λ = cτ·p_T/m, divided by its maximum over the grid."""
    lam = grid[:, None] * bg_t[None, :]
    f = np.mean(np.exp(-r_min / lam) - np.exp(-r_max / lam), axis=1)
    return f / f.max()


@check("detector", quick=True)
def displaced_curve_fiducial_diagnostic(ctx: Context) -> list[Result]:
    """Diagnostic of the FAIL rows of displaced_b2ka_lifetime_curve (INFO only, nothing is
    tuned with it): the published relative efficiencies of PRD 108 (2023) L111104 set against
    the pure decay-length kinematics of B+ → K+ a (m = 1 GeV, alpsim's generator), with a
    vertex found with certainty for a_dr inside [lower edge of the analysis card's a_dr, R]
    and never outside; also R = the card's upper a_dr edge (the CDC outer wire). The R whose
    curve is closest to the five published points (smallest largest deviation) says where
    the published search finds its vertices: it comes out at about 125 mm (every point
    within 0.03), between the two outer SVD layers (104 and 135 mm, cards/belle2.toml
    [material]) and well inside the CDC (168-1111 mm), whereas R = 1111 mm gives 1.0, 0.89,
    0.46 at cτ = 10, 25, 100 cm. No source read says why (an SVD-hit requirement or a
    fiducial cut of the analysis would do it; arXiv:2306.02830 beyond its abstract was not
    readable), so nothing in the cards is set from this. Over the whole grid of masses and
    final states a sharp radius does not work (19-20 of 32 rows within ±0.06 on 2026-12-06:
    light S fall too fast, heavy ones too slowly); the card's "impact" model, in which the
    loss follows the daughters' impact parameter, does (displaced_b2ka_lifetime_grid).
    """
    from alpsim.card import load_card

    det = load_detector(shipped_card("belle2"))
    card = load_card(CARDS / "analysis_belle2_b2ka_mumu_displaced.toml")
    r_min, r_card = (float(v) for v in card.selection.cuts["a_dr"])
    bg_t = _alp_transverse_boost(det, ctx.events(20_000, 100_000))
    grid = np.array(sorted({*PUBLISHED_CURVE, 3.0, 10.0, 30.0}))
    idx = [list(grid).index(c) for c in PUBLISHED_CURVE]
    pub = np.array(list(PUBLISHED_CURVE.values()))
    radii = np.arange(50.0, r_card + 1.0, 5.0)
    dev = np.array([np.max(np.abs(fiducial_curve(bg_t, grid, r_min, r)[idx] - pub))
                    for r in radii])  # fmt: skip
    best = float(radii[np.argmin(dev)])
    out = [
        info("sharp vertex radius R closest to the published curve", best, unit="mm",
             source=CURVE_SOURCE, note=f"largest deviation {dev.min():.3f}"),
    ]  # fmt: skip
    for r in (best, r_card):
        rel = fiducial_curve(bg_t, grid, r_min, r)
        out += [info(f"kinematics only, {r_min:g} < r < {r:g} mm: cτ = {c:g} mm", float(rel[i]),
                     reference=ref, source=CURVE_SOURCE)
                for c, ref, i in zip(PUBLISHED_CURVE, pub, idx, strict=True)]  # fmt: skip
    return out


#: Belle II baseline (basf2) per-track finding efficiency of displaced particles: 48.0 % for
#: particles displaced uniformly up to 100 cm (Reuter et al., arXiv:2602.10897, abstract) and
#: 52.2 % for the two charged daughters of a GeV-mass long-lived particle decaying uniformly
#: along its flight (Reuter et al., Comput. Softw. Big Sci. 9 (2025), arXiv:2411.13596,
#: abstract). No uncertainty is quoted; the samples' momentum and angle spectra were not read,
#: so the tolerance is the spread of the two figures plus the statistical error.
DISPLACED_TRACK_EFF = {
    "arXiv:2602.10897 (uniform displacement up to 100 cm)": 0.480,
    "arXiv:2411.13596 (daughters of a GeV-mass LLP)": 0.522,
}
DISPLACED_TRACK_TOL = 0.05


def uniform_displacement_efficiency(det, n: int, seed: int = 1) -> tuple[np.ndarray, ...]:
    """Per-track finding of the two muons of a → μμ (m = 1 GeV, B+ → K+ a) with the a decay
    point placed uniformly in transverse radius 0–1000 mm along the a flight direction:
    (found (2n',), production radius (2n',))."""
    from alpsim.detector.tracking import track_response
    from alpsim.generator.beams import draw_beams
    from alpsim.generator.channels.b_to_k_a import BToKA
    from alpsim.generator.channels.base import AlpSettings

    rng = np.random.default_rng(seed)
    ch = BToKA(AlpSettings(1.0, 1e-3, {"mu+ mu-": 1.0}), 1e-6)
    blocks = ch.generate(rng, draw_beams(rng, n, det.beams, ch.min_sqrt_s))
    found, radius = [], []
    for b in blocks if isinstance(blocks, list) else [blocks]:
        alp = b.roles["alp"]
        p_a = b.p4[:, alp, :3]
        r = rng.uniform(0.0, 1000.0, p_a.shape[0])
        vtx = np.zeros((p_a.shape[0], 4))
        vtx[:, :3] = p_a * (r / np.hypot(p_a[:, 0], p_a[:, 1]))[:, None]
        for k in (i for i in range(b.n_particles) if b.mother[i] == alp):
            q = -float(np.sign(b.pdg[k]))  # mu- is +13
            t = track_response(rng, b.p4[:, k], vtx, q, mass(13), det.tracking)
            found.append(t.found)
            radius.append(r)
    return np.concatenate(found), np.concatenate(radius)


@check("detector", quick=False)  # FAILs, explained below: the full report, not the CI subset
def displaced_track_finding_efficiency(ctx: Context) -> list[Result]:
    """Belle II per-track finding efficiency of displaced tracks (the card's "impact" model)
    against the baseline Belle II finder: 48.0 % (arXiv:2602.10897) and 52.2 %
    (arXiv:2411.13596), both from the abstracts. alpsim sample: the muons of a → μμ (m = 1 GeV)
    from B+ → K+ a, produced uniformly in transverse radius up to 1000 mm along the a flight.
    Tolerance ±0.05 absolute (the two published figures differ by 0.04 for different samples).
    The efficiency per 200 mm of production radius is INFO. These rows are not a calibration
    (the model was chosen on the lifetime curve, displaced_b2ka_lifetime_curve) and they FAIL:
    0.28 on 2026-12-06 (0.52 with ε(r) alone, the former "table" model, which was calibrated
    on them but missed the lifetime curves by up to 0.3). The difference is not understood:
    the papers' samples were not read (the GNN papers' "uniformly displaced particles" may
    point away from the IP, where the impact model keeps them, and their LLP may be lighter
    or faster than a 1 GeV S from B decays, whose daughters miss the IP by ~0.4 r). A model
    that met both would need a published efficiency versus radius and impact parameter.
    """
    det = load_detector(shipped_card("belle2"))
    n = ctx.events(10_000, 50_000)
    found, r = uniform_displacement_efficiency(det, n)
    eff = float(found.mean())
    out = [
        compare_abs(f"per-track efficiency, r uniform < 1000 mm vs {src}", eff,
                    ref, DISPLACED_TRACK_TOL, source="Reuter et al., " + src.split(" (")[0])
        for src, ref in DISPLACED_TRACK_EFF.items()
    ]  # fmt: skip
    for lo in (0.0, 200.0, 400.0, 600.0, 800.0):
        s = (r >= lo) & (r < lo + 200.0)
        out.append(
            info(f"per-track efficiency, {lo:g} ≤ r < {lo + 200:g} mm", float(found[s].mean()))
        )
    return out


@check("detector", quick=True)
def track_parameter_resolutions(ctx: Context) -> list[Result]:
    """Impact-parameter resolutions of prompt tracks (a → μμ at m = 1 GeV, cτ = 1 µm,
    from B+ → K+ a) at Belle II and BaBar: the spread of d0 and z0 against the card's formula
    σ = a ⊕ b/(pβ sin^kθ) evaluated per track, both as the 68 % half-width of the mixture of
    tracks ([self-consistency]; the Belle II numbers are the
    TDR arXiv:1011.0352 design goal, BaBar's NIM A 479 (2002) 1 high-momentum values 23 µm,
    29 µm, both [unverified] in the cards), and the pulls (residual/σ) of all five helix
    parameters ([consistency]: 1 for a correct covariance).
    """
    out: list[Result] = []
    n = ctx.events(3000, 20000)
    for name in ("belle2", "babar"):
        det = load_detector(shipped_card(name))
        trk = det.tracking
        rec, _c = sample(det, 1.0, 1e-3, "mu+ mu-", n)
        from alpsim.detector.chain import simulate

        reco = simulate(np.random.default_rng(3), rec, det)
        t = reco.objects()["tracks"]
        mu = np.isfinite(t["d0"])  # every found track (muons and the kaon)
        p, cos = t["p"][mu], t["cosTheta"][mu]
        sin = np.sqrt(1 - cos**2)
        beta = p / np.hypot(p, mass(13))
        # truth perigee of the same particles
        from alpsim.detector.helix import make_helix

        vtx, p3 = _track_truth(rec, t["event"][mu], t["particle"][mu])
        q = t["charge"][mu]
        d0_true = np.empty(q.size)
        z0_true = np.empty(q.size)
        for sign in (1.0, -1.0):
            s = q == sign
            h = make_helix(vtx[s], p3[s], sign, trk.field)
            d0_true[s], z0_true[s], _ = h.perigee()
        for key, truth_v, (a, bb), k in (("d0", d0_true, trk.d0_resolution, 1.5),
                                         ("z0", z0_true, trk.z0_resolution, 2.5)):  # fmt: skip
            resid = t[key][mu] - truth_v
            sigma = np.hypot(a, bb / (p * beta * sin**k))  # the card's formula per track
            # the 68 % half-width of that mixture of Gaussians (tracks of different p, θ)
            expect = robust_sigma(sigma * np.random.default_rng(5).standard_normal(sigma.size))
            out.append(compare_rel(f"[self-consistency] {name}: σ({key}) of prompt tracks",
                                   robust_sigma(resid) * 1e3, expect * 1e3, RES_TOL, unit="µm",
                                   source=f"cards/{name}.toml {key}_resolution"))  # fmt: skip
            out.append(compare_abs(f"[consistency] {name}: {key} pull width",
                                   robust_sigma(resid / t[f"{key}Err"][mu]), 1.0, PULL_TOL,
                                   source="unit pull of a correct covariance"))  # fmt: skip
    return out


@check("detector", quick=True)
def vertex_fit_statistics(ctx: Context) -> list[Result]:
    """The two-track vertex fit (detector/vertexing.py) on a → μμ (m = 1 GeV) from B+ → K+ a at
    Belle II, cτ = 10 mm (the topology of the displaced search PRD 108 (2023) L111104): χ²
    probability mean 0.5 (flat), pulls of the vertex x and of the
    mass (M − m)/ErrM of width 1 ([consistency]: what a fit with correct covariances gives,
    Frühwirth & Strandlie, Springer 2021, ch. 9). The transverse vertex resolution and the
    flight-distance significance are INFO ("vertexing ≈ 15 µm", a Belle II figure quoted in a
    collaboration talk, source to be found [unverified], does not say for which tracks).
    """
    det = load_detector(shipped_card("belle2"))
    n = ctx.events(3000, 20000)
    rec, c = sample(det, 1.0, 10.0, "mu+ mu-", n, objects=True)
    ok = np.isfinite(c["a_chiProb"])
    true_v, _ = _alp_vertices(rec)
    v = c["vertices"]
    alp_slots = {b.roles["alp"] for b in rec.blocks}
    sel = np.isin(v["particle"], list(alp_slots))
    ev = v["event"][sel]
    pull_x = (v["x"][sel] - true_v[ev, 0]) / v["x_uncertainty"][sel]
    pull_m = (c["a_M"][ok] - 1.0) / c["a_ErrM"][ok]
    return [
        compare_abs("[consistency] mean χ² probability (a → μμ vertex)",
                    float(np.mean(c["a_chiProb"][ok])), 0.5, PULL_TOL / 2,
                    source="flat χ² probability of a correct fit"),
        compare_abs("[consistency] vertex x pull width", robust_sigma(pull_x), 1.0, PULL_TOL,
                    source="unit pull"),
        compare_abs("[consistency] mass pull width (M − m)/ErrM", robust_sigma(pull_m), 1.0,
                    PULL_TOL, source="unit pull"),
        info("σ(x) of the a → μμ vertex (cτ = 10 mm)",
             robust_sigma(v["x"][sel] - true_v[ev, 0]) * 1e3, unit="µm"),
        info("median flight-distance significance (cτ = 10 mm)",
             float(np.median(c["a_significanceOfDistance"][ok]))),
    ]  # fmt: skip


@check("detector", quick=True)
def ks_and_jpsi_peaks(ctx: Context) -> list[Result]:
    """K0_S → π+π− at Belle II (an ALP of the K_S mass and cτ from B+ → K+ a): vertex-mass peak
    at the PDG mass (0.2 %; [self-consistency], the ALP is generated at that mass), the mass
    resolution and the flight-length resolution (INFO: no
    Belle II number read). J/ψ → μ+μ− at BESIII: the dimuon mass resolution against the
    analytic value σ_M = (M/√2)·σ_p/p of two back-to-back muons of p = M/2 with the card's
    σ_p/p ([self-consistency]; the card's σ_p/p ≈ 0.5 % at 1 GeV is the MDC figure of
    BESIII NIM A 614 (2010) 345, [unverified] in the card).
    """
    belle2 = load_detector(shipped_card("belle2"))
    n = ctx.events(3000, 20000)
    rec, c = sample(belle2, mass(310), ctau(310), "pi+ pi-", n, objects=True)
    ok = np.isfinite(c["a_flightDistance"])
    decay, prod = _alp_vertices(rec)
    true_flight = np.linalg.norm(decay - prod, axis=1)
    out = [
        compare_rel("[self-consistency] K0_S peak (median vertex mass)",
                    float(np.median(c["a_M"][ok])), mass(310), 0.002, unit="GeV", source="PDG",
                    note="the generated ALP mass is this PDG mass"),
        info("σ(M) K0_S (68 % half-width)", robust_sigma(c["a_M"][ok]) * 1e3, unit="MeV"),
        info("σ(flight distance) K0_S (68 % half-width)",
             robust_sigma(c["a_flightDistance"][ok] - true_flight[ok]) * 1e3, unit="µm"),
    ]  # fmt: skip
    bes3 = load_detector(shipped_card("bes3"))
    from alpsim.detector.tracking import track_response
    from alpsim.generator.kinematics import four_vector

    m_jpsi, m_mu = mass(443), mass(13)
    rng = np.random.default_rng(4)
    k = n * 4
    cos = rng.uniform(-0.8, 0.8, k)
    phi = rng.uniform(0, 2 * np.pi, k)
    pm = np.sqrt(m_jpsi**2 / 4 - m_mu**2)
    u = np.stack([np.sqrt(1 - cos**2) * np.cos(phi), np.sqrt(1 - cos**2) * np.sin(phi), cos], 1)
    vtx = np.zeros((k, 4))
    t1 = track_response(rng, four_vector(pm * u, m_mu), vtx, 1.0, m_mu, bes3.tracking)
    t2 = track_response(rng, four_vector(-pm * u, m_mu), vtx, -1.0, m_mu, bes3.tracking)
    both = t1.found & t2.found
    tot = t1.p4[both] + t2.p4[both]
    m = np.sqrt(tot[:, 3] ** 2 - np.sum(tot[:, :3] ** 2, axis=1))
    a, bb = bes3.tracking.pt_resolution
    beta = pm / np.hypot(pm, m_mu)
    pt = pm * np.sqrt(1 - cos[both] ** 2)
    rel = np.median(np.hypot(a * pt, bb / beta))
    out.append(compare_rel("[self-consistency] BESIII J/ψ → μμ mass resolution",
                           robust_sigma(m) * 1e3, m_jpsi / np.sqrt(2) * rel * 1e3, RES_TOL,
                           unit="MeV", source="cards/bes3.toml pt_resolution, σ_M = M σ_p/(√2 p)",
                           note="angles and the pT-to-p conversion add a little"))  # fmt: skip
    return out


@check("detector", quick=True)
def displaced_vertex_efficiency_vs_radius(ctx: Context) -> list[Result]:
    """Two-track vertex efficiency of a → μμ (m = 1 GeV, from B+ → K+ a) at Belle II versus the
    true transverse decay radius, from the one displaced-track model of the card (Belle II:
    "impact", the daughters' impact parameter, and the CDC layers crossed), for the decays
    the displaced search PRD 108 (2023) L111104 selects. INFO: no published Belle II ε(r)
    was read; zero beyond the last layers where no track can be found is a PASS/FAIL
    requirement of the model (issue 17 item 3).
    """
    det = load_detector(shipped_card("belle2"))
    n = ctx.events(4000, 20000)
    rec, c = sample(det, 1.0, 300.0, "mu+ mu-", n)
    decay, _ = _alp_vertices(rec)
    r = np.hypot(decay[:, 0], decay[:, 1])
    vert = np.isfinite(c["a_dr"])
    edges = np.array([0.0, 150.0, 400.0, 700.0, 900.0, 1050.0, 1200.0])
    out = []
    for lo, hi in itertools.pairwise(edges):
        s = (r >= lo) & (r < hi)
        if s.sum() < 20:
            continue
        out.append(info(f"vertex efficiency, {lo:g} ≤ r < {hi:g} mm", float(vert[s].mean())))
    beyond = r > det.tracking.findable_radius()
    # NaN (a FAIL) when the sample holds no decay beyond the radius: the row must test something
    out.append(compare_abs("vertex efficiency beyond the findable radius",
                           float(vert[beyond].mean()) if beyond.any() else float("nan"), 0.0,
                           1e-9, source="no track can be found there (issue 17 item 3)",
                           note=f"{int(beyond.sum())} decays beyond"))  # fmt: skip
    return out


#: BESIII MDC: σ_p/p = 0.5 % at 1 GeV/c, the BESIII design parameter of NIM A 614 (2010) 345 as
#: quoted in C.D. Fu and X.H. Mo, "Significance of energy scale for physics at BESIII",
#: ChinaXiv:201703.00609, Table 2, and on the IHEP BESIII 2008 conference page (read there, as
#: cards/bes3.toml cites them). Quoted to one digit: tolerance ±10 % (0.45-0.55 %). The card's
#: pt_resolution terms were computed from this very figure (√(0.32² + 0.37²) % = 0.49 %), so the
#: row is a self-consistency check of the track response, not a test of the card.
BES3_P_RESOLUTION = 0.005
BES3_P_TOL = 0.10


@check("detector", quick=True)
def bes3_momentum_resolution(ctx: Context) -> list[Result]:
    """BESIII momentum resolution of 1 GeV/c muons from the IP at θ = 90° (the full MDC lever
    arm) through the whole track response (detector/tracking.py: layers, smeared helix, the
    momentum at the IP perigee) against the published 0.5 % at 1 GeV/c (BESIII, NIM A 614
    (2010) 345, as quoted in Fu & Mo, ChinaXiv:201703.00609, Table 2, and by IHEP in 2008;
    cited in cards/bes3.toml). The card's curvature and multiple-scattering terms [unverified
    split] were computed from this same 0.5 %, so the row is [self-consistency]: it shows the
    layers, the helix smearing and the perigee momentum keep the card's σ_p/p, not that the
    card is right.
    """
    from alpsim.detector.tracking import track_response
    from alpsim.generator.kinematics import four_vector

    det = load_detector(shipped_card("bes3"))
    rng = np.random.default_rng(7)
    n = ctx.events(20_000, 100_000)
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    p3 = np.stack([np.cos(phi), np.sin(phi), np.zeros(n)], axis=1)  # |p| = 1 GeV, θ = 90°
    t = track_response(rng, four_vector(p3, mass(13)), np.zeros((n, 4)), 1.0, mass(13),
                       det.tracking)  # fmt: skip
    p = np.linalg.norm(t.p4[t.found, :3], axis=1)
    return [
        compare_rel("[self-consistency] BESIII σ_p/p of 1 GeV/c muons (θ = 90°)",
                    robust_sigma(p - 1.0),
                    BES3_P_RESOLUTION, BES3_P_TOL,
                    source="NIM A 614 (2010) 345 via Fu & Mo Table 2 (cards/bes3.toml)"),
    ]  # fmt: skip
