"""SIGINT, SIGTERM and SIGHUP stop a run cleanly, and worker processes die with their parent.

Batch systems and `timeout` stop a job with SIGTERM (a closed terminal sends SIGHUP). Inside
`interrupts_handled()` all three raise `Interrupted`, a KeyboardInterrupt, so the same clean-up
runs for each: temporary files are removed and the message says what is left. Further signals
during the clean-up are ignored so that it can finish (kill -9 still works; its temporaries are
swept by the next run, alpsim/commit.py).

The handler also records the signal before raising. An exception raised at an arbitrary
bytecode can land where it is swallowed (a finaliser, a callback run by a C library, a
`contextlib.suppress`); the run loops therefore call `raise_if_interrupted()` after each chunk
and before any commit, so a swallowed interruption still stops the run and leaves no output.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

log = logging.getLogger(__name__)

HANDLED = tuple(
    s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None
)

#: The signal received inside `interrupts_handled()` and not yet cleared (None: none).
_pending: int | None = None


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGINT, SIGTERM or SIGHUP)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def pending_signal() -> int | None:
    """The signal that interrupted the current `interrupts_handled()` block, if any."""
    return _pending


def raise_if_interrupted() -> None:
    """Raise Interrupted again if a signal arrived in this block, even if the exception its
    handler raised was swallowed on the way (called after each chunk, before any commit)."""
    if _pending is not None:
        raise Interrupted(_pending)


@contextlib.contextmanager
def interrupts_handled() -> Iterator[None]:
    """Within the block SIGINT, SIGTERM and SIGHUP raise Interrupted and are recorded for
    `raise_if_interrupted` (only in the main thread, where Python runs signal handlers)."""
    global _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        global _pending
        _pending = signum  # first, so that a swallowed exception is still seen
        for s in HANDLED:  # one interruption; let the clean-up finish
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signum)

    _pending = None
    old = {s: signal.signal(s, handler) for s in HANDLED}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        _pending = None


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int) -> None:
    """Make this (worker) process end when `parent_pid` ends, even by kill -9.

    Linux: prctl(PR_SET_PDEATHSIG, SIGKILL); elsewhere a daemon thread polls the parent id.
    Called as the initializer of local worker processes.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0:
                if os.getppid() != parent_pid:  # the parent died before prctl took effect
                    os._exit(1)
                return
        except OSError:  # pragma: no cover - no libc
            pass

    def watch() -> None:  # pragma: no cover - non-Linux fallback
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="alpsim-parent-watch", daemon=True).start()
