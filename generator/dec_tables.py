"""EvtGen decay tables compiled into flat numpy arrays, for full decay chains.

The DEC file (default: DECAY_BELLE2.DEC shipped with `decaylanguage`; a card's
`[channel] dec_file` overrides it) is read once with decaylanguage's public `DecFileParser` API
(`parse`, `list_decay_modes`, `build_decay_chains`, `dict_aliases`) and turned into arrays
indexed by a species number:

- per species: PDG id, mass (PDG, `particle`), cτ (PDG, `particle`), whether it decays, and the
  slice [mode_start, mode_stop) of its modes;
- per mode (one-body modes such as K0 → K_S0 hand the parent's momentum on): cumulative
  branching fraction within its parent (renormalised to 1 over the kept modes; offset by the
  species number so that one `searchsorted` draws every parent's mode), number of daughters,
  daughter species (padded with −1), decay model id.

Which particles decay: every particle reached from the roots that has a `Decay` block, except
those that are final state for the detector (`STABLE`: e, μ, ν, γ, π±, K±, K_L, p, n: they
leave the tracker or reach the calorimeter before decaying; their decays in flight are left to
the detector stage). K_S, Λ, Σ, Ξ, π0, η, D, D_s, τ ... decay; the chain places their decay
vertices from their cτ (generator/vertices.py).

Quark modes (quarks, gluons or diquarks in the final state: the part of the table EvtGen
hands to PYTHIA, 44 % of B− and 48 % of B̄0 decays of DECAY_BELLE2.DEC) are hadronised when the
tables are compiled: each is replaced by exclusive hadronic modes sharing its BF, with the
charged multiplicity of e+e− → hadrons at the invariant mass of their light partonic system
(generator/quark_modes.py);
`quark_fraction` per species gives their BF share and `hadronised` per mode flags them. Modes
dropped (then the rest renormalised, `kept_fraction` per species says how much was kept): quark
modes that cannot be hadronised (b quarks), modes without daughters (left to PYTHIA by EvtGen,
e.g. 89 % of Ξc0 decays), modes with particles `particle` does not know, and
those closed at the nominal PDG masses (daughters get their PDG masses; no line shapes).

Models (EvtGen: D. J. Lange, NIM A 462 (2001) 152): `VSS` (vector → two scalars) and `SVS`
(scalar → vector scalar) keep their helicity structure (generator/decay_chains.py); every other
model (semileptonic form factors, Dalitz amplitudes, helicity amplitudes) is generated as flat
phase space.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from particle import Particle

from ..pdg import ctau as pdg_ctau
from ..pdg import mass as pdg_mass
from .nbody_kernel import max_weight
from .quark_modes import MAX_HADRONS, hadronise, is_parton

log = logging.getLogger(__name__)

#: |PDG id| of particles that are final state for the detector (see the module docstring).
STABLE = frozenset({11, 12, 13, 14, 16, 22, 211, 321, 130, 2212, 2112})
#: Decay model ids.
PHSP, VSS, SVS = 0, 1, 2
_MODEL_IDS = {"VSS": VSS, "VSS_BMIX": VSS, "SVS": SVS}
#: Draws (and seed) probing each multi-body mode's largest phase-space weight.
PROBE_TRIALS, PROBE_SEED = 4000, 12345
#: Most daughters of a kept mode (the hadronised quark modes have up to MAX_HADRONS).
MAX_DAUGHTERS = max(10, MAX_HADRONS)


def default_dec_file() -> Path:
    """DECAY_BELLE2.DEC shipped with decaylanguage (the Belle II generic decay table)."""
    import decaylanguage

    return Path(decaylanguage.__file__).parent / "data" / "DECAY_BELLE2.DEC"


@cache
def parsed_dec_file(path: str):
    """The DecFileParser of `path`, parsed (about 1 s of CPU for the full Belle II table)."""
    from decaylanguage import DecFileParser

    parser = DecFileParser(path)
    parser.parse()
    return parser


def _pdg_of(name: str, aliases: dict[str, str]) -> int | None:
    real = aliases.get(name, name)
    try:
        return int(Particle.from_evtgen_name(real).pdgid)
    except Exception:
        return None


@cache
def _mass_of(pdg: int) -> float | None:
    if abs(pdg) in (12, 14, 16):
        return 0.0
    try:
        if Particle.from_pdgid(pdg).mass is None:
            return None
    except Exception:
        return None
    return pdg_mass(abs(pdg))


def _decay_ctau(pdg: int) -> float:
    """PDG cτ (mm) of a particle that decays; 0 where `particle` has no width for it."""
    ct = pdg_ctau(abs(pdg))
    return ct if np.isfinite(ct) else 0.0


def _hadronised_rows(
    fs: list[str], aliases: dict[str, str], m_parent: float, parent: str
) -> list[tuple[float, list[int]]] | None:
    """The exclusive modes replacing a quark mode (generator/quark_modes.py), None if it cannot
    be hadronised (its non-parton daughters unknown, b quarks, ...)."""
    kept = [_pdg_of(x, aliases) for x in fs if not is_parton(x)]
    if any(i is None or _mass_of(i) is None for i in kept):
        return None
    made = hadronise([x for x in fs if is_parton(x)], kept, m_parent, key=parent)
    if made is None:
        return None
    ok = [(w, ids) for w, ids in made if all(_mass_of(i) is not None for i in ids)]
    norm = sum(w for w, _ in ok)
    return [(w / norm, ids) for w, ids in ok] if ok else None


def _drop_undecayable_hadronised(
    per_species: dict[int, list[tuple[float, list[int], int, bool]]],
    kept: dict[int, float],
    quark: dict[int, float],
    no_modes: set[int],
) -> None:
    """Remove hadronised modes with a hadron whose Decay block has no usable mode (e.g. Ω_c0,
    whose decays DECAY_BELLE2.DEC leaves to PYTHIA), so that the hadronisation leaves no such
    particle undecayed; the kept and quark fractions follow. (A hadron without a Decay block
    stays undecayed, as in the file's own modes.)"""
    for s, rows in per_species.items():
        bad = [r for r in rows if r[3] and any(k in no_modes for k in r[1])]
        if not bad:
            continue
        before = sum(r[0] for r in rows)
        rows[:] = [r for r in rows if not any(r is b for b in bad)]
        after = sum(r[0] for r in rows)
        kept[s] *= after / before
        q_bf = quark[s] * before - sum(r[0] for r in bad)
        quark[s] = q_bf / after if after > 0 else 0.0


def _modes(parser, name: str) -> list[dict]:
    """One-level modes of `name`: dicts with bf, fs (names), model (decaylanguage public API)."""
    daughters = {d for mode in parser.list_decay_modes(name) for d in mode}
    if not daughters:
        return []
    return list(parser.build_decay_chains(name, stable_particles=daughters)[name])


@dataclass(frozen=True)
class DecayTables:
    """Flat decay tables of every species reachable from the roots (module docstring)."""

    path: str
    pdg: NDArray[np.int64]  # (S,)
    names: tuple[str, ...]  # (S,) EvtGen names
    mass: NDArray[np.float64]  # (S,) GeV
    vector: NDArray[np.bool_]  # (S,) spin 1 (`particle`'s J)
    ctau: NDArray[np.float64]  # (S,) mm (inf if stable)
    decays: NDArray[np.bool_]  # (S,)
    kept_fraction: NDArray[np.float64]  # (S,) sum of kept BFs / sum of all BFs
    quark_fraction: NDArray[np.float64]  # (S,) BF share of the hadronised quark modes
    mode_start: NDArray[np.int64]  # (S,)
    mode_stop: NDArray[np.int64]  # (S,)
    cum: NDArray[np.float64]  # (M,) species + cumulative BF within the species
    n_daughters: NDArray[np.int64]  # (M,)
    daughters: NDArray[np.int64]  # (M, MAX_DAUGHTERS) species, −1 padded
    model: NDArray[np.int64]  # (M,)
    bf: NDArray[np.float64]  # (M,) normalised BF within the parent
    wmax: NDArray[np.float64]  # (M,) phase-space accept–reject bound (nbody_kernel.max_weight)
    hadronised: NDArray[np.bool_]  # (M,) made from a quark mode (generator/quark_modes.py)

    def species(self, pdg: int) -> int:
        """Species index of a PDG id (KeyError if the table does not hold it)."""
        hit = np.flatnonzero(self.pdg == pdg)
        if hit.size == 0:
            raise KeyError(f"PDG id {pdg} is not in the decay tables of {self.path}")
        return int(hit[0])

    def mode_label(self, mode: int) -> str:
        """Daughter names of a mode, e.g. 'anti-D*0 pi+'."""
        return " ".join(self.names[d] for d in self.daughters[mode, : self.n_daughters[mode]])

    def draw_modes(self, rng: np.random.Generator, species: NDArray[np.int64]) -> NDArray[np.intp]:
        """One mode per parent (its species must decay), drawn with the table's BFs."""
        u = rng.uniform(size=species.size)
        idx = np.searchsorted(self.cum, species + u, side="right")
        # guard the top of each species' range against rounding of the cumulative sum
        return np.minimum(idx, self.mode_stop[species] - 1)


def _cache_file(path: str, roots: tuple[str, ...]) -> Path:
    """Where the compiled tables of (DEC file content, roots) are kept: the user cache folder
    (alpsim/numba_cache.py), keyed by a hash of the file, the roots, the source of this module,
    the phase-space kernel and the quark hadronisation (generator/quark_modes.py) and the
    `particle` version (any change recompiles)."""
    import particle
    import platformdirs

    from . import nbody_kernel, quark_modes

    h = hashlib.sha256()
    h.update(Path(path).read_bytes())
    h.update(repr(roots).encode())
    h.update(Path(__file__).read_bytes())
    h.update(Path(nbody_kernel.__file__).read_bytes())
    h.update(Path(quark_modes.__file__).read_bytes())
    h.update(particle.__version__.encode())
    folder = Path(platformdirs.user_cache_dir("alpsim", appauthor=False)) / "dec_tables"
    return folder / f"{h.hexdigest()[:32]}.npz"


def compile_tables(path: str | Path, roots: tuple[str, ...]) -> DecayTables:
    """The decay tables of `roots` and of everything they decay into (see module doc), from the
    cache if this file was compiled before (`_cache_file`), else compiled and cached.

    Raises ValueError naming the particle if a root has no usable mode in the file.
    """
    path = str(path)
    cache = _cache_file(path, roots)
    if cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as z:
                fields = {k: z[k] for k in z.files}
            fields["names"] = tuple(str(x) for x in fields["names"])
            return DecayTables(path=path, **fields)
        except Exception:  # a damaged cache entry: compile again
            log.debug("decay-table cache %s unreadable; recompiling", cache)
    tables = _compile_tables(path, roots)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        arrays = {k: v for k, v in vars(tables).items() if k != "path"}
        arrays["names"] = np.array(tables.names)
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, cache)
    except OSError as exc:  # a read-only cache folder only costs the compilation next time
        log.debug("decay tables not cached: %s", exc)
    return tables


def _compile_tables(path: str, roots: tuple[str, ...]) -> DecayTables:
    """`compile_tables` without the cache."""
    parser = parsed_dec_file(path)
    aliases = dict(parser.dict_aliases())
    mothers = set(parser.list_decay_mother_names())
    names: list[str] = []
    index: dict[int, int] = {}
    todo: list[tuple[str, int]] = []

    def species_of(name: str) -> int | None:
        pdg = _pdg_of(name, aliases)
        if pdg is None or _mass_of(pdg) is None:
            return None
        if pdg not in index:
            index[pdg] = len(names)
            names.append(aliases.get(name, name))
            todo.append((name, pdg))
        return index[pdg]

    for r in roots:
        if species_of(r) is None:
            raise ValueError(f"{r!r} is not a particle known to `particle`")

    def species_of_pdg(pdg: int) -> int:
        """Species of a hadron made by hadronising a quark mode (`particle`'s EvtGen name)."""
        if pdg in index:
            return index[pdg]
        s = species_of(Particle.from_pdgid(pdg).evtgen_name)
        if s is None:
            raise ValueError(f"hadron {pdg} of a quark mode is unknown to `particle`")
        return s

    per_species: dict[int, list[tuple[float, list[int], int, bool]]] = {}
    kept: dict[int, float] = {}
    quark: dict[int, float] = {}
    no_modes: set[int] = set()  # species with a Decay block of which no mode was usable
    while todo:
        name, pdg = todo.pop(0)
        s = index[pdg]
        if abs(pdg) in STABLE:
            continue
        real = aliases.get(name, name)
        dec_name = name if name in mothers else real
        if dec_name not in mothers:
            continue
        m_parent = _mass_of(pdg)
        total, rows = 0.0, []
        quark_bf = 0.0
        for mode in _modes(parser, dec_name):
            bf, fs = float(mode["bf"]), [str(x) for x in mode["fs"]]
            total += max(bf, 0.0)
            if bf <= 0 or not fs or len(fs) > MAX_DAUGHTERS:  # no daughters: PYTHIA's choice
                continue
            if any(is_parton(x) for x in fs):
                made = _hadronised_rows(fs, aliases, m_parent, dec_name)
                if made is None:
                    log.debug("%s → %s: quark mode not hadronised, dropped", dec_name, fs)
                    continue
                quark_bf += bf
                for w, ids in made:
                    rows.append((bf * w, [species_of_pdg(i) for i in ids], PHSP, True))
                continue
            ids = [_pdg_of(x, aliases) for x in fs]
            if any(i is None or _mass_of(i) is None for i in ids):
                continue
            if len(ids) > 1 and sum(_mass_of(i) for i in ids) >= m_parent:
                continue
            kids = [species_of(x) for x in fs]
            rows.append((bf, kids, _MODEL_IDS.get(str(mode["model"]), PHSP), False))
        if not rows:
            no_modes.add(s)
        else:
            kept_bf = sum(r[0] for r in rows)
            kept[s] = kept_bf / total
            quark[s] = quark_bf / kept_bf
            per_species[s] = rows
    _drop_undecayable_hadronised(per_species, kept, quark, no_modes)
    for r in roots:
        if index[_pdg_of(r, aliases)] not in per_species:
            raise ValueError(f"{r!r} has no usable decay mode in {path}")
    n_s = len(names)
    pdg_arr = np.array(list(index), dtype=np.int64)
    order = np.argsort(list(index.values()))
    pdg_arr = pdg_arr[order]
    mode_start = np.zeros(n_s, dtype=np.int64)
    mode_stop = np.zeros(n_s, dtype=np.int64)
    cum, nd, dau, model, bfs, had = [], [], [], [], [], []
    for s in range(n_s):
        mode_start[s] = len(cum)
        rows = per_species.get(s, [])
        if rows:
            b = np.array([r[0] for r in rows])
            b = b / b.sum()
            c = np.cumsum(b)
            c[-1] = 1.0
            cum.extend(s + c[:-1])
            cum.append(s + 1.0 - 1e-12)
            for (_, kids, mid, from_quarks), bb in zip(rows, b, strict=True):
                nd.append(len(kids))
                dau.append(kids + [-1] * (MAX_DAUGHTERS - len(kids)))
                model.append(mid)
                bfs.append(bb)
                had.append(from_quarks)
        mode_stop[s] = len(cum)
    decays = mode_stop > mode_start
    # a decaying particle whose width `particle` lacks (e.g. D_s*) decays where it is made
    ctau = np.array([_decay_ctau(int(p)) if decays[i] else np.inf for i, p in enumerate(pdg_arr)])
    mass = np.array([_mass_of(int(p)) for p in pdg_arr])
    vector = np.array([Particle.from_pdgid(int(p)).J == 1 for p in pdg_arr], dtype=bool)
    kept_arr = np.array([kept.get(s, 1.0) for s in range(n_s)])
    quark_arr = np.array([quark.get(s, 0.0) for s in range(n_s)])
    n_d = np.array(nd, dtype=np.int64)
    dau_arr = np.array(dau, dtype=np.int64).reshape(-1, MAX_DAUGHTERS)
    parent_of = np.repeat(np.arange(n_s), mode_stop - mode_start)
    wmax = np.zeros(n_d.size)
    probed: dict[tuple, float] = {}  # modes of one parent with the same masses share a bound
    for j in np.flatnonzero(n_d >= 3):
        m = mass[dau_arr[j, : n_d[j]]].astype(float)
        key = (int(parent_of[j]), tuple(m))
        if key not in probed:
            probed[key] = max_weight(
                PROBE_SEED + j, float(mass[parent_of[j]]), m, int(n_d[j]), PROBE_TRIALS
            )
        wmax[j] = probed[key]
    return DecayTables(
        path=path,
        pdg=pdg_arr,
        names=tuple(names),
        mass=mass,
        vector=vector,
        ctau=ctau,
        decays=decays,
        kept_fraction=kept_arr,
        quark_fraction=quark_arr,
        mode_start=mode_start,
        mode_stop=mode_stop,
        cum=np.array(cum),
        n_daughters=n_d,
        daughters=dau_arr,
        model=np.array(model, dtype=np.int64),
        bf=np.array(bfs),
        wmax=wmax,
        hadronised=np.array(had, dtype=bool),
    )


#: EvtGen names of the roots of the other-B tables.
B_ROOTS = ("B+", "B-", "B0", "anti-B0")


def b_meson_tables(path: str | Path | None = None) -> DecayTables:
    """Tables rooted at B+, B−, B0, B̄0 (the other B of Υ(4S) events), compiled once per file."""
    return _b_meson_tables(str(path or default_dec_file()))


@cache
def _b_meson_tables(path: str) -> DecayTables:
    return compile_tables(path, B_ROOTS)


def check_dec_file(path: str | Path) -> DecayTables:
    """The B tables of a user DEC file; ValueError saying what is wrong if the file does not
    exist, does not parse with decaylanguage's DecFileParser, or does not decay the B mesons."""
    path = Path(path)
    if not path.is_file():
        raise ValueError("no such file")
    try:
        parsed_dec_file(str(path))
    except Exception as exc:  # decaylanguage raises its own parser errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ValueError(f"decaylanguage cannot parse it ({type(exc).__name__}: {first})") from None
    return b_meson_tables(path)
