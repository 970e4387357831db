"""`ctx resume --agent opencode` into the real OpenCode 1.18 (against the fake chat-completions
server): the rebuilt session goes in through `opencode import`, the first request after the
resume carries the earlier turns, and the continuation captured under `ctx wrap` is a new
session that `continues` the original, without its old turns."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ctx.capture.adapters.opencode import find_sessions, opencode_data_dir, parse_opencode_session
from ctx.handoff.conversation import Message
from ctx.handoff.opencode_target import export_document, opencode_id, session_id_for
from tests.fakes import opencode_harness
from tests.fakes.openai_server import FakeOpenAI
from tests.sync.conftest import make_team
from tests.wrap.conftest import ctx_argv, run_ctx, session_json

QUESTION = "Which port does the staging proxy listen on?"
ANSWER = "Port 8443, set in deploy/proxy.toml."
FOLLOW_UP = "And how do we rotate  its -v certificate?"  # two spaces and a dash word survive
ROTATE = "Run scripts/rotate-cert.sh, then reload the proxy."


def _answer(body: Any) -> str:
    system = json.dumps((body or {}).get("messages", [])[:1]).lower()
    return "Proxy title" if "title" in system else ROTATE


def _ctx(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """OpenCode's first start in a fresh HOME takes a while: more time than run_ctx gives."""
    return subprocess.run(
        ctx_argv(*args),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=400,
    )


@pytest.mark.slow
@pytest.mark.xdist_group("opencode-live")
def test_a_claude_session_continues_in_opencode(tmp_path: Path) -> None:
    try:
        opencode_harness.find_or_install_opencode()
    except opencode_harness.OpenCodeNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    root = make_team(tmp_path).clone("ada")
    src = tmp_path / "s.jsonl"
    lines = [
        {"type": "session", "tool": "claude", "id": "c1", "title": "Staging proxy"},
        {"type": "turn", "role": "user", "text": QUESTION, "ts": "2026-01-05T10:00:00Z"},
        {"type": "turn", "role": "assistant", "text": ANSWER, "ts": "2026-01-05T10:00:09Z"},
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert run_ctx(root, "import", "jsonl", str(src)).code == 0
    original = session_json(root)
    home = tmp_path / "oc-home"

    with FakeOpenAI(responder=_answer) as server:
        env = opencode_harness.opencode_env(home, root, server.base_url)
        shown = _ctx(root, "resume", original["id"], "--agent", "opencode", "--json", env=env)
        assert shown.returncode == 0, shown.stderr
        plan = json.loads(shown.stdout)
        sid = plan["session_id"]
        assert sid.startswith("ses_") and plan["command"] == f"opencode --session {sid}"
        data_dir = home / ".local" / "share" / "opencode"
        assert Path(plan["path"]) == data_dir / "opencode.db"
        (found,) = find_sessions(root, data_dir=data_dir)  # filed under this directory
        assert found.id == sid and found.title == "Staging proxy"
        # resuming again reuses the imported session (no second copy)
        again = _ctx(root, "resume", original["id"], "--agent", "opencode", "--json", env=env)
        assert json.loads(again.stdout)["session_id"] == sid
        assert len(find_sessions(root, data_dir=data_dir)) == 1

        r = _ctx(
            root, "resume", original["id"], "--agent", "opencode", "--exec",
            "--prompt", FOLLOW_UP, env=env,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert ROTATE in r.stdout
        asked = [q for q in server.chat_requests() if _answer(q.body) == ROTATE]
    said = asked[0].texts()
    assert said.index(QUESTION) < said.index(ANSWER) < said.index(FOLLOW_UP)
    assert "captured with claude" in said  # whose conversation it was

    header, turns = parse_opencode_session(found)
    assert header.meta["continues"] == original["id"]
    assert header.meta["model"] == "fake-model"  # not the placeholder of the rebuilt turns
    assert [t.text for t in turns] == [FOLLOW_UP, ROTATE]
    sessions = run_ctx(root, "sessions", "list", "--json").json()
    cont = session_json(root, next(s["id"] for s in sessions if s["id"] != original["id"]))
    assert cont["tool"] == "opencode" and cont["meta"]["continues"] == original["id"]
    assert [(t["role"], t["text"]) for t in cont["turns"]] == [
        ("user", FOLLOW_UP),
        ("assistant", ROTATE),
    ]
    # `ctx import --all-agents` finds the same continuation: nothing new
    imp = run_ctx(root, "import", "opencode", "--all", "--json", env=env)
    assert imp.code == 0, imp.err
    assert (imp.json()["created"], imp.json()["added_turns"]) == (0, 0)


def test_rebuilt_ids_sort_like_opencodes_and_before_new_turns(tmp_path: Path) -> None:
    msgs = [
        Message("user", "q", "2026-01-05T10:00:00Z"),
        Message("assistant", "a", "2026-01-05T10:00:00Z"),  # same ms: still ordered
        Message("user", "q2", None),
        Message("assistant", "a2", "2099-01-01T00:00:00Z"),  # a clock ahead: pulled back
    ]
    sid = session_id_for("x", msgs)
    assert sid == session_id_for("x", msgs) and sid.startswith("ses_") and len(sid) == 30
    doc = export_document(sid, "s-abc", "", msgs, tmp_path)
    ids = [m["info"]["id"] for m in doc["messages"]]
    assert ids == sorted(ids) and len(set(ids)) == 4
    import time

    now = opencode_id("msg", int(time.time() * 1000), 1, "new")
    assert max(ids) < now  # OpenCode's own next message sorts after the rebuilt ones
    assert doc["info"]["title"] == "Resumed s-abc"
    parts = [p for m in doc["messages"] for p in m["parts"]]
    assert all(p["metadata"] == {"ctxResumedFrom": {"session": "s-abc"}} for p in parts)


def test_missing_opencode_is_a_clear_error(tmp_path: Path) -> None:
    import os

    root = make_team(tmp_path).clone("bo")
    src = tmp_path / "s.jsonl"
    src.write_text(
        json.dumps({"type": "session", "tool": "aider"})
        + "\n"
        + json.dumps({"type": "turn", "role": "user", "text": "hi"})
        + "\n"
    )
    assert run_ctx(root, "import", "jsonl", str(src)).code == 0
    sid = session_json(root)["id"]
    env = dict(os.environ, PATH=str(tmp_path / "empty-bin"))
    r = subprocess.run(
        [*ctx_argv("resume", sid, "--agent", "opencode", "--json")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0 and r.returncode != 70
    err = json.loads(r.stdout or r.stderr)
    assert "opencode" in json.dumps(err) and not opencode_data_dir(tmp_path).exists()


def test_default_model_is_found_as_opencode_finds_it(tmp_path: Path) -> None:
    from ctx.handoff.opencode_target import default_model

    home, proj = tmp_path / "h", tmp_path / "p"
    cfg = home / ".config" / "opencode"
    cfg.mkdir(parents=True)
    proj.mkdir()
    assert default_model(proj, home) is None
    state = home / ".local" / "state" / "opencode"
    state.mkdir(parents=True)
    (state / "model.json").write_text('{"recent": [7, {"providerID": "a", "modelID": "b"}]}')
    assert default_model(proj, home) == {"providerID": "a", "modelID": "b"}
    (cfg / "opencode.jsonc").write_text(
        '{\n  // mine\n  "model": "anthropic/claude-x", /* c */\n  "x": "a//b",\n}\n'
    )
    assert default_model(proj, home) == {"providerID": "anthropic", "modelID": "claude-x"}
    (proj / "opencode.json").write_text('{"model": "fake/fake-model"}')
    assert default_model(proj, home) == {"providerID": "fake", "modelID": "fake-model"}
    (proj / "opencode.json").write_text('{"model": 3, ')  # broken: the next file counts
    assert default_model(proj, home) == {"providerID": "anthropic", "modelID": "claude-x"}
