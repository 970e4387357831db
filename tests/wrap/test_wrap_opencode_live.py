"""The real OpenCode CLI (`opencode run`) against the fake chat-completions server: `ctx wrap`
stores its own transcript, and `ctx import opencode` finds the same session (no duplicate)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import opencode_harness
from tests.fakes.claude_harness import require
from tests.fakes.openai_server import FakeOpenAI
from tests.wrap.conftest import ctx_argv, run_ctx, session_json

REPLY = "The cache key is the commit hash plus the lockfile digest."
TITLE = "Cache key question"
PROMPT_WORDS = ["what", "is", "the", "cache", "key?"]


def _answer(body: Any) -> str:
    """OpenCode asks its small model for a title first (a system prompt about titles)."""
    system = json.dumps((body or {}).get("messages", [])[:1]).lower()
    return TITLE if "title" in system else REPLY


@pytest.mark.slow
@pytest.mark.xdist_group("opencode-live")
def test_wrap_opencode_run_stores_its_transcript(store: Path, tmp_path: Path) -> None:
    require(opencode_harness.find_or_install_opencode)
    home = tmp_path / "oc-home"
    with FakeOpenAI(responder=_answer) as server:
        env = opencode_harness.opencode_env(home, store, server.base_url)
        proc = subprocess.run(
            ctx_argv("wrap", "opencode", "run", *PROMPT_WORDS),
            cwd=store,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=400,
        )
        assert proc.returncode == 0, proc.stderr
        asked = [r for r in server.chat_requests() if _answer(r.body) == REPLY]
        assert asked and " ".join(PROMPT_WORDS) in asked[-1].texts()
    assert REPLY in proc.stdout
    s = session_json(store, env=env)
    assert s["tool"] == "opencode" and s["meta"]["source"] == "opencode transcript"
    assert s["external_id"].startswith("ses_")
    # `opencode run a b c` joins its words with spaces: that is the prompt OpenCode stored
    assert [(t["role"], t["text"]) for t in s["turns"]] == [
        ("user", " ".join(PROMPT_WORDS)),
        ("assistant", REPLY),
    ]
    assert s["meta"]["model"] == "fake-model"
    # the same session, found again by `ctx import opencode`: nothing new
    imp = run_ctx(store, "import", "opencode", "--all", "--json", env=env)
    assert imp.code == 0, imp.err
    assert (imp.json()["created"], imp.json()["added_turns"]) == (0, 0)
    # The OpenAI-compatible provider is bundled in the binary: npm never fetched it (OpenCode
    # does install @opencode-ai/plugin into its config directory at start-up).
    fetched = "".join(
        p.read_text(errors="ignore") for p in home.rglob("index-v5/**/*") if p.is_file()
    )
    assert "openai-compatible" not in fetched
