"""`ctx wrap [OPTIONS] [--] CMD [ARGS...]`: run a tool transparently and capture the session.

Everything after the command name belongs to the command, even what looks like a ctx option
(`ctx wrap claude --resume abc`, `ctx wrap aider --model x`): click stops parsing at the first
argument that is not an option of `wrap` itself. The core is :mod:`ctx.capture.wrap`; this
module only parses and prints. Nothing heavy is imported until the command runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from ctx.cli.wrap_run import run

if TYPE_CHECKING:
    from ctx.core.models import TranscriptTurn
    from ctx.store.project import Project


def register(app: typer.Typer) -> None:
    def wrap(
        ctx: typer.Context,
        tool: str | None = typer.Option(
            None,
            "--tool",
            help="Which adapter: claude, aider, codex, or any name (default: CMD's).",
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
        return run(
            list(ctx.args),
            tool=tool,
            title=title,
            private=private,
            record_input=record_input,
            quiet=quiet,
        )

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
