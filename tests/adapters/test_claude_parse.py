"""The Claude Code transcript parser on fixtures and on hand-made damaged files (no CLI needed)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from ctx.capture.adapters.claude import (
    claude_projects_dir,
    encode_project_dir,
    find_transcripts,
    parse_claude_transcript,
)
from tests.adapters.adapters_support import FIXTURES

SID = "11111111-2222-3333-4444-555555555555"


def _rec(kind: str, uuid: str, **extra: Any) -> dict[str, Any]:
    base = {
        "type": kind,
        "uuid": uuid,
        "parentUuid": None,
        "isSidechain": False,
        "sessionId": SID,
        "cwd": "/home/dev/app",
        "gitBranch": "main",
        "version": "2.1.330",
        "timestamp": "2026-03-01T10:00:00.000Z",
    }
    base.update(extra)
    return base


def _user(uuid: str, content: Any, **extra: Any) -> dict[str, Any]:
    return _rec("user", uuid, message={"role": "user", "content": content}, **extra)


def _assistant(
    uuid: str, msg_id: str, blocks: list[dict[str, Any]], model: str = "claude-test-1", **extra: Any
) -> dict[str, Any]:
    msg = {"id": msg_id, "role": "assistant", "model": model, "content": blocks}
    return _rec("assistant", uuid, message=msg, **extra)


def _write(path: Path, records: list[Any], tail: str = "") -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n" + tail)
    return path


# -- fixtures from real runs -----------------------------------------------------------------


def test_real_2_1_330_fixture() -> None:
    (path,) = (FIXTURES / "claude").glob("*.jsonl")
    header, turns = parse_claude_transcript(path)
    assert header.external_id == path.stem == "1d727a16-2895-4507-835e-cf3366ab9fd4"
    assert header.branch == "feature/auth"
    assert header.cwd == "/home/dev/project"
    assert header.meta["claude_version"] == "2.1.330"
    assert header.meta["skipped"] == 0
    assert header.meta["ignored_records"] > 10  # attachments, api-request records, ...
    assert [(t.role, t.text) for t in turns] == [
        ("user", "Why did we pick RS256 for JWT?"),
        ("assistant", "Let me look at the auth module."),
        ("tool", "[Read] /home/dev/project/auth.py"),
        ("tool", "1\tALGORITHM = 'RS256'\n2"),
        ("tool", "[Bash] git log --oneline -1"),
        ("tool", "bb7b65e init"),
        (
            "assistant",
            "We use RS256 because the public key can be shared with other services for "
            "verification without exposing the signing key.",
        ),
    ]
    assert turns[1].meta["thinking"] == "The user asks about the JWT algorithm; read auth.py."
    assert turns[3].meta["tool_use_id"] == turns[2].meta["tool_use_id"] == "toolu_fake000003"
    assert turns[1].id == "12209d24-c2cf-4b33-bbac-7d96e737890c"


def test_real_2_0_77_fixture() -> None:
    (path,) = (FIXTURES / "claude-2.0.77").glob("*.jsonl")
    header, turns = parse_claude_transcript(path)
    assert header.meta["claude_version"] == "2.0.77"
    assert header.branch is None  # 2.0.77 wrote gitBranch "" here
    assert header.meta["model"] == "claude-sonnet-4-5-20250929"
    assert [t.role for t in turns] == ["user", "assistant", "tool", "tool", "assistant"]
    assert turns[0].text == "read notes.txt please"
    assert turns[3].meta["truncated"] is True


# -- damage ----------------------------------------------------------------------------------


def test_malformed_lines_and_unknown_types_are_skipped_and_counted(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "s.jsonl",
        [
            _user("u1", "first question"),
            "{not json at all",
            "[1, 2, 3]",
            {"type": "brand-new-record", "sessionId": SID},
            {"type": "brand-new-record"},
            _rec("user", "u2", message="not an object"),
            _assistant("a1", "m1", [{"type": "text", "text": "first answer"}]),
        ],
    )
    header, turns = parse_claude_transcript(path)
    assert [t.text for t in turns] == ["first question", "first answer"]
    assert header.meta["malformed_lines"] == [2, 3, 6]
    assert header.meta["unknown_types"] == {"brand-new-record": 2}
    assert header.meta["skipped"] == 5
    assert "truncated_tail" not in header.meta


def test_file_still_being_written(tmp_path: Path) -> None:
    whole = json.dumps(_assistant("a2", "m2", [{"type": "text", "text": "half"}]))
    path = _write(
        tmp_path / "s.jsonl",
        [_user("u1", "q"), _assistant("a1", "m1", [{"type": "text", "text": "a"}])],
        tail=whole[: len(whole) // 2],
    )
    header, turns = parse_claude_transcript(path)
    assert [t.text for t in turns] == ["q", "a"]
    assert header.meta["truncated_tail"] is True
    assert "malformed_lines" not in header.meta


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    header, turns = parse_claude_transcript(path)
    assert turns == []
    assert header.external_id == "empty"
    assert header.started_at is None


# -- assistant records ---------------------------------------------------------------------


def test_records_of_one_message_are_merged(tmp_path: Path) -> None:
    """Claude Code writes one record per content block, all with the same message.id."""
    path = _write(
        tmp_path / "s.jsonl",
        [
            _user("u1", "do it"),
            _assistant("a1", "msg_1", [{"type": "thinking", "thinking": "plan", "signature": "x"}]),
            _assistant("a2", "msg_1", [{"type": "text", "text": "Part one."}]),
            _assistant("a3", "msg_1", [{"type": "text", "text": "Part two."}]),
            _assistant("a4", "msg_1", [{"type": "tool_use", "id": "t1", "name": "Bash",
                                       "input": {"command": "ls"}}]),
        ],
    )  # fmt: skip
    _, turns = parse_claude_transcript(path)
    assert [(t.role, t.text) for t in turns] == [
        ("user", "do it"),
        ("assistant", "Part one.\n\nPart two."),
        ("tool", "[Bash] ls"),
    ]
    assert turns[1].id == "a2"
    assert turns[1].meta["thinking"] == "plan"
    assert turns[2].meta == {
        "kind": "tool_use",
        "tool": "Bash",
        "tool_use_id": "t1",
        "input": {"command": "ls"},
        "message_id": "msg_1",
    }


def test_duplicate_and_growing_records_collapse(tmp_path: Path) -> None:
    same = _assistant("a1", "msg_1", [{"type": "text", "text": "Hello world"}])
    path = _write(
        tmp_path / "s.jsonl",
        [
            _user("u1", "hi"),
            _assistant("a0", "msg_1", [{"type": "text", "text": "Hello"}]),  # streamed snapshot
            same,
            same,  # the very same record twice (e.g. a resumed session copied it)
            _assistant("a9", "msg_1", [{"type": "text", "text": "Hello world"}]),  # same block
        ],
    )
    header, turns = parse_claude_transcript(path)
    assert [(t.role, t.text) for t in turns] == [("user", "hi"), ("assistant", "Hello world")]
    assert header.meta["duplicate_records"] == 2


def test_large_tool_result_is_clipped(tmp_path: Path) -> None:
    big = "".join(f"row {i:05d} " + "x" * 40 + "\n" for i in range(400))  # ~20 KB
    path = _write(
        tmp_path / "s.jsonl",
        [
            _assistant("a1", "m1", [{"type": "tool_use", "id": "t1", "name": "Read",
                                     "input": {"file_path": "/x/big.txt"}}]),
            _user("u2", [{"type": "tool_result", "tool_use_id": "t1",
                          "content": [{"type": "text", "text": big}]}]),
            _user("u3", [{"type": "tool_result", "tool_use_id": "t1", "content": "boom",
                          "is_error": True}]),
        ],
    )  # fmt: skip
    _, turns = parse_claude_transcript(path)
    result = turns[1]
    assert result.role == "tool"
    assert result.text.startswith("row 00000 ")
    kept = result.text.split("\n[… ")[0]
    assert len(kept.encode()) == 2048
    omitted = len(big.rstrip().encode()) - 2048
    assert result.text.endswith(f"[… {omitted} bytes omitted]")
    assert result.meta["bytes"] == len(big.rstrip().encode())
    assert result.meta["tool"] == "Read" and result.meta["truncated"] is True
    assert turns[2].meta["is_error"] is True and turns[2].text == "boom"


def test_long_tool_input_is_clipped_in_meta(tmp_path: Path) -> None:
    content = "y" * 5000
    path = _write(
        tmp_path / "s.jsonl",
        [_assistant("a1", "m1", [{"type": "tool_use", "id": "t1", "name": "Write",
                                  "input": {"file_path": "/x/f.py", "content": content}}])],
    )  # fmt: skip
    (turn,) = parse_claude_transcript(path)[1]
    assert turn.text == "[Write] /x/f.py"
    assert turn.meta["input"]["file_path"] == "/x/f.py"
    assert turn.meta["input"]["content"].startswith("y" * 1000 + "[… 4000 chars omitted]")


# -- user and other records -----------------------------------------------------------------


def test_sidechain_meta_commands_compaction_and_titles(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "s.jsonl",
        [
            {"type": "summary", "summary": "Old summary", "leafUuid": "x"},
            _user("u0", "Caveat: injected", isMeta=True),
            _user("u1", "real question"),
            _user("s1", "subagent prompt", isSidechain=True),
            _assistant("s2", "ms", [{"type": "text", "text": "subagent answer"}], isSidechain=True),
            _user("u2", "<command-name>/model</command-name>\n<command-args></command-args>"),
            _user("u3", "This session is being continued...", isCompactSummary=True),
            _user("u4", [{"type": "text", "text": "look"}, {"type": "image", "source": {}}]),
            _rec("system", "y1", content="Conversation compacted", subtype="compact_boundary"),
            _rec("system", "y2", subtype="turn_duration", durationMs=5),
            {"type": "ai-title", "aiTitle": "AI title", "sessionId": SID},
            {"type": "custom-title", "customTitle": "My title", "sessionId": SID},
        ],
    )
    header, turns = parse_claude_transcript(path)
    assert header.title == "My title"
    assert header.meta["sidechain_records"] == 2
    assert [(t.role, t.text) for t in turns] == [
        ("user", "real question"),
        ("system", "<command-name>/model</command-name>\n<command-args></command-args>"),
        ("system", "This session is being continued..."),
        ("user", "look\n[image]"),
        ("system", "Conversation compacted"),
    ]
    assert turns[1].meta == {"command": True, "generated": "command"}
    assert turns[2].meta == {"compact_summary": True, "generated": "compact_summary"}
    assert turns[4].meta == {"subtype": "compact_boundary"}


def test_header_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path / f"{SID}.jsonl",
        [
            _user("u1", "q", timestamp="2026-03-01T10:00:05.000Z", gitBranch="HEAD"),
            _user("u2", "q2", timestamp="2026-03-01T09:59:00+00:00", gitBranch="dev"),
            _assistant("a1", "m1", [{"type": "text", "text": "a"}],
                       timestamp="2026-03-01T10:01:00Z"),
            _assistant("a2", "m2", [{"type": "text", "text": "b"}], model="other-model"),
        ],
    )  # fmt: skip
    header, _ = parse_claude_transcript(path)
    assert header.external_id == SID
    assert header.branch == "dev"  # "HEAD" means no branch
    assert header.started_at == "2026-03-01T09:59:00.000Z"
    assert header.ended_at == "2026-03-01T10:01:00.000Z"
    assert header.meta["model"] == "claude-test-1"
    assert header.meta["models"] == ["claude-test-1", "other-model"]


# -- locating transcripts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cwd", "expected"),
    [
        ("/home/dev/app", "-home-dev-app"),
        ("/tmp/x/a.b_c d-é", "-tmp-x-a-b-c-d--"),
        ("/srv/😀", "-srv---"),  # an emoji is two UTF-16 code units
        # Observed from Claude Code 2.1.330 for a 245-character path: cut to 200 + djb2 hash.
        (
            "/tmp/ccproj5ukz1qtn/" + "x" * 120 + "/y😀z" + "w" * 100,
            "-tmp-ccproj5ukz1qtn-" + "x" * 120 + "-y--z" + "w" * 55 + "-cupwnf",
        ),
    ],
)
def test_encode_project_dir(cwd: str, expected: str) -> None:
    assert encode_project_dir(cwd) == expected


def test_claude_projects_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert claude_projects_dir(tmp_path) == tmp_path / ".claude" / "projects"
    assert claude_projects_dir() == Path(os.environ["HOME"]) / ".claude" / "projects"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "cfg"))
    assert claude_projects_dir() == tmp_path / "cfg" / "projects"


def test_find_transcripts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    project = tmp_path / "work" / "proj"
    project.mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(project)
    d = claude_projects_dir(home) / encode_project_dir(project)
    d.mkdir(parents=True)
    (fixture,) = (FIXTURES / "claude").glob("*.jsonl")
    old = shutil.copy(fixture, d / "aaaa.jsonl")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    new = Path(shutil.copy(fixture, d / "bbbb.jsonl"))
    shutil.copy(fixture, d / "agent-1234.jsonl")  # subagent file: not a session
    (d / "memory").mkdir()
    other = claude_projects_dir(home) / encode_project_dir(tmp_path / "other")
    other.mkdir()
    shutil.copy(fixture, other / "cccc.jsonl")

    assert find_transcripts(project, home=home) == [Path(old), new]
    assert find_transcripts(link, home=home) == [Path(old), new]  # symlinks resolved
    assert find_transcripts(project, since=time.time() - 60, home=home) == [new]
    assert find_transcripts(project, until=time.time() - 3600, home=home) == [Path(old)]
    assert find_transcripts(tmp_path / "nowhere", home=home) == []


def test_find_transcripts_long_path_with_other_hash(tmp_path: Path) -> None:
    """A build that hashes differently still matches on the 200-character prefix."""
    home = tmp_path / "home"
    project = tmp_path / ("p" * 230)
    enc = encode_project_dir(project)
    d = claude_projects_dir(home) / (enc[:200] + "-zzzzzz")
    d.mkdir(parents=True)
    (d / "s.jsonl").write_text("")
    assert find_transcripts(project, home=home) == [d / "s.jsonl"]


def test_text_claude_code_generated_is_not_stored_as_speech() -> None:
    """Interrupt notices, slash-command wrappers and `<synthetic>` replies (never shown as a
    reply, never sent by a model) are system turns; what the user and the model said stays."""
    (path,) = (FIXTURES / "claude-synthetic").glob("*.jsonl")
    header, turns = parse_claude_transcript(path)
    said = [(t.role, t.text) for t in turns if t.role in ("user", "assistant")]
    assert said == [
        ("user", "Refactor the auth module"),
        ("user", "actually, just explain the module"),
        ("assistant", "The auth module signs tokens with RS256."),
        ("user", "and the refresh tokens?"),
        ("user", "thanks"),
        ("assistant", "You're welcome."),
    ]
    generated = [(t.meta.get("generated"), t.text[:30]) for t in turns if t.role == "system"]
    assert generated == [
        ("interrupt", "[Request interrupted by user f"),
        ("interrupt", "[Request interrupted by user]"),
        ("command", "Caveat: The messages below wer"),
        ("command", "<command-name>/model</command-"),
        ("command", "<local-command-stdout>Set mode"),
        ("synthetic", "No response requested."),
        ("synthetic", 'API Error: 500 {"type":"error"'),
    ]
    assert [t.meta.get("api_error") for t in turns if t.meta.get("generated") == "synthetic"] == [
        None,
        True,
    ]
    assert header.meta["model"] == "claude-opus-5-5"  # not "<synthetic>"
    assert "models" not in header.meta
