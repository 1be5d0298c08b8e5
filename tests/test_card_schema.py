"""The declared card fields (alpsim/card_schema.py, detector/card_fields.py,
alpsim.toml_fields.Field): each kind reads and rejects as declared, with errors naming the
field, the value and what is allowed."""

from __future__ import annotations

import pytest

from alpsim.card import COUPLING_KEYS, COUPLING_SETTINGS, COUPLING_SHORTCUTS
from alpsim.card_schema import ALP, CHANNEL_OPTIONS, COUPLINGS, RUN, SCHEMA
from alpsim.detector.card_fields import FIELDS
from alpsim.toml_fields import CardError, Field, Table, field_map

LAYER, MATERIAL, MUON = FIELDS["material.layers"], FIELDS["material"], FIELDS["muon"]
PID_REGION, TRACKING = FIELDS["pid.regions.<region>"], FIELDS["tracking"]


def _read(field: Field, value=None, **given):
    data = {} if value is None else {field.key: value}
    return field.read(Table(data, "sec"), **given)


def test_number_list_bounds_and_length():
    f = RUN["ctau_weights"]
    assert _read(f) == ()
    assert _read(f, [1, 2.5]) == (1.0, 2.5)
    for bad in ([0.0], [-1.0], [float("inf")], [True], "1", [1.0] * (f.length + 1)):
        with pytest.raises(CardError, match=r"'sec\.ctau_weights'"):
            _read(f, bad)
    with pytest.raises(CardError, match="every entry must be > 0 mm"):
        _read(f, [1.0, 0.0])


def test_string_list_choices():
    f = ALP["tau_modes"]
    assert _read(f) == f.default
    assert _read(f, ["e nu nu"]) == ("e nu nu",)
    for bad in ([], ["e nu"], "e nu nu", [1]):
        with pytest.raises(CardError, match=r"'sec\.tau_modes'"):
            _read(f, bad)


def test_number_and_string_fields_use_the_declared_bounds():
    with pytest.raises(CardError, match=r"'sec\.events': = 0 must be >= 1 \(allowed: >= 1 and <="):
        _read(RUN["events"], 0)
    with pytest.raises(
        CardError, match=r"'sec\.sqrt_s': = 50\.0 GeV must be <= 20 GeV \(allowed: >= 0\.1 GeV"
    ):
        _read(RUN["sqrt_s"], 50.0)
    with pytest.raises(CardError, match=r"'sec\.basis'.*choose one of 'BNT17', 'BNRST20'"):
        _read(COUPLINGS["basis"], "other")
    assert _read(COUPLINGS["Lambda"]) == 1000.0


def test_declarations_are_well_formed():
    with pytest.raises(ValueError, match="kind"):
        Field("x", "float", "x")
    with pytest.raises(ValueError, match="length"):
        Field("x", "numbers", "x")
    with pytest.raises(ValueError, match="twice"):
        field_map([Field("x", "number", "x"), Field("x", "number", "y")])
    with pytest.raises(ValueError, match="hi_ref"):
        _read(RUN["events"], 5, hi=10)  # a bound from another field must be declared so
    for kind, sections in SCHEMA.items():
        for table, fields in sections.items():
            assert all(f.description for f in fields), (kind, table)
            field_map(fields)
    for name, options in CHANNEL_OPTIONS.items():
        assert all(f.description for f in options), name


def test_coupling_names_are_the_declared_ones():
    assert {*COUPLING_KEYS, *COUPLING_SHORTCUTS, *COUPLING_SETTINGS} == set(COUPLINGS)


def test_monotonic_table_and_bounds_from_another_field():
    f = TRACKING["silicon_radii"]
    assert _read(f, [14.0, 22.0], lo=10.0) == (14.0, 22.0)
    with pytest.raises(
        CardError, match=r"'sec\.silicon_radii': = \[22\.0, 14\.0\] must be strictly"
    ):
        _read(f, [22.0, 14.0], lo=10.0)
    with pytest.raises(CardError, match=r"every entry must be > 15 mm"):
        _read(f, [14.0, 22.0], lo=15.0)  # the first layer inside the beam pipe
    with pytest.raises(CardError, match=r"'sec\.silicon_radii': = \[\] must be a non-empty"):
        _read(f, [], lo=10.0)
    with pytest.raises(CardError, match=r"'sec\.min_layers': = 20 must be <= 15 \(allowed: >= 1"):
        _read(MUON["min_layers"], 20, hi=15)


def test_interval_rows_and_ordered_layers():
    f = MUON["theta_range"]
    assert _read(f, [20, 150]) == (20.0, 150.0)
    for bad in ([150, 20], [0, 190], [-1, 10], [1], "x"):
        with pytest.raises(CardError, match=r"'sec\.theta_range'"):
            _read(f, bad)
    with pytest.raises(CardError, match=r"must satisfy 0 <= low < high <= 180 deg"):
        _read(f, [150, 20])
    rows = PID_REGION["K"]
    assert _read(rows, [[0, 0, 0, 1, 0]], rows=1) == ((0.0, 0.0, 0.0, 1.0, 0.0),)
    with pytest.raises(CardError, match="each row must sum to 1"):
        _read(rows, [[0, 0, 0, 0.5, 0]], rows=1)
    with pytest.raises(CardError, match=r"must be 2 rows of 5 numbers"):
        _read(rows, [[0, 0, 0, 1, 0]], rows=2)
    layers = MATERIAL["layers"]
    entries = _read(layers, [{"radius": 20.0}, {"radius": 10.0}])
    radii = [LAYER["radius"].read(e, hi=1000.0) for e in entries]
    with pytest.raises(CardError, match=r"'sec\.layers\[1\]\.radius': = 10 must be larger"):
        layers.check_order(entries, radii)
    with pytest.raises(CardError, match=r"must be a non-empty array of tables"):
        _read(layers, [])
