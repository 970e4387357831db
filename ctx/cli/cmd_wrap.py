"""`ctx wrap [OPTIONS] [--] CMD [ARGS...]`: run a tool transparently and capture the session.

Everything after the command name belongs to the command, even what looks like a ctx option
(`ctx wrap claude --resume abc`, `ctx wrap aider --model x`): click stops parsing at the first
argument that is not an option of `wrap` itself. The core is :mod:`ctx.capture.wrap`; this
module only parses and prints. Nothing heavy is imported until the command runs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

from ctx.cli import common

if TYPE_CHECKING:
    from ctx.core.models import TranscriptTurn
    from ctx.store.project import Project


def register(app: typer.Typer) -> None:
    app.command(
        "wrap",
        context_settings={
            "allow_extra_args": True,
            "ignore_unknown_options": True,
            "allow_interspersed_args": False,
        },
    )(wrap)
    from ctx.store.recovery import FINISHERS

    # Recovery runs at the start of every command; the real finisher loads only when needed.
    FINISHERS.setdefault("wrap", _recover_wrapped)


def _recover_wrapped(
    project: Project, sid: str, header: dict[str, Any]
) -> list[TranscriptTurn] | None:
    from ctx.capture.wrap import recover_wrapped

    return recover_wrapped(project, sid, header)


def wrap(
    ctx: typer.Context,
    tool: str | None = typer.Option(
        None, "--tool", help="Which adapter: claude, aider, codex, or any name (default: CMD's)."
    ),
    title: str | None = typer.Option(
        None, "--title", help="A title (default: the tool's or the first user turn)."
    ),
    private: bool = typer.Option(
        False, "--private", help="Keep this session on this machine only (never committed)."
    ),
    record_input: bool | None = typer.Option(
        None,
        "--record-input/--no-record-input",
        help="Also record keystrokes in the local recording (default: capture.record_input).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary line after CMD exits."),
) -> int:
    """Run CMD in a pseudo-terminal exactly as without ctx; when it exits, the conversation
    is a session. Exits with CMD's status (127 if CMD does not exist)."""
    argv = list(ctx.args)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        from ctx.core.errors import CtxError

        raise CtxError(
            "no command to run", "usage: ctx wrap [OPTIONS] [--] CMD [ARGS...]", exit_code=2
        )
    from ctx.capture.pty_proxy import resolve_command
    from ctx.capture.wrap import wrap as run_wrap

    resolve_command(argv, None, str(common.state.cwd) if common.state.cwd else None)  # 127 first
    project = common.open_project()
    common.warn_identity(project)
    sys.stdout.flush()
    sys.stderr.flush()
    outcome = run_wrap(
        project,
        argv,
        tool=tool,
        title=title,
        private=private,
        record_input=record_input,
        cwd=common.state.cwd,
    )
    for note in outcome.notes:
        common.warn(note)
    if outcome.session is not None and not outcome.session.private:
        common.warn_large(project, [outcome.session.id])
    if not (quiet or common.state.quiet) and outcome.session is not None:
        s = outcome.session
        if s.status == "failed":
            sys.stderr.write(
                f"ctx: {argv[0]} exited {outcome.exit_code} before any conversation: kept on "
                f"this machine only as {s.id} (`ctx sessions list --all`)\n"
            )
            return outcome.exit_code
        where = "private, " if s.private else ""
        sys.stderr.write(
            f"ctx: session {s.id} ({where}{common.plural(s.turn_count, 'turn')}, {s.tool}) "
            f"— `ctx sessions show {s.id}`\n"
        )
    return outcome.exit_code
