"""The user guide: the generated card reference covers the schema, and `mkdocs build --strict`
passes offline and fails on a broken link or anchor.

The build tests are skipped only when mkdocs is not installed (docs/requirements.txt).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alpsim.card import COUPLING_KEYS, COUPLING_SHORTCUTS
from alpsim.detector.config import TriggerLine
from alpsim.generator.channels import CHANNELS
from alpsim.toml_fields import load_toml

from .conftest import CARDS, REPO

sys.path.insert(0, str(REPO / "docs"))
import gen_card_reference as gen


@pytest.fixture(scope="module")
def traced():
    return gen.trace()


def _toml_fields(data: dict, prefix: str = "") -> set[tuple[str, str]]:
    """(table, key) of every leaf of a parsed card, as the detector pages show them."""
    out = set()
    for key, value in data.items():
        if isinstance(value, dict):
            out |= _toml_fields(value, f"{prefix}.{key}" if prefix else key)
        else:
            out.add((prefix, key))
    return out


def _card_kind(data: dict) -> str:
    return gen.DETECTOR if "detector" in data else gen.RUN


def test_reference_lists_every_field_of_every_shipped_card(traced):
    """Every section and field of every shipped card (arrays of tables and author-chosen
    names included) has its row on the page."""
    _, comments = traced
    page = gen.card_reference(comments)
    for path in sorted(CARDS.glob("*.toml")):
        data, _ = load_toml(path)
        for section, key in gen.card_fields(data, _card_kind(data)):
            if section:
                assert f"### `[{section}]`" in page, (path.name, section)
            assert f"| `{key}` |" in page, (path.name, section, key)


def test_reference_lists_schema_names_from_the_code():
    from alpsim.card_schema import CHANNEL_OPTIONS, SCHEMA

    keys = {f.key for f in SCHEMA[gen.RUN]["alp.couplings"]}
    assert {*COUPLING_KEYS, *COUPLING_SHORTCUTS, "Lambda", "m_chi"} <= keys
    trigger = {f.key for f in SCHEMA[gen.DETECTOR]["trigger.<line>"]}
    assert {f.name for f in dataclasses.fields(TriggerLine)} - {"name"} == trigger
    assert set(CHANNEL_OPTIONS) == set(CHANNELS)


def test_reference_states_validator_ranges(traced):
    _, comments = traced
    page = gen.card_reference(comments)
    # alp.mass: lower bound and unit as alpsim/card_schema.py declares them (MIN_ALP_MASS)
    assert "| `mass` | number | GeV | required | ≥ 0.0001 GeV |" in page
    assert "| `chunk_size` | integer |  | `40000` | ≥ 1 and ≤ 1e+07 |" in page
    assert "| `e_minus_angle` | number | mrad | `0` | ≥ 0 and ≤ 200 mrad |" in page  # [beams]
    assert '`"lab"`, `"cms"`' in page  # trigger cluster_frame choices
    # detector cards: monotonic tables, bounds set by another field, ordered layers, matrices
    assert "non-empty, each > beam_pipe_radius mm, strictly increasing" in page
    assert "| `min_layers` | integer |  | required | ≥ 1 and ≤ layers |" in page
    assert "non-empty; entries in increasing radius" in page
    assert "one row per momentum bin of 5 numbers ≥ 0, each row summing to 1" in page
    assert (
        "| `<region>` | [low, high] | deg | one entry per name | 0 ≤ low < high ≤ 180 deg |" in page
    )


def test_declared_sections_are_what_the_validators_read(traced):
    """Every section of both kinds of card: the validators read every declared field, through
    its declaration and nothing else, and every field of every shipped card is declared; the
    page prints each declaration."""
    from alpsim.card_schema import CHANNEL_OPTIONS, SCHEMA

    rec, comments = traced
    assert gen.schema_drift(rec) == []
    page = gen.card_reference(comments)
    for kind, sections in SCHEMA.items():
        for section, fields in sections.items():
            assert gen._title(section, kind) in page
            for f in fields:
                assert f"| `{f.key}` |" in page and gen._cell(f.description) in page, (kind, f)
    for name, options in CHANNEL_OPTIONS.items():
        assert f"#### `{name}`" in page
        assert all(gen._cell(f.description) in page for f in options), name


def test_schema_drift_is_detected(traced, tmp_path):
    """The drift check fails for a declared field no validator reads, a read field that is not
    declared, a field read with another declaration, a validator reading a Table directly and
    a card field (run or detector card, a channel's option) that is not declared."""
    from alpsim.card_schema import SCHEMA
    from alpsim.toml_fields import Field, Table

    rec, _ = traced
    run = tuple(f for f in SCHEMA[gen.RUN]["run"] if f.key != "seed")
    run += (Field("no_such_field", "number", "x"),)
    run = tuple(dataclasses.replace(f, hi=10) if f.key == "events" else f for f in run)
    tracking = tuple(f for f in SCHEMA[gen.DETECTOR]["tracking"] if f.key != "silicon_radii")
    schema = {
        gen.RUN: {**SCHEMA[gen.RUN], "run": run},
        gen.DETECTOR: {**SCHEMA[gen.DETECTOR], "tracking": tracking},
    }
    problems = gen.schema_drift(rec, schema, cards=[])
    assert "[run] seed: read by the validator, not declared" in problems
    assert "[run] no_such_field: declared, never read by the validator" in problems
    assert "[run] events: read with another declaration (hi differ)" in problems
    assert "[tracking] silicon_radii: read by the validator, not declared" in problems

    bypass = gen.Recorder()
    with bypass.active():
        Table({"min_pt": 0.1}, "tracking").number("min_pt", lo=0.0)
    assert (
        "[tracking] min_pt: read by the validator without its declaration (Table.number "
        "in a run card)" in gen.schema_drift(bypass, cards=[])
    )

    detector = tmp_path / "det.toml"
    text = (CARDS / "belle2.toml").read_text()
    detector.write_text(text.replace("[tracking]\n", "[tracking]\nhit_efficiency = 0.9\n", 1)
                        + "\n[magnet]\ncurrent = 1.0\n")  # fmt: skip
    run_card = tmp_path / "run.toml"
    run_card.write_text((CARDS / "belle2_b2ka_gg.toml").read_text() + "\n[selection]\nveto = 1\n")
    text = run_card.read_text().replace("[channel]\n", '[channel]\nlepton = "e"\n', 1)
    run_card.write_text(text)
    problems = gen.schema_drift(rec, cards=[detector, run_card])
    assert problems == [
        "det.toml: [] magnet: in the card, not declared",
        "det.toml: [magnet] current: in the card, not declared",
        "det.toml: [tracking] hit_efficiency: in the card, not declared",
        "run.toml: [channel] lepton: in the card, not declared",
        "run.toml: [selection] veto: in the card, not declared",
    ]


def test_detector_pages_show_every_card_value(traced):
    _, comments = traced
    for path in gen.detector_cards():
        page = gen.detector_page(path, comments[path.name])
        data, _ = load_toml(path)
        for table, key in _toml_fields(data):
            assert f"## `[{table}]`" in page, (path.name, table)
            assert f"| `{key}` |" in page, (path.name, table, key)


def test_detector_pages_give_each_value_its_source_tag(traced, tmp_path):
    """The tag column holds the tags of the value's own comment, or else of the comment above
    it (marked), and the summary counts every value of the card."""
    _, comments = traced
    for path in gen.detector_cards():
        page = gen.detector_page(path, comments[path.name])
        n_values = len(comments[path.name])
        assert re.search(rf"^\| \*\*all\*\* \| {n_values} \|", page, flags=re.M), path.name
    card = tmp_path / "mini.toml"
    card.write_text(
        '[detector]\nname = "Mini"\n\n[beams]\n# basf2 presets [code]\n'
        "e_minus_energy = 7.0   # GeV\ne_plus_energy = 4.0    # GeV [paper]\n"
        "e_minus_energy_spread = 0.005  # [unverified]\n"
    )
    page = gen.detector_page(card, gen.card_lines(card))
    assert "| `e_minus_energy` | `7.0` | code (note above) | GeV |" in page
    assert "| `e_plus_energy` | `4.0` | paper | GeV [paper] |" in page
    assert "| `e_minus_energy_spread` | `0.005` | unverified |" in page
    assert '| `name` | `"Mini"` | — |' in page
    assert "| **all** | 4 | 1 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 1 | 1 |" in page


def test_python_blocks_of_the_pages_compile():
    for page in sorted((REPO / "docs").glob("*.md")):
        for block in re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S):
            compile(block, str(page), "exec")


def _build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_ci_builds_the_docs():
    """CI (.ci/run) installs the test extra and runs this suite: mkdocs must be in that extra,
    so that the build tests below run in CI instead of being skipped."""
    from alpsim.toml_fields import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    test_extra = project["optional-dependencies"]["test"]
    assert any(re.match(r"mkdocs\b", dep) for dep in test_extra)
    assert 'pip install -e ".[test]" && python -m pytest' in (REPO / ".ci" / "run").read_text()


def test_docs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    proc = _build(REPO / "mkdocs.yml", tmp_path / "site")
    assert proc.returncode == 0, proc.stderr
    card_page = (tmp_path / "site/reference/card-fields/index.html").read_text()
    assert "decay_range" in card_page and "luminous_region_sigma" in card_page
    outputs = (tmp_path / "site/outputs/index.html").read_text()
    assert "ak.from_parquet" in outputs  # the example script was included
    assert "--8&lt;--" not in outputs and "--8<--" not in outputs


def test_docs_build_fails_on_broken_link_and_anchor(tmp_path):
    pytest.importorskip("mkdocs")
    for folder in ("docs", "examples"):
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=ignore)
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    index = tmp_path / "docs" / "index.md"
    broken = "[a page](no-such-page.md) and [an anchor](install.md#no-such-heading)"
    index.write_text(index.read_text() + f"\nSee {broken}.\n")
    proc = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert proc.returncode != 0
    assert "no-such-page.md" in proc.stderr and "no-such-heading" in proc.stderr


def test_module_notes_hold_every_module_docstring():
    import ast

    import gen_module_notes

    page = gen_module_notes.page()
    for folder in ("generator", "detector"):
        for path in sorted((REPO / folder).rglob("*.py")):
            doc = ast.get_docstring(ast.parse(path.read_text()))
            if doc:
                rel = path.relative_to(REPO).as_posix()
                assert f"### `{rel}`" in page
                assert doc.splitlines()[0] in page


# ---- the guide's examples are today's interface --------------------------------------------
def _pages() -> list[Path]:
    return [*sorted((REPO / "docs").glob("*.md")), REPO / "README.md"]


def _toml_blocks(text: str) -> list[str]:
    """TOML code blocks of a page (indented ones inside list items too)."""
    blocks = re.findall(r"^( *)```toml\n(.*?)^\1```", text, flags=re.S | re.M)
    return [re.sub(rf"^{indent}", "", body, flags=re.M) for indent, body in blocks]


def _merged(base: dict, fragment: dict) -> dict:
    """`base` with the tables of `fragment` laid over it; a [channel] naming its channel and an
    [alp] with couplings replace the base's table (couplings exclude ctau, decays and a
    model-independent branching fraction)."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for table, values in fragment.items():
        if "couplings" in values or "name" in values:
            out[table] = dict(values)
        else:
            out.setdefault(table, {}).update(values)
    return out


def test_run_cards_of_the_guide_validate(tmp_path):
    """Every complete run card shown in the guide (and the README) is accepted as it stands,
    and every fragment is accepted laid over the first complete card."""
    from alpsim.card import card_from_data
    from alpsim.toml_fields import tomllib

    full, fragments = [], []
    for page in _pages():
        for block in _toml_blocks(page.read_text(encoding="utf-8")):
            data = tomllib.loads(block)
            complete = "events" in data.get("run", {}) and "channel" in data
            (full if complete else fragments).append((page.name, block, data))
    assert full and fragments
    path = tmp_path / "card.toml"  # where a card from the guide would be ("belle2" is shipped)
    for _page, block, data in full:
        card_from_data(data, block, path)  # raises CardError naming the field
    for _page, block, data in fragments:
        card_from_data(_merged(full[0][2], data), block, path)


def _command_lines(text: str) -> list[list[str]]:
    """`alpsim <command> ...` invocations in code blocks and inline code of a page."""
    spans = re.findall(r"```(?:bash|text)?\n(.*?)```", text, flags=re.S)
    spans += re.findall(r"`(alpsim [^`\n]+)`", text)
    lines = []
    for span in spans:
        for line in span.splitlines():
            line = line.split("#")[0].strip()
            if line.startswith("alpsim ") and not line.startswith("alpsim 0."):
                lines.append(line.split())
    return lines


def test_command_lines_of_the_guide_use_existing_commands_and_options():
    import argparse

    from alpsim.cli import build_parser

    sub = next(
        a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    ).choices
    seen = 0
    for page in _pages():
        for words in _command_lines(page.read_text(encoding="utf-8")):
            if words[1].startswith("-"):
                assert words[1] in ("--help", "--version", "-h"), (page.name, words)
                continue
            assert words[1] in sub, (page.name, " ".join(words))
            options = {o for a in sub[words[1]]._actions for o in a.option_strings}
            if words[1] == "validate":  # its options belong to `python -m validation`
                continue
            for w in words[2:]:
                w = w.strip("[]|").split("=")[0]
                if w.startswith("-") and not w[1:2].isdigit():
                    assert w in options, (page.name, " ".join(words), w)
            seen += 1
    assert seen >= 5


def test_column_reference_documents_every_column_of_a_run():
    """The generated page lists every per-event column of a real sample (families by their
    pattern) and every field of the list columns."""
    import gen_column_reference
    import pyarrow as pa

    import alpsim

    page = gen_column_reference.page()
    result = alpsim.run(CARDS / "belle2_b2ka_gg.toml", n=200)
    for name in result.events.column_names:
        kind = result.events.schema.field(name).type
        if pa.types.is_list(kind):  # a list column: a section with each struct field
            assert f"### `{name}`" in page, name
            for field in kind.value_type:
                assert f"| `{field.name}` |" in page, (name, field.name)
            continue
        shown = re.sub(r"^trg_(?!any$).*", "trg_<line>", name)
        shown = re.sub(r"^trgpattern_.*", "trgpattern_<name>", shown)
        shown = re.sub(r"^weight_ctau_.*", "weight_ctau_<x>mm", shown)
        m = re.fullmatch(r"(kaon|alp_daughter_\d)_(\w+)", shown)
        shown = m.group(2) if m else shown
        assert f"| `{shown}` |" in page, name
