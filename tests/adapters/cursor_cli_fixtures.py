"""Cursor CLI chat stores built like `cursor-agent` writes them (reverse-engineered layout, see
ctx/capture/adapters/cursor_cli.py): ``<root>/chats/<md5(workspace)>/<id>/store.db`` with
``blobs(id TEXT PRIMARY KEY, data BLOB)`` (id = sha256 of the data, JSON message blobs between
protobuf graph blobs) and ``meta(key TEXT PRIMARY KEY, value TEXT)`` (key "0": hex-encoded JSON
agent record), plus ``meta.json`` and ``prompt_history.json``."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

T0 = 1_796_400_000_000
ASK = "Why does the cache key include the branch?"
REPLY = "So that two branches never share a stale brief."


def messages(workspace: str) -> list[Any]:
    """A chat as the CLI records it, with the graph blobs (bytes) in between."""
    return [
        {"role": "system", "content": "You are a powerful agentic AI coding assistant."},
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": f"<user_info>\nOS Version: linux\nWorkspace Path: {workspace}\n"
                    "</user_info>",
                }
            ],
        },
        b"\x0a\x20" + hashlib.sha256(b"user-step").digest() + b"\x12\x04turn",
        {
            "role": "user",
            "content": [{"type": "text", "text": f"<user_query>\n{ASK}\n</user_query>"}],
            "createdAt": T0,
        },
        {
            "role": "assistant",
            "content": [
                {"type": "reasoning", "text": "Look at brief_cache first."},
                {"type": "text", "text": "Let me check."},
                {
                    "type": "tool-call",
                    "toolCallId": "call_01",
                    "toolName": "Read",
                    "args": {"path": f"{workspace}/ctx/brief_cache.py"},
                },
            ],
            "createdAt": T0 + 1000,
            "providerOptions": {"cursor": {"modelName": "composer-2.5"}},
        },
        {
            "role": "tool",
            "content": [
                {
                    "type": "tool-result",
                    "toolCallId": "call_01",
                    "toolName": "Read",
                    "result": "def make_key(branch, budget, fingerprint): ...",
                }
            ],
            "createdAt": T0 + 2000,
        },
        b"\x08\x02\x1a\x10" + b"\x00\xff" * 8,
        {
            "role": "assistant",
            "content": [{"type": "text", "text": REPLY}],
            "createdAt": T0 + 3000,
            "providerOptions": {"cursor": {"modelName": "composer-2.5"}},
        },
    ]


def make_chat(
    root: Path,
    workspace: str,
    chat_id: str,
    blobs: list[Any],
    *,
    record: dict[str, Any] | None = None,
    hex_meta: bool = True,
    meta_table: bool = True,
    info: dict[str, Any] | None = None,
) -> Path:
    """Write one chat store under ``root`` (the CLI's ~/.cursor); returns the store.db path."""
    bucket = hashlib.md5(workspace.encode(), usedforsecurity=False).hexdigest()
    chat_dir = root / "chats" / bucket / chat_id
    chat_dir.mkdir(parents=True)
    db = chat_dir / "store.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE blobs (id TEXT PRIMARY KEY, data BLOB)")
    if meta_table:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    ids = []
    for item in blobs:
        data = item if isinstance(item, bytes) else json.dumps(item).encode()
        digest = hashlib.sha256(data).hexdigest()
        ids.append(digest)
        conn.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?)", (digest, data))
    rec = {
        "agentId": chat_id,
        "latestRootBlobId": ids[-1] if ids else "",
        "name": "New Agent",
        "mode": "default",
        "createdAt": T0 - 500,
        "workspacePath": workspace,
        "lastUsedModel": "composer-2.5",
        **(record or {}),
    }
    if meta_table:
        raw = json.dumps(rec)
        conn.execute("INSERT INTO meta VALUES ('0', ?)", (raw.encode().hex() if hex_meta else raw,))
    conn.commit()
    conn.close()
    (chat_dir / "meta.json").write_text(
        json.dumps(
            info
            if info is not None
            else {
                "schemaVersion": 1,
                "title": "Cache key and branches",
                "createdAtMs": T0 - 500,
                "updatedAtMs": T0 + 3000,
                "hasConversation": True,
            }
        )
    )
    (chat_dir / "prompt_history.json").write_text(json.dumps([ASK]))
    return db
