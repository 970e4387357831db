"""``import.all_agents = true``: the SessionStart hook and git's post-merge hook keep every
agent's history of the repository, in the background (the hook returns first), at most once
every few minutes, one import at a time, reported in `ctx hooks log`; off, nothing is imported.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ctx.core.paths import user_config_file
from ctx.integrations import auto_import
from ctx.store.locking import file_lock
from ctx.store.project import Project
from tests.handoff.test_all_agents import _codex
from tests.helpers import ctx_proc, wait_until
from tests.sync.conftest import Team, git, make_team

ON = "\n[import]\nall_agents = true\n"


@pytest.fixture
def team(tmp_path: Path) -> Team:
    return make_team(tmp_path)


def _session_start(root: Path) -> subprocess.CompletedProcess[str]:
    event = {"session_id": "s1", "cwd": str(root), "hook_event_name": "SessionStart"}
    return subprocess.run(
        [sys.executable, "-m", "ctx", "hook", "claude-session-start"],
        input=json.dumps(event),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _tools(root: Path) -> list[str]:
    project = Project.open(root)
    return [s.tool for s in project.list_sessions()]


def _log(root: Path) -> str:
    path = root / ".contextfs" / "local" / "hooks.log"
    return path.read_text() if path.exists() else ""


def _workers(root: Path) -> list[int]:
    """The detached import workers of ``root`` still running (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read()
        except OSError:
            continue
        if b"ctx.integrations.auto_import" in cmd and str(root).encode() in cmd:
            found.append(int(entry))
    return found


def test_session_start_imports_in_the_background_only_when_asked(team: Team) -> None:
    root = team.clone("ada")
    _codex(Path(os.environ["HOME"]), root)  # a Codex session of this repository in HOME

    # off (the default): the worker checks the setting and imports nothing
    out = _session_start(root)
    assert (out.returncode, out.stderr) == (0, "")
    assert (root / ".contextfs" / "local" / auto_import.STAMP).exists()  # a worker started
    wait_until(lambda: not _workers(root), what="the worker to finish")
    assert _tools(root) == [] and "auto-import" not in _log(root)
    # at most one check every few minutes: an immediate second start spawns nothing
    stamp = root / ".contextfs" / "local" / auto_import.STAMP
    before = stamp.stat().st_mtime_ns
    assert not auto_import.due(str(root))
    assert _session_start(root).returncode == 0 and stamp.stat().st_mtime_ns == before

    # on, in the user's config; the hook returns while the import cannot finish (the
    # store's write lock is held here), and the import lands afterwards
    user_config_file().parent.mkdir(parents=True, exist_ok=True)
    user_config_file().write_text(ON)
    stamp.unlink()
    project = Project.open(root)
    with file_lock(project.layout.lock_file):
        started = time.monotonic()
        out = _session_start(root)
        assert (out.returncode, out.stdout, out.stderr) == (0, "", "")
        assert time.monotonic() - started < 10
        time.sleep(0.5)
        # the import cannot finish while the lock is held (its transcript may already be on
        # disk, and listed: a session is visible once its write-once transcript exists)
        assert _workers(root), "the background import ended while the store was locked"
        assert "auto-import" not in _log(root)
    line = wait_until(
        lambda: [x for x in _log(root).splitlines() if "auto-import: after session start" in x],
        what="the background import",
    )
    assert "1 new session(s)" in line[0] and "codex 1" in line[0]
    assert _tools(root) == ["codex"]
    shown = ctx_proc(root, "hooks", "log").out
    assert "auto-import: after session start: 1 new session(s)" in shown


def test_two_imports_never_run_at_once(team: Team) -> None:
    root = team.clone("bo")
    user_config_file().parent.mkdir(parents=True, exist_ok=True)
    user_config_file().write_text(ON)
    _codex(Path(os.environ["HOME"]), root)
    lock = root / ".contextfs" / "local" / auto_import.LOCK
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # an import is running
        assert _session_start(root).returncode == 0
        wait_until(lambda: "another import is running; skipped" in _log(root))
        assert _tools(root) == []
    finally:
        os.close(fd)


def test_a_pull_that_turns_it_on_imports_after_the_merge(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    assert ctx_proc(bob, "hooks", "install").code == 0
    _codex(Path(os.environ["HOME"]), bob)
    env = {**os.environ, "CTX_HOOKS_FOREGROUND": "1"}  # the hook itself waited for; not the import

    # a pull while the setting is off: the hook runs, nothing is imported, no worker started
    (alice / "a.txt").write_text("a\n")
    git(alice, "add", "a.txt")
    git(alice, "commit", "-qm", "a")
    git(alice, "push", "-q", "origin", "HEAD:main")
    subprocess.run(["git", "pull", "-q", "--no-rebase"], cwd=bob, env=env, check=True)
    assert (bob / "a.txt").exists()
    assert not (bob / ".contextfs" / "local" / auto_import.STAMP).exists()
    assert _tools(bob) == []

    # the team turns it on (committed config); bob's next pull imports his Codex history
    with (alice / ".contextfs" / "config.toml").open("a") as fh:
        fh.write(ON)
    git(alice, "commit", "-qam", "keep every agent's history")
    git(alice, "push", "-q", "origin", "HEAD:main")
    subprocess.run(["git", "pull", "-q", "--no-rebase"], cwd=bob, env=env, check=True)
    wait_until(lambda: "auto-import: after post-merge" in _log(bob), what="the import")
    assert _tools(bob) == ["codex"]
    # only the project's file asked (a teammate's commit): bob's history is kept for him,
    # private, and nothing of it is staged for the team
    [session] = Project.open(bob).list_sessions()
    assert session.private, session
    assert "imported as private" in _log(bob) and str(user_config_file()) in _log(bob)
    assert ctx_proc(bob, "sync", "--no-push").code == 0
    committed = git(bob, "ls-tree", "-r", "--name-only", "HEAD", ".contextfs/sessions").stdout
    assert session.id not in committed


def test_ctx_sync_that_pulls_imports_in_the_background_too(team: Team) -> None:
    """`ctx sync` keeps git's hooks quiet while it drives git; it starts the import itself."""
    alice, bob = team.clone("alice"), team.clone("bob")
    _codex(Path(os.environ["HOME"]), bob)
    (alice / "a.txt").write_text("a\n")
    git(alice, "add", "a.txt")
    git(alice, "commit", "-qm", "a")
    git(alice, "push", "-q", "origin", "HEAD:main")
    assert ctx_proc(bob, "sync", "--no-push").code == 0  # pulled, the setting off
    assert (bob / "a.txt").exists()
    assert not (bob / ".contextfs" / "local" / auto_import.STAMP).exists()
    with (alice / ".contextfs" / "config.toml").open("a") as fh:
        fh.write(ON)
    git(alice, "commit", "-qam", "keep every agent's history")
    git(alice, "push", "-q", "origin", "HEAD:main")
    user_config_file().parent.mkdir(parents=True, exist_ok=True)
    user_config_file().write_text(ON)  # bob agrees: what is imported is shared
    assert ctx_proc(bob, "sync", "--no-push").code == 0  # the pull brings the setting
    wait_until(lambda: "auto-import: after ctx sync" in _log(bob), what="the import")
    assert _tools(bob) == ["codex"]
    assert not Project.open(bob).list_sessions()[0].private
    assert "imported as private" not in _log(bob)
