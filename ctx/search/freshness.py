"""Keep the derived index in step with the store, touching only what changed.

A cheap signature of the store (state log sizes and times, the list of session directories)
is kept in the index; when it matches, nothing is read at all. Otherwise memories are compared
by fingerprint, and a session's transcript is read only when its turn count, title or tags
changed since it was indexed. Deleted memories and forgotten sessions leave the index.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ctx.core.timeutil import to_unix
from ctx.search.types import EMBED_MAX_CHARS, OVERSIZED_KEY, IndexDoc

if TYPE_CHECKING:
    from ctx.search.index import SearchIndex
    from ctx.store.project import Project

SIG_KEY = "store_signature"
SESSION_KEY = "session:"


@dataclass
class IndexUpdate:
    indexed: int = 0  # documents (re)indexed
    removed: int = 0
    sessions_read: int = 0
    unchanged: bool = False  # the store signature matched: nothing was read
    busy: bool = False  # another process was refreshing; this one did not wait for it
    rebuilt: str | None = None  # the index was found damaged and rebuilt: why

    def to_dict(self) -> dict[str, Any]:
        return {
            "indexed": self.indexed,
            "removed": self.removed,
            "sessions_read": self.sessions_read,
            "unchanged": self.unchanged,
            "busy": self.busy,
            "rebuilt": self.rebuilt,
        }


def store_signature(project: Project) -> str:
    """Changes whenever anything the index is built from may have changed."""
    lay = project.layout
    parts: list[str] = []
    for d in (lay.state_dir, lay.private_log.parent):
        try:
            for e in sorted(os.scandir(d), key=lambda e: e.name):
                if e.name.endswith(".log"):
                    st = e.stat(follow_symlinks=False)
                    parts.append(f"{e.name}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}")
        except FileNotFoundError:
            pass
    for d in (lay.sessions_dir, lay.private_sessions_dir):
        try:
            parts.append(",".join(sorted(os.listdir(d))))
        except FileNotFoundError:
            parts.append("-")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def _fp(*values: Any) -> str:
    return hashlib.sha1(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]


def memory_docs(project: Project) -> list[IndexDoc]:
    out = []
    for m in project.list_memories():
        out.append(
            IndexDoc(
                doc_id=f"m:{m.id}",
                kind="memory",
                text=m.content,
                ts=to_unix(m.updated_at or m.created_at),
                fingerprint=_fp(m.content, m.type, m.tags, m.updated_at, m.branch, m.author),
                memory_type=m.type,
                tags=list(m.tags),
                session_id=m.source_session,
                turn_n=m.source_turn,
                branch=m.branch,
                author=m.author,
            )
        )
    return out


def _current(index: SearchIndex, sig: str) -> bool:
    import apsw

    from ctx.search.buildlock import is_damage

    try:
        return index.get_meta(SIG_KEY) == sig and index.get_meta("pending_vectors") != "1"
    except apsw.Error as exc:
        if is_damage(exc):
            return False  # refreshed (and so repaired) under the lock
        raise


def _verified(index: SearchIndex) -> bool:
    """`pragma quick_check`: garbled pages that no query has met yet (for `ctx index`)."""
    import apsw

    from ctx.search.buildlock import is_damage

    try:
        rows = list(index.conn.execute("pragma quick_check"))
    except apsw.Error as exc:
        if is_damage(exc):
            return False
        raise
    return [tuple(r) for r in rows] == [("ok",)]


def is_current(project: Project, index: SearchIndex) -> bool:
    """Nothing changed since the last update and no document waits for its vectors."""
    project.refresh()
    return _current(index, store_signature(project))


def ensure_fresh(
    project: Project,
    index: SearchIndex,
    progress: Callable[[int, int], None] | None = None,
    *,
    force: bool = False,
    wait: float | None = None,
    verify: bool = False,
) -> IndexUpdate:
    """Bring ``index`` up to date; one builder at a time (see ctx.search.buildlock).

    ``wait`` bounds how long to wait for another builder (None: as long as it takes); past
    it the index is left as it is and ``busy`` says so. A damaged index met on the way is
    rebuilt once, and ``rebuilt`` says why. ``verify`` also checks the file's pages.
    """
    import apsw

    from ctx.search.buildlock import build_lock, is_damage
    from ctx.search.index import IndexReset

    project.refresh()
    if not force and not verify and _current(index, store_signature(project)):
        return IndexUpdate(unchanged=True)
    with build_lock(index.db_path, wait=wait) as held:
        if not held:
            return IndexUpdate(unchanged=True, busy=True)
        if index.replaced():  # another process rebuilt it: read the new file
            index.reopen()
        rebuilt: str | None = None
        if verify and not _verified(index):
            index._reset("search index was damaged and has been rebuilt (quick_check failed)")
            force = True
        if index.rebuilt_reason:
            rebuilt = index.rebuilt_reason
        for attempt in (0, 1):
            try:
                upd = _refresh(project, index, progress, force=force)
                upd.rebuilt = rebuilt
                return upd
            except (apsw.Error, IndexReset) as exc:
                if attempt or not (isinstance(exc, IndexReset) or is_damage(exc)):
                    raise
                if not isinstance(exc, IndexReset):
                    index._reset(f"search index was damaged and has been rebuilt ({exc})")
                rebuilt = index.rebuilt_reason
                force = True
    raise AssertionError("unreachable")  # pragma: no cover


def _refresh(
    project: Project,
    index: SearchIndex,
    progress: Callable[[int, int], None] | None,
    *,
    force: bool,
) -> IndexUpdate:
    """The refresh itself; the caller holds the builder lock."""
    project.refresh()
    sig = store_signature(project)  # taken before reading: a change meanwhile shows next time
    if not force and _current(index, sig):
        return IndexUpdate(unchanged=True)
    if force:
        project.refresh()
    sig = store_signature(project)
    upd = IndexUpdate()

    # memories
    mdocs = memory_docs(project)
    have_m = index.fingerprints("m:")
    gone = [d for d in have_m if d not in {x.doc_id for x in mdocs}]
    upd.removed += index.delete(gone)

    # sessions: read a transcript only when its summary changed
    sessions = project.list_sessions(include_open=False)
    live = {s.id for s in sessions}
    have_t = index.fingerprints("t:")
    indexed_sessions = {d.split(":", 2)[1] for d in have_t}
    stale = [d for d in have_t if d.split(":", 2)[1] not in live]
    upd.removed += index.delete(stale)
    for sid in indexed_sessions - live:
        index.set_meta(SESSION_KEY + sid, "")
    tdocs: list[IndexDoc] = []
    marks: list[tuple[str, str]] = []
    for s in sessions:
        mark = _fp(s.turn_count, s.title, s.tags, s.tool, s.branch, s.author)
        if not force and index.get_meta(SESSION_KEY + s.id) == mark:
            continue
        turns = project.iter_session_turns(s.id, s.private)
        upd.sessions_read += 1
        start = to_unix(s.started_at)
        keep = {f"t:{s.id}:{t.n}" for t in turns}
        extra = [d for d in have_t if d.startswith(f"t:{s.id}:") and d not in keep]
        upd.removed += index.delete(extra)
        for t in turns:
            tdocs.append(
                IndexDoc(
                    doc_id=f"t:{s.id}:{t.n}",
                    kind="turn",
                    text=t.text,
                    ts=to_unix(t.ts) or start,
                    fingerprint=_fp(t.text, t.role, s.title, s.tags, s.tool, s.branch, t.id),
                    tags=list(s.tags),
                    session_id=s.id,
                    turn_n=t.n,
                    turn_ext_id=t.id,
                    role=t.role,
                    tool=s.tool,
                    branch=s.branch,
                    author=s.author,
                    title=s.title,
                )
            )
        marks.append((s.id, mark))
    upd.indexed = index.upsert([*mdocs, *tdocs], progress=progress)
    for sid, mark in marks:
        index.set_meta(SESSION_KEY + sid, mark)
    # without a model, documents wait for vectors: look again next time
    index.set_meta("pending_vectors", "1" if index.embedder is None else "0")
    index.set_meta(SIG_KEY, sig)
    return upd


def index_status(project: Project) -> dict[str, Any]:
    """For `ctx status`: cheap (no model, no reading of transcripts)."""
    from ctx.search.place import index_path

    path = index_path(project.layout)
    if not path.exists():
        return {"state": "not built", "detail": "built on the first search, or run `ctx index`"}
    try:
        import apsw

        con = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
        row = con.execute("select value from meta where key = ?", (SIG_KEY,)).fetchone()
        docs = con.execute("select count(*) from docs").fetchone()
        big = con.execute("select value from meta where key = ?", (OVERSIZED_KEY,)).fetchone()
        con.close()
    except Exception as exc:
        return {"state": "unreadable", "detail": f"{exc}; it is rebuilt on the next search"}
    current = row is not None and row[0] == store_signature(project)
    n = int(docs[0]) if docs else 0
    try:
        oversized = json.loads(big[0]) if big else {}
    except ValueError:
        oversized = {}
    detail = f"{n} documents" + ("" if current else "; updated on the next search")
    if oversized:
        detail += (
            f"; {len(oversized)} over {EMBED_MAX_CHARS // 1000} KB (largest"
            f" {max(oversized.values()):,} characters): only their first"
            f" {EMBED_MAX_CHARS // 1000} KB is searched by meaning, all of it by keyword"
        )
    return {
        "state": "current" if current else "behind",
        "documents": n,
        "oversized": sorted(oversized),
        "detail": detail,
    }
