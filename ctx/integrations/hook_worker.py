"""The detached half of Claude Code's SessionEnd hook: import the transcript, refresh the brief.

`hook_entry.session_end` starts this in its own session with stdio on /dev/null and returns, so
Claude Code exits at once while the import runs here — niced, and started only once Claude
Code's process is gone (``brief_cache.spawn_detached(after_pid=...)``), so it does not compete
with the exit for the CPU. Nobody sees this process: everything it has to say goes to the
hooks log (`ctx hooks log`). It has a generous time budget of its own (:data:`BUDGET`) so a
wedged import cannot linger forever.
"""

from __future__ import annotations

import json
import os
import signal
import time
import traceback
from pathlib import Path
from typing import Any

from ctx.integrations.hook_entry import HookTimeout, log

BUDGET = 300  # seconds


def import_transcript(event: dict[str, Any], name: str = "claude-session-end") -> Path | None:
    """Import the transcript the event names into the project of its cwd; returns the root."""
    from ctx.integrations.claude_hooks import refresh_brief_cache
    from ctx.store.project import Project

    project = Project.open(Path(str(event.get("cwd") or ".")), require_store=False)
    if not project.exists:
        return None
    root = project.root
    if name.startswith(("codex", "cursor", "qwen", "copilot")):
        from ctx.integrations.hook_imports import import_for_hook

        import_for_hook(project, event, name)
        refresh_brief_cache(project)
        return root
    from ctx.integrations.hook_imports import confined_claude_transcript, confined_gemini_chat

    given = event.get("transcript_path")
    if name.startswith("gemini"):
        from ctx.capture.adapters.gemini import parse_gemini_session as parse

        path = confined_gemini_chat(given)
        where = "a chat file under ~/.gemini/tmp"
    else:
        from ctx.capture.adapters.claude import parse_claude_transcript as parse

        path = confined_claude_transcript(given)
        where = "a .jsonl file under Claude Code's projects folder"
    if path is None:
        shown = str(given)[:300] if given else None
        log(root, name, f"no transcript at {shown!r} ({where}); nothing imported")
        return root
    header, turns = parse(str(path))
    if not header.external_id and event.get("session_id"):
        header.external_id = str(event["session_id"])
    if not turns:
        log(root, name, f"{path}: no turns; nothing imported")
        return root
    private = bool(project.config.get("sessions", "default_private", False))
    project.brief_refresh_off = True  # refreshed below, in this process
    res = project.import_transcript(header, turns, source_key=str(given), private=private)
    sid = res.session.id if res.session else "-"
    what = res.note or ("new session" if res.created else "updated")
    log(root, name, f"{sid} {what}, {res.added_turns} turns from {path}")
    refresh_brief_cache(project)
    return root


def _on_alarm(signum: int, frame: Any) -> None:
    raise HookTimeout


def main(argv: list[str]) -> int:
    """``main(["claude-session-end", EVENT_JSON, FALLBACK_CWD])`` (started by hook_entry)."""
    root: str | None = None
    name = argv[0] if argv and argv[0].endswith("-session-end") else "claude-session-end"
    started = time.monotonic()
    try:
        os.nice(10)  # background work: Claude Code and the user come first
    except OSError:
        pass
    try:
        event = json.loads(argv[1]) if len(argv) > 1 else {}
        if not isinstance(event, dict):
            event = {}
        if not isinstance(event.get("cwd"), str) and len(argv) > 2:
            event["cwd"] = argv[2]
        from ctx.integrations.hook_entry import find_place

        place = find_place(str(event.get("cwd") or "."))
        root = place.root if place else None
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(BUDGET)
        try:
            import_transcript(event, name)
        finally:
            signal.alarm(0)
    except HookTimeout:
        log(root, name, f"import gave up after {BUDGET} s (its time budget)")
    except Exception as exc:
        took = time.monotonic() - started
        log(
            root,
            name,
            f"import failed after {took:.1f} s: {type(exc).__name__}: {exc}\n"
            + traceback.format_exc(),
        )
    return 0
