"""The detector chain: each stage is a function of arrays, applied block by block.

Stages (DESIGN.md): acceptance and tracking for charged particles, calorimeter for photons,
then analysis variables of the truth-matched signal candidate. The result is columnar:
per-particle reconstructed four-momenta aligned with the truth template, and per-event
variables concatenated over the blocks of a chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..pdg import ALP_PDG_ID
from ..pdg import charge as pdg_charge
from ..pdg import mass as pdg_mass
from ..record import FINAL, Block, EventRecord
from .calorimeter import reconstruct_photons
from .config import DetectorSettings
from .tracking import reconstruct_tracks
from .variables import beam_constrained_mass, invariant_mass

PHOTON = 22
NEUTRINOS = {12, 14, 16}


@dataclass
class RecoBlock:
    """Detector response for one block: reco four-momenta (N, P, 4), NaN where not seen."""

    p4: NDArray[np.float64]
    detected: NDArray[np.bool_]
    columns: dict[str, NDArray] = field(default_factory=dict)


@dataclass
class RecoRecord:
    """Detector response for one chunk: per-block responses and per-event columns."""

    blocks: list[RecoBlock]

    def columns(self) -> dict[str, NDArray]:
        names: list[str] = []
        for b in self.blocks:
            names.extend(k for k in b.columns if k not in names)
        out = {}
        for k in names:
            parts = []
            for b in self.blocks:
                col = b.columns.get(k)
                if col is None:
                    n = b.p4.shape[0]
                    col = np.full(n, np.nan) if k not in ("reconstructed",) else np.zeros(n, bool)
                parts.append(col)
            out[k] = np.concatenate(parts)
        return out


def is_visible(pdg: int) -> bool:
    """Particles a detector can see at all (not neutrinos, not an undecayed ALP)."""
    return abs(pdg) not in NEUTRINOS and abs(pdg) != ALP_PDG_ID


def simulate_block(rng: np.random.Generator, block: Block, det: DetectorSettings) -> RecoBlock:
    """Run the detector stages on one block and compute the candidate variables."""
    n, n_part = block.n_events, block.n_particles
    reco = np.full((n, n_part, 4), np.nan)
    detected = np.zeros((n, n_part), dtype=bool)
    for i in np.flatnonzero(block.status == FINAL):
        pdg = int(block.pdg[i])
        if pdg == PHOTON:
            reco[:, i], detected[:, i] = reconstruct_photons(
                rng, block.p4[:, i], block.vertex[:, i], det.calorimeter
            )
        elif abs(pdg) != ALP_PDG_ID and pdg_charge(pdg) != 0:
            reco[:, i], detected[:, i] = reconstruct_tracks(
                rng, block.p4[:, i], block.vertex[:, i], pdg_mass(abs(pdg)), det.tracking
            )
    out = RecoBlock(reco, detected)
    out.columns.update(candidate_variables(block, out, det))
    return out


def candidate_variables(block: Block, reco: RecoBlock, det: DetectorSettings) -> dict[str, NDArray]:
    """Variables of the truth-matched signal candidate: B (Mbc, deltaE) and ALP (M)."""
    cols: dict[str, NDArray] = {}
    sqrt_s, beta = det.beams.nominal_cms()
    parent = block.roles.get("signal_parent")
    if parent is not None:
        parts = [i for i in block.final_descendants(parent) if is_visible(int(block.pdg[i]))]
        ok = reco.detected[:, parts].all(axis=1)
        cand = reco.p4[:, parts].sum(axis=1)
        cols["Mbc"], cols["deltaE"] = beam_constrained_mass(cand, sqrt_s, beta)
        cols["reconstructed"] = ok
    alp = block.roles.get("alp")
    if alp is not None:
        parts = [i for i in block.final_descendants(alp) if is_visible(int(block.pdg[i]))]
        if parts:
            cols["a_M"] = invariant_mass(reco.p4[:, parts])
    return cols


def simulate(rng: np.random.Generator, record: EventRecord, det: DetectorSettings) -> RecoRecord:
    """Detector response for a whole chunk."""
    return RecoRecord([simulate_block(rng, b, det) for b in record.blocks])
