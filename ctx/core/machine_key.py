"""A random key of this clone, kept in git's own directory, which no pull or clone writes.

`.contextfs/local/` is gitignored, but a commit can still force-add files there (`git add -f`),
and a pull or clone then writes them into every teammate's checkout. Machine-local caches
(the loaded state, blames, trailers, the files sessions touched) are therefore written under
this key and read only when they carry it: a cache someone committed never matches, and is
recomputed instead of trusted. Where git's directory cannot be written, a key for this
process alone is used (caches are then only a speed-up lost, never wrong).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

NAME = "ctx-cache-key"
_HEX = re.compile(rb"[0-9a-f]{32}")
_memo: dict[str, str] = {}


def key_for(root: Path) -> str | None:
    """The key of the clone whose main worktree (or store's project root) is `root`; None
    when no stable place for it was found (then :func:`tag` uses a key of this process)."""
    where = str(root)
    if where in _memo:
        return _memo[where] or None
    value = None
    gitdir = _git_dir(root)
    if gitdir is not None:
        value = _read_or_create(gitdir / NAME)
    if value is None:  # git's directory unknown or read-only: the user's cache, per checkout
        try:
            from ctx.core.paths import cache_dir

            folder = cache_dir() / "clone-keys"
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            name = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogateescape"))
            value = _read_or_create(folder / name.hexdigest()[:32])
        except OSError:
            value = None
    _memo[where] = value or ""
    return value


def token(root: Path, name: str) -> str | None:
    """The raw content of another random file of the clone's (`name`, in git's directory),
    made when missing: for readers that cannot afford hashing (the agents' start-up hooks
    compare it as it is); None where git's directory cannot be found or written."""
    gitdir = _git_dir(root)
    return _read_or_create(gitdir / name) if gitdir is not None else None


def tag(root: Path, *parts: object) -> str:
    """A digest of `parts` under the clone's key: what a cache file carries to be trusted."""
    h = hashlib.sha256((key_for(root) or _PROCESS_KEY).encode())
    for p in parts:
        h.update(b"\0" + str(p).encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _git_dir(root: Path) -> Path | None:
    """git's shared directory for the checkout at `root` (a `.git` that is a link: where it
    points), or None."""
    from ctx.core.gitfiles import locate

    try:
        repo = locate(root.resolve())
        if repo is not None:
            return repo.common
        dot = (root / ".git").resolve()
        return dot if dot.is_dir() else None
    except OSError:
        return None


_PROCESS_KEY = secrets.token_hex(16)


def _read_or_create(path: Path) -> str | None:
    found = _read(path)
    if found is not None:
        return found
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_hex(16).encode())
        try:
            os.link(tmp, path)  # created whole, or not at all when another process won
        except FileExistsError:
            pass
    except OSError:
        return None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    return _read(path)


def _read(path: Path) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(64).strip()
    return data.decode() if _HEX.fullmatch(data) else None


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
