"""Plain dataclasses returned by the headless core. Adapters (CLI, MCP, TUI, hooks) render these."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MEMORY_TYPES = ("fact", "decision", "procedure", "preference", "episode")
ROLES = ("user", "assistant", "tool", "system")


@dataclass
class Memory:
    id: str
    type: str
    content: str
    tags: list[str] = field(default_factory=list)
    author: str = ""
    branch: str | None = None
    commit: str | None = None
    created_at: str = ""  # ISO-8601 UTC, e.g. 2026-11-21T14:42:00.123Z
    updated_at: str = ""
    source_session: str | None = None
    source_turn: int | None = None
    private: bool = False
    cites: list[str] = field(default_factory=list)  # "path" or "path:START-END"
    supersedes: str | None = None  # the memory this one replaces
    superseded_by: list[str] = field(default_factory=list)  # memories that replace this one
    stale: dict[str, Any] | None = None  # computed (not stored): see ctx/codelinks/staleness.py

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "memory", **asdict(self)}


@dataclass
class Turn:
    n: int  # 0-based position in the session
    role: str
    text: str
    ts: str | None = None
    id: str | None = None  # external id given by an importer (returned by search)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Session:
    id: str
    tool: str
    title: str = ""
    status: str = "complete"  # open | complete | recovered
    started_at: str = ""
    ended_at: str | None = None
    cwd: str | None = None
    branch: str | None = None
    commit: str | None = None  # HEAD at start
    commit_end: str | None = None  # HEAD at end
    author: str = ""
    command: list[str] | None = None
    exit_status: int | None = None
    external_id: str | None = None  # the tool's own session id
    tags: list[str] = field(default_factory=list)
    private: bool = False
    turn_count: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    turns: list[Turn] | None = None  # loaded on demand

    def to_dict(self, with_turns: bool = True) -> dict[str, Any]:
        d = asdict(self)
        d["kind"] = "session"
        if not with_turns or self.turns is None:
            d.pop("turns")
        return d


@dataclass
class TranscriptHeader:
    """What an importer knows about a session before it is stored (the generic JSONL header)."""

    tool: str
    external_id: str | None = None
    title: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    cwd: str | None = None
    branch: str | None = None
    command: list[str] | None = None
    exit_status: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class TranscriptTurn:
    """One turn as an importer reads it, before it is numbered and stored."""

    role: str
    text: str
    ts: str | None = None
    id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportResult:
    session: Session | None  # None when the import was skipped (see note)
    created: bool  # False when the session already existed
    added_turns: int  # 0 on an idempotent re-import
    note: str = ""  # why nothing was added, e.g. "forgotten"

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session.id if self.session else None,
            "created": self.created,
            "added_turns": self.added_turns,
            "note": self.note,
        }


def _n(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


@dataclass
class ImportSummary:
    source: str
    results: list[tuple[str, ImportResult]] = field(default_factory=list)
    export_counts: dict[str, int] | None = None
    problems: list[str] = field(default_factory=list)
    skipped_lines: list[str] = field(default_factory=list)  # "path:line: reason", one per line

    def skipped_message(self, listed: int = 5) -> str | None:
        """One line for the user: how many lines were skipped, and where and why."""
        n = len(self.skipped_lines)
        if not n:
            return None
        shown = "; ".join(self.skipped_lines[:listed])
        more = f"; and {n - listed} more (--json lists them)" if n > listed else ""
        return f"skipped {n} bad line{'s' if n != 1 else ''} ({shown}{more})"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "source": self.source,
            "sessions": [{"file": f, **r.to_dict()} for f, r in self.results],
            "created": sum(1 for _, r in self.results if r.created),
            "added_turns": sum(r.added_turns for _, r in self.results),
            "problems": self.problems,
            "skipped_lines": self.skipped_lines,
        }
        if self.export_counts is not None:
            d["export"] = self.export_counts
        return d

    def lines(self) -> list[str]:
        out = []
        if self.export_counts is not None:
            c = self.export_counts
            out.append(
                f"imported {_n(c['memories_added'], 'memory', 'memories')} "
                f"({c['memories_skipped']} already present), "
                f"{_n(c['sessions_added'], 'new session')}, {_n(c['turns_added'], 'turn')}"
            )
        for f, r in self.results:
            sid = r.session.id if r.session else "-"
            if r.note:
                out.append(f"{sid}  skipped ({r.note}): {f}")
            elif r.created:
                out.append(f"{sid}  new session, {_n(r.added_turns, 'turn')}  ({f})")
            elif r.added_turns:
                out.append(f"{sid}  {_n(r.added_turns, 'new turn')}  ({f})")
            else:
                out.append(f"{sid}  already imported, nothing new  ({f})")
        if not out:
            out.append("nothing to import")
        return out
