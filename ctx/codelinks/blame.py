"""`git blame` of a range of lines, with renames and moves followed (-C), via the user's git.

:func:`blame` is the plain, uncached blame of the working-tree file; `ctx why` goes through
:mod:`ctx.codelinks.blame_cache`, which calls :func:`run_porcelain` with revision ranges.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ctx.core.errors import CtxError

_HEX = frozenset("0123456789abcdef")
OPTIONS = ("-C", "-w")  # follow lines moved or copied from other files; ignore whitespace


@dataclass
class BlameLine:
    line: int  # in the file as it is now
    commit: str
    author: str
    author_mail: str
    author_time: int  # epoch seconds
    summary: str
    orig_path: str  # the path in that commit (differs after a rename)
    text: str
    orig_line: int = 0  # the line's number in `orig_path` at `commit`
    boundary: bool = False  # git marked the commit a boundary (a root, or the range's bottom)

    @property
    def uncommitted(self) -> bool:
        return set(self.commit) == {"0"}


def blame(root: Path, path: str, start: int | None, end: int | None) -> list[BlameLine]:
    """The working-tree file's lines `start`-`end` (all when None), blamed through git."""
    args: list[str] = []
    if start is not None:
        args += ["-L", f"{start},{end or start}"]
    return _parse(run_porcelain(root, path, args))


def run_porcelain(root: Path, path: str, args: list[str]) -> str:
    """`git blame --porcelain -C -w ARGS -- PATH`; a clear CtxError when git refuses."""
    try:
        proc = subprocess.run(
            ["git", "blame", "--porcelain", *OPTIONS, *args, "--", path],
            cwd=root,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            errors="replace",
        )
    except FileNotFoundError:
        raise CtxError("the git command is not on PATH", "install git", code="no_git") from None
    if proc.returncode != 0:
        said = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        said = said.removeprefix("fatal: ")
        if "has only" in said or "invalid" in said.lower():
            raise CtxError(
                f"no such lines in {path}: {said}", "check the line numbers", exit_code=2
            )
        raise CtxError(f"git blame {path}: {said}", "give a file that git tracks", code="blame")
    return proc.stdout


def parse(out: str) -> list[BlameLine]:
    return _parse(out)


def _parse(out: str) -> list[BlameLine]:
    lines: list[BlameLine] = []
    info: dict[str, dict[str, str]] = {}
    cur: dict[str, str] = {}
    sha = ""
    final = orig = 0
    for raw in out.split("\n"):
        if not raw:
            continue
        if raw.startswith("\t"):
            meta = info.setdefault(sha, {})
            meta.update(cur)
            lines.append(
                BlameLine(
                    line=final,
                    commit=sha,
                    author=meta.get("author", ""),
                    author_mail=meta.get("author-mail", "").strip("<>"),
                    author_time=_int(meta.get("author-time", "0")),
                    summary=meta.get("summary", ""),
                    orig_path=meta.get("filename", ""),
                    text=raw[1:],
                    orig_line=orig,
                    boundary="boundary" in meta,
                )
            )
            cur = {}
            continue
        head, _, rest = raw.partition(" ")
        if len(head) == 40 and _HEX.issuperset(head):
            sha = head
            parts = rest.split()
            orig = _int(parts[0]) if parts else 0
            final = _int(parts[1]) if len(parts) > 1 else final
            cur = {}
        else:
            cur[head] = rest
    return lines


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0
