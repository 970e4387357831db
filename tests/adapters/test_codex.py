"""Codex CLI rollouts: the hand-written fixture (codex-rs schema), damage, and file discovery."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from ctx.capture.adapters.codex import codex_home, find_rollouts, parse_codex_rollout
from tests.adapters.adapters_support import FIXTURES

SESSIONS = FIXTURES / "codex" / "sessions"
(ROLLOUT,) = SESSIONS.rglob("rollout-*.jsonl")
SID = "0194b1c2-7d3e-7a10-9c4f-5e6d7c8b9a01"


def _line(kind: str, payload: dict[str, Any], ts: str = "2026-01-15T10:00:00Z") -> str:
    return json.dumps({"timestamp": ts, "type": kind, "payload": payload})


def _msg(role: str, text: str) -> str:
    kind = "output_text" if role == "assistant" else "input_text"
    return _line(
        "response_item",
        {"type": "message", "role": role, "content": [{"type": kind, "text": text}]},
    )


def test_fixture_parses_to_exact_turns() -> None:
    header, turns = parse_codex_rollout(ROLLOUT)
    assert header.tool == "codex"
    assert header.external_id == SID
    assert header.title == "Fix JWT tests after RS256 switch"
    assert header.cwd == "/home/dev/webapp"
    assert header.branch == "feature/jwt-auth"
    assert header.started_at == "2026-01-15T10:20:30.210Z"
    assert header.ended_at == "2026-01-15T10:20:47.329Z"
    assert header.meta["model"] == "gpt-5-codex"
    assert header.meta["codex_version"] == "0.65.0"
    assert header.meta["commit"] == "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"
    assert header.meta["skipped"] == 0
    # developer text, AGENTS.md and <environment_context> are not turns; nor are the
    # event_msg copies of the messages.
    assert [(t.role, t.text.splitlines()[0]) for t in turns] == [
        ("user", "Why do the JWT tests fail? We switched to RS256 last week."),
        ("tool", "[shell] bash -lc 'pytest tests/test_jwt.py -q'"),
        ("tool", "F."),
        ("tool", "[apply_patch] *** Begin Patch"),
        ("tool", "Success. Updated the following files:"),
        ("assistant", "The test still signed tokens with HS256 while the verifier only "
                      "accepts RS256. I changed the fixture to sign with the RS256 private key; "
                      "both JWT tests pass now."),
    ]  # fmt: skip
    call, output = turns[1], turns[2]
    assert call.id == "call_shell_01" and output.id == "call_shell_01:output"
    assert call.meta["thinking"] == "**Running the failing tests first**"
    assert call.meta["input"]["command"] == ["bash", "-lc", "pytest tests/test_jwt.py -q"]
    assert output.meta == {
        "kind": "tool_result",
        "call_id": "call_shell_01",
        "exit_code": 1,
        "is_error": True,
        "tool": "shell",
    }
    assert "InvalidAlgorithmError" in output.text  # the JSON wrapper was unpacked
    assert turns[5].id == "msg_0c9d8e"


def test_damaged_rollout(tmp_path: Path) -> None:
    path = tmp_path / "rollout-x.jsonl"
    big = "z" * 9000
    lines = [
        _line("session_meta", {"id": "s-1", "cwd": "/w", "cli_version": "9.9"}),
        _msg("user", "question"),
        "{broken",
        _line("brand_new_kind", {"x": 1}),
        _line("response_item", {"type": "mystery_item"}),
        _line("response_item", {"type": "function_call_output", "call_id": "c9",
                                "output": [{"type": "input_text", "text": big}]}),
        json.dumps({"type": "response_item"}),  # no payload
        _msg("assistant", "answer"),
    ]  # fmt: skip
    path.write_text("\n".join(lines) + "\n" + _msg("assistant", "partial")[:30])
    header, turns = parse_codex_rollout(path)
    assert [t.role for t in turns] == ["user", "tool", "assistant"]
    assert turns[1].meta["truncated"] is True and turns[1].meta["bytes"] == 9000
    assert turns[1].text.endswith(f"[… {9000 - 2048} bytes omitted]")
    assert header.meta["malformed_lines"] == [3, 7]
    assert header.meta["unknown_types"] == {"brand_new_kind": 1, "response_item/mystery_item": 1}
    assert header.meta["truncated_tail"] is True
    assert header.meta["skipped"] == 5


def test_event_messages_are_the_fallback(tmp_path: Path) -> None:
    path = tmp_path / "rollout-2026-01-01T00-00-00-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.jsonl"
    path.write_text(
        "\n".join(
            [
                _line("event_msg", {"type": "user_message", "message": "only events here"}),
                _line("event_msg", {"type": "agent_message", "message": "and a reply"}),
                _line("event_msg", {"type": "token_count", "info": None}),
            ]
        )
        + "\n"
    )
    header, turns = parse_codex_rollout(path)
    assert [(t.role, t.text) for t in turns] == [
        ("user", "only events here"),
        ("assistant", "and a reply"),
    ]
    assert header.external_id == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"  # from the file name


def test_legacy_typescript_rollout(tmp_path: Path) -> None:
    path = tmp_path / "rollout-legacy.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"id": "legacy-1", "timestamp": "2025-04-20T08:00:00.000Z", "instructions": ""},
                {"record_type": "state"},
                {"type": "message", "role": "user",
                 "content": [{"type": "input_text", "text": "old style"}]},
                {"type": "function_call", "name": "shell", "call_id": "c1",
                 "arguments": "{\"command\": [\"ls\"]}"},
                {"type": "function_call_output", "call_id": "c1",
                 "output": "{\"output\": \"a.txt\\n\", \"metadata\": {\"exit_code\": 0}}"},
            ]
        )
        + "\n"
    )  # fmt: skip
    header, turns = parse_codex_rollout(path)
    assert header.external_id == "legacy-1"
    assert header.started_at == "2025-04-20T08:00:00.000Z"
    assert [(t.role, t.text) for t in turns] == [
        ("user", "old style"),
        ("tool", "[shell] ls"),
        ("tool", "a.txt"),
    ]
    assert turns[2].meta["exit_code"] == 0 and "is_error" not in turns[2].meta


def _install(home: Path, day: str, name: str, meta: dict[str, Any], age: float = 0) -> Path:
    d = home / ".codex" / "sessions" / day
    d.mkdir(parents=True, exist_ok=True)
    p = d / name
    p.write_text(_line("session_meta", meta) + "\n" + _msg("user", "hi") + "\n")
    if age:
        os.utime(p, (time.time() - age, time.time() - age))
    return p


def test_find_rollouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "link").symlink_to(work)
    fixture = home / ".codex" / "sessions" / "2026" / "01" / "15" / ROLLOUT.name
    fixture.parent.mkdir(parents=True)
    shutil.copy(ROLLOUT, fixture)
    os.utime(fixture, (time.time() - 86400, time.time() - 86400))
    mine = _install(home, "2026/01/16", "rollout-b.jsonl", {"id": "b", "cwd": str(work)})
    other = _install(home, "2026/01/16", "rollout-c.jsonl", {"id": "c", "cwd": "/elsewhere"})
    _install(
        home,
        "2026/01/16",
        "rollout-d.jsonl",
        {"id": "d", "cwd": str(work), "source": {"subagent": {"thread_spawn": {"depth": 1}}}},
    )
    (home / ".codex" / "sessions" / "2026" / "01" / "16" / "notes.jsonl").write_text("{}\n")

    assert set(find_rollouts(home=home)) == {fixture, mine, other}
    assert find_rollouts(home=home)[0] == fixture  # oldest first
    assert find_rollouts(cwd=work, home=home) == [mine]
    assert find_rollouts(cwd=tmp_path / "link", home=home) == [mine]
    assert len(find_rollouts(cwd=work, home=home, include_subagents=True)) == 2
    assert find_rollouts(since=time.time() - 3600, home=home) == sorted(
        [mine, other], key=lambda p: (p.stat().st_mtime, p.name)
    )
    assert find_rollouts(until=time.time() - 3600, home=home) == [fixture]
    assert find_rollouts(home=tmp_path / "nobody") == []

    monkeypatch.setenv("CODEX_HOME", str(home / ".codex"))
    assert codex_home() == home / ".codex"
    assert set(find_rollouts()) == {fixture, mine, other}


def test_an_interrupted_turn_is_a_system_turn_and_injected_context_is_not_speech() -> None:
    (path,) = (FIXTURES / "codex-aborted").glob("*.jsonl")
    _header, turns = parse_codex_rollout(path)
    assert [(t.role, t.text.splitlines()[0]) for t in turns] == [
        ("user", "rewrite the whole test suite"),
        ("tool", "[shell] bash -lc 'ls tests'"),
        ("system", "<turn_aborted>"),  # the message copy wins over the event's
        ("user", "just the auth tests, please"),
        ("assistant", "Rewrote tests/test_auth.py."),
    ]
    assert turns[2].meta == {"generated": "interrupt"}


def test_an_aborted_event_alone_becomes_a_system_turn(tmp_path: Path) -> None:
    path = tmp_path / "rollout-2026-01-01T00-00-00-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.jsonl"
    path.write_text(
        "\n".join(
            [
                _msg("user", "do the thing"),
                _line("event_msg", {"type": "turn_aborted", "reason": "interrupted"}),
                _msg("user", "never mind"),
            ]
        )
        + "\n"
    )
    _header, turns = parse_codex_rollout(path)
    assert [(t.role, t.text) for t in turns] == [
        ("user", "do the thing"),
        ("system", "[turn aborted: interrupted]"),
        ("user", "never mind"),
    ]
    assert turns[1].meta["generated"] == "interrupt"
