"""Lists of paths from the user's git (`-z` output), where git's own files (gitfiles.py)
cannot answer: what the index tracks, what a commit changed, what a tree holds."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_paths(cwd: Path, *args: str, timeout: float = 60) -> list[str] | None:
    """The NUL-separated names `git ARGS` prints (undecodable bytes kept as surrogates, as
    file names are); None when git cannot be run or fails."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return [n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
