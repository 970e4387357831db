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


def test_one_home_with_eight_agents_one_import(tmp_path: Path) -> None:
    """Issue 18's new user: a HOME holding Claude Code, Codex, aider, Gemini CLI, Qwen Code,
    OpenCode, Copilot CLI, Cursor (editor and CLI) sessions of this repository; one
    `ctx import --all-agents` stores them all, a second adds nothing, `ctx status` agrees."""
    import re
    from collections import Counter

    from tests.adapters import cursor_cli_fixtures as cursor_cli
    from tests.adapters import test_copilot as copilot
    from tests.adapters import test_cursor as cursor
    from tests.adapters import test_gemini_qwen as gq
    from tests.adapters.opencode_fixtures import make_db
    from tests.adapters.test_opencode import _sessions

    home, repo = Path.home(), tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    assert run_ctx(repo, "init").code == 0
    _claude(home, repo)
    _codex(home, repo)
    shutil.copy(next((FIXTURES / "aider").iterdir()), repo / ".aider.chat.history.md")
    gq._gemini_current(home, repo)
    qwen = home / ".qwen" / "projects" / re.sub("[^A-Za-z0-9]", "-", str(repo)) / "chats"
    gq._jsonl(qwen / f"{gq.QSID}.jsonl", gq._qwen_records(repo))
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "opencode"
    data.mkdir(parents=True, exist_ok=True)
    make_db(data / "opencode.db", _sessions(repo, tmp_path / "other")).close()
    copilot._cli_session(home / ".copilot", "s-new", repo)
    user = home / ".config" / "Cursor" / "User"
    cursor._workspace(user, "aaa", repo.as_uri(), ["c-1"])
    cursor._global(user, {"c-1": {}})
    cursor_cli.make_chat(home / ".cursor", str(repo), "chat-1", cursor_cli.messages(str(repo)))

    agents = {"claude", "codex", "aider", "gemini", "qwen", "opencode", "copilot", "cursor"}
    waiting = run_ctx(repo, "status", "--json").json()["agents_not_stored"]
    assert {a for a, n in waiting.items() if n} == agents
    first = run_ctx(repo, "import", "--all-agents", "--json")
    assert first.code == 0, first.err
    assert {a for a, n in first.json()["files_read"].items() if n} == agents
    second = run_ctx(repo, "import", "--all-agents", "--json").json()
    assert (second["created"], second["added_turns"]) == (0, 0)
    listed = run_ctx(repo, "sessions", "list", "--json").json()
    sessions = listed if isinstance(listed, list) else listed["sessions"]
    assert set(Counter(s["tool"] for s in sessions)) == agents
    after = run_ctx(repo, "status", "--json").json()["agents_not_stored"]
    assert not any(after.values()), after
