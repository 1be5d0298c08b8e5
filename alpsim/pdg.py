"""PDG data from the `particle` package, converted to alpsim units (GeV, mm, ns).

`particle` stores masses and widths in MeV and lifetimes in ns (hepunits base units);
every PDG number alpsim uses comes through here, never typed by hand.
"""

from __future__ import annotations

from functools import cache

import hepunits as u
from particle import Particle

#: PDG id of the ALP, as in the MadGraph ALP models and Pythia set-ups (not known to `particle`).
ALP_PDG_ID = 9000005

#: Speed of light in mm/ns (hepunits), used to turn decay lengths into times.
C_MM_PER_NS = u.c_light / (u.mm / u.ns)

#: ħc in GeV·mm, used for cτ = ħc/Γ.
HBARC_GEV_MM = u.hbarc / (u.GeV * u.mm)


@cache
def _particle(pdgid: int) -> Particle:
    return Particle.from_pdgid(pdgid)


@cache
def mass(pdgid: int) -> float:
    """PDG mass in GeV."""
    return _particle(pdgid).mass * u.MeV / u.GeV


@cache
def width(pdgid: int) -> float:
    """PDG total width in GeV (0 for stable particles)."""
    w = _particle(pdgid).width
    return 0.0 if w is None else w * u.MeV / u.GeV


@cache
def ctau(pdgid: int) -> float:
    """PDG cτ in mm; infinity for particles `particle` calls stable (e, p, γ)."""
    p = _particle(pdgid)
    if p.width is None or p.width == 0:
        return float("inf")
    return p.ctau * u.mm / u.mm


@cache
def charge(pdgid: int) -> float:
    """Electric charge in units of e (the ALP is neutral)."""
    if abs(pdgid) == ALP_PDG_ID:
        return 0.0
    return float(_particle(pdgid).charge)


@cache
def name(pdgid: int) -> str:
    """Readable name, e.g. 'K+' (the ALP is 'a')."""
    if abs(pdgid) == ALP_PDG_ID:
        return "a"
    return _particle(pdgid).name
