"""The session-end import for agents whose hook names the session, not a file ctx may trust
as is: Codex CLI (the rollout in `transcript_path`) and Cursor (`conversation_id`), and the
checks of every agent's `transcript_path`.

Hook input is written by the agent, so it is checked before use: a transcript path must be a
regular file (not a symlink) of the agent's own kind under the agent's own folder (a Codex
rollout ``rollout-*.jsonl`` under ``sessions`` or ``archived_sessions``; a Claude Code
transcript under ``projects``; a Gemini or Qwen chat in a ``chats`` folder); a Cursor
conversation id must look like one, and the chat is then looked up where `ctx import cursor`
looks. Both go through the same import functions as
`ctx import codex|cursor`, so a later manual import adds nothing twice.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.errors import CtxError
from ctx.integrations.hook_entry import log

if TYPE_CHECKING:
    from collections.abc import Callable

    from ctx.store.project import Project

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


def _confined(value: Any, roots: list[Path], name_ok: Callable[[Path], bool]) -> Path | None:
    """``value`` as a path when it names a regular file (not a symlink) whose name passes
    ``name_ok``, inside one of ``roots`` once resolved; else None (a hook's input is written
    by the agent, and a path in it is never read before it is checked)."""
    if not isinstance(value, str) or not value or "\x00" in value:
        return None
    path = Path(value)
    if not path.is_absolute() or not name_ok(path):
        return None
    try:
        if path.is_symlink() or not path.is_file():
            return None
        real = path.resolve(strict=True)
        homes = [r.resolve() for r in roots]
    except (OSError, RuntimeError):
        return None
    return real if any(real.is_relative_to(h) for h in homes) else None


def confined_rollout(value: Any) -> Path | None:
    """The Codex rollout the hook named: ``rollout-*.jsonl`` under Codex's ``sessions`` or
    ``archived_sessions``; else None."""
    from ctx.capture.adapters.codex import codex_home

    home = codex_home()
    return _confined(
        value,
        [home / "sessions", home / "archived_sessions"],
        lambda p: re.fullmatch(r"rollout-[\w.:-]+\.jsonl", p.name) is not None,
    )


def confined_qwen_chat(value: Any) -> Path | None:
    """The Qwen Code chat the hook named: ``<id>.jsonl`` in a ``chats`` folder under
    ``~/.qwen/projects``; else None."""
    from ctx.capture.adapters.qwen import qwen_home

    return _confined(
        value,
        [qwen_home() / "projects"],
        lambda p: p.suffix == ".jsonl" and p.parent.name == "chats",
    )


def confined_claude_transcript(value: Any) -> Path | None:
    """The Claude Code transcript the hook named: a ``.jsonl`` file under Claude Code's
    ``projects`` folder (``~/.claude/projects`` or ``$CLAUDE_CONFIG_DIR/projects``); else None."""
    from ctx.capture.adapters.claude import claude_projects_dir

    return _confined(value, [claude_projects_dir()], lambda p: p.suffix == ".jsonl")


def confined_gemini_chat(value: Any) -> Path | None:
    """The Gemini CLI chat the hook named: a ``.json``/``.jsonl`` file in a ``chats`` folder
    under ``~/.gemini/tmp`` (``$GEMINI_CLI_HOME/.gemini/tmp``); else None."""
    from ctx.capture.adapters.gemini import gemini_home

    return _confined(
        value,
        [gemini_home() / "tmp"],
        lambda p: p.suffix in (".json", ".jsonl") and p.parent.name == "chats",
    )


def import_for_hook(project: Project, event: dict[str, Any], name: str) -> None:
    """Import the session the end-of-session event names; say what happened in the log."""
    from ctx.capture.import_agents import (
        import_codex,
        import_copilot,
        import_cursor,
        import_gemini_qwen,
    )
    from ctx.core.models import ImportSummary

    root = project.root
    private = bool(project.config.get("sessions", "default_private", False))
    tool = name.split("-", 1)[0]
    summary = ImportSummary(source=tool)
    try:
        if tool == "qwen":
            path = confined_qwen_chat(event.get("transcript_path"))
            if path is None:
                what = str(event.get("transcript_path"))[:300]
                log(root, name, f"not a Qwen Code chat of this user: {what!r}; nothing imported")
                return
            import_gemini_qwen(project, "qwen", path, False, None, private, summary)
        elif tool == "codex":
            path = confined_rollout(event.get("transcript_path"))
            if path is None:
                what = str(event.get("transcript_path"))[:300]
                log(root, name, f"not a Codex rollout of this user: {what!r}; nothing imported")
                return
            import_codex(project, path, False, None, private, summary)
        elif tool == "copilot":
            sid = event.get("sessionId") or event.get("session_id")
            if not isinstance(sid, str) or not _ID.match(sid):
                log(root, name, f"no usable session id in the event: {str(sid)[:80]!r}")
                return
            import_copilot(project, None, False, sid, private, summary)
        else:
            cid = event.get("conversation_id") or event.get("session_id")
            if not isinstance(cid, str) or not _ID.match(cid):
                log(root, name, f"no usable conversation id in the event: {str(cid)[:80]!r}")
                return
            import_cursor(project, None, False, cid, private, summary)
    except CtxError as err:
        log(root, name, f"nothing imported: {err.message}")
        return
    for label, res in summary.results:
        sid = res.session.id if res.session else "-"
        what = res.note or ("new session" if res.created else "updated")
        log(root, name, f"{sid} {what}, {res.added_turns} turns from {label}")
    for problem in summary.problems[:5]:
        log(root, name, problem)
    if not summary.results and not summary.problems:
        log(root, name, "nothing to import")
