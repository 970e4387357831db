"""ctx's generic transcript format: what ``ctx import jsonl FILE`` reads (docs/adapters.md).

Why: any tool or script can hand ctx a conversation without ctx knowing the tool. One JSON
object per line, UTF-8:

- optional first line, the session header::

    {"type": "session", "tool": "mytool", "id": "ext-42", "title": "...",
     "started_at": "2026-01-02T03:04:05Z", "ended_at": null, "cwd": "/src/app",
     "branch": "main", "command": ["mytool", "--x"], "exit_status": 0, "meta": {}}

- then one line per turn (a line without ``"type"`` is a turn too)::

    {"type": "turn", "role": "user", "text": "...", "ts": "...", "id": "t1", "meta": {}}

``role`` is one of user, assistant, tool, system and ``text`` a string (both required); ``ts``,
``id`` (an external id that search results return) and ``meta`` (an object) are optional.
Malformed lines are skipped and reported with their line number; the rest is imported.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Protocol

from ctx.capture.adapters import iso_ts, iter_jsonl
from ctx.core.models import ROLES, TranscriptHeader, TranscriptTurn

DEFAULT_TOOL = "jsonl"


def _header_from(obj: dict[str, Any], line: int, problems: list[str]) -> TranscriptHeader:
    def text_field(key: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            problems.append(f"line {line}: header field '{key}' must be a string; ignored")
            return None
        return str(value)

    def time_field(key: str) -> str | None:
        raw = text_field(key)
        if raw is None:
            return None
        ts = iso_ts(raw)
        if ts is None:
            problems.append(f"line {line}: header field '{key}' is not a time ({raw!r}); ignored")
        return ts

    command = obj.get("command")
    if command is not None and not (
        isinstance(command, list) and all(isinstance(c, str) for c in command)
    ):
        problems.append(f"line {line}: header field 'command' must be a list of strings; ignored")
        command = None
    exit_status = obj.get("exit_status")
    if exit_status is not None and (
        not isinstance(exit_status, int) or isinstance(exit_status, bool)
    ):
        problems.append(f"line {line}: header field 'exit_status' must be an integer; ignored")
        exit_status = None
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        problems.append(f"line {line}: header field 'meta' must be an object; ignored")
        meta = {}
    return TranscriptHeader(
        tool=text_field("tool") or DEFAULT_TOOL,
        external_id=text_field("id"),
        title=text_field("title"),
        started_at=time_field("started_at"),
        ended_at=time_field("ended_at"),
        cwd=text_field("cwd"),
        branch=text_field("branch"),
        command=command,
        exit_status=exit_status,
        meta=dict(meta),
    )


def _turn_from(obj: dict[str, Any], line: int, problems: list[str]) -> TranscriptTurn | None:
    role, text = obj.get("role"), obj.get("text")
    if role not in ROLES:
        problems.append(
            f"line {line}: 'role' must be one of {', '.join(ROLES)} (got {role!r}); line skipped"
        )
        return None
    if not isinstance(text, str):
        problems.append(f"line {line}: 'text' must be a string; line skipped")
        return None
    ts = None
    if obj.get("ts") is not None:
        ts = iso_ts(obj["ts"])
        if ts is None:
            problems.append(f"line {line}: 'ts' is not a time ({obj['ts']!r}); kept without it")
    ident = obj.get("id")
    if ident is not None and not isinstance(ident, (str, int)):
        problems.append(f"line {line}: 'id' must be a string; kept without it")
        ident = None
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        problems.append(f"line {line}: 'meta' must be an object; kept without it")
        meta = {}
    return TranscriptTurn(
        role=str(role),
        text=text,
        ts=ts,
        id=None if ident is None else str(ident),
        meta=dict(meta),
    )


def parse_generic_jsonl(
    path: str | os.PathLike[str],
) -> tuple[TranscriptHeader, list[TranscriptTurn], list[str]]:
    """Read a generic JSONL transcript: (header, turns, problems).

    ``problems`` holds one human-readable message per skipped or repaired line, each starting
    with ``line N:``. A file without a header line gets ``TranscriptHeader(tool="jsonl")``.
    Raises ``OSError`` only when the file cannot be read.
    """
    problems: list[str] = []
    header: TranscriptHeader | None = None
    turns: list[TranscriptTurn] = []
    for line in iter_jsonl(Path(path)):
        n = line.number
        if line.error is not None:
            what = "incomplete last line" if not line.complete else line.error
            problems.append(f"line {n}: {what}; line skipped")
            continue
        obj = line.value
        if not isinstance(obj, dict):
            problems.append(f"line {n}: expected a JSON object; line skipped")
            continue
        kind = obj.get("type", "turn")
        if kind == "session":
            if header is not None or turns:
                problems.append(f"line {n}: a session header must be the first line; line skipped")
                continue
            header = _header_from(obj, n, problems)
        elif kind == "turn":
            turn = _turn_from(obj, n, problems)
            if turn is not None:
                turns.append(turn)
        else:
            problems.append(f"line {n}: unknown type {kind!r}; line skipped")
    return header or TranscriptHeader(tool=DEFAULT_TOOL), turns, problems


class _TurnLike(Protocol):
    role: str
    text: str
    ts: str | None
    id: str | None
    meta: dict[str, Any]


def header_record(header: TranscriptHeader) -> dict[str, Any]:
    """The header line as a dict (None fields left out)."""
    rec: dict[str, Any] = {"type": "session", "tool": header.tool}
    for key, value in (
        ("id", header.external_id),
        ("title", header.title),
        ("started_at", header.started_at),
        ("ended_at", header.ended_at),
        ("cwd", header.cwd),
        ("branch", header.branch),
        ("command", header.command),
        ("exit_status", header.exit_status),
    ):
        if value is not None:
            rec[key] = value
    if header.meta:
        rec["meta"] = header.meta
    return rec


def turn_record(turn: _TurnLike) -> dict[str, Any]:
    """One turn line as a dict (accepts TranscriptTurn or a stored ctx.core.models.Turn)."""
    rec: dict[str, Any] = {"type": "turn", "role": turn.role, "text": turn.text}
    if turn.ts is not None:
        rec["ts"] = turn.ts
    if turn.id is not None:
        rec["id"] = turn.id
    if turn.meta:
        rec["meta"] = turn.meta
    return rec


def write_generic_jsonl(
    fp: IO[str], header: TranscriptHeader | None, turns: Iterable[_TurnLike]
) -> int:
    """Write a header line (unless None) and one line per turn; returns the number of lines.

    The output reads back with :func:`parse_generic_jsonl` to the same header and turns.
    """
    count = 0
    if header is not None:
        fp.write(json.dumps(header_record(header), ensure_ascii=False) + "\n")
        count += 1
    for turn in turns:
        fp.write(json.dumps(turn_record(turn), ensure_ascii=False) + "\n")
        count += 1
    return count


__all__ = [
    "DEFAULT_TOOL",
    "header_record",
    "parse_generic_jsonl",
    "turn_record",
    "write_generic_jsonl",
]
