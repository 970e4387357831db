"""The TUI's view of the store: a lock around the headless core, rows ready to show, filters.

Nothing here imports textual, so it is cheap to test and reuse. Screens call these methods from
worker threads; the lock keeps one thread at a time inside `Project` (its CRDT documents are
refreshed in place, so a read must not interleave with a refresh).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from ctx.core.models import Memory, Session
from ctx.core.timeutil import parse_iso, to_unix
from ctx.core.visible import visible as _visible
from ctx.store.project import Project

T = TypeVar("T")

# (key, label) of the sessions table, in display order.
SESSION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("when", "When"),
    ("tool", "Tool"),
    ("title", "Title"),
    ("branch", "Branch"),
    ("author", "Author"),
    ("turns", "Turns"),
    ("duration", "Duration"),
)


# ---- formatting ----------------------------------------------------------------------------
def fmt_when(iso: str | None) -> str:
    """Local date and minute; an absolute time, so a screenshot never depends on the clock."""
    if not iso:
        return "-"
    try:
        return parse_iso(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso[:16].replace("T", " ")


def seconds_between(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    secs = int(to_unix(end) - to_unix(start))
    return secs if secs >= 0 else None


def fmt_duration(secs: int | None) -> str:
    if secs is None:
        return ""
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m{secs % 60:02d}s"
    if secs < 86400:
        return f"{secs // 3600}h{(secs % 3600) // 60:02d}m"
    return f"{secs // 86400}d{(secs % 86400) // 3600:02d}h"


def author_name(author: str | None) -> str:
    """`Name <email>` shows as `Name` in tables; the full form is in the detail panels."""
    a = (author or "").strip()
    if "<" in a and not a.startswith("<"):
        return a.split("<", 1)[0].strip()
    return a


TERMINAL_TOOLS = ("terminal", "generic")


def is_terminal_session(s: Session) -> bool:
    """A session captured from a terminal screen (`ctx wrap` of a tool without a transcript
    of its own): its text is what the screen showed, to be shown verbatim, never as Markdown
    (Markdown would join lines and eat `<stdin>` and `__init__`)."""
    meta = s.meta or {}
    return (
        s.tool in TERMINAL_TOOLS
        or meta.get("adapter") == "generic"
        or meta.get("source") == "terminal"
    )


def visible(text: str) -> str:
    """Control characters as visible escapes (`\\x1b`, `\\u202e`), as `ctx` prints them.
    Textual passes them to the terminal as they are, and stored text is hostile: a title must
    not retitle or clear the screen, nor reorder what it shows."""
    return _visible(text)


def one_line(text: str, width: int = 100) -> str:
    line = visible(" ".join((text or "").split()))
    return line if len(line) <= width else line[: max(1, width - 1)] + "…"


# ---- sessions --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionRow:
    """One line of the sessions table, with the text that typing filters on."""

    id: str
    tool: str
    title: str
    branch: str
    author: str
    turns: int
    started_at: str
    status: str
    private: bool
    when: str
    seconds: int | None
    blob: str  # lower-case haystack for the filter box

    @property
    def duration(self) -> str:
        return fmt_duration(self.seconds)

    @classmethod
    def of(cls, s: Session) -> SessionRow:
        title = s.title or "(untitled)"
        author = author_name(s.author)
        branch = s.branch or ""
        blob = " ".join((s.id, s.tool, title, branch, author, s.status, *s.tags)).lower()
        return cls(
            id=s.id,
            tool=s.tool,
            title=title,
            branch=branch,
            author=author,
            turns=s.turn_count,
            started_at=s.started_at or "",
            status=s.status,
            private=s.private,
            when=fmt_when(s.started_at),
            seconds=seconds_between(s.started_at, s.ended_at),
            blob=blob,
        )

    @cached_property
    def cells(self) -> tuple[str, ...]:
        """What the table shows (computed once per row, however often it is re-sorted)."""
        title = self.title
        if self.status != "complete":
            title = f"{title} ({self.status})"
        if self.private:
            title = f"{title} [private]"
        return (
            self.when,
            visible(self.tool),
            one_line(title, 200),
            visible(self.branch) or "-",
            visible(self.author) or "-",
            str(self.turns),
            self.duration,
        )


_SORT_KEYS: dict[str, Callable[[SessionRow], Any]] = {
    "when": lambda r: (r.started_at, r.id),
    "tool": lambda r: (r.tool, r.started_at),
    "title": lambda r: (r.title.lower(), r.started_at),
    "branch": lambda r: (r.branch, r.started_at),
    "author": lambda r: (r.author.lower(), r.started_at),
    "turns": lambda r: (r.turns, r.started_at),
    "duration": lambda r: (r.seconds if r.seconds is not None else -1, r.started_at),
}


def sort_rows(rows: Iterable[SessionRow], key: str, reverse: bool) -> list[SessionRow]:
    return sorted(rows, key=_SORT_KEYS.get(key, _SORT_KEYS["when"]), reverse=reverse)


def filter_rows(
    rows: Iterable[SessionRow], text: str = "", tool: str | None = None, branch: str | None = None
) -> list[SessionRow]:
    """Every word of `text` must occur somewhere in the row (id, tool, title, branch, author…)."""
    words = text.lower().split()
    out = []
    for r in rows:
        if tool and r.tool != tool:
            continue
        if branch is not None and r.branch != branch:
            continue
        if words and not all(w in r.blob for w in words):
            continue
        out.append(r)
    return out


# ---- memories --------------------------------------------------------------------------------
def memory_blob(m: Memory) -> str:
    return " ".join((m.id, m.type, m.content, author_name(m.author), *m.tags)).lower()


def filter_memories(
    memories: Iterable[Memory], text: str = "", mtype: str | None = None, tag: str | None = None
) -> list[Memory]:
    words = text.lower().split()
    out = []
    for m in memories:
        if mtype and m.type != mtype:
            continue
        if tag and tag not in m.tags:
            continue
        if words:
            blob = memory_blob(m)
            if not all(w in blob for w in words):
                continue
        out.append(m)
    return out


# ---- the store ---------------------------------------------------------------------------------
class Store:
    """A Project shared by the UI thread and workers, with cheap change detection."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.lock = threading.RLock()
        # taken before anything is read, so a write after it is always noticed
        self._signature: tuple[Any, ...] = self.signature()

    @classmethod
    def open(cls, path: str | Path | None = None) -> Store:
        """Raises CtxError (no repository, no store yet, newer format) for the caller to show."""
        return cls(Project.open(path))

    @property
    def root(self) -> Path:
        return self.project.root

    def call(self, fn: Callable[[Project], T]) -> T:
        with self.lock:
            return fn(self.project)

    # -- change detection
    def signature(self) -> tuple[Any, ...]:
        """Sizes and mtimes of what other processes write: CRDT logs, session folders,
        journals of open sessions. A few lstat() calls (a link is never followed, not even to
        look at its target's size), so it can run every second or two."""
        lay = self.project.layout
        parts: list[Any] = []
        for d in (lay.state_dir, lay.sessions_dir, lay.private_sessions_dir, lay.active_dir):
            try:
                st = os.lstat(d)
                parts.append(st.st_mtime_ns)
                if d in (lay.state_dir, lay.active_dir):
                    for name in sorted(os.listdir(d)):
                        f = os.lstat(d / name)
                        parts.append((name, f.st_size, f.st_mtime_ns, f.st_ino))
            except FileNotFoundError:
                parts.append(None)
        try:
            f = os.lstat(lay.private_log)
            parts.append((f.st_size, f.st_mtime_ns, f.st_ino))
        except FileNotFoundError:
            parts.append(None)
        return tuple(parts)

    def changed(self) -> bool:
        """True (once) when another process wrote since the last call; then the caller reloads."""
        sig = self.signature()
        if sig == self._signature:
            return False
        self._signature = sig
        with self.lock:
            self.project.refresh()
            try:
                self.project.refresh_git()
            except Exception:  # a broken HEAD while git runs: keep the old branch
                pass
        return True

    # -- reads
    def session_rows(self) -> list[SessionRow]:
        with self.lock:
            self.project.refresh()
            return [SessionRow.of(s) for s in self.project.list_sessions()]

    def session(self, ident: str) -> Session:
        with self.lock:
            return self.project.get_session(ident)

    def memories(self) -> list[Memory]:
        with self.lock:
            self.project.refresh()
            from ctx.codelinks.staleness import annotate

            return annotate(self.project, self.project.list_memories())  # git calls, cached

    def memory(self, ident: str) -> Memory:
        with self.lock:
            return self.project.get_memory(ident)

    # -- writes (the same core calls as `ctx memory add|edit|rm`)
    def add_memory(
        self,
        content: str,
        mtype: str,
        tags: list[str],
        *,
        source_session: str | None = None,
        source_turn: int | None = None,
    ) -> Memory:
        with self.lock:
            return self.project.add_memory(
                content,
                mtype,
                tags,
                source_session=source_session,
                source_turn=source_turn,
            )

    def edit_memory(self, ident: str, *, content: str, mtype: str, tags: list[str]) -> Memory:
        with self.lock:
            return self.project.edit_memory(ident, content=content, type=mtype, tags=tags)

    def remove_memory(self, ident: str) -> Memory:
        with self.lock:
            return self.project.remove_memory(ident)


def parse_tags(text: str) -> list[str]:
    """`auth, jwt #security` -> ['auth', 'jwt', 'security'] (the core validates each tag)."""
    return [t.lstrip("#") for t in text.replace(",", " ").split() if t.lstrip("#")]
