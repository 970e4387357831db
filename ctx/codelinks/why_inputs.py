"""What `ctx why` reads of the store, kept machine-locally so a new question is answered
without loading the store (pycrdt, the state logs, the pending journal).

An answer needs, of the store: the completed sessions (id, title, tool, author, times, the
commits they started and ended on, capture ids), the files each session's tool calls touched,
and the memories (id, type, content, author, time, source session); then the turns of at most
ten linked sessions, read from their transcripts. All but the turns are kept in one file,
`.contextfs/local/cache/why-inputs.json` (line 1: the key; line 2: the inputs as JSON), under a
digest of every store file they come from (ctx.codelinks.answer_key.store_digest: names,
inodes, sizes, mtimes), the branch (changes
waiting in the journal belong to one) and ctx's code. Any change to the store (a memory, a
session, a pull) changes the digest: the next `ctx why` loads the store and writes it again.

The file lives in the store's folder, so it is read like pulled content: never through a
symlink, every field checked (ids against their grammar, types), anything odd is a miss. The
turns are read from `sessions/<id>/` or `local/private/sessions/<id>/` with the id checked and
no link followed, as the store reads them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.gitfiles import Repo
from ctx.core.ids import is_memory_id, is_session_id

if TYPE_CHECKING:
    from ctx.core.models import Turn
    from ctx.store.layout import Layout
    from ctx.store.project import Project

CACHE_VERSION = 1
_STORE = ".contextfs"
_NAME = "why-inputs.json"


class SessionRow:
    """The fields of a completed session that `ctx why` reads."""

    FIELDS = (
        "id",
        "title",
        "tool",
        "author",
        "started_at",
        "ended_at",
        "commit",
        "commit_end",
        "private",
        "capture_ids",
    )  # the order of a row in the cache file
    __slots__ = FIELDS

    def __init__(
        self,
        id: str,
        title: str,
        tool: str,
        author: str,
        started_at: str,
        ended_at: str | None,
        commit: str | None,
        commit_end: str | None,
        private: bool,
        capture_ids: list[str],
    ) -> None:
        self.id = id
        self.title = title
        self.tool = tool
        self.author = author
        self.started_at = started_at
        self.ended_at = ended_at
        self.commit = commit
        self.commit_end = commit_end
        self.private = private
        self.capture_ids = capture_ids

    def row(self) -> list[Any]:
        return [getattr(self, k) for k in self.FIELDS]


class MemoryRow:
    """The fields of a memory that `ctx why` reads."""

    FIELDS = ("id", "type", "content", "author", "created_at", "source_session")
    __slots__ = FIELDS

    def __init__(
        self,
        id: str,
        type: str,
        content: str,
        author: str,
        created_at: str,
        source_session: str | None,
    ) -> None:
        self.id = id
        self.type = type
        self.content = content
        self.author = author
        self.created_at = created_at
        self.source_session = source_session

    def row(self) -> list[Any]:
        return [getattr(self, k) for k in self.FIELDS]


class Inputs:
    """The store as `ctx why` sees it: sessions (newest first, as the store lists them), the
    files each touched ([path, action, turn]), memories, and a way to read a session's turns."""

    def __init__(
        self,
        root: Path,
        sessions: list[SessionRow],
        files: dict[str, list[list[Any]]],
        memories: list[MemoryRow],
        project: Project | None = None,
    ) -> None:
        self.root = root
        self.sessions = sessions
        self.files = files
        self.memories = memories
        self._project = project

    def turns(self, sid: str, private: bool) -> list[Turn]:
        if self._project is not None:
            return self._project.iter_session_turns(sid, private)
        from ctx.store import confine
        from ctx.store import transcripts as tx
        from ctx.store.layout import Layout

        if not is_session_id(sid):
            return []
        layout = Layout(self.root)
        sdir = layout.session_dir(sid, private)
        if confine.link_in(layout.store, sdir) is not None:
            return []
        return tx.read_transcript(sdir, self.root).turns


def from_project(project: Project) -> Inputs:
    """The inputs as the store gives them (what the cache file keeps)."""
    from ctx.store.sessions import CAPTURE_IDS
    from ctx.store.touched import session_files

    sessions = project.list_sessions(include_open=False)
    files = session_files(project, sessions)
    rows = []
    for s in sessions:
        ids = s.meta.get(CAPTURE_IDS) if isinstance(s.meta, dict) else None
        capture = [c for c in ids if isinstance(c, str)] if isinstance(ids, list) else []
        rows.append(
            SessionRow(
                s.id,
                s.title,
                s.tool,
                s.author,
                s.started_at,
                s.ended_at,
                s.commit,
                s.commit_end,
                s.private,
                capture,
            )
        )
    memories = [
        MemoryRow(m.id, m.type, m.content, m.author, m.created_at, m.source_session)
        for m in project.list_memories()
    ]
    return Inputs(project.root, rows, files, memories, project)


# ---- the cache file -----------------------------------------------------------------------


def cache_file(root: Path) -> Path:
    return root / _STORE / "local" / "cache" / _NAME


def inputs_key(repo: Repo, store: str) -> str:
    """The digest the kept inputs are valid under: the store's files, the branch (and a
    rebase's), the checkout and ctx's code."""
    from ctx.codelinks.answer_key import code_marks, mark

    gd = repo.gitdir
    try:
        head = (gd / "HEAD").read_bytes().decode("utf-8", "replace")
    except OSError:
        head = ""
    parts = [
        CACHE_VERSION,
        code_marks(),
        [str(repo.worktree), str(repo.root), str(repo.gitdir), str(repo.common)],
        store,
        head,
        [mark(gd / d / "head-name") for d in ("rebase-merge", "rebase-apply")],
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def load(root: Path, key: str) -> Inputs | None:
    """The kept inputs when they were kept under `key`, else None. The file's first line is
    the key: a store that changed costs reading one line, not parsing the whole file."""
    from ctx.store import confine

    file = cache_file(root)
    if confine.link_in(root / _STORE, file) is not None:
        return None
    try:
        with confine.open_read(file) as fh:
            head = json.loads(fh.readline(4096))
            if head != {"v": CACHE_VERSION, "key": key}:
                return None
            data = json.loads(fh.read())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return _decode(root, data)
    except (TypeError, ValueError, KeyError, IndexError):
        return None


def _str(v: object) -> str:
    if not isinstance(v, str):
        raise TypeError("not a string")
    return v


def _opt(v: object) -> str | None:
    return None if v is None else _str(v)


def _decode(root: Path, data: dict[str, Any]) -> Inputs | None:
    sessions: list[SessionRow] = []
    seen: set[str] = set()
    for r in data["sessions"]:
        sid, title, tool, author, started, ended, commit, commit_end, private, capture = r
        if not is_session_id(sid) or sid in seen or not isinstance(private, bool):
            return None
        if not isinstance(capture, list) or not all(
            isinstance(c, str) and is_session_id(c) for c in capture
        ):
            return None
        seen.add(sid)
        sessions.append(
            SessionRow(
                sid,
                _str(title),
                _str(tool),
                _str(author),
                _str(started),
                _opt(ended),
                _opt(commit),
                _opt(commit_end),
                private,
                capture,
            )
        )
    files: dict[str, list[list[Any]]] = {}
    raw_files = data["files"]
    if not isinstance(raw_files, dict):
        return None
    from ctx.core.shapes import touch_entries_ok

    for sid, entries in raw_files.items():
        if sid not in seen or not touch_entries_ok(entries):
            return None
        files[sid] = entries
    memories: list[MemoryRow] = []
    for r in data["memories"]:
        mid, mtype, content, author, created, source = r
        if not is_memory_id(mid):
            return None
        memories.append(
            MemoryRow(mid, _str(mtype), _str(content), _str(author), _str(created), _opt(source))
        )
    return Inputs(root, sessions, files, memories)


def save(root: Path, key: str, inputs: Inputs) -> None:
    """Keep the inputs under `key` (never through a linked folder); a file that cannot be
    written only costs the next question its time."""
    from ctx.core.errors import CtxError
    from ctx.store import confine
    from ctx.store.locking import atomic_write

    file = cache_file(root)
    if confine.link_in(root / _STORE, file.parent) is not None:
        return
    body = {
        "sessions": [s.row() for s in inputs.sessions],
        "files": {s.id: inputs.files.get(s.id, []) for s in inputs.sessions},
        "memories": [m.row() for m in inputs.memories],
    }
    head = json.dumps({"v": CACHE_VERSION, "key": key})
    try:
        atomic_write(file, f"{head}\n{json.dumps(body)}\n".encode(), private=True, durable=False)
    except (OSError, CtxError):
        pass  # a cache that cannot be written only costs time next run


class Checkout:
    """A Project's places for the blame cache (blame_cache.Places), without opening the store."""

    def __init__(self, repo: Repo) -> None:
        from ctx.store.layout import Layout

        self.git = repo  # .worktree: where git runs
        self.layout: Layout = Layout(repo.root)
