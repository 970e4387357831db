"""What besides the history changes `git blame`'s output, as one digest read from files: the
mailmap (author names: `.mailmap`, `mailmap.file`, `mailmap.blob`), the revisions to ignore
(`blame.ignoreRevsFile`), and the few settings that change what the porcelain says.

A cached blame (blame_cache.py) and a cached answer (answer_key.py) are kept under it, so an
edited `.mailmap` gives the new names at the next question instead of the cached ones. Small
and without dataclasses: the answer cache's fast path imports it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from ctx.core.gitfiles import Repo, Unsure, config_files, read_config, user_config_files

#: settings that change what `git blame --porcelain -C -w` prints (names, lines, attribution)
SETTINGS = {
    "mailmap.file",
    "mailmap.blob",
    "blame.ignorerevsfile",
    "blame.markunblamablelines",
    "blame.markignoredlines",
    "diff.algorithm",
    "core.quotepath",
}


def stamp(repo: Repo) -> str:
    """The digest; when the config is not plain enough to read here (includes, quoting), the
    marks of every config file stand in for the settings (any config change counts)."""
    files = [*user_config_files(), repo.common / "config", repo.gitdir / "config.worktree"]
    settings: list[Any]
    try:
        found = read_config(files, SETTINGS)
        settings = sorted(found.items())
    except Unsure:
        found = {}
        settings = [_mark(p, follow=True) for p in config_files(repo)]
    named = [
        _content(repo.worktree / ".mailmap", follow=False),  # git does not follow it either
        _content(_path(repo, found.get("mailmap.file")), follow=True),
        _content(_path(repo, found.get("blame.ignorerevsfile")), follow=True),
    ]
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("GIT_CONFIG"))
    parts = [settings, named, env]
    return hashlib.sha256(json.dumps(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _path(repo: Repo, value: str | None) -> Path | None:
    """A path setting as git reads it: `~` expanded, relative to the worktree."""
    if not value:
        return None
    return repo.worktree / Path(value).expanduser()


_MAX = 1 << 22  # a bigger file is marked (inode, size, mtime), not read


def _content(path: Path | None, *, follow: bool) -> object:
    """The file's digest (small files: a mailmap, a list of revisions), None when absent;
    only a plain file is read."""
    if path is None:
        return None
    flags = os.O_RDONLY | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError:
        return _mark(path, follow=follow)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX:
            return [stat.S_IFMT(st.st_mode), st.st_ino, st.st_size, st.st_mtime_ns]
        return hashlib.sha256(fh.read(_MAX + 1)).hexdigest()


def _mark(path: Path, *, follow: bool) -> list[int]:
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except OSError:
        return []
    return [stat.S_IFMT(st.st_mode), st.st_ino, st.st_size, st.st_mtime_ns]
