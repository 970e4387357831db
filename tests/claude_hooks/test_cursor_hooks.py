"""`ctx hooks install --agent cursor`: `.cursor/hooks.json` (Cursor 1.7+ hooks, version 1), and
the installed commands run the way Cursor runs them — `sh -c COMMAND`, the event JSON on stdin,
no `cwd` in it — on payloads shaped like the ones the Cursor CLI 2026.02.13 sends (fields as
captured by entireio/cli's Cursor integration; Cursor itself cannot run here). sessionStart
prints `{"additional_context": brief}`; sessionEnd imports the conversation it names from the
CLI's chat store; a hostile conversation id imports nothing. Also: `--agent` for the agents
without hooks prints how to register `ctx mcp`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ctx.store.project import Project
from tests.adapters.cursor_cli_fixtures import ASK, REPLY, make_chat, messages
from tests.helpers import wait_until
from tests.wrap.conftest import run_ctx

MARKER = "Feature flags live in flags.toml, never in code (ctx-cursor-91ab)"
CID = "5f0c2a9e-7b1d-4c3e-9f8a-1b2c3d4e5f60"
OTHER = {"command": "./hooks/audit.sh"}


@pytest.fixture
def project(repo: Path) -> Project:
    Project.open(repo, require_store=False).init()
    project = Project.open(repo)
    project.add_memory(MARKER, "decision", ["flags"])
    hooks = repo / ".cursor" / "hooks.json"
    hooks.parent.mkdir()
    hooks.write_text(json.dumps({"version": 1, "hooks": {"stop": [OTHER]}}))
    return project


def _event(root: Path, name: str, **extra: Any) -> str:
    common = {
        "conversation_id": CID,
        "generation_id": "9d8c7b6a-5f4e-3d2c-1b0a-998877665544",
        "model": "composer-2.5",
        "hook_event_name": name,
        "cursor_version": "2026.02.13-41ac335",
        "workspace_roots": [str(root)],
        "user_email": "dev@example.com",
        "transcript_path": None,
        "session_id": CID,
        "is_background_agent": False,
    }
    return json.dumps({**common, **extra})


def _run_hook(root: Path, event: str, payload: str) -> subprocess.CompletedProcess[str]:
    data = json.loads((root / ".cursor" / "hooks.json").read_text())
    (entry,) = [e for e in data["hooks"][event] if "hook cursor-session-" in e["command"]]
    env = dict(os.environ)
    env["CURSOR_PROJECT_DIR"] = str(root)
    return subprocess.run(
        ["sh", "-c", entry["command"]],
        cwd=root / ".cursor",  # commands resolve relative to hooks.json
        input=payload,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_install_is_idempotent_and_uninstall_leaves_other_hooks(project: Project) -> None:
    root = project.root
    hooks = root / ".cursor" / "hooks.json"
    first = run_ctx(root, "hooks", "install", "--agent", "cursor")
    assert first.code == 0, first.err
    data = json.loads(hooks.read_text())
    assert data["version"] == 1 and data["hooks"]["stop"] == [OTHER]
    assert data["hooks"]["sessionStart"][0]["command"].endswith("hook cursor-session-start")
    assert data["hooks"]["sessionEnd"][0]["command"].endswith("hook cursor-session-end")
    again = run_ctx(root, "hooks", "install", "--agent", "cursor", "--json").json()["done"]
    assert any("sessionStart hook already installed" in line for line in again)
    assert json.loads(hooks.read_text()) == data
    gone = run_ctx(root, "hooks", "uninstall", "--agent", "cursor")
    assert gone.code == 0, gone.err
    assert json.loads(hooks.read_text()) == {"version": 1, "hooks": {"stop": [OTHER]}}


def test_session_start_gives_the_brief_and_session_end_imports_the_chat(
    project: Project,
) -> None:
    root = project.root
    assert run_ctx(root, "hooks", "install", "--agent", "cursor").code == 0
    started = _run_hook(root, "sessionStart", _event(root, "sessionStart"))
    assert started.returncode == 0, started.stderr
    answer = json.loads(started.stdout)
    assert set(answer) == {"additional_context"}
    assert MARKER in answer["additional_context"]
    assert "# ctx project context" in answer["additional_context"]

    ws = str(root)
    make_chat(Path(os.environ["HOME"]) / ".cursor", ws, CID, messages(ws))
    ended = _run_hook(
        root,
        "sessionEnd",
        _event(root, "sessionEnd", reason="completed", duration_ms=5505, final_status="completed"),
    )
    assert ended.returncode == 0 and ended.stdout == "", ended.stderr

    def imported() -> list:  # the import runs detached
        log = project.layout.local / "hooks.log"  # written once the session is stored
        if not (log.exists() and "cursor-session-end: s-" in log.read_text()):
            return []
        project.refresh()
        return project.list_sessions()

    (listed,) = wait_until(imported, timeout=60, what="the sessionEnd import")
    session = project.get_session(listed.id)
    log = (project.layout.local / "hooks.log").read_text()
    assert session.tool == "cursor" and session.external_id == CID, log
    said = [(t.role, t.text) for t in session.turns or [] if t.role in ("user", "assistant")]
    assert said[0] == ("user", ASK) and said[-1] == ("assistant", REPLY)
    assert "cursor-session-end" in log and "failed" not in log


def test_a_hostile_conversation_id_imports_nothing(project: Project) -> None:
    root = project.root
    assert run_ctx(root, "hooks", "install", "--agent", "cursor").code == 0
    for bad in ("../../etc/passwd", "", "x" * 500, 7):
        payload = json.loads(_event(root, "sessionEnd"))
        payload["conversation_id"] = payload["session_id"] = bad
        assert _run_hook(root, "sessionEnd", json.dumps(payload)).returncode == 0
    log_path = project.layout.local / "hooks.log"
    wait_until(
        lambda: log_path.exists() and log_path.read_text().count("no usable conversation id") >= 4,
        timeout=60,
        what="the four refusals",
    )
    project.refresh()
    assert project.list_sessions() == []


def test_aider_gets_what_to_do_instead_and_unknown_agents_are_refused(project: Project) -> None:
    r = run_ctx(project.root, "hooks", "install", "--agent", "aider")
    assert r.code == 0, r.err
    assert "aider:" in r.out and "ctx wrap aider" in r.out
    unknown = run_ctx(project.root, "hooks", "install", "--agent", "nosuch")
    assert unknown.code == 2 and "copilot" in unknown.err and "codex" in unknown.err


def test_session_end_imports_an_editor_chat(project: Project) -> None:
    from ctx.capture.adapters.cursor import cursor_user_dir
    from tests.adapters import test_cursor as editor

    root = project.root
    assert run_ctx(root, "hooks", "install", "--agent", "cursor").code == 0
    user = cursor_user_dir()  # under the tests' HOME
    editor._workspace(user, "ws1", root.as_uri(), [CID])
    editor._global(user, {CID: {}})
    payload = _event(root, "sessionEnd", reason="completed", final_status="completed")
    payload = json.loads(payload)
    payload["composer_mode"] = "agent"  # the editor sends it, the CLI does not
    assert _run_hook(root, "sessionEnd", json.dumps(payload)).returncode == 0

    def imported() -> list:
        log = project.layout.local / "hooks.log"  # written once the session is stored
        if not (log.exists() and "cursor-session-end: s-" in log.read_text()):
            return []
        project.refresh()
        return project.list_sessions()

    (listed,) = wait_until(imported, timeout=60, what="the sessionEnd import")
    session = project.get_session(listed.id)
    assert session.tool == "cursor" and session.external_id == CID
    assert session.turns and session.turns[0].text == editor.ASK
