"""What a `ctx why` answer depends on, as one digest computed from files (no pygit2, no pycrdt):
the question, HEAD, the file's bytes, what else git reads for a blame, ctx's own code, and the
name, kind, inode, size and mtime of every store file an answer reads. See answer_cache.py."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from ctx.codelinks.blame_stamp import stamp as blame_stamp
from ctx.core.gitfiles import Repo, config_files, head
from ctx.core.process import pid_alive

CACHE_VERSION = 1
_STORE = ".contextfs"
# the code that computes an answer: a changed ctx answers afresh
_CODE = (
    "codelinks/why.py",
    "codelinks/blame.py",
    "codelinks/blame_cache.py",
    "codelinks/blame_stamp.py",
    "codelinks/answer_cache.py",
    "codelinks/answer_key.py",
    "codelinks/gitobjects.py",
    "codelinks/trailer_cache.py",
    "codelinks/why_inputs.py",
    "core/gitfiles.py",
    "core/gitinfo.py",
    "store/touched.py",
    "store/sessions.py",
)


def _mark(path: Path | str) -> list[int]:
    """What changes when a file is written, replaced or removed (never through a link)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return []
    return [stat.S_IFMT(st.st_mode), st.st_ino, st.st_size, st.st_mtime_ns]


def _row(rel: str, path: Path | str) -> str:
    """``rel NUL kind NUL inode NUL size NUL mtime`` (a missing file: ``rel NUL``)."""
    return "\0".join([rel, *map(str, _mark(path))]) + "\n"


def _folder(rows: list[str], rel: str, path: Path) -> None:
    """The folder and every entry of it (name, kind, inode, size, mtime) as rows."""
    rows.append(_row(rel, path))
    try:
        with os.scandir(path) as it:
            found = []
            for e in it:
                st = e.stat(follow_symlinks=False)
                found.append(
                    f"{rel}/{e.name}\0{stat.S_IFMT(st.st_mode)}\0{st.st_ino}\0{st.st_size}"
                    f"\0{st.st_mtime_ns}\n"
                )
    except (FileNotFoundError, NotADirectoryError):
        return
    found.sort()
    rows += found


def store_rows(root: Path) -> list[str] | None:
    """One row per store file an answer reads (:func:`_row`: its path under `.contextfs/`,
    kind, inode, size, mtime); None when the store would not be read as it is (a symlink
    where ctx refuses one, a capture to recover first)."""
    from ctx.store import confine

    store = root / _STORE
    if confine.structure_links(root, store) or needs_recovery(store / "local" / "active"):
        return None
    rows = [_row(rel, store / rel) for rel in ("config.toml", "local/private/state.log")]
    for rel in ("state", "sessions", "local/private/sessions", "local/pending"):
        _folder(rows, rel, store / rel)
    return rows


def digest_of(rows: list[str]) -> str:
    return hashlib.sha256("".join(rows).encode("utf-8", "surrogateescape")).hexdigest()


def store_digest(root: Path) -> str | None:
    """A digest of every file an answer reads from the store (:func:`store_rows`)."""
    rows = store_rows(root)
    return None if rows is None else digest_of(rows)


def needs_recovery(active: Path) -> bool:
    """Whether an open capture's process is gone: the next full command completes it (and
    the session joins the answer), so no cached answer may stand in for that command."""
    try:
        names = [n for n in os.listdir(active) if n.endswith(".jsonl") and n[0] != "."]
    except FileNotFoundError:
        return False
    except OSError:
        return True
    for name in names:
        try:
            with open(active / name, "rb") as fh:
                first = fh.readline(1 << 20)
            header = json.loads(first)
        except (OSError, ValueError):
            return True
        if not isinstance(header, dict) or header.get("type") != "session":
            return True
        pid = header.get("owner_pid")
        try:
            if isinstance(pid, int) and not pid_alive(pid):
                return True
        except (OverflowError, OSError):
            return True
    return False


def mark(path: Path | str) -> list[int]:
    """What changes when a file is written, replaced or removed (never through a link)."""
    return _mark(path)


def code_marks() -> list[object]:
    """ctx's version and the code that computes an answer: a changed ctx answers afresh."""
    return _code()


def _code() -> list[object]:
    from ctx.core.version import __version__

    base = Path(__file__).resolve().parent.parent
    return [__version__, CACHE_VERSION, *(_mark(base / rel) for rel in _CODE)]


def question_key(
    repo: Repo, rel: str, start: int | None, end: int | None, store: str | None = None
) -> str | None:
    """The digest of everything the answer to (`rel`, `start`, `end`) depends on, or None
    when that cannot be read cheaply and surely (then nothing is cached or served). `store`:
    the store's digest when the caller has just computed it."""
    at = head(repo)
    if at is None:
        return None
    file = repo.worktree / rel
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None
            content = hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None
    if store is None:
        store = store_digest(repo.root)
    if store is None:
        return None
    parts = {
        "code": _code(),
        "repo": [str(repo.worktree), str(repo.root), str(repo.gitdir), str(repo.common)],
        "question": [rel, start, end],
        "head": list(at),
        "file": content,
        # what else git reads for a blame: its config files (mailmap.file, blame.*), the
        # mailmap, the revisions to ignore, grafts, replace refs, a shallow clone's boundary
        "git": [
            *(_mark(p) for p in config_files(repo)),
            _mark(repo.worktree / ".mailmap"),
            _mark(repo.worktree / ".git-blame-ignore-revs"),
            _mark(repo.common / "info" / "grafts"),
            _mark(repo.common / "shallow"),
            _mark(repo.common / "refs" / "replace"),
            _mark(repo.common / "packed-refs"),
            sorted((k, v) for k, v in os.environ.items() if k.startswith("GIT_")),
            blame_stamp(repo),  # the mailmap and blame settings, wherever config puts them
        ],
        "store": store,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
