"""Cursor adapter on state.vscdb databases built like Cursor writes them (VS Code's
`ItemTable`/`cursorDiskKV` key-value tables; composerData `_v` 10, bubbles `_v` 3, as described
by public reverse-engineered references), with drift: inline legacy conversations, unknown
bubble types, missing and non-JSON bubbles, remote workspaces."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from ctx.capture.adapters.cursor import find_chats, parse_cursor_chat

KV = "CREATE TABLE {} (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)"
T0 = 1_796_300_000_000
ASK = "Where do we validate the session token?"
REPLY = "In auth/middleware.py, before the route handler runs."
LONG = "y" * 9000


def _db(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(KV.format("ItemTable"))
    conn.execute(KV.format("cursorDiskKV"))
    return conn


def _workspace(user: Path, name: str, folder_uri: str, composers: list[str]) -> None:
    ws = user / "workspaceStorage" / name
    ws.mkdir(parents=True)
    (ws / "workspace.json").write_text(json.dumps({"folder": folder_uri}))
    conn = _db(ws / "state.vscdb")
    data = {"allComposers": [{"composerId": c, "type": "head"} for c in composers]}
    conn.execute("INSERT INTO ItemTable VALUES (?, ?)", ("composer.composerData", json.dumps(data)))
    conn.commit()
    conn.close()


def _bubbles(cid: str) -> list[tuple[str, Any]]:
    tool = {
        "tool": 15,
        "name": "run_terminal_cmd",
        "toolCallId": "toolu_1",
        "rawArgs": json.dumps({"command": "grep -rn token auth/", "explanation": "find it"}),
        "result": LONG,
        "status": "completed",
    }
    return [
        (
            "b1",
            {
                "_v": 3,
                "type": 1,
                "bubbleId": "b1",
                "text": ASK,
                "createdAt": "2026-12-01T10:00:00.000Z",
            },
        ),
        (
            "b2",
            {
                "_v": 3,
                "type": 2,
                "bubbleId": "b2",
                "text": "",
                "thinking": {"text": "Search for the middleware."},
                "toolFormerData": tool,
                "createdAt": "2026-12-01T10:00:05.000Z",
            },
        ),
        (
            "b3",
            {
                "_v": 3,
                "type": 2,
                "bubbleId": "b3",
                "text": REPLY,
                "createdAt": "2026-12-01T10:00:09.000Z",
            },
        ),
        ("b4", {"_v": 3, "type": 7, "bubbleId": "b4"}),  # a bubble type from a future Cursor
        ("b5", "{not json"),
    ]


def _global(user: Path, chats: dict[str, dict[str, Any]]) -> None:
    conn = _db(user / "globalStorage" / "state.vscdb")
    for cid, extra in chats.items():
        bubbles = _bubbles(cid)
        data = {
            "_v": 10,
            "composerId": cid,
            "name": "Token validation",
            "createdAt": T0,
            "lastUpdatedAt": T0 + 9000,
            "modelConfig": {"modelName": "claude-4-sonnet"},
            "createdOnBranch": "main",
            "status": "completed",
            "fullConversationHeadersOnly": [{"bubbleId": b, "type": 1} for b, _ in bubbles]
            + [{"bubbleId": "gone", "type": 2}],
            "conversationMap": {},
            **extra,
        }
        conn.execute(
            "INSERT INTO cursorDiskKV VALUES (?, ?)", (f"composerData:{cid}", json.dumps(data))
        )
        for bid, value in bubbles:
            raw = value if isinstance(value, str) else json.dumps(value)
            conn.execute("INSERT INTO cursorDiskKV VALUES (?, ?)", (f"bubbleId:{cid}:{bid}", raw))
    conn.commit()
    conn.close()


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    user, repo = tmp_path / "Cursor" / "User", tmp_path / "my repo"
    repo.mkdir()
    _workspace(user, "aaa", (repo.as_uri()), ["c-1", "c-legacy"])
    _workspace(user, "bbb", (tmp_path / "elsewhere").as_uri(), ["c-other"])
    _workspace(user, "ccc", "vscode-remote://ssh-remote+box/home/x", ["c-remote"])
    legacy = {
        "fullConversationHeadersOnly": [],
        "conversation": [
            {"type": 1, "bubbleId": "l1", "text": "an old question"},
            {"type": 2, "bubbleId": "l2", "text": "an old answer"},
        ],
    }
    _global(user, {"c-1": {}, "c-legacy": legacy, "c-other": {}, "c-remote": {}})
    return user, repo


def test_chats_of_this_folder_in_order(tmp_path: Path) -> None:
    user, repo = _setup(tmp_path)
    chats = {c.id: c for c in find_chats(str(repo), user_dir=user)}
    assert sorted(chats) == ["c-1", "c-legacy"]
    header, turns = parse_cursor_chat(chats["c-1"])
    assert header.tool == "cursor" and header.external_id == "c-1"
    assert header.title == "Token validation" and header.cwd == str(repo)
    assert header.branch == "main" and header.meta["model"] == "claude-4-sonnet"
    assert header.meta["unknown_types"] == {"bubble/7": 1}
    assert header.meta["missing_bubbles"] == 1 and header.meta["malformed_records"] == 1
    assert [(t.role, t.text[:30]) for t in turns] == [
        ("user", ASK[:30]),
        ("tool", "[run_terminal_cmd] grep -rn to"),
        ("tool", "y" * 30),
        ("assistant", REPLY[:30]),
    ]
    use, result = turns[1], turns[2]
    assert use.meta == {
        "kind": "tool_use",
        "tool": "run_terminal_cmd",
        "call_id": "toolu_1",
        "input": {"command": "grep -rn token auth/", "explanation": "find it"},
        "thinking": "Search for the middleware.",
    }
    assert result.meta["truncated"] is True and result.meta["bytes"] == 9000
    assert turns[0].ts == "2026-12-01T10:00:00.000Z"
    legacy_header, legacy = parse_cursor_chat(chats["c-legacy"])
    assert [(t.role, t.text) for t in legacy] == [
        ("user", "an old question"),
        ("assistant", "an old answer"),
    ]
    assert legacy[0].ts == legacy_header.started_at  # no per-message time: the chat's


def test_hostile_databases_never_fail(tmp_path: Path) -> None:
    user, repo = _setup(tmp_path)
    bad = user / "workspaceStorage" / "ddd"
    bad.mkdir()
    (bad / "workspace.json").write_text(json.dumps({"folder": repo.as_uri()}))
    (bad / "state.vscdb").write_bytes(b"not a database at all")
    conn = sqlite3.connect(user / "globalStorage" / "state.vscdb")
    conn.execute("UPDATE cursorDiskKV SET value = x'ff00' WHERE key = 'composerData:c-1'")
    conn.commit()
    conn.close()
    chats = {c.id: c for c in find_chats(str(repo), user_dir=user)}
    header, turns = parse_cursor_chat(chats["c-1"])
    assert turns == [] and header.title is None


def test_ctx_import_cursor(tmp_path: Path) -> None:
    from tests.wrap.conftest import run_ctx

    user, repo = _setup(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    assert run_ctx(repo, "init").code == 0
    env = dict(os.environ)
    usage = run_ctx(repo, "import", "cursor", env=env)
    assert usage.code == 2
    done = run_ctx(repo, "import", "cursor", str(user), "--json", env=env)
    assert done.code == 0, done.err
    assert done.json()["created"] == 2
    again = run_ctx(repo, "import", "cursor", str(user), "--json", env=env).json()
    assert (again["created"], again["added_turns"]) == (0, 0)
    missing = run_ctx(repo, "import", "cursor", str(user), "--session", "zzz", env=env)
    assert missing.code != 0 and "zzz" in missing.err


def test_cursor_3_chats_are_found_through_composer_headers(tmp_path: Path) -> None:
    # Cursor 3 stopped updating the per-workspace lists: the global composerHeaders table
    # (composerId, workspaceId = the workspaceStorage folder name, value = a JSON head) is the
    # index. Drafts are not chats; a head whose workspace has no storage folder names its path.
    user, repo = tmp_path / "Cursor" / "User", tmp_path / "my repo"
    repo.mkdir()
    _workspace(user, "1f3a", repo.as_uri(), [])  # the old list is empty
    _workspace(user, "9c9c", (tmp_path / "elsewhere").as_uri(), [])
    _global(user, {"c-new": {"_v": 17}, "c-draft": {}, "c-other": {}, "c-path": {}})
    conn = sqlite3.connect(user / "globalStorage" / "state.vscdb")
    conn.execute(
        "CREATE TABLE composerHeaders (composerId TEXT PRIMARY KEY, workspaceId TEXT, "
        "createdAt INTEGER, lastUpdatedAt INTEGER, isArchived INTEGER, isSubagent INTEGER, "
        "recency INTEGER, checkpointAt INTEGER, value TEXT)"
    )
    heads = [
        ("c-new", "1f3a", {"type": "head", "name": "Token validation"}),
        ("c-draft", "1f3a", {"type": "head", "isDraft": True}),
        ("c-other", "9c9c", {"type": "head"}),
        ("c-path", "empty-window",
         {"type": "head", "workspaceIdentifier": {"uri": {"fsPath": str(repo / "sub")}}}),
        ("c-bad", 7, "{not json"),
    ]  # fmt: skip
    for cid, wid, head in heads:
        value = head if isinstance(head, str) else json.dumps(head)
        conn.execute(
            "INSERT INTO composerHeaders VALUES (?, ?, ?, ?, 0, 0, ?, NULL, ?)",
            (cid, wid, T0, T0 + 9000, T0, value),
        )
    conn.commit()
    conn.close()
    chats = {c.id: c for c in find_chats(str(repo), user_dir=user)}
    assert sorted(chats) == ["c-new", "c-path"]
    header, turns = parse_cursor_chat(chats["c-new"])
    assert header.cwd == str(repo) and header.title == "Token validation"
    assert (turns[0].role, turns[0].text) == ("user", ASK)
