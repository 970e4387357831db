"""`git blame` of a range of lines, with renames and moves followed (-C), via the user's git."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ctx.core.errors import CtxError


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

    @property
    def uncommitted(self) -> bool:
        return set(self.commit) == {"0"}


def blame(root: Path, path: str, start: int | None, end: int | None) -> list[BlameLine]:
    args = ["blame", "--porcelain", "-C", "-w"]
    if start is not None:
        args += ["-L", f"{start},{end or start}"]
    try:
        proc = subprocess.run(
            ["git", *args, "--", path],
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
    return _parse(proc.stdout)


def _parse(out: str) -> list[BlameLine]:
    lines: list[BlameLine] = []
    info: dict[str, dict[str, str]] = {}
    cur: dict[str, str] = {}
    sha = ""
    final = 0
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
                    author_time=int(meta.get("author-time", "0") or 0),
                    summary=meta.get("summary", ""),
                    orig_path=meta.get("filename", ""),
                    text=raw[1:],
                )
            )
            cur = {}
            continue
        head, _, rest = raw.partition(" ")
        if len(head) == 40 and all(c in "0123456789abcdef" for c in head):
            sha = head
            parts = rest.split()
            final = int(parts[1]) if len(parts) > 1 else final
            cur = {}
        else:
            cur[head] = rest
    return lines
