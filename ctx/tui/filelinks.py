"""A file's context for the TUI: the same core as `ctx why FILE`, made showable.

Nothing here imports textual. Paths named by tool calls are hostile and often a teammate's
(`/home/ada/proj/src/auth.py`): they only ever select one of the repository's tracked files,
never become a path of their own.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ctx.core.models import Turn
from ctx.tui.data import Store, author_name, fmt_when, one_line


@dataclass(frozen=True)
class FileSession:
    id: str
    title: str
    tool: str
    author: str
    when: str
    how: str  # how `ctx why` linked it: trailer, ended on the commit, edited, touched
    turn: int | None  # the turn to open at: the one that wrote the lines, else the request
    wrote: str  # "turn 5 wrote line 3-7", or ""


@dataclass(frozen=True)
class FileMemory:
    id: str
    type: str
    content: str
    author: str
    when: str
    how: str  # "from a linked session" | "mentions the file"
    stale: bool  # its cited lines changed since it was written


@dataclass
class FileLinks:
    path: str  # relative to the repository
    commits: int
    uncommitted: int  # lines not committed yet
    sessions: list[FileSession] = field(default_factory=list)
    memories: list[FileMemory] = field(default_factory=list)  # decisions first


def file_links(store: Store, path: str, *, typed: bool = False) -> FileLinks:
    """`path` relative to the repository, or (`typed`) as the user typed it, relative to the
    current directory when that is inside the repository. Raises CtxError (outside the
    repository, not in git) for the caller."""
    from ctx.codelinks.staleness import annotate
    from ctx.codelinks.why import why

    with store.lock:
        project = store.project
        project.refresh()
        top = project.git.worktree
        here = Path.cwd().resolve()
        # typed: relative to here, like `ctx why`; from `ctx -C DIR browse`, to the repository
        inside = here == top.resolve() or top.resolve() in here.parents
        cwd = here if typed and inside else top
        result = why(project, path, cwd=cwd)
        ids = {m.id for m in result.memories}
        stale = {
            m.id
            for m in annotate(project, [m for m in project.list_memories() if m.id in ids])
            if (m.stale or {}).get("status") == "stale"
        }
    sessions = []
    for s in result.sessions:
        writer = next((t for t in s.turns if t.wrote), None)
        first = s.turns[0].n if s.turns else None
        wrote = f"turn {writer.n} wrote line {_ranges(writer.wrote)}" if writer else ""
        sessions.append(
            FileSession(
                s.id,
                one_line(s.title or "(untitled)", 200),
                one_line(s.tool, 20),
                one_line(author_name(s.author), 40),
                fmt_when(s.started_at),
                s.how,
                writer.n if writer else first,
                wrote,
            )
        )
    memories = [
        FileMemory(
            m.id,
            m.type,
            one_line(m.content, 300),
            one_line(author_name(m.author), 40),
            fmt_when(m.created_at),
            m.how,
            m.id in stale,
        )
        for m in result.memories
    ]
    return FileLinks(
        one_line(result.path, 300),
        len(result.commits),
        len(result.uncommitted_lines),
        sessions,
        memories,
    )


def _ranges(nums: list[int]) -> str:
    ordered = sorted(set(nums))
    if not ordered:
        return ""
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 1:
        return f"{ordered[0]}-{ordered[-1]}"
    return ", ".join(str(n) for n in ordered[:6]) + ("…" if len(ordered) > 6 else "")


# ---- files named by tool calls ---------------------------------------------------------------
def turn_paths(turns: list[Turn], n: int) -> list[str]:
    """The files the tool call of turn `n` named (a tool result: its call, the turn before)."""
    from ctx.store.touched import touches

    picked = [t for t in turns if t.n == n]
    if picked and picked[0].meta.get("kind") == "tool_result":
        picked = [t for t in turns if t.n in (n - 1, n)]
    return _unique(t.path for t in touches(picked))


def session_paths(turns: list[Turn]) -> list[str]:
    """Every file the session's tool calls named, in order of first mention."""
    from ctx.store.touched import touches

    return _unique(t.path for t in touches(turns))


def _unique(paths: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for p in paths:
        if isinstance(p, str) and p.strip():
            seen.setdefault(p, None)
    return list(seen)


def tracked_files(root: Path) -> list[str]:
    try:
        proc = subprocess.run(
            ["git", "ls-files", "-z"],
            cwd=root,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [p for p in proc.stdout.decode("utf-8", "replace").split("\0") if p]


def repo_paths(store: Store, tool_paths: list[str]) -> dict[str, str]:
    """tool path -> the tracked file it names (the longest match: a teammate's absolute
    path ends with the file's repository path). Paths naming no tracked file are left out."""
    from ctx.store.touched import refers_to

    root = store.project.git.worktree
    files = tracked_files(root)
    known = set(files)
    top = os.path.normpath(str(root.resolve()))
    out: dict[str, str] = {}
    for raw in tool_paths:
        p = raw.replace("\\", "/").strip()
        norm = os.path.normpath(p)
        if os.path.isabs(norm) and (norm + "/").startswith(top + "/"):
            rel = os.path.relpath(norm, top).replace(os.sep, "/")
            if rel in known:
                out[raw] = rel
                continue
        if not os.path.isabs(norm) and norm.replace(os.sep, "/") in known:
            out[raw] = norm.replace(os.sep, "/")
            continue
        matches = [f for f in files if refers_to(p, f)]
        if matches:
            out[raw] = max(matches, key=len)
    return out
