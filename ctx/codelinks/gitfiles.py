"""git's own files read without a git library: which checkout a directory is in, and its HEAD.

What `ctx.core.gitinfo` asks pygit2, for the one place that must not load it: the `ctx why`
answer cache (ctx/codelinks/answer_cache.py), checked before anything heavy is imported. Anything
this reader does not know (a bare repository, reftable, a symbolic ref chain) is None: the
caller then does without it, it never guesses."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

_HEX = frozenset("0123456789abcdef")
_REF_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+@")


@dataclass(frozen=True)
class Repo:
    """A checkout as git's own files describe it (what ctx.core.gitinfo gets from pygit2)."""

    worktree: Path  # the worktree we are in
    root: Path  # the project root: the main worktree
    gitdir: Path  # this worktree's git directory (HEAD lives here)
    common: Path  # the shared git directory (refs, config)


def locate(start: Path) -> Repo | None:
    """The repository holding `start` (an absolute, resolved path), or None when it is not a
    plain one (a bare repository, a `.git` that is a link, an unreadable gitdir file)."""
    cur = start
    while True:
        dot = cur / ".git"
        try:
            st = os.lstat(dot)
        except FileNotFoundError:
            st = None
        except OSError:
            return None
        if st is not None:
            break
        if cur.parent == cur:
            return None
        cur = cur.parent
    if stat.S_ISDIR(st.st_mode):
        gitdir = dot
    elif stat.S_ISREG(st.st_mode):
        try:
            text = dot.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        if not text.startswith("gitdir:"):
            return None
        gitdir = (cur / text[7:].strip()).resolve()
    else:
        return None
    common = gitdir
    try:
        pointer = (gitdir / "commondir").read_text(encoding="utf-8").strip()
        common = (gitdir / pointer).resolve()
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError):
        return None
    root = cur
    if gitdir.parent.name == "worktrees" and gitdir.parent.parent.name == ".git":
        root = gitdir.parent.parent.parent
    return Repo(cur, root, gitdir, common)


def head(repo: Repo) -> tuple[str, str] | None:
    """(branch ref or "", commit id) of HEAD, read from git's files; None when HEAD is unborn
    or stored in a way not read here (reftable, a chain of symbolic refs)."""
    try:
        text = (repo.gitdir / "HEAD").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if _is_oid(text):
        return "", text
    if not text.startswith("ref: "):
        return None
    ref = text[5:].strip()
    if not ref.startswith("refs/heads/") or ".." in ref or not set(ref) <= _REF_CHARS:
        return None
    try:
        loose = (repo.common / ref).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        loose = None
    except (OSError, UnicodeDecodeError):
        return None
    if loose is not None:
        return (ref, loose) if _is_oid(loose) else None
    try:
        with open(repo.common / "packed-refs", encoding="utf-8") as fh:
            for line in fh:
                oid, _, name = line.rstrip("\n").partition(" ")
                if name == ref and _is_oid(oid):
                    return ref, oid
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _is_oid(text: str) -> bool:
    return len(text) in (40, 64) and set(text) <= _HEX


def config_files(repo: Repo) -> list[Path]:
    """The repository's, the worktree's and the user's git config files."""
    home = Path(os.environ.get("HOME") or "~").expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    return [
        repo.gitdir / "config",
        repo.gitdir / "config.worktree",
        repo.common / "config",
        home / ".gitconfig",
        Path(xdg) / "git" / "config",
    ]
