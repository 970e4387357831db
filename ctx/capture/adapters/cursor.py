"""Cursor IDE chats (Composer / Agent): ``state.vscdb`` SQLite key-value stores.

Why: Cursor keeps chats in VS Code's storage. The global ``globalStorage/state.vscdb`` table
``cursorDiskKV(key, value)`` holds ``composerData:<composerId>`` (the chat: ``name``,
``createdAt``/``lastUpdatedAt`` in ms, ``modelConfig.modelName``, and
``fullConversationHeadersOnly`` = ordered ``{bubbleId, type}``) and one
``bubbleId:<composerId>:<bubbleId>`` row per message (``type`` 1 = user, 2 = assistant;
``text``, ``createdAt`` ISO, ``thinking.text``, ``toolFormerData`` = a tool call with ``name``,
``rawArgs``/``params``, ``result``, ``status``). Older chats keep the messages inline in
``composerData.conversation``. Which chats belong to which folder is in
``workspaceStorage/<hash>/workspace.json`` (``{"folder": "file:///…"}``) plus that
workspace's own ``state.vscdb``, ``ItemTable`` key ``composer.composerData``
(``allComposers[].composerId``) — up to Cursor 2.x; from Cursor 3 the global database's
``composerHeaders(composerId, workspaceId, …, value)`` table is the index (``workspaceId`` = the
``workspaceStorage`` folder name; ``value`` = a JSON head with ``isDraft`` and
``workspaceIdentifier.uri.fsPath``).

The user directory is ``~/.config/Cursor/User`` on Linux, ``~/Library/Application
Support/Cursor/User`` on macOS, ``%APPDATA%/Cursor/User`` on Windows. The databases are read
like OpenCode's: read-only, busy timeout, a private copy when they cannot be opened in place.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctx.capture.adapters import clip, clip_value, iso_ts, loads_text, tool_line, workspace_folder
from ctx.capture.adapters.opencode import connect_readonly
from ctx.core.models import TranscriptHeader, TranscriptTurn

USER_TYPE, ASSISTANT_TYPE = 1, 2


def cursor_user_dir(home: str | os.PathLike[str] | None = None) -> Path:
    """Cursor's ``User`` directory on this platform."""
    base = Path(home) if home is not None else Path.home()
    if sys.platform == "darwin":
        return base / "Library" / "Application Support" / "Cursor" / "User"
    if sys.platform.startswith("win"):
        appdata = os.environ.get("APPDATA") if home is None else None
        return (Path(appdata) if appdata else base / "AppData" / "Roaming") / "Cursor" / "User"
    return base / ".config" / "Cursor" / "User"


@dataclass
class CursorChat:
    id: str  # the composerId
    global_db: Path
    folder: str | None
    info: dict[str, Any] = field(default_factory=dict)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _workspace_composers(db: Path) -> list[str]:
    with connect_readonly(db) as conn:
        row = conn.execute(
            "SELECT value FROM ItemTable WHERE key = 'composer.composerData'"
        ).fetchone()
    data = _obj(loads_text(row[0]) if row else None)
    out = []
    for c in data.get("allComposers") or []:
        cid = _obj(c).get("composerId")
        if isinstance(cid, str) and cid:
            out.append(cid)
    return out


def find_chats(
    cwd: str | os.PathLike[str] | list[str] | None = None,
    *,
    user_dir: str | os.PathLike[str] | None = None,
) -> list[CursorChat]:
    """Chats of the workspaces opened on ``cwd`` (a directory, or a list: a repository's
    worktrees) or below it; every chat listed by any workspace when ``cwd`` is None.

    Two indexes say which chat belongs to which folder: each workspace's own database (up to
    Cursor 2.x) and, from Cursor 3, the global ``composerHeaders`` table (``workspaceId`` = the
    ``workspaceStorage`` folder's name; drafts are not chats)."""
    root = Path(user_dir) if user_dir is not None else cursor_user_dir()
    global_db = root / "globalStorage" / "state.vscdb"
    dirs = [cwd] if isinstance(cwd, (str, os.PathLike)) else cwd
    wants = [os.path.realpath(d) for d in dirs] if dirs is not None else None

    def wanted(folder: str) -> bool:
        real = os.path.realpath(folder)
        return wants is None or any(
            real == w or real.startswith(w.rstrip(os.sep) + os.sep) for w in wants
        )

    chats: dict[str, CursorChat] = {}
    folders: dict[str, str] = {}
    for ws in sorted((root / "workspaceStorage").glob("*/workspace.json")):
        folder = workspace_folder(ws)
        if folder is None:
            continue
        folders[ws.parent.name] = folder
        if not wanted(folder):
            continue
        db = ws.parent / "state.vscdb"
        if not db.is_file():
            continue
        try:
            listed = _workspace_composers(db)
        except sqlite3.Error:  # not a Cursor workspace database (or a damaged one)
            continue
        for cid in listed:
            chats.setdefault(cid, CursorChat(cid, global_db, folder))
    if not global_db.is_file():
        return []
    try:
        headers = _header_chats(global_db, folders)
    except sqlite3.Error:
        headers = []
    for cid, folder in headers:
        if folder is not None and wanted(folder):
            chats.setdefault(cid, CursorChat(cid, global_db, folder))
    return list(chats.values())


def _header_chats(global_db: Path, folders: dict[str, str]) -> list[tuple[str, str | None]]:
    """(composerId, folder) of every non-draft chat in Cursor 3's ``composerHeaders``."""
    with connect_readonly(global_db) as conn:
        try:
            rows = conn.execute(
                "SELECT composerId, workspaceId, value FROM composerHeaders"
            ).fetchall()
        except sqlite3.OperationalError:  # before Cursor 3: no such table
            return []
    out: list[tuple[str, str | None]] = []
    for cid, wid, value in rows:
        if not isinstance(cid, str) or not cid:
            continue
        head = _obj(loads_text(value))
        if head.get("isDraft") is True:
            continue
        folder = folders.get(wid) if isinstance(wid, str) else None
        if folder is None:  # a workspace without its storage folder: the head's own path
            path = _obj(_obj(head.get("workspaceIdentifier")).get("uri")).get("fsPath")
            folder = path if isinstance(path, str) and os.path.isabs(path) else None
        out.append((cid, folder))
    return out


def _tool_line(name: str, args: Any) -> str:
    return tool_line(
        name, args, ("command", "target_file", "relative_workspace_path", "query", "path")
    )


class _Builder:
    def __init__(self, fallback_ts: str | None) -> None:
        self.turns: list[TranscriptTurn] = []
        self.unknown: Counter[str] = Counter()
        self.missing = 0
        self.malformed = 0
        self.fallback_ts = fallback_ts
        self.thinking: list[str] = []

    def add(self, turn: TranscriptTurn) -> None:
        if self.thinking:
            turn.meta["thinking"] = clip("\n\n".join(self.thinking))
            self.thinking = []
        self.turns.append(turn)

    def bubble(self, b: Any, bid: str) -> None:
        if not isinstance(b, dict):
            self.malformed += 1
            return
        ts = iso_ts(b.get("createdAt")) or self.fallback_ts
        btype = b.get("type")
        text = str(b["text"]) if isinstance(b.get("text"), str) else ""
        if btype == USER_TYPE:
            if text.strip():
                self.add(TranscriptTurn("user", text.strip(), ts, bid, {}))
            return
        if btype != ASSISTANT_TYPE:
            self.unknown[f"bubble/{btype}"] += 1
            return
        think = _obj(b.get("thinking")).get("text")
        if isinstance(think, str) and think.strip():
            self.thinking.append(think.strip())
        tool = b.get("toolFormerData")
        if isinstance(tool, dict):
            self._tool(tool, ts, bid)
        if text.strip():
            self.add(TranscriptTurn("assistant", text.strip(), ts, bid, {}))

    def _tool(self, t: dict[str, Any], ts: str | None, bid: str) -> None:
        name = str(t.get("name") or t.get("tool") or "tool")
        raw = t.get("rawArgs") if t.get("rawArgs") not in (None, "") else t.get("params")
        args = loads_text(raw) if isinstance(raw, str) else raw
        if args is None and isinstance(raw, str):
            args = raw
        call_id = t.get("toolCallId") if isinstance(t.get("toolCallId"), str) else None
        meta = {"kind": "tool_use", "tool": name, "call_id": call_id, "input": clip_value(args)}
        self.add(TranscriptTurn("tool", _tool_line(name, args), ts, f"{bid}:call", meta))
        result = t.get("result")
        if result in (None, ""):
            return
        out = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
        out = out.rstrip()
        text = clip(out)
        rmeta: dict[str, Any] = {"kind": "tool_result", "tool": name, "call_id": call_id}
        status = t.get("status") or _obj(t.get("additionalData")).get("status")
        if status == "error":
            rmeta["is_error"] = True
        if text != out:
            rmeta["truncated"] = True
            rmeta["bytes"] = len(out.encode("utf-8"))
        self.add(TranscriptTurn("tool", text, ts, f"{bid}:result", rmeta))


def parse_cursor_chat(chat: CursorChat) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
    """One chat into the generic header + turns; never raises on content."""
    with connect_readonly(chat.global_db) as conn:
        row = conn.execute(
            "SELECT value FROM cursorDiskKV WHERE key = ?", (f"composerData:{chat.id}",)
        ).fetchone()
        data = _obj(loads_text(row[0]) if row else None)
        rows = conn.execute(
            "SELECT key, value FROM cursorDiskKV WHERE key >= ? AND key < ?",
            (f"bubbleId:{chat.id}:", f"bubbleId:{chat.id};"),
        ).fetchall()
    bubbles = {str(k).rsplit(":", 1)[-1]: loads_text(v) for k, v in rows}
    started = iso_ts(data.get("createdAt"))
    b = _Builder(started)
    headers = data.get("fullConversationHeadersOnly")
    if isinstance(headers, list) and headers:
        for h in headers:
            bid = _obj(h).get("bubbleId")
            if not isinstance(bid, str):
                b.malformed += 1
            elif bid not in bubbles:
                b.missing += 1
            else:
                b.bubble(bubbles[bid], bid)
    else:  # older chats: the messages inline
        for item in data.get("conversation") or []:
            bid = _obj(item).get("bubbleId")
            b.bubble(item, str(bid) if bid else "")
    model = _obj(data.get("modelConfig")).get("modelName")
    meta: dict[str, Any] = {
        "source_path": str(chat.global_db),
        "records": len(b.turns),
        "skipped": b.malformed + b.missing + sum(b.unknown.values()),
    }
    optional = {
        "model": model if isinstance(model, str) and model != "default" else None,
        "cursor_schema": data.get("_v") if isinstance(data.get("_v"), int) else None,
        "unknown_types": dict(b.unknown) or None,
        "missing_bubbles": b.missing or None,
        "malformed_records": b.malformed or None,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    times = [t.ts for t in b.turns if t.ts]
    name = data.get("name")
    header = TranscriptHeader(
        tool="cursor",
        external_id=chat.id,
        title=name if isinstance(name, str) and name.strip() else None,
        started_at=started or (min(times) if times else None),
        ended_at=iso_ts(data.get("lastUpdatedAt")) or (max(times) if times else None),
        cwd=chat.folder,
        branch=data.get("createdOnBranch")
        if isinstance(data.get("createdOnBranch"), str)
        else None,
        meta=meta,
    )
    return header, b.turns
