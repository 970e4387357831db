"""Session transcript files.

Committed: ``sessions/<id>/000.jsonl`` holds a header line and the turns; a later import of
more turns of the same session (a resumed Claude Code session) writes ``001.jsonl`` and so on,
so every file is written once, completely (tmp + rename), by the clone that captured it.

Machine-local: ``local/active/<id>.jsonl`` is the journal of a session still being captured;
turns are appended to it as they arrive, and `complete` turns it into part 000.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctx.models import Turn
from ctx.store.crdt_log import Problem
from ctx.store.locking import atomic_write

PART_FMT = "{:03d}.jsonl"


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def turn_record(turn: Turn) -> dict[str, Any]:
    rec: dict[str, Any] = {"type": "turn", "n": turn.n, "role": turn.role, "text": turn.text}
    if turn.ts:
        rec["ts"] = turn.ts
    if turn.id:
        rec["id"] = turn.id
    if turn.meta:
        rec["meta"] = turn.meta
    return rec


def turn_from_record(rec: dict[str, Any], default_n: int) -> Turn:
    n = rec.get("n")
    return Turn(
        n=n if isinstance(n, int) else default_n,
        role=str(rec.get("role") or "assistant"),
        text=str(rec.get("text") or ""),
        ts=rec.get("ts"),
        id=str(rec["id"]) if rec.get("id") is not None else None,
        meta=dict(rec["meta"]) if isinstance(rec.get("meta"), dict) else {},
    )


@dataclass
class Transcript:
    header: dict[str, Any]
    turns: list[Turn] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    parts: int = 0


def read_jsonl(
    path: Path, display: str | None = None
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Every complete, valid JSON object line; the rest reported, never fatal."""
    name = display or str(path)
    records: list[dict[str, Any]] = []
    problems: list[Problem] = []
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [Problem(name, 0, f"unreadable: {exc.strerror}")]
    lines = data.split(b"\n")
    for i, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(name, i, "not UTF-8 text (binary data?), skipped"))
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            # last line without newline that starts like a record: a torn write
            torn = i == len(lines) and line.lstrip().startswith("{")
            problems.append(
                Problem(
                    name, i, "incomplete last line, skipped" if torn else "not valid JSON, skipped"
                )
            )
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(name, i, "not a JSON object, skipped"))
            continue
        records.append(obj)
    return records, problems


def part_paths(session_dir: Path) -> list[Path]:
    try:
        names = sorted(
            n for n in os.listdir(session_dir) if n.endswith(".jsonl") and n[:3].isdigit()
        )
    except FileNotFoundError:
        return []
    return [session_dir / n for n in names]


def read_header(session_dir: Path) -> dict[str, Any] | None:
    first = session_dir / PART_FMT.format(0)
    try:
        with open(first, "rb") as fh:
            line = fh.readline()
        obj = json.loads(line)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return obj if isinstance(obj, dict) and obj.get("type") == "session" else None


def read_transcript(session_dir: Path, root: Path | None = None) -> Transcript:
    header: dict[str, Any] = {}
    turns: list[Turn] = []
    problems: list[Problem] = []
    parts = part_paths(session_dir)
    for path in parts:
        display = str(path.relative_to(root)) if root else str(path)
        records, probs = read_jsonl(path, display)
        problems.extend(probs)
        for rec in records:
            kind = rec.get("type")
            if kind == "session" and not header:
                header = rec
            elif kind == "turn" or kind is None:
                turns.append(turn_from_record(rec, len(turns)))
    turns.sort(key=lambda t: t.n)
    return Transcript(header=header, turns=turns, problems=problems, parts=len(parts))


def write_part(session_dir: Path, part: int, head: dict[str, Any], turns: list[Turn]) -> Path:
    path = session_dir / PART_FMT.format(part)
    lines = [dumps(head)] + [dumps(turn_record(t)) for t in turns]
    atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"))
    return path


# ---- journals of open sessions -----------------------------------------------------------


def journal_append(path: Path, record: dict[str, Any]) -> None:
    """One line, one write() call, so a killed writer leaves at most a torn last line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (dumps(record) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size:
            with open(path, "rb") as fh:
                fh.seek(size - 1)
                if fh.read(1) != b"\n":
                    data = b"\n" + data
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
    finally:
        os.close(fd)


def read_journal(path: Path, root: Path | None = None) -> Transcript:
    display = str(path.relative_to(root)) if root else str(path)
    records, problems = read_jsonl(path, display)
    header: dict[str, Any] = {}
    turns: list[Turn] = []
    for rec in records:
        kind = rec.get("type")
        if kind == "session" and not header:
            header = rec
        elif kind == "header-update":
            header.update({k: v for k, v in rec.items() if k != "type"})
        elif kind == "turn":
            turns.append(turn_from_record(rec, len(turns)))
    return Transcript(header=header, turns=turns, problems=problems, parts=0)
