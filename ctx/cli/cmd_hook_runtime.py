"""Hidden `ctx hook claude-session-start|claude-session-end`: what Claude Code's hooks run.

Rules for code that runs inside someone else's session: be fast (no search index, no model,
no `mcp`/`textual` imports), and never break the session — whatever happens, exit 0; errors
go to `.contextfs/local/hooks.log` and one short line on stderr. Claude Code passes the event
as JSON on stdin (`session_id`, `transcript_path`, `cwd`, `hook_event_name`, ...); the
SessionStart answer is JSON on stdout:
`{"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "..."}}`.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from ctx.store.project import Project

hook_app = typer.Typer(
    help="Entry points run by AI tools' hooks (installed by `ctx hooks install --claude`).",
    no_args_is_help=True,
)

LOG_NAME = "hooks.log"
LOG_MAX_BYTES = 512 * 1024
STDIN_WAIT = 5.0  # seconds to wait for the event JSON before going on without it
STDIN_MAX = 1024 * 1024
BRIEF_CHARS_ENV = "CTX_HOOK_BRIEF_CHARS"


def register(app: typer.Typer) -> None:
    app.add_typer(hook_app, name="hook", hidden=True)


def read_event() -> dict[str, Any]:
    """The hook's JSON input, or {} when there is none (a terminal, garbage, nothing in time)."""
    import select

    stdin = sys.stdin
    if stdin is None or stdin.isatty():
        return {}
    try:
        ready, _, _ = select.select([stdin], [], [], STDIN_WAIT)
        if not ready:
            return {}
        raw = stdin.buffer.read(STDIN_MAX)
        data = json.loads(raw.decode("utf-8", errors="replace") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _open(event: dict[str, Any]) -> Project | None:
    """The project of the session's directory, or None when it has no ctx store."""
    from ctx.errors import CtxError
    from ctx.store.project import Project

    cwd = event.get("cwd") or os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd()
    try:
        project = Project.open(Path(str(cwd)), require_store=False)
    except CtxError:
        return None
    return project if project.exists else None


def _log(project: Project | None, event: str, message: str) -> Path | None:
    if project is None:
        return None
    path = project.layout.local / LOG_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > LOG_MAX_BYTES:
            path.replace(path.with_name(LOG_NAME + ".1"))
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {event}: {message}\n")
    except OSError:
        return None
    return path


def _guarded(name: str, body: Callable[[dict[str, Any]], Project | None]) -> int:
    """Run a hook body; any failure is logged and reported in one line, and exit is 0."""
    event: dict[str, Any] = {}
    project: Project | None = None
    try:
        event = read_event()
        project = body(event)
    except (KeyboardInterrupt, SystemExit):
        return 0
    except Exception as exc:  # nothing may escape into the AI session
        try:
            project = project or _open(event)
        except Exception:
            project = None
        detail = f"{type(exc).__name__}: {exc}"
        where = _log(project, name, f"failed: {detail}\n{traceback.format_exc()}")
        hint = f" (details in {where})" if where else ""
        sys.stderr.write(f"ctx: {name} hook failed: {detail}{hint}\n")
    return 0


def session_start(event: dict[str, Any]) -> Project | None:
    from ctx.brief import DEFAULT_BUDGET, build_brief

    project = _open(event)
    if project is None:
        return None
    try:
        budget = int(os.environ.get(BRIEF_CHARS_ENV) or DEFAULT_BUDGET)
    except ValueError:
        budget = DEFAULT_BUDGET
    brief = build_brief(project, budget_chars=budget)
    if brief.empty:
        return project
    out = {
        "hookSpecificOutput": {
            "hookEventName": "SessionStart",
            "additionalContext": brief.text,
        }
    }
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return project


def session_end(event: dict[str, Any]) -> Project | None:
    from ctx.capture.adapters.claude import parse_claude_transcript

    project = _open(event)
    if project is None:
        return None
    path = event.get("transcript_path")
    if not path or not Path(str(path)).is_file():
        _log(project, "claude-session-end", f"no transcript at {path!r}; nothing imported")
        return project
    header, turns = parse_claude_transcript(str(path))
    if not header.external_id and event.get("session_id"):
        header.external_id = str(event["session_id"])
    if not turns:
        _log(project, "claude-session-end", f"{path}: no turns; nothing imported")
        return project
    private = bool(project.config.get("sessions", "default_private", False))
    res = project.import_transcript(header, turns, source_key=str(path), private=private)
    sid = res.session.id if res.session else "-"
    what = res.note or ("new session" if res.created else "updated")
    _log(project, "claude-session-end", f"{sid} {what}, {res.added_turns} turns from {path}")
    return project


@hook_app.command("claude-session-start")
def claude_session_start() -> int:
    """Print the project brief for Claude Code's SessionStart hook (JSON on stdout)."""
    return _guarded("claude-session-start", session_start)


@hook_app.command("claude-session-end")
def claude_session_end() -> int:
    """Import the finished Claude Code transcript named in the SessionEnd hook's input."""
    return _guarded("claude-session-end", session_end)


def gemini_session_end(event: dict[str, Any]) -> Project | None:
    """Gemini CLI's SessionEnd: import the chat file named in ``transcript_path``."""
    from ctx.capture.adapters.gemini import parse_gemini_session

    project = _open(event)
    if project is None:
        return None
    path = event.get("transcript_path")
    if not path or not Path(str(path)).is_file():
        _log(project, "gemini-session-end", f"no chat file at {path!r}; nothing imported")
        return project
    header, turns = parse_gemini_session(str(path))
    if not turns:
        _log(project, "gemini-session-end", f"{path}: no turns; nothing imported")
        return project
    src = header.meta.pop("source_path", None)
    if src:
        header.meta["source_file"] = Path(str(src)).name  # never a home path in the store
    if header.cwd:
        header.cwd = project.relative_cwd(header.cwd)
    private = bool(project.config.get("sessions", "default_private", False))
    res = project.import_transcript(header, turns, source_key=Path(str(path)).name, private=private)
    sid = res.session.id if res.session else "-"
    what = res.note or ("new session" if res.created else "updated")
    _log(project, "gemini-session-end", f"{sid} {what}, {res.added_turns} turns from {path}")
    return project


@hook_app.command("gemini-session-start")
def gemini_session_start() -> int:
    """Print the project brief for Gemini CLI's SessionStart hook (JSON on stdout)."""
    return _guarded("gemini-session-start", session_start)


@hook_app.command("gemini-session-end")
def gemini_session_end_cmd() -> int:
    """Import the finished Gemini CLI chat named in the SessionEnd hook's input."""
    return _guarded("gemini-session-end", gemini_session_end)
