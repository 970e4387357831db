"""The hook's side of the background import (``ctx.integrations.auto_import``): one ``stat``
when not due; when due, a stamp and a detached start of the worker. Standard library only:
the SessionStart hook imports it on its hot path."""

from __future__ import annotations

import os
import time

INTERVAL_S = 300  # at most one import (or check of the setting) per project this often
STAMP = "auto-import.stamp"


def local_dir(root: str) -> str:
    return os.path.join(root, ".contextfs", "local")


def due(root: str, now: float | None = None) -> bool:
    """No import was started for this project in the last :data:`INTERVAL_S` seconds."""
    try:
        last = os.stat(os.path.join(local_dir(root), STAMP)).st_mtime
    except OSError:
        return True
    now = time.time() if now is None else now
    return not (now - INTERVAL_S < last <= now + 60)  # a stamp from the future: not trusted


def _touch(root: str) -> bool:
    try:
        os.makedirs(local_dir(root), exist_ok=True)
        path = os.path.join(local_dir(root), STAMP)
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        os.close(os.open(path, flags, 0o600))
        os.utime(path)
    except OSError:
        return False
    return True


def start(root: str, trigger: str) -> bool:
    """Start the background import for ``root`` unless one started recently; never waits.
    True when a worker was started (it still checks the setting before importing)."""
    if not due(root) or not _touch(root):
        return False
    from ctx.core import brief_cache

    return brief_cache.spawn_detached("ctx.integrations.auto_import", [root, trigger])
