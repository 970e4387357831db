"""The `search` tool: hits, filters and limits, in-process and over stdio with the real model."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from ctx.core.models import TranscriptHeader, TranscriptTurn
from ctx.store.project import Project
from mcp_server.tools import ProjectHandle, call_tool
from tests.mcp.conftest import mcp_session, payload, server_env


@pytest.fixture
def searchable(project: Project, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("CTX_EMBED_MODEL_PATH", str(model_dir))
    project.add_memory(
        "We sign JWTs with RS256 so the gateway verifies with the public key", "decision", ["auth"]
    )
    project.add_memory("Run the migrations with make migrate before the tests", "procedure", ["db"])
    project.add_memory("The staging database is refreshed every night", "fact", ["db"])
    turns = [
        TranscriptTurn(
            role="user", text="why is the login token rejected by the gateway?", id="t1"
        ),
        TranscriptTurn(
            role="assistant", text="The gateway only accepts RS256 signed tokens.", id="t2"
        ),
    ]
    res = project.import_session(
        TranscriptHeader(tool="claude", external_id="c1", title="login bug", branch="main"), turns
    )
    assert res.session is not None
    return project


def _search(project: Project, **args: object) -> dict:
    return call_tool(ProjectHandle(project.root), "search", args).data


def test_hits_say_where_they_come_from(searchable: Project) -> None:
    out = _search(searchable, query="RS256 gateway")
    assert out["mode"] == "hybrid" and out["count"] == len(out["hits"]) >= 2
    kinds = {h["kind"] for h in out["hits"]}
    assert kinds == {"memory", "turn"}
    mem = next(h for h in out["hits"] if h["kind"] == "memory")
    assert mem["id"].startswith("m-") and mem["type"] == "decision" and mem["tags"] == ["auth"]
    assert "«" in mem["snippet"] and mem["author"] and mem["branch"] == "main" and mem["when"]
    turn = next(h for h in out["hits"] if h["kind"] == "turn")
    assert turn["session_id"].startswith("s-") and turn["id"] == turn["session_id"]
    assert turn["turn_id"] in ("t1", "t2") and turn["turn"] in (0, 1)
    assert turn["session_title"] == "login bug" and turn["tool"] == "claude"


def test_filters_and_limits(searchable: Project) -> None:
    only_db = _search(searchable, query="database migrations", tag="db")
    assert only_db["hits"] and all("db" in h["tags"] for h in only_db["hits"])
    decisions = _search(searchable, query="tokens", type="decision")
    assert [h["type"] for h in decisions["hits"]] == ["decision"]
    turns = _search(searchable, query="gateway", kind="turn", mode="keyword")
    assert turns["mode"] == "keyword" and {h["kind"] for h in turns["hits"]} == {"turn"}
    one = _search(searchable, query="gateway", limit=1)
    assert one["count"] == 1
    huge = _search(searchable, query="gateway", limit=100_000)
    assert "maximum 50" in huge["notices"][0]
    future = _search(searchable, query="gateway", since="2099-01-01")
    assert future["hits"] == []
    assert _search(searchable, query="zzqxv nothing", mode="keyword")["count"] == 0


def test_search_over_stdio_sees_new_memories_without_restart(searchable: Project) -> None:
    async def scenario() -> None:
        async with mcp_session(searchable.root, env=server_env()) as s:
            first = payload(await s.call_tool("search", {"query": "RS256"}))
            assert first["hits"][0]["id"].startswith(("m-", "s-"))
            other = Project.open(searchable.root)  # another process writes meanwhile
            mid = other.add_memory("Feature flags live in flags.yaml", "fact").id
            again = payload(await s.call_tool("search", {"query": "where do feature flags live"}))
            assert again["hits"][0]["id"] == mid

    anyio.run(scenario)
