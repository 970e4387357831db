"""Real git for the sync tests: a bare remote in a temp dir and clones of it."""

from __future__ import annotations

import io
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from ctx.store.project import Project


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}:\n{proc.stdout}{proc.stderr}")
    return proc


@dataclass
class Team:
    """A bare remote with a committed, pushed ctx store, and a way to clone it."""

    base: Path
    remote: Path

    def clone(self, name: str) -> Path:
        path = self.base / name
        git(self.base, "clone", "-q", str(self.remote), name)
        git(path, "config", "user.name", name.capitalize())
        git(path, "config", "user.email", f"{name}@example.com")
        return path


def make_team(base: Path) -> Team:
    remote = base / "remote.git"
    git(base, "init", "-q", "--bare", "-b", "main", str(remote))
    seed = base / "seed"
    git(base, "clone", "-q", str(remote), "seed")
    (seed / "README.md").write_text("project\n")
    Project.open(seed, require_store=False).init()
    git(seed, "add", "README.md", ".contextfs")
    git(seed, "commit", "-q", "-m", "initial: code and ctx store")
    git(seed, "push", "-q", "origin", "HEAD:main")
    return Team(base, remote)


@pytest.fixture
def team(tmp_path: Path) -> Team:
    return make_team(tmp_path)


def conflict_free(path: Path) -> None:
    """No unmerged path and no conflict marker anywhere under .contextfs/."""
    assert git(path, "diff", "--name-only", "--diff-filter=U").stdout == ""
    for f in (path / ".contextfs").rglob("*"):
        if f.is_file() and "local" not in f.relative_to(path / ".contextfs").parts:
            data = f.read_bytes()
            assert b"\n<<<<<<< " not in b"\n" + data and b"\n>>>>>>> " not in b"\n" + data, f


def ctx_in(cwd: Path, *args: str, ok: bool = True) -> str:
    """Run `ctx -C CWD ARGS` in this process (fast); its stdout. Fails the test on an error."""
    from ctx.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["-C", str(cwd), *args])
    if ok:
        assert code == 0, f"ctx {' '.join(args)} -> {code}: {err.getvalue()}"
    return out.getvalue()
