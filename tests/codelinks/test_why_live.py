"""`ctx why` and `ctx log` after a real Claude Code session (fake API) that writes a function and
commits it: the line leads to the session, the turn whose Write call wrote it, and the decision."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fakes import claude_harness as harness
from tests.fakes.anthropic_server import FakeAnthropic, Reply, ToolCall
from tests.sync.conftest import git, make_team
from tests.wrap.conftest import run_ctx

pytestmark = [pytest.mark.claude, pytest.mark.slow, pytest.mark.xdist_group("claude-live")]

CODE = "def rotate(keys):\n    return keys[1:] + keys[:1]  # oldest key goes last\n"
ASK = "Write a rotate() helper in src/keys.py that moves the oldest key last, then commit it."


def test_why_names_the_session_turn_and_decision(claude_bin: Path, tmp_path: Path) -> None:
    repo = make_team(tmp_path).clone("ada")
    (repo / "src").mkdir()
    home = tmp_path / "home"
    home.mkdir()
    target = repo / "src" / "keys.py"
    replies = [
        Reply("Writing it.", [ToolCall("Write", {"file_path": str(target), "content": CODE})]),
        Reply(
            "Committing.",
            [ToolCall("Bash", {"command": "git add src && git commit -qm 'Add rotate()'"})],
        ),
        Reply("Done: rotate() is in src/keys.py and committed."),
    ]
    with FakeAnthropic(replies=replies) as server:
        env = harness.claude_env(home, repo, server.url)
        env["PATH"] = f"{claude_bin.parent}{os.pathsep}{env['PATH']}"
        r = run_ctx(
            repo, "wrap", "--", "claude", "-p", ASK, "--allowedTools", "Write,Bash", env=env
        )
        assert r.code == 0, r.err
    assert target.read_text() == CODE
    assert "Add rotate()" in git(repo, "log", "-1", "--format=%s").stdout
    sid = run_ctx(repo, "sessions", "list", "--json", env=env).json()[0]["id"]
    mid = run_ctx(
        repo, "memory", "add", "-t", "decision", "--session", sid,
        "Rotation moves the oldest key last so verification still finds it", env=env,
    ).out.strip()  # fmt: skip

    text = run_ctx(repo, "why", "src/keys.py:2", env=env)
    assert text.code == 0, text.err
    assert f"session {sid}" in text.out
    assert "<- wrote line 2" in text.out and "[Write]" in text.out
    assert f"{mid}  [decision] Rotation moves the oldest key last" in text.out
    data = run_ctx(repo, "why", "src/keys.py:1-2", "--json", env=env).json()
    (link,) = [s for s in data["sessions"] if s["id"] == sid]
    assert any(t["wrote"] == [1, 2] for t in link["turns"])
    assert data["commits"][0]["summary"] == "Add rotate()"

    git(repo, "add", ".contextfs")
    git(repo, "commit", "-qm", "context")
    log = run_ctx(repo, "log", "src/keys.py", "--json", env=env).json()
    assert {(e["kind"], e["id"]) for e in log} >= {("session", sid), ("memory", mid)}
    assert all(e["commit"] for e in log)
    assert run_ctx(repo, "log", "README.md", "--json", env=env).json() == []
