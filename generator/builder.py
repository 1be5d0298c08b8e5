"""Assemble a decay tree, particle by particle over whole arrays, into a record `Block`.

A channel adds particles in decay order (mothers first) with their lab four-momenta for all
events at once; `build` chains the vertices from lifetimes and returns the block.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..pdg import ALP_PDG_ID
from ..record import BEAM, DECAYED, FINAL, Block
from .beams import BeamDraw
from .vertices import chain_vertices


class BlockBuilder:
    """Collects the template and four-momenta of one decay mode."""

    def __init__(self, beams: BeamDraw) -> None:
        self.beams = beams
        self.n = beams.e_minus.shape[0]
        self._pdg: list[int] = []
        self._mother: list[int] = []
        self._p4: list[NDArray[np.float64]] = []
        self.roles: dict[str, int] = {}
        self.add(11, beams.e_minus, role="beam_e-")
        self.add(-11, beams.e_plus, role="beam_e+")

    def add(self, pdg: int, p4: NDArray[np.float64], mother: int = -1, role: str = "") -> int:
        """Append a particle (N, 4) produced by template particle `mother`; return its index."""
        if p4.shape != (self.n, 4):
            raise ValueError(f"four-momenta must be ({self.n}, 4), got {p4.shape}")
        self._pdg.append(int(pdg))
        self._mother.append(int(mother))
        self._p4.append(p4)
        if role:
            self.roles[role] = len(self._pdg) - 1
        return len(self._pdg) - 1

    def p4(self, index: int) -> NDArray[np.float64]:
        return self._p4[index]

    def build(
        self,
        rng: np.random.Generator,
        mode: str,
        alp_ctau_mm: float | None = None,
    ) -> Block:
        """Chain vertices (ALP cτ from the card) and return the block.

        Status: beams 4, particles with daughters 2, others 1. The ALP's proper decay length
        is kept as the per-event column `alp_proper_length` (mm) for lifetime reweighting.
        """
        pdg = np.array(self._pdg, dtype=np.int32)
        mother = np.array(self._mother, dtype=np.int32)
        mother[:2] = -1
        status = np.full(pdg.size, FINAL, dtype=np.int8)
        status[np.unique(mother[mother >= 0])] = DECAYED
        status[:2] = BEAM
        p4 = np.stack(self._p4, axis=1)
        override = {}
        alp = self.roles.get("alp")
        if alp is not None and alp_ctau_mm is not None:
            override[alp] = alp_ctau_mm
        vertex, proper = chain_vertices(rng, pdg, mother, p4, self.beams.primary_vertex, override)
        extra: dict[str, NDArray] = {"sqrt_s": self.beams.sqrt_s}
        if alp is not None and pdg[alp] == ALP_PDG_ID and alp in proper:
            extra["alp_proper_length"] = proper[alp]
        return Block(
            mode=mode,
            pdg=pdg,
            status=status,
            mother=mother,
            p4=p4,
            vertex=vertex,
            roles=dict(self.roles),
            extra=extra,
        )
