"""Validated reading of TOML tables: errors name the card field, its value and what is allowed.

Cards are data, never code (docs/architecture.md): a card is read with `tomllib`, then each
section is taken field by field through `Table`, which checks type and range and rejects unknown
keys, so that a bad card fails before any event is generated. Every section of both kinds of
card is declared as a tuple of `Field`s (type, unit, range, default, meaning), which the
validators read with `Field.read` and the user guide prints (alpsim/card_schema.py,
detector/card_fields.py).
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
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
    "numbers": "array of numbers",  # fixed length (`length`), each within the bounds
    "number list": "array of numbers",  # `min_length` to `length` entries, each within bounds
    "string list": "array of strings",  # `min_length` or more, each one of `choices` if given
    "interval": "[low, high]",  # two numbers within the bounds, low < high (`strict`)
    "rows": "array of arrays of numbers",  # rows of `length` numbers (row count: the caller's)
    "table": "table",
    "table list": "array of tables",  # non-empty; entries ordered by `order_key` if given
}
#: Constraints whose value comes from another field of the card (`Field.read` overrides):
#: each needs the matching `*_ref` text in the declaration, which the guide prints.
_REFS = {"lo": "lo_ref", "hi": "hi_ref", "choices": "choices_ref", "default": "default_ref"}


def _in_bounds(v: float, lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> bool:
    return not (
        (lo is not None and (v < lo or (lo_open and v == lo)))
        or (hi is not None and (v > hi or (hi_open and v == hi)))
    )


def _is_number(v: Any, finite: bool = True) -> bool:
    return (
        isinstance(v, (int, float))
        and not isinstance(v, bool)
        and (math.isfinite(v) or (not finite and not math.isnan(v)))
    )


@dataclass(frozen=True)
class Field:
    """One card field declared once: its type, unit, allowed range, default and meaning.

    The validator reads the field with `read` (so the checks are the declared ones) and the
    user guide's card reference (docs/gen_card_reference.py) prints the same declaration, so
    the two cannot drift. A bound, the choices or the default may be another field's value
    (the drift chamber outside the last silicon layer, a region's resolution defaulting to
    the calorimeter's): `read` then takes it as an argument and `lo_ref`, `hi_ref`,
    `choices_ref` or `default_ref` says which field it is. Checks that tie several fields
    together beyond that stay in the validator; `needs` says when a field without a default
    must be given and `default_note` what an absent field means when the default is computed.
    A `key` in angle brackets (`<line>`) stands for names the card author chooses.
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
    increasing: bool = False  # number list: strictly increasing entries (a monotonic table)
    min_length: int = 1  # number list, string list: fewest entries
    strict: bool = True  # interval: low < high (False: low <= high)
    finite: bool = True  # interval: False allows inf and -inf
    row_sum: float | None = None  # rows: each row sums to this (probabilities)
    order_key: str = ""  # table list: entries strictly increasing in this field
    lo_ref: str = ""
    hi_ref: str = ""
    choices_ref: str = ""
    default_ref: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Field {self.key!r}: kind {self.kind!r} is not one of {list(KINDS)}")
        if self.kind in ("numbers", "rows") and self.length is None:
            raise ValueError(f"Field {self.key!r}: an array field needs `length`")

    @property
    def required(self) -> bool:
        return self.default is _MISSING and not self.needs and not self.default_ref

    @property
    def placeholder(self) -> bool:
        """The key stands for author-chosen names (`<line>`), read with `read(t, key=name)`."""
        return self.key.startswith("<")

    def read(self, t: Table, key: str | None = None, **given: Any) -> Any:
        """The validated value of this field in table `t` (the default when it is absent).

        `key` names the entry of a placeholder field; `given` holds the bounds, choices,
        default or row count (`rows`) that come from another field's value.
        """
        for name in given:
            if name != "rows" and not getattr(self, _REFS[name]):
                raise ValueError(f"Field {self.key!r}: {name} given but no {_REFS[name]} declared")
        f = replace(self, key=key or self.key, **{k: v for k, v in given.items() if k != "rows"})
        return f._read(t, given.get("rows"))

    def _read(self, t: Table, rows: int | None) -> Any:
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
        if k == "table":
            return t.table(self.key, d)
        value = t.raw(self.key, d)
        if value is d and d is not _MISSING:
            return value
        return getattr(self, "_" + k.replace(" ", "_"))(t, value, rows)

    def _bounds_text(self) -> str:
        u = f" {self.unit}" if self.unit else ""
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '>='} {self.lo:g}{u}")
        if self.hi is not None:
            parts.append(f"{'<' if self.hi_open else '<='} {self.hi:g}{u}")
        return " and ".join(parts)

    def _ok(self, v: float) -> bool:
        return _in_bounds(v, self.lo, self.hi, self.lo_open, self.hi_open)

    def _numbers(self, t: Table, values: Any, rows: int | None) -> Any:
        if not isinstance(values, list) or len(values) != self.length:
            raise t.error(self.key, f"= {values!r} must be an array of {self.length} numbers")
        return self._entries(t, values)

    def _entries(self, t: Table, values: list) -> tuple[float, ...]:
        if not all(_is_number(v) for v in values):
            raise t.error(self.key, f"= {values!r}: every entry must be a finite number")
        if not all(self._ok(v) for v in values):
            raise t.error(self.key, f"= {values!r}: every entry must be {self._bounds_text()}")
        return tuple(float(v) for v in values)

    def _number_list(self, t: Table, values: Any, rows: int | None) -> Any:
        if not isinstance(values, list) or len(values) < self.min_length:
            least = "a non-empty array" if self.min_length == 1 else "an array"
            if self.min_length > 1:
                least += f" of at least {self.min_length}"
            raise t.error(self.key, f"= {values!r} must be {least} of numbers")
        out = self._entries(t, values)
        if self.length is not None and len(values) > self.length:
            raise t.error(self.key, f"has {len(values)} entries; at most {self.length}")
        if self.increasing and any(b <= a for a, b in itertools.pairwise(out)):
            raise t.error(self.key, f"= {values!r} must be strictly increasing")
        return out

    def _string_list(self, t: Table, values: Any, rows: int | None) -> Any:
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise t.error(self.key, f"= {values!r} must be an array of strings")
        if len(values) < self.min_length:
            raise t.error(self.key, "= [] must name at least one entry")
        checked = bool(self.choices or self.choices_ref)
        bad = [v for v in values if checked and v not in self.choices]
        if bad:
            allowed = ", ".join(repr(c) for c in self.choices) or f"none ({self.choices_ref})"
            raise t.error(self.key, f"= {values!r}: {bad[0]!r} is not one of {allowed}")
        return tuple(values)

    def _interval(self, t: Table, values: Any, rows: int | None) -> Any:
        if not (
            isinstance(values, list)
            and len(values) == 2
            and all(_is_number(v, self.finite) for v in values)
        ):
            what = "numbers" if self.finite else "numbers (inf and -inf allowed)"
            raise t.error(self.key, f"= {values!r} must be [low, high], two {what}")
        lo, hi = (float(v) for v in values)
        order = lo < hi if self.strict else lo <= hi
        if not (order and self._ok(lo) and self._ok(hi)):
            rel = "<" if self.strict else "<="
            u = f" {self.unit}" if self.unit else ""
            bounds = f"{self.lo:g} <= " if self.lo is not None else ""
            top = f" <= {self.hi:g}" if self.hi is not None else ""
            raise t.error(
                self.key, f"= {values!r} must satisfy {bounds}low {rel} high{top}{u}".rstrip()
            )
        return lo, hi

    def _rows(self, t: Table, values: Any, rows: int | None) -> Any:
        shape = f"{rows} rows" if rows is not None else "rows"
        what = f"{shape} of {self.length} numbers {self._bounds_text()}".rstrip()
        ok = isinstance(values, list) and (rows is None or len(values) == rows)
        ok = ok and all(
            isinstance(r, list) and len(r) == self.length and all(_is_number(v) and self._ok(v)
                                                                  for v in r)
            for r in values
        )  # fmt: skip
        if not ok:
            raise t.error(self.key, f"= {values!r} must be {what} ({self.description})")
        if self.row_sum is not None and any(abs(sum(r) - self.row_sum) > 1e-6 for r in values):
            raise t.error(self.key, f"= {values!r}: each row must sum to {self.row_sum:g}")
        return tuple(tuple(float(v) for v in r) for r in values)

    def _table_list(self, t: Table, values: Any, rows: int | None) -> Any:
        if not (isinstance(values, list) and values and all(isinstance(v, dict) for v in values)):
            raise t.error(self.key, f"= {values!r} must be a non-empty array of tables")
        return [Table(v, f"{t.field(self.key)}[{i}]", t.source) for i, v in enumerate(values)]

    def check_order(self, entries: Sequence[Table], values: Sequence[float]) -> None:
        """A table list's `order_key`: each entry's value above the previous one's."""
        for i in range(1, len(values)):
            if values[i] <= values[i - 1]:
                raise entries[i].error(
                    self.order_key,
                    f"= {values[i]:g} must be larger than the previous entry's {values[i - 1]:g}: "
                    f"entries are listed in increasing {self.order_key}",
                )


def field_map(fields: Sequence[Field]) -> dict[str, Field]:
    """{key: Field} of a section's declaration (duplicate keys are a programming error)."""
    out: dict[str, Field] = {}
    for f in fields:
        if f.key in out:
            raise ValueError(f"field {f.key!r} declared twice")
        out[f.key] = f
    return out
