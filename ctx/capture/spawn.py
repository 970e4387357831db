"""Start the wrapped program with the same kind of stdin/stdout/stderr it would have without ctx.

:func:`plan_io` decides, from what ctx itself was given:

- **stdin and stdout both terminals** (interactive use): the program runs in a new pty
  session. A small helper process (a fork of ctx, no exec) leads that session and starts the
  program in a process group of its own, the pty's foreground group. That group is not
  orphaned (its parent, the helper, is in the same session), so the kernel delivers Ctrl-Z's
  SIGTSTP as a real terminal would (a program that is the session leader itself, as under
  util-linux ``script``, never stops: the kernel discards stop signals sent to orphaned
  groups). When the program stops, the helper stops itself with SIGSTOP; ctx sees that, gives
  the terminal back and stops too; ``fg`` continues ctx, which continues the helper, which
  continues the program's group.
- **stdout a terminal, stdin not** (``printf … | ctx wrap python3 -i``): stdout (and stderr,
  if it is a terminal) go to a pty that ctx copies to the real terminal; stdin is the
  program's own: a file or /dev/null is passed as is, a pipe or socket is copied through a
  pipe so that the input can be recorded (end of input reaches the program as EOF).
- **stdout not a terminal** (``ctx wrap claude -p x > out``, ``… | jq``): no pty at all.
  stdout is a pipe that ctx copies to its own stdout and to the recording; stdin is handled
  as above (a terminal is passed as is); stderr is always ctx's own, untouched.

In the last two cases the program stays in ctx's process group, so the terminal's Ctrl-C,
Ctrl-Z and window-size signals reach both, as they reach every process of a shell pipeline.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import stat
import struct
import subprocess
import termios
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ctx.core.errors import EXIT_NOT_FOUND_CMD, CtxError

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Linux F_SETPIPE_SZ: a larger stdout pipe means fewer, larger reads.
F_SETPIPE_SZ = 1031
PIPE_SIZE = 1 << 20


def is_tty(fd: int | None) -> bool:
    if fd is None or fd < 0:
        return False
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _is_stream(fd: int) -> bool:
    """A pipe or a socket: input that arrives over time and can be copied as it comes."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


@dataclass(frozen=True)
class IOPlan:
    """How the program's stdin/stdout/stderr are connected (see the module docstring)."""

    session: bool  # a pty session of its own (stdin and stdout terminals)
    stdout_pty: bool  # stdout goes to a pty ctx copies (session, or stdout a terminal)
    stdin: str  # "pty", "pipe" (copied and recorded), "direct" (passed as is), "none"
    stderr_pty: bool  # stderr goes to the same pty as stdout

    def describe(self) -> dict[str, str]:
        """For the recording's header: the renderer needs to know what it is reading."""
        out = "pty" if self.session else ("tty" if self.stdout_pty else "pipe")
        return {
            "stdin": self.stdin,
            "stdout": out,
            "stderr": "pty" if self.stderr_pty else "direct",
        }


def plan_io(stdin_fd: int | None, stdout_fd: int | None, stderr_fd: int = 2) -> IOPlan:
    in_tty, out_tty = is_tty(stdin_fd), is_tty(stdout_fd)
    if in_tty and out_tty:
        return IOPlan(True, True, "pty", is_tty(stderr_fd))
    if stdin_fd is None or stdin_fd < 0:
        stdin = "none"
    elif _is_stream(stdin_fd):
        stdin = "pipe"
    else:
        stdin = "direct"
    return IOPlan(False, out_tty, stdin, out_tty and is_tty(stderr_fd))


@dataclass
class Spawned:
    """The started program: ``pid`` is what ctx waits for (the helper in a pty session),
    ``child`` the program itself (forwarded signals go there)."""

    pid: int
    child: int
    output: int  # what ctx reads the program's output from: pty master or pipe
    stdin_w: int = -1  # the pipe ctx copies stdin into ("pipe" plan), else -1
    report: int = -1  # the helper's report pipe (the program's wait status)
    proc: Any = None  # the subprocess.Popen, when there is no helper


def set_winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _exec_error(argv0: str, err: int) -> CtxError:
    if err in (errno.ENOENT, errno.ENOTDIR):
        return CtxError(
            f"cannot run {argv0}: {os.strerror(err)}",
            "check the command and its working directory",
            exit_code=EXIT_NOT_FOUND_CMD,
            code="command_not_found",
        )
    return CtxError(
        f"cannot run {argv0}: {os.strerror(err)}",
        "check that it is an executable program or script with a #! line",
        exit_code=126,
        code="not_executable",
    )


def spawn(
    plan: IOPlan,
    path: str,
    argv: Sequence[str],
    env: dict[str, str],
    cwd: str | None,
    *,
    stdin_fd: int | None,
    attrs: list[Any] | None,
    cols: int,
    rows: int,
) -> Spawned:
    """Start ``argv`` (``path`` resolved) as ``plan`` says; CtxError 127/126 if exec fails."""
    if plan.session:
        return _spawn_session(plan, path, argv, env, cwd, attrs, cols, rows)
    return _spawn_plain(plan, path, argv, env, cwd, stdin_fd, attrs, cols, rows)


def _open_pty(
    attrs: list[Any] | None, cols: int, rows: int, *, post: bool = True
) -> tuple[int, int]:
    """A pty with the real terminal's settings; ``post=False``: no output processing, for a
    pty that only carries output to a real terminal that does its own (else ``\n`` would
    become ``\r\r\n``)."""
    master, slave = os.openpty()
    with contextlib.suppress(OSError):
        set_winsize(slave, cols, rows)
    if attrs is None and not post:
        with contextlib.suppress(termios.error):
            attrs = termios.tcgetattr(slave)
    if attrs is not None:
        mode = [*attrs[:6], list(attrs[6])]
        if not post:
            mode[1] &= ~termios.OPOST
        with contextlib.suppress(termios.error):
            termios.tcsetattr(slave, termios.TCSANOW, mode)
    return master, slave


def _spawn_plain(
    plan: IOPlan,
    path: str,
    argv: Sequence[str],
    env: dict[str, str],
    cwd: str | None,
    stdin_fd: int | None,
    attrs: list[Any] | None,
    cols: int,
    rows: int,
) -> Spawned:
    to_close: list[int] = []
    stdin_w = -1
    stdin: Any
    if plan.stdin == "none":
        stdin = subprocess.DEVNULL
    elif plan.stdin == "pipe":
        stdin, stdin_w = os.pipe()
        to_close.append(stdin)
        os.set_blocking(stdin_w, False)
    else:
        stdin = stdin_fd
    if plan.stdout_pty:
        output, out_w = _open_pty(attrs, cols, rows, post=False)
    else:
        output, out_w = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(output, F_SETPIPE_SZ, PIPE_SIZE)
    to_close.append(out_w)
    try:
        proc = subprocess.Popen(
            list(argv),
            executable=path,
            stdin=stdin,
            stdout=out_w,
            stderr=out_w if plan.stderr_pty else None,
            cwd=cwd,
            env=env,
            close_fds=True,
            restore_signals=True,  # SIGPIPE and SIGXFSZ as a shell would leave them
        )
    except OSError as exc:
        for fd in (output, stdin_w, *to_close):
            if fd >= 0:
                os.close(fd)
        raise _exec_error(argv[0], exc.errno or errno.ENOEXEC) from exc
    for fd in to_close:
        os.close(fd)
    os.set_blocking(output, False)
    return Spawned(proc.pid, proc.pid, output, stdin_w=stdin_w, proc=proc)


def _spawn_session(
    plan: IOPlan,
    path: str,
    argv: Sequence[str],
    env: dict[str, str],
    cwd: str | None,
    attrs: list[Any] | None,
    cols: int,
    rows: int,
) -> Spawned:
    master, slave = _open_pty(attrs, cols, rows)
    err_r, err_w = os.pipe()  # exec errors (close-on-exec: EOF means it ran)
    rep_r, rep_w = os.pipe()  # the helper reports the program's pid and wait status
    pid = os.fork()
    if pid == 0:  # pragma: no cover (runs in the forked helper)
        _helper(master, slave, err_w, rep_w, path, list(argv), env, cwd, plan.stderr_pty)
    os.close(slave)
    os.close(err_w)
    os.close(rep_w)
    line = _read_line(rep_r)
    failure = _read_all(err_r)
    os.close(err_r)
    if not line.startswith(b"P") or failure:
        os.close(master)
        os.close(rep_r)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        code = int(failure) if failure.isdigit() else errno.ENOEXEC
        raise _exec_error(argv[0], code)
    os.set_blocking(master, False)
    return Spawned(pid, int(line[1:]), master, report=rep_r)


def _read_line(fd: int) -> bytes:
    buf = b""
    while not buf.endswith(b"\n"):
        try:
            data = os.read(fd, 1)
        except InterruptedError:  # pragma: no cover (PEP 475 retries)
            continue
        if not data:
            break
        buf += data
    return buf.strip()


def _read_all(fd: int) -> bytes:
    chunks = []
    while data := os.read(fd, 4096):
        chunks.append(data)
    return b"".join(chunks)


def read_report(fd: int) -> int | None:
    """The program's wait status, as the helper reported it (None if it could not)."""
    with contextlib.suppress(OSError):
        for line in _read_all(fd).split(b"\n"):
            if line.startswith(b"S") and line[1:].lstrip(b"-").isdigit():
                return int(line[1:])
    return None


def _helper(  # pragma: no cover (runs in the forked helper; tests see its effects)
    master: int,
    slave: int,
    err_w: int,
    rep_w: int,
    path: str,
    argv: list[str],
    env: dict[str, str],
    cwd: str | None,
    stderr_pty: bool,
) -> None:
    """The pty session's leader: starts the program in the foreground group, follows it."""
    try:
        with contextlib.suppress(ValueError, OSError):
            signal.set_wakeup_fd(-1)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            if signal.getsignal(sig) != signal.SIG_IGN:  # ignored stays ignored (nohup)
                signal.signal(sig, signal.SIG_DFL)
        for sig in (signal.SIGCHLD, signal.SIGWINCH, signal.SIGTSTP, signal.SIGTTOU):
            signal.signal(sig, signal.SIG_DFL)
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        child = os.fork()
        if child == 0:
            _exec_program(slave, err_w, path, argv, env, cwd, stderr_pty)
        with contextlib.suppress(OSError):
            os.setpgid(child, child)
        os.close(err_w)
        os.write(rep_w, b"P%d\n" % child)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, rep_w)
        os.closerange(rep_w + 1, 1 << 16)
        while True:
            try:
                _, status = os.waitpid(child, os.WUNTRACED)
            except ChildProcessError:
                status = 0
            if os.WIFSTOPPED(status):
                os.kill(os.getpid(), signal.SIGSTOP)  # ctx follows; `fg` continues us
                with contextlib.suppress(OSError):
                    os.killpg(child, signal.SIGCONT)
                continue
            os.write(rep_w, b"S%d\n" % status)
            os._exit(0)
    except BaseException:
        os._exit(127)


def _exec_program(  # pragma: no cover (runs in the forked program before exec)
    slave: int,
    err_w: int,
    path: str,
    argv: list[str],
    env: dict[str, str],
    cwd: str | None,
    stderr_pty: bool,
) -> None:
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        os.tcsetpgrp(slave, os.getpid())  # the foreground job of its terminal
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
        # Python ignores SIGPIPE and SIGXFSZ; a program run from a shell would not.
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_DFL)
        os.dup2(slave, 0)
        os.dup2(slave, 1)
        if stderr_pty:
            os.dup2(slave, 2)
        if slave > 2:
            os.close(slave)
        if cwd:
            os.chdir(cwd)
        os.execve(path, argv, env)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.write(err_w, str(exc.errno or errno.ENOEXEC).encode())
    except BaseException:
        pass
    os._exit(127)
