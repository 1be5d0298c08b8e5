"""Event selection of a study: named boolean columns required, ranges on reco variables.

Card section (optional):

    [selection]
    require = ["reconstructed", "trg_lml1"]   # boolean columns that must be true
    [selection.cuts]
    a_M = [0.9, 1.1]                                  # lo <= column <= hi (inf allowed)
    [selection.mass_window]                           # signal region around the ALP mass
    column = "a_M_kinfit"                             # a reconstructed mass column (GeV)
    masses = [0.2, 1.0, 4.0]                          # m_a (GeV), increasing
    half_widths = [0.011, 0.021, 0.017]               # GeV: |column - m_a| <= w(m_a)

The mass window follows the ALP mass of the run (and of every point of `alpsim scan`), with its
half-width interpolated linearly in m_a between the listed masses and constant beyond them; a
fixed [selection.cuts] range would be wrong at any other mass. Column names are checked against
what the detector actually produces before a run starts (`check_columns`); NaN values never
pass a cut.
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
    Field("mass_window", "table", "[selection.mass_window]: a signal region around the ALP "
          "mass that follows it in runs and scans", needs="for a mass window"),
)  # fmt: skip
MASS_WINDOW_FIELDS = (
    Field("column", "string", "reconstructed mass column of the window (e.g. a_M_kinfit)"),
    Field("masses", "number list", "ALP masses at which the half-width is given, increasing",
          unit="GeV", lo=0.0, lo_open=True, increasing=True),
    Field("half_widths", "number list", "half-width w(m_a) of the window |column - m_a| <= w, "
          "one per mass, linear in between and constant beyond", unit="GeV", lo=0.0,
          lo_open=True),
)  # fmt: skip
MASS_WINDOW = field_map(MASS_WINDOW_FIELDS)
CUT_FIELDS = (
    Field("<column>", "interval", "keep events with low <= column <= high (NaN never passes)",
          strict=False, finite=False),
)  # fmt: skip
SELECTION = field_map(SELECTION_FIELDS)
CUT = field_map(CUT_FIELDS)


@dataclass(frozen=True)
class MassWindow:
    """Signal region |column − m_a| ≤ w(m_a), w linear in m_a between tabulated masses."""

    column: str
    masses: tuple[float, ...]
    half_widths: tuple[float, ...]

    def half_width(self, alp_mass: float) -> float:
        """w(m_a) in GeV (constant beyond the first and last tabulated mass)."""
        return float(np.interp(alp_mass, self.masses, self.half_widths))

    def mask(self, values: NDArray, alp_mass: float) -> NDArray[np.bool_]:
        with np.errstate(invalid="ignore"):
            return np.abs(np.asarray(values, dtype=float) - alp_mass) <= self.half_width(alp_mass)


@dataclass(frozen=True)
class Selection:
    require: tuple[str, ...] = DEFAULT_REQUIRE
    cuts: dict[str, tuple[float, float]] = field(default_factory=dict)
    mass_window: MassWindow | None = None

    def mask(self, columns: dict[str, NDArray], alp_mass: float | None = None) -> NDArray[np.bool_]:
        """Events passing every requirement and cut (and the mass window around `alp_mass`)."""
        n = len(next(iter(columns.values()))) if columns else 0
        ok = np.ones(n, dtype=bool)
        for name in self.require:
            ok &= np.asarray(columns[name], dtype=bool)
        for name, (lo, hi) in self.cuts.items():
            v = np.asarray(columns[name], dtype=float)
            with np.errstate(invalid="ignore"):
                ok &= (v >= lo) & (v <= hi)
        if self.mass_window is not None:
            if alp_mass is None:
                raise ValueError("a selection with a mass window needs the ALP mass")
            ok &= self.mass_window.mask(columns[self.mass_window.column], alp_mass)
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
        if self.mass_window is not None and self.mass_window.column not in available:
            raise CardError(
                "selection.mass_window.column",
                f"= {self.mass_window.column!r} is not a column of this run; available: "
                f"{', '.join(sorted(available))}",
                source,
            )


def parse_selection(t: Table) -> Selection:
    """Read the [selection] table (absent: require a reconstructed signal candidate)."""
    require = SELECTION["require"].read(t)
    cuts_table = SELECTION["cuts"].read(t)
    cuts = {name: CUT["<column>"].read(cuts_table, name) for name in list(cuts_table.data)}
    cuts_table.done()
    window = _mass_window(SELECTION["mass_window"].read(t)) if t.has("mass_window") else None
    t.done()
    return Selection(tuple(require), cuts, window)


def _mass_window(t: Table) -> MassWindow:
    """Read [selection.mass_window]: a column name, increasing masses, positive half-widths."""
    column = MASS_WINDOW["column"].read(t)
    if not column:
        raise t.error("column", "= '' must be the name of a reconstructed mass column")
    masses = MASS_WINDOW["masses"].read(t)
    widths = MASS_WINDOW["half_widths"].read(t)
    if len(masses) != len(widths):
        raise t.error(
            "half_widths", f"has {len(widths)} values for {len(masses)} masses: one per mass"
        )
    t.done()
    return MassWindow(column, tuple(masses), tuple(widths))
