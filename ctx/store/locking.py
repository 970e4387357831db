"""Inter-process write lock (flock). Readers never lock: writers only ever append whole lines
or rename complete files into place, so a reader sees a record entirely or not at all.

The lock is re-entrant within one process (`ctx sync` holds it across its git steps and still
calls store code that locks), and a writer may wait only a bounded time (`wait`): a writer
that cannot get it (a sync is running) queues its change instead (see ctx/store/pending.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ctx.store import confine

_guard = threading.Lock()
_held: dict[str, tuple[threading.RLock, list[int]]] = {}  # path -> (thread lock, [fd, depth])


def _entry(path: Path) -> tuple[threading.RLock, list[int]]:
    key = os.path.abspath(path)
    with _guard:
        if key not in _held:
            _held[key] = (threading.RLock(), [-1, 0])
        return _held[key]


@contextlib.contextmanager
def try_lock(path: Path, wait: float | None = None) -> Iterator[bool]:
    """Hold the lock at `path`; yields False (not holding it) when `wait` seconds passed first.
    `wait=None` waits as long as it takes."""
    confine.private_dirs(path.parent)  # lock files are machine-local: 0700 folder
    rlock, slot = _entry(path)
    deadline = None if wait is None else time.monotonic() + wait
    if not rlock.acquire(timeout=-1 if wait is None else max(wait, 0)):
        yield False
        return
    try:
        if slot[1] == 0:
            fd = confine.open_lock(path)  # 0600, never through a symlink
            if not _flock(fd, deadline):
                os.close(fd)
                yield False
                return
            slot[0] = fd
        slot[1] += 1
        try:
            yield True
        finally:
            slot[1] -= 1
            if slot[1] == 0:
                fd, slot[0] = slot[0], -1
                try:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                finally:
                    os.close(fd)
    finally:
        rlock.release()


def _flock(fd: int, deadline: float | None) -> bool:
    if deadline is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    pause = 0.005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.1)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold the lock at `path`, waiting as long as it takes."""
    with try_lock(path) as got:
        assert got
        yield


@contextlib.contextmanager
def job_lock(store: Path, lock: Path) -> Iterator[bool]:
    """Held (True) while one background job works on a cache under `store`; False when another
    job holds it or the lock cannot be made safely (a link on the way): the caller skips."""
    from ctx.core.errors import CtxError

    try:
        confine.private_dirs(lock.parent)
        fd = -1 if confine.link_in(store, lock) is not None else confine.open_lock(lock)
    except (OSError, CtxError):
        fd = -1
    if fd < 0:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, private: bool = False, durable: bool = True) -> None:
    """Write a file completely or not at all (tmp file + fsync + rename). `private` files
    (machine-local or private data) are 0600 in 0700 folders; others 0644. The rename replaces
    a symlink at `path` itself rather than writing through it. `durable=False` skips the
    fsync, for machine-local copies that guard against git, not power loss."""
    if private:
        _refuse_linked(path)
        confine.private_dirs(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)  # a leftover (or a planted link): removed, never followed
    mode = confine.PRIVATE_FILE if private else confine.SHARED_FILE
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a size limit: no half file left, the target named
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _refuse_linked(path: Path) -> None:
    """A machine-local file under `.contextfs/` is never written through a symlinked folder
    (a commit can carry `.contextfs/local` as a link): the last line of defence."""
    from ctx.core.errors import CtxError

    parts = path.parts
    if ".contextfs" not in parts:
        return
    store = Path(*parts[: parts.index(".contextfs") + 1])
    link = confine.link_in(store, path.parent)
    if link is not None:
        raise CtxError(
            f"{link} is a symbolic link; ctx never writes through one",
            f"remove the symlink {link}; ctx recreates it",
            code="store_symlink",
        )


def write_cache(path: Path, obj: object) -> None:
    """Save a machine-local JSON cache, or nothing: a cache that cannot be written (a full disk,
    a linked folder refused by :func:`atomic_write`) only costs time next run."""
    import json

    from ctx.core.errors import CtxError

    try:
        atomic_write(path, json.dumps(obj).encode("utf-8"), private=True, durable=False)
    except (OSError, CtxError):
        pass


def write_bounded_cache(path: Path, obj: object, max_files: int) -> None:
    """:func:`write_cache`, then keep its folder bounded: past ``max_files`` JSON files, the
    least recently written half goes."""
    write_cache(path, obj)
    try:
        names = [e for e in os.scandir(path.parent) if e.name.endswith(".json") and e.is_file()]
        if len(names) <= max_files:
            return
        names.sort(key=lambda e: e.stat().st_mtime)
        for e in names[: len(names) // 2]:
            try:
                os.unlink(e.path)
            except OSError:
                pass
    except OSError:
        pass
