"""One index builder at a time, and what counts as a damaged index.

Refreshing the index reads the store, compares fingerprints and writes: two processes doing
that at once both insert the same documents. An flock on ``index.db.lock`` (beside the index,
in ``local/``) serializes builders; readers never take it (SQLite's WAL lets them read
while a builder writes). The lock is re-entrant within a process, so a builder that finds the
file damaged can reset it without deadlocking on itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import apsw

# (lock path, thread) -> (fd, depth): re-entrant per thread; another thread of this process
# opens its own descriptor and so waits on the flock like another process would.
_HELD: dict[tuple[str, int], tuple[int, int]] = {}
_GUARD = threading.RLock()
POLL = 0.05

# apsw errors that mean "the file is not a usable index" (throw it away and rebuild), as
# opposed to a busy database, a full disk or a read-only file system (resource errors).
_NOT_DAMAGE = (
    apsw.BusyError,
    apsw.LockedError,
    apsw.FullError,
    apsw.IOError,
    apsw.ReadOnlyError,
    apsw.CantOpenError,
    apsw.PermissionsError,
    apsw.InterruptError,
    apsw.NoMemError,
)


def is_damage(exc: BaseException) -> bool:
    """True for errors a damaged index file raises (malformed pages, unreadable vectors,
    a schema that is not ours); False for resource errors and everything else."""
    if isinstance(exc, (apsw.CorruptError, apsw.NotADBError)):
        return True
    if isinstance(exc, _NOT_DAMAGE):
        return False
    return isinstance(exc, (apsw.SQLError, apsw.ConstraintError, apsw.MismatchError))


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@contextlib.contextmanager
def build_lock(db_path: Path, *, wait: float | None = None) -> Iterator[bool]:
    """Hold the builder lock of ``db_path``; yields False if ``wait`` seconds passed first.

    ``wait=None`` waits as long as it takes. Where the lock file cannot be created (a
    read-only checkout), the index cannot be written either: go on unlocked.
    """
    path = str(lock_path(db_path))
    key = (path, threading.get_ident())
    with _GUARD:
        held = _HELD.get(key)
        if held is not None:
            _HELD[key] = (held[0], held[1] + 1)
    if held is not None:
        try:
            yield True
        finally:
            _release(key)
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        yield True
        return
    if not _acquire(fd, wait):
        os.close(fd)
        yield False
        return
    with _GUARD:
        _HELD[key] = (fd, 1)
    try:
        yield True
    finally:
        _release(key)


def _acquire(fd: int, wait: float | None) -> bool:
    if wait is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL)


def _release(key: tuple[str, int]) -> None:
    with _GUARD:
        fd, depth = _HELD[key]
        if depth > 1:
            _HELD[key] = (fd, depth - 1)
            return
        del _HELD[key]
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the index file: tells whether another process replaced it."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
