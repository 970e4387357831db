"""Open the index database with apsw and load sqlite-vec.

The stdlib ``sqlite3`` of many Pythons cannot load extensions, so the index always goes
through apsw. sqlite-vec is optional at run time: if it does not load, the caller gets the
reason and search degrades to keyword-only instead of failing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apsw

BUSY_TIMEOUT_MS = 10_000


@dataclass
class Opened:
    """A connection plus what we learned while opening it."""

    conn: apsw.Connection
    vec_ok: bool
    vec_error: str | None


def load_vec(conn: apsw.Connection) -> str | None:
    """Load sqlite-vec into ``conn``; return None on success or the reason it failed."""
    if os.environ.get("CTX_DISABLE_VEC"):  # lets tests and `ctx doctor` exercise the fallback
        return "sqlite-vec disabled by CTX_DISABLE_VEC"
    try:
        import sqlite_vec

        conn.enable_load_extension(True)
        conn.load_extension(sqlite_vec.loadable_path())
        conn.enable_load_extension(False)
        conn.execute("select vec_version()").fetchall()
    except Exception as exc:  # ImportError, apsw.ExtensionLoadingError, missing symbol...
        return f"sqlite-vec does not load: {exc}"
    return None


def connect(path: Path, *, readonly: bool = False) -> Opened:
    """Open (creating if needed) ``path`` in WAL mode with a busy timeout."""
    if not readonly:
        private_file(path)
    flags = (
        apsw.SQLITE_OPEN_READONLY
        if readonly
        else (apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE)
    )
    conn = apsw.Connection(str(path), flags=flags)
    conn.set_busy_timeout(BUSY_TIMEOUT_MS)
    err = load_vec(conn)
    if not readonly:
        conn.execute("pragma journal_mode=wal")
        conn.execute("pragma synchronous=normal")  # derived data: losing the last commit is fine
    conn.execute("pragma foreign_keys=on")
    conn.execute("pragma cache_size=-32000")  # 32 MB page cache keeps FTS posting lists warm
    return Opened(conn, err is None, err)


def private_file(path: Path) -> None:
    """The index holds private memory text, the embedding cache vectors of it: the database is
    created 0600 (SQLite gives its -wal/-shm files the database's mode) and an existing one,
    with its side files, is tightened. Never through a symlink."""
    from ctx.store import confine

    confine.private_dirs(path.parent, tighten_existing=False)
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW, confine.PRIVATE_FILE))
    except OSError:
        return  # a link or unreadable: the structure check or SQLite itself says so
    for suffix in ("", "-wal", "-shm", "-journal"):
        confine.tighten(Path(str(path) + suffix))


def remove_db_files(path: Path) -> None:
    """Delete a database and its WAL/SHM side files (the index is derived data)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            Path(str(path) + suffix).unlink()
        except FileNotFoundError:
            pass


def rows(conn: apsw.Connection, sql: str, params: Any = ()) -> list[Any]:
    """All rows of a query, typed loosely (apsw's row type is a union mypy cannot narrow)."""
    return list(conn.execute(sql, params))


def scalar(conn: apsw.Connection, sql: str, params: Any = ()) -> Any:
    """First column of the first row, or None."""
    for row in conn.execute(sql, params):
        return row[0]
    return None
