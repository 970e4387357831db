"""`ctx wrap` as a user runs it: a real `python -m ctx wrap` process in a real outer terminal."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Result

CHILDREN = Path(__file__).resolve().parent / "children"


def child(name: str, *args: str) -> list[str]:
    """argv of one of the helper programs in children/."""
    return [sys.executable, str(CHILDREN / f"{name}.py"), *args]


def ctx_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "ctx", *args]


def _controlling_tty() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """Runs argv with a new pty as its controlling terminal; collects what it displays."""

    def __init__(
        self, argv: list[str], cwd: Path, env: dict[str, str] | None = None, cols: int = 80
    ) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
        self.proc = subprocess.Popen(
            argv,
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            cwd=cwd,
            env=env if env is not None else dict(os.environ, TERM="xterm"),
            start_new_session=True,
            preexec_fn=_controlling_tty,
        )
        self.buf = bytearray()
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            with self.cond:
                if data:
                    self.buf += data
                self.cond.notify_all()
                if not data:
                    return

    def output(self) -> bytes:
        with self.cond:
            return bytes(self.buf)

    def read_until(self, pattern: bytes, timeout: float = 20.0, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.buf.count(pattern) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no {pattern!r} (x{count}) on the terminal; got {bytes(self.buf[-800:])!r}"
                    )
                self.cond.wait(left)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait(self, timeout: float = 30.0) -> int:
        code = self.proc.wait(timeout=timeout)
        time.sleep(0.05)  # let the reader take the last output
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        for fd in (self.slave, self.master):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def terminal() -> Iterator[type[Terminal]]:
    made: list[Terminal] = []

    class Tracked(Terminal):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            made.append(self)

    yield Tracked
    for term in made:
        term.close()


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
