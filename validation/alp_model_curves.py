"""ALP branching fractions and cτ versus mass (1 MeV–10 GeV) for three benchmark couplings,
plus reference-point checks of the widths of M. Bauer, M. Neubert, A. Thamm, JHEP 12 (2017) 044,
arXiv:1708.00443 ("BNT17"), sec. 3 (values computed by hand), with pass/fail.

Usage: python validation/alp_model_curves.py out.png
"""

from __future__ import annotations

import math
import sys

import numpy as np

from alpsim.generator.alp import (
    FINAL_STATES,
    Couplings,
    branching_fractions,
    ctau_mm,
    partial_widths,
    total_width,
)

BENCHMARKS = {
    "photon-dominated (g_aγγ = 1e-5 GeV⁻¹)": Couplings.from_g_agamma(1e-5),
    "W-dominated (g_aW = 1e-5 GeV⁻¹)": Couplings.from_g_aW(1e-5),
    "lepton-dominated (c_ℓℓ = 1, Λ = 1 TeV)": Couplings.lepton_universal(1.0),
}


def hand_computed_widths() -> list[tuple[str, str, float, float]]:
    """Widths computed by hand from BNT17 sec. 3 [calc] and alpsim's values:
    (quantity, unit, reference, alpsim). Γ(γγ) = g² m_a³/(64π); cτ = ħc/Γ;
    Γ(μμ) = m_a m_μ² c_μμ² β_μ/(8πΛ²)."""
    return [
        ("Γ(a→γγ), g=1e-3/GeV, m=1 GeV", "GeV", 4.97e-9,
         partial_widths(1.0, Couplings.from_g_agamma(1e-3))["gamma gamma"]),
        ("cτ, g=1e-5/GeV, m=0.2 GeV", "cm", 4.96,
         ctau_mm(total_width(0.2, Couplings.from_g_agamma(1e-5))) / 10.0),
        ("Γ(a→μμ), c=1, Λ=1TeV, m=1GeV", "GeV", 4.34e-10,
         partial_widths(1.0, Couplings(c_mumu=1.0))["mu+ mu-"]),
    ]  # fmt: skip


def reference_checks() -> bool:
    """`hand_computed_widths` compared to 3 significant digits."""
    ok_all = True
    for name, unit, ref, val in hand_computed_widths():
        ok = float(f"{val:.3g}") == ref
        ok_all &= ok
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {val:.5g} {unit} (reference {ref:g})")
    return ok_all


def plot_br_ctau(axes: np.ndarray, masses: np.ndarray) -> None:
    """BR(m_a) (top row) and cτ(m_a) (bottom row) of each benchmark on a 2×3 grid of axes."""
    for col, (label, c) in enumerate(BENCHMARKS.items()):
        br = branching_fractions(masses, c)
        for k in FINAL_STATES:
            if np.any(np.asarray(br[k]) > 1e-4):
                axes[0, col].plot(masses, br[k], label=k)
        axes[0, col].set(xscale="log", yscale="log", ylim=(1e-4, 1.5), title=label, ylabel="BR")
        axes[0, col].legend(fontsize=7)
        axes[1, col].plot(masses, ctau_mm(total_width(masses, c)))
        axes[1, col].set(xscale="log", yscale="log", xlabel="m_a [GeV]", ylabel="cτ [mm]")
        axes[1, col].grid(alpha=0.3)


#: ASW (arXiv:1811.03474) Fig. 1 for C_GG = 1, Λ = 1 TeV, from ALPINIST's digitisation [digi], in
#: eV: (final state, m_a [GeV], width, tolerance factor). See tests/test_alp_model.py.
ASW_DIGI = [
    ("gamma gamma", 0.45, 0.80, 1.3), ("gamma gamma", 1.0, 52.5, 1.3),
    ("gamma gamma", 1.2, 10.0, 1.5), ("gamma gamma", 1.5, 7.43, 1.5),
    ("gamma gamma", 2.0, 0.349, 1.5),
    ("pi+ pi- gamma", 0.6, 2.22, 1.5), ("pi+ pi- gamma", 0.7, 1.85, 1.5),
    ("pi+ pi- gamma", 1.0, 1250.0, 1.5), ("pi+ pi- gamma", 1.2, 758.0, 1.5),
    ("pi+ pi- gamma", 1.5, 1178.0, 1.5), ("pi+ pi- pi0", 0.45, 0.080, 1.7),
    ("pi+ pi- pi0", 0.6, 1.49, 1.7), ("pi0 pi0 pi0", 0.5, 1.946, 1.7),
    ("pi0 pi0 pi0", 0.9, 6.98, 1.7), ("total", 1.0, 6191.0, 1.6), ("total", 1.5, 286500.0, 1.6),
    ("total", 2.0, 223700.0, 1.6), ("total", 3.0, 347700.0, 1.6),
]  # fmt: skip


def asw_checks() -> bool:
    """Gluon-coupled ALP against ASW [digi]; 3π within 1.7 (K normalisation, see hadronic.py)."""
    c = Couplings(C_GG=1.0)
    ok_all = True
    for key, m, ref, tol in ASW_DIGI:
        val = (total_width(m, c) if key == "total" else partial_widths(m, c)[key]) / 1e-9
        ok = ref / tol < val < tol * ref
        ok_all &= ok
        print(
            f"{'PASS' if ok else 'FAIL'}  ASW {key} at {m} GeV: {val:.4g} eV (ASW {ref:g}, ×{tol})"
        )
    return ok_all


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    masses = np.geomspace(1e-3, 10.0, 600)
    fig, axes = plt.subplots(2, 3, figsize=(16, 8.5), sharex=True)
    plot_br_ctau(axes, masses)
    fig.tight_layout()
    fig.savefig(argv[1], dpi=120)
    print(f"wrote {argv[1]}")
    ok = reference_checks()
    asw_checks()  # informational: 3π K-factor difference, see generator/alp/hadronic.py
    assert all(math.isfinite(x) for x in masses)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
