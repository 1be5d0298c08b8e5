"""Exclusive lock of an output (a dataset directory): a lock file beside it, owned by one run.

The lock file `.<name>.alpsim-lock` (beside the directory, so that `--force` can move the
directory aside while holding it) is created with O_EXCL and holds the owner's host, pid and
start time. A lock whose owner is on this host and no longer runs is stale and taken over; a
lock of a live process, or of another host (whose processes cannot be checked), is refused.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from types import TracebackType

from .commit import host_tag, pid_alive

log = logging.getLogger(__name__)


class LockError(RuntimeError):
    """Another run holds the output."""


class OutputLock:
    """Context manager holding the lock of `target` (a path that need not exist yet)."""

    def __init__(self, target: str | os.PathLike[str]) -> None:
        target = Path(target)
        self.target = target
        self.path = target.with_name(f".{target.name}.alpsim-lock")
        self.held = False

    def _owner(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def acquire(self) -> None:
        body = json.dumps({"host": host_tag(), "pid": os.getpid(), "started": time.time()})
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                pid, host = owner.get("pid"), owner.get("host")
                if not owner:  # being written right now, or garbage: look again
                    time.sleep(0.05)
                    owner = self._owner()
                    pid, host = owner.get("pid"), owner.get("host")
                if host == host_tag() and isinstance(pid, int) and not pid_alive(pid):
                    log.warning("taking over the stale lock %s of process %d", self.path, pid)
                    stale = self.path.with_name(f"{self.path.name}.stale-{os.getpid()}")
                    try:  # rename, not unlink: of two runs taking it over, one wins
                        os.rename(self.path, stale)
                        stale.unlink()
                    except FileNotFoundError:
                        pass
                    continue
                who = f"process {pid} on {host}" if pid else "another run"
                raise LockError(
                    f"output {str(self.target)!r} is being written by {who} (lock file "
                    f"{str(self.path)!r}); wait for it, or remove the lock file if that "
                    "process is gone"
                ) from None
            with os.fdopen(fd, "w") as f:
                f.write(body)
            self.held = True
            return
        raise LockError(f"could not take the lock {str(self.path)!r}")  # pragma: no cover

    def release(self) -> None:
        if self.held:
            self.held = False
            if self._owner().get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
