"""Cursor CLI (`cursor-agent` / `agent`) chats: ``~/.cursor/chats/<md5(workspace)>/<id>/store.db``.

Why: the Cursor CLI does not use the editor's ``state.vscdb``; each chat is its own SQLite
store (closed and undocumented; the layout below is as reverse-engineered by public tools,
e.g. txcript's docs/formats/cursor.md, verified against cursor-agent 2026.09.02):

- the bucket directory is the lowercase hex MD5 of the absolute workspace path, the chat
  directory is the chat id (``agent --resume=<id>``);
- ``store.db`` has ``blobs(id TEXT PRIMARY KEY, data BLOB)`` — content-addressed (id =
  sha256 of data), read in ``rowid`` order — and ``meta(key TEXT PRIMARY KEY, value TEXT)``,
  key ``"0"`` = the agent record (``agentId``, ``name``, ``createdAt``, ``workspacePath``,
  ``lastUsedModel``, ...), hex-encoded JSON or plain JSON;
- JSON blobs are the messages: ``role`` user (text in ``<user_query>`` tags; a blob holding
  ``<user_info>`` is context the CLI injected), assistant (blocks ``text``, ``reasoning`` /
  ``thinking``, ``redacted-reasoning``, ``tool-call`` with ``toolCallId``/``toolName``/``args``),
  tool (``tool-result`` with ``toolCallId``, ``toolName``, ``result``, ``isError``), system;
  ``createdAt`` in ms; the other blobs are protobuf turn-graph state, skipped;
- ``meta.json`` next to it: ``title``, ``createdAtMs``, ``updatedAtMs``.

Everything read is hostile input from a closed format: the databases are opened read-only
(``connect_readonly``), symlinked directories and files are skipped, and records of a shape
not known here are skipped and counted (``meta["unknown_types"]``, ``malformed_records``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctx.capture.adapters import clip, clip_value, iso_ts, loads_text, tool_line
from ctx.capture.adapters.opencode import connect_readonly
from ctx.core.models import TranscriptHeader, TranscriptTurn

_CHAT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
_QUERY = re.compile(
    r"^\s*(?:<timestamp>.*?</timestamp>\s*)?<user_query>\s*(.*?)\s*</user_query>\s*$", re.S
)
META_JSON_MAX = 1 << 20


@dataclass
class CursorCliChat:
    id: str  # the chat directory's name: the id `agent --resume` takes
    db: Path
    folder: str  # the workspace path whose MD5 names the bucket


def cursor_cli_dir(home: str | os.PathLike[str] | None = None) -> Path:
    """The CLI's ``~/.cursor`` (``$CURSOR_CONFIG_DIR`` when set and no home is given)."""
    if home is None and os.environ.get("CURSOR_CONFIG_DIR"):
        return Path(os.environ["CURSOR_CONFIG_DIR"])
    return (Path(home) if home is not None else Path.home()) / ".cursor"


def bucket_name(workspace: str) -> str:
    return hashlib.md5(workspace.encode("utf-8"), usedforsecurity=False).hexdigest()


def find_cli_chats(
    dirs: list[str], *, root: str | os.PathLike[str] | None = None
) -> list[CursorCliChat]:
    """The CLI chats whose workspace is exactly one of ``dirs`` (as given or resolved)."""
    chats_dir = (Path(root) if root is not None else cursor_cli_dir()) / "chats"
    out: dict[str, CursorCliChat] = {}
    for d in dirs:
        for folder in dict.fromkeys([str(d), os.path.realpath(d)]):
            bucket = chats_dir / bucket_name(folder)
            if bucket.is_symlink() or not bucket.is_dir():
                continue
            try:
                entries = sorted(bucket.iterdir())
            except OSError:
                continue
            for sd in entries:
                db = sd / "store.db"
                if (
                    _CHAT_ID.match(sd.name)
                    and not sd.is_symlink()
                    and sd.is_dir()
                    and not db.is_symlink()
                    and db.is_file()
                ):
                    out.setdefault(sd.name, CursorCliChat(sd.name, db, folder))
    return list(out.values())


def _json(raw: Any) -> Any:
    if isinstance(raw, (bytes, memoryview)):
        raw = bytes(raw)
        if raw.lstrip()[:1] not in (b"{", b"["):
            return _NOT_JSON
    return loads_text(raw)


_NOT_JSON = object()  # a protobuf graph blob: known, carries no message


def _meta_record(value: Any) -> dict[str, Any]:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return {}
    text = value.strip()
    if text and len(text) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", text):
        text = bytes.fromhex(text).decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _meta_json(chat_dir: Path) -> dict[str, Any]:
    path = chat_dir / "meta.json"
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > META_JSON_MAX:
            return {}
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _blocks(content: Any) -> list[dict[str, Any]] | None:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [c if isinstance(c, dict) else {"type": None} for c in content]
    return None


class _Builder:
    def __init__(self) -> None:
        self.turns: list[TranscriptTurn] = []
        self.unknown: Counter[str] = Counter()
        self.malformed = 0
        self.injected = 0
        self.thinking: list[str] = []
        self.models: list[str] = []

    def add(self, turn: TranscriptTurn) -> None:
        if self.thinking and turn.role == "assistant":
            turn.meta["thinking"] = clip("\n\n".join(self.thinking))
            self.thinking = []
        self.turns.append(turn)

    def message(self, m: Any, bid: str) -> None:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            self.malformed += 1
            return
        role, ts = m["role"], iso_ts(m.get("createdAt"))
        blocks = _blocks(m.get("content"))
        if role == "system":
            return  # the CLI's system prompt: not a turn
        if blocks is None or role not in ("user", "assistant", "tool"):
            self.unknown[f"role/{role}" if blocks is not None else "content"] += 1
            return
        model = (
            (m.get("providerOptions") or {}).get("cursor")
            if isinstance(m.get("providerOptions"), dict)
            else None
        )
        if isinstance(model, dict) and isinstance(model.get("modelName"), str):
            self.models.append(model["modelName"])
        for i, b in enumerate(blocks):
            self.block(role, b, ts, f"{bid}:{i}" if len(blocks) > 1 else bid)

    def block(self, role: str, b: dict[str, Any], ts: str | None, tid: str) -> None:
        kind = b.get("type")
        if kind == "text" and isinstance(b.get("text"), str):
            text = b["text"]
            if role == "user":
                if "<user_info>" in text:
                    self.injected += 1
                    return
                q = _QUERY.match(text)
                text = q.group(1) if q else text
            if text.strip():
                self.add(TranscriptTurn("user" if role == "user" else "assistant",
                                        text.strip(), ts, tid, {}))  # fmt: skip
        elif kind in ("reasoning", "thinking") and role == "assistant":
            if isinstance(b.get("text"), str) and b["text"].strip():
                self.thinking.append(b["text"].strip())
        elif kind in ("redacted-reasoning", "image"):
            return
        elif kind == "tool-call" and role == "assistant":
            name = str(b.get("toolName") or "tool")
            args = b.get("args")
            call_id = b.get("toolCallId") if isinstance(b.get("toolCallId"), str) else None
            meta = {"kind": "tool_use", "tool": name, "call_id": call_id,
                    "input": clip_value(args)}  # fmt: skip
            self.add(TranscriptTurn("tool", _tool_line(name, args), ts, tid, meta))
        elif kind == "tool-result" and role == "tool":
            result = b.get("result")
            out = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
            out = out.rstrip()
            text = clip(out)
            name = str(b.get("toolName") or "tool")
            call_id = b.get("toolCallId") if isinstance(b.get("toolCallId"), str) else None
            rmeta: dict[str, Any] = {"kind": "tool_result", "tool": name, "call_id": call_id}
            if b.get("isError") is True:
                rmeta["is_error"] = True
            if text != out:
                rmeta["truncated"] = True
                rmeta["bytes"] = len(out.encode("utf-8"))
            self.add(TranscriptTurn("tool", text, ts, tid, rmeta))
        else:
            self.unknown[f"block/{kind}"] += 1


def _tool_line(name: str, args: Any) -> str:
    return tool_line(name, args, ("command", "path", "pattern", "glob_pattern", "query", "url"))


def parse_cursor_cli_chat(chat: CursorCliChat) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
    """One CLI chat into the generic header + turns; never raises on content (a file that is
    not a SQLite store raises ``sqlite3.Error``, which the import reports)."""
    import sqlite3

    with connect_readonly(chat.db) as conn:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = '0'").fetchone()
        except sqlite3.OperationalError:  # no meta table: drift, the messages still count
            row = None
        rows = conn.execute("SELECT id, data FROM blobs ORDER BY rowid").fetchall()
    record = _meta_record(row[0]) if row else {}
    info = _meta_json(chat.db.parent)
    b = _Builder()
    graph = 0
    for bid, data in rows:
        value = _json(data)
        if value is _NOT_JSON:
            graph += 1
            continue
        b.message(value, str(bid)[:16])
    times = [t.ts for t in b.turns if t.ts]
    title = info.get("title") if isinstance(info.get("title"), str) else record.get("name")
    model = record.get("lastUsedModel") if isinstance(record.get("lastUsedModel"), str) else None
    meta: dict[str, Any] = {
        "source_path": str(chat.db),
        "client": "cursor-agent",
        "records": len(b.turns),
        "skipped": b.malformed + sum(b.unknown.values()),
    }
    optional = {
        "model": model or (b.models[-1] if b.models else None),
        "unknown_types": dict(b.unknown) or None,
        "malformed_records": b.malformed or None,
        "injected_context": b.injected or None,
        "graph_blobs": graph or None,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    header = TranscriptHeader(
        tool="cursor",
        external_id=chat.id,
        title=title.strip() if isinstance(title, str) and title.strip() else None,
        started_at=iso_ts(info.get("createdAtMs"))
        or iso_ts(record.get("createdAt"))
        or (min(times) if times else None),
        ended_at=iso_ts(info.get("updatedAtMs")) or (max(times) if times else None),
        cwd=chat.folder,  # the bucket it was found in (the record's workspacePath is unchecked)
        meta=meta,
    )
    return header, b.turns
