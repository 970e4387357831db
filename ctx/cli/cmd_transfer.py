"""`ctx import`, `ctx export`, `ctx forget`: moving context in and out."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

import typer

from ctx.cli.common import (
    JSON_OPT,
    confirm,
    emit_json,
    open_for_writing,
    open_project,
    report_problems,
    state,
    warn,
)
from ctx.core.errors import CtxError

if TYPE_CHECKING:
    from ctx.store.project import Project

SOURCES = (
    "jsonl",
    "claude",
    "aider",
    "codex",
    "gemini",
    "qwen",
    "opencode",
    "cursor",
    "copilot",
)


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
    app.command("forget")(forget)


def import_(
    source: str | None = typer.Argument(
        None, help="jsonl | claude | aider | codex | gemini | qwen | opencode | cursor | copilot"
    ),
    path: Path | None = typer.Argument(
        None, help="File or directory to import (`-` = stdin for jsonl)."
    ),
    all_: bool = typer.Option(
        False, "--all", help="Agents' history (not jsonl/aider): every session of this project."
    ),
    session: str | None = typer.Option(
        None, "--session", help="Agents' history (not jsonl/aider): the tool's session id."
    ),
    private: bool = typer.Option(
        False, "--private", help="Keep imported sessions on this machine."
    ),
    all_agents: bool = typer.Option(
        False,
        "--all-agents",
        help="Every supported agent's sessions of this repository (all worktrees).",
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Import transcripts; importing the same thing again adds nothing.

    Examples: ctx import jsonl notes.jsonl · ctx import claude --all · ctx import aider ·
    ctx import --all-agents (Claude Code, Codex, aider, Gemini CLI and Qwen Code history)
    """
    if all_agents:
        if source is not None or path is not None:
            raise CtxError("--all-agents takes no source or path", exit_code=2)
        _import_all_agents(private, as_json)
        return
    if source is None:
        raise CtxError(
            "what to import?",
            f"name a source ({', '.join(SOURCES)}) or use --all-agents",
            exit_code=2,
        )
    if source not in SOURCES:
        raise CtxError(
            f"unknown import source '{source}'", f"use one of: {', '.join(SOURCES)}", exit_code=2
        )
    project = open_for_writing()
    from ctx.capture.import_files import run_import

    if path is not None and str(path) == "-" and sys.stdin.isatty() and not state.quiet:
        sys.stderr.write("ctx: reading JSONL from stdin; end with Ctrl-D\n")

    summary = run_import(project, source, path, all_=all_, session=session, private=private)
    for msg in summary.problems:
        warn(msg)
    skipped = summary.skipped_message()
    if skipped:
        warn(skipped)
    if not private:
        from ctx.cli.common import warn_large

        warn_large(
            project, [r.session.id for _, r in summary.results if r.session and r.added_turns]
        )
    if as_json:
        emit_json(summary.to_dict())
    else:
        for line in summary.lines():
            print(line)
    report_problems(project)


def _import_all_agents(private: bool, as_json: bool) -> None:
    from ctx.capture.agent_history import import_all
    from ctx.core.models import ImportSummary

    project = open_project()
    summary = ImportSummary("all-agents")
    read = import_all(project, private, summary)
    for msg in summary.problems:
        warn(msg)
    if as_json:
        emit_json({**summary.to_dict(), "files_read": read})
    else:
        new = [label for label, r in summary.results if r.created or r.added_turns]
        for line in summary.lines():
            if any(label in line for label in new):
                print(line)
        per = ", ".join(f"{agent} {n}" for agent, n in read.items())
        created = sum(1 for _, r in summary.results if r.created)
        turns = sum(r.added_turns for _, r in summary.results)
        print(f"read {per} file(s): {created} new session(s), {turns} new turn(s)")
    report_problems(project)


def export(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file (default: stdout)."
    ),
    include_private: bool = typer.Option(
        False, "--include-private", help="Also export private data."
    ),
) -> None:
    """Export every memory and session as JSONL (re-import with `ctx import jsonl FILE`)."""
    project = open_project()
    if output is None:
        from ctx.cli.output import SafeStream, json_safe

        # JSON Lines to stdout, maybe a terminal: C1 controls escaped too (\u009b), same data
        out = cast("IO[str]", SafeStream(sys.stdout, json_safe))
        project.export(out, include_private=include_private)
    else:
        n = _export_to(project, output, private=include_private)
        sys.stderr.write(f"exported {n} records to {output}\n")
    report_problems(project)


def forget(
    idents: list[str] = typer.Argument(..., help="Memory or session ids (or unique prefixes)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = JSON_OPT,
) -> None:
    """Delete memories or sessions for good, in every clone after the next sync.

    Git history still holds them until you rewrite it (for example with git filter-repo);
    ctx does not rewrite history for you.
    """
    project = open_project()
    confirm(f"Forget {', '.join(idents)} for good, in every clone?", yes, "ctx forget")
    done = [project.forget(i) for i in idents]
    if as_json:
        emit_json({"forgotten": [{"kind": f.kind, "id": f.id} for f in done], "note": done[0].note})
    else:
        for f in done:
            print(f"forgot {f.kind} {f.id}")
        print(f"note: {done[0].note}")


def _export_to(project: Project, path: Path, *, private: bool) -> int:
    """Write the export to `path` whole or not at all: into a temporary file beside it, renamed
    over it at the end, so a failure (a full disk, a damaged store) keeps an earlier export.
    A FIFO or a device (`-o /dev/stdout`) is written as it is. With private data, the file is
    its owner's only (0600)."""
    try:
        try:
            st: os.stat_result | None = os.stat(path)
        except FileNotFoundError:
            st = None
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if st is not None and not stat.S_ISREG(st.st_mode):
            with open(path, "w", encoding="utf-8") as fh:
                return project.export(fh, include_private=private)
        return _replace_with_export(project, path, st, private)
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def _replace_with_export(
    project: Project, path: Path, st: os.stat_result | None, private: bool
) -> int:
    import tempfile

    target = Path(os.path.realpath(path))  # a link to a file: the file it names is replaced
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        if private:
            os.fchmod(fd, 0o600)
        elif st is not None:
            os.fchmod(fd, stat.S_IMODE(st.st_mode))
        else:  # a new file gets the mode `open()` would give it (the umask applies)
            umask = os.umask(0o022)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)
        with open(fd, "w", encoding="utf-8") as fh:
            n = project.export(fh, include_private=private)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename itself, durable
        dfd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return n


def _cannot_write(path: Path, exc: OSError) -> CtxError:
    """One line naming the file asked for (never the temporary one); a full disk and the
    like keep their code and advice (ctx.core.oserrors)."""
    from ctx.core.oserrors import KEPT, resource_error

    resource = resource_error(exc)
    if resource is not None:
        what = resource.message.split(":", 1)[0].split(" (", 1)[0]
        return CtxError(
            f"{what} while writing the export to {path} ({KEPT}, nor an earlier file there)",
            resource.advice,
            code=resource.code,
        )
    return CtxError(
        f"cannot write the export to {path}: {exc.strerror or exc}",
        "give a file in a folder you can write (-o FILE), or leave -o out for stdout",
        code="export_failed",
    )
