"""Blame through a machine-local cache, so `ctx why` pays a file's full history walk once.

`git blame` of a 2,000-line file with 2,000 changes among 10,000 commits takes a second or more,
nearly all of it walking history that does not change between two questions. The blame of a
file *at a commit* never changes, so it is kept in `.contextfs/local/cache/blame/` (one JSON
file per path, named by a hash of the path) with the commit and the file's blob id it belongs to:

- HEAD and blob as cached: nothing to ask git.
- HEAD moved on from the cached commit C (C an ancestor of HEAD): `git blame C..HEAD` walks only
  the new commits; the lines it leaves at the boundary C take the cached answer for their line
  number in C. A merge that brings other boundaries, a rename, or a rewritten history (C no
  longer an ancestor) falls back to the full blame.
- Uncommitted edits: the same step with `^HEAD` (the working tree against HEAD).

A cache file is machine-local but lives in the store's folder, so it is read like pulled
content: no symlink followed, every field checked, anything odd is a miss (the full blame).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ctx.codelinks.blame import OPTIONS, BlameLine, blame, parse, run_porcelain
from ctx.codelinks.gitobjects import blob_id, head_blob, is_ancestor
from ctx.core.errors import CtxError
from ctx.core.gitfiles import head, locate

if TYPE_CHECKING:
    from ctx.store.layout import Layout


class _Tree(Protocol):
    @property
    def worktree(self) -> Path: ...


class Places(Protocol):
    """Where a checkout's blame cache lives: a Project, or ctx.codelinks.why_inputs.Checkout
    (the same places without loading the store)."""

    @property
    def git(self) -> _Tree: ...

    @property
    def layout(self) -> Layout: ...


CACHE_VERSION = 1
MAX_FILES = 2000  # cached paths per store; the oldest half goes when there are more
_SHA = re.compile(r"[0-9a-f]{40}")


def cache_dir(project: Places) -> Path:
    return project.layout.local / "cache" / "blame"


def cache_file(project: Places, path: str) -> Path:
    """The cache of one repository path: a hash names it, so no path can climb out."""
    name = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:40]
    return cache_dir(project) / f"{name}.json"


def blame_file(
    project: Places, path: str, start: int | None = None, end: int | None = None
) -> list[BlameLine]:
    """Lines `start`-`end` (all when None) of the working-tree file, blamed as `git blame
    -C -w` would, from the cache when it can be."""
    root = project.git.worktree
    stamp = git_stamp(root)  # taken first: a mailmap edited while git blames is not kept
    cached = load(project, path, stamp)
    if cached is None and path not in _filling_here and wait_for_filler(project, path):
        cached = load(project, path, stamp)  # what the warmer found: walked once, not twice
    lines = _as_cached(root, path, cached)
    if lines is None:
        at = head_blob(root, path)
        if at is None:  # no commit yet, or the file is not in HEAD: git says what it is
            return blame(root, path, start, end)
        head, blob, data = at
        if start is not None and not _reusable(root, cached, head):
            # nothing cached to build on: git blames the range only (a recent line costs little
            # of the whole file's walk), and the whole file is cached in the background
            lines = blame(root, path, start, end)
            fill_in_background(project, path)
            return lines
        texts = _split(data)
        base = _committed(project, path, head, blob, texts, cached, stamp)
        if _worktree_matches(root, path, blob):
            lines = [
                _at(base[i], i + 1, texts[i] if i < len(texts) else "") for i in range(len(base))
            ]
        else:
            lines = _working(root, path, head, base)
    if start is None:
        return lines
    stop = end or start
    if start > len(lines) or stop > len(lines):
        raise CtxError(
            f"no such lines in {path}: it has only {len(lines)} lines",
            "check the line numbers",
            exit_code=2,
        )
    return lines[start - 1 : stop]


def start_early(project: Places, path: str, start: int | None, end: int | None) -> bool:
    """With no blame cached for `path`, start the `git blame` that :func:`blame_file` will run
    (a cold question), so the caller loads the store while git walks the history; the call
    in blame_file takes its output (ctx.codelinks.blame.run_porcelain). A cached blame, even
    one behind HEAD, costs little to bring forward: nothing is started then."""
    from ctx.codelinks.blame import start as start_blame
    from ctx.codelinks.blame import started_for
    from ctx.codelinks.gitobjects import head_commit

    if os.path.lexists(cache_file(project, path)):
        return False
    if wait_for_filler(project, path, limit=0.0):
        return False  # the warmer is blaming it now: blame_file waits for its answer
    root = project.git.worktree
    if started_for(root, path):
        return True  # (the fast path started it already)
    if start is not None:  # the range only, as blame_file asks for it with nothing cached
        return start_blame(root, path, ["-L", f"{start},{end or start}"])
    at = head_blob(root, path)
    if at is None:
        head = head_commit(root)
        return start_blame(root, path, [head] if head is not None else [])
    head, blob, _data = at
    if not _worktree_matches(root, path, blob):
        return start_blame(root, path, [head])
    # the file as committed: git blames the working tree's copy ≈8% faster here and prints the
    # same; _committed checks that it did (every line committed, the texts HEAD's)
    _substituted.add((str(root), path, head))
    return start_blame(root, path, [head], run=[])


#: (worktree, path, HEAD) whose blame at HEAD was started as the working tree's blame
_substituted: set[tuple[str, str, str]] = set()


def discard_started() -> None:
    """Stop the blames started early that the question did not use (ctx.codelinks.blame)."""
    from ctx.codelinks.blame import discard_started as discard

    _substituted.clear()
    discard()


def _as_cached(
    root: Path, path: str, cached: tuple[str, str, list[BlameLine]] | None
) -> list[BlameLine] | None:
    """The blame straight from the cache when HEAD (read from git's files) is the cached
    commit and the working-tree file is the cached blob: no git call at all. None otherwise."""
    if cached is None:
        return None
    repo = locate(root.resolve())
    at = head(repo) if repo is not None else None
    if at is None or at[1] != cached[0]:
        return None
    data = _worktree_bytes(root, path)
    if data is None or blob_id(data, cached[1]) != cached[1]:
        return None
    texts = _split(data)
    if len(texts) != len(cached[2]):
        return None
    return [_at(bl, i + 1, texts[i]) for i, bl in enumerate(cached[2])]


def _worktree_bytes(root: Path, path: str) -> bytes | None:
    """The working-tree file's bytes; None for a link, a folder, anything not a plain file."""
    try:
        fd = os.open(root / path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return None
        return fh.read()


def _split(data: bytes) -> list[str]:
    """The file's lines as :func:`ctx.codelinks.blame.blame` shows them (git splits on LF; the
    porcelain is read as text, so a CR before the LF is gone there too)."""
    text = data.decode("utf-8", "replace")
    out = text.split("\n")
    if out and out[-1] == "":
        out.pop()
    return [line[:-1] if line.endswith("\r") else line for line in out]


def _worktree_matches(root: Path, path: str, blob: str) -> bool:
    data = _worktree_bytes(root, path)
    return data is not None and blob_id(data, blob) == blob


def _at(line: BlameLine, n: int, text: str) -> BlameLine:
    return BlameLine(
        n,
        line.commit,
        line.author,
        line.author_mail,
        line.author_time,
        line.summary,
        line.orig_path,
        text,
        line.orig_line,
        line.boundary,
    )


# ---- the blame at HEAD --------------------------------------------------------------------


def _reusable(root: Path, cached: tuple[str, str, list[BlameLine]] | None, head: str) -> bool:
    """Whether a cached blame answers at `head` at once or by walking only newer commits."""
    return cached is not None and (cached[0] == head or _is_ancestor(root, cached[0], head))


def _committed(
    project: Places,
    path: str,
    head: str,
    blob: str,
    texts: list[str],
    cached: tuple[str, str, list[BlameLine]] | None,
    stamp: str,
) -> list[BlameLine]:
    """The blame of `path` as committed at `head` (whose lines are `texts`): cached, brought
    forward, or computed."""
    count = len(texts)
    root = project.git.worktree
    if cached is not None and cached[0] == head and cached[1] == blob:
        if len(cached[2]) == count:
            return cached[2]
        cached = None  # not the file it claims to be: blame it again
    lines = None
    if cached is not None and _is_ancestor(root, cached[0], head):
        with contextlib.suppress(CtxError):
            lines = _forward(root, path, cached[0], cached[2], [f"{cached[0]}..{head}"])
    if lines is None:
        lines = parse(run_porcelain(root, path, [head]))
        if (str(root), path, head) in _substituted:  # the working tree's blame stood in
            _substituted.discard((str(root), path, head))
            if len(lines) != count or any(
                bl.uncommitted or bl.text != t for bl, t in zip(lines, texts, strict=False)
            ):  # the file changed while git ran: the blame at HEAD after all
                lines = parse(run_porcelain(root, path, [head]))
    save(project, path, head, blob, lines, stamp)
    return lines


def _working(root: Path, path: str, head: str, base: list[BlameLine]) -> list[BlameLine]:
    """The working-tree file against the blame at HEAD: new lines are uncommitted."""
    lines = _forward(root, path, head, base, [f"^{head}"])
    return lines if lines is not None else blame(root, path, None, None)


def _forward(
    root: Path, path: str, bottom: str, known: list[BlameLine], args: list[str]
) -> list[BlameLine] | None:
    """Blame over `args` (a range from `bottom`); lines left at `bottom` take the `known`
    blame of `bottom`'s file at their line there. None when the walk ended anywhere else."""
    fresh = parse(run_porcelain(root, path, args))
    out: list[BlameLine] = []
    for bl in fresh:
        if bl.commit == bottom:
            if bl.orig_path != path or not 1 <= bl.orig_line <= len(known):
                return None  # renamed since, or a line the cache does not have
            out.append(_at(known[bl.orig_line - 1], bl.line, bl.text))
        elif bl.boundary and not bl.uncommitted:
            return None  # another bottom (a merged branch): only the full walk is right
        else:
            out.append(bl)
    return out


def _is_ancestor(root: Path, old: str, new: str) -> bool:
    return is_ancestor(root, old, new)


# ---- filling the cache off the command's path ----------------------------------------------
FILL_ENV = "CTX_BLAME_FILL"  # "0": never start the background blame (tests, benchmarks)


def fill_in_background(project: Places, path: str) -> bool:
    """Start `ctx.codelinks.blame_fill` detached: it blames the whole file into the cache
    (one at a time per file; it exits at once when another is at work)."""
    if os.environ.get(FILL_ENV, "1") == "0":
        return False
    from ctx.core.brief_cache import spawn_detached

    return spawn_detached("ctx.codelinks.blame_fill", [str(project.git.worktree), path])


def fill(project: Places, path: str, *, committed_only: bool = False) -> bool:
    """Blame the whole file into the cache unless another process is doing it; True when
    this one did. `committed_only`: the blame at HEAD only (the background warmer: the
    working tree's edits are the question's to blame, they change by the minute)."""
    from ctx.store.locking import job_lock

    with job_lock(project.layout.store, lock_file(project, path)) as mine:
        if not mine:
            return False  # another filler is at work on this file
        _filling_here.add(path)  # (its own lock: blame_file must not wait for it)
        try:
            if committed_only:
                return _fill_committed(project, path)
            blame_file(project, path)
            return True
        finally:
            _filling_here.discard(path)


#: paths this process is filling under their lock
_filling_here: set[str] = set()
JOIN_LIMIT = 30.0  # seconds a question waits for a filler before it blames the file itself


def lock_file(project: Places, path: str) -> Path:
    return cache_file(project, path).with_suffix(".lock")


def wait_for_filler(project: Places, path: str, limit: float = JOIN_LIMIT) -> bool:
    """Whether a background filler (the warmer, blame_fill) holds `path`'s lock, i.e. is
    blaming the file now; when it is, wait for it to finish, `limit` seconds at most. A
    question asked while the warmer walks the same history then takes the warmer's answer
    instead of running a second walk beside it on the same cores."""
    import fcntl
    import time

    from ctx.store import confine

    lock = lock_file(project, path)
    if not os.path.lexists(lock) or confine.link_in(project.layout.store, lock) is not None:
        return False
    try:
        fd = os.open(lock, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC)
    except OSError:
        return False
    from ctx.codelinks.blame import waiting

    done = None
    try:
        deadline = time.monotonic() + limit
        held = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # free: nobody is filling
                return held
            except OSError:
                held = True
                if time.monotonic() >= deadline:
                    return held
                if done is None:
                    done = waiting(f"waiting for the background blame of {path}")
                time.sleep(0.02)
    finally:
        if done is not None:
            done()
        os.close(fd)


def fill_committed(project: Places, path: str) -> bool:
    """The blame of `path` at HEAD cached (from an older cached blame when there is one):
    True when it is cached at HEAD now. Errors are a False: a speed-up only."""
    try:
        return fill(project, path, committed_only=True)
    except CtxError:
        return False


def _fill_committed(project: Places, path: str) -> bool:
    root = project.git.worktree
    at = head_blob(root, path)
    if at is None:
        return False
    head, blob, data = at
    stamp = git_stamp(root)
    cached = load(project, path, stamp)
    _committed(project, path, head, blob, _split(data), cached, stamp)
    return True


# ---- the cache file -----------------------------------------------------------------------


def git_stamp(root: Path) -> str:
    """What else changes the blame's output (the mailmap, blame settings: blame_stamp.py)."""
    from ctx.codelinks.blame_stamp import stamp

    repo = locate(root.resolve())
    return stamp(repo) if repo is not None else ""


def load(
    project: Places, path: str, stamp: str | None = None
) -> tuple[str, str, list[BlameLine]] | None:
    """(commit, blob, lines) from the cache, or None: missing, from another version, a link,
    blamed under another mailmap or settings (`stamp`: git_stamp), or anything that does not
    check out."""
    from ctx.store import confine

    if stamp is None:
        stamp = git_stamp(project.git.worktree)
    file = cache_file(project, path)
    if confine.link_in(project.layout.store, file) is not None:
        return None
    try:
        data = json.loads(confine.read_bytes(file))
        return _decode(data, path, stamp)
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        return None


def _decode(data: Any, path: str, stamp: str) -> tuple[str, str, list[BlameLine]] | None:
    if not isinstance(data, dict) or data.get("v") != CACHE_VERSION:
        return None
    if data.get("git") != stamp:
        return None
    if data.get("opts") != " ".join(OPTIONS) or data.get("path") != path:
        return None
    head, blob = data.get("head"), data.get("blob")
    if not (isinstance(head, str) and _SHA.fullmatch(head)):
        return None
    if not (isinstance(blob, str) and _SHA.fullmatch(blob)):
        return None
    commits: list[tuple[str, str, str, int, str]] = []
    for c in data["commits"]:
        sha, author, mail, when, summary = c
        if not (isinstance(sha, str) and _SHA.fullmatch(sha)):
            return None
        if not (isinstance(author, str) and isinstance(mail, str) and isinstance(summary, str)):
            return None
        if not isinstance(when, int) or isinstance(when, bool):
            return None
        commits.append((sha, author, mail, when, summary))
    files = data["files"]
    if not all(isinstance(f, str) for f in files):
        return None
    lines: list[BlameLine] = []
    for n, entry in enumerate(data["lines"], start=1):
        ci, fi, orig = entry
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (ci, fi, orig)):
            return None
        if ci < 0 or fi < 0:
            return None
        sha, author, mail, when, summary = commits[ci]
        lines.append(BlameLine(n, sha, author, mail, when, summary, files[fi], "", orig))
    return head, blob, lines


def save(
    project: Places,
    path: str,
    head: str,
    blob: str,
    lines: list[BlameLine],
    stamp: str | None = None,
) -> None:
    """Write the cache (under the `stamp` taken before the blame ran); a cache that cannot be
    written only costs time next run."""
    from ctx.store.locking import write_bounded_cache

    commits: dict[str, int] = {}
    files: dict[str, int] = {}
    rows: list[list[Any]] = []
    table: list[list[Any]] = []
    for bl in lines:
        ci = commits.get(bl.commit)
        if ci is None:
            ci = commits[bl.commit] = len(table)
            table.append([bl.commit, bl.author, bl.author_mail, bl.author_time, bl.summary])
        fi = files.setdefault(bl.orig_path, len(files))
        rows.append([ci, fi, bl.orig_line])
    body = {
        "v": CACHE_VERSION,
        "opts": " ".join(OPTIONS),
        "git": stamp if stamp is not None else git_stamp(project.git.worktree),
        "path": path,
        "head": head,
        "blob": blob,
        "commits": table,
        "files": list(files),
        "lines": rows,
    }
    file = cache_file(project, path)
    write_bounded_cache(file, body, MAX_FILES)
