"""Where the search index lives: `.contextfs/local/index.db`, and the one-time move from
`.contextfs/index.db`, where ctx kept it before.

Why it moved: the index holds the text of private sessions and memories, and every rule that
kept it out of git at the store's top (the store's `.gitignore`, `.git/info/exclude`) can be
undone by a line in a pulled `.contextfs/.gitignore` (`!index.db`), after which a plain
`git add .contextfs` publishes it. Inside `local/`, its own `.gitignore` (`*`, written in
every clone, never committed) wins over every rule above it, and a commit that tracks anything
there makes ctx refuse the store (ctx/store/planted.py).

The move renames the database with its WAL and shared-memory files (no rebuild: the index is
kept, and a file that is not this clone's own is still thrown away when it is opened, by its
missing clone key). It costs one failed `lstat` per process once done.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from ctx.store.layout import Layout

_SIDE = ("", "-wal", "-shm")
_DROP = ("-journal", ".lock")  # a rollback journal of a closed database; the builders' lock
_done: set[str] = set()


def index_path(layout: Layout) -> Path:
    """The index's file, moved into `local/` first if an older ctx left it at the top."""
    new = layout.index_db
    if str(new) not in _done:
        _done.add(str(new))
        _move_old(layout.store / "index.db", new, layout)
    return new


def _move_old(old: Path, new: Path, layout: Layout) -> None:
    try:
        st = os.lstat(old)
    except OSError:
        return  # the common case: nothing left where the index used to be
    from ctx.store import confine

    if not stat.S_ISREG(st.st_mode) or confine.link_in(layout.store, new) is not None:
        return  # a link there (refused by the store's checks), or on the way into local/
    with contextlib.suppress(OSError):
        confine.private_dirs(layout.local, tighten_existing=False)
        if os.path.lexists(new):  # built here already: the old one is only a stale copy
            _remove(old, _SIDE + _DROP)
            return
        for suffix in _SIDE:
            src = Path(str(old) + suffix)
            if os.path.isfile(src) and not os.path.islink(src):
                os.replace(src, Path(str(new) + suffix))
        _remove(old, _DROP)


def _remove(old: Path, suffixes: tuple[str, ...]) -> None:
    for suffix in suffixes:
        path = Path(str(old) + suffix)
        if os.path.isfile(path) and not os.path.islink(path):
            with contextlib.suppress(OSError):
                path.unlink()
