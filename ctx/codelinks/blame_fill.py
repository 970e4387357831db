"""The background job that caches a file's whole blame (ctx/codelinks/blame_cache.py).

`ctx why FILE:LINE` with nothing cached blames only the lines asked about and starts this
detached, so the next question about any line of the file is answered from the cache. It
runs niced, never prints, and fails quietly: the cache is a speed-up only."""

from __future__ import annotations

import os
from pathlib import Path


def main(argv: list[str]) -> int:
    """``main([WORKTREE, PATH])``: cache the blame of PATH (repository-relative) there."""
    if len(argv) != 2:
        return 2
    try:
        os.nice(10)  # background work: the user's next command comes first
    except OSError:
        pass
    try:
        from ctx.codelinks.blame_cache import fill
        from ctx.store.project import Project

        fill(Project.open(Path(argv[0])), argv[1])
    except Exception:  # a speed-up only: a failure costs the next question its time
        if os.environ.get("CTX_DEBUG"):
            raise
        return 1
    return 0
