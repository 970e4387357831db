"""Inter-process write lock (flock). Readers never lock: writers only ever append whole lines
or rename complete files into place, so a reader sees a record entirely or not at all."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from ctx.store import confine


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Lock files are machine-local: created 0600 in a 0700 folder, never through a symlink."""
    confine.private_dirs(path.parent)
    fd = confine.open_lock(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def atomic_write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write a file completely or not at all (tmp file + fsync + rename). `private` files
    (machine-local or private data) are 0600 in 0700 folders; others 0644. The rename replaces
    a symlink at `path` itself rather than writing through it."""
    if private:
        confine.private_dirs(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)  # a leftover (or a planted link): removed, never followed
    mode = confine.PRIVATE_FILE if private else confine.SHARED_FILE
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
