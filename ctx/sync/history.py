"""The CRDT state as it was at a commit, and what changed between two versions of the logs.

Reads blobs straight from git (pygit2) without touching the working tree, so `ctx sync`, the
hooks and `ctx status` can compare the state before and after a merge.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.store import confine, crdt_log
from ctx.store.state import StateDoc

if TYPE_CHECKING:
    from ctx.store.project import Project

Logs = dict[str, bytes]  # log file name (under state/) -> its bytes


def repo_of(project: Project) -> Any:
    import pygit2

    return pygit2.Repository(str(project.root))


def logs_at(project: Project, rev: str | None, repo: Any = None) -> Logs:
    """Every `state/*.log` in the commit `rev` (empty for None or a commit without a store)."""
    if rev is None:
        return {}
    import pygit2

    repo = repo or repo_of(project)
    try:
        commit = repo.revparse_single(rev).peel(pygit2.Commit)
        tree = commit.tree[f"{_store_rel(project)}/state"]
    except (KeyError, ValueError):
        return {}
    out: Logs = {}
    for entry in tree:
        if entry.name.endswith(".log") and entry.type_str == "blob":
            out[entry.name] = repo[entry.id].data
    return out


def logs_in_worktree(project: Project) -> Logs:
    """The shared logs in the working tree: valid names only, never through a symlink."""
    out: Logs = {}
    for path, private in project._log_files():
        if private:
            continue
        try:
            out[path.name] = confine.read_bytes(path)
        except OSError:
            continue
    return out


def _store_rel(project: Project) -> str:
    return str(project.layout.store.relative_to(project.root))


def updates(logs: Logs, label: str = "") -> list[bytes]:
    """All decodable updates of the given logs (bad lines are skipped here: a load reports them)."""
    out: list[bytes] = []
    for name, data in sorted(logs.items()):
        out.extend(crdt_log.parse(data, 0, f"{label}{name}").updates)
    return out


def new_updates(old: Logs, new: Logs) -> list[bytes]:
    """The updates of `new` that `old` does not already hold: appended lines when a log grew,
    every line when it was rewritten (compaction; applying a known update again is a no-op)."""
    out: list[bytes] = []
    for name, data in sorted(new.items()):
        before = old.get(name, b"")
        if before and data.startswith(before):
            if len(data) > len(before):
                out.extend(crdt_log.parse(data, len(before), name).updates)
        elif data != before:
            out.extend(crdt_log.parse(data, 0, name).updates)
    return out


def doc_of(logs: Logs) -> StateDoc:
    doc = StateDoc()
    for upd in updates(logs):
        doc.apply(upd)
    return doc


def copy_doc(doc: StateDoc) -> StateDoc:
    twin = StateDoc()
    twin.apply(doc.full_update())
    return twin


def with_worktree_own(project: Project, logs: Logs) -> Logs:
    """`logs` with this clone's own log as it is in the working tree, when that extends the
    committed version (uncommitted changes of ours are part of "our side")."""
    own: Path = project.own_log
    try:
        data = confine.read_bytes(own)
    except OSError:
        return logs
    merged = dict(logs)
    if data.startswith(logs.get(own.name, b"")):
        merged[own.name] = data
    return merged
