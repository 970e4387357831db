"""A real outer terminal for the proxy: a pty whose slave is the proxy's controlling tty."""

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

import pytest

REPO = Path(__file__).resolve().parents[2]
CHILDREN = Path(__file__).resolve().parent / "children"


def child(name: str, *args: str) -> list[str]:
    """argv of one of the helper programs in children/."""
    return [sys.executable, str(CHILDREN / f"{name}.py"), *args]


def proxy_argv(
    command: list[str], journal: Path | None = None, record_input: bool = False
) -> list[str]:
    """argv of the proxy in its own process, as `ctx wrap` runs it."""
    argv = [sys.executable, "-m", "ctx.capture.pty_proxy"]
    if journal is not None:
        argv += ["--journal", str(journal)]
    if record_input:
        argv.append("--record-input")
    return [*argv, "--", *command]


def proxy_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), TERM="xterm")


def set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _make_controlling_tty() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class OuterTerminal:
    """Runs argv with a new pty as its terminal and collects everything it displays."""

    def __init__(self, argv: list[str], cols: int = 80, rows: int = 24) -> None:
        self.master, self.slave = os.openpty()
        set_size(self.master, cols, rows)
        self.attrs_before = termios.tcgetattr(self.slave)
        self.proc = subprocess.Popen(
            argv,
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=proxy_env(),
            cwd=REPO,
            start_new_session=True,
            preexec_fn=_make_controlling_tty,
        )
        self.buf = bytearray()
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            with self.cond:
                if not data:
                    self.cond.notify_all()
                    return
                self.buf += data
                self.cond.notify_all()

    def output(self) -> bytes:
        with self.cond:
            return bytes(self.buf)

    def read_until(self, pattern: bytes, timeout: float = 15.0) -> bytes:
        deadline = time.monotonic() + timeout
        with self.cond:
            while pattern not in self.buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no {pattern!r} on the terminal; got {bytes(self.buf[-500:])!r}"
                    )
                self.cond.wait(left)
            return bytes(self.buf)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def resize(self, cols: int, rows: int) -> None:
        """Like a terminal window resized: the kernel sends SIGWINCH to the foreground job."""
        set_size(self.master, cols, rows)

    def wait(self, timeout: float = 15.0) -> int:
        return self.proc.wait(timeout=timeout)

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
def outer() -> Iterator[type[OuterTerminal]]:
    made: list[OuterTerminal] = []

    class Tracked(OuterTerminal):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            made.append(self)

    yield Tracked
    for term in made:
        term.close()
