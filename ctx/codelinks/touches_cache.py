"""Which files each session touched, cached machine-locally: transcripts are written once, so a
session's entry stays valid until its number of parts changes (a resumed conversation)."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from ctx.codelinks.files import touches

if TYPE_CHECKING:
    from ctx.models import Session
    from ctx.store.project import Project

CACHE_VERSION = 1


def session_files(project: Project, sessions: list[Session]) -> dict[str, list[list]]:
    """session id -> [[path, action, turn], …] for every listed session."""
    path = project.layout.local / "cache" / "touches.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("v") != CACHE_VERSION:
            data = {}
    except (OSError, ValueError):
        data = {}
    entries: dict[str, dict] = data.get("sessions", {}) if isinstance(data, dict) else {}
    changed = False
    out: dict[str, list[list]] = {}
    for s in sessions:
        parts = int(s.meta.get("parts") or 0) if isinstance(s.meta, dict) else 0
        key = f"{s.turn_count}:{parts}"
        hit = entries.get(s.id)
        if hit and hit.get("key") == key:
            out[s.id] = hit["files"]
            continue
        try:
            turns = project.iter_session_turns(s.id, s.private)
        except Exception:  # an unreadable transcript is reported elsewhere; no files
            turns = []
        files = [[t.path, t.action, t.turn] for t in touches(turns)]
        entries[s.id] = {"key": key, "files": files}
        out[s.id] = files
        changed = True
    if changed:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"v": CACHE_VERSION, "sessions": entries}), encoding="utf-8")
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time
    return out
