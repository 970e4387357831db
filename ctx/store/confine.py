"""Paths made from store content stay inside `.contextfs/`, and no link there is followed.

Whatever git brings was written by someone else: a state log can name any string as a
forgotten id, a commit can put a symbolic link where ctx keeps its files. Every path ctx derives
from store content goes through here: the name must match the grammar of docs/format.md
(ctx/core/ids.py), it is joined under the right base, and no component from `.contextfs/` down to it
may be a symlink (lstat, never stat). Files are opened with O_NOFOLLOW. What fails is reported
(file, line, what it held, escaped; the commit that brought it) and never used.

Permissions: everything machine-local or private is created 0600 (files) / 0700 (directories)
and tightened when it is written again; committed files keep normal modes.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ctx.core.errors import CtxError
from ctx.store.problems import Problem

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
SHARED_FILE = 0o644

# Structural paths (relative to `.contextfs/`): a symlink at any of them makes ctx refuse.
# `committed` ones are restored from git; the rest ctx makes again.
STRUCTURE: tuple[tuple[str, bool], ...] = (
    ("", True),
    ("config.toml", True),
    (".gitignore", True),
    (".gitattributes", True),
    ("state", True),
    ("sessions", True),
    ("index.db", False),
    ("index.db-wal", False),
    ("index.db-shm", False),
    ("index.db-journal", False),
    ("local", False),
    ("local/replica.json", False),
    ("local/write.lock", False),
    ("local/current-session", False),
    ("local/private", False),
    ("local/private/state.log", False),
    ("local/private/sessions", False),
    ("local/active", False),
    ("local/recordings", False),
    ("local/cache", False),
    ("local/cache/state.bin", False),
    ("local/sync", False),
    ("local/hooks.log", False),
    ("local/index-hook.lock", False),
    ("local/index.db", False),
    ("local/index.db-wal", False),
    ("local/index.db-shm", False),
    ("local/index.db-journal", False),
)


def shown(value: object, limit: int = 80) -> str:
    """A value from pulled content, safe to print: quoted, control and invisible characters
    escaped (repr), cut to `limit` characters."""
    text = repr(value) if isinstance(value, str) else repr(str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def link_in(store: Path, path: Path) -> Path | None:
    """The first symlink among `store` and every component below it down to `path`; `path`
    itself when it is not inside `store` at all; None when the path is clean."""
    top, full = os.fspath(store), os.fspath(path)  # strings: this runs once per session read
    if full != top and not full.startswith(top + os.sep):
        return path
    parts = full[len(top) + 1 :].split(os.sep) if full != top else []
    if ".." in parts:
        return path
    cur = top
    for part in ("", *parts):
        cur = cur + os.sep + part if part else cur
        try:
            st = os.lstat(cur)
        except FileNotFoundError:
            return None  # nothing further down exists either
        except OSError:
            return Path(cur)
        if stat.S_ISLNK(st.st_mode):
            return Path(cur)
    return None


def last_commit(root: Path, path: Path) -> str | None:
    """The commit that last changed `path` (abbreviated), or None (not committed)."""
    try:
        rel = str(path.relative_to(root))
    except ValueError:
        return None
    got = _git(root, "log", "-n1", "--format=%h", "--", rel)
    return got or None


def line_commit(root: Path, path: Path, line: int) -> str | None:
    """The commit that added line `line` of `path` (git blame), or None when uncommitted."""
    try:
        rel = str(path.relative_to(root))
    except ValueError:
        return None
    got = _git(root, "blame", "--porcelain", "-L", f"{line},{line}", "--", rel)
    sha = (got or "").split(" ", 1)[0]
    if not sha or set(sha) == {"0"}:
        return None
    return sha[:10]


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def where(root: Path, path: Path) -> str:
    """`path` relative to the project, and the commit that brought it when there is one."""
    try:
        rel = str(path.relative_to(root))
    except ValueError:
        rel = str(path)
    sha = last_commit(root, path)
    return f"{rel} (from commit {sha})" if sha else rel


def structure_links(root: Path, store: Path) -> list[tuple[Path, bool]]:
    """Every structural path of the store that is a symlink, with whether it is committed."""
    found = []
    for rel, committed in STRUCTURE:
        path = store / rel if rel else store
        if is_link(path):
            found.append((path, committed))
            if not rel:
                break  # nothing inside a linked store is looked at
    return found


def link_advice(root: Path, path: Path, committed: bool) -> str:
    try:
        rel = str(path.relative_to(root))
    except ValueError:
        rel = str(path)
    if committed:
        sha = last_commit(root, path)
        by = f" that commit {sha} added" if sha else ""
        return f"remove the symlink {rel}{by} (`git rm {rel}`) and restore the real one"
    return f"remove the symlink {rel}; ctx recreates it"


def check_structure(root: Path, store: Path) -> None:
    """Refuse (a CtxError, never a crash) when the store or one of its own files or folders is
    a symbolic link: ctx would read or write wherever it points."""
    found = structure_links(root, store)
    if not found:
        return
    names = ", ".join(str(p.relative_to(root)) if p != store else str(p) for p, _ in found)
    raise CtxError(
        f"{names}: symbolic link(s) inside the ctx store; ctx never follows them",
        "; ".join(link_advice(root, p, c) for p, c in found),
        code="store_symlink",
    )


def child(store: Path, base: Path, name: object, valid: Callable[[object], bool]) -> Path | None:
    """`base / name` when `name` is valid by the grammar and nothing from the store down to the
    result is a symlink; otherwise None (the caller reports it)."""
    if not valid(name):
        return None
    path = base / str(name)
    return None if link_in(store, path) is not None else path


# ---- opening without following links -------------------------------------------------------
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def open_read(path: Path) -> BinaryIO:
    """A regular file opened for reading; OSError (ELOOP) when `path` itself is a symlink."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    fh = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        fh.close()
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return fh


def read_bytes(path: Path) -> bytes:
    with open_read(path) as fh:
        return fh.read()


def why(exc: OSError) -> str:
    """What to tell the user about a file that could not be opened."""
    if exc.errno == errno.ELOOP:
        return "a symbolic link, not followed"
    return f"unreadable: {exc.strerror or exc}"


def open_append(path: Path, private: bool) -> int:
    """A descriptor for appending to `path` (created 0600 when private, else 0644), never
    through a symlink; an existing private file is tightened to 0600."""
    mode = PRIVATE_FILE if private else SHARED_FILE
    fd = _open_write(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, mode)
    if private:
        tighten_fd(fd)
    return fd


def open_lock(path: Path) -> int:
    """A lock file's descriptor (0600), never through a symlink."""
    fd = _open_write(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    tighten_fd(fd)
    return fd


def _open_write(path: Path, flags: int, mode: int) -> int:
    try:
        return os.open(path, flags | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise CtxError(
            f"{path} is a symbolic link; ctx never writes through one",
            f"remove the symlink {path}; ctx recreates the file",
            code="store_symlink",
        ) from None


def tighten_fd(fd: int) -> None:
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
            os.fchmod(fd, PRIVATE_FILE)
    except OSError:
        pass


def tighten(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Remove group/other access from an existing file or directory (not through a link)."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode) or not (st.st_mode & 0o077):
        return
    try:
        os.chmod(path, mode)
    except OSError:
        pass


def private_dirs(path: Path, *, tighten_existing: bool = True) -> None:
    """Create `path` and any missing parents as 0700 directories, and tighten `path` itself
    (ctx's own folders only). Store paths are checked for symlinks by the caller; a user's
    cache directory may well be a link, which is fine."""
    missing = []
    cur = path
    while not os.path.lexists(cur) and cur.parent != cur:
        missing.append(cur)
        cur = cur.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, PRIVATE_DIR)
        except FileExistsError:
            pass
    if tighten_existing:
        tighten(path, PRIVATE_DIR)


def entries(
    store: Path, base: Path, valid: Callable[[str], bool], skip: Callable[[str], bool]
) -> tuple[list[str], list[tuple[Path, str]]]:
    """The names of the entries of `base` that are `valid` and not symlinks (sorted), and the
    refused ones with the reason; names for which `skip` is true are passed over silently.
    A `base` that is itself a symlink (or under one) yields nothing, refused. Names, not
    paths: listing 10,000 sessions must stay cheap (d_type, no stat per entry)."""
    link = link_in(store, base)
    if link is not None:
        return [], [(link, "a symbolic link, not followed")]
    good: list[str] = []
    bad: list[tuple[Path, str]] = []
    try:
        it = os.scandir(base)
    except (FileNotFoundError, NotADirectoryError):
        return [], []
    with it:
        for e in it:
            name = e.name
            if valid(name):
                if e.is_symlink():
                    bad.append((base / name, "a symbolic link, not followed"))
                else:
                    good.append(name)
            elif not skip(name):
                why = f"{shown(name)} is not a valid name here (docs/format.md), ignored"
                bad.append((base / name, why))
    good.sort()
    return good, bad


_REFUSED: dict[tuple[str, str], str] = {}  # (path, reason) -> message, so git runs once


def refusal(root: Path, path: Path, reason: str, line: int = 0) -> Problem:
    """A Problem (see crdt_log) naming the file, what was wrong and the commit that brought
    it; the git lookup runs only here, when something is wrong, and once per path."""
    try:
        rel = str(path.relative_to(root))
    except ValueError:
        rel = str(path)
    key = (str(path), f"{line}:{reason}")
    msg = _REFUSED.get(key)
    if msg is None:
        sha = line_commit(root, path, line) if line else last_commit(root, path)
        msg = f"{reason} (from commit {sha})" if sha else reason
        if reason.startswith("a symbolic link"):
            msg += f"; remove the symlink: {'git rm' if sha else 'rm'} {rel}"
        if len(_REFUSED) > 1000:
            _REFUSED.clear()
        _REFUSED[key] = msg
    return Problem(rel, line, msg)


def all_links(store: Path, limit: int = 100) -> list[Path]:
    """Every symlink at or under the store (never descending through one), for `ctx doctor`."""
    if is_link(store):
        return [store]
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(store):  # os.walk does not follow links
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            if is_link(path):
                found.append(path)
                if len(found) >= limit:
                    return found
    return sorted(found)
