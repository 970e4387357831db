"""The root `ctx` command and the single error handler."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import typer

from ctx.cli import common
from ctx.core.errors import EXIT_INTERNAL, EXIT_USER, CtxError
from ctx.core.version import __version__

app = typer.Typer(
    name="ctx",
    help="ctx: git for AI conversations. Sessions and memories that live in your repository.",
    no_args_is_help=True,
    add_completion=True,
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
    color: str | None = typer.Option(
        None, "--color", metavar="WHEN", help="Colour: auto (default), always or never."
    ),
    no_pager: bool = typer.Option(
        False, "--no-pager", help="Never page long output (paging only happens on a terminal)."
    ),
) -> None:
    from ctx.cli.output import set_color

    if directory is not None and not directory.is_dir():
        raise CtxError(
            f"no such directory: {directory}",
            "give an existing directory to -C",
            exit_code=2,
            code="usage",
        )
    set_color(color)
    common.state.cwd = directory
    common.state.quiet = quiet
    common.state.identity_warned = False


def _register() -> None:
    from ctx.cli import (
        cmd_capture,
        cmd_help,
        cmd_memory,
        cmd_project,
        cmd_sessions,
        cmd_transfer,
    )

    for module in (cmd_project, cmd_memory, cmd_sessions, cmd_capture, cmd_transfer):
        module.register(app)
    cmd_help.register(app)
    for name in (
        "cmd_search",
        "cmd_wrap",
        "cmd_hooks",
        "cmd_mcp",
        "cmd_browse",
        "cmd_sync",
        "cmd_review",
        "cmd_resume",
        "cmd_why",
        "cmd_hook_runtime",
    ):
        try:
            mod = __import__(f"ctx.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"ctx.cli.{name}":
                raise
            continue
        mod.register(app)


def _first_paragraph(text: str | None) -> str | None:
    if not text:
        return None
    import inspect

    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split()) or None


def _full_short_help(typer_app: typer.Typer) -> None:
    """Command lists show each command's whole first paragraph, never cut with "..."."""
    for c in typer_app.registered_commands:
        if c.short_help is None and c.callback is not None:
            c.short_help = _first_paragraph(c.help or c.callback.__doc__)
    for g in typer_app.registered_groups:
        sub = g.typer_instance
        if sub is None:
            continue
        help_text = sub.info.help if isinstance(sub.info.help, str) else None
        if help_text and not isinstance(g.short_help, str):
            g.short_help = _first_paragraph(help_text)
        _full_short_help(sub)


_register()
_full_short_help(app)


def _error(err: CtxError, as_json: bool) -> int:
    from ctx.cli.output import json_safe, sanitize
    from ctx.privacy import redact

    # a message may quote user input (an id, a tag, a path): never a secret on stderr
    err = CtxError(  # a plain copy: subclasses (GitFailed) take other arguments
        redact(err.message),
        err.advice,
        exit_code=err.exit_code,
        code=err.code,
        detail=redact(err.detail) if err.detail else "",
    )
    if as_json:
        sys.stderr.write(json_safe(json.dumps(err.to_dict(), ensure_ascii=False)) + "\n")
    else:
        advice = f" — {err.advice}" if err.advice else ""
        if err.detail:  # e.g. git's own message, as git wrote it
            sys.stderr.write(sanitize(err.detail.rstrip("\n")) + "\n")
        sys.stderr.write(sanitize(f"ctx: error: {err.message}{advice}") + "\n")
    return err.exit_code


# Commands whose stdout is data or a live terminal, never text to sanitize or page.
_RAW = {"export", "wrap", "browse", "mcp", "hook"}
# Commands whose output can be long: paged when stdout is a terminal (like git).
_PAGED = {"status", "search", "log", "why", "diff", "help", "show", "memory", "sessions"}
_PAGED_SUB = {"list", "ls", "show"}
_GLOBAL_WITH_VALUE = {"-C", "--color"}


def _command_path(args: list[str]) -> list[str]:
    """The command words (`memory list`) of an argument list, skipping global options."""
    words: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--":
            break
        if a in _GLOBAL_WITH_VALUE and not words:
            skip = True
            continue
        if a.startswith("-"):
            continue
        words.append(a)
        if len(words) == 2:
            break
    return words


def _output_mode(args: list[str]) -> tuple[bool, bool]:
    """(sanitize stdout, page it) for this command line."""
    words = _command_path(args)
    if not words or words[0] in _RAW:
        return False, False
    paged = words[0] in _PAGED and "--no-pager" not in args and "--batch" not in args
    if words[0] in ("memory", "sessions"):
        paged = paged and len(words) > 1 and words[1] in _PAGED_SUB
    return True, paged


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


def _check_args_are_text(args: list[str]) -> None:
    """Invalid UTF-8 on the command line arrives as lone surrogates: refuse it, store nothing."""
    for i, a in enumerate(args, 1):
        try:
            a.encode("utf-8")
        except UnicodeEncodeError:
            raise CtxError(
                f"argument {i} is not UTF-8 text",
                "pass text in UTF-8 (check the terminal's or the script's encoding)",
                exit_code=2,
                code="not_text",
            ) from None


def _run_app(args: list[str], safe: bool, paged: bool) -> Any:
    """Run the command with stdout sanitized (text from others) and paged when long."""
    from ctx.cli.output import SafeStream
    from ctx.cli.output import paged as pager

    if not safe or isinstance(sys.stdout, SafeStream):
        return app(args=args, prog_name="ctx", standalone_mode=False)
    real = sys.stdout
    sys.stdout = SafeStream(real)
    try:
        with pager(paged):
            return app(args=args, prog_name="ctx", standalone_mode=False)
    finally:
        sys.stdout.flush()
        sys.stdout = real


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command, map every failure to one line and an exit code."""
    click_exc = _click_exceptions()

    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    safe, paged = _output_mode(args)
    try:
        _check_args_are_text(args)
        rv = _run_app(args, safe, paged)
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
        from ctx.core.oserrors import resource_error

        if os.environ.get("CTX_DEBUG"):
            raise
        # a full disk, a size limit, a read-only file system: the user's to fix, not a bug
        internal = resource_error(exc) or CtxError(
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
