"""The declared card fields (alpsim/card_schema.py, alpsim.toml_fields.Field): each kind reads
and rejects as declared, with errors naming the field, the value and what is allowed."""

from __future__ import annotations

import pytest

from alpsim.card import COUPLING_KEYS, COUPLING_SETTINGS, COUPLING_SHORTCUTS
from alpsim.card_schema import ALP, COUPLINGS, RUN, SCHEMA
from alpsim.toml_fields import CardError, Field, Table, field_map


def _read(field: Field, value=None):
    data = {} if value is None else {field.key: value}
    return field.read(Table(data, "sec"))


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
    for table, fields in SCHEMA.items():
        assert all(f.description for f in fields), table


def test_coupling_names_are_the_declared_ones():
    assert {*COUPLING_KEYS, *COUPLING_SHORTCUTS, *COUPLING_SETTINGS} == set(COUPLINGS)
