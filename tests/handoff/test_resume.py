"""`ctx resume`: a teammate's session continued in Claude Code (the real CLI against the fake
API server) and rebuilt for Codex. The agent must receive the whole earlier conversation, and
the continuation must be stored as a new session that `continues` the original, without its
old turns."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ctx.capture.adapters import RESUME_MARKER
from ctx.capture.adapters.codex import parse_codex_rollout
from tests.conftest import git as _git
from tests.fakes import claude_harness as harness
from tests.fakes.anthropic_server import FakeAnthropic
from tests.sync.conftest import make_team
from tests.wrap.conftest import run_ctx, session_json

QUESTION = "Why did we pick RS256 for the JWT signer?"
ANSWER = "So every service verifies with the public key; only auth holds the private key."
FOLLOW_UP = "Then how do we rotate that private key?"
ROTATE = "Publish the new key in the JWKS first, then switch the signer (fake reply)."


def _env(claude_bin: Path, home: Path, project: Path, url: str) -> dict[str, str]:
    env = harness.claude_env(home, project, url)
    env["PATH"] = f"{claude_bin.parent}{os.pathsep}{env['PATH']}"
    return env


@pytest.mark.claude
@pytest.mark.slow
@pytest.mark.xdist_group("claude-live")
def test_teammate_resumes_a_wrapped_claude_session(claude_bin: Path, tmp_path: Path) -> None:
    team = make_team(tmp_path)
    ada, bob = team.clone("ada"), team.clone("bob")
    ada_home, bob_home = tmp_path / "ada-home", tmp_path / "bob-home"
    ada_home.mkdir()
    bob_home.mkdir()

    with FakeAnthropic(replies=[ANSWER]) as server:
        env = _env(claude_bin, ada_home, ada, server.url)
        r = run_ctx(ada, "wrap", "--", "claude", "-p", QUESTION, env=env)
        assert r.code == 0, r.err
    original = session_json(ada, env=env)
    assert [t["text"] for t in original["turns"]] == [QUESTION, ANSWER]
    _git(ada, "add", ".contextfs")
    _git(ada, "commit", "-qm", "context")
    _git(ada, "push", "-q", "origin", "HEAD:main")
    _git(bob, "pull", "-q")

    with FakeAnthropic(replies=[ROTATE]) as server:
        env = _env(claude_bin, bob_home, bob, server.url)
        shown = run_ctx(bob, "resume", original["id"], "--agent", "claude", "--json", env=env)
        assert shown.code == 0, shown.err
        plan = shown.json()
        assert set(plan) >= {"agent", "session_id", "path", "command"}
        assert plan["command"] == f"claude --resume {plan['session_id']}"
        assert Path(plan["path"]).is_relative_to(bob_home / ".claude" / "projects")
        r = run_ctx(
            bob, "resume", original["id"], "--agent", "claude", "--exec", "--",
            "-p", FOLLOW_UP, env=env,
        )  # fmt: skip
        assert r.code == 0, r.err
        assert ROTATE in r.out
        first = server.message_requests()[0]
    messages = json.dumps(first.body["messages"])
    for text in (QUESTION, ANSWER, FOLLOW_UP):
        assert text in messages, text

    sessions = run_ctx(bob, "sessions", "list", "--json", env=env).json()
    assert len(sessions) == 2
    cont = next(s for s in sessions if s["id"] != original["id"])
    cont = session_json(bob, cont["id"], env=env)
    assert cont["meta"]["continues"] == original["id"]
    assert [t["text"] for t in cont["turns"]] == [FOLLOW_UP, ROTATE]  # no old turn again


def _jsonl_session(tmp_path: Path) -> Path:
    src = tmp_path / "chat.jsonl"
    lines = [
        {"type": "session", "tool": "support-bot", "id": "chat-1", "title": "Key rotation"},
        {"type": "turn", "role": "user", "text": QUESTION, "id": "u1"},
        {
            "type": "turn",
            "role": "tool",
            "text": "[Read] docs/auth.md",
            "meta": {"kind": "tool_use"},
        },
        {"type": "turn", "role": "assistant", "text": ANSWER, "id": "a1"},
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return src


@pytest.mark.claude
@pytest.mark.slow
@pytest.mark.xdist_group("claude-live")
def test_an_imported_jsonl_session_continues_in_claude(claude_bin: Path, tmp_path: Path) -> None:
    team = make_team(tmp_path)
    cid = team.clone("cid")
    home = tmp_path / "home-c"
    home.mkdir()
    with FakeAnthropic(replies=[ROTATE]) as server:
        env = _env(claude_bin, home, cid, server.url)
        imp = run_ctx(cid, "import", "jsonl", str(_jsonl_session(tmp_path)), "--json", env=env)
        assert imp.code == 0, imp.err
        sid = run_ctx(cid, "sessions", "list", "--json", env=env).json()[0]["id"]
        r = run_ctx(cid, "resume", sid, "--exec", "--prompt", FOLLOW_UP, env=env)
        assert r.code == 0, r.err
        first = json.dumps(server.message_requests()[0].body["messages"])
    assert QUESTION in first and ANSWER in first and FOLLOW_UP in first
    assert "[tool call] [Read] docs/auth.md" in first  # another agent's tool call, as text
    assert "captured with support-bot" in first  # where the context comes from


def test_codex_rollout_is_rebuilt_where_codex_looks(tmp_path: Path) -> None:
    team = make_team(tmp_path)
    dee = team.clone("dee")
    env = dict(os.environ)
    imp = run_ctx(dee, "import", "jsonl", str(_jsonl_session(tmp_path)), env=env)
    assert imp.code == 0, imp.err
    sid = run_ctx(dee, "sessions", "list", "--json", env=env).json()[0]["id"]
    r = run_ctx(dee, "resume", sid, "--agent", "codex", "--json", env=env)
    assert r.code == 0, r.err
    plan = r.json()
    path = Path(plan["path"])
    home = Path(os.environ["HOME"])
    assert path.is_relative_to(home / ".codex" / "sessions")
    assert path.name.startswith("rollout-") and path.name.endswith(f"-{plan['session_id']}.jsonl")
    assert plan["command"] == f"codex resume {plan['session_id']}"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    first = json.loads(path.read_text().splitlines()[0])
    assert first["type"] == "session_meta" and first["payload"]["id"] == plan["session_id"]
    assert first["payload"]["cwd"] == str(dee.resolve())

    # Codex appends its own records to the rollout; capturing it keeps only those.
    with path.open("a") as fh:
        for role, kind, text in (
            ("user", "input_text", FOLLOW_UP),
            ("assistant", "output_text", ROTATE),
        ):
            item = {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}
            fh.write(
                json.dumps(
                    {
                        "timestamp": "2026-12-03T10:00:00.000Z",
                        "type": "response_item",
                        "payload": item,
                    }
                )
                + "\n"
            )
    header, turns = parse_codex_rollout(path)
    assert header.meta["continues"] == sid
    assert [t.text for t in turns] == [FOLLOW_UP, ROTATE]
    assert header.title == "Key rotation"
    rebuilt = [json.loads(x) for x in path.read_text().splitlines()]
    assert all(rec.get(RESUME_MARKER) == sid for rec in rebuilt[:-2])

    # Resuming the same session again reuses the file and keeps what the agent appended.
    again = run_ctx(dee, "resume", sid, "--agent", "codex", "--json", env=env).json()
    assert again["path"] == plan["path"]
    assert FOLLOW_UP in path.read_text()


def test_resume_refuses_an_unknown_agent_and_session(tmp_path: Path) -> None:
    team = make_team(tmp_path)
    eve = team.clone("eve")
    r = run_ctx(eve, "resume", "s-aaaaaaaaaaaa")
    assert r.code == 1 and "s-aaaaaaaaaaaa" in r.err
    run_ctx(eve, "import", "jsonl", str(_jsonl_session(tmp_path)))
    sid = run_ctx(eve, "sessions", "list", "--json").json()[0]["id"]
    r = run_ctx(eve, "resume", sid, "--agent", "vim")
    assert r.code == 2 and "claude, codex" in r.err


def test_mcp_resume_session_returns_the_command(tmp_path: Path) -> None:
    from mcp_server.tools import ProjectHandle, call_tool

    team = make_team(tmp_path)
    fay = team.clone("fay")
    run_ctx(fay, "import", "jsonl", str(_jsonl_session(tmp_path)))
    sid = run_ctx(fay, "sessions", "list", "--json").json()[0]["id"]
    out = call_tool(ProjectHandle(fay), "resume_session", {"id": sid, "agent": "claude"})
    assert out.data["command"] == f"claude --resume {out.data['session_id']}"
    assert Path(out.data["path"]).is_file()
    assert "claude --resume" in out.render()


@pytest.mark.slow
@pytest.mark.xdist_group("codex-live")
def test_teammate_resumes_a_wrapped_codex_session_in_codex(tmp_path: Path) -> None:
    from tests.fakes import codex_harness
    from tests.fakes.responses_server import FakeResponses

    harness.require(codex_harness.find_or_install_codex)
    team = make_team(tmp_path)
    ada, bob = team.clone("ada"), team.clone("bob")
    with FakeResponses([ANSWER]) as server:
        env = codex_harness.codex_env(tmp_path / "ada-home", server.base_url)
        r = run_ctx(ada, "wrap", "--", "codex", "exec", QUESTION, env=env)
        assert r.code == 0, r.err
    original = session_json(ada, env=env)
    assert original["tool"] == "codex"
    assert [t["text"] for t in original["turns"] if t["role"] != "tool"][-2:] == [QUESTION, ANSWER]
    _git(ada, "add", ".contextfs")
    _git(ada, "commit", "-qm", "context")
    _git(ada, "push", "-q", "origin", "HEAD:main")
    _git(bob, "pull", "-q")

    with FakeResponses([ROTATE]) as server:
        env = codex_harness.codex_env(tmp_path / "bob-home", server.base_url)
        r = run_ctx(bob, "resume", original["id"], "--exec", "--prompt", FOLLOW_UP, env=env)
        assert r.code == 0, r.err
        assert ROTATE in r.out
        (request,) = server.response_requests()
    said = [text for role, text in request.messages() if role in ("user", "assistant")]
    assert said.index(QUESTION) < said.index(ANSWER) < said.index(FOLLOW_UP)

    sessions = run_ctx(bob, "sessions", "list", "--json", env=env).json()
    cont = session_json(bob, next(s["id"] for s in sessions if s["id"] != original["id"]), env=env)
    assert cont["meta"]["continues"] == original["id"]
    assert [t["text"] for t in cont["turns"] if t["role"] in ("user", "assistant")] == [
        FOLLOW_UP,
        ROTATE,
    ]
