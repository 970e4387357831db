"""aider's chat log: ``.aider.chat.history.md`` (appended to, one file per repository).

Why: aider keeps a Markdown log of every chat, which is cleaner than its terminal output.
The format (aider/io.py, checked against aider-chat 0.86.2):

- ``# aider chat started at YYYY-MM-DD HH:MM:SS`` (local time) opens a session;
- ``#### text`` lines are the user's message, one line each (``<blank>`` for an empty one);
- ``> text`` lines are aider's own output (commands, "Applied edit to ...", token counts);
- any other text is the model's reply, written whole after it finished.

``> `` lines before the first message of a session are aider's start-up banner; they go
to ``header.meta["banner"]`` (model and version are read from it), not into turns. Code
fences in replies are respected, so a reply that quotes ``#### `` or ``> `` lines inside
triple backticks stays one reply. Turns carry no timestamps (aider writes none).

aider logs in-chat commands as user lines too (``#### /exit``, ``#### /add app.py``). Only
what was said is a user turn: a command is a ``system`` turn (``meta["generated"] =
"command"``), except the commands that carry a message for the model (``/ask``, ``/code``,
``/architect``, ``/context``, ``/help`` with text), which stay the user's words.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ctx.capture.adapters import iso_ts
from ctx.core.models import TranscriptHeader, TranscriptTurn

HISTORY_FILE = ".aider.chat.history.md"
_SESSION_RE = re.compile(r"^# aider chat started at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s*$")
_MODEL_RE = re.compile(r"^(?:Main model|Model): (\S+)")
_VERSION_RE = re.compile(r"^Aider v(\S+)")
_BANNER_LIMIT = 40
#: ``/name`` at the start of a message (aider matches unique prefixes too: ``/ex``), or a
#: ``!shell`` escape. ``/etc/hosts is broken`` is not a command (no space after the name).
_COMMAND_RE = re.compile(r"^(?:/([a-z][a-z-]*)(?:\s|$)|!)")
#: Commands whose argument is a message to the model: the user's words, kept as user text.
SPEECH_COMMANDS = ("ask", "code", "architect", "context", "help")


def command_of(text: str) -> str | None:
    """The aider command a user line runs (``"/exit"``, ``"!"``), or None for speech."""
    m = _COMMAND_RE.match(text)
    if m is None:
        return None
    name = m.group(1)
    if name is None:
        return "!"
    has_words = bool(text[m.end() :].strip())
    if has_words and any(cmd.startswith(name) for cmd in SPEECH_COMMANDS):
        return None
    return "/" + name


Session = tuple[TranscriptHeader, list[TranscriptTurn]]


def history_path(cwd: str | os.PathLike[str]) -> Path:
    """Where aider started in ``cwd`` writes its history: the git root's file, else ``cwd``'s.

    ``AIDER_CHAT_HISTORY_FILE`` (aider's own setting) wins when set.
    """
    env = os.environ.get("AIDER_CHAT_HISTORY_FILE")
    if env:
        return Path(cwd, env)
    start = Path(cwd).resolve()
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d / HISTORY_FILE
    return start / HISTORY_FILE


def _local_to_iso(raw: str) -> str | None:
    try:
        local = datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").astimezone()
    except ValueError:
        return None
    return iso_ts(local.isoformat())


@dataclass
class _Session:
    offset: int
    started_raw: str | None
    banner: list[str] = field(default_factory=list)
    turns: list[TranscriptTurn] = field(default_factory=list)

    def header(self, path: Path | None) -> TranscriptHeader:
        started = _local_to_iso(self.started_raw) if self.started_raw else None
        meta: dict[str, Any] = {"byte_offset": self.offset}
        for line in self.banner:
            if "model" not in meta and (m := _MODEL_RE.match(line)):
                meta["model"] = m.group(1)
            if "aider_version" not in meta and (m := _VERSION_RE.match(line)):
                meta["aider_version"] = m.group(1)
        if self.banner:
            meta["banner"] = self.banner[:_BANNER_LIMIT]
        if path is not None:
            meta["source_path"] = str(path)
        stamp = (self.started_raw or "unknown").replace("-", "").replace(":", "").replace(" ", "T")
        return TranscriptHeader(
            tool="aider",
            external_id=f"aider-{stamp}-{self.offset}",
            started_at=started,
            cwd=str(path.resolve().parent) if path is not None else None,
            meta=meta,
        )


class _Parser:
    """Line-by-line state machine; ``base`` is the byte offset of the text in the file."""

    def __init__(self, base: int) -> None:
        self.base = base
        self.sessions: list[_Session] = []
        self.kind: str | None = None  # "user" | "tool" | "assistant"
        self.lines: list[str] = []
        self.in_fence = False

    def _session(self, offset: int) -> _Session:
        if not self.sessions:
            self.sessions.append(_Session(offset, None))
        return self.sessions[-1]

    def _flush(self, offset: int) -> None:
        kind, lines = self.kind, self.lines
        self.kind, self.lines, self.in_fence = None, [], False
        text = "\n".join(lines).strip()
        if kind is None or not text:
            return
        session = self._session(offset)
        if kind == "tool" and not session.turns:
            session.banner.extend(line for line in lines if line.strip())
        elif kind == "tool":
            session.turns.append(TranscriptTurn("tool", text, meta={"kind": "aider_output"}))
        elif kind == "user" and (cmd := command_of(text)) is not None:
            meta = {"generated": "command", "command": cmd}
            session.turns.append(TranscriptTurn("system", text, meta=meta))
        else:
            session.turns.append(TranscriptTurn(kind, text))

    def _start(self, kind: str, offset: int) -> None:
        if self.kind != kind:
            self._flush(offset)
            self.kind = kind

    def feed(self, line: str, offset: int) -> None:
        m = _SESSION_RE.match(line)
        if m:
            self._flush(offset)
            self.sessions.append(_Session(offset, m.group(1)))
            return
        if not self.in_fence and (line.startswith("#### ") or line.rstrip() == "####"):
            self._start("user", offset)
            body = line[5:].rstrip()
            self.lines.append("" if body == "<blank>" else body)
        elif not self.in_fence and (line.startswith("> ") or line.rstrip() == ">"):
            self._start("tool", offset)
            self.lines.append(line[2:].rstrip())
        elif not line.strip():
            if self.kind == "assistant":
                self.lines.append("")
            else:
                self._flush(offset)
        else:
            self._start("assistant", offset)
            self.lines.append(line.rstrip())
            if line.lstrip().startswith(("```", "~~~")):
                self.in_fence = not self.in_fence

    def run(self, data: bytes) -> list[_Session]:
        offset = self.base
        for raw in data.splitlines(keepends=True):
            self.feed(raw.decode("utf-8", errors="replace").rstrip("\r\n"), offset)
            offset += len(raw)
        self._flush(offset)
        return self.sessions


_MARK_RE = re.compile(rb"^(# aider chat started at \d{4}-|#### |####\r?$)", re.MULTILINE)


def looks_like_history(data: bytes) -> bool:
    """Whether `data` has anything aider writes: a session header or a user line. Any other
    text file would parse as one long reply (`ctx import aider /etc/passwd` made a session of
    it), then be committed for the team."""
    return _MARK_RE.search(data) is not None


def parse_aider_history(path: str | os.PathLike[str]) -> list[Session]:
    """Every session in a history file, oldest first: ``[(header, turns), ...]``."""
    p = Path(path)
    return [(s.header(p), s.turns) for s in _Parser(0).run(p.read_bytes())]


def history_since(
    path: str | os.PathLike[str], offset: int = 0
) -> tuple[TranscriptHeader, list[TranscriptTurn], int]:
    """What was appended to the history after byte ``offset``: ``(header, turns, new_offset)``.

    ``ctx wrap aider`` records the file size before the run and calls this afterwards. Only
    whole lines are consumed (``new_offset`` stops after the last newline), so a line aider is
    still writing is picked up by the next call; an offset inside a line skips to the next
    one. A file that shrank below ``offset`` was
    replaced: it is read from the start (``header.meta["reset"]``). If the new part holds
    several sessions, their turns are concatenated under the first one's header.
    """
    p = Path(path)
    data = p.read_bytes() if p.exists() else b""
    reset = offset > len(data)
    if reset or offset < 0:
        offset = 0
    if offset > 0 and data[offset - 1 : offset] != b"\n":
        # Mid-line (not a size recorded before a run): start at the next whole line.
        nl = data.find(b"\n", offset)
        offset = len(data) if nl < 0 else nl + 1
    chunk = data[offset:]
    end = chunk.rfind(b"\n") + 1
    sessions = _Parser(offset).run(chunk[:end])
    if sessions:
        header = sessions[0].header(p)
        turns = [t for s in sessions for t in s.turns]
        if len(sessions) > 1:
            header.meta["sessions"] = len(sessions)
    else:
        header = _Session(offset, None).header(p)
        turns = []
    if reset:
        header.meta["reset"] = True
    return header, turns, offset + end
