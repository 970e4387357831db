"""`ctx resume` into the real Gemini CLI 0.61.0 (against the fake Gemini API) and Qwen Code 0.24.4
(against the fake OpenAI server): the rebuilt chat
lands where `gemini --resume <id>` finds it, the first request after the resume carries the
earlier turns, and the captured continuation is a new session linked by `continues`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ctx.capture.adapters import RESUME_MARKER
from ctx.capture.adapters.gemini import find_sessions, parse_gemini_session
from tests.conftest import git as _git
from tests.fakes import gemini_harness
from tests.fakes.claude_harness import require
from tests.fakes.gemini_server import FakeGemini
from tests.sync.conftest import make_team
from tests.wrap.conftest import run_ctx, session_json

QUESTION = "Which port does the staging proxy listen on?"
ANSWER = "Port 8443, set in deploy/proxy.toml."
FOLLOW_UP = "And how do we rotate its certificate?"
ROTATE = "Run scripts/rotate-cert.sh, then reload the proxy."


@pytest.mark.slow
@pytest.mark.xdist_group("gemini-qwen-live")
def test_teammate_resumes_a_wrapped_gemini_session_in_gemini(tmp_path: Path) -> None:
    require(gemini_harness.find_or_install, "gemini")
    team = make_team(tmp_path)
    ada, bob = team.clone("ada"), team.clone("bob")
    with FakeGemini([ANSWER]) as server:
        env = gemini_harness.gemini_env(tmp_path / "ada-home", server.base_url)
        r = run_ctx(ada, "wrap", "--", "gemini", "-p", QUESTION, env=env)
        assert r.code == 0, r.err
    original = session_json(ada, env=env)
    assert original["tool"] == "gemini"
    said = [t["text"] for t in original["turns"] if t["role"] in ("user", "assistant")]
    assert said == [QUESTION, ANSWER]
    _git(ada, "add", ".contextfs")
    _git(ada, "commit", "-qm", "context")
    _git(ada, "push", "-q", "origin", "HEAD:main")
    _git(bob, "pull", "-q")

    bob_home = tmp_path / "bob-home"
    with FakeGemini([ROTATE]) as server:
        env = gemini_harness.gemini_env(bob_home, server.base_url)
        plan = run_ctx(bob, "resume", original["id"], "--agent", "gemini", "--json", env=env)
        assert plan.code == 0, plan.err
        built = plan.json()
        assert built["command"] == f"gemini --resume {built['session_id']}"
        path = Path(built["path"])
        assert path in find_sessions(bob, home=bob_home)
        assert (path.parent.parent / ".project_root").read_text() == str(bob.resolve())
        r = run_ctx(bob, "resume", original["id"], "--exec", "--prompt", FOLLOW_UP, env=env)
        assert r.code == 0, r.err
        assert ROTATE in r.out
        (request,) = server.chat_requests()
    texts = [
        p["text"]
        for c in request.contents()
        for p in c.get("parts", [])
        if isinstance(p, dict) and isinstance(p.get("text"), str)
    ]
    roles = [c.get("role") for c in request.contents()]
    pos = [
        next(i for i, t in enumerate(texts) if want in t) for want in (QUESTION, ANSWER, FOLLOW_UP)
    ]
    assert pos == sorted(pos), texts
    assert "model" in roles

    # the CLI appended its own records to the rebuilt file; capturing keeps only those
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert sum(1 for rec in records if RESUME_MARKER in rec) == 2
    header, turns = parse_gemini_session(path)
    assert header.meta["continues"] == original["id"]
    assert [t.text for t in turns if t.role in ("user", "assistant")] == [FOLLOW_UP, ROTATE]
    sessions = run_ctx(bob, "sessions", "list", "--json", env=env).json()
    cont = session_json(bob, next(s["id"] for s in sessions if s["id"] != original["id"]), env=env)
    assert cont["meta"]["continues"] == original["id"]
    assert [t["text"] for t in cont["turns"] if t["role"] in ("user", "assistant")] == [
        FOLLOW_UP,
        ROTATE,
    ]


@pytest.mark.slow
@pytest.mark.xdist_group("gemini-qwen-live")
def test_a_wrapped_qwen_session_continues_in_qwen(tmp_path: Path) -> None:
    from ctx.capture.adapters.qwen import parse_qwen_session
    from tests.fakes.openai_server import FakeOpenAI

    require(gemini_harness.find_or_install, "qwen")
    root = make_team(tmp_path).clone("cy")
    home = tmp_path / "qwen-home"
    with FakeOpenAI([ANSWER]) as server:
        env = gemini_harness.qwen_env(home, server.base_url)
        r = run_ctx(root, "wrap", "--", "qwen", "-p", QUESTION, env=env)
        assert r.code == 0, r.err
    original = session_json(root, env=env)
    assert original["tool"] == "qwen"
    with FakeOpenAI([ROTATE]) as server:
        env = gemini_harness.qwen_env(home, server.base_url)
        r = run_ctx(root, "resume", original["id"], "--exec", "--prompt", FOLLOW_UP, env=env)
        assert r.code == 0, r.err
        assert ROTATE in r.out
        first = server.chat_requests()[0]
    said = first.texts()
    assert said.index(QUESTION) < said.index(ANSWER) < said.index(FOLLOW_UP)
    plan = run_ctx(root, "resume", original["id"], "--json", env=env).json()
    assert plan["agent"] == "qwen" and plan["command"] == f"qwen --resume {plan['session_id']}"
    header, turns = parse_qwen_session(plan["path"])
    assert header.meta["continues"] == original["id"]
    assert [t.text for t in turns if t.role in ("user", "assistant")] == [FOLLOW_UP, ROTATE]
    sessions = run_ctx(root, "sessions", "list", "--json", env=env).json()
    cont = session_json(root, next(s["id"] for s in sessions if s["id"] != original["id"]), env=env)
    assert cont["meta"]["continues"] == original["id"]
    assert [t["text"] for t in cont["turns"] if t["role"] in ("user", "assistant")] == [
        FOLLOW_UP,
        ROTATE,
    ]
