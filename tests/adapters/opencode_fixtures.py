"""OpenCode storage built like the real thing: the SQLite schema of opencode-ai 1.18.33 (tables
copied from a database the real CLI wrote) and the legacy JSON layout of OpenCode < 1.2.

The part shapes follow OpenCode's MessageV2 (text, file, reasoning, tool with a state of
pending/running/completed/error, step-start/step-finish bookkeeping)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE `project` (`id` text PRIMARY KEY, `worktree` text NOT NULL, `vcs` text,
  `name` text, `icon_url` text, `icon_url_override` text, `icon_color` text,
  `time_created` integer NOT NULL, `time_updated` integer NOT NULL, `time_initialized` integer,
  `sandboxes` text NOT NULL, `commands` text);
CREATE TABLE `session` (`id` text PRIMARY KEY, `project_id` text NOT NULL, `workspace_id` text,
  `parent_id` text, `slug` text NOT NULL, `directory` text NOT NULL, `path` text,
  `title` text NOT NULL, `version` text NOT NULL, `share_url` text, `summary_additions` integer,
  `summary_deletions` integer, `summary_files` integer, `summary_diffs` text, `metadata` text,
  `cost` real DEFAULT 0 NOT NULL, `tokens_input` integer DEFAULT 0 NOT NULL,
  `tokens_output` integer DEFAULT 0 NOT NULL, `tokens_reasoning` integer DEFAULT 0 NOT NULL,
  `tokens_cache_read` integer DEFAULT 0 NOT NULL, `tokens_cache_write` integer DEFAULT 0 NOT NULL,
  `revert` text, `permission` text, `agent` text, `model` text, `time_created` integer NOT NULL,
  `time_updated` integer NOT NULL, `time_compacting` integer, `time_archived` integer);
CREATE TABLE `message` (`id` text PRIMARY KEY, `session_id` text NOT NULL,
  `time_created` integer NOT NULL, `time_updated` integer NOT NULL, `data` text NOT NULL);
CREATE TABLE `part` (`id` text PRIMARY KEY, `message_id` text NOT NULL, `session_id` text NOT NULL,
  `time_created` integer NOT NULL, `time_updated` integer NOT NULL, `data` text NOT NULL);
"""

T0 = 1_796_300_000_000  # ms, like OpenCode
PROMPT = "Why does the build cache miss on CI?"
ANSWER = "The cache key includes the runner's home path; use the lockfile digest instead."
BIG = "x" * 10_000


def conversation(sid: str) -> list[tuple[dict[str, Any], list[Any]]]:
    """(message info, parts) of one session with every kind of part."""
    u, a = f"msg_{sid}_1", f"msg_{sid}_2"
    user = {
        "id": u,
        "sessionID": sid,
        "role": "user",
        "time": {"created": T0 + 1000},
        "agent": "build",
        "model": {"providerID": "fake", "modelID": "fake-model"},
    }
    asst = {
        "id": a,
        "sessionID": sid,
        "role": "assistant",
        "parentID": u,
        "mode": "build",
        "modelID": "fake-model",
        "providerID": "fake",
        "path": {"cwd": "/x", "root": "/x"},
        "time": {"created": T0 + 2000, "completed": T0 + 9000},
        "finish": "stop",
    }
    uparts = [
        {"type": "text", "text": PROMPT},
        {"type": "text", "text": "Called the Read tool with ...", "synthetic": True},
        {"type": "file", "mime": "text/plain", "filename": "ci.yml", "url": "file:///x/ci.yml"},
    ]
    aparts = [
        {"type": "step-start", "snapshot": "abc"},
        {"type": "reasoning", "text": "Look at the workflow first.", "time": {"start": T0 + 2100}},
        {
            "type": "tool",
            "callID": "call_1",
            "tool": "read",
            "state": {
                "status": "completed",
                "input": {"filePath": "/x/ci.yml", "pad": BIG},
                "output": BIG,
                "title": "ci.yml",
                "metadata": {},
                "time": {"start": T0 + 3000, "end": T0 + 3500},
            },
        },
        {
            "type": "tool",
            "callID": "call_2",
            "tool": "bash",
            "state": {
                "status": "error",
                "input": {"command": "false"},
                "error": "exit 1",
                "time": {"start": T0 + 4000, "end": T0 + 4100},
            },
        },
        {
            "type": "tool",
            "callID": "call_3",
            "tool": "grep",
            "state": {
                "status": "running",
                "input": {"pattern": "cache"},
                "time": {"start": T0 + 4200},
            },
        },
        {"type": "hologram", "payload": 1},  # a part type from a future OpenCode
        "not an object",
        {"type": "text", "text": ANSWER, "time": {"start": T0 + 8000, "end": T0 + 8500}},
        {"type": "step-finish", "reason": "stop", "tokens": {"input": 1, "output": 2}},
    ]
    return [(user, uparts), (asst, aparts)]


def make_db(path: Path, sessions: list[dict[str, Any]]) -> sqlite3.Connection:
    """A WAL database with the real schema; each session dict: id, directory, project,
    worktree, title, parent (optional). Returns the open connection (a running OpenCode)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA)
    for s in sessions:
        conn.execute(
            "INSERT OR IGNORE INTO project VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (s["project"], s["worktree"], "git", None, None, None, None, T0, T0, None, "[]", None),
        )
        conn.execute(
            "INSERT INTO session (id, project_id, parent_id, slug, directory, path, title, version,"
            " agent, model, time_created, time_updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                s["id"],
                s["project"],
                s.get("parent"),
                "quiet-moon",
                s["directory"],
                "",
                s["title"],
                "1.18.33",
                "build",
                json.dumps({"id": "fake-model", "providerID": "fake"}),
                T0,
                T0 + 9000,
            ),
        )
        for n, (info, parts) in enumerate(conversation(s["id"])):
            conn.execute(
                "INSERT INTO message VALUES (?,?,?,?,?)",
                (
                    info["id"],
                    s["id"],
                    info["time"]["created"],
                    T0 + 9000,
                    json.dumps({k: v for k, v in info.items() if k not in ("id", "sessionID")}),
                ),
            )
            for i, part in enumerate(parts):
                data = json.dumps(part) if isinstance(part, dict) else part
                conn.execute(
                    "INSERT INTO part VALUES (?,?,?,?,?,?)",
                    (f"prt_{s['id']}_{n}_{i:02d}", info["id"], s["id"], T0, T0, data),
                )
    conn.commit()
    return conn


def make_json_storage(storage: Path, sid: str, directory: str, project: str = "p1") -> None:
    """The same conversation as OpenCode < 1.2 wrote it: one JSON file per object."""
    (storage / "project").mkdir(parents=True, exist_ok=True)
    (storage / "project" / f"{project}.json").write_text(
        json.dumps({"id": project, "worktree": directory, "vcs": "git", "time": {"created": T0}})
    )
    sdir = storage / "session" / project
    sdir.mkdir(parents=True, exist_ok=True)
    (sdir / f"{sid}.json").write_text(
        json.dumps(
            {
                "id": sid,
                "projectID": project,
                "directory": directory,
                "version": "0.15.8",
                "title": "Cache misses on CI",
                "time": {"created": T0, "updated": T0 + 9000},
            }
        )
    )
    for info, parts in conversation(sid):
        mdir = storage / "message" / sid
        mdir.mkdir(parents=True, exist_ok=True)
        (mdir / f"{info['id']}.json").write_text(json.dumps(info))
        pdir = storage / "part" / info["id"]
        pdir.mkdir(parents=True, exist_ok=True)
        for i, part in enumerate(parts):
            body = (
                json.dumps(
                    {"id": f"prt_{i:02d}", "sessionID": sid, "messageID": info["id"], **part}
                )
                if isinstance(part, dict)
                else part
            )
            (pdir / f"prt_{i:02d}.json").write_text(body)
