"""The `Ctx-Session:` commit trailer: a commit made inside a captured session names it.

A time window links a commit to the sessions running when it was authored; a rebase keeps the
author date but a squash or a cherry-pick days later does not, and neither survives a history
rewritten by someone else. A trailer in the message does: `ctx why` and `ctx log` read it.

`ctx wrap` exports the capture's id as CTX_SESSION; the opt-in prepare-commit-msg and
commit-msg hooks (`ctx hooks install --session-trailer`) call :func:`add_session_trailer`.
It fails open: whatever goes wrong, the message is left as it was and the commit goes on.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ctx.core.ids import is_session_id

KEY = "Ctx-Session"
SESSION_ENV = "CTX_SESSION"  # the same name ctx.capture.wrap exports
SCISSORS = "------------------------ >8 ------------------------"


def add_session_trailer(message_file: Path, cwd: Path, sid: str | None = None) -> str | None:
    """Append `Ctx-Session: <sid>` to the commit message (git interpret-trailers, no duplicate).

    Only when `sid` (default: $CTX_SESSION) is a session being captured in this repository's
    store, git is not replaying commits (rebase, cherry-pick, revert, merge: their messages keep
    the trailers they had), and the message has text (an editor's still-empty template is left
    to the commit-msg hook, after editing, so an empty message still aborts the commit).
    Returns why nothing was added, or None when the trailer is there."""
    sid = (sid if sid is not None else os.environ.get(SESSION_ENV, "")).strip()
    if not is_session_id(sid):
        return "no session id"
    from ctx.core.errors import CtxError
    from ctx.store.pending import git_busy
    from ctx.store.project import Project

    try:
        project = Project.open(cwd)
    except CtxError:
        return "no ctx store here"
    if not project.journal_path(sid).exists():
        return "that session is not being captured in this repository"
    busy = git_busy(project.git.worktree)
    if busy:
        return f"git is busy ({busy})"
    try:
        text = message_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "message unreadable"
    if not has_text(text, _comment_char(cwd)):
        return "empty message"
    proc = subprocess.run(
        [
            "git",
            "interpret-trailers",
            "--in-place",
            "--if-exists",
            "addIfDifferent",
            "--trailer",
            f"{KEY}: {sid}",
            str(message_file),
        ],
        cwd=cwd,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=20,
    )
    return None if proc.returncode == 0 else "git interpret-trailers failed"


def has_text(message: str, comment: str = "#") -> bool:
    """Whether a commit message holds anything but comments and blank lines (git's cleanup)."""
    for line in message.splitlines():
        if comment and line.startswith(comment):
            if SCISSORS in line:
                break  # below the scissors: the diff of `commit -v`, never part of the message
            continue
        if line.strip():
            return True
    return False


def _comment_char(cwd: Path) -> str:
    try:
        proc = subprocess.run(
            ["git", "config", "--get", "core.commentChar"],
            cwd=cwd,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "#"
    value = proc.stdout.strip()
    return value if value and value != "auto" else "#"
