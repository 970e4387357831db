"""The global options the typer-free fast paths (`ctx why`, `ctx status`) accept: nothing
but pathlib here, since a warm `ctx why` is answered in about 70 ms in all."""

from __future__ import annotations

from pathlib import Path

#: global options without a value that the typer-free fast paths accept
FAST_FLAGS = ("-q", "--quiet", "--no-pager")


def leading_options(args: list[str], command: str) -> tuple[Path | None, set[str], int] | None:
    """For the typer-free fast paths: (-C directory, the FAST_FLAGS given, the index of
    `command`) when only those global options come before it; None for anything else (the
    typer command then runs and says what is wrong)."""
    directory: Path | None = None
    flags: set[str] = set()
    i = 0
    while i < len(args) and args[i] != command:
        a = args[i]
        if a == "-C" and i + 1 < len(args) and directory is None:
            directory = Path(args[i + 1])
            i += 2
            continue
        if a not in FAST_FLAGS:
            return None
        flags.add(a)
        i += 1
    if i >= len(args):
        return None
    return directory, flags, i
