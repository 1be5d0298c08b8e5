"""Generate the card reference pages of the user guide from the declared card schema.

Every section of a run card and of a detector card is declared field by field (type, unit,
allowed range or values, monotonic tables, ordered layers, default, meaning): the run card's
in `alpsim/card_schema.py`, [selection] in `alpsim/selection.py`, each channel's options in its
module (`OPTIONS`), [beams] in `generator/beams.py` and the detector card's sections in
`detector/card_fields.py`. The validators read every field through `Field.read`, and this
script prints those declarations, so the page and the validators cannot disagree.

`trace` validates every shipped card (and variants taking the other branches: width instead
of cτ, forced decay range, couplings, each channel) while recording each `Field.read` and every
Table read that bypasses a declaration; `schema_drift` turns that record into the problems
tests/test_docs.py fails on: a field of a shipped card that is not declared, a declared field
that no validator reads, a field read without (or with another) declaration.

Run `python docs/gen_card_reference.py OUTDIR` to write the pages; the mkdocs hook
(`docs/hooks.py`) calls `pages()` during every build.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from alpsim import toml_fields
from alpsim.card import card_from_data
from alpsim.card_schema import CHANNEL_OPTIONS, SCHEMA
from alpsim.detector.config import EFFICIENCY_MODEL_KEYS, load_detector
from alpsim.generator.alp_decays import SUPPORTED
from alpsim.generator.channels import CHANNELS
from alpsim.generator.tau_decays import TAU_MODES
from alpsim.toml_fields import KINDS, CardError, Field, Table, load_toml

#: The cards shipped with the installed package (= cards/ of the checkout it was installed from).
CARDS = Path(str(files("alpsim.cards")))
#: card file name -> channel name (run cards) or "detector"; filled by `trace`.
CARD_CONTEXT: dict[str, str] = {}
RUN, DETECTOR = "run card", "detector card"
_MISSING = toml_fields._MISSING

#: Names the validators accept, shown under the section they belong to.
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


def _split_path(path: str) -> list[str]:
    return re.findall(r'"[^"]*"|[^.]+', path) if path else []


def normalise(path: str, kind: str) -> str:
    """Dotted section path of a table, with author-chosen names replaced by the placeholder
    their parent section declares (`trigger.hie` -> `trigger.<line>`) and array indices of an
    array of tables dropped (`material.layers[2]` -> `material.layers`)."""
    schema = SCHEMA[kind]
    out: list[str] = []
    for part in _split_path(path):
        part = re.sub(r"\[\d+\]$", "", part.strip('"'))
        parent = ".".join(out)
        holder = next((f.key for f in schema.get(parent, ()) if f.placeholder
                       and f.kind == "table"), None)  # fmt: skip
        out.append(holder or part)
    return ".".join(out)


def declared(kind: str, section: str, context: str = "") -> dict[str, Field]:
    """The fields declared for a section; [channel] adds the options of channel `context`."""
    fields = list(SCHEMA[kind].get(section, ()))
    if kind == RUN and section == "channel":
        fields += CHANNEL_OPTIONS.get(context, ())
    return {f.key: f for f in fields}


def key_of(fields: dict[str, Field], key: str) -> str:
    """The declared key a card key stands for: itself, or the section's placeholder."""
    if key in fields:
        return key
    return next((k for k, f in fields.items() if f.placeholder), key)


@cache
def card_kind(source: str | None) -> str:
    """Which kind of card a table comes from (a detector card has a [detector] table)."""
    try:
        return DETECTOR if source and "detector" in load_toml(source)[0] else RUN
    except CardError:
        return RUN


@dataclass
class Recorder:
    """What the validators read while `trace` runs: each declared field read through
    `Field.read` (with the Field object used) and every Table read outside it (a bypass)."""

    reads: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    used: dict[tuple[str, str, str, str], dict[int, Field]] = field(default_factory=dict)
    bypass: set[tuple[str, str, str, str]] = field(default_factory=set)
    context: str = ""
    _depth: int = 0

    @contextmanager
    def active(self) -> Iterator[Recorder]:
        """Patch Field.read and Table's readers to record every call."""
        rec = self
        names = ("number", "string", "boolean", "numbers", "table", "raw")
        originals = {name: getattr(Table, name) for name in names}
        original_read = Field.read

        def read(f: Field, t: Table, key: str | None = None, **given: Any) -> Any:
            kind = card_kind(t.source)
            where = (kind, normalise(t.path, kind), f.key)
            rec.reads.setdefault(where, set()).add(rec.context)
            rec.used.setdefault((*where, rec.context), {})[id(f)] = f
            rec._depth += 1
            try:
                return original_read(f, t, key, **given)
            finally:
                rec._depth -= 1

        def wrap(name: str, fn: Any) -> Any:
            def wrapper(t: Table, key: str, *args: Any, **kwargs: Any) -> Any:
                if rec._depth == 0:
                    kind = card_kind(t.source)
                    rec.bypass.add((kind, normalise(t.path, kind), key, name))
                return fn(t, key, *args, **kwargs)

            return wrapper

        try:
            Field.read = read  # type: ignore[method-assign]
            for name, fn in originals.items():
                setattr(Table, name, wrap(name, fn))
            yield self
        finally:
            Field.read = original_read  # type: ignore[method-assign]
            for name, fn in originals.items():
                setattr(Table, name, fn)


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


#: [channel] options a model-independent ALP needs, per channel (variants of coupling cards).
_MODEL_INDEPENDENT = {
    "e+ e- -> gamma a": {"g_agg": 1e-4},
    "e+ e- -> mu+ mu- a": {"c_mumu": 1.0, "Lambda": 1000.0},
}


#: the displaced-track models of [tracking], each with its own keys (detector/config.py)
_TRACKING_MODELS = {
    "layers": 'efficiency_model = "layers"\nfull_efficiency_drift_hits = 20\n',
    "table": 'efficiency_model = "table"\nefficiency_radii = [0.0, 140.0]\n'
    "efficiency_table = [0.98, 0.0]\n",
    "impact": 'efficiency_model = "impact"\nefficiency_radii = [0.0, 140.0]\n'
    "efficiency_table = [0.98, 0.0]\nglobal_max_d0 = 50.0\nlocal_efficiency = 0.1\n",
}
_MODEL_KEY_LINE = re.compile(
    r"(?m)^("
    + "|".join(sorted({"efficiency_model", *itertools.chain(*EFFICIENCY_MODEL_KEYS.values())}))
    + r")\s*=.*\n"
)


def _detector_variants(path: Path) -> Iterator[Path]:
    """The detector card with each displaced-track model in turn (temporary files), so
    that the keys of the models no shipped card uses are traced too."""
    text = _MODEL_KEY_LINE.sub("", path.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        for model, lines in _TRACKING_MODELS.items():
            out = Path(tmp) / f"{model}_{path.name}"
            out.write_text(text.replace("[tracking]\n", f"[tracking]\n{lines}", 1))
            yield out


def _variants(data: dict) -> Iterator[dict]:
    """The other branches of [alp] and [run]: width, decay range, τ modes, couplings, √s."""
    alp = data["alp"]
    if "ctau" in alp:
        d = copy.deepcopy(data)
        d["alp"]["width"] = 1e-13
        del d["alp"]["ctau"]
        d.setdefault("selection", {})["mass_window"] = {
            "column": "a_M",
            "masses": [0.5, 2.0],
            "half_widths": [0.02, 0.04],
        }
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

    if "couplings" in alp:
        d = copy.deepcopy(data)
        d["alp"] = {"mass": alp["mass"], "ctau": 1.0, "decays": {"gamma gamma": 1.0}}
        name = d["channel"]["name"]
        d["channel"] = {"name": name, **_MODEL_INDEPENDENT.get(name, {"branching_fraction": 1e-6})}
        yield d


def trace() -> tuple[Recorder, dict[str, list[CardLine]]]:
    """Validate every shipped card (and variants) with the recorder on."""
    rec = Recorder()
    comments: dict[str, list[CardLine]] = {}
    datas: dict[str, tuple[dict, str, Path]] = {}
    with rec.active():
        for path in detector_cards():
            rec.context = CARD_CONTEXT[path.name] = "detector"
            load_detector(path)
            comments[path.name] = card_lines(path)
            for variant in _detector_variants(path):
                load_detector(variant)
        for path in run_cards():
            data, text = load_toml(path)
            name = data.get("channel", {}).get("name", "")
            datas.setdefault(name, (data, text, path))
            rec.context = CARD_CONTEXT[path.name] = name
            card_from_data(data, text, path)
            comments[path.name] = card_lines(path)
            for variant in _variants(data):
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
    return rec, comments


def card_fields(data: dict, kind: str, prefix: str = "") -> set[tuple[str, str]]:
    """(section, declared key) of every field of a parsed card, sub-tables and arrays of tables
    included, author-chosen names replaced by the placeholders (undeclared keys kept as
    they are). [channel] options are checked per channel by `schema_drift`."""
    section = normalise(prefix, kind)
    context = data.get("name", "") if section == "channel" else ""
    fields = declared(kind, section, str(context))
    out = set()
    for key, value in data.items():
        out.add((section, key_of(fields, key)))
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out |= card_fields(value, kind, path)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, entry in enumerate(value):
                out |= card_fields(entry, kind, f"{path}[{i}]")
    return out


def schema_drift(
    rec: Recorder,
    schema: dict[str, dict[str, tuple[Field, ...]]] | None = None,
    cards: list[Path] | None = None,
) -> list[str]:
    """Disagreements between the declared schema and the validators or the shipped cards: a
    field of a card that is not declared, a declared field never read, a field the validator
    reads without its declaration (a Table call outside Field.read, or a Field that is not
    the declared one). Empty when the schema, the validators and the cards agree."""
    schema = SCHEMA if schema is None else schema
    problems = []

    def fields_of(kind: str, section: str, context: str) -> dict[str, Field]:
        out = {f.key: f for f in schema[kind].get(section, ())}
        if kind == RUN and section == "channel":
            out.update({f.key: f for f in CHANNEL_OPTIONS.get(context, ())})
        return out

    for kind, section, key, method in sorted(rec.bypass):
        problems.append(f"[{section}] {key}: read by the validator without its declaration "
                        f"(Table.{method} in a {kind})")  # fmt: skip
    for (kind, section, key), contexts in sorted(rec.reads.items()):
        for context in sorted(contexts):
            d = fields_of(kind, section, context)
            if key not in d:
                problems.append(f"[{section}] {key}: read by the validator, not declared")
                break
            other = [f for f in rec.used[kind, section, key, context].values() if f != d[key]]
            if other:
                diff = sorted(n for n in Field.__dataclass_fields__
                              for f in other if getattr(f, n) != getattr(d[key], n))  # fmt: skip
                problems.append(f"[{section}] {key}: read with another declaration "
                                f"({', '.join(dict.fromkeys(diff))} differ)")  # fmt: skip
                break
    for kind, sections in schema.items():
        for section, fields in sections.items():
            for f in fields:
                if (kind, section, f.key) not in rec.reads:
                    problems.append(f"[{section}] {f.key}: declared, never read by the validator")
    for name, options in CHANNEL_OPTIONS.items():
        for f in options:
            if name not in rec.reads.get((RUN, "channel", f.key), set()):
                problems.append(f"[channel] {f.key} of {name!r}: declared, never read")
    for path in sorted(CARDS.glob("*.toml")) if cards is None else cards:
        data, _ = load_toml(path)
        kind = DETECTOR if "detector" in data else RUN
        channel = str(data.get("channel", {}).get("name", ""))
        for section, key in sorted(card_fields(data, kind)):
            if key not in fields_of(kind, section, channel):
                problems.append(f"{path.name}: [{section}] {key}: in the card, not declared")
    return problems


# ---------------------------------------------------------------------------------------------
# Markdown


def _fmt_number(x: float) -> str:
    if isinstance(x, float) and math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:g}"


def _toml(value: Any) -> str:
    """A default value as it would be written in a card."""
    if isinstance(value, float):
        return _fmt_number(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _example(kind: str, section: str, key: str, comments: dict[str, list[CardLine]],
             context: str | None = None) -> str:  # fmt: skip
    """One shipped card's value and comment for this field, if any: a card of the same
    channel first (`context`), then Belle II's, then the others."""
    order = sorted(
        comments,
        key=lambda c: (CARD_CONTEXT.get(c) != context, not c.startswith("belle2"), c),
    )
    for card in order:
        if (CARD_CONTEXT.get(card) == "detector") != (kind == DETECTOR):
            continue
        for line in comments[card]:
            table = normalise(line.table, kind)
            fields = declared(kind, table, CARD_CONTEXT.get(card, ""))
            if (table, key_of(fields, line.key)) == (section, key):
                value = line.value if len(line.value) <= 80 else line.value[:77] + "..."
                text = f"`{value}`"
                if line.comment:
                    text += f" — {line.comment}"
                return f"{text} ({card})"
    return ""


def _declared_default(f: Field) -> str:
    if f.placeholder:
        return "one entry per name"
    if f.needs:
        return f.needs
    if f.default_ref:
        return f.default_ref
    if f.default_note:
        return f.default_note
    if f.default is _MISSING:
        return "required"
    if f.default is None or (isinstance(f.default, (dict, list, tuple)) and not f.default):
        return "optional"
    if isinstance(f.default, dict):
        return ", ".join(f"`{json.dumps(k)} = {_toml(v)}`" for k, v in f.default.items())
    return f"`{_toml(f.default)}`"


def _bounds(f: Field) -> str:
    unit = f" {f.unit}" if f.unit else ""
    parts = []
    if f.lo is not None or f.lo_ref:
        parts.append(f"{'>' if f.lo_open else '≥'} {f.lo_ref or _fmt_number(f.lo)}")
    if f.hi is not None or f.hi_ref:
        parts.append(f"{'<' if f.hi_open else '≤'} {f.hi_ref or _fmt_number(f.hi)}")
    return " and ".join(parts) + (unit if parts else "")


def _declared_range(f: Field) -> str:
    """What the validator accepts, in words: choices, bounds and the array constraints."""
    if f.choices or f.choices_ref:
        text = f.choices_ref or ", ".join(f"`{json.dumps(c)}`" for c in f.choices)
        return f"each one of {text}" if f.kind == "string list" else text
    bounds = _bounds(f)
    if f.kind == "numbers":
        return f"{f.length} entries" + (f", each {bounds}" if bounds else "")
    if f.kind == "number list":
        n = {0: "any number of entries", 1: "non-empty"}.get(
            f.min_length, f"at least {f.min_length} entries"
        )
        n += f", at most {f.length}" if f.length else ""
        order = ", strictly increasing" if f.increasing else ""
        return n + (f", each {bounds}" if bounds else "") + order
    if f.kind == "interval":
        lo = f"{_fmt_number(f.lo)} ≤ " if f.lo is not None else ""
        hi = f" ≤ {_fmt_number(f.hi)}" if f.hi is not None else ""
        inf = "" if f.finite else " (±inf allowed)"
        unit = f" {f.unit}" if f.unit else ""
        return f"{lo}low {'<' if f.strict else '≤'} high{hi}{unit}{inf}"
    if f.kind == "rows":
        total = f", each row summing to {_fmt_number(f.row_sum)}" if f.row_sum is not None else ""
        return f"one row per momentum bin of {f.length} numbers {bounds}{total}"
    if f.kind == "table list":
        return f"non-empty; entries in increasing {f.order_key}" if f.order_key else "non-empty"
    return bounds


def _schema_table(
    kind: str,
    section: str,
    fields: tuple[Field, ...],
    comments: dict[str, list[CardLine]],
    context: str | None = None,
) -> list[str]:
    rows = [
        "| field | type | unit | default | allowed | meaning | example from a shipped card |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in fields:
        example = _example(kind, section, f.key, comments, context)
        rows.append(
            f"| `{f.key}` | {KINDS[f.kind]} | {f.unit} | {_cell(_declared_default(f))} | "
            f"{_cell(_declared_range(f))} | {_cell(f.description)} | {_cell(example)} |"
        )
    return [*rows, ""]


def _title(section: str, kind: str) -> str:
    return f"### `[{section}]`" if section else f"### Top level of a {kind}"


def _channel_sections(comments: dict[str, list[CardLine]]) -> list[str]:
    out = [
        _title("channel", RUN),
        "",
        "`name` chooses the production channel; the other keys are the channel's options,",
        "declared in its module (`OPTIONS`) and read by its `from_card` (generator/channels/).",
        "",
        *_schema_table(RUN, "channel", SCHEMA[RUN]["channel"], comments),
    ]
    for name in sorted(CHANNELS):
        module = (
            CHANNELS[name].__module__.replace("alpsim.generator", "generator").replace(".", "/")
        )
        out += [f"#### `{name}`", "", f"Read by `{module}.py`.", ""]
        options = CHANNEL_OPTIONS[name]
        out += (
            _schema_table(RUN, "channel", options, comments, name)
            if options
            else ["No options.", ""]
        )
    return out


def card_reference(comments: dict[str, list[CardLine]]) -> str:
    """The page 'Card fields' (run cards and detector cards), printed from the schema."""
    out = [
        "# Card fields (generated)",
        "",
        "This page is generated at every documentation build by `docs/gen_card_reference.py`",
        "from the declared card schema (`alpsim/card_schema.py`, `detector/card_fields.py`, the",
        "channels' `OPTIONS`, `[beams]` in `generator/beams.py`, `[selection]` in",
        "`alpsim/selection.py`). The validators read every field through that declaration, so",
        "the type, unit, default and allowed values below are the ones a card is checked",
        "against; a bad value is reported with the field, the value and the allowed range.",
        "The *example* column is a value and its comment from a shipped card. A key in angle",
        "brackets (`<line>`) stands for names the card author chooses; a bound or default",
        "written as a field name is that field's value in the same card. Which fields go",
        "together (e.g. `ctau` or `width` or `[alp.couplings]`) is explained in",
        "[Writing a card](../cards.md). Angles in detector cards are in degrees.",
        "",
        "## Run cards",
        "",
    ]
    for section, fields in SCHEMA[RUN].items():
        if section == "channel":
            out += _channel_sections(comments)
            continue
        out += [_title(section, RUN), "", *_schema_table(RUN, section, fields, comments)]
        out += NAME_NOTES.get(section, [])
    out += ["## Detector cards", ""]
    for section, fields in SCHEMA[DETECTOR].items():
        out += [_title(section, DETECTOR), ""]
        out += _schema_table(DETECTOR, section, fields, comments, "detector")
    return "\n".join(out) + "\n"


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


def pages() -> dict[str, str]:
    """All generated pages: {path relative to docs/: markdown}."""
    _, comments = trace()
    result = {"reference/card-fields.md": card_reference(comments)}
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
