"""The precomputed project brief that Claude Code's SessionStart hook prints.

Why: building a brief opens the store (pygit2, pycrdt) and ranks every memory — hundreds of
milliseconds the user would wait for at each agent start. So the brief is built off the
critical path, into ``.contextfs/local/cache/brief.json``, and the hook only reads that file.

Stale or not: the cache records a *fingerprint* of the store — name, size and mtime of every
CRDT log (each memory and session write appends to one) — and the branch it was ranked for.
A reader compares both with a few ``stat`` calls; when they differ it still uses the cached text
and starts a refresh in the background. Writes (``ProjectBase.mutate``) start that refresh
too, once the cache exists, so the next session normally finds a fresh brief.

Stdlib only: the hook imports this module, and must start in milliseconds.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from typing import Any

CACHE_REL = Path(".contextfs") / "local" / "cache" / "brief.json"
LOCK_REL = Path(".contextfs") / "local" / "cache" / "brief.lock"
CACHE_VERSION = 1
#: Set to 0 to never start a background refresh (benchmarks that must not be disturbed).
REFRESH_ENV = "CTX_BRIEF_REFRESH"
BRIEF_CHARS_ENV = "CTX_HOOK_BRIEF_CHARS"
DEBOUNCE = 0.3  # seconds a background refresh waits, so a burst of writes costs one rebuild


def cache_path(root: Path) -> Path:
    return root / CACHE_REL


def fingerprint(root: Path) -> str:
    """What the brief depends on, cheaply: every state log's name, size and mtime.

    Every memory or session change appends to one of these logs (``ProjectBase.mutate``), and a
    ``git pull`` brings new or longer ones, so any change shows here."""
    store = root / ".contextfs"
    parts: list[str] = []
    for d in (store / "state", store / "local" / "private"):
        try:
            names = sorted(n for n in os.listdir(d) if n.endswith(".log"))
        except OSError:
            continue
        for n in names:
            try:
                st = os.stat(d / n)
            except OSError:
                continue
            parts.append(f"{d.name}/{n}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def budget_from_env(default: int) -> int:
    try:
        return int(os.environ.get(BRIEF_CHARS_ENV) or default)
    except ValueError:
        return default


def read_cache(root: Path) -> dict[str, Any] | None:
    """The cached brief, or None when there is none or it is unreadable (never raises)."""
    try:
        with open(cache_path(root), "rb") as fh:
            data = json.loads(fh.read(4 * 1024 * 1024))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return None
    if not isinstance(data.get("text"), str):
        return None
    return data


def is_fresh(root: Path, data: dict[str, Any], branch: str | None, budget: int) -> bool:
    return (
        data.get("fingerprint") == fingerprint(root)
        and data.get("branch") == branch
        and data.get("budget") == budget
    )


def write_cache(root: Path, *, text: str, branch: str | None, budget: int, print_: str) -> None:
    """Atomically replace the cache (0600: it holds the project's memories)."""
    path = cache_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "version": CACHE_VERSION,
        "text": text,
        "branch": branch,
        "budget": budget,
        "fingerprint": print_,
        "made_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False)
    os.replace(tmp, path)


def spawn_detached(args: list[str], cwd: Path | None = None) -> bool:
    """Start ``python ARGS`` in its own session with stdio on /dev/null, and return at once.

    Nothing waits for it: not the caller (no pipes are shared), not a terminal's hangup (a new
    session). False when it could not be started."""
    import subprocess

    try:
        subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            cwd=str(cwd) if cwd else None,
        )
    except OSError:
        return False
    return True


def refresh_in_background(root: Path, cwd: Path | None = None) -> bool:
    """Rebuild the brief soon, in another process (see :func:`main`); ``cwd`` is where the
    agent runs (its worktree's branch ranks the brief)."""
    if os.environ.get(REFRESH_ENV, "1") == "0":
        return False
    where = cwd or root
    return spawn_detached(["-m", "ctx.brief_cache", str(root), str(where)], cwd=root)


def main(argv: list[str]) -> int:
    """``python -m ctx.brief_cache ROOT [CWD]``: rebuild the brief cache of ROOT, quietly.

    One refresher at a time (a lock; a second one exits at once). It waits a moment first and
    rebuilds again while the store keeps changing underneath, so a burst of writes ends with a
    brief that includes the last of them."""
    import fcntl

    root = Path(argv[0]) if argv else Path.cwd()
    where = Path(argv[1]) if len(argv) > 1 else root
    lock = root / LOCK_REL
    try:
        if not (root / ".contextfs" / "config.toml").is_file():
            return 0
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return 0
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return 0  # another refresher is at work: it rebuilds until the store holds still
    try:
        time.sleep(DEBOUNCE)
        from ctx.integrations.claude_hooks import refresh_brief_cache
        from ctx.store.project import Project

        for _ in range(3):
            before = fingerprint(root)
            refresh_brief_cache(Project.open(where))
            if fingerprint(root) == before:
                break
    except Exception as exc:  # a background job: say what happened where the user can read it
        from ctx.integrations.hook_entry import log

        log(root, "brief-refresh", f"failed: {type(exc).__name__}: {exc}")
    finally:
        os.close(fd)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
