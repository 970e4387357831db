"""`ctx hooks install --gemini`: the real Gemini CLI 0.61.0 (against the fake Gemini API) runs the
hooks from the project's `.gemini/settings.json` — the SessionStart brief reaches the model's
request, the SessionEnd hook imports the chat — and uninstall removes exactly what it added."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ctx.capture.adapters.gemini import find_sessions
from ctx.store.project import Project
from tests.fakes import gemini_harness
from tests.fakes.claude_harness import require
from tests.fakes.gemini_server import FakeGemini
from tests.wrap.conftest import run_ctx

MARKER = "Deploys are blue-green behind the ctx-gemini-4d2a switch"
REPLY = "Noted: blue-green it is."
OTHER = {"type": "command", "command": "echo keep-me"}


@pytest.fixture
def project(repo: Path) -> Project:
    Project.open(repo, require_store=False).init()
    project = Project.open(repo)
    project.add_memory(MARKER, "decision", ["deploy"])
    settings = repo / ".gemini" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"hooks": {"SessionStart": [{"hooks": [OTHER]}]}, "x": 1}))
    return project


def test_install_is_idempotent_and_uninstall_leaves_other_hooks(project: Project) -> None:
    root = project.root
    settings = root / ".gemini" / "settings.json"
    first = run_ctx(root, "hooks", "install", "--gemini", "--json")
    assert first.code == 0, first.err
    data = json.loads(settings.read_text())
    commands = [h["command"] for g in data["hooks"]["SessionStart"] for h in g["hooks"]]
    assert commands[0] == "echo keep-me" and commands[1].endswith("hook gemini-session-start")
    assert data["hooks"]["SessionEnd"][0]["hooks"][0]["timeout"] == 60_000
    again = run_ctx(root, "hooks", "install", "--gemini", "--json").json()["done"]
    assert any("SessionStart hook already installed" in line for line in again)
    assert json.loads(settings.read_text()) == data
    gone = run_ctx(root, "hooks", "uninstall", "--gemini")
    assert gone.code == 0, gone.err
    assert json.loads(settings.read_text()) == {
        "hooks": {"SessionStart": [{"hooks": [OTHER]}]},
        "x": 1,
    }


@pytest.mark.slow
@pytest.mark.xdist_group("gemini-qwen-live")
def test_real_gemini_gets_the_brief_and_is_imported_on_exit(
    project: Project, tmp_path: Path
) -> None:
    binary = require(gemini_harness.find_or_install, "gemini")
    root = project.root
    assert run_ctx(root, "hooks", "install", "--gemini").code == 0
    home = tmp_path / "gemini-home"
    with FakeGemini([REPLY]) as server:
        env = gemini_harness.gemini_env(home, server.base_url)
        proc = subprocess.run(
            [str(binary), "-p", "how do we deploy?"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        (first, *_) = server.chat_requests()
    assert proc.returncode == 0, proc.stderr
    assert REPLY in proc.stdout
    texts = first.texts()
    assert "how do we deploy?" in texts
    assert MARKER in texts and "# ctx project context" in texts  # the SessionStart brief
    (chat,) = find_sessions(root, home=home)
    sid = json.loads(chat.read_text().splitlines()[0])["sessionId"]
    from tests.helpers import wait_until

    def imported() -> list:  # the SessionEnd import runs detached, after the CLI has exited
        log = project.layout.local / "hooks.log"  # written once the session is stored
        if not (log.exists() and "gemini-session-end: s-" in log.read_text()):
            return []
        project.refresh()
        return project.list_sessions()

    (listed,) = wait_until(imported, timeout=60, what="the SessionEnd import")
    session = project.get_session(listed.id)
    log = (project.layout.local / "hooks.log").read_text()
    assert session.tool == "gemini" and session.external_id == sid, log
    said = [(t.role, t.text) for t in session.turns or [] if t.role in ("user", "assistant")]
    assert said == [("user", "how do we deploy?"), ("assistant", REPLY)]
    # the brief the hook gave is ctx's own context, not a turn of the session
    assert not any("<hook_context>" in t.text for t in session.turns or [])
    assert "gemini-session-end" in log and "failed" not in log
