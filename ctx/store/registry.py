"""Projects known on this machine (for `ctx search --all`), in the user data directory."""

from __future__ import annotations

import json
from pathlib import Path

from ctx.core import paths
from ctx.core.timeutil import now_iso
from ctx.store.locking import atomic_write, file_lock


def _read(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    projects = data.get("projects") if isinstance(data, dict) else None
    return projects if isinstance(projects, dict) else {}


def known_projects() -> list[Path]:
    return [Path(p) for p in sorted(_read(paths.registry_file()))]


def register(root: Path) -> None:
    path = paths.registry_file()
    key = str(root)
    if key in _read(path):
        return
    with file_lock(path.with_suffix(".lock")):
        projects = _read(path)
        projects[key] = {"registered_at": now_iso()}
        atomic_write(path, json.dumps({"projects": projects}, indent=1).encode(), private=True)


def unregister(root: Path) -> None:
    path = paths.registry_file()
    with file_lock(path.with_suffix(".lock")):
        projects = _read(path)
        if projects.pop(str(root), None) is not None:
            atomic_write(path, json.dumps({"projects": projects}, indent=1).encode(), private=True)
