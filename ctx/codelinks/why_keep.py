"""Keeping `ctx why`'s inputs current in the process that writes to the store, so a question
asked right after a memory or a session is added does not load the store again.

The kept inputs (why_inputs.py) are valid under a digest of every store file they come from.
A write changes that digest, and the next `ctx why` would pay ~0.15 s (pycrdt, the logs,
every session) to load the store; the background warmer (why_warm.py) needs about a second
to catch up. The writer already holds the whole state, current under the store's lock: it
keeps the inputs itself, ~50 ms for 1,000 sessions. Only while `ctx why` is being asked (in
the last :data:`ASKING` seconds: answer_cache.mark_asked) and up to :data:`MAX_BYTES` of kept
inputs; otherwise the background warmer does it, at no cost to the write.

The state in memory is the state of the files only if nothing but this write changed them
since it was read: the rows of every store file are taken before the state is read again
(under the lock) and after the write, and compared. This write may have appended to its own
log (same file, grown) and queued its change in the journal (an entry the state holds);
anything else — git checking out a log, another process's journal entry — and nothing is
kept (the warmer, or the next question, loads the store).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # registered at every start (ctx.launch): nothing more is imported then
    from collections.abc import Callable
    from pathlib import Path

    from ctx.store.project import Project

ASKING = 600.0  # seconds since the last `ctx why` during which writes keep its inputs
MAX_BYTES = 1 << 20  # kept inputs of ~5,000 sessions: more, and the writer leaves it to the warmer
_PENDING = "local/pending/"


def before_write(root: Path) -> Callable[[Project], None] | None:
    """Taken under the lock, before the state is read again: what to do after the write."""
    from ctx.codelinks.answer_cache import asked_within
    from ctx.codelinks.answer_key import store_rows
    from ctx.codelinks.why_inputs import cache_file

    if not asked_within(root, ASKING):
        return None  # not asked lately: the background warmer keeps them, at no cost here
    try:
        st = os.lstat(cache_file(root))
    except OSError:
        return None  # `ctx why` not used here
    if st.st_size > MAX_BYTES:
        return None
    rows = store_rows(root)
    if rows is None:
        return None

    def after(project: Project) -> None:
        keep(project, rows)

    return after


def keep(project: Project, before: list[str]) -> bool:
    """Keep the inputs of the state in memory when only this write changed the store."""
    from ctx.codelinks import why_inputs
    from ctx.codelinks.answer_key import digest_of, store_rows
    from ctx.core.gitfiles import locate

    repo = locate(project.git.worktree.resolve())
    if repo is None or (repo.worktree, repo.root) != (project.git.worktree, project.root):
        return False
    after = store_rows(project.root)
    if after is None:
        return False
    store = project.layout.store
    own = {
        project.own_log.relative_to(store).as_posix(),
        project.layout.private_log.relative_to(store).as_posix(),
    }
    if not only_this_write(before, after, own, project.applied_pending()):
        return False
    why_inputs.save(
        repo.root, why_inputs.inputs_key(repo, digest_of(after)), why_inputs.from_project(project)
    )
    return True


def only_this_write(before: list[str], after: list[str], own: set[str], applied: set[str]) -> bool:
    """Whether `after` differs from `before` only by this write: its own logs grown in
    place, journal entries the state holds (added or settled), the journal folder itself."""
    was = {_rel(r): r for r in before}
    now = {_rel(r): r for r in after}
    for rel in was.keys() | now.keys():
        old, new = was.get(rel), now.get(rel)
        if old == new:
            continue
        if rel in own:
            if not _grown(old, new):
                return False
        elif rel == _PENDING[:-1]:
            continue  # the folder's own mtime: its entries are checked one by one
        elif rel.startswith(_PENDING) and "/" not in rel[len(_PENDING) :]:
            if new is not None and rel[len(_PENDING) :] not in applied:
                return False  # an entry the state lacks (another writer's, or changed)
        else:
            return False
    return True


def _rel(row: str) -> str:
    return row.split("\0", 1)[0]


def _grown(old: str | None, new: str | None) -> bool:
    """The same file (kind, inode), appended to; or created by this write."""
    if new is None:
        return False
    n = new.rstrip("\n").split("\0")
    if old is None or old.count("\0") == 0:  # absent before: created now
        return len(n) == 5
    o = old.rstrip("\n").split("\0")
    return len(n) == 5 and len(o) == 5 and n[1:3] == o[1:3] and int(n[3]) >= int(o[3])
