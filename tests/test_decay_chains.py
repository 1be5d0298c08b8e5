"""Full decay chains from compiled DEC tables (generator/dec_tables.py, decay_chains.py)."""

from __future__ import annotations

import numpy as np
import pytest

from alpsim.generator.dec_tables import b_meson_tables, compile_tables
from alpsim.generator.decay_chains import (
    MAX_PER_EVENT,
    decay_chains,
    mean_multiplicity,
    to_ragged,
)
from alpsim.generator.kinematics import boost, velocity
from alpsim.pdg import mass as pdg_mass
from alpsim.record import DECAYED, FINAL, Block, EventRecord

SMALL_DEC = """
Decay B+
1.0 anti-D*0 pi+ SVS;
Enddecay
Decay anti-D*0
1.0 anti-D0 pi0 VSS;
Enddecay
Decay anti-D0
0.6 K+ pi- pi0 PHSP;
0.4 K0 pi+ pi- PHSP;
Enddecay
Decay K0
0.5 K_S0 PHSP;
0.5 K_L0 PHSP;
Enddecay
Decay K_S0
1.0 pi+ pi- PHSP;
Enddecay
Decay pi0
1.0 gamma gamma PHSP;
Enddecay
End
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("dec") / "small.dec"
    path.write_text(SMALL_DEC)
    return compile_tables(path, ("B+",))


def _roots(tables, pdg, n, p=0.3):
    m = pdg_mass(abs(pdg))
    p4 = np.zeros((n, 4))
    p4[:, 2] = p
    p4[:, 3] = np.hypot(p, m)
    return np.full(n, tables.species(pdg)), p4, np.zeros((n, 4))


def _check_chain(c):
    """Links, status and four-momentum conservation at every decay."""
    n = c.start.size - 1
    assert c.start[-1] == c.event.size
    assert np.all(np.diff(c.event) >= 0)
    local = np.arange(c.event.size) - c.start[c.event]
    assert np.all((c.mother == -1) == (local == 0))
    assert np.all(c.mother < local)
    mother_flat = np.where(c.mother >= 0, c.start[c.event] + c.mother, 0)
    has_kids = np.zeros(c.event.size, dtype=bool)
    has_kids[mother_flat[c.mother >= 0]] = True
    assert np.array_equal(has_kids, c.status == DECAYED)
    assert np.all(c.status[c.status != DECAYED] == FINAL)
    summed = np.zeros((c.event.size, 4))
    np.add.at(summed, mother_flat[c.mother >= 0], c.p4[c.mother >= 0])
    dec = c.status == DECAYED
    # one-body modes (K0 → K_S0) keep the three-momentum only (the masses differ)
    assert np.allclose(summed[dec, :3], c.p4[dec, :3], atol=1e-9)
    assert np.allclose(summed[dec, 3], c.p4[dec, 3], atol=2e-4)
    # daughters are produced where their mother decays; the decay is after its production
    assert np.all(c.vertex[c.mother >= 0, 3] >= c.vertex[mother_flat[c.mother >= 0], 3] - 1e-12)
    # breadth-first: mothers never decrease within an event, so each mother's daughters are
    # contiguous (the HepMC3 writer opens one vertex per run of equal mothers)
    same = c.event[1:] == c.event[:-1]
    assert np.all(np.diff(c.mother)[same] >= 0)
    assert np.diff(c.start).max() < MAX_PER_EVENT  # the kernel's limit was never reached
    assert c.first_mode.size == n


def test_small_table_is_normalised_and_complete(small):
    assert small.decays[small.species(521)]
    assert not small.decays[small.species(211)]
    for s in np.flatnonzero(small.decays):
        a, b = small.mode_start[s], small.mode_stop[s]
        assert small.bf[a:b].sum() == pytest.approx(1.0)


def test_chains_are_consistent(small):
    rng = np.random.default_rng(1)
    c = decay_chains(rng, small, *_roots(small, 521, 20_000))
    _check_chain(c)
    # stable for the detector: nothing but e, mu, gamma, pi, K, K_L, p, n, nu is final state
    assert set(np.abs(c.pdg[c.status == FINAL])) <= {22, 211, 321, 130}
    # BFs: anti-D0 → K+ pi- pi0 in 60 %, K0 → K_S0 in half of the rest
    n = 20_000
    n_kplus = np.sum(c.pdg == 321)
    assert n_kplus / n == pytest.approx(0.6, abs=0.02)
    assert np.sum(c.pdg == 310) / n == pytest.approx(0.2, abs=0.015)
    # K_S0 flies: its decay length follows its PDG c·tau (mean βγcτ)
    ks = np.flatnonzero(c.pdg == 310)
    kids = np.flatnonzero(np.isin(c.start[c.event] + c.mother, ks) & (c.mother >= 0))
    assert kids.size == 2 * ks.size
    assert np.mean(np.linalg.norm(c.vertex[kids, :3] - c.vertex[np.repeat(ks, 2), :3], axis=1)) > 1


def test_vss_helicity_angle_is_cos2(small):
    """B+ → anti-D*0 π+ (SVS) then anti-D*0 → anti-D0 π0 (VSS): dN/dcosθ_hel ∝ cos²θ, so
    <cos²θ> = 3/5 (isotropic: 1/3)."""
    rng = np.random.default_rng(2)
    n = 20_000
    c = decay_chains(rng, small, *_roots(small, 521, n))
    dstar = np.flatnonzero(c.pdg == -423)
    d0 = np.flatnonzero((c.pdg == -421) & (c.mother >= 0))
    assert dstar.size == n and d0.size == n
    b = c.start[c.event[dstar]]
    # helicity angle: D0 direction in the D* frame against the D* direction in the B frame
    d0_in_dstar = boost(c.p4[d0], -velocity(c.p4[dstar]))[:, :3]
    b_in_dstar = boost(c.p4[b], -velocity(c.p4[dstar]))[:, :3]
    cos = -np.sum(d0_in_dstar * b_in_dstar, axis=1)
    cos /= np.linalg.norm(d0_in_dstar, axis=1) * np.linalg.norm(b_in_dstar, axis=1)
    assert np.mean(cos**2) == pytest.approx(0.6, abs=0.01)


def test_to_ragged_makes_a_valid_block(small):
    rng = np.random.default_rng(3)
    n = 500
    sp, p4, vx = _roots(small, 521, n)
    block = Block(
        mode="test",
        pdg=np.array([521], dtype=np.int32),
        status=np.array([DECAYED], dtype=np.int8),
        mother=np.array([-1], dtype=np.int32),
        p4=p4[:, None, :].copy(),
        vertex=vx[:, None, :].copy(),
    )
    c = decay_chains(rng, small, sp, p4, vx)
    block.rest = to_ragged(c, 0, 1)
    r = block.rest
    assert r.counts.tolist() == (np.diff(c.start) - 1).tolist()
    assert np.all(r.pdg[r.mother == 0] != 0)
    flat = EventRecord("x", [block]).flat()
    off = flat["offsets"]
    assert off[-1] == n + r.pdg.size
    # every event: the B, then its chain; mothers point back inside the event
    for e in (0, 7, n - 1):
        pdg = flat["pdg"][off[e] : off[e + 1]]
        mother = flat["mother"][off[e] : off[e + 1]]
        assert pdg[0] == 521 and pdg[1:3].tolist() == [-423, 211]
        assert mother[0] == -1 and np.all(mother[1:] < np.arange(1, pdg.size))
    # a subset of the events keeps each event's chain
    sub = r.take(np.array([5, 2]))
    assert sub.counts.tolist() == [r.counts[5], r.counts[2]]
    np.testing.assert_array_equal(sub.p4[: r.counts[5]], r.p4[r.offsets[5] : r.offsets[6]])


def test_shipped_belle2_table_b_decays():
    """The shipped DECAY_BELLE2.DEC: chains are consistent and the multiplicities sane (the
    published-number comparison is in benchmarks/bench_generic_b.py)."""
    tables = b_meson_tables()
    # the PYTHIA quark modes are hadronised (44 % of B−, 48 % of B̄0 in DECAY_BELLE2.DEC)
    assert 0.95 < tables.kept_fraction[tables.species(511)] <= 1.0
    assert 0.40 < tables.quark_fraction[tables.species(-521)] < 0.50
    assert 0.44 < tables.quark_fraction[tables.species(-511)] < 0.54
    rng = np.random.default_rng(4)
    c = decay_chains(rng, tables, *_roots(tables, -521, 5000))
    _check_chain(c)
    n_ch = mean_multiplicity(c, {11, 13, 211, 321, 2212})
    assert 3.5 < n_ch < 6.5
    assert mean_multiplicity(c, {22}) > 2.0


def test_compile_tables_rejects_unknown_root(tmp_path):
    path = tmp_path / "x.dec"
    path.write_text(SMALL_DEC)
    with pytest.raises(ValueError, match="no usable decay mode"):
        compile_tables(path, ("B0",))


def test_compiled_tables_are_cached_and_a_damaged_entry_recompiles(tmp_path):
    from alpsim.generator.dec_tables import _cache_file

    path = tmp_path / "c.dec"
    path.write_text(SMALL_DEC)
    first = compile_tables(path, ("B+",))
    cache = _cache_file(str(path), ("B+",))
    assert cache.is_file()
    again = compile_tables(path, ("B+",))
    assert again.names == first.names
    np.testing.assert_array_equal(again.cum, first.cum)
    np.testing.assert_array_equal(again.wmax, first.wmax)
    cache.write_bytes(b"not an npz file")
    np.testing.assert_array_equal(compile_tables(path, ("B+",)).daughters, first.daughters)
    path.write_text(SMALL_DEC.replace("0.6 K+ pi- pi0", "0.5 K+ pi- pi0"))
    assert _cache_file(str(path), ("B+",)) != cache  # another file content, another entry


def test_quark_modes_are_hadronised_and_keep_their_bf(tmp_path):
    """The PYTHIA quark mode (one c̄ quark) becomes exclusive hadronic modes that share its BF,
    each with one anti-charm hadron and the B+'s charge; the other modes keep their BFs."""
    from particle import Particle

    path = tmp_path / "q.dec"
    path.write_text(
        "Decay B+\n0.30 anti-D0 pi+ PHSP;\n0.10 anti-D0 e+ nu_e PHSP;\n"
        "0.10 anti-D0 D_s+ PHSP;\n0.50 u anti-d anti-c u PYTHIA 23;\nEnddecay\nEnd\n"
    )
    t = compile_tables(path, ("B+",))
    s = t.species(521)
    modes = np.arange(t.mode_start[s], t.mode_stop[s])
    assert t.bf[modes].sum() == pytest.approx(1.0)
    had = modes[t.hadronised[modes]]
    assert had.size > 10
    assert t.bf[had].sum() == pytest.approx(0.5)
    assert t.quark_fraction[s] == pytest.approx(0.5)
    assert t.kept_fraction[s] == pytest.approx(1.0)
    plain = {t.mode_label(m): t.bf[m] for m in modes[~t.hadronised[modes]]}
    assert plain == pytest.approx({"anti-D0 pi+": 0.3, "anti-D0 e+ nu_e": 0.1, "anti-D0 D_s+": 0.1})
    for m in had:
        ids = t.pdg[t.daughters[m, : t.n_daughters[m]]]
        assert sum(Particle.from_pdgid(int(i)).three_charge for i in ids) == 3
        charm = [i for i in ids if Particle.from_pdgid(int(i)).pdgid.has_charm]
        assert len(charm) == 1 and charm[0] < 0  # one anti-charm meson (c̄ q)
        assert t.mass[t.daughters[m, : t.n_daughters[m]]].sum() < t.mass[s]
    # the chains through them conserve four-momentum and reach only detector-stable particles
    c = decay_chains(np.random.default_rng(5), t, *_roots(t, 521, 5000))
    _check_chain(c)


def test_hadronised_tables_and_chains_are_reproducible(tmp_path):
    """Compiling the same file twice (no cache) gives the same hadronised modes, and the same
    seed the same chains."""
    from alpsim.generator.dec_tables import _compile_tables

    path = tmp_path / "r.dec"
    path.write_text(
        "Decay B+\n0.5 anti-D0 pi+ PHSP;\n0.5 u anti-d anti-c u PYTHIA 23;\nEnddecay\nEnd\n"
    )
    a, b = _compile_tables(str(path), ("B+",)), _compile_tables(str(path), ("B+",))
    for field in ("cum", "daughters", "n_daughters", "wmax", "hadronised", "quark_fraction"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    c1 = decay_chains(np.random.default_rng(9), a, *_roots(a, 521, 2000))
    c2 = decay_chains(np.random.default_rng(9), b, *_roots(b, 521, 2000))
    np.testing.assert_array_equal(c1.p4, c2.p4)
    np.testing.assert_array_equal(c1.species, c2.species)


def test_unhadronisable_quark_modes_are_dropped(tmp_path):
    """A quark mode with a b quark cannot be hadronised: dropped, the rest renormalised."""
    path = tmp_path / "b.dec"
    path.write_text("Decay B+\n0.40 anti-D0 pi+ PHSP;\n0.60 anti-b u PYTHIA 91;\nEnddecay\nEnd\n")
    t = compile_tables(path, ("B+",))
    s = t.species(521)
    assert t.mode_stop[s] - t.mode_start[s] == 1
    assert t.kept_fraction[s] == pytest.approx(0.4)
    assert t.quark_fraction[s] == 0.0
