"""Finish sessions whose capturing process died (SIGKILL, closed terminal, crash).

A journal under `local/active/` whose header names an `owner_pid` that no longer runs is
completed with status "recovered" by the next ctx command, with every turn it holds. Manual
captures (`ctx capture`) have no owner and stay open until `ctx complete`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.process import pid_alive
from ctx.store import confine
from ctx.store import transcripts as tx
from ctx.store.sessions import owner_clone

if TYPE_CHECKING:
    from ctx.store.project import Project

# Capture modes may register a finisher that rebuilds turns from their own recording
# (for example the terminal renderer for `ctx wrap` of a generic program).
Finisher = Callable[["Project", str, dict[str, Any]], "list[Any] | None"]
FINISHERS: dict[str, Finisher] = {}


def recover_interrupted(project: Project) -> list[str]:
    messages: list[str] = []
    for sid in project._open_ids():  # valid ids only, no symlinks (ctx/store/confine.py)
        path = project.journal_path(sid)
        header = tx.read_journal(path).header
        pid = header.get("owner_pid")
        if not isinstance(pid, int) or pid_alive(pid):
            continue
        if header.get("owner_clone") != owner_clone(project.root, sid):
            continue  # not this clone's capture (one a commit forced in): left as it is
        msg = _recover_one(project, sid, path, header)
        if msg:
            messages.append(msg)
    return messages


def _recover_one(project: Project, sid: str, path: Path, header: dict[str, Any]) -> str | None:
    """Claim the journal first: two commands starting at once must not both complete it."""
    claim_path = path.with_suffix(".recover")
    with os.fdopen(confine.open_lock(claim_path), "w") as claim:
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # another ctx process is recovering it right now
        try:
            if not path.exists():
                return None  # recovered by another process a moment ago
            turns = None
            finisher = FINISHERS.get(str(header.get("capture") or ""))
            note = ""
            if finisher is not None:
                try:
                    turns = finisher(project, sid, header)
                except Exception as exc:  # recovery must never block the user's command
                    note = f" (could not rebuild its transcript: {exc})"
            session = project.complete_session(sid, status="recovered", turns=turns)
            return (
                f"recovered interrupted session {session.id} "
                f"({session.turn_count} turn{'' if session.turn_count == 1 else 's'}) "
                f"whose capture was killed{note}"
            )
        finally:
            claim_path.unlink(missing_ok=True)
