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

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .toml_fields import CardError, Field, Table, field_map

DEFAULT_REQUIRE = ("reconstructed",)
#: [selection] and [selection.cuts], declared once for the validator and the user guide.
SELECTION_FIELDS = (
    Field("require", "string list", "boolean columns that must be true (checked against the "
          "columns the run makes before it starts)", default=DEFAULT_REQUIRE, min_length=0),
    Field("cuts", "table", "[selection.cuts]: ranges on columns", default={}),
)  # fmt: skip
CUT_FIELDS = (
    Field("<column>", "interval", "keep events with low <= column <= high (NaN never passes)",
          strict=False, finite=False),
)  # fmt: skip
SELECTION = field_map(SELECTION_FIELDS)
CUT = field_map(CUT_FIELDS)


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
    require = SELECTION["require"].read(t)
    cuts_table = SELECTION["cuts"].read(t)
    cuts = {name: CUT["<column>"].read(cuts_table, name) for name in list(cuts_table.data)}
    cuts_table.done()
    t.done()
    return Selection(tuple(require), cuts)
