"""The background job that rebuilds the SessionStart brief cache (``ctx.core.brief_cache``).

The store starts it as a detached process after a write; it lives up here because building
a brief reads every layer below (memories, staleness, sessions)."""

from __future__ import annotations

import os
import time

from ctx.core.brief_cache import DEBOUNCE, cache_dir, fingerprint


def main(argv: list[str]) -> int:
    """``main([ROOT, CWD])``: rebuild the brief cache of ROOT, quietly, in the background.

    One refresher at a time (a lock; a second one exits at once). It waits a moment first and
    rebuilds again while the store keeps changing underneath, so a burst of writes ends with a
    brief that includes the last of them."""
    import fcntl

    root = argv[0] if argv else os.getcwd()
    where = argv[1] if len(argv) > 1 else root
    try:
        os.nice(10)  # background work: the agent and the user come first
    except OSError:
        pass
    if not os.path.isfile(os.path.join(root, ".contextfs", "config.toml")):
        return 0
    try:
        os.makedirs(cache_dir(root), exist_ok=True)
        fd = os.open(os.path.join(cache_dir(root), "brief.lock"), os.O_RDWR | os.O_CREAT, 0o600)
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
