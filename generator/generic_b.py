"""Branching fractions of single channels from the EvtGen decay table DECAY_BELLE2.DEC.

Source of the branching fractions of generated decays that `particle` lacks: the EvtGen decay
file DECAY_BELLE2.DEC bundled with `decaylanguage` (read with its DecFileParser), cited as
"EvtGen DECAY_BELLE2.DEC". The generic decays of the other B (full chains) are in
generator/dec_tables.py and generator/decay_chains.py; yields are normalised with PDG values
(generator/channels/normalisation.py), not with this table.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from particle import Particle

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
