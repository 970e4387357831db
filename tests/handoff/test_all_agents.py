"""`ctx import --all-agents` keeps every agent's history of this repository (worktrees included),
idempotently, and `ctx status` says what is on this machine and not yet stored."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ctx.capture.adapters.claude import encode_project_dir
from tests.sync.conftest import git, make_team
from tests.wrap.conftest import run_ctx

FIXTURES = Path(__file__).resolve().parents[1] / "adapters" / "fixtures"


def _claude(home: Path, cwd: Path) -> None:
    src = next((FIXTURES / "claude").glob("*.jsonl"))
    dest = home / ".claude" / "projects" / encode_project_dir(cwd)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dest / src.name)


def _codex(home: Path, cwd: Path) -> None:
    src = next((FIXTURES / "codex").rglob("rollout-*.jsonl"))
    lines = src.read_text().splitlines()
    meta = json.loads(lines[0])
    meta["payload"]["cwd"] = str(cwd)
    dest = home / ".codex" / "sessions" / "2026" / "01" / "15" / src.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("\n".join([json.dumps(meta), *lines[1:]]) + "\n")


def test_all_agents_import_is_idempotent_and_covers_worktrees(tmp_path: Path) -> None:
    team = make_team(tmp_path)
    repo = team.clone("ada")
    linked = tmp_path / "ada-feature"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(linked))
    home = Path(os.environ["HOME"])
    _claude(home, linked)  # Claude Code was run in the linked worktree
    _codex(home, repo)
    shutil.copy(next((FIXTURES / "aider").iterdir()), repo / ".aider.chat.history.md")

    st = run_ctx(repo, "status", "--json")
    assert st.code == 0, st.err
    waiting = st.json()["agents_not_stored"]
    assert waiting["claude"] == 1 and waiting["codex"] == 1 and waiting["aider"] >= 1
    assert "ctx import --all-agents" in run_ctx(repo, "status").out

    first = run_ctx(repo, "import", "--all-agents", "--json")
    assert first.code == 0, first.err
    data = first.json()
    tools = {
        run_ctx(repo, "sessions", "show", s["session_id"], "--json").json()["tool"]
        for s in data["sessions"]
        if s["session_id"]
    }
    assert tools == {"claude", "codex", "aider"}
    assert data["created"] >= 3

    again = run_ctx(repo, "import", "--all-agents", "--json").json()
    assert again["created"] == 0 and again["added_turns"] == 0
    assert set(run_ctx(repo, "status", "--json").json()["agents_not_stored"].values()) == {0}
    text = run_ctx(repo, "import", "--all-agents").out
    assert "0 new session(s), 0 new turn(s)" in text


def test_all_agents_refuses_a_source_too(tmp_path: Path) -> None:
    repo = make_team(tmp_path).clone("bob")
    r = run_ctx(repo, "import", "claude", "--all-agents")
    assert r.code == 2 and "--all-agents takes no source" in r.err
    r = run_ctx(repo, "import")
    assert r.code == 2 and "--all-agents" in r.err


def test_titles_come_from_the_request_and_retitle_merges(tmp_path: Path) -> None:
    from tests.sync.conftest import ctx_in

    team = make_team(tmp_path)
    ada, bob = team.clone("ada"), team.clone("bob")
    src = tmp_path / "t.jsonl"
    lines = [
        {"type": "session", "tool": "terminal", "id": "x1"},
        {"type": "turn", "role": "user", "text": "ls -la"},
        {"type": "turn", "role": "assistant", "text": "README.md"},
        {"type": "turn", "role": "user", "text": "Error: Input must be provided"},
        {
            "type": "turn",
            "role": "user",
            "text": "Why does the login test fail after the RS256 switch?",
        },
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    ctx_in(ada, "import", "jsonl", str(src))
    sid = json.loads(ctx_in(ada, "sessions", "list", "--json"))[0]["id"]
    shown = json.loads(ctx_in(ada, "sessions", "show", sid, "--json"))
    assert shown["title"] == "Why does the login test fail after the RS256 switch?"
    git(ada, "add", ".contextfs")
    git(ada, "commit", "-qm", "s")
    git(ada, "push", "-q", "origin", "HEAD:main")
    git(bob, "pull", "-q")
    assert ctx_in(bob, "sessions", "retitle", sid, "Login test vs RS256").startswith(sid)
    git(bob, "add", ".contextfs")
    git(bob, "commit", "-qm", "t")
    git(bob, "push", "-q", "origin", "HEAD:main")
    git(ada, "pull", "-q", "--no-rebase")
    assert json.loads(ctx_in(ada, "sessions", "show", sid, "--json"))["title"] == (
        "Login test vs RS256"
    )
