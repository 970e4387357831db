"""`git blame` of a range of lines, with renames and moves followed (-C), via the user's git.

:func:`blame` is the plain, uncached blame of the working-tree file; `ctx why` goes through
:mod:`ctx.codelinks.blame_cache`, which calls :func:`run_porcelain` with revision ranges.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ctx.core.errors import CtxError

_HEX = frozenset("0123456789abcdef")
OPTIONS = ("-C", "-w")  # follow lines moved or copied from other files; ignore whitespace

#: set by a front-end that can show it: called with what is being waited for when a blame
#: starts to be awaited, it returns the function to call when the wait is over (the CLI says
#: so on a terminal after half a second: ctx.cli.progress.waiting_note); None: nothing shown
slow_notice: Callable[[str], Callable[[], None]] | None = None


def waiting(what: str) -> Callable[[], None]:
    hook = slow_notice
    return hook(what) if hook is not None else _nothing


def _nothing() -> None:
    return None


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
    """`git blame --porcelain -C -w ARGS -- PATH`; a clear CtxError when git refuses. A blame
    started earlier with the same arguments (:func:`start`) is awaited instead of run again."""
    early = _started.pop((str(root), path, tuple(args)), None)
    if early is not None:
        return early.result()
    done = waiting(_what(path, args))
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
    finally:
        done()
    return _checked(path, proc.returncode, proc.stdout, proc.stderr, root)


def _what(path: str, args: list[str] | tuple[str, ...]) -> str:
    ranged = any(".." in a or a.startswith("^") for a in args)
    if ranged:
        return f"blaming the new commits of {path}"
    return f"blaming {path} (its whole history, this once)"


def _checked(path: str, code: int, stdout: str, stderr: str, root: Path | None = None) -> str:
    if code != 0 and root is not None and (root / path).is_dir():  # (git: "no such path ''")
        shown = "the repository's root" if path in ("", ".") else path
        raise CtxError(
            f"{shown} is a folder: ctx why answers for the lines of a file",
            f"give a file (ctx why FILE[:LINE]); about a folder: ctx log {path or '.'}",
            exit_code=2,
            code="usage",
        )
    if code != 0:
        said = (stderr.strip().splitlines() or [f"exit {code}"])[-1]
        said = said.removeprefix("fatal: ")
        if "has only" in said or "invalid" in said.lower():
            raise CtxError(
                f"no such lines in {path}: {said}", "check the line numbers", exit_code=2
            )
        raise CtxError(f"git blame {path}: {said}", "give a file that git tracks", code="blame")
    return stdout


# ---- a blame started early ------------------------------------------------------------------
# A cold `ctx why` spends most of its time waiting for git; the store can be loaded meanwhile
# (git is another process: the two run on two cores). Its output goes to unnamed temporary
# files, so git never waits for this process to read a pipe, and nothing is read (under the
# GIL) until the blame is asked for.

_started: dict[tuple[str, str, tuple[str, ...]], _Early] = {}


class _Early:
    def __init__(self, root: Path, path: str, args: list[str]) -> None:
        import tempfile

        self.path = path
        self.root = root
        self.args = list(args)
        self.out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by result or discard)
        self.err = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                ["git", "blame", "--porcelain", *OPTIONS, *args, "--", path],
                cwd=root,
                stdin=subprocess.DEVNULL,
                stdout=self.out,
                stderr=self.err,
            )
        except BaseException:
            self.out.close()
            self.err.close()
            raise

    def result(self) -> str:
        done = waiting(_what(self.path, self.args)) if self.proc.poll() is None else _nothing
        try:
            try:
                code = self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise CtxError(
                    f"git blame {self.path}: timed out", "try again", code="blame"
                ) from None
            self.out.seek(0)
            self.err.seek(0)
            text = _text(self.out.read())
            said = _text(self.err.read())
        finally:
            done()
            self.out.close()
            self.err.close()
        return _checked(self.path, code, text, said, self.root)

    def discard(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.out.close()
        self.err.close()


def _text(data: bytes) -> str:
    """As `subprocess.run(text=True, errors="replace")` reads it: the same answer either way."""
    import locale
    import sys

    if sys.flags.utf8_mode:
        encoding = "utf-8"
    else:  # locale.getencoding() from Python 3.11
        get = getattr(locale, "getencoding", None)
        encoding = get() if get is not None else locale.getpreferredencoding(False)
    return data.decode(encoding, "replace").replace("\r\n", "\n").replace("\r", "\n")


def start(root: Path, path: str, args: list[str], run: list[str] | None = None) -> bool:
    """Start `git blame ARGS -- PATH` now (or `RUN` instead of ARGS, which the caller knows
    prints the same); the :func:`run_porcelain` call with ARGS takes its output. False when
    git cannot be started (that call says why)."""
    key = (str(root), path, tuple(args))
    if key in _started:
        return True
    try:
        _started[key] = _Early(root, path, args if run is None else run)
    except OSError:
        return False
    return True


def started_for(root: Path, path: str) -> bool:
    """Whether a blame of `path` was started early and not yet taken."""
    return any(k[:2] == (str(root), path) for k in _started)


def discard_started() -> None:
    """Stop the blames started early that nobody asked for (the question went another way)."""
    while _started:
        _started.popitem()[1].discard()


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
