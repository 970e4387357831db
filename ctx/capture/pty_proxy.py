"""Run a command exactly as if it ran directly, and report every byte it prints.

``ctx wrap`` must not change how a tool feels or what it outputs. The program gets the same
kind of stdin/stdout/stderr it would have without ctx (:mod:`ctx.capture.spawn`): a pty
session of its own when ctx has a terminal on both sides, a pty for its output alone when
only stdout is a terminal, no pty at all when stdout is a pipe or a file (``claude -p x >
out`` writes the very same bytes). In a pty session the real terminal goes to raw mode so
every key (Ctrl-C, Ctrl-Z, Ctrl-D, arrows) is just bytes for the program's pty, which turns
them into signals and line editing as a terminal would; window-size changes are copied to
it; the program's exit status becomes ours; output reaches ``stdout_fd`` untouched and fully.
Like asciinema's recorder, the collaborators (sink, fds, environment) are passed in, so tests
drive it with a real child and ``ctx wrap`` wires in a journal.

The loop is one ``poll`` over the output (pty master or pipe), stdin when ctx copies it, and a
signal wake-up pipe, with large non-blocking reads batched before they are written out (the
kernel hands pty data over in about 4 KiB pieces; a pipe is enlarged to 1 MiB), so the
per-byte cost stays near that of util-linux ``script`` (bench/bench_wrap.py measures the
whole ``ctx wrap`` command).

Signals: in a pty session SIGWINCH resizes the program's pty, and SIGINT, SIGTERM, SIGHUP and
SIGQUIT sent to ctx are forwarded; Ctrl-Z stops the program (its process group is not
orphaned, see :mod:`ctx.capture.spawn`), then ctx gives the terminal back and stops too, and
``fg`` resumes both with the terminal in raw mode again and the current window size. Without
a session the program shares ctx's process group, so the terminal's signals reach both and
only SIGTERM/SIGHUP are forwarded. ctx keeps running until the program exits, so the
terminal is restored and the recording completed on every path. Signal handling needs the
main thread; elsewhere the loop polls the program's status instead.

Usage for benchmarks and tests (a separate process, like ``ctx wrap`` will be)::

    python -m ctx.capture.pty_proxy [--journal PATH] [--cast PATH] [--record-input] -- CMD ARGS
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import shutil
import signal
import struct
import sys
import termios
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ctx.capture.spawn import PIPE_SIZE, Spawned, is_tty, plan_io, read_report, set_winsize, spawn
from ctx.core.errors import EXIT_NOT_FOUND_CMD, CtxError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

#: Bytes read from a pty before they are passed on (one write to the terminal). Small: a pty
#: hands over about 4 KB per read, and while ctx's write to the terminal blocks, the program
#: can only fill the pty's own small buffer. With 256 KB batches the program, ctx and the
#: terminal took turns instead of running side by side (`ctx wrap -- cat` of 100 MB to a
#: terminal: 0.57x `script`); 4 and 8 KB measured best, 16 KB ~0.2 s slower (docs/benchmarks.md).
BATCH_BYTES = 8 * 1024
#: ...from a pipe (nothing to keep flowing on the other side), as much as it holds.
PIPE_BATCH_BYTES = 1 << 20
#: Output is handed to the sink (the journal) in records of up to this much: during a burst
#: the journal trails the screen by less than this, and catches up whenever the output pauses
#: (before ctx waits for more), before any input or resize is recorded, and at the end.
SINK_BATCH_BYTES = 256 * 1024
BURST_BATCHES = 8  # full batches read back to back before ctx polls again
#: The output has paused (``on_idle``) when nothing came for this long (ms).
IDLE_MS = 50
#: Input queued for a child that does not read is capped; stdin is paused beyond this.
MAX_PENDING_INPUT = 1 << 20
#: After the child exits, output still in the pty is drained until it is quiet this long...
DRAIN_IDLE_S = 0.05
#: ...or for at most this long (a background grandchild may keep the pty open and busy).
DRAIN_MAX_S = 2.0
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
DEFAULT_SIZE = (80, 24)


class ProxySink(Protocol):
    """Receives what passes through the proxy; ``t`` is seconds since the child started."""

    def on_start(self, cols: int, rows: int) -> None: ...

    def on_output(self, data: bytes, t: float) -> None: ...

    def on_input(self, data: bytes, t: float) -> None: ...

    def on_resize(self, cols: int, rows: int, t: float) -> None: ...


class NullSink:
    """A sink that records nothing (benchmarks, plain pass-through)."""

    def on_start(self, cols: int, rows: int) -> None:
        pass

    def on_output(self, data: bytes, t: float) -> None:
        pass

    def on_input(self, data: bytes, t: float) -> None:
        pass

    def on_resize(self, cols: int, rows: int, t: float) -> None:
        pass


@dataclass
class ProxyResult:
    """How the wrapped command ended. ``exit_code`` follows the shell: 128+N when killed by N."""

    exit_code: int
    signal: int | None
    started_monotonic: float
    ended_monotonic: float
    started_wall: float  # epoch seconds
    ended_wall: float
    cols: int  # the size the child started with
    rows: int
    output_bytes: int = 0
    input_bytes: int = 0

    @property
    def duration(self) -> float:
        return self.ended_monotonic - self.started_monotonic


def resolve_command(
    argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | None = None
) -> str:
    """The executable ``argv[0]`` names (searched on ``env``'s PATH), or a CtxError like a shell's.

    Called first by :func:`run_proxied`; ``ctx wrap`` may call it before creating anything.
    """
    if not argv:
        raise CtxError("no command to run", "usage: ctx wrap [OPTIONS] -- CMD [ARGS...]")
    cmd = argv[0]
    if "/" in cmd:
        path = cmd if os.path.isabs(cmd) or cwd is None else os.path.join(cwd, cmd)
        if not os.path.exists(path):
            raise CtxError(
                f"command not found: {cmd}",
                "check the path",
                exit_code=EXIT_NOT_FOUND_CMD,
                code="command_not_found",
            )
        if os.path.isdir(path) or not os.access(path, os.X_OK):
            raise CtxError(
                f"cannot run {cmd}: not an executable file",
                f"make it executable (chmod +x {cmd})",
                exit_code=126,
                code="not_executable",
            )
        return os.path.abspath(path)
    search = (env if env is not None else os.environ).get("PATH", os.defpath)
    found = shutil.which(cmd, path=search)
    if found is None:
        raise CtxError(
            f"command not found: {cmd}",
            "check the spelling, and that it is installed and on PATH",
            exit_code=EXIT_NOT_FOUND_CMD,
            code="command_not_found",
        )
    return os.path.abspath(found)


def get_winsize(fd: int) -> tuple[int, int] | None:
    """(cols, rows) of the terminal on ``fd``, or None when it is not a terminal."""
    try:
        packed = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
    except OSError:
        return None
    rows, cols, _, _ = struct.unpack("HHHH", packed)
    return (cols, rows) if rows and cols else None


def _make_raw(attrs: list[Any]) -> list[Any]:
    """cfmakeraw(3) on a copy of ``attrs``."""
    mode = [*attrs[:6], list(attrs[6])]
    mode[0] &= ~(
        termios.IGNBRK
        | termios.BRKINT
        | termios.PARMRK
        | termios.ISTRIP
        | termios.INLCR
        | termios.IGNCR
        | termios.ICRNL
        | termios.IXON
    )
    mode[1] &= ~termios.OPOST
    mode[2] &= ~(termios.CSIZE | termios.PARENB)
    mode[2] |= termios.CS8
    mode[3] &= ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.ISIG | termios.IEXTEN)
    mode[6][termios.VMIN] = 1
    mode[6][termios.VTIME] = 0
    return mode


def run_proxied(
    argv: Sequence[str],
    *,
    sink: ProxySink,
    stdin_fd: int | None = 0,
    stdout_fd: int | None = 1,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    record_input: bool = False,
    on_started: Callable[[], object] | None = None,
    on_idle: Callable[[], object] | None = None,
) -> ProxyResult:
    """Run ``argv`` (no shell) wired to ``stdin_fd``/``stdout_fd`` until it exits.

    ``stdin_fd``/``stdout_fd`` may be terminals, pipes, files or None (no input / discard);
    the program gets the same kind (:func:`ctx.capture.spawn.plan_io`).
    Raises CtxError (exit_code 127) for a missing command before anything else happens,
    even before ``sink.on_start``; CtxError 126 if it exists but cannot be executed.
    ``on_started`` is called once the program runs (after every fork of ctx); ``on_idle``
    once, the first time its output pauses for ``IDLE_MS``: work started then (in a thread)
    does not slow a stream of output down, and a program that never pauses never waits for it.
    """
    proxy = _Proxy(argv, sink, stdin_fd, stdout_fd, env, cwd, record_input)
    proxy.on_started = on_started
    proxy.on_idle = on_idle
    return proxy.run()


class _Proxy:
    def __init__(
        self,
        argv: Sequence[str],
        sink: ProxySink,
        stdin_fd: int | None,
        stdout_fd: int | None,
        env: Mapping[str, str] | None,
        cwd: str | None,
        record_input: bool,
    ) -> None:
        self.argv = [str(a) for a in argv]
        self.sink = sink
        self.stdin_fd = stdin_fd if stdin_fd is not None and stdin_fd >= 0 else None
        self.stdout_fd = stdout_fd if stdout_fd is not None and stdout_fd >= 0 else None
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.record_input = record_input
        self.plan = plan_io(self.stdin_fd, self.stdout_fd)
        self.stdin_tty = self.plan.session
        self.saved_attrs: list[Any] | None = None
        self.raw = False
        self.proc: Spawned | None = None
        self.pid = -1  # what we wait for (the session helper, or the program)
        self.child = -1  # the program (forwarded signals)
        self.out = -1  # pty master or stdout pipe
        self.in_target = -1  # where input goes: the pty master or the stdin pipe
        self.status: int | None = None
        self.exited_at: float | None = None
        self.out_eof = False
        # Input ctx copies: the terminal (session) or a pipe; otherwise the program reads it.
        self.stdin_open = self.plan.stdin in ("pty", "pipe")
        self.stdin_paused = False
        self.out_dead = self.stdout_fd is None
        self.pending = bytearray()
        self.last_input_byte: int | None = None
        self.eof_queued = False
        self.cols, self.rows = DEFAULT_SIZE
        self.cols0, self.rows0 = DEFAULT_SIZE
        self.t0 = 0.0
        self.output_bytes = 0
        self.input_bytes = 0
        self.wake_r = -1
        self.wake_w = -1
        self.old_handlers: dict[int, Any] = {}
        self.old_wakeup: int | None = None
        self.poller = select.poll()
        self.out_mask = 0
        self.read_size = 65536
        self.batch = BATCH_BYTES
        self.on_started: Callable[[], object] | None = None
        self.on_idle: Callable[[], object] | None = None
        self.unsunk: list[bytes] = []  # output shown but not yet handed to the sink
        self.unsunk_bytes = 0
        self.unsunk_t = 0.0

    # ---- set-up and tear-down ---------------------------------------------------------------

    def _initial_size(self) -> tuple[int, int]:
        for fd in (self.stdin_fd, self.stdout_fd):
            if is_tty(fd):
                size = get_winsize(fd)  # type: ignore[arg-type]
                if size:
                    return size
        source = self.env if self.env is not None else os.environ
        try:
            cols, rows = int(source.get("COLUMNS", "")), int(source.get("LINES", ""))
            if cols > 0 and rows > 0:
                return cols, rows
        except ValueError:
            pass
        return DEFAULT_SIZE

    def _size_fd(self) -> int | None:
        for fd in (self.stdin_fd, self.stdout_fd):
            if is_tty(fd):
                return fd
        return None

    def _forwarded(self) -> tuple[int, ...]:
        """In a session of its own the program gets no terminal signal unless we pass it on;
        in ctx's process group it already got Ctrl-C/Ctrl-\\ from the terminal (twice would
        be wrong: Claude Code quits on a second Ctrl-C)."""
        if self.plan.session:
            return FORWARDED_SIGNALS
        return (signal.SIGTERM, signal.SIGHUP)

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self.wake_r, self.wake_w = os.pipe()
        for fd in (self.wake_r, self.wake_w):
            os.set_blocking(fd, False)
            os.set_inheritable(fd, False)
        self.old_wakeup = signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        for sig in (signal.SIGCHLD, signal.SIGWINCH, *FORWARDED_SIGNALS):
            if sig in FORWARDED_SIGNALS and signal.getsignal(sig) == signal.SIG_IGN:
                continue  # `nohup ctx wrap …`: the program inherits the ignored signal
            self.old_handlers[sig] = signal.signal(sig, _noop_handler)

    def _restore_signals(self) -> None:
        for sig, old in self.old_handlers.items():
            try:
                signal.signal(sig, old if old is not None else signal.SIG_DFL)
            except (OSError, ValueError):
                pass
        self.old_handlers.clear()
        if self.wake_w >= 0:
            signal.set_wakeup_fd(self.old_wakeup if self.old_wakeup is not None else -1)
            os.close(self.wake_r)
            os.close(self.wake_w)
            self.wake_r = self.wake_w = -1

    def _spawn(self, path: str) -> None:
        child_env = self.env if self.env is not None else dict(os.environ)
        attrs = self.saved_attrs
        if attrs is None and self.plan.stdout_pty and self.stdout_fd is not None:
            with contextlib.suppress(termios.error):
                attrs = termios.tcgetattr(self.stdout_fd)
        self.proc = spawn(
            self.plan,
            path,
            self.argv,
            child_env,
            self.cwd,
            stdin_fd=self.stdin_fd,
            attrs=attrs,
            cols=self.cols,
            rows=self.rows,
        )
        self.pid, self.child, self.out = self.proc.pid, self.proc.child, self.proc.output
        if self.plan.session:
            self.in_target = self.out
        elif self.proc.stdin_w >= 0:
            self.in_target = self.proc.stdin_w
        if not self.plan.stdout_pty:
            self.read_size = PIPE_SIZE
            self.batch = PIPE_BATCH_BYTES

    def _enter_raw(self) -> None:
        if self.stdin_tty and self.saved_attrs is not None and not self.raw:
            assert self.stdin_fd is not None
            try:
                termios.tcsetattr(self.stdin_fd, termios.TCSADRAIN, _make_raw(self.saved_attrs))
                self.raw = True
            except termios.error:
                pass

    def _leave_raw(self) -> None:
        if self.raw and self.saved_attrs is not None:
            assert self.stdin_fd is not None
            self.raw = False
            try:
                termios.tcsetattr(self.stdin_fd, termios.TCSADRAIN, self.saved_attrs)
            except termios.error:
                pass  # the terminal is gone (SIGHUP)

    def _cleanup_child(self) -> None:
        """Only on an abnormal exit: hang up the program, then make sure it is gone."""
        if self.pid <= 0 or self.status is not None:
            return
        for sig in (signal.SIGHUP, signal.SIGCONT):
            for pid in dict.fromkeys((self.child, self.pid)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            if self._reap(stopped_ok=False):
                return
            time.sleep(0.02)
        for pid in dict.fromkeys((self.child, self.pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            _, self.status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass

    def _close_fds(self) -> None:
        if self.proc is None:
            return
        for fd in (self.out, self.in_target if not self.plan.session else -1, self.proc.report):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self.proc.proc is not None and self.status is not None:
            self.proc.proc.returncode = _exit_code(self.status)  # reaped by us, not Popen
        self.proc = None

    # ---- the run ------------------------------------------------------------------------------

    def run(self) -> ProxyResult:
        path = resolve_command(self.argv, self.env, self.cwd)
        self.cols, self.rows = self.cols0, self.rows0 = self._initial_size()
        if self.stdin_tty:
            assert self.stdin_fd is not None
            try:
                self.saved_attrs = termios.tcgetattr(self.stdin_fd)
            except termios.error:
                self.stdin_tty = False
        # The sink first: if the recording cannot be created, the command does not run.
        self.sink.on_start(self.cols, self.rows)
        self._install_signals()
        try:
            if self.plan.session:
                # raw before the program runs: a key pressed the moment it is ready (Ctrl-Z,
                # Ctrl-C) must reach it as a byte, not become a signal to ctx's own terminal
                self._enter_raw()
            self._spawn(path)
            if self.on_started is not None:
                self.on_started()
            started_mono, started_wall = time.monotonic(), time.time()
            self.t0 = started_mono
            self._enter_raw()
            self._loop()
            ended_mono, ended_wall = time.monotonic(), time.time()
        finally:
            self._sink_output()
            try:
                self._leave_raw()
                self._cleanup_child()
                self._close_fds()
            finally:
                self._restore_signals()
        status = self.status if self.status is not None else 0
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        return ProxyResult(
            exit_code=_exit_code(status),
            signal=sig,
            started_monotonic=started_mono,
            ended_monotonic=ended_mono,
            started_wall=started_wall,
            ended_wall=ended_wall,
            cols=self.cols0,
            rows=self.rows0,
            output_bytes=self.output_bytes,
            input_bytes=self.input_bytes,
        )

    def _loop(self) -> None:
        self._set_out_mask(select.POLLIN)
        if self.stdin_open:
            try:
                self.poller.register(self.stdin_fd, select.POLLIN)  # type: ignore[arg-type]
            except (OSError, ValueError, TypeError):
                self.stdin_open = False
                self._queue_eof()
        if self.wake_r >= 0:
            self.poller.register(self.wake_r, select.POLLIN)
        polling_only = self.wake_r < 0  # no signals outside the main thread: poll instead
        out, wake, stdin = self.out, self.wake_r, self.stdin_fd
        while True:
            if self.status is not None:
                if self.out_eof:
                    break
                assert self.exited_at is not None
                if time.monotonic() - self.exited_at > DRAIN_MAX_S:
                    break
                timeout: float | None = DRAIN_IDLE_S
            elif self.out_eof or polling_only:
                timeout = 0.1 if polling_only else 1.0
            else:
                timeout = None
            ready = self.poller.poll(0) if self.unsunk else None
            if not ready:  # the output pauses: the journal catches up before ctx waits
                self._sink_output()
                wait = None if timeout is None else int(timeout * 1000)
                if self.on_idle is not None:
                    ready = self.poller.poll(IDLE_MS if wait is None else min(IDLE_MS, wait))
                    if not ready:
                        self._went_idle()
                        ready = self.poller.poll(None if wait is None else max(0, wait - IDLE_MS))
                else:
                    ready = self.poller.poll(wait)
            if not ready:
                if self.status is not None:
                    break  # drained: the output stayed quiet after the program exited
                self._reap()
                if polling_only:
                    self._sync_size()
                continue
            for fd, ev in ready:
                if fd == out:
                    if ev & select.POLLOUT:
                        self._flush_input()
                    if ev & (select.POLLIN | select.POLLHUP | select.POLLERR | select.POLLNVAL):
                        # a full batch: more is likely waiting, read on without polling (a
                        # few batches at most, so a key or a signal still waits < ~2 ms)
                        burst = BURST_BATCHES
                        while self._read_output() and burst:
                            burst -= 1
                elif fd == wake:
                    self._handle_signals()
                elif fd == stdin:
                    self._read_stdin()
                elif fd == self.in_target:
                    self._flush_input()
            if (self.out_eof or polling_only) and self.status is None:
                self._reap()

    def _went_idle(self) -> None:
        idle, self.on_idle = self.on_idle, None
        if idle is not None:
            idle()

    def _set_out_mask(self, mask: int) -> None:
        if self.out_eof or mask == self.out_mask:
            return
        if self.out_mask:
            self.poller.modify(self.out, mask)
        else:
            self.poller.register(self.out, mask)
        self.out_mask = mask

    # ---- data ---------------------------------------------------------------------------------

    def _read_output(self) -> bool:
        """Read and show one batch; True when it filled (the program has more to say)."""
        chunks = []
        got = 0
        size = self.read_size
        while got < self.batch:
            try:
                data = os.read(self.out, size)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno != errno.EIO:  # EIO: every slave fd is closed
                    raise
                data = b""
            if not data:
                self._output_ended()
                break
            chunks.append(data)
            got += len(data)
        if not chunks:
            return False
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self.output_bytes += len(data)
        if not self.unsunk:
            self.unsunk_t = time.monotonic() - self.t0
        self.unsunk.append(data)
        self.unsunk_bytes += len(data)
        if self.unsunk_bytes >= SINK_BATCH_BYTES:
            self._sink_output()
        self._write_out(data)
        return got >= self.batch and not self.out_eof

    def _sink_output(self) -> None:
        """Hand the output shown so far to the sink as one record."""
        if not self.unsunk:
            return
        data = self.unsunk[0] if len(self.unsunk) == 1 else b"".join(self.unsunk)
        self.unsunk, self.unsunk_bytes = [], 0
        self.sink.on_output(data, self.unsunk_t)

    def _output_ended(self) -> None:
        if self.out_eof:
            return
        self.out_eof = True
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(self.out)
        self.out_mask = 0

    def _write_out(self, data: bytes) -> None:
        if self.out_dead:
            return
        assert self.stdout_fd is not None
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.stdout_fd, view)
            except BlockingIOError:  # a non-blocking stdout we were handed: wait, then retry
                select.select([], [self.stdout_fd], [], 1.0)
                continue
            except BrokenPipeError:
                self.out_dead = True
                if self.plan.stdout_pty:
                    # A closed pipe would have killed the command run directly; do the same.
                    self._kill(signal.SIGPIPE)
                else:  # the program gets EPIPE/SIGPIPE on its next write, as it would
                    self._output_ended()
                    with contextlib.suppress(OSError):
                        os.close(self.out)
                    self.out = -1
                return
            except OSError as exc:
                if exc.errno in (errno.EIO, errno.ENXIO, errno.EBADF, errno.ENOSPC):
                    self.out_dead = True  # the terminal is gone; keep recording
                    return
                raise
            view = view[n:]

    def _read_stdin(self) -> None:
        assert self.stdin_fd is not None
        try:
            data = os.read(self.stdin_fd, 65536)
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno not in (errno.EIO, errno.ENXIO, errno.EBADF):
                raise
            data = b""
        if not data:
            self.stdin_open = False
            self._unregister_stdin()
            self._queue_eof()
            return
        self.input_bytes += len(data)
        # Piped input is what makes the turns of a program that does not echo it.
        if self.record_input or self.plan.stdin == "pipe":
            self._sink_output()  # the output before this input comes first in the journal
            self.sink.on_input(data, time.monotonic() - self.t0)
        if self.status is not None or self.in_target < 0:
            return  # nobody left to read it
        self.pending += data
        self.last_input_byte = data[-1]
        self._flush_input()
        if len(self.pending) > MAX_PENDING_INPUT:
            self._unregister_stdin()
            self.stdin_paused = True

    def _unregister_stdin(self) -> None:
        if self.stdin_fd is None:
            return
        try:
            self.poller.unregister(self.stdin_fd)
        except (KeyError, ValueError, OSError):
            pass

    def _queue_eof(self) -> None:
        """Stdin ended: close the program's stdin pipe, or in a pty session send the EOF
        character, as a user pressing Ctrl-D would."""
        if self.eof_queued or self.status is not None:
            return
        self.eof_queued = True
        if not self.plan.session:
            if not self.pending:
                self._close_stdin_pipe()
            return
        if self.out_eof:
            return
        eof, canonical = b"\x04", True
        try:
            attrs = termios.tcgetattr(self.out)  # the program's pty settings
            eof = attrs[6][termios.VEOF] or eof
            canonical = bool(attrs[3] & termios.ICANON)
        except termios.error:
            pass
        if isinstance(eof, int):
            eof = bytes([eof])
        # In canonical mode EOF ends a pending partial line first; a second one means EOF.
        twice = canonical and self.last_input_byte not in (None, 10, 13)
        self.pending += eof * (2 if twice else 1)
        self._flush_input()

    def _close_stdin_pipe(self) -> None:
        if self.in_target >= 0 and not self.plan.session:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(self.in_target)
            with contextlib.suppress(OSError):
                os.close(self.in_target)
            self.in_target = -1
            self.pending.clear()

    def _flush_input(self) -> None:
        target = self.in_target
        while self.pending and target >= 0 and not (self.plan.session and self.out_eof):
            try:
                n = os.write(target, self.pending)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno not in (errno.EIO, errno.EPIPE):
                    raise
                self.pending.clear()  # the program closed its input
                if not self.plan.session:
                    self._close_stdin_pipe()
                    self.stdin_open = False
                    self._unregister_stdin()
                    return
                break
            del self.pending[:n]
        want_out = bool(self.pending) and target >= 0
        if self.plan.session:
            self._set_out_mask(select.POLLIN | (select.POLLOUT if want_out else 0))
        elif target >= 0:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(target)
            if want_out:
                self.poller.register(target, select.POLLOUT)
            elif self.eof_queued:
                self._close_stdin_pipe()
        if self.stdin_paused and len(self.pending) < MAX_PENDING_INPUT // 2 and self.stdin_open:
            self.stdin_paused = False
            self.poller.register(self.stdin_fd, select.POLLIN)  # type: ignore[arg-type]

    # ---- signals and the program's state ------------------------------------------------------

    def _handle_signals(self) -> None:
        try:
            data = os.read(self.wake_r, 512)
        except BlockingIOError:
            return
        forwarded = self._forwarded()
        for signum in dict.fromkeys(data):  # in order, once each
            if signum == signal.SIGCHLD:
                self._reap()
            elif signum == signal.SIGWINCH:
                self._sync_size()
            elif signum in forwarded:
                self._kill(signum)

    def _kill(self, signum: int) -> None:
        if self.status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child, signum)

    def _sync_size(self) -> None:
        fd = self._size_fd()
        size = get_winsize(fd) if fd is not None else None
        if size is None or size == (self.cols, self.rows):
            return
        self.cols, self.rows = size
        if self.plan.stdout_pty and not self.out_eof:
            try:
                set_winsize(self.out, *size)  # in a session, the kernel sends SIGWINCH
            except OSError:
                return
            if not self.plan.session:  # a pty that is nobody's terminal: tell the program
                self._kill(signal.SIGWINCH)
        self._sink_output()
        self.sink.on_resize(self.cols, self.rows, time.monotonic() - self.t0)

    def _reap(self, stopped_ok: bool = True) -> bool:
        if self.status is not None:
            return True
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG | (os.WUNTRACED if stopped_ok else 0))
        except ChildProcessError:
            pid, status = self.pid, 0
        if pid == 0:
            return False
        if os.WIFSTOPPED(status):
            self._child_stopped(os.WSTOPSIG(status))
            return False
        helper = self.proc is not None and self.proc.report >= 0
        if helper and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            assert self.proc is not None
            reported = read_report(self.proc.report)
            status = reported if reported is not None else status
        self.status = status
        self.exited_at = time.monotonic()
        self.pending.clear()
        self._unregister_stdin()
        self._close_stdin_pipe()
        return True

    def _child_stopped(self, stopsig: int) -> None:
        """The program stopped (Ctrl-Z): give the terminal back, stop too; on ``fg`` (our
        SIGCONT) take the terminal again and continue the program.

        Only a program in a pty session of its own needs this; one in ctx's process group
        was stopped by the same signal as ctx.
        """
        if not self.plan.session:
            return
        self._sink_output()  # a stopped ctx may be killed: the journal is complete first
        self._leave_raw()
        os.kill(os.getpid(), signal.SIGSTOP)
        # ...continued by the shell.
        self._enter_raw()
        self._sync_size()
        try:
            os.killpg(self.pid, signal.SIGCONT)
        except OSError:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGCONT)


def _exit_code(status: int) -> int:
    """The shell's view of a wait status: the exit code, or 128+N for a signal N."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 0


def _noop_handler(signum: int, frame: Any) -> None:
    """Signals are handled in the loop, woken by the wake-up fd that Python writes them to."""


# ---- a tiny command line, for benchmarks and tests ------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    journal_path = cast_path = None
    record_input = False
    while args and args[0] != "--":
        opt = args.pop(0)
        if opt == "--journal":
            journal_path = args.pop(0)
        elif opt == "--cast":
            cast_path = args.pop(0)
        elif opt == "--record-input":
            record_input = True
        else:
            print(f"unknown option {opt}", file=sys.stderr)
            return 2
    command = args[1:]
    from ctx.capture.journal import JournalWriter

    sink: Any = NullSink()
    if journal_path:
        sink = JournalWriter(journal_path, command=command, meta={"io": plan_io(0, 1).describe()})
    try:
        result = run_proxied(command, sink=sink, record_input=record_input)
    except CtxError as exc:
        if journal_path:
            sink.discard()  # the command never ran: no recording to keep
        print(f"ctx: {exc}", file=sys.stderr)
        return exc.exit_code
    if journal_path:
        sink.finish(result)
        if cast_path:
            from ctx.capture.asciicast import journal_to_cast

            journal_to_cast(journal_path, cast_path)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
