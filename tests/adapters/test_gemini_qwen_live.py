"""The real Gemini CLI and Qwen Code under `ctx wrap`, against loopback fakes.

Gemini CLI talks to the fake Gemini API (tests/fakes/gemini_server.py), Qwen Code to the fake
OpenAI server; each writes its own chat file, which the wrap harvests: the exact prompt and the
fake reply become the session's turns, stored under the agent's own session id, and importing
the same file again adds nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ctx.capture.adapters.gemini import find_sessions as gemini_sessions
from ctx.capture.adapters.qwen import find_sessions as qwen_sessions
from tests.fakes import gemini_harness
from tests.fakes.claude_harness import require
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_server import FakeOpenAI
from tests.wrap.conftest import run_ctx, session_json

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("gemini-qwen-live")]

PROMPT = "Name the capital of Peru, in one word."
REPLY = "Lima — the fake model says so."


def _store(tmp_path: Path) -> Path:
    from ctx.store.project import Project
    from tests.conftest import init_repo

    root = init_repo(tmp_path / "proj")
    Project.open(root, require_store=False).init()
    return root


def _installed(name: str) -> None:
    require(gemini_harness.find_or_install, name)


def _said(session: dict) -> list[str]:
    return [t["text"] for t in session["turns"] if t["role"] in ("user", "assistant")]


def test_wrap_gemini_stores_prompt_and_reply_under_its_session_id(tmp_path: Path) -> None:
    _installed("gemini")
    root = _store(tmp_path)
    home = tmp_path / "home"
    with FakeGemini([REPLY]) as server:
        env = gemini_harness.gemini_env(home, server.base_url)
        r = run_ctx(root, "wrap", "--", "gemini", "-p", PROMPT, env=env)
        assert r.code == 0, r.err
        chats = server.chat_requests()
    assert chats, [q.path for q in server.requests]
    assert PROMPT in chats[0].texts()
    assert chats[0].headers.get("x-goog-api-key") == "ctx-test-fake-key"

    (path,) = gemini_sessions(root, home=home)
    # 0.61 names the project folder by a slug of its name and marks the owner
    assert path.parent.parent.name == "proj"
    assert (path.parent.parent / ".project_root").read_text().strip() == str(root)
    sid = json.loads(path.read_text().splitlines()[0])["sessionId"]

    session = session_json(root, env=env)
    assert session["tool"] == "gemini"
    assert session["external_id"] == sid
    assert session["meta"]["source"] == "gemini transcript"
    assert _said(session) == [PROMPT, REPLY]
    # the CLI's startup context (file tree, machine paths) is not a turn
    assert not any("<session_context>" in t["text"] for t in session["turns"])

    again = run_ctx(root, "import", "gemini", "--all", "--json", env=env)
    assert again.code == 0, again.err
    got = again.json()
    assert len(got["sessions"]) == 1
    assert got["created"] == 0 and got["added_turns"] == 0


def test_wrap_qwen_stores_prompt_and_reply_under_its_session_id(tmp_path: Path) -> None:
    _installed("qwen")
    root = _store(tmp_path)
    home = tmp_path / "home"
    with FakeOpenAI([REPLY]) as server:
        env = gemini_harness.qwen_env(home, server.base_url)
        r = run_ctx(root, "wrap", "--", "qwen", "-p", PROMPT, env=env)
        assert r.code == 0, r.err
        chats = server.chat_requests()
    assert chats and PROMPT in chats[0].texts()

    (path,) = qwen_sessions(root, home=home)
    session = session_json(root, env=env)
    assert session["tool"] == "qwen"
    assert session["external_id"] == path.stem
    assert session["meta"]["source"] == "qwen transcript"
    assert session["meta"]["tool_version"] == "0.24.4"
    assert _said(session) == [PROMPT, REPLY]

    again = run_ctx(root, "import", "qwen", "--all", "--json", env=env)
    assert again.code == 0, again.err
    got = again.json()
    assert len(got["sessions"]) == 1
    assert got["created"] == 0 and got["added_turns"] == 0
