"""`ctx wrap claude` with the real Claude Code CLI against the fake Anthropic server.

One interactive run (the TUI driven through the pty that `ctx wrap` gives it) and one
`-p` run. The session must hold Claude Code's own transcript: the exact prompt (secrets
redacted) and the fake model's exact reply, under the id `ctx import claude` derives.
"""

from __future__ import annotations

import os
import secrets
import string
import sys
from pathlib import Path

import pytest

from ctx.capture.adapters.claude import find_transcripts
from ctx.core.ids import SESSION_PREFIX, derived_id
from ctx.privacy.secrets import redact
from tests.fakes import claude_harness as harness
from tests.fakes.anthropic_server import FakeAnthropic
from tests.helpers import decoded_bytes
from tests.wrap.conftest import committed_files, run_ctx, session_json

pytestmark = [pytest.mark.claude, pytest.mark.slow, pytest.mark.xdist_group("claude-live")]

REPLY = "Rotated both keys; the new ones are in the vault (fake model reply)."
PRINT_REPLY = "RS256 lets services verify tokens with the public key only."
FOLLOW_UP_REPLY = "Publish the new key in the JWKS first, then switch the signer."


def _secrets() -> tuple[str, str]:
    """An AWS access key id and a GitHub token, built at run time (no secret in the source)."""
    alnum = string.ascii_letters + string.digits
    base32 = string.ascii_uppercase + "234567"  # what AWS key ids are made of
    aws = "AKIA" + "".join(secrets.choice(base32) for _ in range(16))
    ghp = "ghp_" + "".join(secrets.choice(alnum) for _ in range(36))
    return aws, ghp


def _env(claude_bin: Path, home: Path, project: Path, url: str) -> dict[str, str]:
    env = harness.claude_env(home, project, url)
    env["PATH"] = f"{claude_bin.parent}{os.pathsep}{env['PATH']}"  # `ctx wrap claude` finds it
    return env


def _assert_nothing_committed_holds(root: Path, needles: tuple[str, ...]) -> None:
    files = committed_files(root)
    assert any(p.parts[-3] == "sessions" for p in files)  # the transcript is there...
    for path in files:
        data = decoded_bytes(path)  # CRDT log lines decoded too
        for needle in needles:
            assert needle.encode() not in data, f"{needle[:6]}… in {path}"


def test_interactive_claude_through_ctx_wrap(claude_bin: Path, store: Path, tmp_path: Path) -> None:
    aws, ghp = _secrets()
    pw = "Zx" + "".join(secrets.choice(string.digits) for _ in range(2)) + "!qP@ss-2024w"
    prompt = f"Please rotate {aws} and {ghp} before the release; the database password is {pw}"
    home = tmp_path / "home"
    home.mkdir()
    with FakeAnthropic(replies=[REPLY]) as server:
        env = _env(claude_bin, home, store, server.url)
        tui = harness.ClaudeTUI([sys.executable, "-m", "ctx", "wrap", "claude"], env, store)
        try:
            tui.wait_ready(timeout=60)
            tui.send_prompt(prompt, until=harness.busy_or(REPLY))
            tui.wait_for(REPLY, timeout=60)
            status = tui.exit("/exit")
        finally:
            tui.close()
        assert any(prompt in r.texts() for r in server.message_requests())
    assert status == 0
    assert b"ctx: session s-" in bytes(tui.raw)

    (transcript,) = find_transcripts(store, home=home)
    s = session_json(store, env=env)
    assert s["external_id"] == transcript.stem
    assert s["id"] == derived_id(SESSION_PREFIX, "claude", transcript.stem)
    assert s["tool"] == "claude" and s["status"] == "complete" and s["exit_status"] == 0
    assert [(t["role"], t["text"]) for t in s["turns"]] == [
        ("user", redact(prompt)),
        ("assistant", REPLY),
    ]
    assert "[REDACTED:aws-access-key-id]" in s["turns"][0]["text"]
    assert "[REDACTED:github-token]" in s["turns"][0]["text"]
    assert s["meta"]["source"] == "claude transcript"
    assert s["meta"]["tool_version"] == harness.pinned_claude_version()
    assert s["meta"]["model"] and s["meta"]["tool_branch"] == "main"
    _assert_nothing_committed_holds(store, (aws, ghp, pw))  # issue 11: a password in a sentence
    # The session Claude Code wrote is already in the store: importing it adds nothing.
    imp = run_ctx(store, "import", "claude", "--all", "--json", env=env)
    assert imp.code == 0, imp.err
    assert (imp.json()["created"], imp.json()["added_turns"]) == (0, 0)
    assert len(run_ctx(store, "sessions", "list", "--json", env=env).json()) == 1


def test_print_mode_and_resume_through_ctx_wrap(
    claude_bin: Path, store: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    question, follow_up = "Why did we pick RS256 for JWT?", "And how do we rotate the key?"
    with FakeAnthropic(replies=[PRINT_REPLY, FOLLOW_UP_REPLY]) as server:
        env = _env(claude_bin, home, store, server.url)
        r = run_ctx(store, "wrap", "--", "claude", "-p", question, env=env)
        assert r.code == 0, r.err
        assert PRINT_REPLY in r.out
        (transcript,) = find_transcripts(store, home=home)
        sid = derived_id(SESSION_PREFIX, "claude", transcript.stem)
        s = session_json(store, env=env)
        assert s["id"] == sid
        assert [(t["role"], t["text"]) for t in s["turns"]] == [
            ("user", question),
            ("assistant", PRINT_REPLY),
        ]
        assert s["command"] == ["claude", "-p", question] and s["title"]
        # Claude Code continues the same transcript: the same session gets a second part.
        r = run_ctx(store, "wrap", "claude", "--resume", transcript.stem, "-p", follow_up, env=env)
        assert r.code == 0, r.err
    assert [x["id"] for x in run_ctx(store, "sessions", "list", "--json", env=env).json()] == [sid]
    s = session_json(store, sid, env=env)
    assert [t["text"] for t in s["turns"]] == [question, PRINT_REPLY, follow_up, FOLLOW_UP_REPLY]
    assert sorted(p.name for p in (store / ".contextfs" / "sessions" / sid).iterdir()) == [
        "000.jsonl",
        "001.jsonl",
    ]
    imp = run_ctx(store, "import", "claude", "--all", "--json", env=env).json()
    assert (imp["created"], imp["added_turns"]) == (0, 0)
