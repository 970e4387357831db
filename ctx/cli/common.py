"""What every command module shares: the project to act on, JSON/text output, warnings."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ctx.errors import CtxError

if TYPE_CHECKING:
    from ctx.store.project import Project

JSON_OPT = typer.Option(False, "--json", help="Print JSON (stable, documented in docs/guide.md).")


@dataclass
class CliState:
    cwd: Path | None = None  # from `ctx -C PATH`
    quiet: bool = False


state = CliState()


def open_project(*, require_store: bool = True) -> Project:
    from ctx.store.project import Project

    project = Project.open(state.cwd, require_store=require_store)
    if require_store:
        _recover(project)
    return project


def _recover(project: Project) -> None:
    """Finish sessions whose capturing process died (killed ctx, closed terminal)."""
    from ctx.store.recovery import recover_interrupted

    for msg in recover_interrupted(project):
        warn(msg)


def warn(msg: str) -> None:
    if not state.quiet:
        sys.stderr.write(f"ctx: warning: {msg}\n")


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
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=None, default=str) + "\n")


def read_text(text: str | None, what: str = "text") -> str:
    """`-` or no argument with piped stdin reads stdin (for long or multi-line content)."""
    if text == "-" or (text is None and not sys.stdin.isatty()):
        data = sys.stdin.buffer.read()
        return data.decode("utf-8", errors="replace")
    if text is None:
        raise CtxError(f"no {what} given", f"pass the {what} as an argument, or `-` to read stdin")
    return text


def short_time(iso: str | None) -> str:
    if not iso:
        return "-"
    return iso[:16].replace("T", " ")


def one_line(text: str, width: int = 72) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def term_width() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 100
