"""Progress of long indexing work on stderr: `ctx index` and the catch-up before a search.

Silent for the first second (most updates finish sooner). On a terminal, one line redrawn in
place: bar, done/total, rate and time left; otherwise (a log, CI) one plain line every few
seconds, so a long run is never silent and never floods.
"""

from __future__ import annotations

import sys
import time
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
        self.t0 = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        elapsed = now - self.t0
        if total <= 0 or elapsed < self.delay:
            return
        if done < total and now - self.last < self.every:
            return
        self.last = now
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = f", {_dur((total - done) / rate)} left" if rate > 0 and done < total else ""
        msg = f"indexing {done:,}/{total:,} {self.unit} ({rate:,.0f}/s{eta})"
        if self.tty:
            width = 24
            fill = int(width * done / total)
            self.stream.write(f"\r\x1b[K[{'#' * fill}{'.' * (width - fill)}] {msg}")
        else:
            self.stream.write(msg + "\n")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()
