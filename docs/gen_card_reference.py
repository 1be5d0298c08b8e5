"""Generate the card reference pages of the user guide from the card schema and validators.

The sections [run], [alp], [alp.couplings], [output] and [beams] are declared field by field
in `alpsim/card_schema.py` (type, unit, range, default, meaning), and the validators read them
through that declaration: their tables are printed from it. The other sections (the channels'
options, [selection], the detector sections) are validation code in `alpsim/selection.py`,
`detector/config.py` and each channel's `from_card`, which read every field through
`alpsim.toml_fields.Table` (`number`, `string`, `boolean`, `numbers`, `table`, `only`, `has`,
`raw`). This script records those calls while it validates
every card shipped in `cards/` (and a few variants of them that take the other branches:
width instead of cτ, forced decay range, couplings, each channel), so the pages list exactly
the fields, types, defaults, ranges and units the validators accept. A field the validators
stop reading disappears from the page; a new one appears; nothing is typed twice.

Limits (stated on the generated page too): a field is listed only if some shipped card or
variant reaches the code that reads it, and the meaning of a field comes from the comments
of the shipped cards, not from the validator.

Run `python docs/gen_card_reference.py OUTDIR` to write the pages; the mkdocs hook
(`docs/hooks.py`) calls `pages()` during every build.
"""

from __future__ import annotations

import copy
import json
import math
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from alpsim import toml_fields
from alpsim.card import card_from_data
from alpsim.card_schema import SCHEMA
from alpsim.detector.config import load_detector
from alpsim.generator.alp_decays import SUPPORTED
from alpsim.generator.channels import CHANNELS
from alpsim.generator.tau_decays import TAU_MODES
from alpsim.toml_fields import KINDS, CardError, Field, Table, load_toml

#: The cards shipped with the installed package (= cards/ of the checkout it was installed from).
CARDS = Path(str(files("alpsim.cards")))
#: card file name -> channel name (run cards) or "detector"; filled by `trace`.
CARD_CONTEXT: dict[str, str] = {}

#: Tables whose keys are names chosen by the card author (trigger lines, regions, final
#: states, selection columns): shown with a placeholder instead of each name.
DYNAMIC = {
    "trigger": "<line>",
    "calorimeter.theta_regions": "<region>",
    "pid.regions": "<region>",
    "alp.decays": "<final state>",
    "selection.cuts": "<column>",
}
_MISSING = toml_fields._MISSING

#: Names the validators accept, shown under the table they belong to.
NAME_NOTES = {
    "alp.decays": [
        "Final-state names (`<final state>`, and the entries of `alp.generate`): "
        + ", ".join(f"`{json.dumps(n)}`" for n in SUPPORTED)
        + '; or `"tau+ tau- [<tau+ mode>; <tau- mode>]"` with the τ modes listed under `[alp]`.',
        "",
    ],
    "alp": [
        "τ modes (`tau_modes`, and inside a compound `tau+ tau-` final state): "
        + ", ".join(f"`{json.dumps(n)}`" for n in TAU_MODES)
        + ".",
        "",
    ],
}


@dataclass
class FieldInfo:
    """What the validators accept for one card field."""

    table: str
    key: str
    kinds: set[str] = field(default_factory=set)
    default: Any = _MISSING
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    unit: str = ""
    choices: tuple[str, ...] = ()
    contexts: set[str] = field(default_factory=set)
    shipped_types: set[str] = field(default_factory=set)  # TOML types in the shipped cards
    relative: set[str] = field(default_factory=set)  # "lo"/"hi" set by another field's value

    @property
    def required(self) -> bool:
        return self.default is _MISSING and not ({"probed", "allowed"} & self.kinds)


def normalise(path: str) -> str:
    """Dotted table path with author-chosen names replaced by placeholders."""
    parts = [p.strip('"') for p in _split_path(path)]
    out: list[str] = []
    for p in parts:
        parent = ".".join(out)
        out.append(DYNAMIC.get(parent, p))
    return ".".join(out)


def _split_path(path: str) -> list[str]:
    return re.findall(r'"[^"]*"|[^.]+', path) if path else []


class Recorder:
    """Collects FieldInfo from Table calls; `context` names the card (channel) being read."""

    def __init__(self) -> None:
        self.fields: dict[tuple[str, str], FieldInfo] = {}
        self.context = ""
        self._depth = 0

    def info(self, table: Table, key: str) -> FieldInfo:
        tpath = normalise(table.path)
        key = DYNAMIC.get(tpath, key)
        f = self.fields.setdefault((tpath, key), FieldInfo(tpath, key))
        f.contexts.add(self.context)
        return f

    @contextmanager
    def active(self) -> Iterator[Recorder]:
        """Patch Table's readers to record every call (outermost call only)."""
        originals = {
            name: getattr(Table, name)
            for name in ("number", "string", "boolean", "numbers", "table", "raw", "has", "only")
        }
        rec = self

        def wrap(name: str, fn: Any) -> Any:
            def wrapper(self: Table, key: Any = None, *args: Any, **kwargs: Any) -> Any:
                outer = rec._depth == 0
                rec._depth += 1
                try:
                    if outer:
                        rec.record(name, self, key, args, kwargs)
                    return fn(self, key, *args, **kwargs) if key is not None else fn(self)
                finally:
                    rec._depth -= 1

            return wrapper

        def only(self: Table, *keys: str) -> None:
            for k in keys:
                rec.info(self, k).kinds.add("allowed")
            return originals["only"](self, *keys)

        try:
            for name, fn in originals.items():
                setattr(Table, name, only if name == "only" else wrap(name, fn))
            yield self
        finally:
            for name, fn in originals.items():
                setattr(Table, name, fn)

    def record(self, method: str, table: Table, key: str, args: tuple, kwargs: dict) -> None:
        f = self.info(table, key)
        default = args[0] if args else kwargs.get("default", _MISSING)
        if method == "has":
            f.kinds.add("probed")
            return
        if method == "number":
            f.kinds.add("integer" if kwargs.get("integer") else "number")
        elif method == "numbers":
            length = args[0] if args else kwargs.get("length")
            default = args[1] if len(args) > 1 else kwargs.get("default", _MISSING)
            f.kinds.add(f"array of {length} numbers")
        elif method == "string":
            f.kinds.add("string")
            f.choices = tuple(kwargs.get("choices", ())) or f.choices
        elif method == "boolean":
            f.kinds.add("boolean")
        elif method == "table":
            f.kinds.add("table")
        elif method == "raw":
            f.kinds.add("value")
        if default is not _MISSING and f.default is _MISSING:
            f.default = default
        for k in ("lo", "hi"):
            value = kwargs.get(k)
            if value is None:
                continue
            if getattr(f, k) is not None and getattr(f, k) != value:
                f.relative.add(k)  # the bound is another field's value (differs between cards)
            setattr(f, k, value)
        if kwargs.get("unit"):
            f.unit = kwargs["unit"]
        f.lo_open |= bool(kwargs.get("lo_open"))
        f.hi_open |= bool(kwargs.get("hi_open"))


# ---------------------------------------------------------------------------------------------
# Card comments: the meaning and the source of each value, as written in the shipped cards


@dataclass
class CardLine:
    table: str  # dotted path of the TOML table
    key: str
    value: str
    comment: str
    notes: list[str]  # comment lines directly above the key (and the table's own comment)


def _strip_comment(line: str) -> tuple[str, str]:
    """Split a TOML line into code and comment (a '#' inside a string is not a comment)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def card_lines(path: Path) -> list[CardLine]:
    """Every `key = value  # comment` of a card, with its table and the comments above it."""
    table, pending, table_note = "", [], []
    out: list[CardLine] = []
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        code, comment = _strip_comment(lines[i])
        stripped = code.strip()
        if not stripped:
            if comment:
                pending.append(comment)
            else:
                pending = []
        elif stripped.startswith("["):
            table = stripped.strip("[]").strip()
            table_note = [*pending, comment] if comment else list(pending)
            pending = []
        elif "=" in stripped:
            key, value = (s.strip() for s in stripped.split("=", 1))
            # multi-line arrays: gather until the brackets balance
            while value.count("[") > value.count("]") and i + 1 < len(lines):
                i += 1
                more, extra = _strip_comment(lines[i])
                value += " " + more.strip()
                comment = " ".join(c for c in (comment, extra) if c)
            notes = [*table_note, *pending] if not out or out[-1].table != table else pending
            out.append(CardLine(table, key.strip('"'), value, comment, list(notes)))
            pending = []
        i += 1
    return out


# ---------------------------------------------------------------------------------------------
# Tracing the validators over the shipped cards and variants


def run_cards() -> list[Path]:
    """Shipped run cards (those with a [run] table)."""
    return sorted(p for p in CARDS.glob("*.toml") if "run" in load_toml(p)[0])


def detector_cards() -> list[Path]:
    return sorted(p for p in CARDS.glob("*.toml") if "detector" in load_toml(p)[0])


def _variants(data: dict) -> Iterator[dict]:
    """The other branches of [alp] and [run]: width, decay range, τ modes, couplings, √s."""
    alp = data["alp"]
    if "ctau" in alp:
        d = copy.deepcopy(data)
        d["alp"]["width"] = 1e-13
        del d["alp"]["ctau"]
        yield d
        d = copy.deepcopy(data)
        d["alp"]["decay_range"] = [10.0, 1000.0]
        d["alp"]["tau_modes"] = ["e nu nu"]
        d["run"]["ctau_weights"] = [1.0, 10.0]
        d["run"]["resonance"] = "Upsilon(4S)"
        yield d
        for couplings in (
            {"g_agg": 1e-4, "g_aW": 1e-6, "c_ll": 1.0, "c_qq": 0.5, "m_chi": 0.1},
            {
                "C_WW": 1.0,
                "C_BB": 1.0,
                "C_GG": 0.1,
                "c_ee": 1.0,
                "c_mumu": 1.0,
                "c_tautau": 1.0,
                "c_uu": 0.1,
                "c_dd": 0.1,
                "c_ss": 0.1,
                "c_cc": 0.1,
                "c_bb": 0.1,
                "c_tt": 0.1,
                "c_taumu": 0.1,
                "c_taue": 0.1,
                "c_chi": 1.0,
                "Lambda": 1000.0,
            },
        ):
            d = copy.deepcopy(data)
            for k in ("ctau", "width", "decays"):
                d["alp"].pop(k, None)
            d["alp"]["couplings"] = couplings
            d["alp"]["generate"] = ["gamma gamma"]
            d["run"]["sqrt_s"] = 10.58
            yield d


def trace() -> tuple[Recorder, dict[str, list[CardLine]]]:
    """Validate every shipped card (and variants) with the recorder on."""
    rec = Recorder()
    comments: dict[str, list[CardLine]] = {}
    datas: dict[str, tuple[dict, str, Path]] = {}
    variants: list[dict] = []
    with rec.active():
        for path in detector_cards():
            rec.context = CARD_CONTEXT[path.name] = "detector"
            load_detector(path)
            comments[path.name] = card_lines(path)
        for path in run_cards():
            data, text = load_toml(path)
            name = data.get("channel", {}).get("name", "")
            datas.setdefault(name, (data, text, path))
            rec.context = CARD_CONTEXT[path.name] = name
            card_from_data(data, text, path)
            comments[path.name] = card_lines(path)
        for name, (data, text, path) in list(datas.items()):
            for variant in _variants(data):
                variants.append(variant)
                rec.context = name
                try:
                    card_from_data(variant, text, path)
                except CardError:
                    pass  # the fields read before the error are recorded all the same
        # channels without a shipped card: borrow the card of the first channel that fits
        for name in sorted(set(CHANNELS) - set(datas)):
            rec.context = name
            for data, text, path in datas.values():
                d = copy.deepcopy(data)
                d["channel"]["name"] = name
                try:
                    card_from_data(d, text, path)
                    break
                except CardError:
                    continue
    for data in [load_toml(path)[0] for path in CARDS.glob("*.toml")] + variants:
        _record_types(rec, data)
    return rec, comments


# ---------------------------------------------------------------------------------------------
# Markdown


def _fmt_number(x: float) -> str:
    if isinstance(x, float) and math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:g}"


def _range(f: FieldInfo) -> str:
    parts = []
    unit = f" {f.unit}" if f.unit else ""
    if f.lo is not None:
        bound = "another field (see the validator)" if "lo" in f.relative else _fmt_number(f.lo)
        parts.append(f"{'>' if f.lo_open else '≥'} {bound}")
    if f.hi is not None:
        bound = "another field (see the validator)" if "hi" in f.relative else _fmt_number(f.hi)
        parts.append(f"{'<' if f.hi_open else '≤'} {bound}")
    text = " and ".join(parts) + (unit if parts else "")
    if f.choices:
        text = ", ".join(f"`{json.dumps(c)}`" for c in f.choices)
    return text


def _toml(value: Any) -> str:
    """A default value as it would be written in a card."""
    if isinstance(value, float):
        return _fmt_number(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


def _default(f: FieldInfo) -> str:
    if f.default is _MISSING:
        return "required" if f.required else "if present"
    if f.default is None or (isinstance(f.default, (dict, list, tuple)) and not f.default):
        return "optional"
    if f.default == -1 and f.lo is not None and f.lo >= 0:
        return "no limit"
    return f"`{_toml(f.default)}`"


def _kind(f: FieldInfo) -> str:
    kinds = f.kinds - {"probed", "allowed"}
    if not kinds:
        return "see the module" if "allowed" in f.kinds else "read conditionally"
    if len(kinds) > 1 and "value" in kinds:
        kinds = kinds - {"value"}
    if kinds == {"value"} and f.shipped_types:
        # read as a raw value and checked by hand in the validator: name what the cards hold
        return " / ".join(sorted(f.shipped_types))
    return " / ".join(sorted(kinds))


def _toml_type(value: Any) -> str:
    if isinstance(value, list):
        inner = {_toml_type(v) for v in value}
        if inner <= {"number", "integer"}:
            return "array of numbers"
        if inner == {"string"}:
            return "array of strings"
        return "array of arrays" if inner and all(i.startswith("array") for i in inner) else "array"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else type(value).__name__


def _record_types(rec: Recorder, data: dict, prefix: str = "") -> None:
    """Note the TOML type of each value of a shipped card on the fields the validators read."""
    for key, value in data.items():
        if isinstance(value, dict):
            _record_types(rec, value, f"{prefix}.{key}" if prefix else key)
            continue
        table = normalise(prefix)
        f = rec.fields.get((table, DYNAMIC.get(table, key)))
        if f is not None:
            f.shipped_types.add(_toml_type(value))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _example(f: FieldInfo, comments: dict[str, list[CardLine]], context: str | None = None) -> str:
    """One shipped card's value and comment for this field, if any: a card of the same
    channel first (`context`), then Belle II's, then the others."""
    order = sorted(
        comments,
        key=lambda c: (CARD_CONTEXT.get(c) != context, not c.startswith("belle2"), c),
    )
    for card in order:
        lines = comments[card]
        for line in lines:
            table = normalise(line.table)
            key = DYNAMIC.get(table, line.key)
            if (table, key) == (f.table, f.key):
                text = f"`{line.value}`"
                if line.comment:
                    text += f" — {line.comment}"
                return f"{text} ({card})"
    return ""


def card_reference(rec: Recorder, comments: dict[str, list[CardLine]]) -> str:
    """The page 'Card fields' (run cards and detector cards)."""
    run_sections = ("run", "channel", "alp", "selection")
    out = [
        "# Card fields (generated)",
        "",
        "This page is generated at every documentation build by `docs/gen_card_reference.py`,",
        "which validates every card shipped in `cards/` (and variants taking the other branches)",
        "and records each field the validators read, with its type, default, allowed range and",
        "unit as the validator states them. The *example* column is a value and its comment",
        "from a shipped card. A field is listed only if a shipped card or a variant reaches the",
        "code that reads it; conditional fields are marked *read conditionally* (see the",
        "channel's `from_card`); *if present* marks a field the validator reads only when it",
        "is given. Which fields go together (e.g. `ctau` or `width` or `[alp.couplings]`) is",
        "explained in [Writing a card](../cards.md). Angles in detector cards are in degrees.",
        "A bound set by another field's value (e.g. the drift chamber outside the last silicon",
        "layer) is recognised when the shipped cards differ in that field; otherwise the bound",
        "shown is the shipped cards' common value.",
        "",
    ]
    by_table: dict[str, list[FieldInfo]] = {}
    for f in rec.fields.values():
        if "table" in f.kinds and f.kinds <= {"table", "probed", "allowed", "value"}:
            continue  # sub-tables get their own section
        by_table.setdefault(f.table, []).append(f)
    # run cards, then channel options per channel, then detector cards
    out += ["## Run cards", ""]
    for table in sorted(
        by_table,
        key=lambda t: (
            run_sections.index(t.split(".")[0]) if t.split(".")[0] in run_sections else 99,
            t,
        ),
    ):
        top = table.split(".")[0]
        if top not in run_sections:
            continue
        if table == "channel":
            out += _channel_sections(by_table[table], comments)
            continue
        out += [f"### `[{table}]`", ""]
        out += _section_table(table, by_table[table], comments)
        out += NAME_NOTES.get(table, [])
    out += ["## Detector cards", ""]
    first_seen: dict[str, int] = {}
    for i, line in enumerate(comments["belle2.toml"]):
        first_seen.setdefault(normalise(line.table), i)
    detector_tables = [t for t in by_table if t.split(".")[0] not in run_sections and t]
    for table in sorted(detector_tables, key=lambda t: (first_seen.get(t, len(first_seen)), t)):
        out += [f"### `[{table}]`", ""]
        out += _section_table(table, by_table[table], comments, "detector")
    return "\n".join(out) + "\n"


def _section_table(
    table: str,
    fields: list[FieldInfo],
    comments: dict[str, list[CardLine]],
    context: str | None = None,
) -> list[str]:
    """A declared section (alpsim/card_schema.py) from its declaration, the others as traced."""
    if table not in SCHEMA:
        return _field_table(fields, comments, context)
    return [
        "Declared in `alpsim/card_schema.py` (the validator reads these fields through it).",
        "",
        *_schema_table(SCHEMA[table], comments, context),
    ]


def _declared_default(f: Field) -> str:
    if f.needs:
        return f.needs
    if f.default_note:
        return f.default_note
    if f.default is _MISSING:
        return "required"
    if f.default is None or (isinstance(f.default, (dict, list, tuple)) and not f.default):
        return "optional"
    if isinstance(f.default, dict):
        return ", ".join(f"`{json.dumps(k)} = {_toml(v)}`" for k, v in f.default.items())
    return f"`{_toml(f.default)}`"


def _declared_range(f: Field) -> str:
    if f.choices:
        return ", ".join(f"`{json.dumps(c)}`" for c in f.choices)
    info = FieldInfo("", f.key, lo=f.lo, hi=f.hi, lo_open=f.lo_open, hi_open=f.hi_open)
    text = _range(info)
    if f.kind == "numbers":
        text = f"{f.length} entries" + (f", each {text}" if text else "")
    elif f.kind == "number list":
        text = f"at most {f.length} entries" + (f", each {text}" if text else "")
    return text


def _schema_table(
    fields: tuple[Field, ...], comments: dict[str, list[CardLine]], context: str | None = None
) -> list[str]:
    rows = [
        "| field | type | unit | default | allowed | meaning | example from a shipped card |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in fields:
        info = FieldInfo("", f.key)
        example = ""
        for table, declared in SCHEMA.items():
            if f in declared:
                info.table = table
                example = _example(info, comments, context)
        rows.append(
            f"| `{f.key}` | {KINDS[f.kind]} | {f.unit} | {_cell(_declared_default(f))} | "
            f"{_cell(_declared_range(f))} | {_cell(f.description)} | {_cell(example)} |"
        )
    return [*rows, ""]


def _field_table(
    fields: list[FieldInfo], comments: dict[str, list[CardLine]], context: str | None = None
) -> list[str]:
    rows = [
        "| field | type | default | allowed | example from a shipped card |",
        "|---|---|---|---|---|",
    ]
    for f in sorted(fields, key=lambda f: (not f.required, f.key.lower())):
        rows.append(
            f"| `{f.key}` | {_kind(f)} | {_default(f)} | {_cell(_range(f))} | "
            f"{_cell(_example(f, comments, context))} |"
        )
    return [*rows, ""]


def _channel_sections(fields: list[FieldInfo], comments: dict[str, list[CardLine]]) -> list[str]:
    out = [
        "### `[channel]`",
        "",
        "`name` chooses the production channel; the other keys are the channel's options,",
        "read by its `from_card` (generator/channels/). Options per channel:",
        "",
    ]
    names = sorted(CHANNELS)
    name_field = next((f for f in fields if f.key == "name"), None)
    if name_field is not None:
        out += _field_table([name_field], comments)
    for name in names:
        mine = [f for f in fields if f.key != "name" and name in f.contexts]
        module = (
            CHANNELS[name].__module__.replace("alpsim.generator", "generator").replace(".", "/")
        )
        out += [f"#### `{name}`", "", f"Read by `{module}.py`.", ""]
        out += _field_table(mine, comments, name) if mine else ["No options.", ""]
    return out


#: Source tags of the detector cards' comments, in the order the pages list them.
SOURCE_TAGS = ("paper", "page", "code", "calc", "derived", "acc", "choice", "digi", "unverified")
_TAG = re.compile(r"\[(" + "|".join(SOURCE_TAGS) + r")\]")


def source_tags(text: str) -> list[str]:
    """The source tags ([paper], [code], ..., [unverified]) written in a card comment."""
    return sorted(set(_TAG.findall(text)), key=SOURCE_TAGS.index)


def tagged_values(comments: list[CardLine]) -> list[tuple[CardLine, list[str], bool]]:
    """Each value of a card with its source tags: those of its own comment, or else those of
    the nearest comment above it in the same table (the note of a group of values or of the
    table), flagged `inherited`."""
    out = []
    table, note_tags = None, []
    for line in comments:
        if line.table != table:
            table, note_tags = line.table, []
        if line.notes:
            note_tags = source_tags(" ".join(line.notes)) or note_tags
        own = source_tags(line.comment)
        out.append((line, own or note_tags, not own and bool(note_tags)))
    return out


def _tag_cell(tags: list[str], inherited: bool) -> str:
    if not tags:
        return "—"
    text = ", ".join(tags)
    return f"{text} (note above)" if inherited else text


def _tag_summary(values: list[tuple[CardLine, list[str], bool]]) -> list[str]:
    """Per table: how many values carry each tag (own or from the note above), and none."""
    rows = [
        "| table | values | " + " | ".join(f"[{t}]" for t in SOURCE_TAGS) + " | no tag |",
        "|---" * (len(SOURCE_TAGS) + 3) + "|",
    ]
    tables: dict[str, list[list[str]]] = {}
    for line, tags, _ in values:
        tables.setdefault(line.table, []).append(tags)
    for table, tag_lists in [*tables.items(), ("all", [tags for _, tags, _ in values])]:
        counts = [str(sum(t in tags for tags in tag_lists)) for t in SOURCE_TAGS]
        none = sum(not tags for tags in tag_lists)
        name = "**all**" if table == "all" else f"`[{table}]`"
        rows.append(f"| {name} | {len(tag_lists)} | {' | '.join(counts)} | {none} |")
    return [*rows, ""]


def detector_page(card: Path, comments: list[CardLine]) -> str:
    """One experiment's detector model: every number of its card with the card's comments
    and the source tag of each value, and a count of the tags per table."""
    data, _ = load_toml(card)
    name = data["detector"]["name"]
    out = [
        f"# {name} (`cards/{card.name}`, generated)",
        "",
        f"Every value of the detector card `cards/{card.name}` with the comment written next to",
        "it in the card: its source and a tag (*[paper]* read in the source, *[page]* read on a",
        "public web page, *[code]* read in public code such as basf2, *[calc]*/*[derived]*",
        "computed from tagged inputs, *[acc]* acceptance geometry, *[choice]* a modelling or",
        "analysis choice, *[digi]* digitised from a figure, *[unverified]* still to be checked).",
        "A value without a tag of its own takes the tag of the comment above it (marked *note",
        "above*); a value may carry several tags, so a row of the table below can count one",
        "value in more than one column. Generated from the card at every build: edit the card,",
        "not this page. Field meanings are in [Card fields](card-fields.md#detector-cards).",
        "",
    ]
    head = []
    for line in card.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        head.append(line.lstrip("# ").rstrip())
    if head:
        out += [" ".join(head), ""]
    values = tagged_values(comments)
    out += ["## Sources at a glance", "", *_tag_summary(values)]
    table = None
    for line, tags, inherited in values:
        if line.table != table:
            table = line.table
            out += ["", f"## `[{table}]`", ""]
            if line.notes:
                out += ["> " + " ".join(line.notes), ""]
            out += ["| field | value | tag | source and note |", "|---|---|---|---|"]
        elif line.notes:
            note = " ".join(line.notes)
            out.append(f"| | | | *{_cell(note)}* |")
        out.append(
            f"| `{line.key}` | `{_cell(line.value)}` | {_tag_cell(tags, inherited)} | "
            f"{_cell(line.comment)} |"
        )
    return "\n".join(out) + "\n"


def schema_drift(rec: Recorder, schema: dict[str, tuple[Field, ...]] | None = None) -> list[str]:
    """Disagreements between the declared sections (alpsim/card_schema.py) and what the
    validators read while `trace` ran: a field read but not declared, a declared field never
    read, or a field read with other bounds, unit or choices than declared (a validator that
    bypasses `Field.read`). Empty when the declaration is the validator's."""
    schema = SCHEMA if schema is None else schema
    problems = []
    for table, fields in schema.items():
        declared = {f.key: f for f in fields}
        read = {
            k: f
            for (t, k), f in rec.fields.items()
            if t == table and f.kinds - {"probed", "allowed"}
        }
        for key in sorted(set(read) - set(declared)):
            problems.append(f"[{table}] {key}: read by the validator, not declared")
        for key in sorted(set(declared) - set(read)):
            problems.append(f"[{table}] {key}: declared, never read by the validator")
        for key in sorted(set(read) & set(declared)):
            f, d = read[key], declared[key]
            for attr in ("lo", "hi", "unit"):
                want = getattr(d, attr) if attr != "unit" or d.kind != "boolean" else ""
                got = getattr(f, attr)
                if d.kind in ("number list", "string list", "table"):
                    continue  # read as a raw value: the bounds are checked in Field.read
                if got != want and not (attr == "unit" and d.kind == "string"):
                    problems.append(f"[{table}] {key}: {attr} read as {got!r}, declared {want!r}")
            kind = {"numbers": f"array of {d.length} numbers", "number list": "value",
                    "string list": "value"}.get(d.kind, d.kind)  # fmt: skip
            if kind not in f.kinds:
                problems.append(f"[{table}] {key}: read as {sorted(f.kinds)}, declared {kind}")
            if d.choices and d.kind == "string" and tuple(f.choices) != tuple(d.choices):
                problems.append(f"[{table}] {key}: choices read as {f.choices}, declared")
    return problems


def pages() -> dict[str, str]:
    """All generated pages: {path relative to docs/: markdown}."""
    rec, comments = trace()
    result = {"reference/card-fields.md": card_reference(rec, comments)}
    for card in detector_cards():
        result[f"reference/detector-{card.stem}.md"] = detector_page(card, comments[card.name])
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: python {argv[0]} OUTDIR", file=sys.stderr)
        return 2
    outdir = Path(argv[1])
    for rel, text in pages().items():
        target = outdir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
