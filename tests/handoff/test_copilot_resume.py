"""`ctx resume --agent copilot` into the real GitHub Copilot CLI 1.0.102 (offline, BYOK = the
fake chat-completions server): the rebuilt session log is one `copilot --resume=<id>` takes,
the first request after the resume carries the earlier turns, and the continuation captured
under `ctx wrap` is a new session that `continues` the original, without its old turns."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ctx.capture.adapters import RESUME_MARKER
from ctx.capture.adapters.copilot import find_cli_sessions, parse_copilot_cli_session
from tests.fakes import opencode_harness as harness
from tests.fakes.openai_server import FakeOpenAI
from tests.sync.conftest import make_team
from tests.wrap.conftest import ctx_argv, run_ctx, session_json

QUESTION = "Which port does the staging proxy listen on?"
ANSWER = "Port 8443, set in deploy/proxy.toml."
FOLLOW_UP = "And how do we rotate its certificate?"
ROTATE = "Run scripts/rotate-cert.sh, then reload the proxy."


@pytest.mark.slow
@pytest.mark.xdist_group("copilot-live")
def test_an_aider_session_continues_in_copilot(tmp_path: Path) -> None:
    try:
        harness.find_or_install_copilot()
    except harness.OpenCodeNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    root = make_team(tmp_path).clone("ada")
    src = tmp_path / "s.jsonl"
    lines = [
        {"type": "session", "tool": "aider", "id": "a1", "title": 'Proxy "ports"'},
        {"type": "turn", "role": "user", "text": QUESTION, "ts": "2026-01-05T10:00:00Z"},
        {"type": "turn", "role": "assistant", "text": ANSWER, "ts": "2026-01-05T10:00:09Z"},
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert run_ctx(root, "import", "jsonl", str(src)).code == 0
    original = session_json(root)
    home = tmp_path / "cp-home"

    with FakeOpenAI(replies=[ROTATE]) as server:
        env = harness.copilot_env(home, server.base_url)
        env["PWD"] = str(root)
        shown = run_ctx(root, "resume", original["id"], "--agent", "copilot", "--json", env=env)
        assert shown.code == 0, shown.err
        plan = shown.json()
        sid = plan["session_id"]
        assert plan["command"] == f"copilot --resume={sid}"
        path = Path(plan["path"])
        assert path == home / ".copilot" / "session-state" / sid / "events.jsonl"
        assert find_cli_sessions(root, root=home / ".copilot") == [path]
        # what the adapter reads back from the rebuilt log: no turn of its own yet
        header, turns = parse_copilot_cli_session(path)
        assert header.external_id == sid and header.title == 'Proxy "ports"'
        assert header.meta["continues"] == original["id"] and turns == []

        r = subprocess.run(
            ctx_argv("resume", original["id"], "--agent", "copilot", "--exec", "-p", FOLLOW_UP),
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stderr
        assert ROTATE in r.stdout
        (request,) = server.chat_requests()
    said = request.texts()
    assert said.index(QUESTION) < said.index(ANSWER) < said.index(FOLLOW_UP)
    assert "captured with aider" in said
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert sum(1 for rec in records if RESUME_MARKER in rec) == 3  # start + two messages, kept

    header, turns = parse_copilot_cli_session(path)
    assert header.meta["continues"] == original["id"]
    assert [(t.role, t.text) for t in turns] == [("user", FOLLOW_UP), ("assistant", ROTATE)]
    sessions = run_ctx(root, "sessions", "list", "--json").json()
    cont = session_json(root, next(s["id"] for s in sessions if s["id"] != original["id"]))
    assert cont["tool"] == "copilot" and cont["meta"]["continues"] == original["id"]
    assert [(t["role"], t["text"]) for t in cont["turns"]] == [
        ("user", FOLLOW_UP),
        ("assistant", ROTATE),
    ]
    assert cont["started_at"] > original["started_at"]  # the continuation's own start
    imp = run_ctx(root, "import", "copilot", "--all", "--json", env=env)
    assert imp.code == 0, imp.err
    assert (imp.json()["created"], imp.json()["added_turns"]) == (0, 0)


def test_a_hostile_title_cannot_rewrite_the_workspace_file(tmp_path: Path) -> None:
    from ctx.capture.adapters.copilot import cli_session_cwd
    from ctx.handoff.conversation import Message
    from ctx.handoff.copilot_target import build_copilot

    title = 'x"\ncwd: /etc\nname: evil'
    msgs = [Message("user", "q", "2026-01-05T10:00:00Z"), Message("assistant", "a", None)]
    built = build_copilot("s-abc", title, msgs, tmp_path, "main\nbranch: x", home=tmp_path)
    assert cli_session_cwd(built.path) == str(tmp_path)
    header, turns = parse_copilot_cli_session(built.path)
    assert header.title == title and header.meta["continues"] == "s-abc" and turns == []
    again = build_copilot("s-abc", title, msgs, tmp_path, None, home=tmp_path)
    assert again.path == built.path and again.session_id == built.session_id  # reused
