"""The output schema: every column typed and documented (unit, description), the truth modes,
the `[output]` card section, and the README's column table against the schema."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import alpsim
from alpsim.card import load_card
from alpsim.cli import main
from alpsim.detector.writers.quantise import quantised
from alpsim.detector.writers.table import (
    EVENT,
    LIST_DOCS,
    OBJECTS,
    PARTICLE,
    chunk_table,
    column_doc,
)
from alpsim.runner import simulate_chunk

from .conftest import BASE_CARD, CARDS, REPO

RUN_CARDS = sorted(
    p for p in CARDS.glob("*.toml") if p.stem not in {"belle2", "babar", "bes3", "belle"}
)


def _undocumented(schema: pa.Schema) -> list[str]:
    bad = []
    for f in schema:
        fields = [f, *(f.type.value_type if pa.types.is_list(f.type) else [])]
        for g in fields:
            meta = g.metadata or {}
            if (
                b"unit" not in meta
                or not meta.get(b"description")
                or b"undocumented" in meta.get(b"description", b"")
            ):
                bad.append(f"{f.name}.{g.name}" if g is not f else f.name)
    return bad


@pytest.mark.parametrize("path", RUN_CARDS, ids=lambda p: p.stem)
def test_every_column_of_every_shipped_card_is_documented(path):
    card = load_card(path)
    record, reco = simulate_chunk(card, 1, 0, 0, 40)
    for truth in ("signal", "full"):
        schema = chunk_table(record, reco, truth).schema
        assert _undocumented(schema) == [], path.name


def _nulls(array: pa.Array, name: str) -> list[str]:
    """Names of the arrays, nested ones included, that hold a null."""
    bad = [name] if array.null_count else []
    if pa.types.is_list(array.type):
        bad += _nulls(array.flatten(), f"{name}.item")
    elif pa.types.is_struct(array.type):
        for i, f in enumerate(array.type):
            bad += _nulls(array.field(i), f"{name}.{f.name}")
    return bad


def _nullable(schema: pa.Schema) -> list[str]:
    bad = []
    for f in schema:
        bad += [f.name] if f.nullable else []
        if pa.types.is_list(f.type):
            item = f.type.value_field
            bad += [f"{f.name}.item"] if item.nullable else []
            bad += [f"{f.name}.{g.name}" for g in item.type if g.nullable]
    return bad


@pytest.mark.parametrize("path", RUN_CARDS, ids=lambda p: p.stem)
def test_no_nulls_and_every_field_declared_non_nullable(path):
    # the Parquet writer relies on it: non-nullable fields carry no definition levels
    card = load_card(path)
    record, reco = simulate_chunk(card, 1, 0, 0, 40)
    for truth in ("signal", "full", "none"):
        table = chunk_table(record, reco, truth)
        assert _nullable(table.schema) == [], (path.name, truth)
        for name in table.column_names:
            assert _nulls(table[name].combine_chunks(), name) == [], (path.name, truth)


def test_types_and_counters(default_card):
    t = alpsim.run(default_card, n=300).events
    types = {f.name: f.type for f in t.schema}
    assert types["nTracks"] == pa.int16() and types["nClusters"] == pa.int16()
    assert types["event_number"] == pa.int64()
    for name in ("Mbc", "deltaE", "a_M", "sqrt_s", "alp_proper_length", "kaon_p"):
        assert types[name] == pa.float32(), name
    assert types["reconstructed"] == pa.bool_() and types["trg_any"] == pa.bool_()
    parts = {f.name: f.type for f in types["particles"].value_type}
    assert parts["px"] == pa.float32() and parts["pdg"] == pa.int32()
    assert "reco_px" not in parts and "t" not in parts
    tracks = {f.name: f.type for f in types["tracks"].value_type}
    assert tracks["charge"] == pa.int8() and tracks["pid"] == pa.int16()
    # counters equal the object lists, as integers
    n_clusters = t["clusters"].combine_chunks().value_lengths().to_numpy()
    np.testing.assert_array_equal(t["nClusters"].to_numpy(), n_clusters)


def test_weights_stay_float64(write_card):
    card = write_card(BASE_CARD.replace("seed = 1", "seed = 1\nctau_weights = [10.0]"))
    t = alpsim.run(card, n=200).events
    assert t.schema.field("weight_ctau_10mm").type == pa.float64()


def _truth_tables(write_card, default_card, n=400):
    """The default card with the material stage off (no conversion pairs: fixed templates)."""
    text = default_card.read_text().replace("[run]\n", "[run]\nmaterial = false\n", 1)
    sig_card = write_card(text, "s.toml")
    full_card = write_card(text + '\n[output]\ntruth = "full"\n', "f.toml")
    return alpsim.run(sig_card, n=n).events, alpsim.run(full_card, n=n).events


def test_signal_truth_is_the_full_record_at_the_signal_slots(write_card, default_card):
    """Same seed, two truth modes: the signal record is the float32 cast of the full record's
    signal decay tree (B+/-, K, a, gamma gamma = template slots 3, 5, 6, 7, 8), rounded to each
    field's mantissa bits (`PARTICLE[name].bits`), mothers re-indexed into the shorter list;
    the reconstructed columns are identical."""
    sig, full = _truth_tables(write_card, default_card)
    s = sig["particles"].combine_chunks()
    f = full["particles"].combine_chunks()
    assert set(s.value_lengths().to_numpy()) == {5} and set(f.value_lengths().to_numpy()) == {9}
    slots = np.array([3, 5, 6, 7, 8])
    for name in ("px", "py", "pz", "E", "x", "y", "z", "m"):
        a = s.values.field(name).to_numpy().reshape(-1, 5)
        b = f.values.field(name).to_numpy().reshape(-1, 9)[:, slots]
        assert b.dtype == np.float64
        want = quantised(b.astype(np.float32), PARTICLE[name].bits)
        np.testing.assert_array_equal(a, want, err_msg=name)
        if name != "m":  # rounded: within 2^-(bits+1) of the float32 value, relative
            assert 0 < np.mean(a != b.astype(np.float32))
        np.testing.assert_allclose(a, b, rtol=2.0 ** -PARTICLE[name].bits, err_msg=name)
    pdg_full = f.values.field("pdg").to_numpy().reshape(-1, 9)[:, slots]
    np.testing.assert_array_equal(s.values.field("pdg").to_numpy().reshape(-1, 5), pdg_full)
    np.testing.assert_array_equal(s.values.field("mother").to_numpy()[:5], [-1, 0, 0, 2, 2])
    np.testing.assert_array_equal(sig["Mbc"].to_numpy(), full["Mbc"].to_numpy())
    # the track's `particle` points at the kaon in either list
    for table, n_part in ((sig, 5), (full, 9)):
        trk = table["tracks"].combine_chunks().values
        parts = table["particles"].combine_chunks().values
        event = np.repeat(np.arange(len(table)), table["tracks"].combine_chunks().value_lengths())
        linked = parts.field("pdg").to_numpy()[event * n_part + trk.field("particle").to_numpy()]
        assert np.all(np.abs(linked) == 321)


def test_truth_none_has_no_particles(write_card, default_card, tmp_path):
    card = write_card(default_card.read_text() + '\n[output]\ntruth = "none"\n')
    out = tmp_path / "n.parquet"
    alpsim.run(card, n=200, output=out)
    schema = pq.read_schema(out)
    assert "particles" not in schema.names
    assert "particle" not in {f.name for f in schema.field("tracks").type.value_type}


def test_units_and_descriptions_in_the_file(default_card, tmp_path):
    out = tmp_path / "u.parquet"
    alpsim.run(default_card, n=200, output=out)
    schema = pq.read_schema(out)
    assert schema.field("Mbc").metadata[b"unit"] == b"GeV"
    assert b"beam-constrained" in schema.field("Mbc").metadata[b"description"]
    z = schema.field("particles").type.value_type.field("z")
    assert z.metadata[b"unit"] == b"mm"
    assert schema.field("alp_sampling_density").metadata[b"unit"] == b"1/mm"


@pytest.mark.parametrize(
    "section, message",
    [
        ('[output]\ntruth = "everything"\n', "output.truth"),
        ("[output]\ntruth = 1\n", "output.truth"),
        ('[output]\ndetail = "expert"\n', "output.detail"),
        ("[output]\ndetail = true\n", "output.detail"),
        ('[output]\ntrut = "full"\n', "output.trut"),
    ],
)
def test_bad_output_section_exits_2(write_card, tmp_path, capsys, section, message):
    card = write_card(BASE_CARD + "\n" + section)
    out = tmp_path / "x.parquet"
    assert main(["run", str(card), "-n", "10", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    if "everything" in section:
        assert "'signal'" in err and "'full'" in err and "'none'" in err
    if "expert" in section:
        assert "'analysis'" in err and "'full'" in err
    assert not out.exists()


def test_detail_full_adds_only_the_expert_fields(write_card, default_card):
    """`[output] detail = "full"` adds the fields marked detail="full" (the per-cluster shower
    shapes) and changes nothing else; "analysis" (the default) leaves them out."""
    expert = {k: {n for n, d in docs.items() if d.detail == "full"} for k, docs in OBJECTS.items()}
    assert expert["clusters"] >= {"clusterE9E21", "clusterSecondMoment", "clusterLAT"}
    text = default_card.read_text()
    ana = alpsim.run(write_card(text, "a.toml"), n=300).events
    full = alpsim.run(write_card(text + '\n[output]\ndetail = "full"\n', "f.toml"), n=300).events
    assert ana.column_names == full.column_names
    for kind, names in expert.items():
        if kind not in ana.column_names:
            continue
        a = [f.name for f in ana.schema.field(kind).type.value_type]
        f = [f.name for f in full.schema.field(kind).type.value_type]
        assert not names & set(a) and names <= set(f), kind
        assert [n for n in f if n not in names] == a, kind
        fa, ff = ana[kind].combine_chunks(), full[kind].combine_chunks()
        for n in a:
            va, vf = (x.values.field(n).to_numpy(zero_copy_only=False) for x in (fa, ff))
            np.testing.assert_array_equal(va, vf, err_msg=f"{kind}.{n}")  # NaN == NaN
    for name in ana.column_names:
        if name not in expert:
            a, f = (t[name].combine_chunks() for t in (ana, full))
            if pa.types.is_list(a.type):  # the truth list: field by field
                for g in a.type.value_type:
                    va, vf = (x.values.field(g.name).to_numpy(zero_copy_only=False) for x in (a, f))
                    np.testing.assert_array_equal(va, vf, err_msg=f"{name}.{g.name}")
            else:
                va, vf = (x.to_numpy(zero_copy_only=False) for x in (a, f))
                np.testing.assert_array_equal(va, vf, err_msg=name)


def _readme_rows() -> list[tuple[list[str], str, str]]:
    text = (REPO / "README.md").read_text()
    block = text.split("## Output columns", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in block.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if len(cells) != 4 or cells[0] in ("column", "---") or set(cells[0]) <= {"-"}:
            continue
        rows.append((re.findall(r"`([^`]+)`", cells[0]), cells[1], cells[2]))
    return rows


def test_readme_column_table_matches_the_schema():
    """Every documented per-event column and list column is in the README table with the
    schema's type and unit, and every plain name in the table is a column of the schema."""
    rows = _readme_rows()
    listed = {}
    for names, typ, unit in rows:
        for name in names:
            listed[name] = (typ, unit)
    for name, doc in EVENT.items():
        assert name in listed, f"{name} missing from the README table"
        typ, unit = listed[name]
        want = "dictionary" if pa.types.is_dictionary(doc.dtype) else str(doc.dtype)
        assert typ == want, (name, typ, want)
        assert unit == doc.unit, (name, unit, doc.unit)
    for name in LIST_DOCS:
        assert name in listed and listed[name][0] == "list<struct>", name
    for pattern in ("<role>_p", "<role>_pid", "trg_<line>", "weight_ctau_<x>mm"):
        assert pattern in listed, pattern
    for name, (typ, _unit) in listed.items():
        if "<" in name or name in LIST_DOCS:
            continue
        doc = column_doc(name)
        assert doc is not None, f"README names {name}, which the schema does not know"
        want = "dictionary" if pa.types.is_dictionary(doc.dtype) else str(doc.dtype)
        assert typ == want, (name, typ, want)


def test_arrays_from_numpy_buffers_equal_pa_array():
    """table._from_numpy / _strings (Arrow arrays built from buffers, so that writing does not
    import pandas) give the arrays pa.array gives, for every numpy type the table writes."""
    from alpsim.detector.writers.table import _from_numpy, _strings

    rng = np.random.default_rng(2)
    values = [
        rng.normal(size=37),
        rng.normal(size=37).astype(np.float32),
        np.array([np.nan, 1.0, -0.0, np.inf]),
        rng.integers(-5, 5, 37).astype(np.int8),
        rng.integers(-5, 5, 37).astype(np.int32),
        rng.integers(-5, 5, 37),
        rng.random(37) < 0.5,
        (rng.random(9) < 0.5)[::2],  # not contiguous
        np.empty(0),
    ]
    for v in values:
        got, want = _from_numpy(v), pa.array(v)
        assert got.type == want.type and got.null_count == 0
        assert (
            got.to_numpy(zero_copy_only=False).tobytes()
            == want.to_numpy(zero_copy_only=False).tobytes()
        )
    assert _from_numpy(np.arange(4.0), pa.float64()).equals(pa.array(np.arange(4.0)))
    names = ["B+ -> K+ a", "", "τ → μ a"]
    assert _strings(names).equals(pa.array(names)) and _strings([]).equals(
        pa.array([], pa.string())
    )
