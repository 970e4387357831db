"""What readers of pulled store content report instead of failing.

A module of its own at the bottom of the store, so the confinement gate, the log reader and the
file locks can all name it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Problem:
    """Something unreadable that was skipped; reported to the user, never fatal."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"
