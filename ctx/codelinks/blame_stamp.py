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
from ctx.core.machine_key import key_for

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
        found.update(_from_environment())
        settings = sorted(found.items())
    except Unsure:
        found = _from_environment()
        marks = [_mark(p, follow=True) for p in config_files(repo)]
        settings = [marks, sorted(found.items())]
    named = [
        _content(repo.worktree / ".mailmap", follow=False),  # git does not follow it either
        _content(_path(repo, found.get("mailmap.file")), follow=True),
        _content(_path(repo, found.get("blame.ignorerevsfile")), follow=True),
        _blob(repo, found.get("mailmap.blob")),
    ]
    files_env = sorted((k, os.environ.get(k)) for k in _FILES_ENV if k in os.environ)
    # the clone's own key: a blame cache someone committed under local/ never matches
    parts = [settings, named, files_env, key_for(repo.root)]
    return hashlib.sha256(json.dumps(parts).encode("utf-8", "surrogateescape")).hexdigest()


#: the environment that changes which config files git reads (GIT_CONFIG_PARAMETERS and
#: GIT_CONFIG_COUNT, which `git -c` and git itself set for hooks, count only for SETTINGS)
_FILES_ENV = ("GIT_CONFIG", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM")


def _from_environment() -> dict[str, str]:
    """SETTINGS given in the environment (`git -c` passes them on to hooks this way): a hook
    run under `git -c core.hooksPath=…` stamps its blames as a plain `ctx why` does."""
    import shlex

    found: dict[str, str] = {}
    params = os.environ.get("GIT_CONFIG_PARAMETERS", "")
    try:
        items = shlex.split(params)
    except ValueError:
        items = [params]
    for item in items:
        key, _eq, value = item.partition("=")
        if key.lower() in SETTINGS:
            found[key.lower()] = value
    count = os.environ.get("GIT_CONFIG_COUNT", "")
    for i in range(min(int(count), 1000) if count.isdigit() else 0):
        key = os.environ.get(f"GIT_CONFIG_KEY_{i}", "").lower()
        if key in SETTINGS:
            found[key] = os.environ.get(f"GIT_CONFIG_VALUE_{i}", "")
    return found


def _path(repo: Repo, value: str | None) -> Path | None:
    """A path setting as git reads it: `~` expanded, relative to the worktree."""
    if not value:
        return None
    return repo.worktree / Path(value).expanduser()


def _blob(repo: Repo, value: str | None) -> str | None:
    """The object `mailmap.blob` names now (`origin/main:.mailmap` moves with its branch,
    not with HEAD); asked of git only where the setting is used."""
    if not value:
        return None
    if value.startswith("-"):
        return value  # not a revision git would take here; the setting's text stands
    import subprocess

    try:
        out = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", value],
            cwd=repo.worktree,
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return value
    return out.stdout.decode("ascii", "replace").strip() or value


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
