"""The ALP as the generator sees it: mass, width, cτ and branching fractions.

Two ways to build one: from couplings (:meth:`AlpModel.from_couplings`, widths from
:mod:`.widths`) or model-independently (:meth:`AlpModel.model_independent`: a spin-0 state with
user-given cτ or width and branching fractions, which may include 'pi+ pi-' and 'K+ K-').
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .couplings import Couplings
from .widths import FINAL_STATES, HBARC_GEV_MM, ctau_mm, partial_widths, thresholds

#: Tolerance on Σ BR = 1 for model-independent input.
BR_SUM_TOLERANCE: float = 1e-6


@dataclass(frozen=True)
class AlpModel:
    """ALP of given ``mass`` [GeV], total ``width`` [GeV], ``ctau`` [mm] and
    ``branching_fractions`` (read-only mapping final state → BR). ``partial_widths`` is
    width × BR; ``couplings`` is None for a model-independent ALP."""

    mass: float
    width: float
    ctau: float
    branching_fractions: Mapping[str, float]
    couplings: Couplings | None = None
    model_independent_state: bool = field(default=False)

    @property
    def partial_widths(self) -> dict[str, float]:
        return {k: self.width * v for k, v in self.branching_fractions.items()}

    @classmethod
    def from_couplings(cls, mass: float, couplings: Couplings) -> AlpModel:
        """ALP with widths computed from BNT17-convention ``couplings``."""
        mass = float(mass)
        pw = partial_widths(mass, couplings)
        tot = float(sum(pw.values()))
        brs = {k: (pw[k] / tot if tot > 0 else 0.0) for k in FINAL_STATES}
        return cls(mass, tot, ctau_mm(tot), MappingProxyType(brs), couplings, False)

    @classmethod
    def model_independent(
        cls,
        mass: float,
        ctau: float | None = None,
        width: float | None = None,
        branching_fractions: Mapping[str, float] | None = None,
    ) -> AlpModel:
        """Spin-0 ALP with exactly one of ``ctau`` [mm] / ``width`` [GeV] and branching fractions
        summing to 1 (±1e-6), each channel open at ``mass``. Raises ValueError naming the key."""
        if branching_fractions is None:
            branching_fractions = {"gamma gamma": 1.0}
        if not (isinstance(mass, (int, float)) and math.isfinite(mass) and mass > 0):
            raise ValueError(f"alp.mass: {mass!r} must be a finite number > 0 GeV")
        mass = float(mass)
        if (ctau is None) == (width is None):
            raise ValueError(
                f"alp: give exactly one of 'ctau' and 'width' (got ctau={ctau!r}, width={width!r})"
            )
        if ctau is not None:
            if not (isinstance(ctau, (int, float)) and ctau > 0 and not math.isnan(ctau)):
                raise ValueError(f"alp.ctau: {ctau!r} must be > 0 mm (inf allowed)")
            ctau = float(ctau)
            width = 0.0 if math.isinf(ctau) else HBARC_GEV_MM / ctau
        else:
            if not (isinstance(width, (int, float)) and math.isfinite(width) and width >= 0):
                raise ValueError(f"alp.width: {width!r} must be a finite number >= 0 GeV")
            width = float(width)
            ctau = ctau_mm(width)
        thr = thresholds()  # 'invisible' threshold 0: the dark-fermion mass is not an input here
        brs: dict[str, float] = dict.fromkeys(FINAL_STATES, 0.0)
        for key, br in branching_fractions.items():
            if key not in thr:
                raise ValueError(
                    f"alp.decays.{key!r}: unknown final state; allowed: {', '.join(FINAL_STATES)}"
                )
            if isinstance(br, bool) or not isinstance(br, (int, float)) or not 0 <= br <= 1:
                raise ValueError(f"alp.decays.{key!r}: branching fraction {br!r} not in [0, 1]")
            if br > 0 and mass <= thr[key]:
                raise ValueError(
                    f"alp.decays.{key!r}: mass {mass:g} GeV is below the threshold "
                    f"{thr[key]:.4f} GeV"
                )
            brs[key] = float(br)
        total = sum(brs.values())
        if abs(total - 1.0) > BR_SUM_TOLERANCE:
            raise ValueError(
                f"alp.decays: branching fractions sum to {total:.9g}, not 1 "
                f"(tolerance {BR_SUM_TOLERANCE:g})"
            )
        return cls(mass, width, ctau, MappingProxyType(brs), None, True)


def alp_table(model: AlpModel) -> str:
    """Readable text table of partial widths, branching fractions and cτ."""
    kind = "model-independent spin-0" if model.model_independent_state else "from couplings"
    lines = [
        f"ALP m_a = {model.mass:.6g} GeV ({kind})",
        *([model.couplings.describe_scale()] if model.couplings is not None else []),
        f"total width = {model.width:.4e} GeV    c*tau = {model.ctau:.4e} mm",
        f"{'final state':<16}{'width [GeV]':>14}{'BR':>14}",
        "-" * 44,
    ]
    for k in FINAL_STATES:
        br = model.branching_fractions.get(k, 0.0)
        lines.append(f"{k:<16}{model.width * br:>14.4e}{br:>14.4e}")
    return "\n".join(lines)
