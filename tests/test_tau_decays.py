"""τ decays: EvtGen branching fractions, Michel spectrum, two-body momenta, line shapes, C."""

from __future__ import annotations

import numpy as np
import pytest

from alpsim.generator.builder import BlockBuilder
from alpsim.generator.kinematics import boost, mass, momentum, two_body_momentum, velocity
from alpsim.generator.tau_decays import (
    TAU_MODES,
    decay_tau,
    rho_nu_grid,
    tau_branching_fractions,
    tau_mode_fractions,
)
from alpsim.pdg import charge as pdg_charge
from alpsim.pdg import mass as pdg_mass

from .conftest import density_chi2, head_on_beams

M_TAU = pdg_mass(15)
NEUTRINOS = {12, 14, 16}


def tau_block(rng, n, mode, sign=+1, polarisation=None, axis=None, at_rest=False):
    """A block with one τ (sign +1: τ−) of random lab momentum decayed in `mode`."""
    b = BlockBuilder(head_on_beams(n))
    p4 = np.zeros((n, 4))
    if not at_rest:
        p4[:, :3] = rng.normal(0.0, 3.0, (n, 3))
    p4[:, 3] = np.sqrt(np.sum(p4[:, :3] ** 2, axis=1) + M_TAU**2)
    tau = b.add(sign * 15, p4)
    decay_tau(rng, b, tau, mode, polarisation=polarisation, axis=axis)
    return b.build(rng, mode), tau


def rest(block, tau, index):
    """Four-momentum of template particle `index` in the τ rest frame."""
    return boost(block.p4[:, index], -velocity(block.p4[:, tau]))


def first(block, pdg):
    """First template index with this PDG id after the two beams."""
    return 2 + int(np.flatnonzero(block.pdg[2:] == pdg)[0])


# ---- branching fractions ---------------------------------------------------------------------
def test_branching_fractions_from_evtgen_table():
    bfs = tau_branching_fractions()
    five = sum(bfs[m] for m in TAU_MODES[:5])
    assert 0.78 < five < 0.84  # e, μ, π, ρ, 3-prong 3π: ≈ 0.81
    assert 0.88 < sum(bfs.values()) < 0.92  # with π− 2π0: ≈ 0.90
    # PDG-size values, e.g. B(τ → e ν ν) ≈ 17.8 %, B(τ → π π0 ν) ≈ 25.5 %
    assert bfs["e nu nu"] == pytest.approx(0.178, abs=0.005)
    assert bfs["rho nu"] == pytest.approx(0.255, abs=0.005)
    lhcb = tau_branching_fractions("DECAY_LHCB.DEC")
    assert lhcb["rho nu"] == pytest.approx(0.2551)  # "pi- pi0 nu_tau" line counted as ρν


def test_mode_fractions_normalised():
    f = tau_mode_fractions(["e nu nu", "pi nu"])
    bfs = tau_branching_fractions()
    assert sum(f) == pytest.approx(1.0)
    assert f[0] / f[1] == pytest.approx(bfs["e nu nu"] / bfs["pi nu"])
    with pytest.raises(ValueError):
        tau_mode_fractions(["K nu"])


# ---- conservation, masses, charges -------------------------------------------------------------
@pytest.mark.parametrize("mode", TAU_MODES)
@pytest.mark.parametrize("sign", [+1, -1])
def test_conservation_masses_and_charge(mode, sign):
    rng = np.random.default_rng(3)
    block, tau = tau_block(rng, 4000, mode, sign)
    fin = block.final_descendants(tau)
    total = block.p4[:, fin].sum(axis=1)
    scale = block.p4[:, tau, 3][:, None]
    assert np.all(np.abs(total - block.p4[:, tau]) <= 1e-9 * scale)
    # Every final particle on its PDG mass shell (neutrinos massless).
    for i in fin:
        pid = abs(int(block.pdg[i]))
        m_true = 0.0 if pid in NEUTRINOS | {22} else pdg_mass(pid)
        e = block.p4[:, i, 3]
        m2 = e**2 - momentum(block.p4[:, i]) ** 2
        assert np.allclose(m2, m_true**2, atol=1e-9 * np.max(e) ** 2)
    assert sum(pdg_charge(int(block.pdg[i])) for i in fin) == -sign
    assert int(np.sum(block.pdg[fin] == 16 * sign)) == 1  # one ντ (ν̄τ for τ+)


def test_tau_plus_gives_positive_pion():
    rng = np.random.default_rng(4)
    block, _ = tau_block(rng, 10, "pi nu", sign=-1)
    assert set(block.pdg[3:].tolist()) == {211, -16}


# ---- leptonic: Michel spectrum ---------------------------------------------------------------
def lepton_x(mode, sign=+1, polarisation=None, n=200_000, seed=5):
    rng = np.random.default_rng(seed)
    lep = 11 if mode == "e nu nu" else 13
    block, tau = tau_block(rng, n, mode, sign, polarisation)
    p = rest(block, tau, first(block, sign * lep))
    m_l = pdg_mass(lep)
    w = (M_TAU**2 + m_l**2) / (2 * M_TAU)
    cos = np.sum(p[:, :3] * block.p4[:, tau, :3], axis=1) / (
        momentum(p) * momentum(block.p4[:, tau])
    )
    return p[:, 3] / w, cos, m_l / w


def test_michel_moments_electron():
    """dΓ/dx = 2x²(3 − 2x): ⟨x⟩ = 7/10, ⟨x²⟩ = 8/15 (m_e/m_τ corrections ~1e-6)."""
    x, _, _ = lepton_x("e nu nu")
    n = x.size
    assert x.min() >= 0 and x.max() <= 1
    mean_err = np.sqrt(0.5333 - 0.49) / np.sqrt(n)
    assert abs(x.mean() - 0.7) < 4 * mean_err
    assert abs(np.mean(x**2) - 8 / 15) < 4 * np.std(x**2) / np.sqrt(n)


def test_michel_muon_mass_effect():
    """Muon: spectrum √(x² − x0²)(3x − 2x² − x0²) on [x0, 1], mean by quadrature."""
    x, _, x0 = lepton_x("mu nu nu")
    grid = np.linspace(x0, 1.0, 20001)
    dens = np.sqrt(grid**2 - x0**2) * (3 * grid - 2 * grid**2 - x0**2)
    expect = np.trapezoid(grid * dens, grid) / np.trapezoid(dens, grid)
    assert abs(expect - 0.7) > 0.003  # the mass effect is resolvable
    assert x.min() >= x0 - 1e-12
    assert abs(x.mean() - expect) < 4 * x.std() / np.sqrt(x.size)


@pytest.mark.parametrize("sign", [+1, -1])
def test_polarised_michel_asymmetry(sign):
    """P = +1 along the flight direction: ⟨cosθ_ℓ⟩ = −1/9 for τ− (lepton against the spin),
    +1/9 for τ+ (PDG muon-decay formula with ξ = 1, δ = 3/4)."""
    _, cos, _ = lepton_x("e nu nu", sign, polarisation=1.0, n=100_000)
    assert abs(cos.mean() + sign / 9) < 4 * cos.std() / np.sqrt(cos.size)
    _, cos0, _ = lepton_x("e nu nu", sign, polarisation=None, n=100_000)
    assert abs(cos0.mean()) < 4 * cos0.std() / np.sqrt(cos0.size)


# ---- π ν and ρ ν -------------------------------------------------------------------------------
def test_pi_nu_two_body_momentum_and_polarisation():
    rng = np.random.default_rng(6)
    block, tau = tau_block(rng, 100_000, "pi nu", polarisation=1.0)
    p = rest(block, tau, first(block, -211))
    pstar = two_body_momentum(M_TAU, pdg_mass(211), 0.0)
    assert np.allclose(momentum(p), pstar, rtol=1e-9)
    cos = np.sum(p[:, :3] * block.p4[:, tau, :3], axis=1) / (
        momentum(p) * momentum(block.p4[:, tau])
    )
    assert abs(cos.mean() - 1 / 3) < 4 * cos.std() / np.sqrt(cos.size)  # 1 + cosθ


def test_rho_nu_line_shape_chi2():
    """m²(π−π0) follows the CVC ρ spectrum of rho_nu_grid (χ² in 30 bins)."""
    rng = np.random.default_rng(7)
    n = 60_000
    block, _tau = tau_block(rng, n, "rho nu")
    s = mass(block.p4[:, first(block, -211)] + block.p4[:, first(block, 111)]) ** 2
    grid, dens = rho_nu_grid()
    chi2, ndf = density_chi2(s, np.linspace(grid[0], grid[-1], 31), grid, dens)
    assert chi2 < ndf + 5 * np.sqrt(2 * ndf)
    # The ρ record entry carries the π−π0 invariant mass.
    assert np.allclose(mass(block.p4[:, first(block, -213)]) ** 2, s, rtol=1e-9)


def test_rho_decay_angle_helicity_mixture():
    """Unpolarised τ → ρν: dN/dcosψ ∝ m_τ² cos²ψ + s sin²ψ about the ρ direction (τ frame)."""
    rng = np.random.default_rng(8)
    block, _tau = tau_block(rng, 100_000, "rho nu", at_rest=True)
    rho = block.p4[:, first(block, -213)]
    pi_rho = boost(block.p4[:, first(block, -211)], -velocity(rho))
    cpsi = np.sum(pi_rho[:, :3] * rho[:, :3], axis=1) / (momentum(pi_rho) * momentum(rho))
    s = mass(rho) ** 2
    # ⟨cos²ψ⟩ for weight a cos² + b sin²: (a/5 + 2b/15)/(a/3 + 2b/3) per event, averaged.
    a, b = M_TAU**2, s
    expect = np.mean((a / 5 + 2 * b / 15) / (a / 3 + 2 * b / 3))
    c2 = cpsi**2
    assert abs(c2.mean() - expect) < 4 * c2.std() / np.sqrt(c2.size)
    assert abs(expect - 1 / 3) > 0.02  # distinguishable from isotropy


def test_three_pi_masses_within_tau():
    rng = np.random.default_rng(9)
    block, _tau = tau_block(rng, 20_000, "3pi nu")
    pis = np.flatnonzero(np.isin(np.abs(block.pdg), [211]))
    m3 = mass(block.p4[:, pis].sum(axis=1))
    assert pis.size == 3
    assert np.all(m3 < M_TAU) and np.all(m3 > 3 * pdg_mass(211))
    # a1 resonance pulls ⟨m(3π)⟩ well above the phase-space mean.
    assert 1.0 < np.median(m3) < 1.4


@pytest.mark.parametrize("neutral", [False, True])
def test_a1_sampler_follows_the_a1_weight(neutral):
    """(Q², s) of the a1 cascade against the model density itself: the Q² marginal
    ∫ a1_weight(Q², s) ds over the Dalitz-allowed s range (trapezoid on a fine grid), chi²."""
    from alpsim.generator.tau_decays import _sample_a1, _three_pi_masses, a1_weight

    rng = np.random.default_rng(3)
    q2, s = _sample_a1(rng, 200_000, neutral)
    ma, mb, mc, *_ = _three_pi_masses(neutral)
    assert np.all(s < (np.sqrt(q2) - mc) ** 2) and np.all(s > (ma + mb) ** 2)
    edges = np.linspace((ma + mb + mc) ** 2, M_TAU**2, 41)
    qf = np.linspace(edges[0], edges[-1], 4001)
    marginal = []
    for q in qf:
        sg = np.linspace((ma + mb) ** 2, (np.sqrt(q) - mc) ** 2, 801)
        marginal.append(np.trapezoid(a1_weight(np.full_like(sg, q), sg, neutral), sg))
    marginal = np.nan_to_num(np.array(marginal))
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (marginal[1:] + marginal[:-1]) * np.diff(qf))])
    expected = np.diff(np.interp(edges, qf, cdf)) / cdf[-1] * q2.size
    counts, _ = np.histogram(q2, edges)
    ok = expected > 20
    chi2 = np.sum((counts[ok] - expected[ok]) ** 2 / expected[ok])
    assert chi2 / ok.sum() < 1.6, chi2 / ok.sum()


def test_rejection_sample_per_event_densities():
    """Each event keeps its own density: (1 + a cosθ)/2 has mean a/3 for every slope a."""
    from alpsim.generator.tau_decays import rejection_sample

    rng = np.random.default_rng(5)
    a = np.repeat([-0.9, 0.0, 0.6], 100_000)

    def trial(rng, todo, r):
        c = rng.uniform(-1.0, 1.0, (todo.size, r))
        return (c,), rng.random((todo.size, r)) * 2.0 < 1.0 + a[todo, None] * c

    (c,) = rejection_sample(rng, a.size, trial)
    for slope in (-0.9, 0.0, 0.6):
        x = c[a == slope]
        assert abs(x.mean() - slope / 3) < 4 * x.std() / np.sqrt(x.size)
