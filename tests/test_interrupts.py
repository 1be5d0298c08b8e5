"""A signal whose KeyboardInterrupt is swallowed still stops a run and leaves no output
(alpsim/signals.py records it; the run loops call raise_if_interrupted after each chunk)."""

from __future__ import annotations

import os
import signal
import time

import pytest

import alpsim.dataset as dataset
import alpsim.runner as runner
from alpsim.card import load_card
from alpsim.signals import Interrupted, interrupts_handled, pending_signal, raise_if_interrupted

from .conftest import BASE_CARD

CARD = BASE_CARD.replace("seed = 1", "seed = 1\nchunk_size = 500")


def _swallowed_signal(sig: int) -> None:
    """Send `sig` to this process and swallow the exception its handler raises, as a
    finaliser or a C library's callback would."""
    try:
        os.kill(os.getpid(), sig)
        time.sleep(1)  # the handler runs here
    except KeyboardInterrupt:
        pass


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_swallowed_signal_is_raised_again(sig):
    with interrupts_handled():
        raise_if_interrupted()  # nothing pending: no-op
        _swallowed_signal(sig)
        assert pending_signal() == sig
        with pytest.raises(Interrupted) as info:
            raise_if_interrupted()
        assert info.value.signum == sig
    assert pending_signal() is None  # cleared on leaving the block
    raise_if_interrupted()


def _swallowing_simulate_chunk(real):
    def fake(card, seed, index, first, size):
        if index == 1:
            _swallowed_signal(signal.SIGINT)
        return real(card, seed, index, first, size)

    return fake


def test_file_run_stops_after_a_swallowed_ctrl_c(write_card, tmp_path, monkeypatch):
    card = load_card(write_card(CARD))
    monkeypatch.setattr(runner, "simulate_chunk", _swallowing_simulate_chunk(runner.simulate_chunk))
    out = tmp_path / "x.parquet"
    with pytest.raises(Interrupted), interrupts_handled():
        runner.run(card, n=3000, output=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.toml"]


def test_dataset_run_stops_after_a_swallowed_ctrl_c(write_card, tmp_path, monkeypatch):
    card = load_card(write_card(CARD))
    monkeypatch.setattr(
        dataset, "simulate_chunk", _swallowing_simulate_chunk(dataset.simulate_chunk)
    )
    out = tmp_path / "ds"
    with pytest.raises(Interrupted), interrupts_handled():
        dataset.run_dataset(card, out, n=3000)
    # the chunk made before the signal is kept (resume finishes the run); the one being made
    # when it came is not committed, and the dataset is not finalised
    assert sorted(p.name for p in (out / "_partial").iterdir()) == ["part-00000.parquet"]
    assert not list(out.glob("part-*.parquet"))


def test_interrupt_wrapped_by_a_compiled_call_is_still_an_interrupt():
    """A signal handled while a numba dispatcher returns surfaces as SystemError with the
    interrupt as its cause: the command reports it as the interruption it is."""
    from alpsim.cli import _interrupt_in_chain
    from alpsim.signals import Interrupted

    try:
        try:
            raise Interrupted(signal.SIGTERM)
        except Interrupted as inner:
            raise SystemError("returned a result with an exception set") from inner
    except SystemError as exc:
        found = _interrupt_in_chain(exc)
    assert isinstance(found, Interrupted) and "SIGTERM" in str(found)
    assert _interrupt_in_chain(ValueError("no signal here")) is None
