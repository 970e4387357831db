"""A real outer terminal for tests: a program runs with a new pty as its controlling tty and
everything it displays is collected (tests/capture drives the proxy in it, tests/wrap `ctx wrap`).

Why shared: both test areas wrote the same pty, reader thread and wait-for-output loop.
"""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T", bound="PtyTerminal")


def set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _make_controlling_tty() -> None:
    # as a terminal's shell starts a program: the signals a test sends act by default even
    # when the suite itself runs with them ignored (`nohup make test`, a background job)
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyTerminal:
    """Runs argv with a new pty as its controlling terminal; collects what it displays."""

    #: Default seconds for :meth:`read_until` and :meth:`wait`.
    READ_TIMEOUT = 20.0
    WAIT_TIMEOUT = 30.0

    def __init__(
        self, argv: list[str], *, cwd: Path, env: dict[str, str], cols: int = 80, rows: int = 24
    ) -> None:
        self.master, self.slave = os.openpty()
        set_size(self.master, cols, rows)
        self.attrs_before = termios.tcgetattr(self.slave)
        self.proc = subprocess.Popen(
            argv,
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=env,
            cwd=cwd,
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
                if data:
                    self.buf += data
                self.cond.notify_all()
                if not data:
                    return

    def output(self) -> bytes:
        with self.cond:
            return bytes(self.buf)

    def read_until(self, pattern: bytes, timeout: float | None = None, count: int = 1) -> bytes:
        """Wait until ``pattern`` has been displayed ``count`` times; all output so far."""
        deadline = time.monotonic() + (self.READ_TIMEOUT if timeout is None else timeout)
        with self.cond:
            while self.buf.count(pattern) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no {pattern!r} (x{count}) on the terminal; got {bytes(self.buf[-800:])!r}"
                    )
                self.cond.wait(left)
            return bytes(self.buf)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def resize(self, cols: int, rows: int) -> None:
        """Like a terminal window resized: the kernel sends SIGWINCH to the foreground job."""
        set_size(self.master, cols, rows)

    def wait(self, timeout: float | None = None) -> int:
        code = self.proc.wait(timeout=self.WAIT_TIMEOUT if timeout is None else timeout)
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


def closed_after(cls: type[T]) -> Iterator[type[T]]:
    """For a fixture: yields a subclass of ``cls``; every terminal made from it is closed after."""
    made: list[PtyTerminal] = []

    class Tracked(cls):  # type: ignore[valid-type,misc]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    yield Tracked
    for term in made:
        term.close()
