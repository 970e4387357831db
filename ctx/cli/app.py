"""The root `ctx` command and the single error handler."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from ctx.cli import common
from ctx.core.errors import EXIT_USER, CtxError
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
    common.apply_global_options(directory, quiet, color)


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
    from ctx.cli.guard import check_args_are_text, report_error, run_guarded
    from ctx.codelinks.why_keep import before_write
    from ctx.core import after_write

    after_write.register(before_write)  # a write keeps `ctx why`'s inputs (why_keep.py)
    click_exc = _click_exceptions()
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    safe, paged = _output_mode(args)

    def body() -> int:
        check_args_are_text(args)
        rv = _run_app(args, safe, paged)
        return rv if isinstance(rv, int) else 0

    def translate(exc: Exception) -> int | None:
        if isinstance(exc, typer.Exit):
            return int(exc.exit_code)
        if isinstance(exc, typer.Abort):
            sys.stderr.write("ctx: aborted\n")
            return 130
        if isinstance(exc, click_exc.ClickException):  # bad arguments
            return report_error(_usage_error(exc, click_exc), as_json)
        return None

    code = run_guarded(body, as_json, translate)
    if argv is None:
        sys.exit(code)
    return code


__all__ = ["EXIT_USER", "app", "main"]
