"""The small machine-local records of sharing (`local/sync/`), readable without loading the
rest of ctx.sync, so `ctx status` stays fast."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ctx.store.project import Project


def last_sync_path(project: Project) -> Path:
    return project.layout.local / "sync" / "last.json"


def read_last_sync(project: Project) -> dict[str, Any] | None:
    try:
        data = json.loads(last_sync_path(project).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def lost_edits_path(project: Project) -> Path:
    return project.layout.local / "sync" / "lost-edits.jsonl"


def read_lost_edits(project: Project) -> list[dict[str, Any]]:
    try:
        lines = lost_edits_path(project).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out
