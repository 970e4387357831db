"""install/uninstall/status of the Claude Code hooks in the project's .claude/settings.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ctx.core.errors import CtxError
from ctx.integrations.claude_hooks import (
    claude_hook_status,
    ctx_command,
    install_claude_hooks,
    settings_path,
    uninstall_claude_hooks,
)
from ctx.store.project import Project

OTHER_HOOK = {"type": "command", "command": "echo someone-else"}


@pytest.fixture
def project(repo: Path) -> Project:
    p = Project.open(repo, require_store=False)
    p.init()
    return p


def _settings(project: Project) -> dict:
    return json.loads(settings_path(project).read_text())


def _commands(data: dict, event: str) -> list[str]:
    return [h["command"] for g in data["hooks"].get(event, []) for h in g["hooks"]]


def test_install_creates_both_hooks_and_is_idempotent(project: Project) -> None:
    done = install_claude_hooks(project, command="ctx")
    assert done == [
        ".claude/settings.json: added SessionStart hook (ctx hook claude-session-start)",
        ".claude/settings.json: added SessionEnd hook (ctx hook claude-session-end)",
    ]
    data = _settings(project)
    assert data["hooks"]["SessionStart"] == [
        {"hooks": [{"type": "command", "command": "ctx hook claude-session-start", "timeout": 5}]}
    ]
    # Both hooks return within a fraction of a second (the import runs detached): Claude
    # Code's timeout is only a backstop.
    assert data["hooks"]["SessionEnd"][0]["hooks"][0]["timeout"] == 5
    # SessionEnd runs in the background: Claude Code's exit does not wait for it.
    assert data["hooks"]["SessionEnd"][0]["hooks"][0]["async"] is True
    assert "async" not in data["hooks"]["SessionStart"][0]["hooks"][0]
    before = settings_path(project).read_bytes()
    again = install_claude_hooks(project, command="ctx")
    assert all("already installed" in line for line in again)
    assert settings_path(project).read_bytes() == before


def test_install_makes_an_older_foreground_session_end_hook_async(project: Project) -> None:
    old = {"type": "command", "command": "ctx hook claude-session-end", "timeout": 5}
    path = settings_path(project)
    path.parent.mkdir()
    path.write_text(json.dumps({"hooks": {"SessionEnd": [{"hooks": [old]}]}}))
    done = install_claude_hooks(project, command="ctx")
    assert ".claude/settings.json: updated SessionEnd hook (ctx hook claude-session-end)" in done
    assert _settings(project)["hooks"]["SessionEnd"] == [{"hooks": [{**old, "async": True}]}]
    uninstall_claude_hooks(project)
    assert not path.exists()


def test_install_merges_with_existing_settings_and_uninstall_restores_them(
    project: Project,
) -> None:
    path = settings_path(project)
    path.parent.mkdir()
    original = {
        "permissions": {"allow": ["Bash(npm test)"]},
        "hooks": {
            "SessionStart": [{"matcher": "startup", "hooks": [OTHER_HOOK]}],
            "PreToolUse": [{"matcher": "Bash", "hooks": [OTHER_HOOK]}],
        },
    }
    path.write_text(json.dumps(original))
    install_claude_hooks(project, command="/opt/venv/bin/ctx")
    data = _settings(project)
    assert data["permissions"] == original["permissions"]
    assert data["hooks"]["PreToolUse"] == original["hooks"]["PreToolUse"]
    assert _commands(data, "SessionStart") == [
        "echo someone-else",
        "/opt/venv/bin/ctx hook claude-session-start",
    ]
    # a reinstall from another environment updates our entry in place, no duplicate
    done = install_claude_hooks(project, command="ctx")
    assert done[0].startswith(".claude/settings.json: updated SessionStart hook")
    assert _commands(_settings(project), "SessionStart") == [
        "echo someone-else",
        "ctx hook claude-session-start",
    ]
    removed = uninstall_claude_hooks(project)
    assert removed == [
        ".claude/settings.json: removed SessionStart hook",
        ".claude/settings.json: removed SessionEnd hook",
    ]
    assert _settings(project) == original
    assert "nothing to remove" in uninstall_claude_hooks(project)[0]


def test_uninstall_removes_a_file_that_only_held_our_hooks(project: Project) -> None:
    install_claude_hooks(project)
    uninstall_claude_hooks(project)
    assert not settings_path(project).exists() and not settings_path(project).parent.exists()
    install_claude_hooks(project)
    (settings_path(project).parent / "commands").mkdir()  # someone else's: the dir stays
    uninstall_claude_hooks(project)
    assert (settings_path(project).parent / "commands").is_dir()


def test_broken_settings_are_left_alone(project: Project) -> None:
    path = settings_path(project)
    path.parent.mkdir()
    path.write_text("{not json")
    with pytest.raises(CtxError) as info:
        install_claude_hooks(project)
    assert "nothing was changed" in info.value.advice
    assert path.read_text() == "{not json"
    assert claude_hook_status(project)[0].status == "warn"


def test_status_reports_missing_partial_and_unrunnable(project: Project) -> None:
    (check,) = claude_hook_status(project)
    assert check.status == "ok" and "not installed" in check.detail
    install_claude_hooks(project)  # the default command: this environment's ctx
    (check,) = claude_hook_status(project)
    assert check.status == "ok", check
    install_claude_hooks(project, command="/nonexistent/bin/ctx")
    (check,) = claude_hook_status(project)
    assert check.status == "warn" and "/nonexistent/bin/ctx" in check.detail
    data = _settings(project)
    del data["hooks"]["SessionEnd"]
    settings_path(project).write_text(json.dumps(data))
    (check,) = claude_hook_status(project)
    assert check.status == "warn" and "SessionEnd" in check.detail


def test_default_command_runs_this_ctx(monkeypatch: pytest.MonkeyPatch) -> None:
    import shlex
    import subprocess

    monkeypatch.delenv("CTX_HOOK_COMMAND", raising=False)
    cmd = ctx_command()
    out = subprocess.run(
        [*shlex.split(cmd), "--version"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and out.stdout.startswith("ctx ")
    monkeypatch.setenv("CTX_HOOK_COMMAND", "uvx ctx")
    assert ctx_command() == "uvx ctx"


def test_local_hooks_stay_on_this_machine(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from tests.helpers import ctx_proc

    monkeypatch.delenv("CTX_HOOK_COMMAND", raising=False)  # this environment's ctx
    root = project.root
    bad = ctx_proc(root, "hooks", "install", "--local")
    assert bad.code != 0 and "--claude --local" in bad.err
    r = ctx_proc(root, "hooks", "install", "--claude", "--local", "--json")
    assert r.code == 0, r.err
    assert any("excluded from git" in line for line in json.loads(r.out)["done"])
    local = settings_path(project, local=True)
    want = f"{ctx_command()} hook claude-session-end"
    assert _commands(json.loads(local.read_text()), "SessionEnd") == [want]
    assert not settings_path(project).exists()
    untracked = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", ".claude"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    assert untracked.stdout == ""  # git never offers to commit it
    (check,) = claude_hook_status(project)
    assert check.status == "ok" and ".claude/settings.local.json" in check.detail
    again = ctx_proc(root, "hooks", "install", "--claude", "--local", "--json")
    assert all("excluded" not in line for line in json.loads(again.out)["done"])
    assert (root / ".git" / "info" / "exclude").read_text().count("settings.local.json") == 1

    removed = uninstall_claude_hooks(project)
    assert removed[0] == ".claude/settings.local.json: removed SessionStart hook"
    assert not local.exists()


def test_a_machine_path_in_the_shared_settings_is_pointed_out(project: Project) -> None:
    done = install_claude_hooks(project, command="/home/ada/.venv/bin/ctx")
    assert "path of this machine" in done[-1] and "--local" in done[-1]
    assert "path of this machine" not in " ".join(install_claude_hooks(project, command="ctx"))
