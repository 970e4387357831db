"""The root `ctx` command and the single error handler."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import typer

from ctx import __version__
from ctx.cli import common
from ctx.errors import EXIT_INTERNAL, EXIT_USER, CtxError

app = typer.Typer(
    name="ctx",
    help="ctx: git for AI conversations. Sessions and memories that live in your repository.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"ctx {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    directory: Path | None = typer.Option(
        None, "-C", help="Run as if ctx was started in this directory (like git -C)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No warnings on stderr."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    common.state.cwd = directory
    common.state.quiet = quiet


def _register() -> None:
    from ctx.cli import (
        cmd_capture,
        cmd_memory,
        cmd_project,
        cmd_sessions,
        cmd_transfer,
    )

    for module in (cmd_project, cmd_memory, cmd_sessions, cmd_capture, cmd_transfer):
        module.register(app)
    for name in (
        "cmd_search",
        "cmd_wrap",
        "cmd_hooks",
        "cmd_mcp",
        "cmd_browse",
        "cmd_sync",
        "cmd_hook_runtime",
    ):
        try:
            mod = __import__(f"ctx.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"ctx.cli.{name}":
                raise
            continue
        mod.register(app)


_register()


def _error(err: CtxError, as_json: bool) -> int:
    from dataclasses import replace

    from ctx.privacy import redact

    # a message may quote user input (an id, a tag, a path): never a secret on stderr
    err = replace(err, message=redact(err.message))
    if as_json:
        sys.stderr.write(json.dumps(err.to_dict(), ensure_ascii=False) + "\n")
    else:
        advice = f" — {err.advice}" if err.advice else ""
        sys.stderr.write(f"ctx: error: {err.message}{advice}\n")
    return err.exit_code


def _usage_error(exc: Any, click_exc: Any) -> CtxError:
    """A usage error that never echoes what may be a secret: an unknown "option" that is
    really text starting with "-" (a PEM key, a password) is not repeated, and the rest of
    the message is redacted."""
    import re

    name = getattr(exc, "option_name", None) or ""
    option_like = re.fullmatch(r"--?[A-Za-z][A-Za-z0-9-]{0,30}", name) is not None
    if isinstance(exc, click_exc.NoSuchOption) and not option_like:
        return CtxError(
            "an argument starts with '-' but is not an option (not shown: it may be a secret)",
            "put `--` before text that starts with '-', or pass it on stdin (`-`)",
            exit_code=2,
            code="usage",
        )
    from ctx.privacy import redact

    return CtxError(redact(exc.format_message()), "see `ctx --help`", exit_code=2, code="usage")


def _click_exceptions() -> Any:
    """typer >= 0.26 vendors click as typer._click; older versions use click itself."""
    import importlib

    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:  # pragma: no cover
        return importlib.import_module("click.exceptions")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command, map every failure to one line and an exit code."""
    click_exc = _click_exceptions()

    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    try:
        rv = app(args=args, prog_name="ctx", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except CtxError as err:
        code = _error(err, as_json)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        sys.stderr.write("ctx: aborted\n")
        code = 130
    except click_exc.ClickException as exc:  # bad arguments
        usage = _usage_error(exc, click_exc)
        code = _error(usage, as_json)
    except KeyboardInterrupt:
        sys.stderr.write("ctx: interrupted\n")
        code = 130
    except BrokenPipeError:
        # `ctx ... | head`: the reader went away; not an error worth a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    except Exception as exc:  # an internal error: a bug in ctx
        if os.environ.get("CTX_DEBUG"):
            raise
        internal = CtxError(
            f"internal error: {type(exc).__name__}: {exc}",
            "this is a bug in ctx; rerun with CTX_DEBUG=1 for the traceback and report it",
            exit_code=EXIT_INTERNAL,
            code="internal",
        )
        code = _error(internal, as_json)
    if argv is None:
        sys.exit(code)
    return code


__all__ = ["EXIT_USER", "app", "main"]
