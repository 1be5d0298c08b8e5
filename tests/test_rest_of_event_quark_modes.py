"""Hadronisation of the DEC file's quark (PYTHIA) modes (generator/quark_modes.py): flavour and
charge conservation, multiplicity against the cited e+e− data, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from particle import Particle

from alpsim.generator import quark_modes as qm
from alpsim.pdg import mass as pdg_mass


def _flavour(ids) -> np.ndarray:
    """Net (u, d, s, c) of hadrons from `particle`'s quark strings (mixtures count 0)."""
    out = np.zeros(4, dtype=int)
    for i in ids:
        q = Particle.from_pdgid(int(i)).quarks
        if not q.isalpha():
            continue
        for ch in q:
            out["udsc".index(ch.lower())] += 1 if ch.islower() else -1
    return out


def _charge3(ids) -> int:
    return sum(int(Particle.from_pdgid(int(i)).three_charge) for i in ids)


@pytest.mark.parametrize(
    ("partons", "flavour"),
    [
        (["anti-u", "d", "c", "anti-u"], (-2, 1, 0, 1)),  # B− → b → c ū d, ū spectator
        (["anti-c", "s", "c", "anti-u"], (-1, 0, 1, 0)),  # B− → b → c c̄ s
        (["cd_1", "anti-uu_1"], (-2, 1, 0, 1)),  # B− → charm baryon + anti-baryon
        (["s", "anti-u"], (-1, 0, 1, 0)),  # B− → b → s penguin
    ],
)
def test_hadronised_modes_conserve_flavour_charge_and_baryon_number(partons, flavour):
    """Every drawn mode carries the partons' net u, d, s, c content (popped q q̄ pairs cancel),
    hence their charge and baryon number, and its masses fit in the B."""
    made = qm.hadronise(partons, [], pdg_mass(521), key="test")
    assert made is not None
    assert sum(w for w, _ in made) == pytest.approx(1.0)
    want = np.array(flavour)
    q3 = int(np.array([2, -1, -1, 2]) @ want)
    baryon3 = int(want.sum())
    for _, ids in made:
        np.testing.assert_array_equal(_flavour(ids), want)
        assert _charge3(ids) == q3
        baryons = sum(int(np.sign(i)) for i in ids if Particle.from_pdgid(int(i)).pdgid.is_baryon)
        assert 3 * baryons == baryon3
        assert 2 <= len(ids) <= qm.MAX_HADRONS
        assert sum(Particle.from_pdgid(int(i)).mass for i in ids) / 1000 < pdg_mass(521)


def test_strangeness_is_conserved_exactly():
    """Strange quarks: the partons' net s equals the hadrons' net s (kaon pairs cancel)."""
    for partons, ns in ((["s", "anti-u"], 1), (["anti-c", "s", "c", "anti-u"], 1)):
        made = qm.hadronise(partons, [], pdg_mass(521), key="s")
        assert made is not None
        for _, ids in made:
            assert _flavour(ids)[2] == ns


def test_mean_charged_follows_the_cited_data():
    """⟨n_ch⟩(W) is close to the BES points it was fitted to and reaches ARGUS at 10.47 GeV."""
    for w, n in zip(qm.BES_SQRT_S, qm.BES_NCH, strict=True):
        assert qm.mean_charged(w) == pytest.approx(n, abs=0.2)
    assert qm.mean_charged(qm.ARGUS_SQRT_S) == pytest.approx(qm.ARGUS_NCH)
    w = np.linspace(1.0, 10.0, 50)
    assert np.all(np.diff(qm.mean_charged(w)) > 0)


@pytest.mark.parametrize("w", [2.6, 3.5, 4.8])
def test_light_system_multiplicity_is_the_e_e_multiplicity(w):
    """A flavourless light system (e.g. J/ψ → ggg) of mass W has on average ⟨n_ch⟩(W) charged
    π± and K± (statistical precision ≈ 0.5 %)."""
    rng = np.random.default_rng(1)
    n = [qm.charged_count(qm._light(np.zeros(4, dtype=int), w, rng)) for _ in range(20000)]
    assert np.mean(n) == pytest.approx(qm.mean_charged(w), rel=0.02)


def _pstar(a, b, c):
    """Two-body momentum of a → b c (Källén), zero below threshold."""
    x = (a * a - (b + c) ** 2) * (a * a - (b - c) ** 2)
    return np.sqrt(np.maximum(x, 0.0)) / (2.0 * a)


def test_light_system_mass_stays_within_the_partonic_kinematic_limits():
    """b → c ū d with a ū spectator: W = m(ū d ū) lies between the light constituent masses
    and the parent mass minus the c constituent mass, and is spread below that bound (the
    charm quark carries momentum)."""
    m_b = pdg_mass(521)
    cm = qm.CONSTITUENT_MASS
    w = qm.light_system_masses(["anti-u", "d", "c", "anti-u"], [], m_b, 20000, 7)
    low, high = 2 * cm["u"] + cm["d"], m_b - cm["c"]
    assert np.all(w >= low - 1e-9) and np.all(w <= high + 1e-9)
    assert low < np.mean(w) < high - 0.2
    assert np.quantile(w, 0.99) > high - 0.3 and np.quantile(w, 0.01) < low + 0.6


def test_light_system_mass_follows_three_body_phase_space():
    """J/ψ → γ g g: W = m(g g) has the flat three-body density ∝ p*(M; 0, W) p*(W; m_g, m_g)
    (phase-space recursion dΦ3 = dΦ2(M; γ, W) dW² dΦ2(W; g, g) / 2π with dΦ2 ∝ p*/mass, PDG
    review "Kinematics", multibody decays); its mean from a numerical integral, gluons at
    PYTHIA's constituent mass."""
    m, mg = pdg_mass(443), qm.CONSTITUENT_MASS["g"]
    w = qm.light_system_masses(["g", "g"], [0.0], m, 40000, 3)
    grid = np.linspace(2 * mg, m, 20001)
    dens = _pstar(m, 0.0, grid) * _pstar(grid, mg, mg)
    want = np.sum(grid * dens) / np.sum(dens)
    assert np.mean(w) == pytest.approx(want, abs=0.01)


def test_light_system_mass_in_the_limiting_cases():
    """Two-body diquark mode: W is the light anti-diquark's constituent mass (u + u); no charm:
    W is the parent mass; only charm: W = 0; constituent masses above the parent: None."""
    m_b, cm = pdg_mass(521), qm.CONSTITUENT_MASS
    w = qm.light_system_masses(["cd_1", "anti-uu_1"], [], m_b, 100, 1)
    np.testing.assert_allclose(w, 2 * cm["u"], rtol=1e-9)
    np.testing.assert_allclose(qm.light_system_masses(["s", "anti-u"], [], m_b, 100, 1), m_b)
    np.testing.assert_array_equal(qm.light_system_masses(["c", "anti-c"], [], m_b, 10, 1), 0.0)
    assert qm.light_system_masses(["c", "anti-c"], [], 3.0, 10, 1) is None


def test_hadronisation_is_reproducible():
    a = qm.hadronise(["anti-u", "d", "c", "anti-u"], [], pdg_mass(521), key="B-")
    b = qm.hadronise(["anti-u", "d", "c", "anti-u"], [], pdg_mass(521), key="B-")
    assert a == b


def test_b_quarks_and_kept_particles():
    assert qm.hadronise(["anti-b", "u"], [], pdg_mass(521)) is None
    made = qm.hadronise(["g", "g"], [22], pdg_mass(443), key="J/psi")
    assert made is not None
    for _, ids in made:
        assert ids.count(22) >= 1 and _charge3(ids) == 0


def test_is_parton():
    for name in ("u", "anti-c", "g", "cd_1", "anti-uu_0", "s"):
        assert qm.is_parton(name)
    for name in ("pi+", "K_S0", "D*0", "anti-D0", "gamma", "Xsu", "anti-Lambda_c-"):
        assert not qm.is_parton(name)
