"""The real GitHub Copilot CLI (`copilot -p`, offline with a BYOK provider = the fake
chat-completions server): `ctx wrap` stores its session log, `ctx import copilot` adds nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fakes import opencode_harness as harness
from tests.fakes.claude_harness import require
from tests.fakes.openai_server import FakeOpenAI
from tests.wrap.conftest import ctx_argv, run_ctx, session_json

PROMPT = "Which file defines the retry policy? (ctx copilot test)"
REPLY = "The retry policy lives in net/retry.py, RETRY_BACKOFF."


@pytest.mark.slow
@pytest.mark.xdist_group("copilot-live")
def test_wrap_copilot_prompt_stores_its_session(store: Path, tmp_path: Path) -> None:
    require(harness.find_or_install_copilot)
    with FakeOpenAI(replies=[REPLY]) as server:
        env = harness.copilot_env(tmp_path / "cp-home", server.base_url)
        env["PWD"] = str(store)
        proc = subprocess.run(
            ctx_argv("wrap", "copilot", "-p", PROMPT),
            cwd=store,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        (request,) = server.chat_requests()
        assert PROMPT in request.texts()
    assert REPLY in proc.stdout
    s = session_json(store, env=env)
    assert s["tool"] == "copilot" and s["meta"]["source"] == "copilot transcript"
    assert [(t["role"], t["text"]) for t in s["turns"]] == [("user", PROMPT), ("assistant", REPLY)]
    assert s["meta"]["model"] == "gpt-4o-mini"
    imp = run_ctx(store, "import", "copilot", "--all", "--json", env=env)
    assert imp.code == 0, imp.err
    assert (imp.json()["created"], imp.json()["added_turns"]) == (0, 0)
