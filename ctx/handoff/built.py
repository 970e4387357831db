"""What every resume target takes and returns, and the helpers they share (ids, atomic
private writes).

Its own module so that the targets in their own files and the table of targets in
``targets.py`` import it without importing each other."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctx.core.timeutil import now_iso
from ctx.handoff.conversation import Message

_NAMESPACE = uuid.UUID("6f1c9a52-3c1e-4e0b-9f57-2f6a4d1b8c70")


@dataclass
class Built:
    agent: str
    session_id: str  # the agent's own id for the rebuilt session
    path: Path
    command: list[str]  # continue interactively
    note: str | None = None  # what the user must know to continue (printed)

    def prompt_command(self, prompt: str) -> list[str]:
        """Continue with one prompt, non-interactively (the agent's print / exec mode)."""
        if self.agent == "codex":
            return ["codex", "exec", "resume", self.session_id, prompt]
        if self.agent == "opencode":
            # `opencode run` joins its words with spaces and quotes any word holding one:
            # words split on single spaces come back exactly; `--` keeps "-x" a word
            return ["opencode", "run", "--session", self.session_id, "--", *prompt.split(" ")]
        return [*self.command, "-p", prompt]


#: A resume target: (ctx session id, title, messages, cwd, branch, home) -> what it wrote.
BuildFn = Callable[[str, str, list[Message], Path, "str | None", "Path | None"], Built]


@dataclass(frozen=True)
class Rebuild:
    """One conversation to rebuild for an agent, with the id its file gets."""

    ctx_session: str
    title: str
    messages: list[Message]
    cwd: Path
    branch: str | None
    home: Path | None
    sid: str  # rebuilt_id(ctx_session, messages)
    #: the first message's time (now when it has none): where the rebuilt session starts
    start: str = field(default="")

    def turn_id(self, key: object) -> str:
        """A stable id for one record of the rebuilt session."""
        return str(uuid.uuid5(uuid.UUID(self.sid), str(key)))


def target(fn: Callable[[Rebuild], Built]) -> BuildFn:
    """The resume target's public signature (what `BUILDERS` calls) around a builder of one
    `Rebuild`, so each target only says how its agent's file looks."""

    def build(
        ctx_session: str,
        title: str,
        messages: list[Message],
        cwd: Path,
        branch: str | None,
        home: Path | None = None,
    ) -> Built:
        first = messages[0].ts if messages else None
        sid = rebuilt_id(ctx_session, messages)
        return fn(Rebuild(ctx_session, title, messages, cwd, branch, home, sid, first or now_iso()))

    build.__name__ = build.__qualname__ = fn.__name__
    build.__doc__ = fn.__doc__
    return build


def rebuilt_id(ctx_session: str, messages: list[Message]) -> str:
    """Stable for the same content: resuming twice reuses one file instead of piling up."""
    digest = json.dumps([[m.role, m.text] for m in messages], ensure_ascii=False)
    return str(uuid.uuid5(_NAMESPACE, f"{ctx_session}\x1f{digest}"))


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    """Write the whole file at once (temp + rename), readable only by the user. An existing
    file of the same id holds the same rebuilt turns, perhaps followed by the agent's own
    continuation: it is kept as it is."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_private(tmp, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    os.replace(tmp, path)


def write_private(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write a file only the user can read, never through a symlink (`exclusive`: only a new
    one)."""
    mode = os.O_EXCL if exclusive else os.O_TRUNC
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | mode | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


# ---- Claude Code ------------------------------------------------------------------------------
