"""`ctx browse`: open the Textual TUI (textual is imported only when the command runs)."""

from __future__ import annotations

import sys

import typer

from ctx.cli import common
from ctx.core.errors import CtxError


def register(app: typer.Typer) -> None:
    app.command("browse")(browse)


def browse(
    theme: str | None = typer.Option(
        None, "--theme", help="light, dark, or a Textual theme name (default: from the terminal)."
    ),
    refresh: float = typer.Option(
        2.0,
        "--refresh",
        min=0,
        help="Seconds between checks for changes by other processes (0: off).",
    ),
) -> int:
    """Browse sessions, read transcripts, search, and curate memories in a terminal UI."""
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise CtxError(
            "ctx browse needs an interactive terminal",
            "run it in a terminal; scripts can use `ctx sessions list`, `ctx search`, "
            "`ctx memory list`",
            code="no_tty",
        )
    try:  # like every command: finish captures whose process died, so they are listed
        project = common.open_project(require_store=False)
        if project.exists:
            common._recover(project)
    except CtxError:
        pass  # not a repository, unreadable config...: the TUI itself says what is wrong
    from ctx.tui.app import make_app

    app = make_app(common.state.cwd, theme=theme, refresh_interval=refresh)
    app.run()
    return app.return_code or 0
