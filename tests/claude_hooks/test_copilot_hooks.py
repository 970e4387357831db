"""`ctx hooks install --agent copilot`: the real GitHub Copilot CLI 1.0.102 (BYOK against the fake
OpenAI server), in a folder the user trusted, runs `.github/hooks/ctx.json`: the sessionStart
brief reaches the model's request and the sessionEnd hook imports the session by its id. A
`.github/hooks/ctx.json` that ctx did not write is never touched; uninstall removes only ours."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ctx.store.project import Project
from tests.fakes import opencode_harness as harness
from tests.fakes.openai_server import FakeOpenAI
from tests.helpers import wait_until
from tests.wrap.conftest import run_ctx

MARKER = "Every API change needs a changelog line (ctx-copilot-2e7b)"
REPLY = "Noted: changelog first."


@pytest.fixture
def project(repo: Path) -> Project:
    Project.open(repo, require_store=False).init()
    project = Project.open(repo)
    project.add_memory(MARKER, "decision", ["api"])
    return project


def test_install_uninstall_and_a_file_that_is_not_ours(project: Project) -> None:
    root = project.root
    path = root / ".github" / "hooks" / "ctx.json"
    assert run_ctx(root, "hooks", "install", "--agent", "copilot").code == 0
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert data["hooks"]["sessionStart"][0]["bash"].endswith("hook copilot-session-start")
    again = run_ctx(root, "hooks", "install", "--agent", "copilot", "--json").json()["done"]
    assert any("already installed" in line for line in again)
    (root / ".github" / "hooks" / "team.json").write_text("{}")
    assert run_ctx(root, "hooks", "uninstall", "--agent", "copilot").code == 0
    assert not path.exists() and (root / ".github" / "hooks" / "team.json").exists()
    path.write_text('{"version": 1, "hooks": {}}')  # someone else's file of that name
    refused = run_ctx(root, "hooks", "install", "--agent", "copilot")
    assert refused.code != 0 and "not written by ctx" in refused.err
    assert run_ctx(root, "hooks", "uninstall", "--agent", "copilot").code == 0
    assert path.read_text() == '{"version": 1, "hooks": {}}'


@pytest.mark.slow
@pytest.mark.xdist_group("copilot-live")
def test_real_copilot_gets_the_brief_and_is_imported_on_exit(
    project: Project, tmp_path: Path
) -> None:
    try:
        binary = harness.find_or_install_copilot()
    except harness.OpenCodeNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    root = project.root
    assert run_ctx(root, "hooks", "install", "--agent", "copilot").code == 0
    home = tmp_path / "cp-home"
    (home / ".copilot").mkdir(parents=True)
    # the user trusted this folder (Copilot asks on the first interactive run)
    (home / ".copilot" / "config.json").write_text(json.dumps({"trusted_folders": [str(root)]}))
    with FakeOpenAI(replies=[REPLY]) as server:
        env = harness.copilot_env(home, server.base_url)
        env["PWD"] = str(root)
        proc = subprocess.run(
            [str(binary), "-p", "what goes with an API change?"],
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        requests = server.chat_requests()
    assert proc.returncode == 0, proc.stderr
    assert REPLY in proc.stdout
    texts = requests[0].texts()
    assert "what goes with an API change?" in texts
    assert MARKER in texts and "# ctx project context" in texts  # the sessionStart brief

    def imported() -> list:  # the sessionEnd import runs detached
        log = project.layout.local / "hooks.log"  # written once the session is stored
        if not (log.exists() and "copilot-session-end: s-" in log.read_text()):
            return []
        project.refresh()
        return project.list_sessions()

    (listed,) = wait_until(imported, timeout=60, what="the sessionEnd import")
    session = project.get_session(listed.id)
    log = (project.layout.local / "hooks.log").read_text()
    assert session.tool == "copilot", log
    said = [(t.role, t.text) for t in session.turns or [] if t.role in ("user", "assistant")]
    assert said == [("user", "what goes with an API change?"), ("assistant", REPLY)], log
    assert not any(MARKER in t.text for t in session.turns or [])  # the brief is not a turn
    assert "copilot-session-end" in log and "failed" not in log
