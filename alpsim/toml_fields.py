"""Validated reading of TOML tables: errors name the card field, its value and what is allowed.

Cards are data, never code (docs/architecture.md): a card is read with `tomllib`, then each
section is taken field by field through `Table`, which checks type and range and rejects unknown
keys, so that a bad card fails before any event is generated. Both kinds of card use it: the run
card's schema is alpsim/card.py, the detector cards' detector/config.py. A section may be
declared as a tuple of `Field`s (type, unit, range, default, meaning), which the validator reads
with `Field.read` and the user guide prints (alpsim/card_schema.py).
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_MISSING = object()
#: Largest card file read (bytes): cards are small text files; this stops /dev/zero or a
#: data file given by mistake from being read into memory.
MAX_CARD_BYTES = 1_000_000
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class CardError(ValueError):
    """A card that cannot be used; the message names the field, the value and what is allowed."""

    def __init__(self, field: str, message: str, source: str | None = None) -> None:
        self.field = field
        where = f" in {source}" if source else ""
        super().__init__(f"card field '{field}'{where}: {message}")


def load_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; syntax errors become CardError naming the file and line."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_CARD_BYTES + 1)
    except FileNotFoundError:
        raise CardError("<file>", f"no such card file {str(path)!r}") from None
    except OSError as exc:
        raise CardError("<file>", f"cannot read {str(path)!r}: {exc.strerror}") from None
    if len(raw) > MAX_CARD_BYTES:
        raise CardError(
            "<file>", f"{str(path)!r} is larger than {MAX_CARD_BYTES:,} bytes: not a card file"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CardError(
            "<file>", f"{str(path)!r} is not UTF-8 text (byte {exc.start}): not a card file"
        ) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise CardError("<syntax>", f"{path}: not valid TOML ({exc})") from None


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        int: "an integer",
        float: "a number",
        str: "a string",
        bool: "true/false",
        list: "an array",
        dict: "a table",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


class Table:
    """One TOML table being read; call `done()` at the end to reject unknown keys."""

    def __init__(self, data: Any, path: str, source: str | None = None) -> None:
        if not isinstance(data, dict):
            raise CardError(path, f"must be a table, got {data!r}", source)
        self.data = data
        self.path = path
        self.source = source
        self._used: set[str] = set()

    def field(self, key: str) -> str:
        """Dotted TOML path of a key; keys that are not bare TOML keys are quoted."""
        if not _BARE_KEY.fullmatch(key):
            key = f'"{key}"'
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, message: str) -> CardError:
        return CardError(self.field(key), message, self.source)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self._used.add(key)
        if key not in self.data:
            if default is _MISSING:
                typo = difflib.get_close_matches(key, [k for k in self.data if k not in self._used])
                if typo:
                    raise self.error(typo[0], f"unknown key; did you mean '{key}'?")
                raise self.error(key, "is required but missing")
            return default
        return self.data[key]

    def number(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
        hi_open: bool = False,
        unit: str = "",
        integer: bool = False,
    ) -> Any:
        """A finite number (or integer) within [lo, hi] (open ends if asked)."""
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        kind = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind):
            raise self.error(
                key, f"= {value!r} must be {_type_name(kind[0] if integer else float)}"
            )
        if not math.isfinite(value):
            raise self.error(key, f"= {value!r} must be finite")
        u = f" {unit}" if unit else ""
        lo_text = f"{'>' if lo_open else '>='} {lo:g}{u}" if lo is not None else ""
        hi_text = f"{'<' if hi_open else '<='} {hi:g}{u}" if hi is not None else ""
        # with both bounds the message names the whole allowed range, not only the one violated
        both = f" (allowed: {lo_text} and {hi_text})" if lo_text and hi_text else ""
        if lo is not None and (value < lo or (lo_open and value == lo)):
            raise self.error(key, f"= {value!r}{u} must be {lo_text}{both}")
        if hi is not None and (value > hi or (hi_open and value == hi)):
            raise self.error(key, f"= {value!r}{u} must be {hi_text}{both}")
        return int(value) if integer else float(value)

    def string(self, key: str, default: Any = _MISSING, *, choices: Sequence[str] = ()) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str):
            raise self.error(key, f"= {value!r} must be a string")
        if choices and value not in choices:
            allowed = ", ".join(repr(c) for c in choices)
            raise self.error(key, f"= {value!r} is not allowed; choose one of {allowed}")
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> Any:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"= {value!r} must be true or false")
        return value

    def numbers(
        self,
        key: str,
        length: int,
        default: Any = _MISSING,
        *,
        lo: float | None = None,
        unit: str = "",
    ) -> Any:
        """A fixed-length array of finite numbers, each >= lo."""
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, list) or len(value) != length:
            raise self.error(key, f"= {value!r} must be an array of {length} numbers")
        for v in value:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise self.error(key, f"= {value!r}: every entry must be a finite number")
            if lo is not None and v < lo:
                raise self.error(key, f"= {value!r}: every entry must be >= {lo:g} {unit}".rstrip())
        return tuple(float(v) for v in value)

    def table(self, key: str, default: Any = _MISSING) -> Table:
        value = self.raw(key, default)
        return Table(value, self.field(key), self.source)

    def only(self, *keys: str) -> None:
        """Reject unknown keys up front (before missing ones are reported)."""
        unknown = sorted(set(self.data) - set(keys))
        if unknown:
            raise self.error(unknown[0], f"unknown key; allowed keys here: {', '.join(keys)}")

    def done(self) -> None:
        """Reject keys that were never read: typos must not pass silently."""
        unknown = sorted(set(self.data) - self._used)
        if unknown:
            allowed = ", ".join(sorted(self._used)) or "none"
            raise self.error(unknown[0], f"unknown key; allowed keys here: {allowed}")


#: `Field.kind` values and the TOML type each stands for (the user guide shows the latter).
KINDS = {
    "number": "number",
    "integer": "integer",
    "string": "string",
    "boolean": "boolean",
    "numbers": "array of numbers",  # fixed length (`length`), each >= lo
    "number list": "array of numbers",  # any length up to `length`, each within the bounds
    "string list": "array of strings",  # non-empty, each one of `choices` if given
    "table": "table",
}


@dataclass(frozen=True)
class Field:
    """One card field declared once: its type, unit, allowed range, default and meaning.

    The validator reads the field with `read` (so the checks are the declared ones) and the
    user guide's card reference (docs/gen_card_reference.py) prints the same declaration, so
    the two cannot drift. Checks that involve other fields (e.g. `ctau` or `width`, the ALP
    mass below the channel's kinematic limit) stay in the validator; `needs` says when a
    field without a default must be given and `default_note` what an absent field means when
    the default is computed.
    """

    key: str
    kind: str
    description: str
    default: Any = _MISSING
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple[str, ...] = ()
    length: int | None = None
    needs: str = ""
    default_note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Field {self.key!r}: kind {self.kind!r} is not one of {list(KINDS)}")
        if self.kind in ("numbers", "number list") and self.length is None:
            raise ValueError(f"Field {self.key!r}: an array field needs `length`")

    @property
    def required(self) -> bool:
        return self.default is _MISSING and not self.needs

    def read(self, t: Table) -> Any:
        """The validated value of this field in table `t` (the default when it is absent)."""
        d = self.default
        k = self.kind
        if k in ("number", "integer"):
            bounds = {"lo": self.lo, "hi": self.hi, "lo_open": self.lo_open}
            return t.number(
                self.key, d, **bounds, hi_open=self.hi_open, unit=self.unit, integer=k == "integer"
            )
        if k == "string":
            return t.string(self.key, d, choices=self.choices)
        if k == "boolean":
            return t.boolean(self.key, d)
        if k == "numbers":
            return t.numbers(self.key, self.length, d, lo=self.lo, unit=self.unit)
        if k == "table":
            return t.table(self.key, d)
        if k == "number list":
            return self._number_list(t, d)
        return self._string_list(t, d)

    def _bounds_text(self) -> str:
        u = f" {self.unit}" if self.unit else ""
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '>='} {self.lo:g}{u}")
        if self.hi is not None:
            parts.append(f"{'<' if self.hi_open else '<='} {self.hi:g}{u}")
        return " and ".join(parts)

    def _number_list(self, t: Table, d: Any) -> Any:
        values = t.raw(self.key, d)
        if values is d and d is not _MISSING:
            return values
        if not isinstance(values, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in values
        ):
            raise t.error(self.key, f"= {values!r} must be an array of finite numbers")
        for v in values:
            if (self.lo is not None and (v < self.lo or (self.lo_open and v == self.lo))) or (
                self.hi is not None and (v > self.hi or (self.hi_open and v == self.hi))
            ):
                raise t.error(self.key, f"= {values!r}: every entry must be {self._bounds_text()}")
        if len(values) > self.length:
            raise t.error(self.key, f"has {len(values)} entries; at most {self.length}")
        return tuple(float(v) for v in values)

    def _string_list(self, t: Table, d: Any) -> Any:
        values = t.raw(self.key, d)
        if values is d and d is not _MISSING:
            return values
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise t.error(self.key, f"= {values!r} must be an array of strings")
        if not values:
            raise t.error(self.key, "= [] must name at least one entry")
        bad = [v for v in values if self.choices and v not in self.choices]
        if bad:
            allowed = ", ".join(repr(c) for c in self.choices)
            raise t.error(self.key, f"= {values!r}: {bad[0]!r} is not one of {allowed}")
        return tuple(values)


def field_map(fields: Sequence[Field]) -> dict[str, Field]:
    """{key: Field} of a section's declaration (duplicate keys are a programming error)."""
    out: dict[str, Field] = {}
    for f in fields:
        if f.key in out:
            raise ValueError(f"field {f.key!r} declared twice")
        out[f.key] = f
    return out
