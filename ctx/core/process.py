"""Processes: whether one still runs, and the entry point of ctx's detached background jobs.
Standard library only: the fast paths (`ctx why` from its cache) import it."""

from __future__ import annotations

import os
from collections.abc import Callable


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def background_job(argv: list[str], nargs: int, work: Callable[[list[str]], object]) -> int:
    """Run ``work(argv)`` as a detached speed-up job: niced (the user's next command comes
    first), quiet (a failure only costs the next question its time; CTX_DEBUG re-raises).
    2: not ``nargs`` arguments; 1: it failed; 0: done."""
    if len(argv) != nargs:
        return 2
    try:
        os.nice(10)
    except OSError:
        pass
    try:
        work(argv)
    except Exception:
        if os.environ.get("CTX_DEBUG"):
            raise
        return 1
    return 0
