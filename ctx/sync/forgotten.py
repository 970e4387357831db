"""Files of forgotten sessions that arrived anyway (a part imported by a clone that had not
yet seen the forget): removed from the working tree, so a forget reaches every clone."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctx.store.project import Project


def purge_forgotten(project: Project) -> list[str]:
    """Remove `sessions/<id>/` of every forgotten session; return the paths removed."""
    project.refresh()
    removed: list[str] = []
    base = project.layout.sessions_dir
    for doc, _private in project.docs():
        for sid in list(doc.forgotten.keys()):
            path = base / sid
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(str(path.relative_to(project.root)))
    return sorted(set(removed))
