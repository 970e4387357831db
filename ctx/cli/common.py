"""What every command module shares: the project to act on, JSON/text output, warnings."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.cli.output import json_text
from ctx.cli.output import one_line as one_line
from ctx.cli.output import short_time as short_time
from ctx.core.errors import CtxError

if TYPE_CHECKING:
    from ctx.store.project import Project


def __getattr__(name: str) -> Any:
    """``JSON_OPT`` is built on first use: the `ctx wrap` fast path imports this module
    without typer (see ctx/cli/cmd_wrap.py)."""
    if name == "JSON_OPT":
        import typer

        opt = typer.Option(
            False, "--json", help="Print JSON (stable, documented in docs/guide.md)."
        )
        globals()["JSON_OPT"] = opt
        return opt
    raise AttributeError(name)


@dataclass
class CliState:
    cwd: Path | None = None  # from `ctx -C PATH`
    quiet: bool = False
    identity_warned: bool = False


state = CliState()


def apply_global_options(directory: Path | None, quiet: bool, color: str | None) -> None:
    """What `ctx [-C DIR] [-q] [--color WHEN]` sets for the command that follows."""
    from ctx.cli.output import set_color

    if directory is not None and not directory.is_dir():
        raise CtxError(
            f"no such directory: {directory}",
            "give an existing directory to -C",
            exit_code=2,
            code="usage",
        )
    set_color(color)
    state.cwd = directory
    state.quiet = quiet
    state.identity_warned = False


def open_project(*, require_store: bool = True) -> Project:
    from ctx.store.project import Project

    project = Project.open(state.cwd, require_store=require_store)
    if require_store:
        _recover(project)
    return project


def open_for_writing() -> Project:
    """The project, for a command that records an author: warn if git does not know who."""
    project = open_project()
    warn_identity(project)
    return project


def warn_identity(project: Project) -> None:
    """Once per command: without a git identity the recorded author is a guess."""
    if project.git.identity or state.identity_warned:
        return
    state.identity_warned = True
    warn(
        f"git has no user identity here; recording the author as '{project.git.author}' "
        '(set it: git config --global user.name "Your Name"; '
        "git config --global user.email you@example.com)"
    )


def _recover(project: Project) -> None:
    """Finish sessions whose capturing process died (killed ctx, closed terminal)."""
    from ctx.store.recovery import recover_interrupted

    for msg in recover_interrupted(project):
        warn(msg)


def warn(msg: str) -> None:
    if not state.quiet:
        from ctx.cli.output import sanitize

        sys.stderr.write(sanitize(f"ctx: warning: {msg}") + "\n")


def report_problems(project: Project) -> None:
    seen: set[str] = set()
    for p in project.problems:
        s = str(p)
        if s not in seen:
            seen.add(s)
            warn(s)
    for note in getattr(project, "notices", []):  # data a log lost, restored (highwater)
        if note not in seen:
            seen.add(note)
            warn(note)
    queued = getattr(project, "queued", None)
    if queued:  # the change is saved; say where it waits (ctx/store/pending.py)
        warn(
            f"saved, and queued in .contextfs/local/pending/ ({queued}); "
            "it goes into the log when git is done"
        )


def emit_json(data: Any) -> None:
    sys.stdout.write(json_text(data) + "\n")


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text or a refusal: binary input (NUL bytes, invalid UTF-8) is never stored."""
    if b"\x00" in data:
        raise CtxError(
            f"{source} is not UTF-8 text (it has NUL bytes)",
            "give text, not a binary file",
            code="not_text",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CtxError(
            f"{source} is not UTF-8 text (invalid byte at offset {exc.start})",
            "give UTF-8 text, not a binary file (convert with iconv if it is another encoding)",
            code="not_text",
        ) from None


def read_stdin(what: str = "text") -> str:
    """All of stdin as text; on a terminal, say first that we are waiting for it."""
    if sys.stdin.isatty() and not state.quiet:
        sys.stderr.write(f"ctx: reading {what} from stdin; end with Ctrl-D\n")
        sys.stderr.flush()
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream (embedding, tests): already decoded
        return decode_text(sys.stdin.read().encode("utf-8", "surrogateescape"), "stdin")
    return decode_text(buffer.read(), "stdin")


def read_text(text: str | None, what: str = "text") -> str:
    """`-` or no argument with piped stdin reads stdin (for long or multi-line content)."""
    if text == "-" or (text is None and not sys.stdin.isatty()):
        return read_stdin(what)
    if text is None:
        raise CtxError(f"no {what} given", f"pass the {what} as an argument, or `-` to read stdin")
    return text


def say_redacted(text: str | None) -> None:
    """Redaction is never silent: say how many secrets the stored text lost."""
    if not text or state.quiet:
        return
    from ctx.privacy.secrets import find_secrets

    n = len(find_secrets(text))
    if n:
        sys.stderr.write(
            f"ctx: {plural(n, 'secret')} redacted (stored as [REDACTED:<kind>]; "
            "see docs/privacy.md)\n"
        )


LARGE_SESSION = 1_000_000  # bytes; a transcript past this is worth a word before it is committed


def warn_large(project: Project, session_ids: list[str]) -> None:
    """A session over 1 MB goes into every clone's history: say so before it is committed."""
    for sid in session_ids:
        d = project.layout.session_dir(sid)
        try:
            size = sum(p.stat().st_size for p in d.iterdir() if p.is_file() and not p.is_symlink())
        except OSError:
            continue
        if size > LARGE_SESSION:
            warn(
                f"session {sid} is {size / 1e6:.1f} MB; it will be committed to the repository "
                f"and copied to every clone (keep it out: `ctx forget {sid}`, or import it "
                "with --private)"
            )


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 turn`, `2 turns`."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def confirm(prompt: str, yes: bool, what: str = "this") -> None:
    """Ask before destroying anything: a terminal must answer yes, or the user passed --yes.

    With no terminal on stdin there is nobody to ask, so ctx refuses rather than guess
    (`echo n | ctx forget X` must not delete).
    """
    if yes:
        return
    if not sys.stdin.isatty():
        raise CtxError(
            f"{what} needs confirmation and stdin is not a terminal",
            "rerun with --yes (-y) to confirm",
            exit_code=2,
            code="needs_confirmation",
        )
    from ctx.cli.output import sanitize

    sys.stderr.write(sanitize(f"{prompt} [y/N] "))
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if answer.strip().lower() not in ("y", "yes"):
        sys.stderr.write("ctx: nothing changed\n")
        import typer

        raise typer.Exit(1)


def term_width() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 100
