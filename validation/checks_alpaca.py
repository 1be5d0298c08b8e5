"""alpsim against ALPaca (Alda et al., arXiv:2508.08354), an optional check: it runs only when
`alpaca-alps` is installed and reports one INFO row saying it was skipped otherwise. The
comparison itself, its benchmarks and which rows carry the same physics: alpaca_compare.py."""

from __future__ import annotations

import numpy as np

from .report import Context, Result, check, compare_rel, info


@check("theory", quick=False)
def alpaca_side_by_side(ctx: Context) -> list[Result]:
    """alpsim against ALPaca 1.2.0 (arXiv:2508.08354) with the same couplings at 1 TeV = f = Λ
    (photon-, gluon-, W-, top-, lepton-coupled and universal ALPs), numerical running on both
    sides (Bauer et al. arXiv:2012.12272): leptonic widths, Γ(γγ) (same α), the total width
    below the hadronic region, BR(B+→K+a), BR(B0→K*0a) (q² ≤ 6 GeV²), B(J/ψ→γa) and
    BR(τ→μa) judged at ±3 %; hadronic widths, the K* form factor at large q² and the gluon
    benchmark's b → s rate shown with their ratio (alpaca_ratios.png) and the reason they differ.
    """
    from . import alpaca_compare as ac

    if not ac.available():
        return [info("ALPaca comparison", float("nan"), note="skipped: alpaca-alps not installed")]
    n = 6 if ctx.quick else 14
    masses = np.geomspace(1e-3, 10.0, n)
    rate_masses = [0.01, 0.5, 2.0, 4.0] if not ctx.quick else [0.5]
    rows = ac.all_rows(masses, rate_masses)
    src = "ALPaca 1.2.0, arXiv:2508.08354"
    out = []
    for r in rows:
        label = f"{r.quantity} [{r.benchmark}], m_a={r.mass:.3g} GeV"
        if r.judged:
            out.append(
                compare_rel(label, r.alpsim, r.alpaca, ac.TOLERANCE, source=src, note=r.note)
            )
        else:
            out.append(info(label, r.alpsim, reference=r.alpaca, source=src, note=r.note))
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    ac.ratio_plot(rows, ctx.out_dir / "alpaca_ratios.png")
    ctx.figures.append("alpaca_ratios.png")
    return out
