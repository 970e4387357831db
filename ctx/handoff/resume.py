"""`ctx resume`: pick the target agent, rebuild the session there, say how to continue."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.errors import CtxError
from ctx.handoff import AGENTS
from ctx.handoff.conversation import exchange
from ctx.handoff.targets import BUILDERS

if TYPE_CHECKING:
    from ctx.store.project import Project


@dataclass
class ResumePlan:
    agent: str
    session_id: str  # the agent's id of the rebuilt session
    path: str
    command: list[str]
    source: str  # the ctx session it continues
    messages: int
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("note")  # said on stderr (CLI) or in the text (MCP); the JSON keys stay fixed
        d["command"] = " ".join(self.command)
        d["argv"] = self.command
        return d


def default_agent(tool: str) -> str:
    """The session's own agent when ctx can rebuild it, else Claude Code."""
    return tool if tool in AGENTS else "claude"


def resume(
    project: Project,
    ident: str,
    agent: str | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
    prompt: str | None = None,
) -> ResumePlan:
    session = project.get_session(ident)
    target = agent or default_agent(session.tool)
    if target not in BUILDERS:
        raise CtxError(
            f"cannot resume in {target!r}",
            f"pick one of: {', '.join(AGENTS)}",
            exit_code=2,
            code="bad_agent",
        )
    if not session.turns:
        raise CtxError(f"session {session.id} has no turns to continue", code="empty_session")
    messages = exchange(session, target=target)
    where = (cwd or Path.cwd()).resolve()
    built = BUILDERS[target](session.id, session.title, messages, where, session.branch, home)
    command = built.prompt_command(prompt) if prompt is not None else built.command
    return ResumePlan(
        target, built.session_id, str(built.path), command, session.id, len(messages), built.note
    )
