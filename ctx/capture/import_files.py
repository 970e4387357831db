"""Import transcripts from files and tools into a project (used by `ctx import` and hooks)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.errors import CtxError
from ctx.core.models import ImportSummary
from ctx.store.transfer import import_export

if TYPE_CHECKING:
    from ctx.store.project import Project


def _n(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _stdin_to_file() -> Path:
    fd, name = tempfile.mkstemp(suffix=".jsonl")
    with os.fdopen(fd, "wb") as fh:
        fh.write(sys.stdin.buffer.read())
    return Path(name)


def _first_line(path: Path) -> str:
    with open(path, "rb") as fh:
        return fh.readline(1_000_000).decode("utf-8", errors="replace")


def _check_text(path: Path, label: str) -> None:
    """Refuse binary input (NUL bytes, invalid UTF-8): it would be stored as nonsense text."""
    data = path.read_bytes()
    bad = b"\x00" in data
    if not bad:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            bad = True
    if bad:
        raise CtxError(
            f"{label} is not UTF-8 text",
            "give a JSONL transcript (docs/adapters.md)",
            code="not_text",
        )


_TEXT = (str, type(None))
_EXPORT_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "memory": {
        "id": (str,),
        "content": (str,),
        "type": _TEXT,
        "tags": (list, type(None)),
        "private": (bool, type(None)),
        "created_at": _TEXT,
        "author": _TEXT,
    },
    "session": {
        "id": (str,),
        **{k: _TEXT for k in ("tool", "title", "started_at", "ended_at", "cwd", "branch")},
        "external_id": (str, int, type(None)),
        "command": (list, type(None)),
        "exit_status": (int, type(None)),
        "meta": (dict, type(None)),
        "private": (bool, type(None)),
    },
    "turn": {
        "session_id": (str,),
        "role": (str,),
        "text": (str,),
        "ts": _TEXT,
        "id": (str, int, type(None)),
        "meta": (dict, type(None)),
    },
}


def export_record_problem(rec: dict[str, Any]) -> str | None:
    """Why a record of a `ctx export` file cannot be imported (a field of the wrong type),
    or None. Checked before anything is stored, so a bad record is skipped, not a crash."""
    fields = _EXPORT_FIELDS.get(str(rec.get("kind")))
    if fields is None:
        return None  # the header line, or a kind a newer ctx added: left to import_export
    for key, types in fields.items():
        value = rec.get(key)
        if isinstance(value, bool) and bool not in types:
            return f"'{key}' must not be true/false"
        if not isinstance(value, types):
            return f"'{key}' has the wrong type ({type(value).__name__})"
    for key in ("tags", "command"):
        items = rec.get(key)
        if isinstance(items, list) and not all(isinstance(x, str) for x in items):
            return f"'{key}' must be a list of strings"
    from ctx.core.ids import is_memory_id, is_session_id
    from ctx.core.models import MEMORY_TYPES, ROLES

    if rec["kind"] == "memory" and not is_memory_id(rec["id"]):
        return f"'id' is not a memory id ({rec['id'][:40]!r})"
    for key in ("id", "session_id") if rec["kind"] != "memory" else ():
        if key in fields and fields[key] == (str,) and not is_session_id(rec[key]):
            return f"'{key}' is not a session id ({rec[key][:40]!r})"

    if rec["kind"] == "memory" and not rec["content"].strip():
        return "'content' is empty"
    if rec["kind"] == "memory" and rec.get("type") not in (None, *MEMORY_TYPES):
        return f"'type' must be one of {', '.join(MEMORY_TYPES)}"
    if rec["kind"] == "turn" and rec["role"] not in ROLES:
        return f"'role' must be one of {', '.join(ROLES)}"
    return None


def import_jsonl(
    project: Project,
    path: Path,
    private: bool,
    summary: ImportSummary,
    label: str | None = None,
) -> None:
    """Import one JSONL file; `label` is what the user called it (their path, or stdin)."""
    from ctx.capture.adapters.generic_jsonl import parse_generic_jsonl

    label = label or str(path)
    if not path.is_file():
        raise CtxError(f"no such file: {label}", "give the path of a JSONL transcript")
    _check_text(path, label)
    try:
        first = json.loads(_first_line(path) or "null")
    except ValueError:
        first = None
    if isinstance(first, dict) and first.get("kind") == "ctx-export":
        from ctx.store.transcripts import read_jsonl

        records, read_problems = read_jsonl(path)
        summary.skipped_lines.extend(str(p).replace(str(path), label) for p in read_problems)
        good = []
        for i, rec in enumerate(records, 1):
            why = export_record_problem(rec)
            if why is None:
                good.append(rec)
            else:
                summary.skipped_lines.append(f"{label}: record {i} ({rec.get('kind')}): {why}")
        summary.export_counts = import_export(project, good)
        return
    header, turns, problems = parse_generic_jsonl(path)
    for msg in problems:  # "line N: reason; line skipped" or "...; kept without it"
        where = f"{label}:{msg[5:]}" if msg.startswith("line ") else f"{label}: {msg}"
        if msg.endswith("; line skipped"):
            summary.skipped_lines.append(where.removesuffix("; line skipped"))
        else:
            summary.problems.append(where)
    if not turns and problems:
        raise CtxError(
            f"{label} holds no readable turns", "see docs/adapters.md for the JSONL format"
        )
    key = hashlib.sha256(path.read_bytes()).hexdigest()
    res = project.import_transcript(header, turns, source_key=key, private=private)
    summary.results.append((label, res))


def run_import(
    project: Project,
    source: str,
    path: Path | None,
    *,
    all_: bool = False,
    session: str | None = None,
    private: bool = False,
) -> ImportSummary:
    summary = ImportSummary(source)
    if source == "jsonl":
        if path is None:
            raise CtxError(
                "ctx import jsonl needs a FILE", "e.g. ctx import jsonl transcript.jsonl"
            )
        real = _stdin_to_file() if str(path) == "-" else path
        try:
            import_jsonl(project, real, private, summary, "stdin" if real is not path else None)
        finally:
            if real is not path:
                real.unlink(missing_ok=True)
        return summary
    from ctx.capture.import_agents import import_tool

    import_tool(project, source, path, all_=all_, session=session, private=private, summary=summary)
    return summary
