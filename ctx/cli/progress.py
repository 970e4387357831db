"""Progress of long indexing work on stderr: `ctx index` and the catch-up before a search.

Silent for the first second of indexing (most updates finish sooner); then, on a terminal, one
line redrawn in place (bar, done/total, rate, time left), otherwise (a log, CI) one plain line
every few seconds, so a long run is never silent and never floods. A timer shows the first
line after a second even while the model is busy with a long batch.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO


def _dur(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


class IndexProgress:
    def __init__(
        self,
        unit: str = "chunks",
        *,
        stream: TextIO | None = None,
        delay: float = 1.0,
        every: float | None = None,
    ) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.unit = unit
        self.delay = delay
        self.every = every if every is not None else (0.1 if self.tty else 5.0)
        self.start: float | None = None
        self.state = (0, 0)
        self.last = 0.0
        self.shown = False
        self.done = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        with self._lock:
            self.state = (done, total)
            if self.start is None:
                self.start = now
                if done < total and self.delay > 0:
                    self._timer = threading.Timer(self.delay, self._on_timer)
                    self._timer.daemon = True
                    self._timer.start()
            if total <= 0 or now - self.start < self.delay:
                return
            if done < total and now - self.last < self.every:
                return
            self._show(now)

    def _on_timer(self) -> None:
        with self._lock:
            if not self.done and not self.shown:
                self._show(time.monotonic())

    def _show(self, now: float) -> None:
        done, total = self.state
        elapsed = now - (self.start or now)
        self.last = now
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = f", {_dur((total - done) / rate)} left" if rate > 0 and done < total else ""
        msg = f"indexing {done:,}/{total:,} {self.unit} ({rate:,.0f}/s{eta})"
        if self.tty:
            width = 24
            fill = int(width * done / total) if total else 0
            self.stream.write(f"\r\x1b[K[{'#' * fill}{'.' * (width - fill)}] {msg}")
        else:
            self.stream.write(msg + "\n")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        with self._lock:
            self.done = True
            if self._timer is not None:
                self._timer.cancel()
            if self.shown and self.tty:
                self.stream.write("\n")
                self.stream.flush()


def waiting_note(
    what: str, *, delay: float = 0.5, stream: TextIO | None = None
) -> Callable[[], None]:
    """On a terminal, `ctx: WHAT…` on stderr once the wait has lasted `delay` seconds, erased
    when it is over (the function returned); nothing anywhere else, nothing for a short wait."""
    out = stream or sys.stderr
    try:
        tty = out.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return _nothing
    import shutil

    from ctx.cli.output import sanitize

    width = shutil.get_terminal_size((80, 24)).columns
    text = sanitize(f"ctx: {what}…")[: max(10, width - 1)]  # one line, so \r erases it all
    lock = threading.Lock()
    state = {"shown": False, "over": False}

    def show() -> None:
        with lock:
            if state["over"]:
                return
            try:
                out.write(text)
                out.flush()
                state["shown"] = True
            except (OSError, ValueError):
                pass

    timer = threading.Timer(delay, show)
    timer.daemon = True
    timer.start()

    def over() -> None:
        with lock:
            state["over"] = True
            timer.cancel()
            if state["shown"]:
                try:
                    out.write("\r" + " " * len(text) + "\r")  # (no escape codes: TERM=dumb too)
                    out.flush()
                except (OSError, ValueError):
                    pass

    return over


def _nothing() -> None:
    return None


def show_slow_blames() -> None:
    """`ctx why` on a terminal: a cold blame says what it waits for (ctx.codelinks.blame)."""
    if not sys.stderr.isatty():
        return
    from ctx.codelinks import blame

    blame.slow_notice = waiting_note
