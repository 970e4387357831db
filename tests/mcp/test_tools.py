"""The MCP tools' behaviour, called in-process through the same dispatcher the server uses.

Fast and thorough on arguments and results; tests/mcp/test_stdio.py checks the same tools
through the real SDK client over stdio.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ctx.core.errors import CtxError
from ctx.core.models import TranscriptHeader, TranscriptTurn
from ctx.store.project import Project
from mcp_server import schemas
from mcp_server.tools import ProjectHandle, call_tool


def _call(handle: ProjectHandle, name: str, args: object) -> dict:
    return call_tool(handle, name, args).data


def _err(handle: ProjectHandle, name: str, args: object) -> CtxError:
    with pytest.raises(CtxError) as info:
        call_tool(handle, name, args)
    return info.value


def _session(project: Project, n_turns: int, text: str = "turn", **header: object) -> str:
    turns = [
        TranscriptTurn(role="user" if i % 2 == 0 else "assistant", text=f"{text} {i}", id=f"u{i}")
        for i in range(n_turns)
    ]
    h = TranscriptHeader(tool=str(header.pop("tool", "claude")), **header)  # type: ignore[arg-type]
    res = project.import_session(h, turns)
    assert res.session is not None
    return res.session.id


def test_every_schema_is_a_closed_object_with_described_parameters() -> None:
    assert [t.name for t in schemas.TOOLS] == [
        "search",
        "remember",
        "recall",
        "list_sessions",
        "get_session",
        "context",
        "forget",
        "resume_session",
        "why",
        "log",
    ]
    for tool in schemas.TOOLS:
        s = tool.input_schema
        assert s["type"] == "object" and s["additionalProperties"] is False
        assert len(tool.description) > 80
        for name, prop in s["properties"].items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
    assert schemas.FORGET.annotations["destructiveHint"] is True
    assert schemas.SEARCH.annotations["readOnlyHint"] is True
    assert schemas.REMEMBER.annotations == {
        "title": "Remember for this project",
        "readOnlyHint": False,
        "openWorldHint": False,
        "destructiveHint": False,
        "idempotentHint": False,
    }


def test_remember_recall_and_forget(project: Project) -> None:
    h = ProjectHandle(project.root)
    sid = _session(project, 4, external_id="ext-1", title="auth work")
    m = _call(
        h,
        "remember",
        {
            "content": "We sign JWTs with RS256",
            "type": "decision",
            "tags": ["auth", "jwt"],
            "source_session": sid[:6],
            "source_turn": "3",  # models send numbers as strings: accepted
        },
    )["memory"]
    assert m["id"].startswith("m-") and m["type"] == "decision" and m["tags"] == ["auth", "jwt"]
    assert m["source_session"] == sid and m["source_turn"] == 3
    assert m["branch"] == "main" and m["author"].startswith("Test User")
    got = _call(h, "recall", {"id": m["id"][:6]})["memory"]
    assert got["content"] == "We sign JWTs with RS256" and got["id"] == m["id"]
    # forget needs the full id: a prefix deletes nothing
    err = _err(h, "forget", {"id": m["id"][:6]})
    assert "prefix" in err.message and Project.open(project.root).get_memory(m["id"])
    done = _call(h, "forget", {"id": m["id"]})
    assert done == {"forgotten": "memory", "id": m["id"], "note": done["note"]}
    assert "git history" in done["note"]
    assert _err(h, "recall", {"id": m["id"]}).code == "not_found"
    assert _call(h, "forget", {"id": sid})["forgotten"] == "session"
    assert _err(h, "get_session", {"id": sid}).code == "not_found"


def test_remember_redacts_secrets_and_refuses_one_string_as_tags(project: Project) -> None:
    h = ProjectHandle(project.root)
    key = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    err = _err(h, "remember", {"content": "x", "tags": "deploy"})
    assert "'tags' must be a list of strings, not string" in err.message
    assert project.list_memories() == []
    m = _call(h, "remember", {"content": f"deploy token is {key}", "tags": ["deploy"]})["memory"]
    assert key not in m["content"] and m["tags"] == ["deploy"] and m["type"] == "fact"


def test_list_sessions_pages_and_filters(project: Project) -> None:
    h = ProjectHandle(project.root)
    ids = [
        _session(
            project,
            2,
            external_id=f"e{i}",
            started_at=f"2026-01-{i + 1:02d}T10:00:00Z",
            tool="aider" if i == 0 else "claude",
            branch="feat" if i < 2 else "main",
        )
        for i in range(5)
    ]
    page = _call(h, "list_sessions", {"limit": 2})
    assert page["total"] == 5 and page["count"] == 2 and page["next_offset"] == 2
    assert [s["id"] for s in page["sessions"]] == [ids[4], ids[3]]  # newest first
    last = _call(h, "list_sessions", {"limit": 2, "offset": 4})
    assert [s["id"] for s in last["sessions"]] == [ids[0]] and last["next_offset"] is None
    assert set(page["sessions"][0]) >= {"id", "tool", "title", "started_at", "turn_count", "branch"}
    assert _call(h, "list_sessions", {"tool": "aider"})["total"] == 1
    assert _call(h, "list_sessions", {"branch": "feat"})["total"] == 2
    assert _call(h, "list_sessions", {"since": "2026-01-04"})["total"] == 2
    huge = _call(h, "list_sessions", {"limit": 10_000_000})
    assert huge["count"] == 5 and "maximum 100" in huge["notices"][0]


def test_get_session_pages_long_sessions_and_cuts_huge_turns(project: Project) -> None:
    h = ProjectHandle(project.root)
    sid = _session(project, 120, external_id="long")
    first = _call(h, "get_session", {"id": sid})
    assert first["turn_count"] == 120 and len(first["turns"]) == 50
    assert first["turns"][0] == {"n": 0, "role": "user", "id": "u0", "text": "turn 0"}
    assert first["next_start"] == 50 and first["session"]["id"] == sid
    tail = _call(h, "get_session", {"id": sid, "start": -10})
    assert [t["n"] for t in tail["turns"]] == list(range(110, 120)) and tail["next_start"] is None
    mid = _call(h, "get_session", {"id": sid, "start": 100, "limit": 5})
    assert [t["n"] for t in mid["turns"]] == [100, 101, 102, 103, 104] and mid["next_start"] == 105
    past = _call(h, "get_session", {"id": sid, "start": 500})
    assert past["turns"] == [] and "past the last turn" in past["notice"]

    big = _session(project, 10, text="x" * 100_000, external_id="big")
    got = _call(h, "get_session", {"id": big, "max_chars": 5000})
    total = sum(len(t["text"]) for t in got["turns"])
    assert got["turns"][0]["truncated"] is True and got["turns"][0]["chars"] == 100_002
    assert total <= 5000 and got["next_start"] == len(got["turns"]) == 4
    assert len(json.dumps(got)) < 8000


def test_context_tool_is_the_brief(project: Project) -> None:
    h = ProjectHandle(project.root)
    project.add_memory("Use pnpm, not npm", "preference")
    out = call_tool(h, "context", {"chars": 1000})
    assert "Use pnpm, not npm" in out.render() and out.render() == out.data["text"]
    assert len(out.data["text"]) <= 1000 and out.data["items"][0]["kind"] == "memory"
    tiny = call_tool(h, "context", {"chars": 5})  # clamped to the minimum, said so
    assert len(tiny.data["text"]) <= 200 and "minimum 200" in tiny.render()


@pytest.mark.parametrize(
    ("name", "args", "needle"),
    [
        ("remember", {}, "missing required argument: content"),
        ("remember", {"content": "   "}, "'content' must not be empty"),
        ("remember", {"content": "x", "type": "rumour"}, "'type' must be one of"),
        ("remember", {"content": "x", "tags": ["two words"]}, "invalid tag"),
        ("remember", {"content": "x", "source_turn": 3}, "needs --session"),
        ("remember", {"content": "x", "colour": "red"}, "unknown argument: colour"),
        ("remember", {"content": ["a"]}, "'content' must be a string, not array"),
        ("remember", {"content": "x", "source_session": "s-nope"}, "no session matches"),
        ("recall", {"id": "m-doesnotexist"}, "no memory matches"),
        ("recall", {"id": "s-abc"}, "is a session id"),
        ("recall", "m-123", "arguments must be an object"),
        ("get_session", {"id": "s-nothing"}, "no session matches"),
        ("get_session", {"id": "s-x", "limit": "many"}, "'limit' must be an integer"),
        ("list_sessions", {"since": "last tuesday-ish"}, "cannot read 'since' value"),
        ("list_sessions", {"offset": -1}, "'offset' must be at least 0"),
        ("forget", {"id": "hello"}, "not a memory (m-...) or session (s-...) id"),
        ("forget", {"id": "m-nothinghere1"}, "no memory matches"),
        ("context", {"chars": True}, "'chars' must be an integer"),
        ("search", {"query": ""}, "missing required argument: query"),
        ("search", {"query": "x", "mode": "fuzzy"}, "'mode' must be one of"),
        ("search", {"query": "x", "type": ["fact", "gossip"]}, "type"),
        ("teleport", {}, "unknown tool 'teleport'"),
    ],
)
def test_bad_arguments_are_clear_errors(
    project: Project, name: str, args: object, needle: str
) -> None:
    err = _err(ProjectHandle(project.root), name, args)
    assert needle in str(err), str(err)


def test_no_store_then_init_without_restart(repo: Path) -> None:
    h = ProjectHandle(repo)
    err = _err(h, "context", {})
    assert err.code == "no_store" and "ctx init" in err.advice
    Project.open(repo, require_store=False).init()
    assert "No memories or sessions" in _call(h, "context", {})["text"]


def test_outside_a_repository_is_an_error_not_a_crash(tmp_path: Path) -> None:
    err = _err(ProjectHandle(tmp_path), "list_sessions", {})
    assert err.code == "no_repo"


def test_writes_by_another_process_are_seen(project: Project) -> None:
    h = ProjectHandle(project.root)
    assert _call(h, "list_sessions", {})["total"] == 0
    other = Project.open(project.root)  # another writer, e.g. the CLI
    mid = other.add_memory("Seen without a restart", "fact").id
    _session(other, 2, external_id="later")
    assert _call(h, "recall", {"id": mid})["memory"]["content"] == "Seen without a restart"
    assert _call(h, "list_sessions", {})["total"] == 1
