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

from ctx.core.ids import is_part_name
from ctx.core.jsonline import loads_line
from ctx.core.models import Turn
from ctx.core.shapes import clean_header, text, text_or_none, whole
from ctx.store import confine
from ctx.store.locking import atomic_write
from ctx.store.problems import Problem

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
    """A turn as read; a field of the wrong type (pulled: anything) as if missing."""
    n = whole(rec.get("n"))
    turn_id = rec.get("id")
    plain_id = isinstance(turn_id, (str, int)) and not isinstance(turn_id, bool)
    return Turn(
        n=n if n is not None and 0 <= n < 2**31 else default_n,
        role=text(rec.get("role")) or "assistant",
        text=text(rec.get("text")),
        ts=text_or_none(rec.get("ts")),
        id=str(turn_id) if plain_id else None,
        meta=dict(rec["meta"]) if isinstance(rec.get("meta"), dict) else {},
    )


@dataclass
class Transcript:
    header: dict[str, Any]
    turns: list[Turn] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    parts: int = 0
    newer_format: object = None  # the header's format when this ctx cannot read it


def read_jsonl(
    path: Path, display: str | None = None
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Every complete, valid JSON object line; the rest reported, never fatal."""
    name = display or str(path)
    records: list[dict[str, Any]] = []
    problems: list[Problem] = []
    try:
        data = confine.read_bytes(path)
    except OSError as exc:
        return [], [Problem(name, 0, confine.why(exc))]
    lines = data.split(b"\n")
    for i, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(name, i, "not UTF-8 text (binary data?), skipped"))
            continue
        obj, error = loads_line(raw)
        if error is not None:  # invalid, nested too deeply, a lone surrogate
            # last line without newline that starts like a record: a torn write
            torn = i == len(lines) and raw.lstrip().startswith(b"{")
            why = "not valid JSON" if error.startswith("invalid JSON") else error
            problems.append(
                Problem(name, i, "incomplete last line, skipped" if torn else f"{why}, skipped")
            )
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(name, i, "not a JSON object, skipped"))
            continue
        records.append(obj)
    return records, problems


def part_paths(session_dir: Path) -> list[Path]:
    return _parts(session_dir)[0]


def _parts(session_dir: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The part files (``NNN.jsonl``, not symlinks) and the refused entries, with why. The
    caller has checked that `session_dir` itself is inside the store and not a link."""
    good: list[Path] = []
    bad: list[tuple[Path, str]] = []
    try:
        it = os.scandir(session_dir)
    except (FileNotFoundError, NotADirectoryError):
        return [], []
    with it:
        for e in it:
            if not e.name.endswith(".jsonl"):
                continue
            path = session_dir / e.name
            if not is_part_name(e.name):
                bad.append((path, f"name {confine.shown(e.name)} is not a part name, ignored"))
            elif e.is_symlink():
                bad.append((path, "a symbolic link, not followed"))
            else:
                good.append(path)
    return sorted(good), bad


def read_header(session_dir: Path) -> dict[str, Any] | None:
    first = session_dir / PART_FMT.format(0)
    try:
        with confine.open_read(first) as fh:
            line = fh.readline(1_000_000)
        obj = json.loads(line)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return obj if isinstance(obj, dict) and obj.get("type") == "session" else None


def format_problem(fmt: Any) -> str | None:
    """Why a transcript with this header ``format`` cannot be read (None: it can).
    Older formats are read; a newer one would be misread, so its session is skipped."""
    from ctx.store.layout import FORMAT_VERSION

    if fmt is None:
        return None
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 1:
        return f"transcript format {fmt!r} is not a positive integer; session skipped"
    if fmt > FORMAT_VERSION:
        return (
            f"written by a newer ctx (transcript format {fmt}, this ctx reads up to "
            f"{FORMAT_VERSION}); session skipped: upgrade ctx to read it"
        )
    return None


def read_transcript(session_dir: Path, root: Path | None = None) -> Transcript:
    header: dict[str, Any] = {}
    turns: list[Turn] = []
    problems: list[Problem] = []
    parts, refused = _parts(session_dir)
    for path, reason in refused:
        if root is not None:
            problems.append(confine.refusal(root, path, reason))
        else:
            problems.append(Problem(str(path), 0, reason))
    for path in parts:
        display = str(path.relative_to(root)) if root else str(path)
        records, probs = read_jsonl(path, display)
        problems.extend(probs)
        for rec in records:
            kind = rec.get("type")
            if kind == "session" and not header:
                header = clean_header(rec)
                bad = format_problem(rec.get("format"))
                if bad is not None:  # a newer ctx wrote it: report it, read none of it
                    problems.append(Problem(display, 1, bad))
                    return Transcript(header, [], problems, len(parts), rec.get("format"))
            elif kind == "turn" or kind is None:
                turns.append(turn_from_record(rec, len(turns)))
    turns.sort(key=lambda t: t.n)
    return Transcript(header=header, turns=turns, problems=problems, parts=len(parts))


def write_part(
    session_dir: Path, part: int, head: dict[str, Any], turns: list[Turn], *, private: bool = False
) -> Path:
    path = session_dir / PART_FMT.format(part)
    lines = [dumps(head)] + [dumps(turn_record(t)) for t in turns]
    atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"), private=private)
    return path


# ---- journals of open sessions -----------------------------------------------------------


def journal_append(path: Path, record: dict[str, Any]) -> None:
    """One line, one write() call, so a killed writer leaves at most a torn last line.
    Journals are machine-local: 0600 in a 0700 folder, never written through a symlink."""
    confine.private_dirs(path.parent)
    data = (dumps(record) + "\n").encode("utf-8")
    fd = confine.open_append(path, private=True)
    try:
        size = os.fstat(fd).st_size
        if size:
            with open(fd, "rb", closefd=False) as fh:
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
