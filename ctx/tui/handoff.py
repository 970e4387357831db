"""Hand-off from the TUI: the same core as `ctx resume`, with what the dialog shows.

Nothing here imports textual. The rebuild writes the agent's own session file (as the command
does), so it runs only for the agent the user asked for, in a worker thread.
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from ctx.tui.data import Store


@dataclass(frozen=True)
class AgentChoice:
    name: str
    own: bool  # the session's own agent
    installed: bool  # found on PATH (the command is shown either way)


@dataclass(frozen=True)
class Handoff:
    """A rebuilt session: the command to continue it, and where the rebuilt file went."""

    agent: str
    command: str  # shell-quoted, ready to paste
    captured: str  # the same under `ctx wrap`, so the continuation is stored
    path: str
    messages: int


def agent_choices(tool: str) -> tuple[list[AgentChoice], str]:
    """Every agent ctx can rebuild a session for, and the default (the session's own agent
    when it is one of them, else Claude Code) — the same default as `ctx resume`."""
    from ctx.handoff import AGENTS
    from ctx.handoff.resume import default_agent

    default = default_agent(tool)
    agents = sorted(AGENTS, key=lambda a: a != default)  # the default first, then as listed
    return [AgentChoice(a, a == tool, shutil.which(a) is not None) for a in agents], default


def resume_dir(root: Path, cwd: Path | None = None) -> Path:
    """Where the agent will be started: here when inside the repository (as `ctx resume`
    does), else the repository's root (`ctx -C DIR browse`)."""
    here = (cwd or Path.cwd()).resolve()
    top = root.resolve()
    return here if here == top or top in here.parents else top


def build(store: Store, session_id: str, agent: str, where: Path) -> Handoff:
    """Rebuild `session_id` for `agent` (CtxError: unknown agent, nothing to continue)."""
    from ctx.handoff.resume import resume

    with store.lock:
        plan = resume(store.project, session_id, agent=agent, cwd=where)
    cd = f"cd {shlex.quote(str(where))} && " if where != Path.cwd().resolve() else ""
    return Handoff(
        agent=plan.agent,
        command=cd + shlex.join(plan.command),
        captured=f"{cd}ctx wrap {shlex.join(plan.command)}",
        path=plan.path,
        messages=plan.messages,
    )
