"""Memory citations: `path` or `path:START-END`, repository-relative.

A cite comes from the user or from pulled state (hostile): it is checked against a strict
grammar — no absolute path, no `..`, no leading `-` (git would read it as an option) — and is
only ever handed to git as a pathspec after `--`, never opened as a file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from ctx.core.errors import CtxError

MAX_CITE = 500
_LINES_RE = re.compile(r"^(.*?):(\d{1,7})(?:-(\d{1,7}))?$")


def parse(cite: str) -> tuple[str, int | None, int | None] | None:
    """(path, start, end) of a stored cite, or None when it breaks the grammar."""
    if not isinstance(cite, str) or not cite or len(cite) > MAX_CITE:
        return None
    m = _LINES_RE.match(cite)
    path, start, end = (
        (m.group(1), int(m.group(2)), int(m.group(3) or m.group(2)))
        if m
        else (
            cite,
            None,
            None,
        )
    )
    if start is not None and end is not None and (start < 1 or end < start):
        return None
    if not _safe_path(path):
        return None
    return path, start, end


def _safe_path(path: str) -> bool:
    if not path or path.startswith(("/", "-")) or "\\" in path or "\x00" in path:
        return False
    if any(ord(c) < 32 for c in path) or re.match(r"^[A-Za-z]:", path):
        return False
    parts = PurePosixPath(path).parts
    return bool(parts) and all(p not in ("..", ".", "") for p in parts) and parts[0] != ".git"


def normalise(raw: str, root: Path, cwd: Path | None = None) -> str:
    """A cite as typed (relative to the current directory when it names a file there) made
    repository-relative and checked; a refused cite raises (nothing is stored)."""
    text = (raw or "").strip()
    m = _LINES_RE.match(text)
    path, lines = (m.group(1), text[len(m.group(1)) :]) if m else (text, "")
    bad = CtxError(
        f"invalid cite '{text[:80]}'",
        "cite a file inside the repository: PATH or PATH:START-END (no absolute path, no '..')",
        exit_code=2,
        code="invalid_cite",
    )
    if not path or os.path.isabs(path) or ".." in PurePosixPath(path.replace("\\", "/")).parts:
        raise bad
    here = (cwd or Path.cwd()).resolve()
    try:
        rel = (here / path).resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        rel = path
    if not (root / rel).exists() and (root / path).exists():
        rel = path  # typed from elsewhere, but repository-relative
    cite = rel + lines
    if parse(cite) is None:
        raise bad
    return cite


def clean_stored(values: object) -> list[str]:
    """The valid cites of a record read from the state (pulled: hostile) — the rest dropped."""
    if not isinstance(values, (list, tuple)):
        return []
    return sorted(v for v in values if isinstance(v, str) and parse(v) is not None)
