"""The session-end import for agents whose hook names the session, not a file ctx may trust
as is: Codex CLI (the rollout in `transcript_path`) and Cursor (`conversation_id`).

Hook input is written by the agent, so it is checked before use: a Codex rollout path must be
a regular file (not a symlink) named ``rollout-*.jsonl`` under Codex's own ``sessions`` (or
``archived_sessions``) directory; a Cursor conversation id must look like one, and the chat is
then looked up where `ctx import cursor` looks. Both go through the same import functions as
`ctx import codex|cursor`, so a later manual import adds nothing twice.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.errors import CtxError
from ctx.integrations.hook_entry import log

if TYPE_CHECKING:
    from ctx.store.project import Project

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


def confined_rollout(value: Any) -> Path | None:
    """The Codex rollout the hook named, when it is one; else None."""
    from ctx.capture.adapters.codex import codex_home

    if not isinstance(value, str) or not value or "\x00" in value:
        return None
    path = Path(value)
    if not path.is_absolute() or not re.fullmatch(r"rollout-[\w.:-]+\.jsonl", path.name):
        return None
    try:
        if path.is_symlink() or not path.is_file():
            return None
        real = path.resolve(strict=True)
        home = codex_home().resolve()
    except (OSError, RuntimeError):
        return None
    if not any(real.is_relative_to(home / d) for d in ("sessions", "archived_sessions")):
        return None
    return real


def confined_qwen_chat(value: Any) -> Path | None:
    """The Qwen Code chat the hook named, when it is one: a regular file (not a symlink)
    ``<id>.jsonl`` in a ``chats`` folder under ``~/.qwen/projects``; else None."""
    from ctx.capture.adapters.qwen import qwen_home

    if not isinstance(value, str) or not value or "\x00" in value:
        return None
    path = Path(value)
    if not path.is_absolute() or path.suffix != ".jsonl" or path.parent.name != "chats":
        return None
    try:
        if path.is_symlink() or not path.is_file():
            return None
        real = path.resolve(strict=True)
        projects = (qwen_home() / "projects").resolve()
    except (OSError, RuntimeError):
        return None
    return real if real.is_relative_to(projects) else None


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
