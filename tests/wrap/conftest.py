"""`ctx wrap` as a user runs it: a real `python -m ctx wrap` process in a real outer terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Result
from tests.outer_pty import PtyTerminal, closed_after

CHILDREN = Path(__file__).resolve().parent / "children"


def child(name: str, *args: str) -> list[str]:
    """argv of one of the helper programs in children/."""
    return [sys.executable, str(CHILDREN / f"{name}.py"), *args]


def ctx_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "ctx", *args]


class Terminal(PtyTerminal):
    """Runs argv with a new pty as its controlling terminal; collects what it displays."""

    def __init__(
        self, argv: list[str], cwd: Path, env: dict[str, str] | None = None, cols: int = 80
    ) -> None:
        env = env if env is not None else dict(os.environ, TERM="xterm")
        super().__init__(argv, cwd=cwd, env=env, cols=cols)


@pytest.fixture
def terminal() -> Iterator[type[Terminal]]:
    yield from closed_after(Terminal)


@pytest.fixture
def store(repo: Path) -> Path:
    """A git repository with an initialised ctx store."""
    from ctx.store.project import Project

    Project.open(repo, require_store=False).init()
    return repo


def committed_files(root: Path) -> list[Path]:
    """Files git would commit under .contextfs/: tracked plus untracked, not ignored."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", ".contextfs"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [root / p for p in out.split()]


def run_ctx(
    cwd: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None
) -> Result:
    """`python -m ctx ARGS` as a real child process, stdin a pipe (or empty), no terminal."""
    proc = subprocess.run(
        ctx_argv(*args),
        cwd=cwd,
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
        env=env if env is not None else os.environ.copy(),
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def session_json(cwd: Path, sid: str | None = None, env: dict[str, str] | None = None) -> Any:
    """`ctx sessions show --json` of ``sid`` (default: the newest session)."""
    if sid is None:
        listed = run_ctx(cwd, "sessions", "list", "--all", "--json", env=env)
        assert listed.code == 0, listed.err
        sid = listed.json()[0]["id"]
    shown = run_ctx(cwd, "sessions", "show", str(sid), "--json", env=env)
    assert shown.code == 0, shown.err
    return shown.json()


def tool_on_path(tmp_path: Path, name: str, script: str) -> dict[str, str]:
    """An environment whose PATH starts with a program ``name`` that runs children/``script``."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    exe = bindir / name
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{CHILDREN / script}" "$@"\n')
    exe.chmod(0o755)
    return dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}", TERM="xterm")
