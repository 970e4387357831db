"""git's own files read without a git library: which checkout a directory is in, and its HEAD.

What `ctx.core.gitinfo` would ask pygit2, for the places where importing it costs more than the
answer: every store command's git context (ctx.core.gitinfo tries this first) and the `ctx why`
answer cache (ctx/codelinks/answer_cache.py), checked before anything heavy is imported. Anything
this reader does not know (a bare repository, reftable, a symbolic ref chain, a config include)
is None: the caller then asks pygit2, it never guesses."""

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


def linked_worktrees(common: Path) -> list[Path] | None:
    """The linked worktrees git lists in ``<common>/worktrees/<name>/gitdir`` (the path of
    each one's ``.git`` file, absolute or relative to that folder), as ``git worktree list``
    reads them; None when a record is not plain (the caller then asks pygit2)."""
    admin = common / "worktrees"
    try:
        names = sorted(os.listdir(admin))
    except FileNotFoundError:
        return []
    except OSError:
        return None
    out: list[Path] = []
    for name in names:
        try:
            text = (admin / name / "gitdir").read_text(encoding="utf-8").strip()
        except FileNotFoundError:  # not a worktree record (git ignores it too)
            continue
        except (OSError, UnicodeDecodeError):
            return None
        if not text or "\n" in text:
            return None
        out.append((admin / name / text).parent if not os.path.isabs(text) else Path(text).parent)
    return out


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
    if not plain_ref(ref):
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


def plain_ref(ref: str) -> bool:
    """A branch ref named in the plain way this reader follows."""
    return ref.startswith("refs/heads/") and ".." not in ref and set(ref) <= _REF_CHARS


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


# ---- git config, the plain subset ------------------------------------------------------------

#: Environment variables that change where git finds its repository or its configuration: with
#: any of them set, git's files are not read here (pygit2 knows them).
GIT_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_CONFIG",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_PARAMETERS",
)


class Unsure(Exception):
    """Something this reader does not interpret the way git would: ask pygit2 instead."""


def user_config_files() -> list[Path]:
    """The system and user config files, lowest precedence first (as git reads them)."""
    home = Path(os.environ.get("HOME") or "~").expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    nosystem = os.environ.get("GIT_CONFIG_NOSYSTEM", "").lower() in ("1", "true", "yes", "on")
    system = [] if nosystem else [Path("/etc/gitconfig")]
    return [*system, Path(xdg) / "git" / "config", home / ".gitconfig"]


def read_config(files: list[Path], wanted: set[str]) -> dict[str, str]:
    """The last value of each ``section.key`` in ``wanted`` (lower case) across ``files``, lowest
    precedence first. Raises Unsure on includes, continued lines or anything not plain."""
    found: dict[str, str] = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise Unsure(str(path)) from exc
        section = ""
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                end = line.find("]")
                if end < 0:
                    raise Unsure(f"{path}: {line[:40]}")
                head_ = line[1:end].strip()
                name, _, sub = head_.partition(" ")
                section = name.lower() if not sub else f"{name.lower()}.{sub.strip()}"
                if name.lower() in ("include", "includeif"):
                    raise Unsure(f"{path}: includes another file")
                line = line[end + 1 :].strip()
                if not line or line[0] in "#;":
                    continue
            key, eq, value = line.partition("=")
            full = f"{section}.{key.strip().lower()}"
            if full not in wanted:
                if value.rstrip().endswith("\\"):
                    raise Unsure(f"{path}: a continued line")
                continue
            found[full] = _value(value) if eq else "true"
    return found


def _value(text: str) -> str:
    """A plain config value as git reads it: a comment dropped, the ends trimmed. Quotes and
    escapes are left to pygit2 (Unsure)."""
    if '"' in text or "\\" in text:
        raise Unsure("a quoted or escaped value")
    for mark in "#;":
        text = text.split(mark, 1)[0]
    return text.strip()


def add_exclude(common: Path, pattern: str, comment: str = "") -> None:
    """`pattern` in this clone's `info/exclude` (under git's shared directory `common`; git
    reads it, no pull writes it), unless it is there already. OSError when it cannot be."""
    exclude = common / "info" / "exclude"
    if os.path.islink(exclude):
        raise OSError(f"{exclude} is a symbolic link")
    try:
        text = exclude.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        text = ""
    if pattern in text.splitlines():
        return
    exclude.parent.mkdir(parents=True, exist_ok=True)
    sep = "" if not text or text.endswith("\n") else "\n"
    note = f"# {comment}\n" if comment else ""
    with open(exclude, "a", encoding="utf-8") as fh:
        fh.write(f"{sep}{note}{pattern}\n")
