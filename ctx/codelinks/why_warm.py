"""Warming `ctx why`'s caches in the background, so the first question after a store change
or a pull costs what a new question with everything cached costs.

Started detached and niced (``warm_in_background``) after a write to the store (a memory, a
captured or imported session, a forget: ctx.store.base starts it by name, only when `ctx why`
was used in this repository, i.e. its kept inputs exist), after a `ctx sync` that pulled, and
by git's post-commit, post-merge, post-rewrite and post-checkout hooks (which already run
detached; post-commit starts it only where `ctx why` is used, and its files come first), and
by the first `ctx why` answered in a checkout (answer_cache.answer: the other files with
context are not cold then), and when a checkout is set up: `ctx hooks install`, or `ctx init`
where the store came with the clone (the first question is then not cold either). It

1. loads the store once and keeps what `ctx why` reads of it (why_inputs.py), so the next
   question does not load it;
2. brings the blame cache of the files with context up to HEAD: the files the newest sessions
   wrote or edited (then read), and the files memories cite — at most ``MAX_FILES`` per run,
   each from its older cached blame when there is one (only the new commits are walked).

A file nobody worked on in a session and no memory cites is never blamed here: its first
`ctx why` stays cold. A question asked while this blames its file waits for this blame
(blame_cache.wait_for_filler) rather than walking the same history beside it.

One warmer per store at a time (a lock); a burst of writes costs one run
(it waits ``DEBOUNCE`` first and runs again while the store keeps changing, at most 3 times).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ctx.codelinks.why_inputs import Inputs
    from ctx.store.project import Project

WARM_ENV = "CTX_WHY_WARM"  # "0": never start the warmer (tests, benchmarks)
MAX_FILES = 16  # files blamed per run (a big file's first blame can take a second or more)
DEBOUNCE = 0.3  # seconds the warmer waits, so a burst of writes costs one run
FIRST_WAIT = 60.0  # seconds a warmer with files of its own waits for one already at work
_LOCK = "why-warm.lock"


def wanted(root: Path) -> bool:
    """Whether to warm this store: enabled, and `ctx why` has been used here."""
    from ctx.codelinks.why_inputs import cache_file

    if os.environ.get(WARM_ENV, "1") == "0":
        return False
    return os.path.lexists(cache_file(root))


def warm_in_background(root: Path, worktree: Path, *, setup: bool = False) -> bool:
    """Start the warmer detached (``main([WORKTREE])``) when :func:`wanted`. `setup`: a
    checkout being set up (`ctx hooks install`, `ctx init` of a store that came with the
    clone) is warmed whether or not `ctx why` was used yet, so its first question is not the
    one that walks a file's whole history."""
    if os.environ.get(WARM_ENV, "1") == "0":
        return False
    if not (setup or wanted(root)):
        return False
    from ctx.core.brief_cache import spawn_detached

    return spawn_detached("ctx.codelinks.why_warm", [str(worktree)])


def main(argv: list[str]) -> int:
    """``main([WORKTREE])``: warm the caches of the store there; quiet, a speed-up only."""
    from ctx.core.process import background_job

    return background_job(argv, 1, _warm_there)


def _warm_there(argv: list[str]) -> None:
    from ctx.store.project import Project

    time.sleep(DEBOUNCE)
    warm(Project.open(Path(argv[0])))


def warm(
    project: Project, limit: int = MAX_FILES, first: Sequence[str] = (), *, wait: bool = False
) -> list[str] | None:
    """Keep the inputs and warm the blame of the files with context (after those of `first`
    whose blame is cached: a commit's files, asked about before); the files whose blame is
    now cached at HEAD, or None when another warmer holds the store (or it cannot be locked)."""
    from ctx.store.locking import job_lock

    # another warmer at work sees a change of the store or of HEAD (it re-checks both), but
    # not `first` (a commit's files, asked about before): with those and `wait` (a detached
    # hook), wait for it to finish
    deadline = time.monotonic() + (FIRST_WAIT if first and wait else 0.0)
    while True:
        with job_lock(project.layout.store, project.layout.local / "cache" / _LOCK) as mine:
            if mine:
                return _warm_locked(project, limit, first)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def _warm_locked(project: Project, limit: int, first: Sequence[str]) -> list[str]:
    inputs = keep_inputs(project)
    if inputs is None:
        return []
    from ctx.codelinks.gitobjects import head_commit

    done: list[str] = []
    for _ in range(3):  # a commit while it blamed (its hook found the lock): again
        at = head_commit(project.git.worktree)
        done = warm_blame(project, inputs, limit, first)
        if head_commit(project.git.worktree) == at:
            break
    if not _kept_current(project):  # written to meanwhile (its own warmer found the lock)
        keep_inputs(project)
    return done


def keep_inputs(project: Project) -> Inputs | None:
    """Load the store and keep what `ctx why` reads of it, until it holds still (3 tries)."""
    from ctx.codelinks import why_inputs
    from ctx.codelinks.answer_key import store_digest
    from ctx.core.gitfiles import locate

    repo = locate(project.git.worktree.resolve())
    if repo is None or (repo.worktree, repo.root) != (project.git.worktree, project.root):
        return None
    for _ in range(3):
        store = store_digest(repo.root)
        if store is None:
            return None
        if project.loaded:  # (the state must be read after the digest it is kept under)
            project = type(project).open(project.git.worktree)
        inputs = why_inputs.from_project(project)
        if store_digest(repo.root) == store:
            why_inputs.save(repo.root, why_inputs.inputs_key(repo, store), inputs)
            return inputs
        time.sleep(DEBOUNCE)
    return None


def _kept_current(project: Project) -> bool:
    """Whether the kept inputs are those of the store as it is now."""
    from ctx.codelinks import why_inputs
    from ctx.codelinks.answer_key import store_digest
    from ctx.core.gitfiles import locate

    repo = locate(project.git.worktree.resolve())
    store = store_digest(project.root)
    if repo is None or store is None:
        return True  # nothing to keep for it anyway
    return why_inputs.load(repo.root, why_inputs.inputs_key(repo, store)) is not None


def files_with_context(project: Project, inputs: Inputs) -> list[str]:
    """Repository files (in HEAD) that sessions wrote or edited, newest session first, then
    those sessions read, then those memories cite."""
    in_head = _head_files(project.git.worktree)
    if not in_head:
        return []
    edited: list[str] = []
    read: list[str] = []
    for s in inputs.sessions:  # newest first
        for path, action, _turn in inputs.files.get(s.id, []):
            rel = _repo_path(str(path), in_head)
            if rel is not None:
                (read if action == "read" else edited).append(rel)
    cited: list[str] = []
    for m in project.list_memories():
        for cite in m.cites:
            rel = cite.split(":", 1)[0]
            if rel in in_head:
                cited.append(rel)
    return list(dict.fromkeys([*edited, *cited, *read]))


def warm_blame(
    project: Project, inputs: Inputs, limit: int, first: Sequence[str] = ()
) -> list[str]:
    from ctx.codelinks.blame_cache import cache_file, fill_committed

    asked = [rel for rel in first if os.path.lexists(cache_file(project, rel))]
    done: list[str] = []
    for rel in list(dict.fromkeys([*asked, *files_with_context(project, inputs)]))[:limit]:
        if fill_committed(project, rel):
            done.append(rel)
    return done


def committed_files(worktree: Path) -> list[str]:
    """The files HEAD's commit changed (against its first parent; all of a root commit)."""
    from ctx.core.gitcmd import git_paths

    args = ("diff-tree", "-r", "--root", "--no-commit-id", "--name-only", "-z", "HEAD")
    return git_paths(worktree, *args) or []


def _head_files(worktree: Path) -> set[str]:
    from ctx.core.gitcmd import git_paths

    return set(git_paths(worktree, "ls-tree", "-r", "-z", "--name-only", "HEAD") or [])


def _repo_path(tool_path: str, in_head: set[str]) -> str | None:
    """The file in HEAD a tool call's path names (as ctx.store.touched.refers_to matches)."""
    p = tool_path.replace("\\", "/").strip()
    while p.startswith("./"):
        p = p[2:]
    parts = p.split("/")
    for i in range(len(parts)):
        tail = "/".join(parts[i:])
        if tail in in_head:
            return tail
    return None
