"""Parsers for the structured transcripts AI tools write (DESIGN.md §3.5: prefer the tool's own).

Each adapter turns one tool's on-disk format into the generic shape of ``ctx.core.models``:
a :class:`~ctx.core.models.TranscriptHeader` and a list of :class:`~ctx.core.models.TranscriptTurn`.

- :mod:`.claude`: Claude Code JSONL under ``~/.claude/projects/<encoded cwd>/``.
- :mod:`.aider`: aider's ``.aider.chat.history.md``.
- :mod:`.codex`: Codex CLI rollout JSONL under ``~/.codex/sessions/YYYY/MM/DD/``.
- :mod:`.generic_jsonl`: ctx's own documented import/export format.

Tool formats change often, so every parser skips what it does not understand (counting it in
``header.meta``) instead of failing, and tolerates a last line that is still being written.
This module holds the helpers they share; it imports nothing heavy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ctx.core.jsonline import loads_line

#: Key `ctx resume` writes on every record of a rebuilt agent session; its value is the ctx
#: session id it came from. The adapters drop such records when they capture the continuation.
RESUME_MARKER = "ctxResumedFrom"

#: Tool outputs longer than this (UTF-8 bytes) are cut, keeping the head.
RESULT_LIMIT = 2048
#: Tool-call arguments: each string value is cut to this many characters.
INPUT_VALUE_LIMIT = 1000
#: At most this many malformed line numbers are listed in header.meta.
MAX_LISTED_PROBLEMS = 50


def clip(text: str, limit: int = RESULT_LIMIT) -> str:
    """Keep the first ``limit`` UTF-8 bytes and say how much was left out.

    Large tool results (file dumps, build logs) would drown search and bloat the store;
    the head usually says what the output was.
    """
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    head = data[:limit].decode("utf-8", errors="ignore")
    omitted = len(data) - len(head.encode("utf-8"))
    return f"{head}\n[… {omitted} bytes omitted]"


def tool_line(name: str, args: Any, keys: Iterable[str]) -> str:
    """A tool call as one line of text: ``[name]`` and its most telling argument (the first
    of ``keys`` that holds a string), else all its arguments, clipped."""
    if isinstance(args, dict):
        for key in keys:
            v = args.get(key)
            if isinstance(v, str) and v.strip():
                return f"[{name}] {clip(v, 500)}"
    if args in (None, {}, [], ""):
        return f"[{name}]"
    text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
    return f"[{name}] {clip(text, 500)}"


def workspace_folder(workspace_json: Path) -> str | None:
    """The local folder a VS Code-family ``workspace.json`` (VS Code, Cursor) names; None for
    a remote one (ssh, wsl, dev container: not on this machine) or an unreadable file."""
    from urllib.parse import unquote, urlparse

    try:
        data = json.loads(workspace_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    uri = data.get("folder") if isinstance(data, dict) else None
    if not isinstance(uri, str):
        return None
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return unquote(parsed.path)


def loads_text(raw: Any) -> Any:
    """A JSON value stored as text or UTF-8 bytes (a database cell); None when it is not."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not isinstance(raw, str):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def clip_value(value: Any, limit: int = INPUT_VALUE_LIMIT) -> Any:
    """Cut every long string inside a JSON-like value (tool-call inputs kept in meta)."""
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        return value[:limit] + f"[… {len(value) - limit} chars omitted]"
    if isinstance(value, list):
        return [clip_value(v, limit) for v in value[:50]]
    if isinstance(value, dict):
        return {str(k): clip_value(v, limit) for k, v in list(value.items())[:50]}
    return value


def iso_ts(value: Any) -> str | None:
    """Any timestamp a tool writes (ISO string, epoch seconds or ms) → ``...T..:..:..mmmZ``."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            secs = value / 1000 if value > 1e11 else value
            dt = datetime.fromtimestamp(secs, tz=timezone.utc)
        elif isinstance(value, str):
            v = value.strip()
            if v.endswith(("Z", "z")):
                v = v[:-1] + "+00:00"
            dt = datetime.fromisoformat(v)
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=timezone.utc)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def to_epoch(value: datetime | float | int | str | None) -> float | None:
    """A time-window bound (datetime, epoch seconds or ISO string) as epoch seconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.astimezone()  # naive means local time, like file mtimes
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    iso = iso_ts(value)
    if iso is None:
        raise ValueError(f"not a time: {value!r}")
    return datetime.fromisoformat(iso[:-1] + "+00:00").timestamp()


def in_window(path: Path, since: float | None, until: float | None) -> bool:
    """True when the file's modification time lies in [since, until] (open ends allowed)."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return False
    return (since is None or mtime >= since) and (until is None or mtime <= until)


class JsonlLine:
    """One line of a JSONL file: 1-based number, parsed value (or None) and whether it is whole."""

    __slots__ = ("complete", "error", "number", "value")

    def __init__(self, number: int, value: Any, error: str | None, complete: bool) -> None:
        self.number = number
        self.value = value
        self.error = error
        self.complete = complete


def iter_jsonl(path: Path) -> Iterator[JsonlLine]:
    """Read a JSONL file line by line, never raising on bad content.

    Blank lines are skipped. A last line without a newline is a write in progress when it does
    not parse: it is yielded with ``complete=False`` so callers can tell a truncated tail from a
    corrupt line in the middle.
    """
    data = path.read_bytes()
    lines = data.split(b"\n")
    last = len(lines) - 1
    for i, raw in enumerate(lines):
        if not raw.strip():
            continue
        complete = i < last  # the piece after the final newline has no newline of its own
        value, error = loads_line(raw.decode("utf-8", errors="replace"))
        if error is not None:  # invalid, nested too deeply, a lone surrogate: skip the line
            yield JsonlLine(i + 1, None, error, complete)
            continue
        yield JsonlLine(i + 1, value, None, True)


def first_text(value: Any) -> str:
    """Best-effort text of a content value: a string, or the text parts of a block list."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, str):
                parts.append(item)
            elif isinstance(item, dict) and isinstance(item.get("text"), str):
                parts.append(item["text"])
        return "\n".join(parts)
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return str(value["text"])
    return ""
