"""`python -m ctx mcp` in a subprocess, driven by the official MCP SDK client over stdio."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio

from ctx.store.project import Project
from tests.mcp.conftest import error_text, mcp_session, payload


def _ctx(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "ctx", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_lists_seven_tools_with_schemas_and_annotations(project: Project) -> None:
    async def scenario() -> None:
        async with mcp_session(project.root) as s:
            assert s.initialize_result.server_info.name == "ctx"
            assert "remember" in (s.initialize_result.instructions or "")
            tools = {t.name: t for t in (await s.list_tools()).tools}
            assert sorted(tools) == sorted(
                [
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
            )
            for t in tools.values():
                assert t.description and t.input_schema["type"] == "object"
                assert t.annotations is not None and t.annotations.title
                for prop in t.input_schema["properties"].values():
                    assert prop["description"]
            assert tools["search"].input_schema["required"] == ["query"]
            assert tools["search"].input_schema["properties"]["limit"]["maximum"] == 50
            assert tools["forget"].annotations.destructive_hint is True
            assert tools["forget"].annotations.read_only_hint is False
            for name in ("search", "recall", "list_sessions", "get_session", "context"):
                assert tools[name].annotations.read_only_hint is True, name
            assert tools["remember"].annotations.destructive_hint is False

    anyio.run(scenario)


def test_happy_path_through_every_non_search_tool(project: Project) -> None:
    async def scenario() -> None:
        async with mcp_session(project.root) as s:
            mem = payload(
                await s.call_tool(
                    "remember",
                    {
                        "content": "Staging deploys go through make deploy-staging",
                        "type": "procedure",
                        "tags": ["deploy"],
                    },
                )
            )["memory"]
            assert mem["id"].startswith("m-")
            got = payload(await s.call_tool("recall", {"id": mem["id"]}))["memory"]
            assert got["content"] == "Staging deploys go through make deploy-staging"
            brief = await s.call_tool("context", {})
            assert not brief.is_error and brief.structured_content is None  # prose, no JSON
            assert f"[{mem['id']}] Staging deploys" in brief.content[0].text
            assert payload(await s.call_tool("list_sessions", {}))["total"] == 0
            gone = payload(await s.call_tool("forget", {"id": mem["id"]}))
            assert gone["forgotten"] == "memory"
            assert "no memory matches" in error_text(await s.call_tool("recall", {"id": mem["id"]}))

    anyio.run(scenario)


def test_bad_input_gives_error_results_and_the_server_keeps_running(project: Project) -> None:
    async def scenario() -> None:
        async with mcp_session(project.root) as s:
            bad = [
                ("remember", {}),
                ("remember", {"content": "x", "type": "gossip"}),
                ("recall", {"id": "m-unknown00000"}),
                ("get_session", {"id": "s-unknown00000", "limit": 10**12}),
                ("list_sessions", {"limit": "lots"}),
                ("forget", {"id": "m-unk"}),
                ("search", {"query": "x", "limit": -5, "nonsense": 1}),
                ("no_such_tool", {"a": 1}),
                ("context", {"chars": {"x": 1}}),
            ]
            for name, args in bad:
                msg = error_text(await s.call_tool(name, args))
                assert len(msg) < 400, msg
            # the unknown-id advice names the MCP tools, not CLI commands
            msg = error_text(await s.call_tool("recall", {"id": "m-unknown00000"}))
            assert "`search`" in msg
            # huge limits are clamped and said, not fatal
            big = await s.call_tool("list_sessions", {"limit": 10**9})
            assert "maximum 100" in payload(big)["notices"][0]
            # still alive and correct after all that
            assert payload(await s.call_tool("remember", {"content": "still alive"}))["memory"]

    anyio.run(scenario)


def test_no_store_is_a_tool_error_until_ctx_init(repo: Path) -> None:
    async def scenario() -> None:
        async with mcp_session(repo) as s:
            assert len((await s.list_tools()).tools) == 10  # starts without a store
            msg = error_text(await s.call_tool("context", {}))
            assert "no ctx store" in msg and "ctx init" in msg
            assert "ctx init" in error_text(await s.call_tool("remember", {"content": "x"}))
            _ctx(repo, "init")
            mem = payload(await s.call_tool("remember", {"content": "after init"}))["memory"]
            assert mem["content"] == "after init"

    anyio.run(scenario)


def test_project_option_serves_another_directory(project: Project, tmp_path: Path) -> None:
    project.add_memory("served through --project", "fact")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    async def scenario() -> None:
        async with mcp_session(elsewhere, "--project", str(project.root / "sub" / "..")) as s:
            brief = await s.call_tool("context", {})
            assert "served through --project" in brief.content[0].text

    anyio.run(scenario)


def test_concurrent_cli_writes_are_seen_without_restart(project: Project, tmp_path: Path) -> None:
    transcript = tmp_path / "t.jsonl"
    transcript.write_text(
        '{"type": "session", "tool": "aider", "id": "ext-42", "title": "Parser rewrite"}\n'
        '{"role": "user", "text": "rewrite the parser"}\n'
        '{"role": "assistant", "text": "done, with a Pratt parser"}\n'
    )

    async def scenario() -> None:
        async with mcp_session(project.root) as s:
            assert payload(await s.call_tool("list_sessions", {}))["total"] == 0
            out = _ctx(project.root, "memory", "add", "Written by the CLI meanwhile", "--json")
            import json

            mid = json.loads(out)["id"]
            _ctx(project.root, "import", "jsonl", str(transcript))
            got = payload(await s.call_tool("recall", {"id": mid}))["memory"]
            assert got["content"] == "Written by the CLI meanwhile"
            sessions = payload(await s.call_tool("list_sessions", {}))["sessions"]
            assert [x["title"] for x in sessions] == ["Parser rewrite"]
            turns = payload(await s.call_tool("get_session", {"id": sessions[0]["id"]}))["turns"]
            assert turns[1]["text"] == "done, with a Pratt parser"
            # and the CLI sees what the server wrote
            mem = payload(await s.call_tool("remember", {"content": "Written by the server"}))
            assert "Written by the server" in _ctx(
                project.root, "memory", "show", mem["memory"]["id"]
            )

    anyio.run(scenario)


def test_mistyped_arguments_absurd_since_and_a_damaged_index(project: Project) -> None:
    """Wrong types and ranges are tool errors naming the argument; an absurd `since` is a
    clear error; a damaged index is rebuilt under a live server and the hits are right."""
    kept = project.add_memory("the cache is a derived index", "fact").id

    async def scenario() -> None:
        async with mcp_session(project.root) as s:
            cases = [
                ({"query": 123}, "'query' must be a string, not integer"),
                ({"query": "x", "tags": "notalist"}, "unknown argument: tags"),
                ({"query": "x", "tag": 5}, "'tag'"),
                ({"query": "x", "tag": [1]}, "'tag[0]' must be a string"),
                ({"query": "x", "limit": -5}, "'limit' must be at least 1"),
                ({"query": "x", "limit": 0}, "'limit' must be at least 1"),
                ({"query": "x", "since": "99999999d"}, "1000 years"),
            ]
            for args, want in cases:
                msg = error_text(await s.call_tool("search", args))
                assert want in msg and "internal" not in msg, (args, msg)
            msg = error_text(await s.call_tool("remember", {"content": "x", "tags": "a"}))
            assert "'tags' must be a list of strings" in msg
            hits = payload(await s.call_tool("search", {"query": "derived", "mode": "keyword"}))
            assert [h["id"] for h in hits["hits"]] == [kept]
            db = project.layout.index_db
            size = db.stat().st_size
            with open(db, "r+b") as fh:  # garble every page after the first
                fh.seek(4096)
                fh.write(b"\xa5" * (size - 4096))
            hits = payload(await s.call_tool("search", {"query": "derived", "mode": "keyword"}))
            assert [h["id"] for h in hits["hits"]] == [kept]
        assert {m.id for m in project.list_memories()} == {kept}

    anyio.run(scenario)
