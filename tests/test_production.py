"""Production rates and data-set yields of `alpsim alp` (generator/alp/production.py)."""

import math

import pytest
import scipy.constants as sc

from alpsim.generator.alp import Couplings
from alpsim.generator.alp.production import (
    B_FACTORIES,
    SIGMA_TAU_PAIR_FB,
    format_production,
    production_rates,
)
from alpsim.generator.channels import rates
from alpsim.generator.channels.normalisation import PDG_2024, bf_jpsi_to_ee


@pytest.fixture(scope="module")
def prod():
    return production_rates(1.0, Couplings.from_g_aW(1e-5, c_taumu=1e-3))


def test_rates_are_the_channel_rates(prod):
    c = prod.couplings
    assert prod.rates["BR(B+ -> K+ a)"] == pytest.approx(rates.bf_b_to_k_a(c, 1.0), rel=1e-12)
    assert prod.rates["BR(B0 -> K*0 a)"] == pytest.approx(rates.bf_b_to_kstar_a(c, 1.0), rel=1e-12)
    # J/psi -> gamma a = ratio x B(J/psi -> ee), from the code's own PDG 2024 table
    # (normalisation.py, PDG 2024 RPP, PRD 110 (2024) 030001), not from the DEC file
    ratio = float(rates.jpsi_gamma_a_ratio(c.g_agamma, 1.0))
    assert prod.rates["B(J/psi -> gamma a)"] == pytest.approx(ratio * bf_jpsi_to_ee(), rel=1e-12)
    assert "PDG 2024" in PDG_2024[("J/psi", ("e+", "e-"))][1]


def test_sigma_gamma_a_formula(prod):
    # sigma = alpha g^2/24 (1 - m^2/s)^3 (DFHKS, JHEP 12 (2017) 094), in fb via (hbar c)^2
    key = next(k for k in prod.rates if k.startswith("sigma") and "Belle II" in k)
    s = float(key.split("= ")[1].split(" GeV")[0]) ** 2
    g = prod.couplings.g_agamma
    # (ħc)² in GeV² fb from scipy.constants (CODATA): 1 fb = 1e-43 m²
    hbarc2_gev2_fb = (sc.hbar * sc.c / (sc.e * 1e9)) ** 2 / 1e-43
    expected = sc.fine_structure * g**2 / 24 * (1 - 1.0 / s) ** 3 * hbarc2_gev2_fb
    assert prod.rates[key] == pytest.approx(expected, rel=2e-3)  # s rounded to 3 decimals


def test_yields_follow_the_data_sets(prod):
    _, n_bb, lumi = B_FACTORIES["Belle II"]
    y = prod.yields
    # B+B- fraction of the Upsilon(4S): PDG 2024 51.4 % / (51.4 + 48.6) %
    assert y[("Belle II", "B+- -> K+- a")] == pytest.approx(
        2 * n_bb * 0.514 * prod.rates["BR(B+ -> K+ a)"], rel=1e-9
    )
    n_tau = 2 * SIGMA_TAU_PAIR_FB * lumi
    assert n_tau == pytest.approx(6.65e8, rel=1e-3)  # 2 x 0.919 nb x 362 fb^-1
    assert y[("Belle II", "tau -> l a")] == pytest.approx(n_tau * prod.rates["BR(tau -> mu a)"])
    assert y[("BESIII", "J/psi -> gamma a")] == pytest.approx(
        10.087e9 * prod.rates["B(J/psi -> gamma a)"]
    )


def test_table_says_scale_and_basis(prod):
    text = format_production(prod)
    assert "basis BNT17 at scale 1000 GeV" in text and "running: numerical" in text
    assert "Belle II: B+- -> K+- a" in text and math.isfinite(prod.rates["BR(tau -> mu a)"])


def test_cli_alp_prints_production(capsys):
    from alpsim.cli import main

    assert main(["alp", "--mass", "1.0", "--g-aW", "1e-5"]) == 0
    out = capsys.readouterr().out
    assert "BR(B+ -> K+ a)" in out and "ALPs produced in the data set" in out
    assert "basis BNT17" in out


def test_alpaca_check_skips_cleanly_without_alpaca(monkeypatch, tmp_path):
    from validation import alpaca_compare, checks_alpaca
    from validation.report import INFO, Context

    monkeypatch.setattr(alpaca_compare, "available", lambda: False)
    rows = checks_alpaca.alpaca_side_by_side(Context(tmp_path, quick=True))
    assert len(rows) == 1 and rows[0].status == INFO and "not installed" in rows[0].note
