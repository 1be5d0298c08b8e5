"""The Python API: alpsim.run(card, n=, seed=, overrides=), argument checks, alpsim.read."""

from __future__ import annotations

import re
import warnings

import pytest

import alpsim
from alpsim.card import load_card
from alpsim.runner import MAX_KEEP_EVENTS
from alpsim.toml_fields import CardError

from .conftest import BASE_CARD, REPO


def _bytes(table) -> bytes:
    import io

    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_overrides_equal_a_card_file_with_those_values(write_card):
    """Overriding alp.mass and alp.ctau gives the events of a card written with them."""
    base = write_card(BASE_CARD)
    edited = write_card(
        BASE_CARD.replace("mass = 1.0", "mass = 2.0").replace("ctau = 1.0", "ctau = 10.0"),
        name="edited.toml",
    )
    a = alpsim.run(base, n=400, overrides={"alp.mass": 2.0, "alp.ctau": 10.0})
    b = alpsim.run(edited, n=400)
    assert a.card.alp.mass == 2.0 and a.card.alp.ctau == 10.0
    assert _bytes(a.events) == _bytes(b.events)  # (Table.equals would stumble on NaN != NaN)
    assert "# override: alp.mass = 2.0" in a.card.text  # recorded in every output's metadata


def test_overrides_create_tables_and_take_numpy_scalars(write_card):
    import numpy as np

    card = load_card(
        write_card(BASE_CARD),
        overrides={"alp.decay_range": [10, 1000], "run.chunk_size": np.int64(300)},
    )
    assert card.alp.sampling.mode == "forced" and card.alp.sampling.lab_range == (10.0, 1000.0)
    assert card.run.chunk_size == 300


def _message(exc: CardError, path) -> str:
    return str(exc).replace(str(path), "CARD")


@pytest.mark.parametrize(
    ("override", "edit"),
    [
        ({"alp.mass": 6.0}, ("mass = 1.0", "mass = 6.0")),
        ({"alp.mas": 2.0}, ("mass = 1.0", "mass = 1.0\nmas = 2.0")),
        ({"run.chunk_size": 0}, ("seed = 1", "seed = 1\nchunk_size = 0")),
        ({"alp.ctau": -1.0}, ("ctau = 1.0", "ctau = -1.0")),
        ({"alp.ctau": "long"}, ("ctau = 1.0", 'ctau = "long"')),
    ],
)
def test_override_errors_are_the_card_file_errors(write_card, override, edit):
    """Same validation, same message as the card file with that value."""
    base = write_card(BASE_CARD)
    edited = write_card(BASE_CARD.replace(*edit), name="edited.toml")
    with pytest.raises(CardError) as from_override:
        alpsim.run(base, n=10, overrides=override)
    with pytest.raises(CardError) as from_file:
        load_card(edited)
    assert _message(from_override.value, base) == _message(from_file.value, edited)


def test_override_path_errors(write_card):
    base = write_card(BASE_CARD)
    with pytest.raises(CardError, match=r"'alp\.mass' in .*: is a value, not a table"):
        alpsim.run(base, n=10, overrides={"alp.mass.x": 1.0})
    with pytest.raises(CardError, match="dotted card path"):
        alpsim.run(base, n=10, overrides={"alp..mass": 1.0})
    with pytest.raises(CardError, match="not a card value"):
        alpsim.run(base, n=10, overrides={"alp.mass": None})
    with pytest.raises(TypeError, match="overrides"):
        alpsim.run(base, n=10, overrides=[("alp.mass", 2.0)])


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n": 1.7}, TypeError, "n"),
        ({"n": 10.0}, TypeError, "n"),
        ({"n": True}, TypeError, "n"),
        ({"n": "10"}, TypeError, "n"),
        ({"n": 0}, ValueError, "n"),
        ({"n": -5}, ValueError, "n"),
        ({"seed": 1.9}, TypeError, "seed"),
        ({"seed": False}, TypeError, "seed"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 2**63}, ValueError, "seed"),
        ({"output": 5}, TypeError, "output"),
    ],
)
def test_arguments_are_checked_before_any_work(write_card, kwargs, error, name):
    with pytest.raises(error, match=rf"^{name}\b"):
        alpsim.run(write_card(BASE_CARD), **kwargs)


def test_numpy_integers_are_integers(write_card):
    import numpy as np

    result = alpsim.run(write_card(BASE_CARD), n=np.int64(50), seed=np.uint32(3))
    assert result.n_events == 50 and result.events.num_rows == 50


def test_memory_bound(write_card):
    """More events than MAX_KEEP_EVENTS are never kept in memory: refused up front."""
    with pytest.raises(ValueError, match="kept in memory"):
        alpsim.run(write_card(BASE_CARD), n=MAX_KEEP_EVENTS + 1)


def test_library_prints_nothing(write_card, tmp_path, capsys):
    alpsim.run(write_card(BASE_CARD), n=100, output=tmp_path / "x.parquet")
    assert capsys.readouterr() == ("", "")


def test_library_logs_through_logging(write_card, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="alpsim"):
        alpsim.run(write_card(BASE_CARD), n=100)
    assert any("100 events" in r.getMessage() for r in caplog.records)


def test_forced_decays_with_a_tiny_weight_warn(write_card):
    """ctau = 1 mm forced into 100-200 mm: P ~ exp(-100 / (βγ · 1 mm)), far below 1e-4."""
    card = write_card(BASE_CARD.replace("ctau = 1.0", "ctau = 1.0\ndecay_range = [100, 200]"))
    with pytest.warns(UserWarning, match="decay_range"):
        alpsim.run(card, n=50)
    ok = write_card(BASE_CARD.replace("ctau = 1.0", "ctau = 100.0\ndecay_range = [10, 1000]"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alpsim.run(ok, n=50)


def test_same_output_twice_is_refused_before_work(write_card, tmp_path):
    from alpsim.runner import OutputError

    out = tmp_path / "x.parquet"
    with pytest.raises(OutputError, match="same file"):
        alpsim.run(write_card(BASE_CARD), n=10, output=out, root=tmp_path / "." / "x.parquet")
    with pytest.raises(OutputError, match=r"must be a \.parquet"):
        alpsim.run(write_card(BASE_CARD), n=10, output=tmp_path / "x.hepmc3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.toml"]


def test_read_refuses_a_partial_dataset_unless_asked(write_card, tmp_path):
    from alpsim.dataset import run_dataset

    card = load_card(write_card(BASE_CARD.replace("seed = 1", "seed = 1\nchunk_size = 100")))

    def executor(fn, tasks):  # makes two chunks, then the run "dies"
        for task in tasks[:2]:
            yield fn(task)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_dataset(card, tmp_path / "ds", n=500, executor=executor)
    with pytest.raises(ValueError, match="partial dataset: 2 of 5 chunks"):
        alpsim.read(tmp_path / "ds")
    with pytest.warns(UserWarning, match="normalise by the events read"):
        table = alpsim.read(tmp_path / "ds", allow_partial=True)
    assert table.num_rows == 200
    # a generic reader sees nothing of a partial dataset
    import pyarrow.dataset as pads

    assert pads.dataset(tmp_path / "ds", format="parquet").count_rows() == 0
    run_dataset(card, tmp_path / "ds", n=500, resume=True)
    assert alpsim.read(tmp_path / "ds").num_rows == 500


def test_readme_python_example_runs(monkeypatch):
    """The README's notebook example, as written (from the checkout's root)."""
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    example = next(b for b in blocks if "overrides=" in b)
    monkeypatch.chdir(REPO)
    namespace: dict = {}
    exec(compile(example, "README.md", "exec"), namespace)
    assert namespace["results"]
