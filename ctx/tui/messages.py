"""Messages between screens, workers and the app, as dataclasses (the fields are the contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from ctx.core.models import Memory, Session


@dataclass
class OpenSession(Message):
    """Show a session's transcript, optionally scrolled to one turn."""

    session_id: str
    turn: int | None = None


@dataclass
class OpenMemory(Message):
    """Show the memories screen with this memory selected."""

    memory_id: str


@dataclass
class ResumeSession(Message):
    """Show the command that continues this session in an agent (`ctx resume`)."""

    session_id: str
    title: str
    tool: str


@dataclass
class OpenFile(Message):
    """Show the sessions and memories linked to a file (`ctx why FILE`).

    `path` is repository-relative, or as the user typed it (relative to the current
    directory) when `typed` is true."""

    path: str
    typed: bool = False


@dataclass
class StoreChanged(Message):
    """Another process (or this one) wrote to the store: reload what you show."""


@dataclass
class SessionsLoaded(Message):
    rows: list[Any]  # list[SessionRow]
    seconds: float  # how long the core took, shown in the status line


@dataclass
class SessionLoaded(Message):
    session: Session
    turn: int | None = None


@dataclass
class MemoriesLoaded(Message):
    memories: list[Memory]
    select: str | None = None


@dataclass
class SearchDone(Message):
    query: str
    hits: list[Any]  # list[HitView]
    notice: str | None = None
    seconds: float = 0.0


@dataclass
class Failed(Message):
    """A worker met an error; the screen shows it and stays usable."""

    message: str
    advice: str = ""
    context: dict[str, Any] = field(default_factory=dict)
