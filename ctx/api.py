"""The public Python API: the same functions the CLI, MCP server and TUI call.

import ctx
project = ctx.open_project(".")          # or ctx.init_project(".")
project.add_memory("We sign JWTs with RS256", type="decision", tags=["auth"])
for m in project.list_memories(type="decision"): print(m.id, m.content)
"""

from __future__ import annotations

from pathlib import Path

from ctx.core.errors import CtxError
from ctx.core.models import Memory, Session, Turn
from ctx.store.project import Project

__all__ = ["CtxError", "Memory", "Project", "Session", "Turn", "init_project", "open_project"]


def open_project(path: str | Path | None = None) -> Project:
    """Open the ctx store of the repository containing `path` (default: the cwd)."""
    return Project.open(path)


def init_project(path: str | Path | None = None) -> Project:
    """Create `.contextfs/` at the repository root if needed, and open it."""
    project = Project.open(path, require_store=False)
    project.init()
    return project
