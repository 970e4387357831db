"""`ctx hooks install --agent qwen`: the real Qwen Code 0.24.4 (against the fake OpenAI server)
runs the SessionStart hook from the project's `.qwen/settings.json`, so the brief reaches the
model's request. Qwen Code fires SessionEnd only when an interactive session ends, so the end
import is run the way Qwen runs it — the installed command through `sh -c`, the event on stdin —
with the event naming the chat file the real run wrote. A hook naming a file outside Qwen's
projects folder imports nothing; uninstall removes exactly what install added."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ctx.capture.adapters.qwen import find_sessions
from ctx.integrations.hook_imports import confined_qwen_chat
from ctx.store.project import Project
from tests.fakes import gemini_harness
from tests.fakes.openai_server import FakeOpenAI
from tests.helpers import wait_until
from tests.wrap.conftest import run_ctx

MARKER = "Migrations run before the deploy, never after (ctx-qwen-5c1d)"
REPLY = "Noted: migrations first."
OTHER = {"type": "command", "command": "echo keep-me"}


@pytest.fixture
def project(repo: Path) -> Project:
    Project.open(repo, require_store=False).init()
    project = Project.open(repo)
    project.add_memory(MARKER, "decision", ["deploy"])
    settings = repo / ".qwen" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"hooks": {"SessionStart": [{"hooks": [OTHER]}]}, "x": 1}))
    return project


def test_install_is_idempotent_and_uninstall_leaves_other_hooks(project: Project) -> None:
    root = project.root
    settings = root / ".qwen" / "settings.json"
    assert run_ctx(root, "hooks", "install", "--agent", "qwen").code == 0
    data = json.loads(settings.read_text())
    commands = [h["command"] for g in data["hooks"]["SessionStart"] for h in g["hooks"]]
    assert commands[0] == "echo keep-me" and commands[1].endswith("hook qwen-session-start")
    assert data["hooks"]["SessionEnd"][0]["hooks"][0]["timeout"] == 30_000
    again = run_ctx(root, "hooks", "install", "--agent", "qwen", "--json").json()["done"]
    assert any("SessionStart hook already installed" in line for line in again)
    assert json.loads(settings.read_text()) == data
    assert run_ctx(root, "hooks", "uninstall", "--agent", "qwen").code == 0
    assert json.loads(settings.read_text()) == {
        "hooks": {"SessionStart": [{"hooks": [OTHER]}]},
        "x": 1,
    }


def test_only_chats_under_qwen_projects_are_imported(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "h"
    monkeypatch.setenv("HOME", str(home))
    for var in ("QWEN_HOME", "QWEN_RUNTIME_DIR"):
        monkeypatch.delenv(var, raising=False)
    chats = home / ".qwen" / "projects" / "-repo" / "chats"
    chats.mkdir(parents=True)
    good = chats / "e7e7757a-e811-4350-95d8-b1a239619e8e.jsonl"
    good.write_text("{}\n")
    outside = tmp_path / "chats" / good.name
    outside.parent.mkdir()
    outside.write_text("{}\n")
    link = chats / "link.jsonl"
    link.symlink_to(outside)
    assert confined_qwen_chat(str(good)) == good.resolve()
    for bad in (str(outside), str(link), str(chats / "x.json"), "chats/a.jsonl", None, 3):
        assert confined_qwen_chat(bad) is None, bad


@pytest.mark.slow
@pytest.mark.xdist_group("gemini-qwen-live")
def test_real_qwen_gets_the_brief_and_the_end_hook_imports_its_chat(
    project: Project, tmp_path: Path
) -> None:
    try:
        binary = gemini_harness.find_or_install("qwen")
    except gemini_harness.AgentNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    root = project.root
    assert run_ctx(root, "hooks", "install", "--agent", "qwen").code == 0
    home = tmp_path / "qwen-home"
    with FakeOpenAI([REPLY]) as server:
        env = gemini_harness.qwen_env(home, server.base_url)
        proc = subprocess.run(
            [str(binary), "-p", "how do we deploy?"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        first = server.chat_requests()[0]
    assert proc.returncode == 0, proc.stderr
    assert REPLY in proc.stdout
    texts = first.texts()
    assert "how do we deploy?" in texts
    assert MARKER in texts and "# ctx project context" in texts  # the SessionStart brief

    (chat,) = find_sessions(root, home=home)
    event = {
        "session_id": chat.stem,
        "transcript_path": str(chat),
        "cwd": str(root),
        "hook_event_name": "SessionEnd",
        "timestamp": "2026-12-03T15:30:03.807Z",
        "reason": "prompt_input_exit",
    }
    settings = json.loads((root / ".qwen" / "settings.json").read_text())
    (end,) = [h for g in settings["hooks"]["SessionEnd"] for h in g["hooks"]]
    ran = subprocess.run(
        ["sh", "-c", end["command"]],
        cwd=root,
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(home)},
    )
    assert ran.returncode == 0 and ran.stdout == "", ran.stderr

    def imported() -> list:  # the import runs detached
        log = project.layout.local / "hooks.log"  # written once the session is stored
        if not (log.exists() and "qwen-session-end: s-" in log.read_text()):
            return []
        project.refresh()
        return project.list_sessions()

    (listed,) = wait_until(imported, timeout=60, what="the SessionEnd import")
    session = project.get_session(listed.id)
    log = (project.layout.local / "hooks.log").read_text()
    assert session.tool == "qwen" and session.external_id == chat.stem, log
    said = [(t.role, t.text) for t in session.turns or [] if t.role in ("user", "assistant")]
    assert said == [("user", "how do we deploy?"), ("assistant", REPLY)], log
    assert "qwen-session-end" in log and "failed" not in log
