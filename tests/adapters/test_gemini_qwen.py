"""Gemini CLI and Qwen Code chat files built as the CLIs write them (record shapes read from the
Gemini CLI 0.61.0 / Qwen Code 0.24.4 bundles, ChatRecordingService): current and older folder
naming, the older single-object file, drift (unknown records, a cut-off last line), and import
through the CLI with re-import adding nothing and an appended message adding one turn."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from ctx.capture.adapters.gemini import find_sessions, parse_gemini_session
from ctx.capture.adapters.qwen import find_sessions as qwen_sessions
from ctx.capture.adapters.qwen import parse_qwen_session
from tests.wrap.conftest import run_ctx

SID = "67ca3c57-1976-4273-b701-a94ddc3ea710"
OLD_SID = "0b2f6a4e-1111-4c2d-9e8f-222233334444"
QSID = "16566e0e-9ede-492c-952a-93ec53260764"
BIG = "x" * 5000


@pytest.fixture
def store(repo: Path) -> Path:
    from ctx.store.project import Project

    Project.open(repo, require_store=False).init()
    return repo


def _jsonl(path: Path, records: list[Any], tail: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail)
    return path


def _gemini_records(root: Path) -> list[Any]:
    h = hashlib.sha256(str(root).encode()).hexdigest()
    return [
        {
            "sessionId": SID,
            "projectHash": h,
            "startTime": "2026-01-05T10:00:00.000Z",
            "lastUpdated": "2026-01-05T10:00:00.000Z",
            "kind": "main",
        },
        {
            "$set": {
                "messages": [
                    {
                        "id": "ctx0",
                        "timestamp": "2026-01-05T10:00:00.001Z",
                        "type": "user",
                        "content": [{"text": "<session_context>\nlinux\n</session_context>"}],
                    }
                ],
                "lastUpdated": "2026-01-05T10:00:00.001Z",
            }
        },
        {
            "id": "u1",
            "timestamp": "2026-01-05T10:00:01.000Z",
            "type": "user",
            "content": [{"text": "List the files, please"}],
        },
        {"$set": {"lastUpdated": "2026-01-05T10:00:01.000Z"}},
        {
            "id": "g1",
            "timestamp": "2026-01-05T10:00:02.000Z",
            "type": "gemini",
            "content": "",
            "thoughts": [
                {
                    "subject": "Plan",
                    "description": "use ls",
                    "timestamp": "2026-01-05T10:00:01.500Z",
                }
            ],
            "model": "gemini-2.5-pro",
            "toolCalls": [
                {
                    "id": "call-1",
                    "name": "run_shell_command",
                    "args": {"command": "ls"},
                    "status": "success",
                    "timestamp": "2026-01-05T10:00:02.000Z",
                }
            ],
        },
        # the same message again, now with the result and tokens: it replaces the first copy
        {
            "id": "g1",
            "timestamp": "2026-01-05T10:00:02.000Z",
            "type": "gemini",
            "content": "",
            "thoughts": [
                {
                    "subject": "Plan",
                    "description": "use ls",
                    "timestamp": "2026-01-05T10:00:01.500Z",
                }
            ],
            "model": "gemini-2.5-pro",
            "tokens": {"input": 10, "output": 2, "total": 12},
            "toolCalls": [
                {
                    "id": "call-1",
                    "name": "run_shell_command",
                    "args": {"command": "ls"},
                    "status": "success",
                    "timestamp": "2026-01-05T10:00:02.000Z",
                    "result": [
                        {
                            "functionResponse": {
                                "id": "call-1",
                                "name": "run_shell_command",
                                "response": {"output": "README.md\n" + BIG},
                            }
                        }
                    ],
                },
                {
                    "id": "call-2",
                    "name": "read_file",
                    "args": {"absolute_path": "/nope"},
                    "status": "error",
                    "timestamp": "2026-01-05T10:00:02.500Z",
                    "result": [
                        {
                            "functionResponse": {
                                "id": "call-2",
                                "name": "read_file",
                                "response": {"error": "File not found"},
                            }
                        }
                    ],
                },
            ],
        },
        {
            "id": "g2",
            "timestamp": "2026-01-05T10:00:03.000Z",
            "type": "gemini",
            "content": "There is README.md.",
            "thoughts": [],
            "model": "gemini-2.5-pro",
        },
        {
            "id": "u2",
            "timestamp": "2026-01-05T10:00:04.000Z",
            "type": "user",
            "content": [{"text": "never mind"}],
        },
        {"$rewindTo": "u2"},
        {
            "id": "i1",
            "timestamp": "2026-01-05T10:00:05.000Z",
            "type": "info",
            "content": "Request cancelled.",
        },
        {"id": "w1", "timestamp": "2026-01-05T10:00:05.500Z", "type": "hologram", "content": "?"},
        {"$futureRecord": {"x": 1}},
        {"$set": {"summary": "List the repository files"}},
    ]


def _gemini_current(home: Path, root: Path, tail: str = "") -> Path:
    """0.61 layout: ~/.gemini/tmp/<slug>/chats, the slug's owner in .project_root."""
    slug = home / ".gemini" / "tmp" / "proj"
    slug.mkdir(parents=True, exist_ok=True)
    (slug / ".project_root").write_text(str(root))
    chats = slug / "chats" / f"session-2026-01-05T10-00-{SID[:8]}.jsonl"
    return _jsonl(chats, _gemini_records(root), tail)


def _gemini_old(home: Path, root: Path) -> Path:
    """Before the project registry: tmp/<sha256 of the path>, one pretty-printed JSON object."""
    h = hashlib.sha256(str(root).encode()).hexdigest()
    conv = {
        "sessionId": OLD_SID,
        "projectHash": h,
        "startTime": "2025-08-01T09:00:00.000Z",
        "lastUpdated": "2025-08-01T09:00:09.000Z",
        "messages": [
            {
                "id": "m1",
                "timestamp": "2025-08-01T09:00:01.000Z",
                "type": "user",
                "content": "What is 2+2?",
            },
            {
                "id": "m2",
                "timestamp": "2025-08-01T09:00:02.000Z",
                "type": "gemini",
                "content": "4",
                "model": "gemini-2.5-flash",
                "toolCalls": [
                    {
                        "id": "c1",
                        "name": "calc",
                        "args": {"expr": "2+2"},
                        "status": "success",
                        "resultDisplay": "4",
                    }
                ],
            },
        ],
    }
    path = home / ".gemini" / "tmp" / h / "chats" / "session-2025-08-01T09-00-0b2f6a4e.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(conv, indent=2))
    return path


def _said(turns: list[Any]) -> list[tuple[str, str]]:
    return [(t.role, t.text) for t in turns]


def test_current_gemini_file_gives_exact_turns(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    path = _gemini_current(Path.home(), root, tail='{"id": "g9", "type": "gem')
    assert find_sessions(root) == [path]
    header, turns = parse_gemini_session(path)
    assert header.tool == "gemini" and header.external_id == SID
    assert header.title == "List the repository files"
    assert header.cwd == str(root)
    assert header.started_at == "2026-01-05T10:00:00.000Z"
    assert header.meta["model"] == "gemini-2.5-pro"
    assert header.meta["rewound_messages"] == 1
    assert header.meta["truncated_tail"] is True
    assert header.meta["unknown_types"] == {"$futureRecord": 1, "message/hologram": 1}
    assert header.meta["skipped"] == 3
    assert [(t.role, t.text if len(t.text) < 100 else t.text[:30]) for t in turns] == [
        ("user", "List the files, please"),
        ("tool", "[run_shell_command] ls"),
        ("tool", "README.md\n" + "x" * 20),
        ("tool", "[read_file] /nope"),
        ("tool", "File not found"),
        ("assistant", "There is README.md."),
        ("system", "Request cancelled."),
    ]
    _, call, result, _, err, _, notice = turns
    assert header.meta["injected_context"] == 1
    assert call.meta["kind"] == "tool_use" and call.meta["tool"] == "run_shell_command"
    assert call.meta["input"] == {"command": "ls"} and call.id == "call-1"
    assert call.meta["thinking"] == "**Plan** use ls"
    assert result.meta["kind"] == "tool_result" and result.meta["truncated"] is True
    assert result.meta["bytes"] == len("README.md\n" + BIG) and len(result.text) < 2200
    assert err.meta["is_error"] is True and err.meta["tool"] == "read_file"
    assert notice.meta == {"generated": True, "level": "info"}
    assert len({t.id for t in turns}) == len(turns)


def test_old_hash_folder_and_single_object_file(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    path = _gemini_old(Path.home(), root)
    assert find_sessions(root) == [path]
    header, turns = parse_gemini_session(path)
    assert header.external_id == OLD_SID and header.meta["format"] == "json"
    assert header.meta["skipped"] == 0
    assert _said(turns) == [
        ("user", "What is 2+2?"),
        ("assistant", "4"),
        ("tool", '[calc] {"expr": "2+2"}'),
        ("tool", "4"),
    ]


def test_hostile_and_cut_off_gemini_files_never_raise(tmp_path: Path) -> None:
    cut = tmp_path / "session-2025-08-01T09-00-deadbeef.json"
    cut.write_text('{"sessionId": "x", "messages": [{"id": "m1", "type": "us')
    header, turns = parse_gemini_session(cut)
    assert turns == [] and header.meta["truncated_tail"] is True
    odd = _jsonl(
        tmp_path / "session-2026-01-01T00-00-abcdef12.jsonl",
        [
            [1, 2],
            "text",
            {"id": 5},
            {"$rewindTo": "nothing"},
            {"id": "a", "type": "user", "content": {"weird": True}},
        ],
    )
    header, turns = parse_gemini_session(odd)
    assert turns == [] and header.external_id == "abcdef12"
    assert header.meta["malformed_lines"] == [1, 2]


def test_import_gemini_all_then_again_then_one_more_message(store: Path) -> None:
    home = Path.home()
    current = _gemini_current(home, store)
    _gemini_old(home, store)
    env = dict(os.environ)
    waiting = run_ctx(store, "status", "--json", env=env).json()["agents_not_stored"]
    assert waiting["gemini"] == 2 and waiting["qwen"] == 0
    first = run_ctx(store, "import", "gemini", "--all", "--json", env=env)
    assert first.code == 0, first.err
    got = first.json()
    assert got["created"] == 2 and got["added_turns"] == 7 + 4
    again = run_ctx(store, "import", "gemini", "--all", "--json", env=env).json()
    assert again["created"] == 0 and again["added_turns"] == 0
    with open(current, "a") as fh:
        fh.write(
            json.dumps(
                {
                    "id": "g3",
                    "timestamp": "2026-01-05T11:00:00.000Z",
                    "type": "gemini",
                    "content": "One more thing.",
                }
            )
            + "\n"
        )
    more = run_ctx(store, "import", "gemini", "--session", SID, "--json", env=env).json()
    assert more["created"] == 0 and more["added_turns"] == 1
    listed = run_ctx(store, "sessions", "list", "--json", env=env).json()
    titles = {s["title"] for s in listed}
    assert "List the repository files" in titles
    status = run_ctx(store, "import", "--all-agents", "--json", env=env).json()
    assert status["files_read"]["gemini"] == 2 and status["added_turns"] == 0
    waiting = run_ctx(store, "status", "--json", env=env).json()["agents_not_stored"]
    assert waiting["gemini"] == 0


def _qwen_records(root: Path) -> list[Any]:
    base = {"sessionId": QSID, "cwd": str(root), "version": "0.24.4", "gitBranch": "main"}
    return [
        {
            **base,
            "uuid": "q1",
            "parentUuid": None,
            "timestamp": "2026-02-01T08:00:00.000Z",
            "type": "user",
            "message": {"role": "user", "parts": [{"text": "Fix the bug"}]},
        },
        {
            **base,
            "uuid": "q2",
            "parentUuid": "q1",
            "timestamp": "2026-02-01T08:00:01.000Z",
            "type": "system",
            "subtype": "ui_telemetry",
            "systemPayload": {"uiEvent": {}},
        },
        {
            **base,
            "uuid": "q3",
            "parentUuid": "q2",
            "timestamp": "2026-02-01T08:00:02.000Z",
            "type": "assistant",
            "model": "qwen3-coder-plus",
            "message": {
                "role": "model",
                "parts": [
                    {"text": "Let me look.", "thought": True},
                    {"text": "Reading the file."},
                    {
                        "functionCall": {
                            "id": "fc1",
                            "name": "read_file",
                            "args": {"absolute_path": "/repo/a.py"},
                        }
                    },
                ],
            },
        },
        {
            **base,
            "uuid": "q4",
            "parentUuid": "q3",
            "timestamp": "2026-02-01T08:00:03.000Z",
            "type": "tool_result",
            "message": {
                "role": "user",
                "parts": [
                    {
                        "functionResponse": {
                            "id": "fc1",
                            "name": "read_file",
                            "response": {"output": "print('hi')"},
                        }
                    }
                ],
            },
            "toolCallResult": {"callId": "fc1", "status": "success"},
        },
        {
            **base,
            "uuid": "q5",
            "parentUuid": "q4",
            "timestamp": "2026-02-01T08:00:04.000Z",
            "type": "assistant",
            "model": "qwen3-coder-plus",
            "message": {"role": "model", "parts": [{"text": "Fixed."}]},
        },
        {
            **base,
            "uuid": "q6",
            "parentUuid": "q5",
            "timestamp": "2026-02-01T08:00:05.000Z",
            "type": "system",
            "subtype": "custom_title",
            "systemPayload": {"customTitle": "Fix the bug in a.py", "titleSource": "auto"},
        },
        {
            **base,
            "uuid": "q7",
            "parentUuid": "q6",
            "timestamp": "2026-02-01T08:00:06.000Z",
            "type": "user",
            "subtype": "cron",
            "message": {"role": "user", "parts": [{"text": "scheduled check"}]},
        },
        {**base, "uuid": "q8", "timestamp": "2026-02-01T08:00:07.000Z", "type": "telepathy"},
        {
            **base,
            "uuid": "q9",
            "timestamp": "2026-02-01T08:00:08.000Z",
            "type": "system",
            "subtype": "brand_new",
        },
    ]


def test_qwen_file_gives_exact_turns(tmp_path: Path) -> None:
    root = tmp_path / "my proj"
    root.mkdir()
    chats = Path.home() / ".qwen" / "projects" / re.sub("[^A-Za-z0-9]", "-", str(root))
    path = _jsonl(chats / "chats" / f"{QSID}.jsonl", _qwen_records(root), 'not json\n{"uuid')
    assert qwen_sessions(root) == [path]
    header, turns = parse_qwen_session(path)
    assert header.tool == "qwen" and header.external_id == QSID
    assert header.title == "Fix the bug in a.py" and header.branch == "main"
    assert header.meta["qwen_version"] == "0.24.4" and header.meta["model"] == "qwen3-coder-plus"
    assert header.meta["unknown_types"] == {"telepathy": 1, "system/brand_new": 1}
    assert header.meta["malformed_lines"] == [10] and header.meta["truncated_tail"] is True
    assert _said(turns) == [
        ("user", "Fix the bug"),
        ("assistant", "Reading the file."),
        ("tool", "[read_file] /repo/a.py"),
        ("tool", "print('hi')"),
        ("assistant", "Fixed."),
        ("system", "scheduled check"),
    ]
    assert turns[1].meta["thinking"] == "Let me look."
    assert turns[2].meta == {
        "kind": "tool_use",
        "tool": "read_file",
        "call_id": "fc1",
        "input": {"absolute_path": "/repo/a.py"},
    }
    assert turns[3].meta == {"kind": "tool_result", "call_id": "fc1", "tool": "read_file"}
    assert turns[5].meta == {"generated": True, "subtype": "cron"}


def test_import_qwen_all_then_again(store: Path) -> None:
    chats = Path.home() / ".qwen" / "projects" / re.sub("[^A-Za-z0-9]", "-", str(store)) / "chats"
    path = _jsonl(chats / f"{QSID}.jsonl", _qwen_records(store))
    env = dict(os.environ)
    assert run_ctx(store, "status", "--json", env=env).json()["agents_not_stored"]["qwen"] == 1
    first = run_ctx(store, "import", "qwen", "--all", "--json", env=env).json()
    assert first["created"] == 1 and first["added_turns"] == 6
    assert run_ctx(store, "import", "qwen", "--all", "--json", env=env).json()["added_turns"] == 0
    with open(path, "a") as fh:
        fh.write(
            json.dumps(
                {
                    "uuid": "q10",
                    "sessionId": QSID,
                    "type": "user",
                    "timestamp": "2026-02-01T09:00:00.000Z",
                    "message": {"role": "user", "parts": [{"text": "thanks"}]},
                }
            )
            + "\n"
        )
    more = run_ctx(store, "import", "qwen", "--all", "--json", env=env).json()
    assert more["created"] == 0 and more["added_turns"] == 1
    assert run_ctx(store, "status", "--json", env=env).json()["agents_not_stored"]["qwen"] == 0


def test_hostile_registry_and_symlinks_are_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    gem = Path.home() / ".gemini"
    outside = tmp_path / "outside" / "chats"
    outside.mkdir(parents=True)
    (outside / "session-2026-01-01T00-00-aaaaaaaa.jsonl").write_text('{"sessionId": "x"}\n')
    (gem / "tmp").mkdir(parents=True)
    # a registry entry that walks out of tmp/, and a slug folder that is a symlink
    (gem / "projects.json").write_text(json.dumps({"projects": {str(root): "../../outside"}}))
    (gem / "tmp" / "proj").symlink_to(outside.parent, target_is_directory=True)
    (outside.parent / ".project_root").write_text(str(root))
    assert find_sessions(root) == []


def test_import_gemini_path_skips_the_clis_backup_files(store: Path) -> None:
    current = _gemini_current(Path.home(), store)
    backup = current.with_name(current.name + ".unreadable-1767600000000")
    backup.write_text("garbage")
    r = run_ctx(store, "import", "gemini", str(current.parent), "--json", env=dict(os.environ))
    assert r.code == 0, r.err
    got = r.json()
    assert [s["file"] for s in got["sessions"]] == [current.name] and got["added_turns"] == 7
