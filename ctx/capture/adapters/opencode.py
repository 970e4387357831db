"""OpenCode sessions: SQLite ``opencode.db`` (1.2 and later) or the older JSON storage.

Why: OpenCode (npm ``opencode-ai``) keeps every session under ``$XDG_DATA_HOME/opencode``
(``~/.local/share/opencode`` on Linux and macOS). Since about 1.2 that is one SQLite database
``opencode.db`` in WAL mode with tables ``project`` (id = root commit, ``worktree``),
``session`` (``directory``, ``title``, ``version``, ``parent_id``), ``message`` and ``part``
(a JSON ``data`` column each). Before, the same objects were JSON files:
``storage/project/<id>.json``, ``storage/session/<project>/<ses>.json``,
``storage/message/<ses>/<msg>.json`` and ``storage/part/<msg>/<prt>.json``.

The database is opened read-only (``mode=ro`` URI, busy timeout, ``query_only``) so OpenCode
may keep running; when it cannot be opened in place (no ``-shm`` yet in a read-only
directory) the database and its WAL are copied to a temporary directory and read there.

Taken: user text parts (not ``synthetic`` or ``ignored`` ones: OpenCode injects file contents
that way), attachments as ``[file: name]``, assistant text, ``tool`` parts as a tool_use turn
plus a tool_result turn (clipped), reasoning as the next turn's ``meta["thinking"]``, failed
assistant messages as an ``[error]`` turn. Text parts whose ``metadata`` carries the
``ctx resume`` marker are earlier turns stored already: left out, the session ``continues``
the marked one. Step, snapshot, patch and agent parts are
bookkeeping; any other part type is skipped and counted in ``meta["unknown_types"]``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ctx.capture.adapters import RESUME_MARKER, clip, clip_value, iso_ts
from ctx.core.models import TranscriptHeader, TranscriptTurn

DB_NAME = "opencode.db"
#: Parts that carry no conversation (steps, file snapshots, diffs, the agent switch).
_BOOKKEEPING = ("step-start", "step-finish", "snapshot", "patch", "agent", "retry", "compaction")
_DEFAULT_TITLES = ("New session - ", "Child session - ")
_BUSY_TIMEOUT_S = 5.0


def opencode_data_dir(home: str | os.PathLike[str] | None = None) -> Path:
    """``$XDG_DATA_HOME/opencode`` (when set, no home given), else ``~/.local/share/opencode``."""
    if home is None:
        xdg = os.environ.get("XDG_DATA_HOME")
        if xdg:
            return Path(xdg) / "opencode"
        home = Path.home()
    return Path(home) / ".local" / "share" / "opencode"


@dataclass
class OpenCodeSession:
    """One session found on disk: where it lives and what its row or file says."""

    id: str
    source: Path  # the database, or the session's JSON file
    directory: str | None
    title: str | None
    created: float | None  # epoch seconds
    updated: float | None
    parent: str | None
    info: dict[str, Any]


def _num(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value / 1000 if value > 1e11 else float(value)
    return None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _loads(raw: Any) -> Any:
    if not isinstance(raw, (str, bytes)):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


# ---- reading the database without disturbing OpenCode -------------------------------------


@contextlib.contextmanager
def connect_readonly(db: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to ``db``; falls back to a private copy (db + WAL)."""
    uri = f"file:{quote(str(db))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_S)
        try:
            conn.execute("PRAGMA query_only = 1")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error:
            conn.close()
            raise
    except sqlite3.Error:
        with tempfile.TemporaryDirectory(prefix="ctx-opencode-") as tmp:
            copy = Path(tmp) / DB_NAME
            shutil.copyfile(db, copy)
            wal = db.with_name(db.name + "-wal")
            if wal.is_file():
                shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
            conn = sqlite3.connect(f"file:{quote(str(copy))}?mode=ro", uri=True)
            try:
                yield conn
            finally:
                conn.close()
        return
    try:
        yield conn
    finally:
        conn.close()


def _db_sessions(db: Path) -> list[OpenCodeSession]:
    with connect_readonly(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute("SELECT * FROM session")]
        worktrees = {r["id"]: r["worktree"] for r in conn.execute("SELECT * FROM project")}
    out = []
    for rec in rows:
        sid = rec.get("id")
        if not isinstance(sid, str):
            continue
        text = {k: v for k, v in rec.items() if isinstance(v, str)}
        out.append(
            OpenCodeSession(
                id=sid,
                source=db,
                directory=text.get("directory"),
                title=text.get("title"),
                created=_num(rec.get("time_created")),
                updated=_num(rec.get("time_updated")),
                parent=text.get("parent_id"),
                info={
                    "project_worktree": worktrees.get(rec.get("project_id")),
                    "version": text.get("version"),
                },
            )
        )
    return out


def _json_sessions(storage: Path) -> list[OpenCodeSession]:
    out = []
    worktrees: dict[str, str] = {}
    for p in (storage / "project").glob("*.json"):
        obj = _loads(_read(p))
        if isinstance(obj, dict) and isinstance(obj.get("worktree"), str):
            worktrees[p.stem] = obj["worktree"]
    for p in (storage / "session").glob("*/*.json"):
        obj = _loads(_read(p))
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            continue
        t = _obj(obj.get("time"))
        out.append(
            OpenCodeSession(
                id=obj["id"],
                source=p,
                directory=obj.get("directory") if isinstance(obj.get("directory"), str) else None,
                title=obj.get("title") if isinstance(obj.get("title"), str) else None,
                created=_num(t.get("created")),
                updated=_num(t.get("updated")),
                parent=obj.get("parentID") if isinstance(obj.get("parentID"), str) else None,
                info={"project_worktree": worktrees.get(p.parent.name), **obj},
            )
        )
    return out


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _belongs(s: OpenCodeSession, wants: list[str]) -> bool:
    """The session ran in (or below) one of ``wants`` (real paths)."""
    cand = s.directory or s.info.get("project_worktree")
    if isinstance(cand, str) and cand:
        real = os.path.realpath(cand)
        return any(real == w or real.startswith(w.rstrip(os.sep) + os.sep) for w in wants)
    return False


def find_sessions(
    cwd: str | os.PathLike[str] | list[str] | None = None,
    *,
    since: float | None = None,
    until: float | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    include_subagents: bool = False,
) -> list[OpenCodeSession]:
    """Sessions of the database and the legacy storage, oldest first (one per id).

    ``cwd``: a directory or a list of them (a repository's worktrees); only sessions that
    ran there or below. ``since``/``until`` (epoch seconds) keep sessions updated in that
    window. Sessions of OpenCode sub-agents (``parent_id``) are left out unless asked for.
    """
    root = Path(data_dir) if data_dir is not None else opencode_data_dir()
    if root.is_file():  # the database itself was given
        db, storage = root, root.parent / "storage"
    elif root.name == "storage" and not (root / DB_NAME).exists():
        db, storage = root.parent / DB_NAME, root
    else:
        db, storage = root / DB_NAME, root / "storage"
    found: dict[str, OpenCodeSession] = {}
    if db.is_file():
        for s in _db_sessions(db):
            found[s.id] = s
    if storage.is_dir():
        for s in _json_sessions(storage):
            found.setdefault(s.id, s)  # migrated sessions: the database wins
    dirs = [cwd] if isinstance(cwd, (str, os.PathLike)) else cwd
    wants = [os.path.realpath(d) for d in dirs] if dirs is not None else None
    out = []
    for s in found.values():
        if s.parent and not include_subagents:
            continue
        if wants is not None and not _belongs(s, wants):
            continue
        when = s.updated or s.created
        if since is not None and (when is None or when < since):
            continue
        if until is not None and s.created is not None and s.created > until:
            continue
        out.append(s)
    return sorted(out, key=lambda s: (s.created or 0.0, s.id))


# ---- one session into turns ----------------------------------------------------------------


def _db_messages(db: Path, sid: str) -> tuple[list[tuple[dict[str, Any], list[Any]]], int]:
    """[(message data, [part data])] in order, and how many rows were not JSON objects."""
    bad = 0
    with connect_readonly(db) as conn:
        mrows = conn.execute(
            "SELECT id, time_created, data FROM message WHERE session_id = ? "
            "ORDER BY time_created, id",
            (sid,),
        ).fetchall()
        prows = conn.execute(
            "SELECT message_id, data FROM part WHERE session_id = ? ORDER BY id", (sid,)
        ).fetchall()
    parts: dict[str, list[Any]] = {}
    for mid, raw in prows:
        parts.setdefault(str(mid), []).append(_loads(raw))
    out = []
    for mid, created, raw in mrows:
        data = _loads(raw)
        if not isinstance(data, dict):
            bad += 1
            continue
        data.setdefault("id", mid)
        if not isinstance(data.get("time"), dict):
            data["time"] = {"created": created}
        out.append((data, parts.get(str(mid), [])))
    return out, bad


def _json_messages(storage: Path, sid: str) -> tuple[list[tuple[dict[str, Any], list[Any]]], int]:
    bad = 0
    msgs = []
    for p in sorted((storage / "message" / sid).glob("*.json")):
        data = _loads(_read(p))
        if not isinstance(data, dict):
            bad += 1
            continue
        data.setdefault("id", p.stem)
        parts = [_loads(_read(q)) for q in sorted((storage / "part" / p.stem).glob("*.json"))]
        msgs.append((data, parts))
    t = lambda m: _num((m[0].get("time") or {}).get("created")) or 0.0  # noqa: E731
    return sorted(msgs, key=lambda m: (t(m), str(m[0].get("id")))), bad


def _tool_line(name: str, value: Any) -> str:
    if isinstance(value, dict):
        for key in ("command", "filePath", "path", "pattern", "url", "query", "description"):
            v = value.get(key)
            if isinstance(v, str) and v.strip():
                return f"[{name}] {clip(v, 500)}"
    if value in (None, {}, []):
        return f"[{name}]"
    return f"[{name}] {clip(json.dumps(value, ensure_ascii=False), 500)}"


class _Builder:
    def __init__(self) -> None:
        self.turns: list[TranscriptTurn] = []
        self.thinking: list[str] = []
        self.unknown: Counter[str] = Counter()
        self.ignored = 0
        self.malformed = 0
        self.models: list[str] = []
        self.times: list[str] = []
        self.continues: str | None = None

    def add(self, turn: TranscriptTurn) -> None:
        if self.thinking:
            turn.meta["thinking"] = clip("\n\n".join(self.thinking))
            self.thinking = []
        if turn.ts:
            self.times.append(turn.ts)
        self.turns.append(turn)

    def message(self, data: dict[str, Any], parts: list[Any]) -> None:
        role = data.get("role")
        t = _obj(data.get("time"))
        ts = iso_ts(t.get("created"))
        mid = str(data.get("id")) if data.get("id") else None
        if role not in ("user", "assistant"):
            self.unknown[f"message/{role}"] += 1
            return
        model = data.get("modelID")
        if role == "user" and isinstance(data.get("model"), dict):
            model = data["model"].get("modelID")
        rebuilt = bool(parts) and all(
            isinstance(p, dict) and RESUME_MARKER in _obj(p.get("metadata")) for p in parts
        )  # `ctx resume` names a placeholder model there
        if isinstance(model, str) and model and model not in self.models and not rebuilt:
            self.models.append(model)
        texts: list[str] = []

        def flush() -> None:
            text = "\n\n".join(x for x in texts if x).strip()
            texts.clear()
            if text:
                n = sum(1 for x in self.turns if x.id and x.id.startswith(f"{mid}"))
                self.add(TranscriptTurn(str(role), text, ts, f"{mid}:{n}" if n else mid, {}))

        for part in parts:
            if not isinstance(part, dict):
                self.malformed += 1
                continue
            ptype = part.get("type")
            if ptype == "text":
                mark = _obj(_obj(part.get("metadata")).get(RESUME_MARKER)).get("session")
                if isinstance(mark, str):
                    self.continues = mark  # rebuilt by `ctx resume`: stored already
                elif part.get("synthetic") or part.get("ignored"):
                    self.ignored += 1
                elif isinstance(part.get("text"), str):
                    texts.append(part["text"])
            elif ptype == "file":
                name = part.get("filename") or part.get("url") or part.get("mime") or "file"
                texts.append(f"[file: {clip(str(name), 200)}]")
            elif ptype == "reasoning":
                if isinstance(part.get("text"), str) and part["text"].strip():
                    self.thinking.append(part["text"].strip())
            elif ptype == "tool":
                flush()
                self._tool(part, ts)
            elif ptype in _BOOKKEEPING:
                self.ignored += 1
            else:
                self.unknown[str(ptype)] += 1
        flush()
        err = data.get("error")
        if role == "assistant" and isinstance(err, dict):
            detail = _obj(err.get("data"))
            msg = str(detail.get("message") or "")
            text = f"[error: {err.get('name') or 'error'}] {clip(msg, 500)}".strip()
            self.add(TranscriptTurn("assistant", text, ts, f"{mid}:error", {"is_error": True}))

    def _tool(self, part: dict[str, Any], msg_ts: str | None) -> None:
        name = str(part.get("tool") or "tool")
        call_id = part.get("callID") if isinstance(part.get("callID"), str) else None
        state = _obj(part.get("state"))
        times = _obj(state.get("time"))
        args = state.get("input")
        meta: dict[str, Any] = {
            "kind": "tool_use",
            "tool": name,
            "call_id": call_id,
            "input": clip_value(args),
        }
        start = iso_ts(times.get("start")) or msg_ts
        self.add(TranscriptTurn("tool", _tool_line(name, args), start, call_id, meta))
        status = state.get("status")
        if status not in ("completed", "error"):
            return  # pending or running: no result yet
        raw = state.get("output") if status == "completed" else state.get("error")
        raw = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
        raw = raw.rstrip()
        text = clip(raw)
        rmeta: dict[str, Any] = {"kind": "tool_result", "tool": name, "call_id": call_id}
        if status == "error":
            rmeta["is_error"] = True
        if text != raw:
            rmeta["truncated"] = True
            rmeta["bytes"] = len(raw.encode("utf-8"))
        end = iso_ts(times.get("end")) or start
        ident = f"{call_id}:output" if call_id else None
        self.add(TranscriptTurn("tool", text, end, ident, rmeta))


def parse_opencode_session(
    session: OpenCodeSession,
) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
    """One session into the generic header + turns; never raises on content."""
    b = _Builder()
    if session.source.suffix == ".json":
        messages, bad = _json_messages(session.source.parent.parent.parent, session.id)
    else:
        messages, bad = _db_messages(session.source, session.id)
    b.malformed += bad
    for data, parts in messages:
        b.message(data, parts)
    title = session.title
    if title and title.startswith(_DEFAULT_TITLES):
        title = None
    meta: dict[str, Any] = {
        "source_path": str(session.source),
        "storage": "json" if session.source.suffix == ".json" else "sqlite",
        "records": len(messages),
        "skipped": b.malformed + sum(b.unknown.values()),
    }
    optional = {
        "opencode_version": session.info.get("version"),
        "model": b.models[0] if b.models else None,
        "models": b.models if len(b.models) > 1 else None,
        "unknown_types": dict(b.unknown) or None,
        "ignored_records": b.ignored or None,
        "malformed_records": b.malformed or None,
        "subagent": True if session.parent else None,
        "continues": b.continues,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    started = iso_ts(session.created) or (min(b.times) if b.times else None)
    ended = max(b.times) if b.times else iso_ts(session.updated)
    header = TranscriptHeader(
        tool="opencode",
        external_id=session.id,
        title=title,
        started_at=started,
        ended_at=ended,
        cwd=session.directory,
        meta=meta,
    )
    return header, b.turns
