"""Machine-local store files that git tracks: planted by a commit, or added by mistake.

`.contextfs/local/` and `index.db*` are gitignored, and ctx never commits them: what is there
is this machine's own (the pending journal, the replica id, private state, the sessions being
captured, caches), and ctx acts on it as such. A commit can still force-add files there
(`git add -f`), and a pull or a clone then writes them into every teammate's checkout: a
journal entry or a high-water mark would be appended to the teammate's own log, as them; an
active capture would be "recovered" as their session. So, as git refuses a repository owned by
someone else, ctx refuses a store where git tracks any such path, naming them and the way
out; the caches also carry the clone's key (ctx/core/machine_key.py), so files left behind
once untracked are still never used.

The files a refusal named are remembered in git's own directory (`ctx-planted`, which no pull
writes): `git rm --cached` leaves them on disk, and the store stays refused until they are
deleted too. Nothing else then depends on every reader of `local/` checking the clone's key
(the private state log, recordings and older files carry none).

Asking git costs a few milliseconds; the answer is kept per process and in
`local/cache/planted.json` under the index's stat and the clone's key.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from ctx.core.errors import CtxError

#: Store paths ctx never commits (relative to the project root).
MACHINE_LOCAL = (
    ".contextfs/local",
    ".contextfs/index.db",
    ".contextfs/index.db-wal",
    ".contextfs/index.db-shm",
    ".contextfs/index.db-journal",
)
_memo: dict[tuple[str, tuple[int, ...]], list[str]] = {}


def check(root: Path, store: Path) -> None:
    """Refuse (a CtxError naming the files) when git tracks machine-local store paths, and
    after that while any of them is still in the checkout (untracked, left on disk)."""
    keep_local_ignored(store)
    found = tracked(root, store)
    if not found:
        _refuse_left(root)
        return
    _remember(root, found)
    shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
    raise CtxError(
        f"git tracks machine-local ctx files ({shown}): a commit added them (git add -f), "
        "so they came from whoever made it; ctx does not use this store while they are there",
        "remove them from the repository and from this checkout: "
        "`git rm -r -q --cached -- .contextfs/local .contextfs/index.db` and commit, then "
        f"delete {', '.join(found[:3])}{' …' if len(found) > 3 else ''} "
        "(`git log --diff-filter=A -- .contextfs/local` shows who added them)",
        code="store_planted",
    )


LOCAL_IGNORE = b"# ctx: everything here is this machine's own, never committed\n*\n"


def keep_local_ignored(store: Path) -> None:
    """`local/.gitignore` ignoring everything in `local/`: the store's own `.gitignore` comes
    with every pull, and a commit that drops (or negates) its `local/` line would otherwise
    have the next `git add .contextfs` commit this clone's private log, journals and
    recordings. A `.gitignore` inside the folder wins over every rule above it. One failed
    stat when it is there."""
    local = store / "local"
    target = local / ".gitignore"
    try:
        os.lstat(target)
        return
    except OSError:
        pass
    from ctx.store import confine
    from ctx.store.locking import atomic_write

    if not os.path.isdir(store) or confine.link_in(store, target) is not None:
        return  # no store here, or a link on the way (refused elsewhere)
    with contextlib.suppress(OSError):
        atomic_write(target, LOCAL_IGNORE, private=True, durable=False)
        _exclude_index(store.parent)  # (once per clone: when local/.gitignore was made)


INDEX_EXCLUDE = "/.contextfs/index.db*"


def _exclude_index(root: Path) -> None:
    """The search index in git's own `info/exclude` too (never pulled): where a pulled
    `.contextfs/.gitignore` no longer lists it, `git add .contextfs` still leaves it out."""
    from ctx.core.gitfiles import add_exclude, locate

    repo = locate(root.resolve())
    if repo is not None and repo.root == root.resolve():
        add_exclude(repo.common, INDEX_EXCLUDE, "ctx: the search index is this clone's own")


QUARANTINE = "ctx-planted"  # in git's directory: the files a refusal named, one per line


def _quarantine(root: Path) -> Path | None:
    from ctx.core.gitfiles import locate

    try:
        repo = locate(root.resolve())
    except OSError:
        return None
    return repo.gitdir / QUARANTINE if repo is not None else None


def _remember(root: Path, found: list[str]) -> None:
    """Add `found` to the clone's list of planted files (a speed bump only when git's
    directory cannot be written: the keys still guard the caches)."""
    file = _quarantine(root)
    if file is None:
        return
    listed = _listed(file)
    names = [n for n in dict.fromkeys([*listed, *found]) if "\n" not in n]
    if names == listed:
        return
    from ctx.store.locking import atomic_write

    try:
        atomic_write(file, "".join(f"{n}\n" for n in names).encode(), durable=False)
    except OSError:
        pass


def _listed(file: Path) -> list[str]:
    try:
        with open(file, "rb") as fh:  # (git's directory: written by ctx only)
            text = fh.read().decode("utf-8", "surrogateescape")
    except OSError:
        return []
    return [n for n in text.split("\n") if n and _machine_local(n)]


def _machine_local(name: str) -> bool:
    parts = name.split("/")
    return ".." not in parts and any(name == m or name.startswith(m + "/") for m in MACHINE_LOCAL)


def _refuse_left(root: Path) -> None:
    """While files a refusal named are still in the checkout: refuse, saying to delete them.
    Once they are all gone, the list goes too. One failed stat when there is none."""
    file = _quarantine(root)
    if file is None:
        return
    left = [n for n in _listed(file) if os.path.lexists(root / n)]
    if not left:
        with contextlib.suppress(OSError):
            file.unlink()  # (mostly: there is none)
        return
    shown = ", ".join(left[:3]) + (f" and {len(left) - 3} more" if len(left) > 3 else "")
    raise CtxError(
        f"machine-local ctx files a commit added are still in this checkout ({shown}): "
        "they came from whoever made that commit; ctx does not use this store while they are there",
        f"delete them (all {len(left)} are listed in {file}; ctx makes its own again), or, "
        f"if you made that commit and they are your own files, delete {file} to keep them",
        code="store_planted",
    )


def tracked(root: Path, store: Path) -> list[str]:
    """The machine-local store paths git's index holds (relative to `root`)."""
    from ctx.core.gitfiles import locate

    try:
        repo = locate(root.resolve())
    except OSError:
        repo = None
    index = (repo.gitdir if repo is not None else root / ".git") / "index"
    try:
        st = os.stat(index)
    except OSError:
        return []  # no index yet (nothing committed or added): nothing tracked
    mark = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    memo = (str(root), mark)
    if memo in _memo:
        return _memo[memo]
    kept = _kept(root, store, mark)
    found = kept if kept is not None else _ask_git(root)
    if found is None:
        return []  # git could not answer: not blocked on it (asked again next time)
    if kept is None:
        _keep(root, store, mark, found)
    _memo[memo] = found
    return found


def _ask_git(root: Path) -> list[str] | None:
    from ctx.core.gitcmd import git_paths

    found = git_paths(root, "ls-files", "-z", "--cached", "--", *MACHINE_LOCAL, timeout=30)
    return sorted(found) if found is not None else None


def _cache(store: Path) -> Path:
    return store / "local" / "cache" / "planted.json"


def _key(root: Path, mark: tuple[int, ...]) -> str:
    from ctx.core.machine_key import tag

    return tag(root, "planted", *mark)


def _kept(root: Path, store: Path, mark: tuple[int, ...]) -> list[str] | None:
    from ctx.store import confine

    file = _cache(store)
    if confine.link_in(store, file) is not None:
        return None
    try:
        data = json.loads(confine.read_bytes(file))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("key") != _key(root, mark):
        return None
    found = data.get("tracked")
    if not isinstance(found, list) or not all(isinstance(n, str) for n in found):
        return None
    return found


def _keep(root: Path, store: Path, mark: tuple[int, ...], found: list[str]) -> None:
    from ctx.store import confine
    from ctx.store.locking import write_cache

    file = _cache(store)
    if not (store / "local").is_dir() or confine.link_in(store, file.parent) is not None:
        return
    try:
        confine.private_dirs(file.parent)
    except OSError:
        return
    write_cache(file, {"key": _key(root, mark), "tracked": found})
