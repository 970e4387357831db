"""Real git for the sync tests: a bare remote in a temp dir and clones of it."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def ctx_run(cwd: Path, *args: str) -> tuple[int, str, str]:
    """Run `ctx -C CWD ARGS` in this process (fast): exit code, stdout, stderr."""
    from ctx.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["-C", str(cwd), *args])
    return code, out.getvalue(), err.getvalue()


def ctx_in(cwd: Path, *args: str, ok: bool = True) -> str:
    """Run `ctx -C CWD ARGS` in this process (fast); its stdout. Fails the test on an error."""
    code, out, err = ctx_run(cwd, *args)
    if ok:
        assert code == 0, f"ctx {' '.join(args)} -> {code}: {err}"
    return out


Listing = Callable[[Path], "dict[str, dict[str, Any]]"]


def cli_helpers(ctx: Callable[..., str]) -> tuple[Listing, Listing, Callable[..., str]]:
    """``memories``, ``sessions`` and ``capture`` run through ``ctx`` (in-process or a real
    process, as the test module chooses): memories/sessions by id, a captured session's id."""

    def memories(cwd: Path) -> dict[str, dict[str, Any]]:
        return {m["id"]: m for m in json.loads(ctx(cwd, "memory", "list", "--json"))}

    def sessions(cwd: Path) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in json.loads(ctx(cwd, "sessions", "list", "--json"))}

    def capture(cwd: Path, title: str, *turns: str) -> str:
        sid = json.loads(ctx(cwd, "capture", "--title", title, "--json"))["id"]
        for i, text in enumerate(turns):
            ctx(cwd, "append", "--role", "user" if i % 2 == 0 else "assistant", text)
        ctx(cwd, "complete")
        return str(sid)

    return memories, sessions, capture
