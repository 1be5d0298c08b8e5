"""Commit protocol for output files: unique temporary names, flush, then all-or-nothing rename.

Every output of a run (Parquet, HepMC3, ROOT, dataset chunks, scan tables and plots) is written
under a temporary name in its target directory,

    .<final name>.alpsim-tmp.<host>.<pid>.<random>

so that two processes never share one, a reader globbing for the final names never sees a
half-written file, and a later run can tell whose temporary a stray file was (host and pid) and
remove it when that process is dead (`sweep`). When every output is complete, `commit` fsyncs
them and renames them into place. Without `force` the rename is a hard link (or an O_EXCL
placeholder on file systems without hard links), which fails if the final name appeared in the
meantime: the other run's file is left untouched and this run's outputs are all withdrawn.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import secrets
import shutil
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

TMP_TAG = "alpsim-tmp"
OLD_TAG = "alpsim-old"
_STRAY = re.compile(
    r"^\.(?P<target>.+)\.(?P<tag>alpsim-tmp|alpsim-old)\.(?P<host>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}$"
)


class CommitError(OSError):
    """The final name of an output appeared while the run was writing it (another run)."""

    def __str__(self) -> str:
        return str(self.strerror)


def host_tag() -> str:
    """This machine's name as it appears in temporary names (no path separators)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def temp_path(final: str | os.PathLike[str], tag: str = TMP_TAG) -> Path:
    """A unique temporary name beside `final`: process id plus a random part."""
    final = Path(final)
    return final.with_name(f".{final.name}.{tag}.{host_tag()}.{os.getpid()}.{secrets.token_hex(4)}")


def owner_of(path: Path) -> tuple[str, int] | None:
    """(host, pid) of the process that made a temporary or moved-aside name, else None."""
    m = _STRAY.match(path.name)
    return (m["host"], int(m["pid"])) if m else None


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def sweep(directory: str | os.PathLike[str], target: str | None = None) -> list[Path]:
    """Remove the temporary files that dead processes of this host left in `directory`
    (only those of `target` if given); returns what was removed. Datasets moved aside by
    `--force` (alpsim-old) are not temporaries and are left alone here."""
    directory = Path(directory)
    removed: list[Path] = []
    try:
        entries = list(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return removed
    me = host_tag()
    for path in entries:
        m = _STRAY.match(path.name)
        if not m or m["tag"] != TMP_TAG or (target is not None and m["target"] != target):
            continue
        pid = int(m["pid"])
        if m["host"] != me or pid == os.getpid() or pid_alive(pid):
            continue
        _remove(path)
        removed.append(path)
        log.info("removed %s, left by process %d that no longer runs", path, pid)
    return removed


def moved_aside(directory: Path, target: str) -> list[Path]:
    """Old outputs that a `--force` run moved aside for `target` and did not delete (killed)."""
    out = []
    for path in directory.iterdir() if directory.is_dir() else ():
        m = _STRAY.match(path.name)
        if m and m["tag"] == OLD_TAG and m["target"] == target:
            pid = int(m["pid"])
            if m["host"] != host_tag() or pid == os.getpid() or not pid_alive(pid):
                out.append(path)
    return out


def fsync_path(path: Path) -> None:
    """Flush a file (or directory entry table) to the storage device."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() and hasattr(os, "O_DIRECTORY") else 0)
    try:
        fd = os.open(path, flags)
    except OSError:  # pragma: no cover - e.g. directories on some platforms
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _link_new(tmp: Path, final: Path) -> None:
    """Give `tmp` the name `final` only if `final` does not exist (atomic check-and-create)."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise
    except OSError as exc:
        no_links = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK)
        if exc.errno not in no_links:
            raise
        # no hard links here: reserve the name with an exclusive create, then replace it
        fd = os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        os.close(fd)
        os.replace(tmp, final)
        return
    tmp.unlink()


def commit(pairs: Sequence[tuple[Path, Path]], force: bool = False) -> None:
    """Rename every (temporary, final) pair into place, or none of them.

    All temporaries are fsynced first. Without `force` an existing final name is never
    replaced: if one appeared since the run started, the outputs already committed by this call
    are withdrawn, every temporary is removed and CommitError names the file. With `force`
    existing files are replaced (os.replace: readers see the old or the new file, never a mix).
    """
    pairs = [(Path(t), Path(f)) for t, f in pairs]
    committed: list[Path] = []
    try:
        for tmp, _ in pairs:
            fsync_path(tmp)
        for tmp, final in pairs:
            if final.is_dir():
                raise CommitError(errno.EISDIR, f"output {str(final)!r} is a directory")
            if force:
                os.replace(tmp, final)
            else:
                try:
                    _link_new(tmp, final)
                except FileExistsError:
                    raise CommitError(
                        errno.EEXIST,
                        f"output {str(final)!r} appeared while this run was writing it "
                        "(another run?); it was left untouched and this run's outputs were "
                        "not written; use --force to replace it",
                    ) from None
            committed.append(final)
    except BaseException:
        if not force:
            for final in committed:
                final.unlink(missing_ok=True)
        for tmp, _ in pairs:
            tmp.unlink(missing_ok=True)
        raise
    for parent in {final.parent for _, final in pairs}:
        fsync_path(parent)


def discard(paths: Iterable[Path]) -> None:
    """Remove temporaries (failure paths)."""
    for p in paths:
        with contextlib.suppress(OSError):
            _remove(Path(p))
