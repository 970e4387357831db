"""The background job that caches a file's whole blame (ctx/codelinks/blame_cache.py).

`ctx why FILE:LINE` with nothing cached blames only the lines asked about and starts this
detached, so the next question about any line of the file is answered from the cache. It
runs niced, never prints, and fails quietly: the cache is a speed-up only."""

from __future__ import annotations

from pathlib import Path

from ctx.core.process import background_job


def main(argv: list[str]) -> int:
    """``main([WORKTREE, PATH])``: cache the blame of PATH (repository-relative) there."""
    return background_job(argv, 2, _fill)


def _fill(argv: list[str]) -> None:
    from ctx.codelinks.blame_cache import fill
    from ctx.store.project import Project

    fill(Project.open(Path(argv[0])), argv[1])
