"""Files of forgotten sessions that arrived anyway (a part imported by a clone that had not
yet seen the forget): removed from the working tree, so a forget reaches every clone.

The ids come from pulled state logs, so each one is checked against the id grammar and the
folder it names must be a real folder inside `sessions/` (ctx/store/confine.py); anything
else is reported with the log line and the commit that carried it, and nothing is removed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ctx.core.ids import is_record_id, is_session_id
from ctx.store import confine, crdt_log
from ctx.store.problems import Problem

if TYPE_CHECKING:
    from ctx.store.project import Project


def purge_forgotten(project: Project) -> list[str]:
    """Remove `sessions/<id>/` of every forgotten session; return the paths removed."""
    project.refresh()
    removed: list[str] = []
    base = project.layout.sessions_dir
    store = project.layout.store
    bad: list[str] = []
    for doc, _private in project.docs():
        for sid in list(doc.forgotten.keys()):
            if not is_record_id(sid):
                bad.append(sid)
                continue
            if not is_session_id(sid):
                continue
            path = confine.child(store, base, sid, is_session_id)
            if path is None:  # a symlink in the way: reported by the listing, left alone
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(str(path.relative_to(project.root)))
    for problem in bad_forgotten(project, bad):
        if problem not in project.problems:
            project.problems.append(problem)
    return sorted(set(removed))


def invalid_forgotten(project: Project) -> list[Problem]:
    """Keys of the `forgotten` map that are not memory or session ids (for status, doctor)."""
    bad = [k for doc, _ in project.docs() for k in list(doc.forgotten.keys())]
    return bad_forgotten(project, [k for k in bad if not is_record_id(k)])


def bad_forgotten(project: Project, keys: list[str]) -> list[Problem]:
    """One problem per bad key, naming the log line that carried it and its commit. Runs only
    when there is a bad key: it re-reads the logs to find the line."""
    if not keys:
        return []
    out: list[Problem] = []
    found = _lines_carrying(project, keys)
    for key in dict.fromkeys(keys):
        reason = f"forgotten id {confine.shown(key)} is not a memory or session id; ignored"
        path, line = found.get(key, (None, 0))
        if path is None:
            out.append(Problem(".contextfs/state", 0, reason))
        else:
            out.append(confine.refusal(project.root, path, reason, line))
    return out


def _lines_carrying(project: Project, keys: list[str]) -> dict[str, tuple[Path, int]]:
    """For each key, the first log line whose update holds it (Yjs stores map keys as UTF-8)."""
    want = {k: k.encode("utf-8", "surrogatepass") for k in keys}
    found: dict[str, tuple[Path, int]] = {}
    for path, _private in project._log_files():
        try:
            data = confine.read_bytes(path)
        except OSError:
            continue
        chunk = crdt_log.parse(data, 0, str(path))
        for lineno, upd in zip(chunk.linenos, chunk.updates, strict=True):
            for key, raw in want.items():
                if key not in found and raw in upd:
                    found[key] = (path, lineno)
        if len(found) == len(want):
            break
    return found
