"""Generic decays of the other B, and branching fractions from the EvtGen decay table.

Source of branching fractions that `particle` lacks: the EvtGen decay file DECAY_BELLE2.DEC
bundled with `decaylanguage` (read with its DecFileParser), cited as "EvtGen DECAY_BELLE2.DEC".

Recipe for the other B of an Υ(4S) event (`other_b = "generic"`):
1. its decay channel is drawn per event from the DEC table with the table's branching fractions;
   channels with quarks or gluons in the final state (the inclusive PYTHIA-fragmented part of the
   table) and channels whose daughters `particle` does not know or whose masses do not fit are
   dropped and the rest renormalised (`GenericDecays.kept_fraction` says how much was kept);
2. the daughters get flat n-body phase space in the B rest frame (GENBOD: James, CERN 68-15;
   the algorithm of ROOT's TGenPhaseSpace), unweighted by accept–reject, at their PDG masses;
3. the daughters are not decayed further (D mesons, resonances and π0 stay final state), which
   keeps one block per (signal mode, other-B channel) and the first-level multiplicity right.
B0–B̄0 mixing is ignored: the other B decays as the flavour it was produced with.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from particle import Particle

from ..pdg import mass as pdg_mass
from .kinematics import boost, directions, four_vector, two_body_momentum, velocity

#: The EvtGen decay table used for branching fractions and generic decays.
DEC_FILE_NAME = "DECAY_BELLE2.DEC"
#: Final-state names of the partonic (PYTHIA-fragmented) part of the table.
NEUTRINOS = {12, 14, 16}
_PARTONS = {"u", "d", "s", "c", "b", "anti-u", "anti-d", "anti-s", "anti-c", "anti-b", "g"}


def dec_file_path() -> Path:
    """Path of the EvtGen decay file bundled with decaylanguage."""
    import decaylanguage

    return Path(decaylanguage.__file__).parent / "data" / DEC_FILE_NAME


@cache
def _parser():
    from decaylanguage import DecFileParser

    parser = DecFileParser(str(dec_file_path()))
    parser.parse()
    return parser


@cache
def _dec_text() -> str:
    return dec_file_path().read_text()


def _block_parser(parent: str):
    """A parser of `parent`'s own `Decay ... Enddecay` block only (parsing the whole 10k-line
    table takes seconds; one block takes milliseconds); the full parser if it has none (e.g. a
    particle defined by CDecay)."""
    from decaylanguage import DecFileParser

    block = re.search(rf"^Decay\s+{re.escape(parent)}\s*$.*?^Enddecay", _dec_text(), re.S | re.M)
    if block is None:
        return _parser()
    parser = DecFileParser.from_string(block.group(0) + "\nEnd\n")
    parser.parse()
    return parser


@cache
def decay_modes(parent: str) -> tuple[tuple[float, tuple[str, ...]], ...]:
    """(branching fraction, daughter names) of every channel of `parent` (EvtGen names)."""
    p = _block_parser(parent)
    # public API (decaylanguage DecFileParser): the daughters are kept stable, so each mode is
    # one level deep whether `p` holds only this block or the whole table
    daughters = {d for mode in p.list_decay_modes(parent) for d in mode}
    chains = p.build_decay_chains(parent, stable_particles=daughters)[parent]
    return tuple((float(m["bf"]), tuple(str(x) for x in m["fs"])) for m in chains)


def dec_branching_fraction(parent: str, daughters: list[str] | tuple[str, ...]) -> float:
    """BF(parent → daughters) from EvtGen DECAY_BELLE2.DEC (order of daughters ignored; 0 if
    the channel is absent). Names are EvtGen's, e.g. "J/psi", "eta'", "K_S0"."""
    want = sorted(daughters)
    return float(sum(bf for bf, fs in decay_modes(parent) if sorted(fs) == want))


@cache
def evtgen_pdg(name: str) -> int | None:
    """PDG id of an EvtGen particle name, None if `particle` does not know it."""
    try:
        return int(Particle.from_evtgen_name(name).pdgid)
    except Exception:
        return None


@dataclass(frozen=True)
class Channel:
    """One decay channel of the table: names, PDG ids, masses (GeV) and branching fraction."""

    names: tuple[str, ...]
    pdg: tuple[int, ...]
    masses: tuple[float, ...]
    bf: float

    @property
    def label(self) -> str:
        return " ".join(self.names)


@dataclass
class GenericDecays:
    """The usable channels of one B species and their normalised probabilities."""

    parent: str
    channels: list[Channel]
    probabilities: NDArray[np.float64] = field(repr=False)
    kept_fraction: float

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.intp]:
        """Channel index per event, drawn with the table's branching fractions."""
        return rng.choice(len(self.channels), size=n, p=self.probabilities)


@cache
def generic_decays(parent_pdg: int) -> GenericDecays:
    """Usable channels of the B with PDG id `parent_pdg` (see the module recipe)."""
    name = Particle.from_pdgid(parent_pdg).evtgen_name
    m_parent = pdg_mass(abs(parent_pdg))
    channels = []
    for bf, fs in decay_modes(name):
        if bf <= 0 or any(x in _PARTONS for x in fs):
            continue
        ids = [evtgen_pdg(x) for x in fs]
        if any(i is None for i in ids) or len(ids) < 2:
            continue
        masses = tuple(_mass_or_none(int(i)) for i in ids)
        if any(mm is None for mm in masses):
            continue
        if sum(masses) >= m_parent:
            continue
        channels.append(Channel(tuple(fs), tuple(int(i) for i in ids), masses, bf))
    total = sum(bf for bf, _ in decay_modes(name))
    kept = sum(c.bf for c in channels)
    probs = np.array([c.bf for c in channels]) / kept
    return GenericDecays(name, channels, probs, kept / total)


def _mass_or_none(pdg: int) -> float | None:
    """PDG mass in GeV; 0 for neutrinos; None for objects without a mass (diquarks)."""
    if abs(pdg) in NEUTRINOS:
        return 0.0
    if Particle.from_pdgid(pdg).mass is None:
        return None
    return pdg_mass(abs(pdg))


def _pdk(a: NDArray, b: NDArray, c: float | NDArray) -> NDArray:
    """Two-body momentum for parent mass a and daughter masses b, c (0 where closed)."""
    p = two_body_momentum(a, b, c)
    return np.nan_to_num(p, nan=0.0)


def phase_space(
    rng: np.random.Generator, parent: NDArray[np.float64], masses: tuple[float, ...]
) -> NDArray[np.float64]:
    """Flat n-body phase space: daughter four-momenta (N, n, 4) in the lab for parents (N, 4).

    GENBOD (F. James, CERN 68-15 (1968); ROOT TGenPhaseSpace): intermediate invariant masses
    from sorted uniforms, weight Π p*_i, unweighted by accept–reject against the bound
    Π p*(M_max,i) of TGenPhaseSpace, then a chain of isotropic two-body decays.
    """
    n_ev, n_body = parent.shape[0], len(masses)
    m = np.asarray(masses, dtype=float)
    big_m = np.sqrt(np.maximum(parent[:, 3] ** 2 - np.sum(parent[:, :3] ** 2, axis=1), 0.0))
    t_kin = big_m - m.sum()
    if np.any(t_kin <= 0):
        raise ValueError(f"phase space closed for masses {masses}")
    # weight bound per event (TGenPhaseSpace::SetDecay)
    emmax, emmin, wtmax = t_kin + m[0], 0.0, np.ones(n_ev)
    for i in range(1, n_body):
        emmin += m[i - 1]
        emmax = emmax + m[i]
        wtmax *= _pdk(emmax, np.full(n_ev, emmin), m[i])
    inv = np.empty((n_ev, n_body))
    pd = np.empty((n_ev, n_body))
    todo = np.arange(n_ev)
    tries = 1  # trials per pending event, raised to ~2/acceptance so few passes are needed
    for _ in range(10_000):
        idx = np.repeat(todo, tries)
        k = idx.size
        r = np.sort(rng.uniform(size=(k, n_body - 2)), axis=1)
        rr = np.concatenate([np.zeros((k, 1)), r, np.ones((k, 1))], axis=1)
        trial = rr * t_kin[idx, None] + np.cumsum(m)[None, :]
        w = np.ones(k)
        p_trial = np.zeros((k, n_body))
        for i in range(1, n_body):
            p_trial[:, i] = _pdk(trial[:, i], trial[:, i - 1], m[i])
            w *= p_trial[:, i]
        ok = (rng.uniform(size=k) * wtmax[idx] < w).reshape(todo.size, tries)
        hit = ok.any(axis=1)
        first = np.flatnonzero(hit) * tries + ok[hit].argmax(axis=1)
        inv[todo[hit]] = trial[first]  # the first accepted trial of each event: the same
        pd[todo[hit]] = p_trial[first]  # distribution as one-at-a-time accept-reject
        acceptance = max(ok.mean(), 1e-3)
        todo = todo[~hit]
        if todo.size == 0:
            break
        tries = int(min(max(2.0 / acceptance, 1.0), 1000.0))
    else:  # pragma: no cover
        raise RuntimeError("phase-space unweighting did not converge")
    out = np.zeros((n_ev, n_body, 4))
    d = directions(rng.uniform(-1, 1, n_ev), rng.uniform(0, 2 * math.pi, n_ev))
    out[:, 0] = four_vector(pd[:, 1, None] * d, m[0])
    out[:, 1] = four_vector(-pd[:, 1, None] * d, m[1])
    for i in range(2, n_body):
        d = directions(rng.uniform(-1, 1, n_ev), rng.uniform(0, 2 * math.pi, n_ev))
        p_sys = pd[:, i, None] * d
        e_sys = np.sqrt(pd[:, i] ** 2 + inv[:, i - 1] ** 2)
        beta = p_sys / e_sys[:, None]
        out[:, :i] = boost(out[:, :i], beta[:, None, :])
        out[:, i] = four_vector(-p_sys, m[i])
    return boost(out, velocity(parent)[:, None, :])
