"""Event selection of a study: named boolean columns required, ranges on reco variables.

Card section (optional):

    [selection]
    require = ["reconstructed", "trg_lml1"]   # boolean columns that must be true
    [selection.cuts]
    a_M = [0.9, 1.1]                                  # lo <= column <= hi (inf allowed)

Column names are checked against what the detector actually produces before a run starts
(`check_columns`); NaN values never pass a cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .toml_fields import CardError, Table

DEFAULT_REQUIRE = ("reconstructed",)


@dataclass(frozen=True)
class Selection:
    require: tuple[str, ...] = DEFAULT_REQUIRE
    cuts: dict[str, tuple[float, float]] = field(default_factory=dict)

    def mask(self, columns: dict[str, NDArray]) -> NDArray[np.bool_]:
        """Events passing every requirement and cut."""
        n = len(next(iter(columns.values()))) if columns else 0
        ok = np.ones(n, dtype=bool)
        for name in self.require:
            ok &= np.asarray(columns[name], dtype=bool)
        for name, (lo, hi) in self.cuts.items():
            v = np.asarray(columns[name], dtype=float)
            with np.errstate(invalid="ignore"):
                ok &= (v >= lo) & (v <= hi)
        return ok

    def check_columns(self, available: set[str], source: str | None = None) -> None:
        """Fail (naming the card field) if a selection names a column the run does not make."""
        for name in self.require:
            if name not in available:
                raise CardError(
                    "selection.require",
                    f"column {name!r} is not produced by this "
                    f"run; available: {', '.join(sorted(available))}",
                    source,
                )
        for name in self.cuts:
            if name not in available:
                raise CardError(
                    f"selection.cuts.{name}",
                    f"is not a column of this run; available: {', '.join(sorted(available))}",
                    source,
                )


def parse_selection(t: Table) -> Selection:
    """Read the [selection] table (absent: require a reconstructed signal candidate)."""
    require = t.raw("require", list(DEFAULT_REQUIRE))
    if not isinstance(require, list) or not all(isinstance(r, str) for r in require):
        raise t.error("require", f"= {require!r} must be an array of column names")
    cuts_table = t.table("cuts", default={})
    cuts = {}
    for name in list(cuts_table.data):
        value = cuts_table.raw(name)
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            or any(math.isnan(v) for v in value)
            or not value[0] <= value[1]
        ):
            raise cuts_table.error(
                name, f"= {value!r} must be [low, high] with low <= high (inf and -inf allowed)"
            )
        cuts[name] = (float(value[0]), float(value[1]))
    cuts_table.done()
    t.done()
    return Selection(tuple(require), cuts)
