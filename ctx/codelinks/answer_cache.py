"""`ctx why` answers kept machine-locally, so asking the same question again costs no git
call and no store load.

An answer depends on: the lines (HEAD and the file as it is now), the commits' history (fixed
by HEAD), and the store (state logs, the pending journal, session transcripts, config). The
key is a digest of all of them, read straight from files — HEAD and its branch from `.git/`,
the file's bytes, and the name, size, inode and mtime of every file the store is read from —
so neither pygit2 nor pycrdt is imported to check it. A new commit, an edit, a memory, a
session, a `ctx forget`, a pull: each changes something in the key, and the next question is
answered afresh (then saved again). Anything unusual (a git layout this reader does not know,
an interrupted capture still to recover, a symlink in the store) means "not cached", never a
guess: the full command runs and says what it says.

One JSON file per question in `.contextfs/local/cache/why/`, named by a digest of the
worktree, path and range. It is machine-local, but lives in the store's folder, so it is read
like pulled content: no symlink followed, every field checked, anything odd is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.codelinks.answer_key import CACHE_VERSION, question_key, store_digest
from ctx.codelinks.target import parse_target, relative_path
from ctx.core.errors import CtxError
from ctx.core.gitfiles import Repo, locate

if TYPE_CHECKING:
    from ctx.store.project import Project

MAX_FILES = 500  # cached answers per store; the oldest half goes when there are more
_STORE = ".contextfs"
_RESULT_KEYS = {"path", "start", "end", "commits", "sessions", "memories", "uncommitted_lines"}


def cache_file(repo: Repo, rel: str, start: int | None, end: int | None) -> Path:
    """Named by a digest of the question: no path or range can climb out of the folder."""
    name = hashlib.sha256(f"{repo.worktree}\0{rel}\0{start}\0{end}".encode()).hexdigest()[:40]
    return answers_dir(repo.root) / f"{name}.json"


# ---- the fast path: before any store or git library is loaded ------------------------------

#: keys the fast path computed in this process: when it misses, the full command takes its
#: key as the "before" key (what changes in between makes the "after" key differ: not saved)
_asked: dict[tuple[Repo, str, int | None, int | None], str] = {}


def lookup(cwd: Path, spec: str) -> dict[str, Any] | None:
    """The cached answer (WhyResult.to_dict()) to `ctx why SPEC` run in `cwd`, or None."""
    try:
        raw, start, end = parse_target(spec)
    except CtxError:
        return None
    repo = locate(cwd.resolve())
    if repo is None:
        return None
    rel = relative_path(raw, cwd, repo.worktree, repo.root)
    if rel is None:
        return None
    file = cache_file(repo, rel, start, end)
    data = _read(repo.root / _STORE, file)  # first: no key is computed for a question not cached
    if data is None:
        return None
    key = question_key(repo, rel, start, end)
    if key is None:
        return None
    if data.get("key") != key:
        _asked[(repo, rel, start, end)] = key  # for the full command that runs next
        return None
    result = data.get("result")
    if not valid_result(result):
        return None
    mark_asked(repo.root)
    return result


def answers_dir(root: Path) -> Path:
    return root / _STORE / "local" / "cache" / "why"


def mark_asked(root: Path) -> None:
    """Note that `ctx why` was asked now (the answers folder's mtime): while it is asked, a
    write to the store keeps its inputs current (ctx/codelinks/why_keep.py)."""
    from ctx.store import confine

    folder = answers_dir(root)
    if confine.link_in(root / _STORE, folder) is None:
        try:
            os.utime(folder, follow_symlinks=False)
        except (OSError, NotImplementedError):
            pass  # not there yet (the first answer creates it), or not ours to touch


def asked_within(root: Path, seconds: float) -> bool:
    import time

    try:
        return time.time() - os.lstat(answers_dir(root)).st_mtime < seconds
    except OSError:
        return False


def _read(store: Path, file: Path) -> dict[str, Any] | None:
    from ctx.store import confine

    if confine.link_in(store, file) is not None:
        return None
    try:
        data = json.loads(confine.read_bytes(file))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("v") != CACHE_VERSION:
        return None
    return data


def valid_result(r: object) -> bool:
    """Whether `r` has the shape of WhyResult.to_dict() (what the renderers read)."""
    if not isinstance(r, dict) or set(r) != _RESULT_KEYS or not isinstance(r["path"], str):
        return False
    if not all(r[k] is None or _is_int(r[k]) for k in ("start", "end")):
        return False
    if not all(isinstance(r[k], list) for k in ("commits", "sessions", "memories")):
        return False
    ints = r["uncommitted_lines"]
    if not isinstance(ints, list) or not all(_is_int(n) for n in ints):
        return False
    texts = {
        "commits": ("sha", "author", "date", "summary"),
        "sessions": ("id", "title", "tool", "author", "started_at", "how"),
        "memories": ("id", "type", "content", "author", "created_at", "how"),
    }
    for kind, fields in texts.items():
        for item in r[kind]:
            if not isinstance(item, dict) or not all(isinstance(item.get(f), str) for f in fields):
                return False
    for c in r["commits"]:
        if not isinstance(c.get("lines"), list) or not all(_is_int(n) for n in c["lines"]):
            return False
        if not isinstance(c.get("sessions"), list):
            return False
    for s in r["sessions"]:
        for t in s.get("turns") if isinstance(s.get("turns"), list) else [None]:
            if not (
                isinstance(t, dict)
                and _is_int(t.get("n"))
                and isinstance(t.get("role"), str)
                and isinstance(t.get("text"), str)
                and isinstance(t.get("wrote"), list)
                and all(_is_int(n) for n in t["wrote"])
            ):
                return False
    return True


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# ---- the full command: answer, and keep the answer ------------------------------------------


def answer(project: Project, spec: str, cwd: Path) -> dict[str, Any]:
    """`why(project, spec)` as a dict, saved for the next time when nothing it depends on
    changed while it was computed (the keys are taken before and after); what it read of
    the store is kept too (why_inputs.py), so the next new question need not load it — only
    when the store is loaded after the key is taken."""
    from ctx.codelinks import why_inputs
    from ctx.codelinks.blame_cache import blame_file, discard_started, start_early
    from ctx.codelinks.why import explain, repo_relative

    raw, start, end = parse_target(spec)
    repo = locate(cwd.resolve())
    if repo is None or (repo.worktree, repo.root) != (project.git.worktree, project.root):
        repo = None  # a checkout the file reader sees otherwise: nothing kept
    # a project loaded earlier (a long-lived process) may hold an older state than a key
    # taken now says: what it read of the store is not kept
    keep = not project.loaded
    rel = repo_relative(project, raw, cwd)
    before = store = None
    if repo is not None:
        store = store_digest(repo.root)
        asked = _asked.pop((repo, rel, start, end), None)
        before = asked or question_key(repo, rel, start, end, store)
    try:
        if start_early(project, rel, start, end):  # git blames while the store loads
            try:
                inputs = why_inputs.from_project(project)
            except Exception:
                blame_file(project, rel, start, end)  # the blame's error first, as without it
                raise
            lines = blame_file(project, rel, start, end)
        else:
            lines = blame_file(project, rel, start, end)
            inputs = why_inputs.from_project(project)
    finally:
        discard_started()  # a blame the question did not ask for after all
    result = explain(inputs, project.git.worktree, rel, start, end, lines).to_dict()
    if repo is not None and store is not None:
        now = store_digest(repo.root)
        if keep and now == store:
            first = not os.path.lexists(why_inputs.cache_file(repo.root))
            why_inputs.save(repo.root, why_inputs.inputs_key(repo, store), inputs)
            if first:  # its first use in this checkout: the other files with context too
                from ctx.codelinks.why_warm import warm_in_background

                warm_in_background(repo.root, project.git.worktree)
        if before is not None and question_key(repo, rel, start, end, now) == before:
            save(repo, rel, start, end, before, result)
        mark_asked(repo.root)
    return result


def answer_from_kept(cwd: Path, spec: str) -> dict[str, Any] | None:
    """The answer without loading the store, from the inputs kept by an earlier answer
    (why_inputs.py) when the store has not changed since; None otherwise (or on any error:
    the caller loads the store and answers, or reports)."""
    from ctx.codelinks import why_inputs
    from ctx.codelinks.blame_cache import blame_file
    from ctx.codelinks.why import explain

    raw, start, end = parse_target(spec)
    repo = locate(cwd.resolve())
    if repo is None:
        return None
    rel = relative_path(raw, cwd, repo.worktree, repo.root)
    if not rel:
        return None
    store = store_digest(repo.root)
    if store is None:
        return None
    inputs = why_inputs.load(repo.root, why_inputs.inputs_key(repo, store))
    if inputs is None:
        return None
    before = _asked.pop((repo, rel, start, end), None) or question_key(repo, rel, start, end, store)
    lines = blame_file(why_inputs.Checkout(repo), rel, start, end)
    result = explain(inputs, repo.worktree, rel, start, end, lines).to_dict()
    if before is not None and question_key(repo, rel, start, end) == before:
        save(repo, rel, start, end, before, result)
    mark_asked(repo.root)
    return result


def start_blame(cwd: Path, spec: str) -> None:
    """Start the question's `git blame` now when no blame of the file is cached (a cold
    question), so everything before the answer — opening and loading the store — runs while
    git walks the history. The blame_file call of the answer takes its output; the caller
    ends with ctx.codelinks.blame_cache.discard_started() (a question that went another way)."""
    from ctx.codelinks.blame_cache import start_early
    from ctx.codelinks.why_inputs import Checkout

    try:
        raw, start, end = parse_target(spec)
    except CtxError:
        return
    repo = locate(cwd.resolve())
    if repo is None:
        return
    rel = relative_path(raw, cwd, repo.worktree, repo.root)
    if rel:
        start_early(Checkout(repo), rel, start, end)


def save(
    repo: Repo, rel: str, start: int | None, end: int | None, key: str, result: dict[str, Any]
) -> None:
    """Write one answer (never through a linked folder; a link at the file itself is
    replaced); one that cannot be written only costs time next run."""
    from ctx.store.locking import write_bounded_cache

    file = cache_file(repo, rel, start, end)
    body = {"v": CACHE_VERSION, "key": key, "result": result}
    write_bounded_cache(file, body, MAX_FILES)
