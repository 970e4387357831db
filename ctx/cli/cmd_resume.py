"""`ctx resume SESSION`: continue any captured session in Claude Code or Codex."""

from __future__ import annotations

import os
import shlex
import sys

import typer

from ctx.cli.common import JSON_OPT, emit_json, open_project, warn


def register(app: typer.Typer) -> None:
    app.command(
        "resume",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(resume)


def resume(
    ctx: typer.Context,
    session: str = typer.Argument(..., help="Session id (or a unique prefix)."),
    agent: str | None = typer.Option(
        None,
        "--agent",
        "-a",
        help="claude, codex, gemini, qwen, opencode or copilot (default: the session's own, "
        "else claude).",
    ),
    prompt: str | None = typer.Option(
        None,
        "--prompt",
        "-p",
        help="Continue with this prompt, non-interactively (claude -p, codex exec resume, …).",
    ),
    run: bool = typer.Option(
        False, "--exec", help="Start the agent now under `ctx wrap`: the continuation is captured."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Rebuild a session as the agent's own session, so the agent continues it.

    Works for any ctx session: captured from that agent or another one, imported, or pulled
    from a teammate. The rebuilt file goes where the agent looks for this directory
    (~/.claude/projects/…, ~/.codex/sessions/…; OpenCode's through `opencode import`); tool
    calls and results become text. With --exec the agent starts at once under `ctx wrap`;
    arguments after `--` go to the agent.
    The continuation is stored as a new session that `continues` this one.
    """
    from pathlib import Path

    from ctx.cli.common import state
    from ctx.handoff.resume import resume as plan_resume

    project = open_project()
    # the agent finds sessions by the directory it starts in: this one (or `ctx -C DIR`)
    cwd = Path(state.cwd).resolve() if state.cwd else Path.cwd()
    plan = plan_resume(project, session, agent=agent, cwd=cwd, prompt=prompt)
    argv = [*plan.command, *ctx.args]
    if run:
        from ctx.core.safe_launch import ctx_argv

        wrap = ctx_argv("wrap", "--", *argv)  # (never a `ctx/` in the repository: safe_launch)
        sys.stdout.flush()
        os.chdir(cwd)
        os.execv(sys.executable, wrap)
    if plan.note:
        warn(plan.note)
    if as_json:
        emit_json({**plan.to_dict(), "command": shlex.join(argv), "argv": argv})
        return
    print(f"rebuilt {plan.source} for {plan.agent}: {plan.messages} messages in {plan.path}")
    print(f"continue with:  {shlex.join(argv)}")
    print(f"or captured:    ctx wrap {shlex.join(argv)}")
