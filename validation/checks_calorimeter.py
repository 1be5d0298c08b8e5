"""Calorimeter checks against published performance: photon energy resolution per region,
the BaBar di-photon mass resolution of B → K a with the kinematic fit, π0 and η peaks, the
photon efficiency, ALP photon merging and the γa efficiency versus mass.

Rows whose reference is the very number the detector card was built from are labelled
"self-consistency": they test that the simulation reproduces its input (regions, tail,
thresholds), not the detector model. Resolutions of peaked distributions are quoted as
FWHM/2.355 (the Gaussian-equivalent width of the peak, what a fitted core σ measures); the
half-width of the central 68 % (which grows with the low-side tails) is shown as INFO.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from alpsim.detector.calorimeter import reconstruct_photons
from alpsim.detector.config import load_detector, shipped_card
from alpsim.pdg import mass

from .detector_samples import robust_sigma, sample
from .report import Context, Result, check, compare_band, compare_rel, info

RES_TOL, EFF_TOL, PEAK_TOL = 0.25, 0.05, 0.01
SELF_TOL = 0.10  # self-consistency: the card's σ reproduced within 10 % (FWHM estimator)

CARDS = Path(__file__).resolve().parents[1] / "cards"


def _half_maximum(x: np.ndarray) -> tuple[float, float]:
    """Half-maximum crossings (left, right) of a peaked sample: histogram over ±5 robust σ
    around the median (100 bins, 3-bin running mean), crossings interpolated linearly."""
    x = x[np.isfinite(x)]
    med, r = np.median(x), robust_sigma(x)
    h, e = np.histogram(x, bins=100, range=(med - 5 * r, med + 5 * r))
    h = np.convolve(h, np.ones(3) / 3, mode="same")
    c = 0.5 * (e[1:] + e[:-1])
    k = int(np.argmax(h))
    half = 0.5 * h[k]
    i = k
    while i > 0 and h[i] > half:
        i -= 1
    j = k
    while j < h.size - 1 and h[j] > half:
        j += 1
    left = c[i] + (half - h[i]) * (c[i + 1] - c[i]) / (h[i + 1] - h[i])
    right = c[j - 1] + (h[j - 1] - half) * (c[j] - c[j - 1]) / (h[j - 1] - h[j])
    return float(left), float(right)


def fwhm_sigma(x: np.ndarray) -> float:
    """FWHM/2.355 of a peaked sample (_half_maximum)."""
    left, right = _half_maximum(x)
    return (right - left) / 2.3548


def peak_position(x: np.ndarray) -> float:
    """Peak position: the midpoint of the half-maximum crossings (stabler than the histogram
    mode; the low-side tail moves it by a small fraction of σ)."""
    left, right = _half_maximum(x)
    return 0.5 * (left + right)


#: basf2 photon σ_E/E parametrisation, lowest beam-background level (out-of-time digit fraction
#: < 0.05): (a/E + b/√E + c/E^¼ + d) %, per ECL region (belle2/basf2,
#: ecl/modules/eclCovarianceMatrix/src/ECLCovarianceMatrixModule.cc) [code].
BASF2_ECL_SIGMA_E = {
    "forward_endcap": (-0.0912379, 1.91849, -2.82169, 3.03119),
    "barrel": (-0.0473491, 1.02015, -0.705164, 1.77086),
    "backward_endcap": (-0.106729, 2.38163, -4.11299, 4.14056),
}


def basf2_sigma_e(region: str, energy: float) -> float:
    """σ_E/E of basf2's ECLCovarianceMatrixModule (lowest background level) above 22 MeV."""
    a, b, c, d = BASF2_ECL_SIGMA_E[region]
    return (a / energy + b / energy**0.5 + c / energy**0.25 + d) / 100.0


_B2 = "basf2 ecl/modules/eclCovarianceMatrix/src/ECLCovarianceMatrixModule.cc"
#: The BESIII paper itself was not readable; its design figures were read where it is quoted.
_BES3 = "BESIII NIM A 614 (2010) 345 as quoted in Fu & Mo, ChinaXiv:201703.00609, Table 2"

#: Published σ_E/E per experiment, region and energy (the cards' sources), as
#: (card, region, energy in GeV, reference, source).
RESOLUTION_ANCHORS = (
    ("bes3", "barrel", 1.0, 0.025, f"{_BES3}: 2.5 % at 1 GeV (barrel)"),
    ("bes3", "forward_endcap", 1.0, 0.05, f"{_BES3}: 5 % at 1 GeV (end caps)"),
    (
        "babar",
        "barrel",
        1.0,
        float(np.hypot(0.0232, 0.0185)),
        "BaBar NIM A 479 (2002) 1: 2.32 %/E^1/4 ⊕ 1.85 %",
    ),
    *(
        ("belle2", reg, e, basf2_sigma_e(reg, e), f"{_B2} ({reg}, lowest background)")
        for reg in BASF2_ECL_SIGMA_E
        for e in (0.1, 1.0)
    ),
)

#: Belle's measured barrel σ_E/E (Belle NIM A 479 (2002) 117: 0.066 %/E ⊕ 0.81 %/E^¼ ⊕ 1.34 %),
#: shown beside the Belle II rows.
BELLE_BARREL_1GEV = float(np.sqrt(0.00066**2 + 0.0081**2 + 0.0134**2))


@check("calorimeter", quick=True)
def photon_resolution_by_region(ctx: Context) -> list[Result]:
    """Photon energy resolution per calorimeter region: single photons from the IP at the
    centre of the region, σ = FWHM/2.355 of E_reco/E − 1, against the figures the cards are
    built from (BESIII NIM A 614 (2010) 345: 2.5 % barrel, 5 % end caps at 1 GeV; BaBar NIM A
    479 (2002) 1; Belle II: basf2's per-region photon σ_E/E, ECLCovarianceMatrixModule.cc, at
    0.1 and 1 GeV, to which the card's region terms are fitted). These are self-consistency rows
    (tolerance 10 %): they check that regions, the Crystal Ball tail and thresholds leave the
    core width at the card's value. The 68 % half-width (tail included) and the fraction of the
    response more than 3σ low are INFO; so is Belle's measured barrel figure beside basf2's
    Belle II barrel (Belle NIM A 479 (2002) 117: 1.57 % at 1 GeV, against basf2's 2.04 %).
    """
    out = []
    n = ctx.events(20000, 100000)
    rng = np.random.default_rng(11)
    for card, region, energy, ref, source in RESOLUTION_ANCHORS:
        cal = load_detector(shipped_card(card)).calorimeter
        reg = next(r for r in cal.regions if r.name == region)
        theta = 0.5 * (reg.theta[0] + reg.theta[1])
        p4 = np.tile([np.sin(theta) * energy, 0.0, np.cos(theta) * energy, energy], (n, 1))
        e, ok = reconstruct_photons(rng, p4, np.zeros((n, 4)), cal)
        rel = e[ok, 3] / energy - 1.0
        s = fwhm_sigma(rel)
        out.append(
            compare_rel(
                f"{card} {region}: σ_E/E at {energy:g} GeV (self-consistency)",
                s,
                ref,
                SELF_TOL,
                source=source,
                note="card input reproduced",
            )
        )
        out.append(
            info(
                f"{card} {region}: 68 % half-width of E_reco/E at {energy:g} GeV",
                robust_sigma(rel),
                reference=ref,
                note=f"{np.mean(rel < -3 * ref):.1%} of photons below −3σ (tail)",
            )
        )
    out.append(
        info(
            "Belle (not Belle II) barrel σ_E/E at 1 GeV, measured",
            BELLE_BARREL_1GEV,
            reference=basf2_sigma_e("barrel", 1.0),
            source="Belle NIM A 479 (2002) 117 (reference: basf2 Belle II barrel)",
        )
    )
    return out


#: basf2 photon σ_θ and σ_φ (mrad), lowest beam-background level: a/E + b/√E + c/E^¼ + d per
#: ECL region, above ~30-40 MeV (same file as BASF2_ECL_SIGMA_E) [code].
BASF2_ECL_SIGMA_THETA = {
    "forward_endcap": (-0.110397, 0.753603, 2.63652, -0.606703),
    "barrel": (-0.221073, 2.19876, 1.50833, 0.359609),
    "backward_endcap": (-0.295827, 3.37748, -0.284446, 1.48098),
}
BASF2_ECL_SIGMA_PHI = {
    "forward_endcap": (-0.35934, 2.01807, 7.26313, -1.93438),
    "barrel": (-0.21842, 0.648976, 7.1901, -3.10025),
    "backward_endcap": (-0.0534441, -1.72466, 12.8625, -4.21203),
}


def _basf2_angle(table: dict, region: str, energy: float) -> float:
    """σ_θ or σ_φ in rad from one of basf2's angular tables."""
    a, b, c, d = table[region]
    return 1e-3 * (a / energy + b / energy**0.5 + c / energy**0.25 + d)


@check("calorimeter", quick=True)
def belle2_photon_angles(ctx: Context) -> list[Result]:
    """Belle II photon polar and azimuthal resolution per ECL region at 0.1 and 1 GeV: single
    photons from the IP at the centre of the region, σ = FWHM/2.355 of θ_reco − θ and
    φ_reco − φ, against basf2's photon covariance (ecl/modules/eclCovarianceMatrix/src/
    ECLCovarianceMatrixModule.cc, lowest background level) [code]. Self-consistency rows: the
    card's per-region position terms are an isotropic fit to the geometric mean of these σ_θ
    and σ_φ (cards/belle2.toml), so the rows check the fit, the θ/φ split of an isotropic
    smearing on the crystal surface (basf2's two differ by up to ~20 %) and the kernel.
    Tolerance 25 % (RES_TOL). Before the fit, Belle's formula (Belle NIM A 479 (2002) 117) was
    20-50 % wider than basf2 at 0.1 GeV and within 11 % at 1 GeV."""
    cal = load_detector(shipped_card("belle2")).calorimeter
    n = ctx.events(20000, 100000)
    rng = np.random.default_rng(13)
    out = []
    src = f"{_B2} (σ_θ, σ_φ, lowest background)"
    for reg in cal.regions:
        theta = 0.5 * (reg.theta[0] + reg.theta[1])
        for energy in (0.1, 1.0):
            p4 = np.tile([np.sin(theta) * energy, 0.0, np.cos(theta) * energy, energy], (n, 1))
            e, ok = reconstruct_photons(rng, p4, np.zeros((n, 4)), cal)
            rec = e[ok]
            th = np.arctan2(np.hypot(rec[:, 0], rec[:, 1]), rec[:, 2])
            ph = np.arctan2(rec[:, 1], rec[:, 0])
            for name, resid, table in (
                ("σ_θ", th - theta, BASF2_ECL_SIGMA_THETA),
                ("σ_φ", ph, BASF2_ECL_SIGMA_PHI),
            ):
                ref = _basf2_angle(table, reg.name, energy) * 1e3
                out.append(
                    compare_rel(
                        f"belle2 {reg.name}: photon {name} at {energy:g} GeV (self-consistency)",
                        fwhm_sigma(resid) * 1e3,
                        ref,
                        RES_TOL,
                        unit="mrad",
                        source=src,
                    )
                )
    return out


#: Belle π0 → γγ mass resolution in data, H. Hayashii's `pi0resol` (basf2
#: b2bii/modules/B2BIIMdstInput/src/B2BIIFixMdstModule_ecl.cc, the `data_*` tables) [code]:
#: σ (MeV) = c0 + c1 p + c2 p² + c3 p³ of the π0 lab momentum p (GeV), for the lower and the
#: higher side of the peak, per lab polar-angle range (deg) and momentum range (p ≤ 0.8 GeV,
#: p > 0.8 GeV; p capped at 5.2 GeV, 3.0 GeV in the backward range).
BELLE_PI0_RESOLUTION = {
    (20.0, 45.0): (
        ((9.8233, -13.3489, 18.3271, -7.6668), (6.1436, -7.9668, 12.4766, -5.3201)),
        ((7.1936, -0.6378, 0.5912, -0.075), (4.4923, 0.5532, 0.2658, -0.0343)),
        5.2,
    ),
    (45.0, 100.0): (
        ((7.7573, -4.8855, 6.5561, -2.4788), (6.9075, -10.5036, 18.5196, -9.224)),
        ((5.2347, 2.1827, -0.6563, 0.1545), (3.2114, 3.3806, -0.8635, 0.1371)),
        5.2,
    ),
    (100.0, 150.0): (
        ((11.5829, -21.6715, 30.2368, -13.0389), (8.0227, -14.7387, 23.1042, -10.4233)),
        ((7.5872, -1.8994, 1.6526, -0.2755), (6.3542, -2.5164, 2.5763, -0.4803)),
        3.0,
    ),
}


def belle_pi0_sigma(theta_range: tuple[float, float], p: float) -> float:
    """Gaussian-equivalent width (MeV) of Belle's π0 peak in data: the mean of the lower- and
    higher-side σ of `pi0resol` (for a bifurcated Gaussian, FWHM/2.355 = (σ_L + σ_H)/2)."""
    low, high, p_max = BELLE_PI0_RESOLUTION[theta_range]
    lo_side, hi_side = low if p <= 0.8 else high
    x = min(p, p_max)
    sig = [c[0] + c[1] * x + c[2] * x**2 + c[3] * x**3 for c in (lo_side, hi_side)]
    return 0.5 * (sig[0] + sig[1])


def pi0_gun(rng: np.random.Generator, n: int, p: float, theta: float) -> tuple:
    """The two photons (n, 4) each of π0s of lab momentum p along polar angle θ (φ = 0),
    decaying isotropically in their rest frame."""
    m = mass(111)
    cos_t = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2 * np.pi, n)
    sin_t = np.sqrt(1.0 - cos_t**2)
    k = 0.5 * m
    rest = np.stack([k * sin_t * np.cos(phi), k * sin_t * np.sin(phi), k * cos_t], axis=1)
    e = np.hypot(p, m)
    beta = p / e
    gamma = e / m
    axis = np.array([np.sin(theta), 0.0, np.cos(theta)])
    out = []
    for sign in (1.0, -1.0):
        q = sign * rest
        q_par = q @ axis
        e_lab = gamma * (k + beta * q_par)
        p_par = gamma * (q_par + beta * k)
        vec = q + np.outer(p_par - q_par, axis)
        out.append(np.column_stack([vec, e_lab]))
    return out[0], out[1]


@check("calorimeter", quick=False)
def belle_pi0_mass_resolution(ctx: Context) -> list[Result]:
    """π0 → γγ mass resolution of the Belle card against Belle data: H. Hayashii's π0 mass
    resolution function, fitted to Belle data per lab polar-angle range and π0 momentum
    (basf2 b2bii/modules/B2BIIMdstInput/src/B2BIIFixMdstModule_ecl.cc, `pi0resol`, data tables)
    [code]. alpsim: π0 guns of fixed lab momentum at the centre of each polar range, both photons
    reconstructed (cards/belle.toml: Belle NIM A 479 (2002) 117 energy and position resolution),
    σ = FWHM/2.355 of m_γγ; the reference is the mean of the lower- and higher-side σ. Tolerance
    25 % (RES_TOL). INFO: the Belle II card (basf2 per-region ECL resolution) at the same
    points, beside the same Belle data.
    Status when written (2026-12-05): FAIL below 3 GeV. alpsim's peaks are 45-75 % of Belle's
    data widths (3.1 against 5.9 MeV at 0.5 GeV, 45-100°), as its single-photon inputs imply
    (σ_E/E ≈ 1.8 % and σ_pos ≈ 10 mm at 0.25 GeV give ≈ 3.2 MeV analytically), and Belle's own
    full-simulation tables in the same file give ≈ 5.1 MeV there: the beam-test resolutions of the
    card (and basf2's per-photon covariance for Belle II, 3.4 MeV) miss in-situ effects that widen
    real π0 peaks by ≈ 5 MeV in quadrature at low momentum. Not tuned away: no source says which
    term (energy, position, tails) carries the difference."""
    out = []
    n = ctx.events(20000, 100000)
    rng = np.random.default_rng(17)
    src = "Belle data: basf2 b2bii/.../B2BIIFixMdstModule_ecl.cc pi0resol"
    for card in ("belle", "belle2"):
        cal = load_detector(shipped_card(card)).calorimeter
        for th_range in BELLE_PI0_RESOLUTION:
            theta = np.radians(0.5 * (th_range[0] + th_range[1]))
            for p in (0.5, 1.0, 2.0, 3.0):
                g1, g2 = pi0_gun(rng, n, p, theta)
                e1, ok1 = reconstruct_photons(rng, g1, np.zeros((n, 4)), cal)
                e2, ok2 = reconstruct_photons(rng, g2, np.zeros((n, 4)), cal)
                ok = ok1 & ok2
                s = e1[ok] + e2[ok]
                m = np.sqrt(np.maximum(s[:, 3] ** 2 - np.sum(s[:, :3] ** 2, axis=1), 0.0))
                got = fwhm_sigma(m) * 1e3
                ref = belle_pi0_sigma(th_range, p)
                label = f"{card}: σ(m_γγ) π0, p = {p:g} GeV, θ {th_range[0]:g}-{th_range[1]:g}°"
                if card == "belle":
                    out.append(compare_rel(label, got, ref, RES_TOL, unit="MeV", source=src))
                else:
                    out.append(info(label, got, reference=ref, unit="MeV", source=src))
    return out


@check("calorimeter", quick=False)
def babar_mgg_resolution(ctx: Context) -> list[Result]:
    """σ(m_γγ) of B+ → K+a, a → γγ at BaBar against 8–14 MeV over the search range: the figure
    issue 18 states as its acceptance requirement ("must pass at every mass"), attributing it to
    a seed talk on BaBar PRL 128 (2022) 131802 (arXiv:2111.01800). The paper's own text was not
    readable here (ar5iv, arxiv.org, the PRL record and HEPData hold only the title page, the
    abstract and the start of the introduction; searched 2026-12-05 and 2026-12-06), nor is it
    known which mass gives which value; so the rows are judged against the issue's band and say
    "[requirement: issue 18]", with the band's 25 % margin (RES_TOL).
    alpsim: `a_M_kinfit`, the di-photon mass after the kinematic fit of the B candidate to the
    beam energy and the B mass with the photons' and the kaon's covariances (detector/kinfit.py),
    for reconstructed, unmerged prompt ALPs (cτ = 1 µm); σ = FWHM/2.355. INFO: the 68 %
    half-width, the ΔE-only constrained mass `a_M_fit`, the unconstrained `a_M`, and the
    displaced case (cτ = 100 mm).
    Status when written (2026-12-06): PASS from 0.5 to 4 GeV; at 0.2 GeV 5.4 MeV against the
    band's lower edge 8 MeV (6 MeV with the margin): FAIL. There the opening angle dominates,
    and the card's photon angular resolution is BaBar's isolated-photon figure (σ_θ = σ_φ =
    3.87 mrad/√E, NIM A 479 (2002) 1); alpsim's showers carry no fluctuations, so the
    position and energy errors of two clusters 2–5 crystals apart (m_a = 0.2 GeV, E_a ≈ 2–4
    GeV) are those of isolated photons, which the real splitting of shared crystals is not.
    """
    babar = load_detector(shipped_card("babar"))
    masses = (0.2, 0.5, 1.0, 2.0, 3.0, 4.0)
    n = ctx.events(4000, 20000)
    out, fit, half68, de_only, raw = [], [], [], [], []
    for m in masses:
        _, c = sample(babar, m, 1e-3, "gamma gamma", n)
        ok = c["reconstructed"] & ~c["a_merged"]
        fit.append(fwhm_sigma(c["a_M_kinfit"][ok]) * 1e3)
        half68.append(robust_sigma(c["a_M_kinfit"][ok]) * 1e3)
        de_only.append(fwhm_sigma(c["a_M_fit"][ok]) * 1e3)
        raw.append(fwhm_sigma(c["a_M"][ok]) * 1e3)
        out.append(
            compare_band(
                f"σ(m_γγ) after the B kinematic fit, m_a = {m:g} GeV",
                fit[-1],
                8.0,
                14.0,
                RES_TOL,
                unit="MeV",
                source="BaBar PRL 128 (2022) 131802 via issue 18 [requirement: issue 18]",
            )
        )
        out.append(
            info(f"  68 % half-width after the fit, m_a = {m:g} GeV", half68[-1], unit="MeV")
        )
        out.append(
            info(
                f"  σ(m_γγ) ΔE-only constraint / none, m_a = {m:g} GeV",
                de_only[-1],
                unit="MeV",
                note=f"unconstrained a_M: {raw[-1]:.1f} MeV",
            )
        )
        _, c = sample(babar, m, 100.0, "gamma gamma", n)
        ok = c["reconstructed"] & ~c["a_merged"]
        out.append(
            info(
                f"  σ(m_γγ) after the fit, m_a = {m:g} GeV, cτ = 100 mm",
                fwhm_sigma(c["a_M_kinfit"][ok]) * 1e3,
                unit="MeV",
            )
        )
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(masses, fit, "o-", label="kinematic fit (E_beam, m_B), FWHM/2.355")
    ax.plot(masses, half68, "o:", label="kinematic fit, 68 % half-width")
    ax.plot(masses, de_only, "s--", label="ΔE = 0 only (a_M_fit)")
    ax.plot(masses, raw, "^:", label="no constraint (a_M)")
    ax.axhspan(8, 14, color="grey", alpha=0.3, label="BaBar 8–14 MeV")
    ax.set(xlabel="m_a [GeV]", ylabel="σ(m_γγ) [MeV]", yscale="log", title="BaBar B→Ka, a→γγ")
    ax.legend(fontsize=7)
    fig.tight_layout()
    ctx.savefig(fig, "calo_babar_mgg_kinfit.png")
    return out


@check("calorimeter", quick=True)
def photon_efficiency_consistency(ctx: Context) -> list[Result]:
    """Photon reconstruction efficiency of single photons from the IP in the barrel, at
    100 MeV and 2 GeV, for Belle II (ECL: TDR arXiv:1011.0352), BaBar and BESIII (CsI(Tl)
    calorimeters of similar thresholds). Belle II above 1.5 GeV against its published 90 %
    (a Belle II figure of issue 18 whose source was not read [unverified];
    the card's plateau: a self-consistency row, tolerance 5 %).
    The 100 MeV values are INFO: issue 18 found 57 % (Belle II) against 83 % (BaBar) and
    96.5 % (BESIII) because only the Belle II card had an exponential turn-on; the turn-on now
    follows from each region's threshold and resolution, so the three agree up to their
    plateaus (no published 100 MeV efficiency was found).
    """
    out = []
    n = ctx.events(20000, 100000)
    rng = np.random.default_rng(12)
    theta = np.radians(90.0)
    for card in ("belle2", "babar", "bes3"):
        cal = load_detector(shipped_card(card)).calorimeter
        for e in (0.1, 2.0):
            p4 = np.tile([np.sin(theta) * e, 0.0, np.cos(theta) * e, e], (n, 1))
            _, ok = reconstruct_photons(rng, p4, np.zeros((n, 4)), cal)
            if card == "belle2" and e == 2.0:
                out.append(
                    compare_rel(
                        "Belle II photon efficiency, 2 GeV, barrel (self-consistency)",
                        float(ok.mean()),
                        cal.efficiency,
                        EFF_TOL,
                        source="card plateau (90 %: issue-18 figure, source not read [unverified])",
                    )
                )
            else:
                out.append(
                    info(
                        f"{card} photon efficiency, {e:g} GeV, barrel",
                        float(ok.mean()),
                        reference=cal.efficiency,
                        note="reference: the card's plateau",
                    )
                )
    return out


@check("calorimeter", quick=False)
def pi0_eta_peaks(ctx: Context) -> list[Result]:
    """π0 → γγ and η → γγ at Belle II and BaBar (ALPs of the π0 and η masses decaying promptly
    to γγ in B+ → K+a): peak positions (not the median, which the low-side tail moves)
    against the PDG masses (Review of Particle Physics, PRD 110 (2024) 030001), tolerance 1 %;
    the peak is the midpoint of the half-maximum points. [self-consistency]: the ALPs are
    generated at these masses, so the rows test the energy scale and the mass reconstruction
    against the run's own input, not a measured peak.
    The widths (FWHM/2.355) are INFO: no published π0 or η width
    for energetic (E ≈ 2.5 GeV) mesons was found for these detectors.
    """
    out = []
    n = ctx.events(4000, 20000)
    for card in ("belle2", "babar"):
        det = load_detector(shipped_card(card))
        for pdg, name in ((111, "π0"), (221, "η")):
            _, c = sample(det, mass(pdg), 1e-3, "gamma gamma", n)
            m = c["a_M"][c["reconstructed"] & ~c["a_merged"]]
            out.append(
                compare_rel(
                    f"[self-consistency] {card}: {name} peak (peak of m_γγ)",
                    peak_position(m),
                    mass(pdg),
                    PEAK_TOL,
                    unit="GeV",
                    source="PDG",
                    note="the generated ALP mass is this PDG mass",
                )
            )
            out.append(
                info(
                    f"{card}: σ(m_γγ) {name} (FWHM/2.355)",
                    fwhm_sigma(m) * 1e3,
                    unit="MeV",
                    note=f"merged fraction {np.mean(c['a_merged']):.2f}",
                )
            )
    return out


@check("calorimeter", quick=False)
def gamma_a_efficiency_and_merging(ctx: Context) -> list[Result]:
    """Belle II e+e− → γa, a → γγ at √s = 10.58 GeV with cards/analysis_belle2_gamma_a_gg.toml
    (Belle II PRL 125 (2020) 161806, arXiv:2007.13071: search range 0.2 < m_a < 9.7 GeV
    [paper]). Efficiency and the fraction of ALPs whose two photons form one cluster
    (a_merged, shower overlap in the crystals) versus m_a. INFO: the paper's efficiency curve
    and its treatment of merged photons at low mass could not be read (the search tool's copies
    hold the abstract only), so there is no published number to judge against.
    """
    import alpsim

    from .checks_kinematics import card_with

    out = []
    n = ctx.events(2000, 10000)
    masses = (0.2, 0.3, 0.5, 1.0, 2.0, 4.0, 8.0)
    effs, merged = [], []
    for m in masses:
        res = alpsim.run(card_with("analysis_belle2_gamma_a_gg.toml", alp__mass=m), n=n)
        effs.append(res.efficiency)
        merged.append(float(np.mean(np.asarray(res.events["a_merged"]))))
        out.append(
            info(
                f"γa efficiency, m_a = {m:g} GeV",
                effs[-1],
                note=f"a_merged = {merged[-1]:.3f}; published efficiency not found",
            )
        )
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(masses, effs, "o-", label="efficiency (analysis card)")
    ax.plot(masses, merged, "s--", label="a_merged fraction")
    ax.set(
        xscale="log",
        xlabel="m_a [GeV]",
        ylabel="fraction",
        ylim=(0, 1),
        title="Belle II e+e−→γa, a→γγ",
    )
    ax.legend()
    fig.tight_layout()
    ctx.savefig(fig, "calo_gamma_a_eff.png")
    return out


def _weighted_quantiles(x: np.ndarray, w: np.ndarray, q: tuple[float, ...]) -> np.ndarray:
    """Quantiles of x with weights w (linear in the cumulative weight)."""
    order = np.argsort(x)
    cum = np.cumsum(w[order])
    return np.interp(np.asarray(q) * cum[-1], cum, x[order])


def gg_sensitivity(mass_gg: np.ndarray, weight: np.ndarray, n_generated: int) -> float:
    """ε·f/√W of a peak search in a background-dominated di-photon mass spectrum: the weighted
    efficiency ε·f inside the window median ± 2σ68 of the reconstructed peak (σ68 half the
    central 68 % interval), and √W the square root of its width, since a flat background
    grows with the window and a limit scales as √B/(ε f) (e.g. G. Cowan et al., EPJ C 71
    (2011) 1554, eq. 97, median significance s/√b for s ≪ b)."""
    ok = np.isfinite(mass_gg) & (weight > 0)
    x, w = mass_gg[ok], weight[ok]
    if w.sum() <= 0:
        return float("nan")
    lo, med, hi = _weighted_quantiles(x, w, (0.16, 0.5, 0.84))
    half = hi - lo  # = 2 σ68
    inside = np.abs(x - med) <= half
    return float(w[inside].sum() / n_generated / np.sqrt(2 * half))


@check("calorimeter", quick=False)
def babar_b2ka_gg_lifetime(ctx: Context) -> list[Result]:
    """Lifetime dependence of the BaBar B → K a, a → γγ search (PRL 128 (2022) 131802,
    arXiv:2111.01800) against its published limits at cτ = 1, 10 and 100 mm: limit(1 mm) /
    limit(cτ), median and quartiles over the grid's masses in each mass range
    (validation/published_lifetime.py; the limits fluctuate from mass to mass, so the band is
    the quartiles ±10 %). alpsim: cards/analysis_babar_b2ka_gg.toml (its preselection), the
    di-photon mass a_M_kinfit of the photons taken from the IP (so a displaced decay shifts
    and widens the peak, as in the experiment), and the sensitivity ratio
    [ε f/√W](cτ) / [ε f/√W](1 mm) of a peak search in a background-dominated spectrum
    (gg_sensitivity): ε f the efficiency in the window median ± 2σ68 of the peak at that cτ,
    W its width. The analysis' BDT and fit are not reproduced (their inputs were not read), so
    only this model of the limit's lifetime dependence is compared, at the middle of each mass
    range. One log-uniform lifetime sample per mass, reweighted to each cτ (alpsim.scan).
    Status when written (2026-12-06): 9 of 10 rows PASS; m_a = 0.325 GeV at cτ = 10 mm gives
    0.585–0.591 (three seeds, 10⁵ events each) against the band's lower edge 0.60 (0.67 − 10 %).
    There the efficiency does not change (0.68 at 1 and 10 mm) but the peak widens from 8 to
    22 MeV (σ68), since photons from a decay ~80 mm from the IP are taken from the IP; the
    proxy's 1/√W then gives 0.59. BaBar's own signal shapes per cτ and its BDT were not read,
    so whether the real peak widens less, or the fit recovers more than 1/√W, is not known.
    """
    from alpsim.card import load_card
    from alpsim.generator.lifetime import lifetime_weight
    from alpsim.runner import event_columns, selected, simulate_chunk
    from alpsim.scan import card_at_mass

    from .published_lifetime import BABAR_B2KA_GG_RELATIVE, BABAR_CTAU_MM, BABAR_SOURCE

    base = load_card(CARDS / "analysis_babar_b2ka_gg.toml")
    ctaus = np.array(BABAR_CTAU_MM)
    n = ctx.events(20_000, 100_000)
    out: list[Result] = []
    rows = []
    for k, ((lo, hi), (_, q10, q100)) in enumerate(BABAR_B2KA_GG_RELATIVE.items()):
        m = round(0.5 * (lo + hi), 3)
        card = card_at_mass(base, m, ctaus)
        record, reco = simulate_chunk(card, base.run.seed + k, 0, 0, n)
        passed = selected(card, record, reco)
        cols = event_columns(record, reco)
        ell, dens = cols["alp_proper_length"], cols["alp_sampling_density"]
        sens = np.array(
            [
                gg_sensitivity(cols["a_M_kinfit"], passed * lifetime_weight(ell, dens, ct), n)
                for ct in ctaus
            ]
        )
        rel = sens / sens[0]
        rows.append((m, rel, q10, q100))
        for i, q in ((1, q10), (2, q100)):
            out.append(
                compare_band(
                    f"m_a = {m:g} GeV: sensitivity at cτ = {ctaus[i]:g} mm / at 1 mm",
                    float(rel[i]),
                    q[0],
                    q[2],
                    0.10,
                    source=f"{BABAR_SOURCE} {lo:g}–{hi:g} GeV (median {q[1]:.2f})",
                )
            )
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ms = [r[0] for r in rows]
    for i, style in ((1, "o"), (2, "s")):
        ax.plot(ms, [r[1][i] for r in rows], style + "-", label=f"alpsim, cτ = {ctaus[i]:g} mm")
        q = np.array([r[2 + i - 1] for r in rows])
        ax.errorbar(ms, q[:, 1], yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]], fmt=style,
                    color="k", mfc="none", label=f"BaBar limits, cτ = {ctaus[i]:g} mm")  # fmt: skip
    ax.set(xlabel="m_a [GeV]", ylabel="relative to cτ = 1 mm", title="BaBar B→Ka, a→γγ")
    ax.legend(fontsize=7)
    fig.tight_layout()
    ctx.savefig(fig, "calo_babar_lifetime.png")
    return out
