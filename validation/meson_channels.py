"""Validation of the meson-decay channels against the cited rate formulas and the line shapes.

Run: python validation/meson_channels.py [--plots DIR]. Prints reference checks (value,
reference, ratio), the BF(m_a) curves of B → K(*) a and J/ψ → γ a, and large-sample checks of
the K* line shape, the K* helicity moment, the ψ(3686) → π+π−J/ψ spectrum and the generic
other-B multiplicity. With --plots (needs matplotlib) it draws the spectra.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from alpsim.card import load_card
from alpsim.detector.config import shipped_card
from alpsim.generator import kinematics as kin
from alpsim.generator.alp import C_WW_from_g_aW, Couplings
from alpsim.generator.beams import draw_beams
from alpsim.generator.channels import rates
from alpsim.generator.channels.b_to_kstar_a import kstar_lineshape, kstar_range
from alpsim.generator.channels.jpsi_to_gamma_a import pipi_density
from alpsim.pdg import mass

CARDS = shipped_card("belle2").parent  # the run cards shipped inside the package


def reference_checks() -> None:
    w = Couplings(C_WW=C_WW_from_g_aW(1e-5, 1000.0), Lambda=1000.0)
    rows = [
        ("|g_bs|/g_aW (ILS)", abs(rates.g_bs_w_loop(1.0)), 9.95e-5),
        ("BR(B+->K+a), g_aW=1e-5, m_a->0", rates.bf_b_to_k_a(w, 1e-6), 1.91e-7),
        ("A0(0) BSZ15", float(rates.a0_bkstar(0.0)), 0.369196),
        ("B(J/psi->ga)/B(ee), g=1e-3", float(rates.jpsi_gamma_a_ratio(1e-3, 0.0)), 1.31e-5),
    ]
    print(f"{'quantity':40s} {'alpsim':>12s} {'reference':>12s} {'ratio':>8s}")
    for name, value, ref in rows:
        print(f"{name:40s} {value:12.4e} {ref:12.4e} {value / ref:8.4f}")


def bf_curves() -> None:
    w = Couplings(C_WW=C_WW_from_g_aW(1e-5, 1000.0), Lambda=1000.0)
    print("\nm_a [GeV]  BR(B+->K+a)  BR(B0->K*0a)  (g_aW = 1e-5/GeV)   B(J/psi->ga)/B(ee) (g=1e-3)")
    for m in (0.1, 0.5, 1.0, 2.0, 3.0, 4.0):
        bk = rates.bf_b_to_k_a(w, m)
        bks = rates.bf_b_to_kstar_a(w, m) if m < mass(511) - mass(313) else 0.0
        rj = float(rates.jpsi_gamma_a_ratio(1e-3, m)) if m < mass(443) else 0.0
        print(f"{m:8.2f}  {bk:11.3e}  {bks:12.3e}  {rj:33.3e}")


def generate(card_name: str, n: int, seed: int = 1, **over):
    card = load_card(CARDS / card_name)
    rng = np.random.default_rng(seed)
    beams = draw_beams(rng, n, card.detector.beams, card.channel.min_sqrt_s)
    return card, card.channel.generate(rng, beams)


def kstar_checks(n: int) -> np.ndarray:
    card, blocks = generate("belle2_b2kstar_a_pipi.toml", n)
    m = np.concatenate([kin.mass(b.p4[:, b.roles["kstar"]]) for b in blocks])
    lo, hi = kstar_range(313, mass(321), mass(211), mass(511), card.alp.mass)
    grid = np.linspace(lo, hi, 20001)
    pdf = kstar_lineshape(grid, 313, mass(321), mass(211), mass(511), card.alp.mass)
    mean = np.sum(grid * pdf) / np.sum(pdf)
    print(f"\nK*0 mass: generated mean {m.mean():.5f} GeV, line-shape mean {mean:.5f} GeV")
    c2 = []
    for b in blocks:
        kst = b.p4[:, b.roles["kstar"]]
        k = kin.boost(b.p4[:, b.roles["kaon"]], -kin.velocity(kst))[:, :3]
        ax = -kin.boost(b.p4[:, b.roles["signal_parent"]], -kin.velocity(kst))[:, :3]
        c2.append((np.sum(k * ax, 1) / np.linalg.norm(k, axis=1) / np.linalg.norm(ax, axis=1)) ** 2)
    c2 = np.concatenate(c2)
    print(f"K* helicity <cos^2> = {c2.mean():.4f} +- {c2.std() / np.sqrt(c2.size):.4f} (3/5)")
    return m


def psi2s_pipi_sample(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """m(π+π−) of n ψ(3686) → π+π−J/ψ events of the BESIII tagged card, with a grid over the
    kinematic range and the Novikov–Shifman model density on it (averaged over cos θ)."""
    _, (b,) = generate("bes3_jpsi_gamma_a_tagged.toml", n)
    m = kin.mass(b.p4[:, b.roles["pi+"]] + b.p4[:, b.roles["pi-"]])
    grid = np.linspace(2 * mass(211), mass(100443) - mass(443), 2001)
    dens = pipi_density(grid[:, None], np.linspace(-1, 1, 201)[None, :]).mean(1)
    return m, grid, dens


def pipi_checks(n: int) -> np.ndarray:
    m, grid, dens = psi2s_pipi_sample(n)
    print(
        f"\nm_pipi: generated mean {m.mean():.4f} GeV, Novikov-Shifman mean "
        f"{np.sum(grid * dens) / np.sum(dens):.4f} GeV"
    )
    return m


def generic_checks(n: int) -> None:
    card, blocks = generate("babar_b2ka_gg.toml", n)
    mult = np.concatenate(  # the other B's daughters are in the ragged part (record.Ragged)
        [
            np.bincount(b.rest.event[b.rest.mother == b.roles["other_b"]], minlength=b.n_events)
            for b in blocks
        ]
    )
    print(
        f"\nother B (generic): {len(blocks)} blocks for {n} events, mean first-level "
        f"multiplicity {mult.mean():.2f}, kept fraction of the DEC table "
        f"{card.channel.normalisation()['other_b_kept_fraction']:.3f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plots", type=Path, default=None)
    ap.add_argument("-n", type=int, default=200_000)
    args = ap.parse_args()
    reference_checks()
    bf_curves()
    m_kst = kstar_checks(args.n)
    m_pp = pipi_checks(args.n)
    generic_checks(min(args.n, 50_000))
    if args.plots:
        import matplotlib.pyplot as plt

        args.plots.mkdir(parents=True, exist_ok=True)
        for data, name in ((m_kst, "kstar_mass"), (m_pp, "mpipi")):
            plt.figure()
            plt.hist(data, bins=100, histtype="step")
            plt.xlabel(f"{name} [GeV]")
            plt.savefig(args.plots / f"{name}.png")
            plt.close()


if __name__ == "__main__":
    main()
