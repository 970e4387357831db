"""The precomputed project brief that Claude Code's SessionStart hook prints.

Why: building a brief opens the store (pygit2, pycrdt) and ranks every memory — hundreds of
milliseconds the user would wait for at each agent start. So the brief is built off the
critical path, and the hook only copies a file to its stdout:

- ``.contextfs/local/cache/brief.out``: the exact bytes the hook prints (the
  ``hookSpecificOutput`` JSON line, or nothing);
- ``.contextfs/local/cache/brief.key``: what it was built from — format version, branch,
  character budget and a *fingerprint* of the store (name, size and mtime of every CRDT log;
  each memory or session write appends to one, and a ``git pull`` brings new ones).

A reader compares the key with a few ``stat`` calls; when it differs it still prints the cached
brief and starts a refresh in the background. Writes (``ProjectBase.mutate``) start that
refresh too once the cache exists, so the next session normally finds a fresh brief.

The hook imports this module, so its import-time dependencies are ``os``, ``sys`` and
``time`` only (no json, re, pathlib or subprocess: each costs start-up time on a busy
machine). Paths are plain strings here.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from typing import Any

CACHE_DIR = os.path.join(".contextfs", "local", "cache")
KEY_VERSION = "ctx-brief-2"
#: Set to 0 to never start a background refresh (benchmarks that must not be disturbed).
REFRESH_ENV = "CTX_BRIEF_REFRESH"
BRIEF_CHARS_ENV = "CTX_HOOK_BRIEF_CHARS"
DEBOUNCE = 0.3  # seconds a background refresh waits, so a burst of writes costs one rebuild

_children: list[int] = []  # detached processes this process started and has not reaped


def cache_dir(root: str | os.PathLike[str]) -> str:
    return os.path.join(os.fspath(root), CACHE_DIR)


def cache_path(root: str | os.PathLike[str]) -> str:
    """The file the hook prints (exists once a brief was built)."""
    return os.path.join(cache_dir(root), "brief.out")


def key_path(root: str | os.PathLike[str]) -> str:
    return os.path.join(cache_dir(root), "brief.key")


def fingerprint(root: str | os.PathLike[str]) -> str:
    """What the brief depends on, cheaply: every state log's name, size and mtime, and git's
    HEAD reflog (memories citing code go stale with commits)."""
    store = os.path.join(os.fspath(root), ".contextfs")
    parts: list[str] = []
    for sub in ("state", os.path.join("local", "private")):
        d = os.path.join(store, sub)
        try:
            names = sorted(n for n in os.listdir(d) if n.endswith(".log"))
        except OSError:
            continue
        for n in names:
            try:
                st = os.stat(os.path.join(d, n))
            except OSError:
                continue
            parts.append(f"{sub}/{n}:{st.st_size}:{st.st_mtime_ns}")
    try:  # a commit or checkout moves HEAD: cited code may have changed (stale memories)
        st = os.stat(os.path.join(os.fspath(root), ".git", "logs", "HEAD"))
        parts.append(f"HEAD:{st.st_size}:{st.st_mtime_ns}")
    except OSError:
        pass
    return "|".join(parts)


def budget_from_env(default: int) -> int:
    try:
        return int(os.environ.get(BRIEF_CHARS_ENV) or default)
    except ValueError:
        return default


def make_key(branch: str | None, budget: int, print_: str, token: str | None) -> str:
    return f"{KEY_VERSION}\n{branch or ''}\n{budget}\n{print_}\n{token or ''}\n"


#: A random file in git's directory (ctx/core/machine_key.py): the key's last line is its
#: content, so a brief committed under local/ (`git add -f`) and pulled is never printed into
#: an agent's context — no pull writes into git's directory.
TOKEN_NAME = "ctx-brief-key"


def clone_token(root: str | os.PathLike[str]) -> str | None:
    """The clone's brief token, read as it is (no hashing: the hook's start-up), or None."""
    git = os.path.join(os.fspath(root), ".git")
    common = git
    if not os.path.isdir(git):  # `--separate-git-dir`: "gitdir: PATH", maybe a commondir
        raw = _read(git, 4096)
        if raw is None or not raw.startswith(b"gitdir: "):
            return None
        gd = os.path.join(os.fspath(root), raw[8:].strip().decode("utf-8", "replace"))
        more = _read(os.path.join(gd, "commondir"), 4096)
        common = os.path.join(gd, more.strip().decode("utf-8", "replace")) if more else gd
    tok = _read(os.path.join(common, TOKEN_NAME), 128)
    if tok is None:
        return None
    tok = tok.strip()
    return tok.decode() if len(tok) == 32 and all(c in b"0123456789abcdef" for c in tok) else None


def is_ours(key: str | None, token: str | None) -> bool:
    """Whether the cached brief was built on this clone (not committed and pulled)."""
    return key is not None and token is not None and key.endswith(f"\n{token}\n")


def _read(path: str, limit: int) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        return os.read(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_raw(root: str | os.PathLike[str]) -> tuple[str | None, bytes | None]:
    """(the cache key, the bytes to print); either None when missing or unreadable."""
    key = _read(key_path(root), 1 << 20)
    out = _read(cache_path(root), 8 << 20)
    return (key.decode("utf-8", "replace") if key is not None else None), out


def is_fresh(
    root: str | os.PathLike[str],
    key: str | None,
    branch: str | None,
    budget: int,
    token: str | None,
) -> bool:
    return key == make_key(branch, budget, fingerprint(root), token)


def read_cache(root: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The cached brief as ``{"text", "branch", "budget", "fingerprint"}`` (for tests and
    tools; the hook itself uses :func:`read_raw`), or None."""
    import json

    key, out = read_raw(root)
    if key is None or out is None:
        return None
    lines = key.split("\n")
    if len(lines) < 4 or lines[0] != KEY_VERSION:
        return None
    text = ""
    if out.strip():
        try:
            text = json.loads(out)["hookSpecificOutput"]["additionalContext"]
        except (ValueError, KeyError, TypeError):
            return None
    return {"text": text, "branch": lines[1] or None, "budget": lines[2], "fingerprint": lines[3]}


#: What every cached answer looks like (``write_cache``): this, one JSON string, then ``"}}``.
ANSWER_PREFIX = b'{"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "'
ANSWER_SUFFIX = b'"}}\n'


def well_formed(out: bytes) -> bool:
    """Is ``out`` exactly an answer :func:`write_cache` writes — the brief as one JSON string
    and nothing else? ``.contextfs/local/`` is not committed, but a hostile commit could force
    a file there; then Claude Code must not get other hook fields (``"continue": false``, ...)."""
    if not (out.startswith(ANSWER_PREFIX) and out.endswith(ANSWER_SUFFIX)):
        return False
    body = out[len(ANSWER_PREFIX) : -len(ANSWER_SUFFIX)]
    at = body.find(b'"')
    while at >= 0:
        slashes = 0
        while at - slashes > 0 and body[at - slashes - 1] == 0x5C:
            slashes += 1
        if slashes % 2 == 0:
            return False  # an unescaped quote: the string ends early, something follows
        at = body.find(b'"', at + 1)
    return b"\n" not in body


def _atomic(path: str, data: bytes) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.unlink(tmp)  # a leftover, or a link planted there: never written through
    except OSError:
        pass
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o600)  # it holds memories
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def write_cache(
    root: str | os.PathLike[str], *, text: str, branch: str | None, budget: int, print_: str
) -> None:
    """Replace the cache: the output first, then the key that vouches for it."""
    import json

    os.makedirs(cache_dir(root), exist_ok=True)
    out = ""
    if text:
        answer = {
            "hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": text}
        }
        out = json.dumps(answer, ensure_ascii=False) + "\n"
    _atomic(cache_path(root), out.encode("utf-8"))
    from pathlib import Path

    from ctx.core.machine_key import token

    made = token(Path(root), TOKEN_NAME)
    _atomic(key_path(root), make_key(branch, budget, print_, made).encode("utf-8"))


# -- background processes --------------------------------------------------------------------

#: ``python -c`` bootstrap for a detached job: drop the working directory from sys.path (a
#: checkout with its own ``ctx/`` must not shadow the installed one), then run ``MODULE.main``.


#: Waits (at most 15 s) until process $1 is gone, then runs the rest of its arguments: so a
#: job started by a hook does not even start Python while Claude Code is still exiting.
_AFTER_SH = (
    'i=0; while [ "$i" -lt 300 ] && kill -0 "$1" 2>/dev/null; do sleep 0.05; i=$((i+1)); done; '
    'shift; exec "$@"'
)


def spawn_detached(module: str, args: list[str], after_pid: int | None = None) -> bool:
    """Start ``python -c <run MODULE.main(args)>`` in its own session, stdio on /dev/null,
    and return at once. Nothing waits for it: not the caller (no pipes are shared; every other
    descriptor is close-on-exec), not a terminal's hangup (a new session). With ``after_pid``,
    a tiny shell first waits for that process to end. False when it could not be started.
    ``os.posix_spawn`` rather than ``subprocess``: importing subprocess costs start-up time."""
    _reap()
    devnull = os.devnull
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, devnull, os.O_WRONLY, 0),
    ]
    from ctx.core.safe_launch import module_main

    argv = [sys.executable, "-c", module_main(module), *args]  # nothing from the cwd
    path = sys.executable
    if after_pid and os.path.exists("/bin/sh"):
        path = "/bin/sh"
        argv = [path, "-c", _AFTER_SH, "sh", str(after_pid), *argv]
    try:
        pid = os.posix_spawn(path, argv, os.environ, file_actions=actions, setsid=True)
    except (OSError, ValueError):
        return False
    _children.append(pid)
    return True


def _reap() -> None:
    """Collect detached children that have finished (a long-lived process such as the MCP
    server starts many refreshes; finished ones must not linger as zombies)."""
    for pid in list(_children):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _children.remove(pid)


def refresh_in_background(root: str | os.PathLike[str], cwd: str | os.PathLike[str]) -> bool:
    """Rebuild the brief soon, in another process (``ctx.integrations.brief_refresh``: the
    store starts it by name and never imports it); ``cwd`` is where the
    agent runs (its worktree's branch ranks the brief)."""
    if os.environ.get(REFRESH_ENV, "1") == "0":
        return False
    return spawn_detached("ctx.integrations.brief_refresh", [os.fspath(root), os.fspath(cwd)])
