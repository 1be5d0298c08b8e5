"""Every number of the Belle II, BaBar, BESIII and Belle detector cards names its source
(issues 17 and 18).

Rules checked on the card text (the sources live in comments, which the TOML parser drops):
- every numeric field carries a source tag, on its own line or on the nearest tagged comment line
  above it in the same paragraph (a table header's comment counts for the fields below it; another
  field's tag does not);
- every card opens with a "Remains unverified" list (``#   section: field, field``; ``*`` for a
  whole table; material layers by name), and that list names exactly the fields whose tag is
  [unverified]: a field sourced later must leave the list, a new unsourced field must join it.
"""

import re
from dataclasses import dataclass

import pytest

from .conftest import CARDS

DETECTOR_CARDS = ("belle2", "babar", "bes3", "belle")
TAG = re.compile(r"\[(paper|page|code|calc|derived|acc|choice|unverified)\b")
HEADER = re.compile(r"^\s*\[([A-Za-z0-9_.\"-]+)\]\s*(#.*)?$")
ASSIGN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*|\"[^\"]+\")\s*=\s*(.*)$")
NUMBER_START = re.compile(r"^[-+]?(\d|\.\d|\[\s*[-+\d.\[])")
LAYER_NAME = re.compile(r"name\s*=\s*\"([^\"]+)\"")


@dataclass(frozen=True)
class Field:
    section: str
    key: str
    line: int
    tags: tuple[str, ...]  # the governing tags ("" if none)


def _split_comment(line: str) -> tuple[str, str]:
    """Code and comment parts of a TOML line (a '#' inside a string does not start a comment)."""
    in_str = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_str = not in_str
        elif ch == "#" and not in_str:
            return line[:i], line[i:]
    return line, ""


def numeric_fields(text: str) -> list[Field]:
    """The numeric fields of a card with the source tags that govern them."""
    fields: list[Field] = []
    section, governing, in_layers = "", (), False
    for n, line in enumerate(text.splitlines(), 1):
        code, _ = _split_comment(line)
        tags = tuple(TAG.findall(line))
        if not line.strip():
            governing = ()
            continue
        if in_layers:
            if code.strip().startswith("]"):
                in_layers = False
            elif code.strip().startswith("{"):
                name = LAYER_NAME.search(code)
                fields.append(Field(section, f"layers[{name.group(1) if name else '?'}]", n, tags))
            elif tags:
                governing = tags
            continue
        head = HEADER.match(line)
        if head:
            section, governing = head.group(1), tags
            continue
        if not code.strip():  # a comment line
            if tags:
                governing = tags
            continue
        m = ASSIGN.match(code)
        if not m:
            continue
        key, value = m.group(1).strip('"'), m.group(2).strip()
        if key == "layers" and value.startswith("[") and not value.endswith("]"):
            in_layers = True
            continue
        if NUMBER_START.match(value):
            fields.append(Field(section, key, n, tags or governing))
    return fields


def unverified_list(text: str) -> dict[str, str]:
    """The card's "Remains unverified" block: section -> the text of its entry."""
    lines = text.splitlines()
    start = next((i for i, s in enumerate(lines) if s.startswith("# Remains unverified")), None)
    if start is None:
        return {}
    entries: dict[str, str] = {}
    current = None
    for s in lines[start + 1 :]:
        if not s.startswith("#   "):
            break
        body = s[4:]
        m = re.match(r"^([A-Za-z0-9_.]+):\s*(.*)$", body)
        if m and not body.startswith(" "):
            current = m.group(1)
            entries[current] = entries.get(current, "") + " " + m.group(2)
        elif current is not None:
            entries[current] += " " + body.strip()
    return entries


def _listed(entries: dict[str, str], f: Field) -> bool:
    entry = entries.get(f.section)
    if entry is None:
        return False
    if entry.strip() == "*":
        return True
    if f.key.startswith("layers["):
        return f.key[7:-1] in entry
    return f.key in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", entry)


def problems(text: str) -> list[str]:
    """Everything wrong with a card's source tags and its list of what remains unverified."""
    out = []
    fields = numeric_fields(text)
    entries = unverified_list(text)
    if not entries:
        out.append('no "# Remains unverified" list at the top')
    for f in fields:
        if not f.tags:
            out.append(f"line {f.line}: {f.section}.{f.key} has no source tag")
        elif "unverified" in f.tags and not _listed(entries, f):
            out.append(f"line {f.line}: {f.section}.{f.key} is [unverified] but not in the list")
    unverified = {(f.section, f.key) for f in fields if "unverified" in f.tags}
    for section, entry in entries.items():
        if entry.strip() == "*":
            if not any(s == section for s, _ in unverified):
                out.append(f"list names {section}: * but nothing there is [unverified]")
            continue
        if section == "material":
            continue
        for key in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", entry):
            if (section, key) not in unverified:
                out.append(f"list names {section}.{key}, which is not an [unverified] field")
    return out


@pytest.mark.parametrize("name", DETECTOR_CARDS)
def test_every_number_is_sourced_and_the_unverified_list_is_exact(name):
    text = (CARDS / f"{name}.toml").read_text()
    assert len(numeric_fields(text)) > 80  # the parser sees the card's fields
    assert problems(text) == []


def test_checker_catches_an_untagged_number_and_a_stale_list():
    card = """# Remains unverified (section: fields)
#   tracking: min_pt, efficiency

[tracking]
min_pt = 0.05                     # GeV [unverified]
efficiency = 0.98                 # plateau (NIM A 479) [paper]
drift_layers = 40
"""
    found = problems(card)
    assert any("drift_layers has no source tag" in p for p in found)
    assert any("tracking.efficiency, which is not an [unverified]" in p for p in found)
    assert not any("min_pt" in p for p in found)


def test_checker_reads_governing_tags_and_layers():
    card = """# Remains unverified (section: fields)
#   trigger.two_track: *
#   material: layers (beam pipe)

[trigger.two_track]               # [unverified]
tracks = 2
track_pt = 0.18

[material]
layers = [
  { name = "beam pipe", radius = 27.8, source = "as remembered [unverified]" },
  { name = "DCH inner wall", radius = 236.0, source = "DchSimGeom [page]" },
  { name = "DIRC", radius = 840.0, source = "as remembered [unverified]" },
]
"""
    found = problems(card)
    assert found == ["line 13: material.layers[DIRC] is [unverified] but not in the list"]
