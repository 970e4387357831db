"""The real Claude Code CLI with `ctx hooks install --claude`'s hooks, against a fake API.

What a user gets: the SessionStart hook puts the project's context into the model's request,
and when Claude Code exits the SessionEnd hook has imported the session into `.contextfs/`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest

from ctx.capture.adapters.claude import find_transcripts
from ctx.integrations.claude_hooks import install_claude_hooks
from ctx.store.project import Project
from tests.fakes import claude_harness as harness
from tests.fakes.anthropic_server import FakeAnthropic, Reply, is_conversation_request
from tests.helpers import wait_until

pytestmark = [pytest.mark.claude, pytest.mark.slow]

MARKER = "Deploys are blue-green behind the ctx-live-7c1e switch"
REPLY = "Noted: blue-green it is."


@pytest.fixture
def hooked(repo: Path, tmp_path: Path) -> tuple[Project, Path]:
    """A ctx project with one decision and the Claude hooks installed; a HOME for claude."""
    project = Project.open(repo, require_store=False)
    project.init()
    project = Project.open(repo)
    project.add_memory(MARKER, "decision", ["deploy"])
    install_claude_hooks(project)  # the default command: this environment's ctx
    home = tmp_path / "claude-home"
    home.mkdir()
    return project, home


def _imported(project: Project, home: Path) -> tuple[str, list[tuple[str, str]]]:
    """The session the SessionEnd hook's detached import stored (it lands after claude exits)."""
    (transcript,) = find_transcripts(project.root, home=home)
    log = project.layout.local / "hooks.log"
    wait_until(
        lambda: log.exists() and "claude-session-end: s-" in log.read_text(),
        what="the SessionEnd import",
    )
    project.refresh()
    sessions = project.list_sessions()
    assert len(sessions) == 1, log.read_text()
    s = project.get_session(sessions[0].id)
    assert s.tool == "claude" and s.external_id == transcript.stem
    return s.id, [(t.role, t.text) for t in s.turns or []]


def test_print_mode_gets_context_and_is_imported(
    claude_bin: Path, hooked: tuple[Project, Path]
) -> None:
    project, home = hooked
    with FakeAnthropic(default=REPLY) as server:
        env = harness.claude_env(home, project.root, server.url)
        proc = harness.run_claude_print(claude_bin, "how do we deploy?", env, project.root)
        requests = server.message_requests()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == REPLY
    first = requests[0].texts()
    assert "how do we deploy?" in first
    assert MARKER in first and "# ctx project context" in first  # the SessionStart brief
    _, turns = _imported(project, home)
    assert turns == [("user", "how do we deploy?"), ("assistant", REPLY)]
    log = (project.layout.local / "hooks.log").read_text()
    assert "claude-session-end" in log and "failed" not in log


def test_interactive_session_is_imported_on_exit(
    claude_bin: Path, hooked: tuple[Project, Path]
) -> None:
    project, home = hooked
    with FakeAnthropic(replies=[REPLY]) as server:
        env = harness.claude_env(home, project.root, server.url)
        tui = harness.ClaudeTUI([str(claude_bin)], env, project.root)
        try:
            tui.wait_ready()
            tui.send_prompt("remind me how we deploy", until=harness.busy_or(REPLY))
            tui.wait_for(REPLY)
            status = tui.exit("/exit")
        finally:
            tui.close()
        requests = server.message_requests()
    assert status == 0
    assert MARKER in requests[0].texts()
    _, turns = _imported(project, home)
    assert turns[0] == ("user", "remind me how we deploy")
    assert ("assistant", REPLY) in turns


def test_hooks_in_the_local_settings_work_the_same(
    claude_bin: Path, repo: Path, tmp_path: Path
) -> None:
    """`ctx hooks install --claude --local`: Claude Code reads .claude/settings.local.json too."""
    project = Project.open(repo, require_store=False)
    project.init()
    project = Project.open(repo)
    project.add_memory(MARKER, "decision", ["deploy"])
    install_claude_hooks(project, local=True)
    assert not (repo / ".claude" / "settings.json").exists()
    home = tmp_path / "claude-home"
    home.mkdir()
    with FakeAnthropic(default=REPLY) as server:
        env = harness.claude_env(home, project.root, server.url)
        proc = harness.run_claude_print(claude_bin, "how do we deploy?", env, project.root)
        requests = server.message_requests()
    assert proc.returncode == 0, proc.stderr
    assert MARKER in requests[0].texts()  # the SessionStart brief came from the local hooks
    _, turns = _imported(project, home)  # and SessionEnd imported the session
    assert turns == [("user", "how do we deploy?"), ("assistant", REPLY)]


def test_an_interrupt_is_stored_as_what_it_is(
    claude_bin: Path, hooked: tuple[Project, Path]
) -> None:
    """The user presses Esc while Claude is answering, quits, and continues with `claude -c`.
    Claude Code writes `[Request interrupted by user]` as a user message and, on continuing, a
    `<synthetic>` "No response requested." reply no model sent; ctx stores both as system turns
    (`meta.generated`), never as something the user or the model said."""
    project, home = hooked
    release = threading.Event()
    slow = Reply(text="Let me think about this very carefully, step by step.", stall=release)

    def responder(body: object) -> Reply | str:
        text = json.dumps(body)
        if is_conversation_request(body) and "take your time" in text and "what now" not in text:
            return slow  # stops mid-stream: the user interrupts it
        return REPLY

    with FakeAnthropic(responder=responder) as server:
        env = harness.claude_env(home, project.root, server.url)
        tui = harness.ClaudeTUI([str(claude_bin)], env, project.root)
        try:
            tui.wait_ready()
            tui.send_prompt("take your time with this one", until="esc to interrupt")
            time.sleep(1.0)
            tui.child.send("\x1b")
            tui.wait_for(re.compile(r"Interrupted"))
            status = tui.exit("/exit")
        finally:
            release.set()
            tui.close()
        # Continue the conversation afterwards: Claude Code adds its own `<synthetic>`
        # "No response requested." reply, never shown; it must not be stored as an answer.
        cont = harness.run_claude_print(claude_bin, "what now?", env, project.root, ["-c"])
        assert cont.returncode == 0, cont.stderr
    assert status == 0
    log = project.layout.local / "hooks.log"
    wait_until(  # the imports land in the background (the SessionEnd hook is async)
        lambda: log.exists() and log.read_text().count("claude-session-end: s-") >= 2,
        what="2 imports",
    )
    project.refresh()
    everything = [
        (t.role, t.text, t.meta.get("generated"))
        for s in project.list_sessions()
        for t in project.get_session(s.id).turns or []
    ]
    assert not [x for x in everything if x[0] == "assistant" and "No response requested" in x[1]]
    assert not [x for x in everything if x[0] == "user" and x[1].startswith("[Request interrupted")]
    (full,) = [
        project.get_session(s.id)
        for s in project.list_sessions()
        if any(t.text == "what now?" for t in project.get_session(s.id).turns or [])
    ]
    said = [t.text for t in full.turns or [] if t.role == "user"]
    assert said[:2] == ["take your time with this one", "what now?"]
    notices = [t for t in full.turns or [] if t.meta.get("generated") == "interrupt"]
    raw = "".join(p.read_text() for p in find_transcripts(project.root, home=home))
    # Claude Code 2.1.330 wrote its made-up reply on --continue: stored, but as what it is.
    assert '"model":"<synthetic>"' in raw.replace(" ", "")
    synthetic = [x for x in everything if x[2] == "synthetic"]
    assert synthetic and all(role == "system" for role, _, _ in synthetic)
    assert notices and notices[0].role == "system"
    assert notices[0].text.startswith("[Request interrupted by user")
