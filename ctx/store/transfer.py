"""Re-import of `ctx export` output: every field kept as exported, so a backup is faithful.

An export file is input from outside (a teammate's file, a backup years old): ids are checked
against the format's grammar, types and tags are validated, text is redacted again (a no-op for
text that was redacted when first written). Nothing is taken from the importing clone except
what docs/format.md lists as local (which replica wrote it, the part files a session is split
into).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ctx.core.ids import is_memory_id, is_session_id
from ctx.core.models import TranscriptTurn
from ctx.store.layout import FORMAT_VERSION
from ctx.store.memories import _content, check_type, clean_tags
from ctx.store.redaction import redact_data, redact_text
from ctx.store.state import StateDoc

if TYPE_CHECKING:
    from ctx.store.project import Project

_MEMORY_KEYS = (
    "author",
    "branch",
    "commit",
    "created_at",
    "updated_at",
    "source_session",
    "source_turn",
)


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _forgotten(project: Project, rid: str) -> bool:
    return any(doc.is_forgotten(rid) for doc, _ in project.docs())


def import_memory(project: Project, rec: dict[str, Any]) -> bool:
    """Add one exported memory with all of its fields; False if present, forgotten or invalid."""
    mid = rec.get("id")
    if not is_memory_id(mid) or project.has_memory(str(mid)) or _forgotten(project, str(mid)):
        return False
    mid = str(mid)
    fields: dict[str, Any] = {k: _str_or_none(rec.get(k)) for k in _MEMORY_KEYS}
    turn = rec.get("source_turn")
    fields["source_turn"] = turn if isinstance(turn, int) and not isinstance(turn, bool) else None
    if fields["source_session"] is not None and not is_session_id(fields["source_session"]):
        fields["source_session"] = None
    fields["type"] = check_type(str(rec.get("type") or "fact"))
    fields["content"] = _content(str(rec.get("content") or ""))
    fields["author"] = redact_text(fields["author"] or "")
    tags = clean_tags([t for t in rec.get("tags") or [] if isinstance(t, str)])
    # links to code and to other memories, checked like pulled content
    from pycrdt import Map

    from ctx.store.cites import clean_stored

    cites = clean_stored(rec.get("cites"))
    sup = rec.get("supersedes")
    fields["supersedes"] = sup if is_memory_id(sup) else None
    by = [m for m in rec.get("superseded_by") or [] if is_memory_id(m)]

    def put(doc: StateDoc) -> None:
        doc.put_record(doc.memories, mid, fields, tags)
        doc.memories[mid]["cites"] = Map({c: True for c in cites})
        for other in by:
            doc.memories[mid][f"superseded_by/{other}"] = True

    project.mutate(bool(rec.get("private")), put)
    return True


def import_session(project: Project, rec: dict[str, Any], turns: list[TranscriptTurn]) -> int:
    """Write one exported session as part 000 with its exported header; -1 if skipped."""
    from ctx.store.sessions import _clean_turn

    sid = rec.get("id")
    if not is_session_id(sid) or _forgotten(project, str(sid)):
        return -1
    sid = str(sid)
    if project._existing_location(sid) is not None:
        return -1
    clean = [_clean_turn(t, i, project.root) for i, t in enumerate(turns)]
    cwd = _str_or_none(rec.get("cwd"))
    cmd = rec.get("command")
    es = rec.get("exit_status")
    meta = rec.get("meta")
    head: dict[str, Any] = {
        "type": "session",
        "format": FORMAT_VERSION,
        "id": sid,
        "tool": str(rec.get("tool") or "unknown"),
        "title": redact_text(str(rec.get("title") or "")),
        "status": str(rec.get("status") or "complete"),
        "started_at": _str_or_none(rec.get("started_at")) or "",
        "ended_at": _str_or_none(rec.get("ended_at")),
        "cwd": cwd if cwd is not None and not os.path.isabs(cwd) else None,
        "branch": _str_or_none(rec.get("branch")),
        "commit": _str_or_none(rec.get("commit")),
        "commit_end": _str_or_none(rec.get("commit_end")),
        "author": redact_text(_str_or_none(rec.get("author")) or ""),
        "command": redact_data([str(c) for c in cmd]) if isinstance(cmd, list) else None,
        "exit_status": es if isinstance(es, int) and not isinstance(es, bool) else None,
        "external_id": _str_or_none(rec.get("external_id")),
        "turn_count": len(clean),
        "parts": 1,
        "meta": redact_data(meta) if isinstance(meta, dict) and meta else None,
    }
    tags = clean_tags([t for t in rec.get("tags") or [] if isinstance(t, str)])
    project._write_session(sid, head, clean, bool(rec.get("private")), part=0, tags=tags)
    return len(clean)


def import_export(project: Project, records: list[dict[str, Any]]) -> dict[str, int]:
    """Sessions first, so a memory's source link points at a session that exists."""
    counts = {"memories_added": 0, "memories_skipped": 0, "sessions_added": 0, "turns_added": 0}
    sessions: dict[str, tuple[dict[str, Any], list[TranscriptTurn]]] = {}
    memories: list[dict[str, Any]] = []
    for rec in records:
        kind = rec.get("kind")
        if kind == "memory":
            memories.append(rec)
        elif kind == "session" and is_session_id(rec.get("id")):
            sessions[str(rec["id"])] = (rec, [])
        elif kind == "turn" and str(rec.get("session_id")) in sessions:
            meta = rec.get("meta")
            tid = rec.get("id")
            sessions[str(rec["session_id"])][1].append(
                TranscriptTurn(
                    role=str(rec.get("role") or "assistant"),
                    text=str(rec.get("text") or ""),
                    ts=_str_or_none(rec.get("ts")),
                    id=str(tid) if tid is not None else None,
                    meta=meta if isinstance(meta, dict) else {},
                )
            )
    for rec, turns in sessions.values():
        n = import_session(project, rec, turns)
        if n >= 0:
            counts["sessions_added"] += 1
            counts["turns_added"] += n
    for rec in memories:
        key = "memories_added" if import_memory(project, rec) else "memories_skipped"
        counts[key] += 1
    return counts
