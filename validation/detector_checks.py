"""Detector validation: resolutions and efficiencies of the parametrized detectors against
published figures. Prints reference vs alpsim and draws a four-panel PNG.

Run: python validation/detector_checks.py [out.png] [events per point]   (default 40k)

Checks (references named per check; tags as in validation/report.py):
1. m_γγ resolution versus m_a in B → K a at BaBar, prompt and displaced ALPs: 8–14 MeV,
   attributed to BaBar PRL 128 (2022) 131802, arXiv:2111.01800, in a collaboration talk; not
   read in the paper [unverified].
2. π0 → γγ peak at Belle II (an ALP of the π0 mass decaying promptly to γγ).
3. K0_S → π+π− (an ALP of the K_S mass and cτ): vertex mass and transverse vertex resolution.
4. Efficiency versus cτ for displaced B → K a, a → μ+μ− and γγ at Belle II.
"""

from __future__ import annotations

import sys

import numpy as np

from alpsim.detector.chain import simulate
from alpsim.detector.config import load_detector, shipped_card
from alpsim.generator.beams import draw_beams
from alpsim.generator.channels.b_to_k_a import BToKA
from alpsim.generator.channels.base import AlpSettings
from alpsim.pdg import ctau, mass
from alpsim.record import EventRecord


def sample(det, m_a, ctau_mm, final_state, n, seed=1, objects=False):
    """Generate B+ → K+ a and run the detector; returns (record, columns), the columns with the
    reconstructed "vertices" objects added if `objects`."""
    rng = np.random.default_rng(seed)
    ch = BToKA(AlpSettings(m_a, ctau_mm, {final_state: 1.0}), 1e-6)
    beams = draw_beams(rng, n, det.beams, ch.min_sqrt_s)
    record = EventRecord(ch.name, ch.generate(rng, beams))
    reco = simulate(rng, record, det)
    columns = reco.columns()
    if objects:
        columns["vertices"] = reco.objects()["vertices"]
    return record, columns


def robust_sigma(x: np.ndarray) -> float:
    """Half the central 68 % interval (insensitive to the low tail of displaced decays)."""
    x = x[np.isfinite(x)]
    lo, hi = np.percentile(x, [16, 84])
    return 0.5 * (hi - lo)


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "detector_checks.png"
    n = int(float(sys.argv[2])) if len(sys.argv) > 2 else 40_000
    babar = load_detector(shipped_card("babar"))
    belle2 = load_detector(shipped_card("belle2"))

    print(
        "1. m_gg resolution in B -> K a at BaBar (reference: 8-14 MeV attributed to BaBar"
        " PRL 128 (2022) 131802 in a talk [unverified])"
    )
    masses = np.array([0.2, 0.5, 1.0, 2.0, 3.0, 4.0])
    res = {}
    for label, ct in (("prompt", 1e-3), ("ctau 100 mm", 100.0)):
        res[label] = []
        for m in masses:
            _, c = sample(babar, m, ct, "gamma gamma", n)
            ok = c["reconstructed"]
            res[label].append(robust_sigma(c["a_M"][ok]) * 1e3)
        print(
            f"   {label:12s}: "
            + "  ".join(f"{m:.1f}:{s:5.1f}" for m, s in zip(masses, res[label], strict=True))
            + "  MeV"
        )

    print("2. pi0 -> gamma gamma at Belle II (prompt, a of the pi0 mass)")
    _, c = sample(belle2, mass(111), 1e-3, "gamma gamma", n)
    m_pi0 = c["a_M"][c["reconstructed"]]
    print(
        f"   peak {np.median(m_pi0) * 1e3:.1f} MeV (PDG {mass(111) * 1e3:.1f}); "
        f"sigma {robust_sigma(m_pi0) * 1e3:.1f} MeV; merged fraction {np.mean(c['a_merged']):.3f}"
        "  (Belle II: ~5-7 MeV for energetic pi0 [unverified])"
    )

    print("3. K0_S -> pi+ pi- at Belle II (a of the K_S mass and c tau)")
    rec, c = sample(belle2, mass(310), ctau(310), "pi+ pi-", n)
    true_r = np.concatenate(
        [np.hypot(*b.decay_vertex(b.roles["alp"])[:, :2].T) for b in rec.blocks]
    )
    has = np.isfinite(c["a_dr"])
    dm = c["a_M"][has]
    dr = (c["a_dr"] - true_r)[has]
    print(
        f"   vertexed {has.mean():.3f}; mass peak {np.median(dm) * 1e3:.2f} MeV "
        f"(PDG {mass(310) * 1e3:.2f}); sigma_M {robust_sigma(dm) * 1e3:.2f} MeV; "
        f"sigma_r(vertex) {robust_sigma(dr) * 1e3:.0f} um"
        f"  (Belle II K_S: sigma_M ~ 2-4 MeV [unverified])"
    )

    print("4. efficiency vs c tau at Belle II, m_a = 1 GeV")
    ctaus = np.array([0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0])
    effs = {}
    for fs, key in (("mu+ mu-", "a_dr"), ("gamma gamma", "a_M")):
        effs[fs] = []
        for ct in ctaus:
            _, c = sample(belle2, 1.0, ct, fs, n)
            ok = c["reconstructed"] & np.isfinite(c[key])
            effs[fs].append(ok.mean())
        print(
            f"   {fs:12s}: "
            + "  ".join(f"{ct:g}mm:{e:.3f}" for ct, e in zip(ctaus, effs[fs], strict=True))
        )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(2, 2, figsize=(10, 8))
    for label, r in res.items():
        ax[0, 0].plot(masses, r, "o-", label=f"alpsim BaBar, {label}")
    ax[0, 0].axhspan(8, 14, color="grey", alpha=0.3, label="BaBar 8-14 MeV")
    ax[0, 0].set(xlabel="m_a [GeV]", ylabel="sigma(m_gg) [MeV]", title="B -> K a, a -> gg at BaBar")
    ax[0, 0].legend(fontsize=8)
    ax[0, 1].hist(m_pi0 * 1e3, bins=80, range=(80, 190))
    ax[0, 1].axvline(mass(111) * 1e3, color="k")
    ax[0, 1].set(xlabel="m_gg [MeV]", title="pi0 at Belle II")
    ax[1, 0].hist(dm * 1e3, bins=80, range=(mass(310) * 1e3 - 20, mass(310) * 1e3 + 20))
    ax[1, 0].set(xlabel="M(pi+ pi-) at vertex [MeV]", title="K0_S at Belle II")
    for fs, e in effs.items():
        ax[1, 1].semilogx(ctaus, e, "o-", label=fs)
    ax[1, 1].set(xlabel="c tau [mm]", ylabel="efficiency", title="B -> K a, m_a = 1 GeV, Belle II")
    ax[1, 1].legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"plot written to {out}")


if __name__ == "__main__":
    main()
