"""Copilot adapters on fixtures: Copilot CLI event logs shaped like the ones Copilot CLI 1.0.102
wrote in tests/wrap/test_wrap_copilot_live.py (plus tool events as public parsers of that
format describe them), and VS Code Copilot Chat sessions in both file formats (.json, and the
.jsonl operation log of newer VS Code), with drift and hostile lines."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from ctx.capture.adapters.copilot import (
    find_chat_sessions,
    find_cli_sessions,
    parse_copilot_cli_session,
    parse_vscode_chat,
)

BIG = "z" * 5000


def _ev(etype: str, data: dict[str, Any], n: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": etype,
        "data": data,
        "id": f"e{n}",
        "timestamp": f"2026-12-01T10:00:{n:02d}.000Z",
        "parentId": None,
        **extra,
    }


def _cli_session(root: Path, sid: str, cwd: Path, legacy: bool = False) -> Path:
    events = [
        _ev(
            "session.start",
            {
                "sessionId": sid,
                "copilotVersion": "1.0.102",
                "selectedModel": "gpt-4o-mini",
                "startTime": "2026-12-01T10:00:00Z",
                "context": {"cwd": str(cwd), "gitRoot": str(cwd), "branch": "main"},
            },
            0,
        ),
        _ev("user.message", {"content": "run the tests", "transformedContent": "<x>run</x>"}, 1),
        _ev("system.message", {"role": "system", "content": "You are..."}, 2),
        _ev("assistant.turn_start", {"turnId": "0"}, 3),
        _ev("assistant.reasoning", {"content": "Use the bash tool."}, 4),
        _ev(
            "assistant.message",
            {
                "content": "",
                "model": "gpt-4o-mini",
                "toolRequests": [
                    {"toolCallId": "c1", "name": "bash", "arguments": {"command": "pytest -q"}}
                ],
            },
            5,
        ),
        _ev(
            "tool.execution_start",
            {"toolCallId": "c1", "toolName": "bash", "arguments": {"command": "pytest -q"}},
            6,
        ),
        _ev(
            "tool.execution_complete",
            {"toolCallId": "c1", "success": True, "result": {"content": BIG}},
            7,
        ),
        _ev(
            "tool.execution_start",
            {"toolCallId": "c2", "toolName": "view", "arguments": {"path": "/nope"}},
            8,
        ),
        _ev(
            "tool.execution_complete",
            {
                "toolCallId": "c2",
                "success": False,
                "error": {"message": "no such file", "code": "x"},
            },
            9,
        ),
        _ev(
            "tool.execution_start", {"toolCallId": "s1", "toolName": "web_fetch"}, 10, agentId="sub"
        ),
        _ev("quantum.entangle", {}, 11),
        _ev("assistant.message", {"content": "All 12 tests pass.", "toolRequests": []}, 12),
    ]
    if legacy:
        path = root / "session-state" / f"{sid}.jsonl"
    else:
        path = root / "session-state" / sid / "events.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "workspace.yaml").write_text(f"id: {sid}\ncwd: {cwd}\nname: run the tests\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(e) for e in events]
    lines.insert(3, "{broken")
    path.write_text("\n".join(lines) + "\n" + '{"type": "assistant.mes')  # a line being written
    return path


def test_copilot_cli_session(tmp_path: Path) -> None:
    repo, other = tmp_path / "repo", tmp_path / "other"
    repo.mkdir()
    other.mkdir()
    root = tmp_path / ".copilot"
    _cli_session(root, "s-new", repo)
    _cli_session(root, "s-old", repo, legacy=True)
    _cli_session(root, "s-else", other)
    found = find_cli_sessions(str(repo), root=root)
    assert sorted(p.parent.name if p.name == "events.jsonl" else p.stem for p in found) == [
        "s-new",
        "s-old",
    ]
    for path in found:
        header, turns = parse_copilot_cli_session(path)
        assert header.tool == "copilot" and header.cwd == str(repo) and header.branch == "main"
        assert header.meta["copilot_version"] == "1.0.102" and header.meta["model"] == "gpt-4o-mini"
        assert header.meta["unknown_types"] == {"quantum.entangle": 1}
        assert header.meta["malformed_lines"] == 2 and header.meta["subagent_events"] == 1
        assert [(t.role, t.text[:20]) for t in turns] == [
            ("user", "run the tests"),
            ("tool", "[bash] pytest -q"),
            ("tool", "z" * 20),
            ("tool", "[view] /nope"),
            ("tool", "no such file"),
            ("assistant", "All 12 tests pass."),
        ]
        assert turns[1].meta["thinking"] == "Use the bash tool."
        assert turns[2].meta["truncated"] is True and turns[2].meta["bytes"] == 5000
        assert turns[4].meta == {
            "kind": "tool_result",
            "tool": "view",
            "call_id": "c2",
            "is_error": True,
        }


def _vscode(tmp_path: Path, repo: Path) -> Path:
    user = tmp_path / "Code" / "User"
    ws = user / "workspaceStorage" / "h1"
    (ws / "chatSessions").mkdir(parents=True)
    (ws / "workspace.json").write_text(json.dumps({"folder": repo.as_uri()}))
    request = {
        "requestId": "r1",
        "timestamp": 1_796_300_000_000,
        "modelId": "copilot/gpt-4.1",
        "message": {"text": "Explain the retry loop", "parts": []},
        "response": [
            {"kind": "thinking", "value": "Read retry.py."},
            {"value": "It retries ", "supportThemeIcons": False},
            {"kind": "inlineReference", "inlineReference": {"path": "/x/retry.py"}},
            {"kind": "markdownContent", "content": {"value": "three times."}},
            {
                "kind": "toolInvocationSerialized",
                "toolId": "copilot_readFile",
                "toolCallId": "t1",
                "invocationMessage": {"value": "Reading retry.py"},
                "pastTenseMessage": {"value": "Read retry.py"},
                "isComplete": True,
            },
            {"kind": "holographicDiff"},
            {"value": "With backoff."},
        ],
    }
    session = {
        "version": 3,
        "sessionId": "chat-1",
        "creationDate": 1_796_300_000_000,
        "customTitle": "Retry loop",
        "requests": [request, "junk"],
    }
    (ws / "chatSessions" / "chat-1.json").write_text(json.dumps(session))
    log = [
        {"kind": 0, "v": {**session, "sessionId": "chat-2", "requests": [], "customTitle": None}},
        {"kind": 2, "k": ["requests"], "v": [request]},
        {"kind": 1, "k": ["customTitle"], "v": "Retry (jsonl)"},
        {"kind": 1, "k": ["requests", 7, "x"], "v": 1},  # a path that does not exist
        {"kind": 9},
    ]
    (ws / "chatSessions" / "chat-2.jsonl").write_text(
        "\n".join(json.dumps(x) for x in log) + "\nnot json\n"
    )
    far = user / "workspaceStorage" / "h2"
    (far / "chatSessions").mkdir(parents=True)
    (far / "workspace.json").write_text(json.dumps({"folder": "vscode-remote://wsl+u/x"}))
    (far / "chatSessions" / "chat-3.json").write_text(json.dumps(session))
    return user


def test_vscode_copilot_chat_both_formats(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    user = _vscode(tmp_path, repo)
    chats = find_chat_sessions(str(repo), user_dirs=[user])
    assert [c.path.name for c in chats] == ["chat-1.json", "chat-2.jsonl"]
    parsed = [parse_vscode_chat(c) for c in chats]
    for (header, turns), title in zip(parsed, ["Retry loop", "Retry (jsonl)"], strict=True):
        assert header.tool == "copilot-vscode" and header.title == title
        assert header.cwd == str(repo) and header.meta["model"] == "copilot/gpt-4.1"
        assert header.meta["unknown_types"] == {"holographicDiff": 1}
        assert [(t.role, t.text) for t in turns] == [
            ("user", "Explain the retry loop"),
            ("assistant", "It retries three times."),
            ("tool", "[copilot_readFile] Read retry.py"),
            ("assistant", "With backoff."),
        ]
        assert turns[1].meta == {"thinking": "Read retry.py."}
        assert turns[0].ts == "2026-12-03T12:13:20.000Z"  # epoch ms 1796300000000
    assert parsed[0][0].external_id == "chat-1" and parsed[1][0].external_id == "chat-2"
    assert parsed[0][0].meta["malformed_records"] == 1  # the "junk" request
    assert parsed[1][0].meta["malformed_records"] == 1  # the line that is not JSON


def test_ctx_import_copilot(tmp_path: Path) -> None:
    from tests.wrap.conftest import run_ctx

    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    assert run_ctx(repo, "init").code == 0
    user = _vscode(tmp_path, repo)
    root = tmp_path / ".copilot"
    log = _cli_session(root, "s-new", repo)
    assert run_ctx(repo, "import", "copilot").code == 2
    first = run_ctx(repo, "import", "copilot", str(user), "--json")
    assert first.code == 0, first.err
    assert first.json()["created"] == 2
    one = run_ctx(repo, "import", "copilot", str(log), "--json").json()
    assert one["created"] == 1
    again = run_ctx(repo, "import", "copilot", str(root), "--json").json()
    assert (again["created"], again["added_turns"]) == (0, 0)
    tools = sorted(s["tool"] for s in run_ctx(repo, "sessions", "list", "--json").json())
    assert tools == ["copilot", "copilot-vscode", "copilot-vscode"]
