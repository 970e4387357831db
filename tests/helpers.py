"""Small helpers shared by tests: run the CLI in-process or as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_ctx(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Run `ctx ARGS` in this process (fast); the cwd decides the project."""
    from ctx.cli.app import main

    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def ctx_proc(cwd: Path, *args: str, input: str | None = None, timeout: float = 60) -> Result:
    """Run `python -m ctx ARGS` as a real child process."""
    proc = subprocess.run(
        [sys.executable, "-m", "ctx", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def decoded_bytes(path: Path) -> bytes:
    """A file's bytes plus, for CRDT logs, the decoded update payloads (base64 hides text)."""
    import base64
    import binascii

    raw = path.read_bytes()
    extra = []
    for line in raw.splitlines():
        parts = line.split(b" ")
        if len(parts) == 2 and len(parts[0]) == 8:
            try:
                extra.append(base64.b64decode(parts[1]))
            except binascii.Error:
                pass
    return raw + b"\n".join(extra)


def store_contains(root: Path, needle: str, *, tracked_only: bool = False) -> list[str]:
    """Files under .contextfs/ (all, or git-tracked ones) whose content holds `needle`."""
    import subprocess

    store = root / ".contextfs"
    if tracked_only:
        out = subprocess.run(
            ["git", "ls-files", ".contextfs"], cwd=root, capture_output=True, text=True
        ).stdout
        files = [root / p for p in out.split()]
    else:
        files = [p for p in store.rglob("*") if p.is_file()]
    return [str(p) for p in files if needle.encode() in decoded_bytes(p)]


def wait_until(check: Callable[[], T], timeout: float = 60.0, what: str = "") -> T:
    """Poll until ``check()`` is truthy (a background job landing); fail after ``timeout``."""
    end = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what or check}", pytrace=False)
        time.sleep(0.1)


def git_shim(folder: Path, before: str) -> dict[str, str]:
    """An environment whose `git` runs the shell line `before` (with git's arguments in "$@")
    and then the real git: to watch or slow down the git calls of a ctx child process."""
    import shutil

    folder.mkdir()
    real = shutil.which("git")
    (folder / "git").write_text(f'#!/bin/sh\n{before}\nexec {real} "$@"\n')
    (folder / "git").chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}
