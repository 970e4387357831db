"""What reaches the user's terminal: escaped control characters, colour choice, a pager.

Stored text comes from teammates and AI tools, so it is hostile: a memory must not be able to
clear, retitle or reprogram the terminal of whoever reads it. Every text printer of the CLI
writes through :class:`SafeStream`, which passes the text through :func:`sanitize`; only ctx's
own colour codes go around it (:func:`styled`).
"""

from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from ctx.core.visible import JSON_EXTRA, visible


def sanitize(text: str) -> str:
    """Control characters become visible escapes (`\\x1b`, and the bidi overrides `\\u202e`):
    nothing can drive the terminal or reorder what it shows (ctx/core/visible.py)."""
    return visible(text)


def json_safe(text: str) -> str:
    """JSON text (json.dumps already escapes C0) with DEL, C1 and the bidi controls escaped
    as \\u escapes too: the same data for a parser, nothing raw for a terminal."""
    return JSON_EXTRA.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_text(data: Any) -> str:
    """One line of JSON: non-ASCII kept readable, every control character escaped."""
    import json

    return json_safe(json.dumps(data, ensure_ascii=False, indent=None, default=str))


def short_time(iso: str | None) -> str:
    if not iso:
        return "-"
    return iso[:16].replace("T", " ")


def one_line(text: str, width: int = 72) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


class SafeStream(io.TextIOBase):
    """A text stream that sanitizes everything written to it before the real stream sees it."""

    def __init__(self, raw: IO[str], transform: Callable[[str], str] = sanitize) -> None:
        self.raw = raw
        self.transform = transform

    def write(self, s: str) -> int:
        self.raw.write(self.transform(s))
        return len(s)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", "utf-8")

    @property
    def buffer(self) -> Any:
        return getattr(self.raw, "buffer", None)


def write_raw(s: str) -> None:
    """Write ctx's own escape codes (colour), bypassing the sanitizer."""
    out = sys.stdout
    (out.raw if isinstance(out, SafeStream) else out).write(s)


# ---- colour ---------------------------------------------------------------------------------
COLOR_MODES = ("auto", "always", "never")
_color: dict[str, str] = {"mode": "auto"}
_stdout_tty: dict[str, bool] = {}


def set_color(mode: str | None) -> None:
    from ctx.core.errors import CtxError

    if mode is not None and mode not in COLOR_MODES:
        raise CtxError(f"unknown --color '{mode}'", "use auto, always or never", exit_code=2)
    _color["mode"] = mode or "auto"


def use_color() -> bool:
    """Like git: --color wins; then NO_COLOR, CLICOLOR_FORCE; else only on a terminal."""
    mode = _color["mode"]
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("CLICOLOR_FORCE") not in (None, "", "0"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return stdout_is_tty()


def stdout_is_tty() -> bool:
    """Whether the user's stdout is a terminal (true while the output is held for a pager)."""
    if "tty" in _stdout_tty:
        return _stdout_tty["tty"]
    try:
        return sys.stdout.isatty()
    except (ValueError, AttributeError):
        return False


def styled(text: str, sgr: str) -> None:
    """Print `text` (sanitized) in the SGR style `sgr` (e.g. "1;33") when colour is on."""
    if use_color():
        write_raw(f"\x1b[{sgr}m")
        sys.stdout.write(text)
        write_raw("\x1b[0m")
    else:
        sys.stdout.write(text)


# ---- pager ----------------------------------------------------------------------------------
def pager_command() -> str | None:
    """CTX_PAGER, then PAGER, else `less -FRX` (like git); empty or `cat` means none."""
    cmd = os.environ.get("CTX_PAGER")
    if cmd is None:
        cmd = os.environ.get("PAGER")
    if cmd is None:
        cmd = "less -FRX"
    cmd = cmd.strip()
    return None if cmd in ("", "cat") else cmd


def _rows() -> int:
    try:
        return os.get_terminal_size(sys.stdout.fileno()).lines
    except (OSError, ValueError, AttributeError):
        return 24


@contextmanager
def paged(enabled: bool) -> Iterator[None]:
    """Hold the output; longer than the screen and stdout a terminal: show it in the pager."""
    real = sys.stdout
    if not enabled or not stdout_is_tty() or pager_command() is None:
        yield
        return
    held = io.StringIO()
    inner = SafeStream(held) if isinstance(real, SafeStream) else held
    _stdout_tty["tty"] = True
    sys.stdout = inner
    try:
        yield
    finally:
        sys.stdout = real
        _stdout_tty.pop("tty", None)
        _show(held.getvalue(), real)


def _show(text: str, real: IO[str]) -> None:
    target = real.raw if isinstance(real, SafeStream) else real
    cmd = pager_command()
    if not text or cmd is None or text.count("\n") < _rows() - 1:
        target.write(text)
        target.flush()
        return
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    try:
        argv = shlex.split(cmd)
    except ValueError:
        argv = []
    proc = None
    if argv and shutil.which(argv[0]):
        try:
            proc = subprocess.Popen(cmd, shell=True, stdin=subprocess.PIPE, env=env)
        except OSError:
            proc = None
    if proc is None or proc.stdin is None:
        target.write(text)
        target.flush()
        return
    target.flush()
    try:
        proc.stdin.write(text.encode("utf-8", errors="replace"))
        proc.stdin.close()
    except BrokenPipeError:  # the user quit the pager early
        pass
    try:
        proc.wait()
    except KeyboardInterrupt:
        proc.wait()
