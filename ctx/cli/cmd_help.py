"""`ctx help [CMD]` and `ctx completion SHELL`: the conventions of git and gh."""

from __future__ import annotations

import typer

from ctx.errors import CtxError

SHELLS = ("bash", "zsh", "fish")


def register(app: typer.Typer) -> None:
    app.command("help")(help_)
    app.command("completion")(completion)


def help_(
    command: list[str] | None = typer.Argument(None, help="A command, e.g. `memory add`."),
) -> None:
    """Show the help of ctx or of one command (same as `ctx CMD --help`)."""
    from ctx.cli.app import app

    app(args=[*(command or []), "--help"], prog_name="ctx", standalone_mode=False)


def completion(
    shell: str = typer.Argument(..., help="bash, zsh or fish."),
) -> None:
    """Print the shell completion script (e.g. `eval "$(ctx completion bash)"` in ~/.bashrc).

    `ctx --install-completion` writes it into your shell's start-up file for you.
    """
    if shell not in SHELLS:
        raise CtxError(
            f"no completion for shell '{shell}'", f"use one of: {', '.join(SHELLS)}", exit_code=2
        )
    from typer._completion_shared import get_completion_script

    print(get_completion_script(prog_name="ctx", complete_var="_CTX_COMPLETE", shell=shell))
