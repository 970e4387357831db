"""`ctx help [CMD]` and `ctx completion SHELL`: the conventions of git and gh."""

from __future__ import annotations

import typer

from ctx.core.errors import CtxError

SHELLS = ("bash", "zsh", "fish")


#: The root command, kept by :func:`register` so `ctx help` can print any command's help
#: without importing the module that imports this one.
_ROOT: list[typer.Typer] = []


def register(app: typer.Typer) -> None:
    _ROOT[:] = [app]
    app.command("help")(help_)
    app.command("completion")(completion)
    app.command("show")(show)


def show(
    ident: str = typer.Argument(..., help="A memory id (m-…) or a session id (s-…), or a prefix."),
    turns: str | None = typer.Option(None, "--turns", help="Sessions: only turns A:B."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (as memory/sessions show)."),
) -> None:
    """Show a memory or a session by its id (like `git show`)."""
    from ctx.cli import cmd_memory, cmd_sessions

    if ident.startswith("s-"):
        cmd_sessions.show(ident, turns=turns, as_json=as_json)
    elif ident.startswith("m-") or turns is not None:
        if turns is not None:
            raise CtxError("--turns is for sessions", "give a session id (s-…)", exit_code=2)
        cmd_memory.show(ident, as_json=as_json)
    else:
        try:
            cmd_memory.show(ident, as_json=as_json)
        except CtxError as err:
            if err.code != "not_found":
                raise
        else:
            return
        try:
            cmd_sessions.show(ident, turns=None, as_json=as_json)
        except CtxError as err:
            if err.code != "not_found":
                raise
            raise CtxError(
                f"no memory or session matches '{ident}'",
                "list them with `ctx memory list` and `ctx sessions list`",
                code="not_found",
            ) from None


def help_(
    command: list[str] | None = typer.Argument(None, help="A command, e.g. `memory add`."),
) -> None:
    """Show the help of ctx or of one command (same as `ctx CMD --help`)."""
    (app,) = _ROOT
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
