"""The documented generic JSONL format (`ctx import jsonl FILE`): reading, problems, writing."""

from __future__ import annotations

import io
import json
from pathlib import Path

from ctx.capture.adapters.generic_jsonl import parse_generic_jsonl, write_generic_jsonl
from ctx.core.models import TranscriptHeader, TranscriptTurn, Turn

GOOD = [
    {
        "type": "session",
        "tool": "mytool",
        "id": "ext-42",
        "title": "JWT decision",
        "started_at": "2026-01-02T03:04:05Z",
        "ended_at": "2026-01-02T04:00:00+01:00",
        "cwd": "/src/app",
        "branch": "main",
        "command": ["mytool", "--fast"],
        "exit_status": 0,
        "meta": {"source": "test"},
    },
    {
        "type": "turn",
        "role": "user",
        "text": "Why RS256?",
        "ts": "2026-01-02T03:04:06Z",
        "id": "t1",
    },
    {"role": "assistant", "text": "Public-key verification.", "id": 7, "meta": {"model": "m"}},
    {"type": "turn", "role": "tool", "text": "ran tests"},
    {"type": "turn", "role": "system", "text": ""},
]


def _write(path: Path, lines: list[object]) -> Path:
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    return path


def test_good_file(tmp_path: Path) -> None:
    header, turns, problems = parse_generic_jsonl(_write(tmp_path / "t.jsonl", GOOD))
    assert problems == []
    assert header == TranscriptHeader(
        tool="mytool",
        external_id="ext-42",
        title="JWT decision",
        started_at="2026-01-02T03:04:05.000Z",
        ended_at="2026-01-02T03:00:00.000Z",  # normalised to UTC
        cwd="/src/app",
        branch="main",
        command=["mytool", "--fast"],
        exit_status=0,
        meta={"source": "test"},
    )
    assert turns == [
        TranscriptTurn("user", "Why RS256?", "2026-01-02T03:04:06.000Z", "t1", {}),
        TranscriptTurn("assistant", "Public-key verification.", None, "7", {"model": "m"}),
        TranscriptTurn("tool", "ran tests", None, None, {}),
        TranscriptTurn("system", "", None, None, {}),
    ]


def test_no_header_means_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.jsonl", [{"role": "user", "text": "hi"}])
    header, turns, problems = parse_generic_jsonl(path)
    assert header == TranscriptHeader(tool="jsonl")
    assert [t.text for t in turns] == ["hi"] and problems == []


def test_malformed_lines_are_reported_with_line_numbers(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "t.jsonl",
        [
            {"role": "user", "text": "kept 1"},  # 1
            "{oops",  # 2
            "[1, 2]",  # 3
            {"role": "robot", "text": "x"},  # 4
            {"role": "user"},  # 5
            {"type": "session", "tool": "late"},  # 6 header after turns
            {"type": "attachment", "role": "user", "text": "x"},  # 7
            {"role": "assistant", "text": "kept 2", "ts": "yesterday-ish", "meta": [1]},  # 8
            "",  # 9 blank lines are fine
            {"role": "user", "text": "kept 3"},  # 10
        ],
    )
    header, turns, problems = parse_generic_jsonl(path)
    assert [t.text for t in turns] == ["kept 1", "kept 2", "kept 3"]
    assert turns[1].ts is None and turns[1].meta == {}
    assert header.tool == "jsonl"
    numbers = [int(p.split(":")[0].removeprefix("line ")) for p in problems]
    assert numbers == [2, 3, 4, 5, 6, 7, 8, 8]
    assert "invalid JSON" in problems[0]
    assert "'role' must be one of user, assistant, tool, system" in problems[2]
    assert "'text' must be a string" in problems[3]
    assert "first line" in problems[4]
    assert "unknown type 'attachment'" in problems[5]
    assert all("skipped" in p for p in problems[:6])
    assert "kept without it" in problems[6] and "kept without it" in problems[7]


def test_bad_header_fields_and_truncated_tail(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    header_line = {
        "type": "session",
        "tool": "x",
        "started_at": "not a time",
        "command": "ls -l",
        "exit_status": "0",
        "meta": "nope",
        "title": {"a": 1},
    }
    path.write_text(
        json.dumps(header_line)
        + "\n"
        + json.dumps({"role": "user", "text": "ok"})
        + '\n{"role": "us'
    )
    header, turns, problems = parse_generic_jsonl(path)
    assert header.tool == "x"
    assert (header.started_at, header.command, header.exit_status, header.title) == (
        None, None, None, None,
    )  # fmt: skip
    assert header.meta == {}
    assert [t.text for t in turns] == ["ok"]
    assert len(problems) == 6
    assert problems[-1] == "line 3: incomplete last line; line skipped"


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    header, turns, _ = parse_generic_jsonl(_write(tmp_path / "t.jsonl", GOOD))
    buf = io.StringIO()
    assert write_generic_jsonl(buf, header, turns) == 5
    out = tmp_path / "out.jsonl"
    out.write_text(buf.getvalue(), encoding="utf-8")
    assert parse_generic_jsonl(out) == (header, turns, [])
    first = json.loads(buf.getvalue().splitlines()[0])
    assert first["type"] == "session" and first["id"] == "ext-42"
    second = json.loads(buf.getvalue().splitlines()[1])
    assert second == {
        "type": "turn",
        "role": "user",
        "text": "Why RS256?",
        "ts": "2026-01-02T03:04:06.000Z",
        "id": "t1",
    }


def test_write_accepts_stored_turns_and_no_header() -> None:
    buf = io.StringIO()
    stored = [Turn(n=0, role="user", text="é ünïcode", ts=None, id=None, meta={"k": 1})]
    assert write_generic_jsonl(buf, None, stored) == 1
    assert (
        buf.getvalue()
        == '{"type": "turn", "role": "user", "text": "é ünïcode", "meta": {"k": 1}}\n'
    )
