"""Hadronisation of the quark final states of a DEC file (EvtGen's PYTHIA modes) into exclusive
hadronic modes, once, when the decay tables are compiled (generator/dec_tables.py).

EvtGen hands 48 % of B̄0 and 44 % of B− decays of DECAY_BELLE2.DEC (and the ggg, γgg modes of
J/ψ and ψ(2S)) to PYTHIA as quarks, gluons and diquarks (e.g. `anti-u d c anti-u`, `cd_1
anti-uu_1`, `g g g`). alpsim has no string fragmentation; each such mode is replaced by a set
of exclusive hadronic modes drawn here with a fixed seed, sharing the quark mode's BF, so the
per-event kernel (generator/decay_chains.py) stays a table lookup plus phase space:

1. Flavour: the partons' net quark content (diquark `cd_1` = c + d; gluons none) fixes the net
   charge, strangeness, charm and baryon number of the hadrons; listed non-partons (the γ of
   `gamma g g`) are kept.
2. Heavy hadrons: each c (c̄) quark becomes a charm hadron with a light antiquark (quark) popped
   from the vacuum, u : d : s = 1 : 1 : λ_s, as the first-rank hadron of a Lund string (B.
   Andersson, G. Gustafson, G. Ingelman, T. Sjöstrand, Phys. Rep. 97 (1983) 31): a meson, a
   vector with probability V/(V+P); a charm baryon (lightest J = 1/2 state of the three quarks)
   if the c is in a diquark. The popped partner joins the light system.
3. Light system (the rest of the quark content): (anti)nucleons p/n for its baryon number, K
   for its strangeness, then π± whose number has the mean charged multiplicity ⟨n_ch⟩(W) of
   e+e− → hadrons at √s = W (below), |Q| + 2k charged pions with k Poisson; π0 Poisson with
   half the mean of the charged pions (isospin: π+ : π− : π0 = 1 : 1 : 1); each extra π+π− pair
   (π0) is a K+K− (K0 K̄0) pair with probability λ_s/(2 + λ_s), the chance that a popped pair
   is s s̄. W is the invariant mass of the light partonic system (the partons without a c quark;
   the popped partners of step 2 carry flavour, no momentum) in the partonic phase space of the
   quark mode: the partons at PYTHIA 8's constituent masses and the kept particles at their
   PDG masses, flat in phase space in the parent frame (`light_system_masses`, one W per draw).
   Flat phase space is what PYTHIA 8 itself uses for these modes (DECAY_BELLE2.DEC's `PYTHIA
   23`, `43`, `63`: `meMode` 23 "for hadronic decays simple phase space", 42–50 and 62–70
   "distribute them in pure phase space"; PYTHIA 8 manual, "Particle Decays", T. Sjöstrand et
   al., Comput. Phys. Commun. 191 (2015) 159), there for hadrons; the charm quarks then
   carry momentum away, so W is spread between the sum of the light constituent masses and the
   bound M − Σ m(c partons) − Σ m(kept) (the earlier model took W = M − Σ m(charm hadrons) −
   Σ m(kept), the charm hadrons at rest: that bound, which pushed the multiplicity up).
   Constituent masses (GeV): d, u 0.325, s 0.50, c 1.60, g 0.7, a diquark the sum of its
   quarks (PYTHIA 8.2, src/ParticleData.cc: ParticleDataEntry::CONSTITUENTMASSTABLE and
   setConstituentMass; T. Sjöstrand et al., Comput. Phys. Commun. 191 (2015) 159; the masses
   PYTHIA's ParticleDecays::pickHadrons subtracts for these modes).
   If the constituent masses do not fit in the parent (not the case in DECAY_BELLE2.DEC), W
   falls back to that bound with the charm hadrons at rest.
4. Kinematics: flat phase space of all hadrons in the parent frame (GENBOD, as for the other
   multi-body modes; colour-singlet substructure and the matrix element are not modelled).
   Draws with fewer than 2 or more than MAX_HADRONS hadrons, or above the parent mass, are
   drawn again with the same W (this truncation shifts the mean from ⟨n_ch⟩(W) at small W).

⟨n_ch⟩(W): measured charged multiplicity of e+e− → hadrons. BES (J. Z. Bai et al.,
"Measurement of inclusive momentum spectra and multiplicity distributions of charged particles
at √s ∼ 2–5 GeV", arXiv:hep-ex/0306055), at √s = 2.2, 2.6, 3.0, 3.2, 4.6, 4.8 GeV:
the integrals Σ (1/N dN/dξ) Δξ of its ξ = −ln(2p/√s) spectra of charged particles, HEPData
record ins622224 tables 1–6 (doi:10.17182/hepdata.22183.v1; bin widths from its ξ bin edges,
the first bin ξ = 0–0.45); the spectra stop at p ≈ 0.09 GeV (and miss ξ = 3.0–3.2 at 4.6 and
4.8 GeV), so these are a few per cent low. Between the BES points a straight line in ln W
fitted to them (`numpy.polyfit`, extrapolated below 2.2 GeV, floored at 0); from 4.8 GeV to
ARGUS's continuum
point, 8.35 at √s = 10.47 GeV (H. Albrecht et al., Z. Phys. C 54 (1992) 13, abstract), linear in
ln W. The counted light charged hadrons are π±, K±, p (the charged pions of K0 → K_S → π+π− are
not counted against ⟨n_ch⟩, a ≲ 0.1 excess).

String parameters (PYTHIA 8.3 manual, "Flavour Selection", defaults of the Monash 2013 tune,
P. Skands, S. Carrazza, J. Rojo, Eur. Phys. J. C 74 (2014) 3024): λ_s = StringFlav:probStoUD =
0.217; V/P of charm mesons StringFlav:mesonCvector = 0.88. Hadron identities and masses come from
`particle` (lightest hadron of a given quark content and spin).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from functools import cache

import numpy as np
from particle import Particle

from .nbody_kernel import nbody

log = logging.getLogger(__name__)

#: Quark letters and their index in a flavour vector (u, d, s, c).
_Q = {"u": 0, "d": 1, "s": 2, "c": 3}
_CHARGE3 = np.array([2, -1, -1, 2])  # 3 × electric charge of u, d, s, c
#: PYTHIA 8 StringFlav:probStoUD (Monash 2013): s s̄ against u ū or d d̄ popping.
LAMBDA_S = 0.217
#: PYTHIA 8 StringFlav:mesonCvector (Monash 2013): vector / pseudoscalar charm mesons.
CHARM_V_OVER_P = 0.88
#: Probability that a popped pair is s s̄ (u : d : s = 1 : 1 : λ_s).
P_SS = LAMBDA_S / (2.0 + LAMBDA_S)
#: BES ⟨n_ch⟩ of e+e− → hadrons (module doc: Σ of the ξ spectra of HEPData ins622224 t1–t6).
BES_SQRT_S = (2.2, 2.6, 3.0, 3.2, 4.6, 4.8)
BES_NCH = (2.71, 3.10, 3.50, 3.53, 4.50, 4.62)
#: ARGUS continuum ⟨n_ch⟩ at √s = 10.47 GeV (Z. Phys. C 54 (1992) 13).
ARGUS_SQRT_S, ARGUS_NCH = 10.47, 8.35
#: PYTHIA 8.2 constituent masses in GeV (module doc, step 3): d, u, s, c quarks and the gluon.
CONSTITUENT_MASS = {"u": 0.325, "d": 0.325, "s": 0.50, "c": 1.60, "g": 0.7}
#: Draws per quark mode (identical draws merge into one mode) and most hadrons per draw.
N_DRAWS = 256
MAX_HADRONS = 12
_PARTON_NAMES = {"g", *_Q, *(f"anti-{q}" for q in _Q), "b", "anti-b"}
_BES_FIT = np.polyfit(np.log(BES_SQRT_S), BES_NCH, 1)


def mean_charged(w: float | np.ndarray) -> float | np.ndarray:
    """⟨n_ch⟩ of e+e− → hadrons at √s = w GeV (module doc: BES line, then towards ARGUS)."""
    lw = np.log(np.maximum(w, 1e-3))
    line = np.polyval(_BES_FIT, lw)
    top = np.polyval(_BES_FIT, np.log(BES_SQRT_S[-1]))
    frac = (lw - np.log(BES_SQRT_S[-1])) / (np.log(ARGUS_SQRT_S) - np.log(BES_SQRT_S[-1]))
    high = top + np.clip(frac, 0.0, None) * (ARGUS_NCH - top)
    out = np.where(lw > np.log(BES_SQRT_S[-1]), high, np.maximum(line, 0.0))
    return float(out) if np.ndim(out) == 0 else out


def is_parton(name: str) -> bool:
    """A quark, gluon or diquark name of EvtGen (`u`, `anti-c`, `g`, `cd_1`, `anti-uu_0`)."""
    if name in _PARTON_NAMES:
        return True
    base = name.removeprefix("anti-")
    return len(base) == 4 and base[2] == "_" and base[3] in "01" and set(base[:2]) <= set("udscb")


def _content(name: str) -> np.ndarray | None:
    """Net flavour vector (u, d, s, c) of a parton name; None for b quarks."""
    anti = name.startswith("anti-")
    letters = _letters(name)
    if "b" in letters:
        return None
    v = np.zeros(4, dtype=int)
    for q in letters:
        v[_Q[q]] += 1
    return -v if anti else v


def _flavour(quarks: str) -> tuple[int, ...] | None:
    """Net (u, d, s, c, b) of `particle`'s quark string ('cU', 'udc'); zeros for mixtures."""
    if not quarks:
        return None
    if not quarks.isalpha():  # a flavourless mixture such as '(uU-dD)/sqrt(2)'
        return (0, 0, 0, 0, 0) if "(" in quarks else None
    v = [0, 0, 0, 0, 0]
    for ch in quarks:
        i = "udscb".find(ch.lower())
        if i < 0:
            return None
        v[i] += 1 if ch.islower() else -1
    return tuple(v)


def _letters(name: str) -> str:
    """Quark letters of a parton name ('' for a gluon): `anti-cd_1` → 'cd', `s` → 's'."""
    base = name.removeprefix("anti-")
    return "" if base == "g" else base[:2] if "_" in base else base


def constituent_mass(name: str) -> float:
    """PYTHIA 8.2 constituent mass (GeV) of a parton name: a quark's, a diquark's the sum of its
    quarks', the gluon's (module doc, step 3)."""
    letters = _letters(name)
    return CONSTITUENT_MASS["g"] if not letters else sum(CONSTITUENT_MASS[q] for q in letters)


def _is_charm(name: str) -> bool:
    return "c" in _letters(name)


def light_system_masses(
    partons: list[str], kept_masses: list[float], parent_mass: float, n: int, seed: int
) -> np.ndarray | None:
    """Invariant masses (n,) of the light partonic system (the partons without a c quark) in n
    draws of flat phase space of the partons (constituent masses) and the kept particles
    (`kept_masses`) in the parent frame (module doc, step 3); zeros if every parton is charmed;
    None if the constituent masses do not fit in the parent."""
    masses = [constituent_mass(x) for x in partons] + list(kept_masses)
    if sum(masses) >= parent_mass or len(masses) < 2:
        return None
    light = np.array([not _is_charm(x) for x in partons] + [False] * len(kept_masses))
    if not light.any():
        return np.zeros(n)
    parent = np.zeros((n, 4))
    parent[:, 3] = parent_mass
    m = np.tile(np.array(masses), (n, 1))
    p4 = nbody(seed, parent, m, np.full(n, len(masses)), np.zeros(n))
    s = p4[:, light].sum(axis=1)
    return np.sqrt(np.maximum(s[:, 3] ** 2 - np.sum(s[:, :3] ** 2, axis=1), 0.0))


@cache
def _hadron_index() -> dict[tuple, int]:
    """Lightest meson (J = 0 or 1) and baryon (J = 1/2) of `particle` per (flavour, J)."""
    best: dict[tuple, tuple[float, int]] = {}
    for p in Particle.all():
        pid = p.pdgid
        if p.mass is None or not (pid.is_meson or pid.is_baryon) or abs(int(pid)) in (130, 310):
            continue
        j = float(p.J) if p.J is not None else -1.0
        if (pid.is_meson and j not in (0.0, 1.0)) or (pid.is_baryon and j != 0.5):
            continue
        fl = _flavour(p.quarks)
        if fl is None:
            continue
        key = (fl, j)
        if key not in best or p.mass < best[key][0]:
            best[key] = (p.mass, int(pid))
    return {k: v[1] for k, v in best.items()}


def hadron(flavour: np.ndarray, spin: float) -> int:
    """PDG id of the lightest hadron of net quark content (u, d, s, c) and spin (KeyError if
    `particle` has none)."""
    key = ((*(int(x) for x in flavour), 0), float(spin))
    return _hadron_index()[key]


@cache
def _info(pdg: int) -> tuple[float, int]:
    """(mass in GeV, 3 × charge) from `particle`."""
    p = Particle.from_pdgid(pdg)
    return p.mass / 1000.0, int(p.three_charge)


def _pop(rng: np.random.Generator) -> int:
    """A light quark flavour popped from the vacuum, u : d : s = 1 : 1 : λ_s."""
    return int(rng.choice(3, p=np.array([1.0, 1.0, LAMBDA_S]) / (2.0 + LAMBDA_S)))


def _heavy(partons: list[str], rng: np.random.Generator) -> tuple[list[int], np.ndarray]:
    """Charm hadrons of the charm quarks (module doc, step 2) and the flavour they leave to the
    light system (u, d, s, c = 0)."""
    ids: list[int] = []
    rest = sum((_content(n) for n in partons), np.zeros(4, dtype=int))
    for name in partons:
        v = _content(name)
        for sign in (1, -1):
            for _ in range(max(int(sign * v[3]), 0)):
                f = np.zeros(4, dtype=int)
                f[3] = sign
                q = _pop(rng)
                base = name.removeprefix("anti-")
                if "_" in base:  # c in a diquark: baryon c + partner + popped quark
                    partner = base[1] if base[0] == "c" else base[0]
                    f[_Q[partner]] += sign
                    f[q] += sign
                    ids.append(hadron(f, 0.5))
                else:  # meson c + popped antiquark
                    f[q] -= sign
                    vec = rng.random() < CHARM_V_OVER_P / (1.0 + CHARM_V_OVER_P)
                    ids.append(hadron(f, 1.0 if vec else 0.0))
                rest = rest - f
    return ids, rest


def _light(rest: np.ndarray, w: float, rng: np.random.Generator) -> list[int]:
    """Light hadrons of net flavour `rest` (u, d, s) with the multiplicity of e+e− → hadrons
    at √s = w (module doc, step 3)."""
    ids: list[int] = []
    baryon = int(rest[:3].sum())
    if baryon % 3:
        raise ValueError(f"light flavour {rest} is not a whole baryon number")
    ns = int(rest[2])
    for _ in range(abs(baryon) // 3):  # nucleons; their u/d leave the flavour to the mesons
        sign = 1 if baryon > 0 else -1
        f = np.array([2, 1, 0, 0]) if rng.random() < 0.5 else np.array([1, 2, 0, 0])
        if ns * sign > 0:  # a strange quark of the baryon goes into a Λ-like baryon
            f = np.array([1, 1, 1, 0])
            ns -= sign
        ids.append(hadron(sign * f, 0.5))
    for _ in range(abs(ns)):  # kaons carry the net strangeness: s → K− or K̄0
        sign = 1 if ns > 0 else -1
        f = np.zeros(4, dtype=int)
        f[2] = sign
        f[0 if rng.random() < 0.5 else 1] = -sign
        ids.append(hadron(f, 0.0))
    charge3 = int(_CHARGE3[:3] @ rest[:3]) - sum(_info(i)[1] for i in ids)
    q = charge3 // 3
    fixed = sum(_info(i)[1] != 0 for i in ids)
    lam = max(mean_charged(w) - fixed - abs(q), 0.0) / 2.0
    k = int(rng.poisson(lam))
    pi_plus, pi_minus = hadron(np.array([1, -1, 0, 0]), 0.0), hadron(np.array([-1, 1, 0, 0]), 0.0)
    ids += [pi_plus if q > 0 else pi_minus] * abs(q)
    for _ in range(k):
        if rng.random() < P_SS:
            ids += [hadron(np.array([1, 0, -1, 0]), 0.0), hadron(np.array([-1, 0, 1, 0]), 0.0)]
        else:
            ids += [pi_plus, pi_minus]
    n0 = int(rng.poisson((abs(q) + 2 * k) / 2.0))
    for _ in range(n0):
        if rng.random() < P_SS:
            ids += [hadron(np.array([0, 1, -1, 0]), 0.0), hadron(np.array([0, -1, 1, 0]), 0.0)]
        else:
            ids.append(hadron(np.zeros(4, dtype=int), 0.0))
    return ids


def _bound(parent_mass: float, m_kept: list[float], heavy: list[int]) -> float:
    """Upper bound of the light-system mass, the charm hadrons and kept particles at rest: the
    fallback when the partons' constituent masses do not fit (module doc, step 3)."""
    return parent_mass - sum(m_kept) - sum(_info(i)[0] for i in heavy)


def hadronise(
    partons: list[str], kept: list[int], parent_mass: float, key: str = ""
) -> list[tuple[float, list[int]]] | None:
    """Exclusive hadronic modes (weight, PDG ids) replacing one quark mode whose partons are
    `partons` (EvtGen names) and whose other daughters have PDG ids `kept` (module doc); the
    weights sum to 1. None if the mode cannot be hadronised (b quarks, unknown hadrons, or no
    draw below the parent mass). `key` seeds the draws (same mode, same modes)."""
    if any(_content(n) is None for n in partons):
        return None
    seed = int.from_bytes(hashlib.sha256(f"{key}|{partons}|{kept}".encode()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    m_kept = [_info(i)[0] for i in kept]
    w_light = light_system_masses(partons, m_kept, parent_mass, N_DRAWS, int(rng.integers(2**31)))
    draws: Counter[tuple[int, ...]] = Counter()
    try:
        for d in range(N_DRAWS):
            for _attempt in range(200):
                heavy, rest = _heavy(partons, rng)
                w = _bound(parent_mass, m_kept, heavy) if w_light is None else w_light[d]
                ids = kept + heavy + _light(rest, w, rng)
                n_ok = 2 <= len(ids) <= MAX_HADRONS
                if n_ok and sum(_info(i)[0] for i in ids) < parent_mass:
                    draws[tuple(sorted(ids))] += 1
                    break
            else:
                return None
    except (KeyError, ValueError) as exc:
        log.debug("quark mode %s not hadronised: %s", partons, exc)
        return None
    return [(c / N_DRAWS, list(ids)) for ids, c in sorted(draws.items())]


def charged_count(ids: list[int]) -> int:
    """Number of charged hadrons among PDG ids (`particle` charges)."""
    return sum(_info(i)[1] != 0 for i in ids)
