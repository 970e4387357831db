"""`ctx wrap` of a tool that writes its own transcript (a stand-in for Claude Code, fast).

The real Claude Code runs in test_wrap_claude_live.py; this stand-in writes the same kind of
file, so the id scheme, resume, import de-duplication and recovery are checked in seconds.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from ctx.capture.adapters.claude import find_transcripts
from ctx.core.ids import SESSION_PREFIX, derived_id
from tests.fakes import claude_harness as harness
from tests.fakes.openai_server import FakeOpenAI
from tests.helpers import decoded_bytes
from tests.wrap.conftest import (
    Terminal,
    committed_files,
    ctx_argv,
    run_ctx,
    session_json,
    tool_on_path,
)


def _reply(prompt: str) -> str:
    return f"Fake Claude says: {prompt[::-1]}"


def _claude_id(store: Path) -> str:
    (path,) = find_transcripts(store)
    return path.stem


def test_transcript_id_resume_and_import_without_duplicates(store: Path, tmp_path: Path) -> None:
    env = tool_on_path(tmp_path, "claude", "fake_claude.py")
    r = run_ctx(store, "wrap", "claude", "-p", "first question", env=env)
    assert r.code == 0, r.err
    assert _reply("first question") in r.out
    uuid = _claude_id(store)
    sid = derived_id(SESSION_PREFIX, "claude", uuid)
    assert f"ctx: session {sid} (2 turns, claude)" in r.err

    s = session_json(store, env=env)
    assert s["id"] == sid and s["external_id"] == uuid
    assert [(t["role"], t["text"]) for t in s["turns"]] == [
        ("user", "first question"),
        ("assistant", _reply("first question")),
    ]
    assert s["meta"]["source"] == "claude transcript"
    assert s["meta"]["model"] == "fake-model" and s["meta"]["tool_version"] == "9.9.9"
    assert s["meta"]["tool_branch"] == "main"
    assert s["meta"]["source_file"] == f"{uuid}.jsonl"
    assert s["command"] == ["claude", "-p", "first question"] and s["exit_status"] == 0
    # The session is stored under the id `ctx import claude` derives: importing adds nothing.
    imp = run_ctx(store, "import", "claude", "--all", "--json", env=env)
    assert imp.code == 0, imp.err
    assert (imp.json()["created"], imp.json()["added_turns"]) == (0, 0)
    assert len(run_ctx(store, "sessions", "list", "--json", env=env).json()) == 1

    # A resumed run adds only its new turns, as a new part of the same session.
    r = run_ctx(store, "wrap", "claude", "--resume", uuid, "-p", "second one", env=env)
    assert r.code == 0, r.err
    listed = run_ctx(store, "sessions", "list", "--json", env=env).json()
    assert [x["id"] for x in listed] == [sid]
    s = session_json(store, sid, env=env)
    assert [t["text"] for t in s["turns"]] == [
        "first question",
        _reply("first question"),
        "second one",
        _reply("second one"),
    ]
    sdir = store / ".contextfs" / "sessions" / sid
    assert sorted(os.listdir(sdir)) == ["000.jsonl", "001.jsonl"]
    assert "first question" not in (sdir / "001.jsonl").read_text()
    recordings = sorted(os.listdir(store / ".contextfs" / "local" / "recordings"))
    assert recordings == [f"{sid}.2.cast", f"{sid}.cast"]  # one per run
    # Forgetting the session removes every recording of it.
    assert run_ctx(store, "forget", "--yes", sid, env=env).code == 0
    assert os.listdir(store / ".contextfs" / "local" / "recordings") == []


def test_killed_wrap_of_a_tool_is_recovered_from_its_transcript(
    store: Path, tmp_path: Path, terminal: type[Terminal]
) -> None:
    env = tool_on_path(tmp_path, "claude", "fake_claude.py")
    term = terminal(ctx_argv("wrap", "claude"), store, env)
    term.read_until(b"> ")
    term.send(b"recover me\r")
    term.read_until(_reply("recover me").encode())
    os.kill(term.proc.pid, signal.SIGKILL)
    term.wait()

    r = run_ctx(store, "sessions", "list", "--json", env=env)
    assert "recovered interrupted session" in r.err
    uuid = _claude_id(store)
    (listed,) = r.json()
    assert listed["id"] == derived_id(SESSION_PREFIX, "claude", uuid)
    assert listed["status"] == "recovered" and listed["external_id"] == uuid
    s = session_json(store, listed["id"], env=env)
    assert [(t["role"], t["text"]) for t in s["turns"]] == [
        ("user", "recover me"),
        ("assistant", _reply("recover me")),
    ]
    assert s["meta"]["source"] == "claude transcript"
    assert "final_id" not in (store / ".contextfs" / "sessions" / s["id"] / "000.jsonl").read_text()
    imp = run_ctx(store, "import", "claude", "--all", "--json", env=env).json()
    assert (imp["created"], imp["added_turns"]) == (0, 0)


def test_a_session_imported_before_the_wrap_ends_gets_its_exit_status(
    store: Path, tmp_path: Path, terminal: type[Terminal]
) -> None:
    """Claude Code's SessionEnd hook imports the session before `ctx wrap` sees the exit;
    the wrap then adds what only it knows to that one session."""
    env = tool_on_path(tmp_path, "claude", "fake_claude.py")
    term = terminal(ctx_argv("wrap", "claude"), store, env)
    term.read_until(b"> ")
    term.send(b"hooked question\r")
    term.read_until(_reply("hooked question").encode())
    hook = run_ctx(store, "import", "claude", "--all", "--json", env=env)  # as the hook does
    assert hook.code == 0 and hook.json()["created"] == 1, hook.err
    term.send(b"/exit 3\r")
    assert term.wait() == 3

    (listed,) = run_ctx(store, "sessions", "list", "--json", env=env).json()
    s = session_json(store, listed["id"], env=env)
    assert s["id"] == derived_id(SESSION_PREFIX, "claude", _claude_id(store))
    assert s["exit_status"] == 3 and s["commit_end"]
    assert [t["text"] for t in s["turns"]] == ["hooked question", _reply("hooked question")]


def test_two_wraps_at_once_each_keep_their_own_transcript(
    store: Path, tmp_path: Path, terminal: type[Terminal]
) -> None:
    """Two `ctx wrap claude` in one directory: the one that ends first must not take the
    other's (newer) transcript; the terminal it recorded says which conversation was its."""
    env = tool_on_path(tmp_path, "claude", "fake_claude.py")
    first = terminal(ctx_argv("wrap", "claude"), store, env)
    first.read_until(b"> ")
    second = terminal(ctx_argv("wrap", "claude"), store, env)
    second.read_until(b"> ")
    first.send(b"alpha question\r")
    first.read_until(_reply("alpha question").encode())
    second.send(b"bravo question\r")
    second.read_until(_reply("bravo question").encode())
    first.send(b"/exit\r")
    assert first.wait() == 0
    second.send(b"/exit\r")
    assert second.wait() == 0

    listed = run_ctx(store, "sessions", "list", "--json", env=env).json()
    assert len(listed) == 2
    by_prompt = {}
    for item in listed:
        s = session_json(store, item["id"], env=env)
        assert s["meta"]["source"] == "claude transcript"
        by_prompt[s["turns"][0]["text"]] = [t["text"] for t in s["turns"]]
    assert by_prompt == {
        "alpha question": ["alpha question", _reply("alpha question")],
        "bravo question": ["bravo question", _reply("bravo question")],
    }


def test_secrets_in_a_tool_transcript_are_redacted(store: Path, tmp_path: Path) -> None:
    env = tool_on_path(tmp_path, "claude", "fake_claude.py")
    key = "AKIA" + "QWERTYUIOPASDFGH"  # an AWS access key id, built at run time
    r = run_ctx(store, "wrap", "claude", "-p", f"deploy with {key} now", env=env)
    assert r.code == 0, r.err
    s = session_json(store, env=env)
    assert key not in str(s) and "[REDACTED:" in s["turns"][0]["text"]
    assert key not in str(s["command"])
    for path in committed_files(store):
        assert key.encode() not in decoded_bytes(path), path


@pytest.mark.slow
def test_real_aider_turns_come_from_its_history(store: Path, tmp_path: Path) -> None:
    """`ctx wrap -- aider --message ...` against the fake OpenAI server: the session holds
    what aider appended to .aider.chat.history.md during the run, nothing older."""
    aider = harness.require(harness.find_or_install_aider)
    home = tmp_path / "home"
    home.mkdir()
    hist = store / ".aider.chat.history.md"
    hist.write_text("# aider chat started at 2026-01-02 03:04:05\n\n#### an older question\n\n")
    reply = "Fake reply: RS256 lets others verify with the public key."
    env = harness.aider_env(home)
    with FakeOpenAI(replies=[reply]) as srv:
        argv = harness.aider_argv(aider, srv.base_url, store, "why RS256 for JWT?")
        r = run_ctx(store, "wrap", "--", *argv, env=env)
    assert r.code == 0, r.out + r.err
    assert reply in r.out
    s = session_json(store, env=env)
    assert s["tool"] == "aider" and s["meta"]["source"] == "aider transcript"
    assert [(t["role"], t["text"]) for t in s["turns"]][:2] == [
        ("user", "why RS256 for JWT?"),
        ("assistant", reply),
    ]
    assert "an older question" not in str(s["turns"])
    assert s["meta"]["model"] == "openai/gpt-4o-mini"
    # `ctx import aider` finds the same session under the same id: no duplicate.
    imp = run_ctx(store, "import", "aider", "--json", env=env).json()
    got = {x["session_id"]: (x["created"], x["added_turns"]) for x in imp["sessions"]}
    assert got.pop(s["id"]) == (False, 0)
    assert list(got.values()) == [(True, 1)]  # only the older session is new


def test_codex_rollout_of_the_run(store: Path, tmp_path: Path) -> None:
    from ctx.capture.adapters.codex import parse_codex_rollout

    env = tool_on_path(tmp_path, "codex", "fake_codex.py")
    codex_home = tmp_path / "codex-home"
    env["CODEX_HOME"] = str(codex_home)
    r = run_ctx(store, "wrap", "codex", "exec", "fix the tests", env=env)
    assert r.code == 0, r.err
    assert "codex done: exec fix the tests" in r.out
    (rollout,) = codex_home.rglob("rollout-*.jsonl")
    header, turns = parse_codex_rollout(rollout)
    s = session_json(store, env=env)
    assert s["id"] == derived_id(SESSION_PREFIX, "codex", str(header.external_id))
    assert s["external_id"] == header.external_id
    assert s["tool"] == "codex" and s["meta"]["source"] == "codex transcript"
    assert s["meta"]["tool_version"] == "0.65.0"
    assert len(turns) > 3
    assert [(t["role"], t["text"]) for t in s["turns"]] == [(t.role, t.text) for t in turns]
    imp = run_ctx(store, "import", "codex", "--all", "--json", env=env).json()
    assert (imp["created"], imp["added_turns"]) == (0, 0)
