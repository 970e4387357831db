"""What `ctx why` is asked about: `FILE[:LINE[-LINE]]` and the file as a repository path.

Kept free of git and store imports: the cached answer (ctx/codelinks/answer_cache.py) is found
before either is loaded."""

from __future__ import annotations

import re
from pathlib import Path

from ctx.core.errors import CtxError

_TARGET = re.compile(r"(.+?):(\d+)(?:-(\d+))?")


def parse_target(spec: str) -> tuple[str, int | None, int | None]:
    """`FILE`, `FILE:LINE` or `FILE:START-END` (a path may itself hold colons)."""
    m = _TARGET.fullmatch(spec)
    if not m:
        return spec, None, None
    start, end = int(m.group(2)), int(m.group(3) or m.group(2))
    if start < 1 or end < start:
        raise CtxError(
            f"bad line range in {spec!r}", "use FILE:LINE or FILE:START-END", exit_code=2
        )
    return m.group(1), start, end


def relative_path(raw: str, cwd: Path, worktree: Path, root: Path) -> str | None:
    """`raw` (relative to `cwd`, or absolute) as a path inside the worktree (or the project
    root), symlinks resolved; None when it is in neither."""
    p = Path(raw)
    full = (p if p.is_absolute() else cwd / p).resolve()
    for base in (worktree, root):
        try:
            return full.relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return None
