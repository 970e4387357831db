"""Hidden `ctx hook claude-session-start|…-end` (and `gemini-…`): what the agents' hooks run.

The `ctx` executable sends these two straight to `ctx.integrations.hook_entry` without
loading this CLI (`ctx/launch.py`); the commands here exist for `ctx hook --help` and for
callers that go through the CLI (`python -c "from ctx.cli.app import main; ..."`).
"""

from __future__ import annotations

import typer

hook_app = typer.Typer(
    help="Entry points run by AI tools' hooks (installed by `ctx hooks install --claude`).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(hook_app, name="hook", hidden=True)


@hook_app.command("claude-session-start")
def claude_session_start() -> int:
    """Print the project brief for Claude Code's SessionStart hook (JSON on stdout)."""
    from ctx.integrations.hook_entry import run

    return run("claude-session-start")


@hook_app.command("claude-session-end")
def claude_session_end() -> int:
    """Import the finished Claude Code transcript named in the SessionEnd hook's input
    (in the background: the hook returns at once)."""
    from ctx.integrations.hook_entry import run

    return run("claude-session-end")


@hook_app.command("gemini-session-start")
def gemini_session_start() -> int:
    """Print the project brief for Gemini CLI's SessionStart hook (JSON on stdout)."""
    from ctx.integrations.hook_entry import run

    return run("gemini-session-start")


@hook_app.command("gemini-session-end")
def gemini_session_end() -> int:
    """Import the finished Gemini CLI chat named in the SessionEnd hook's input (in the
    background: the hook returns at once)."""
    from ctx.integrations.hook_entry import run

    return run("gemini-session-end")


@hook_app.command("codex-session-start")
def codex_session_start() -> int:
    """Print the project brief for Codex CLI's SessionStart hook (JSON on stdout)."""
    from ctx.integrations.hook_entry import run

    return run("codex-session-start")


@hook_app.command("codex-session-end")
def codex_session_end() -> int:
    """Import the Codex rollout named in the SessionEnd hook's input (in the background)."""
    from ctx.integrations.hook_entry import run

    return run("codex-session-end")


@hook_app.command("cursor-session-start")
def cursor_session_start() -> int:
    """Print the project brief for Cursor's sessionStart hook (`additional_context`)."""
    from ctx.integrations.hook_entry import run

    return run("cursor-session-start")


@hook_app.command("cursor-session-end")
def cursor_session_end() -> int:
    """Import the Cursor conversation named in the sessionEnd hook's input (in the
    background)."""
    from ctx.integrations.hook_entry import run

    return run("cursor-session-end")


@hook_app.command("qwen-session-start")
def qwen_session_start() -> int:
    """Print the project brief for Qwen Code's SessionStart hook (JSON on stdout)."""
    from ctx.integrations.hook_entry import run

    return run("qwen-session-start")


@hook_app.command("qwen-session-end")
def qwen_session_end() -> int:
    """Import the Qwen Code chat named in the SessionEnd hook's input (in the background)."""
    from ctx.integrations.hook_entry import run

    return run("qwen-session-end")


@hook_app.command("copilot-session-start")
def copilot_session_start() -> int:
    """Print the project brief for Copilot CLI's sessionStart hook (`additionalContext`)."""
    from ctx.integrations.hook_entry import run

    return run("copilot-session-start")


@hook_app.command("copilot-session-end")
def copilot_session_end() -> int:
    """Import the Copilot CLI session named in the sessionEnd hook's input (in the
    background)."""
    from ctx.integrations.hook_entry import run

    return run("copilot-session-end")
