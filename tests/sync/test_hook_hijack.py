"""A pulled commit that adds a `ctx/` package at the repository's root must not run: git runs
its hooks there (and an agent its hooks, `ctx resume --exec` its wrap), and `python -m ctx`
imports the current directory's `ctx/` before the installed one. ctx starts its children with
`python -c` and drops the current directory from the path first (ctx/core/safe_launch.py)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from ctx.core import safe_launch
from ctx.integrations.git_hooks import hook_status, hooks_dir, outdated, render
from ctx.store.project import Project
from tests.sync.conftest import Team, ctx_in, git

AWS_KEY = "AKIA" + "Q3T7WZ5LX2MRK4PV"


def plant_package(repo: Path, marker: Path) -> None:
    """The attacker's `ctx/`: importing it, or running it as `-m ctx`, writes `marker`."""
    pkg = repo / "ctx"
    pkg.mkdir()
    code = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    (pkg / "__init__.py").write_text(code)
    (pkg / "__main__.py").write_text(code)
    (pkg / "launch.py").write_text(code + "def main(*a):\n    return 0\n")


def test_a_pulled_ctx_package_never_runs_in_the_git_hooks(team: Team, tmp_path: Path) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    ctx_in(bob, "hooks", "install")
    marker = tmp_path / "PWNED"
    plant_package(alice, marker)
    git(alice, "add", "ctx")
    git(alice, "commit", "-qm", "add a helper package")
    git(alice, "push", "-q", "origin", "HEAD:main")

    env = {**os.environ, "CTX_HOOKS_FOREGROUND": "1"}

    def run_git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=bob, capture_output=True, text=True, env=env)

    assert run_git("pull", "-q", "--no-rebase").returncode == 0  # post-merge
    assert (bob / "ctx" / "__main__.py").exists()
    (bob / "notes.txt").write_text("x\n")
    run_git("add", "notes.txt")
    assert run_git("commit", "-qm", "notes").returncode == 0  # pre-commit, post-commit
    assert run_git("checkout", "-q", "-b", "other").returncode == 0  # post-checkout
    assert not marker.exists(), marker.read_text()
    # and the hooks still do their work: the installed ctx refuses a secret in the store
    part = bob / ".contextfs" / "sessions" / "s-handedit0000" / "000.jsonl"
    part.parent.mkdir(parents=True)
    part.write_text(
        '{"type":"session","format":1,"id":"s-handedit0000","tool":"manual"}\n'
        f'{{"type":"turn","n":0,"role":"user","text":"my key is {AWS_KEY}"}}\n'
    )
    run_git("add", ".contextfs")
    r = run_git("commit", "-m", "leak")
    assert r.returncode != 0 and "refusing to commit" in r.stderr, r
    assert not marker.exists()


def test_the_agents_hook_command_and_children_skip_the_current_directory(
    tmp_path: Path,
) -> None:
    """The command written into an agent's settings when no `ctx` script is at hand, and the
    argv of `ctx resume --exec` and the detached jobs, run in a folder holding a `ctx/`."""
    marker = tmp_path / "PWNED"
    repo = tmp_path / "repo"
    repo.mkdir()
    plant_package(repo, marker)
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(safe_launch.MAIN)} --version"
    r = subprocess.run(["sh", "-c", command], cwd=repo, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip(), r
    r = subprocess.run(safe_launch.ctx_argv("--version"), cwd=repo, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip(), r
    job = [sys.executable, "-c", safe_launch.module_main("ctx.capture.asciicast")]
    r = subprocess.run(job, cwd=repo, capture_output=True, text=True)
    assert r.returncode == 2 and "usage: python -m ctx.capture.asciicast" in r.stderr, r
    assert not marker.exists()
    # what the old form did, for the record: the planted package ran
    subprocess.run([sys.executable, "-m", "ctx", "--version"], cwd=repo, capture_output=True)
    assert marker.exists()


def test_hooks_an_older_ctx_wrote_are_named_and_rewritten_by_the_next_hook_run(
    team: Team,
) -> None:
    """v1 hooks ran `python -m ctx`: `ctx doctor` names them, and the background part of the
    next hook rewrites them for the same Python (the user need not run `ctx hooks install`)."""
    bob = team.clone("bob")
    ctx_in(bob, "hooks", "install")
    hdir = hooks_dir(Project.open(bob))
    for hook in ("post-checkout", "pre-commit"):
        old = render(hook).replace("# ctx-managed-hook v2", "# ctx-managed-hook v1")
        old = old.replace('-c "$CTX_MAIN" hooks run', "-m ctx hooks run")
        (hdir / hook).write_text(old)
    assert outdated(hdir) == ["pre-commit", "post-checkout"]
    [check] = hook_status(Project.open(bob))
    assert check.status == "warn" and "older ctx: pre-commit, post-checkout" in check.detail
    env = {**os.environ, "CTX_HOOKS_FOREGROUND": "1"}
    r = subprocess.run(
        ["git", "checkout", "-q", "-b", "next"], cwd=bob, capture_output=True, text=True, env=env
    )
    assert r.returncode == 0, r
    assert outdated(hdir) == []
    assert (hdir / "pre-commit").read_text() == render("pre-commit")
    assert hook_status(Project.open(bob))[0].status == "ok"
