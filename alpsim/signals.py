"""SIGTERM and SIGHUP handled like Ctrl-C, and worker processes that die with their parent.

Batch systems and `timeout` stop a job with SIGTERM (a closed terminal sends SIGHUP). Inside
`interrupts_handled()` both raise `Interrupted`, a KeyboardInterrupt, so the same clean-up runs
as for Ctrl-C: temporary files are removed and the message says what is left. Further signals
during the clean-up are ignored so that it can finish (kill -9 still works; its temporaries are
swept by the next run, alpsim/commit.py).
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

HANDLED = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGINT, SIGTERM or SIGHUP)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def interrupts_handled() -> Iterator[None]:
    """Within the block SIGTERM and SIGHUP raise Interrupted (only in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        for s in HANDLED:  # one interruption; let the clean-up finish
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signum)

    old = {s: signal.signal(s, handler) for s in HANDLED}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


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
