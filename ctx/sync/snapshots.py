"""The committed `.contextfs/` files as one side of a comparison: a commit, the index, or the
working tree. Files are read lazily (by blob id) so a comparison reads only what changed.

Symlinks are never followed: a symlink is reported with git's mode 120000 and its target as data,
exactly as git stores it, so a review can refuse it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctx.core.errors import CtxError
from ctx.sync.gitrun import STORE

MODE_FILE = 0o100644
MODE_EXEC = 0o100755
MODE_LINK = 0o120000
MODE_SUBMODULE = 0o160000
MODE_TREE = 0o040000

# What the store's own .gitignore keeps out of git (docs/format.md): never compared.
_IGNORED_TOP = {"local", "index.db"}
_IGNORED_SUFFIX = (".lock", ".tmp")


@dataclass
class Entry:
    mode: int
    oid: str
    load: Callable[[], bytes]

    def data(self) -> bytes:
        return self.load()


@dataclass
class Snapshot:
    """`.contextfs/` files of one side, keyed by their path inside the repository."""

    label: str  # "HEAD", "index", "working tree", an abbreviated commit id
    files: dict[str, Entry]
    commit: str | None = None  # the full commit id when this side is a commit


def open_repo(root: Path) -> Any:
    import pygit2

    try:
        return pygit2.Repository(str(root))
    except (pygit2.GitError, KeyError) as exc:  # pragma: no cover - the project found it before
        raise CtxError(f"cannot open the git repository at {root}: {exc}") from None


def resolve(repo: Any, rev: str) -> Any:
    """The commit `rev` names, or a user error naming the revision."""
    import pygit2

    try:
        obj = repo.revparse_single(rev)
        return obj.peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
        raise CtxError(
            f"unknown revision {rev!r}",
            "give a commit, branch or tag that exists here (fetch it first if it is remote)",
            exit_code=2,
            code="bad_revision",
        ) from None


def from_commit(repo: Any, commit: Any, label: str | None = None) -> Snapshot:
    files: dict[str, Entry] = {}
    try:
        top = commit.tree[STORE]
    except KeyError:
        top = None
    if top is not None and top.filemode == MODE_TREE:
        _walk_tree(repo, repo[top.id], STORE, files)
    elif top is not None:  # `.contextfs` itself is a file or a symlink
        files[STORE] = _blob_entry(repo, top.id, top.filemode)
    return Snapshot(label or str(commit.id)[:10], files, commit=str(commit.id))


def _walk_tree(repo: Any, tree: Any, prefix: str, out: dict[str, Entry]) -> None:
    for item in tree:
        path = f"{prefix}/{item.name}"
        if item.filemode == MODE_TREE:
            _walk_tree(repo, repo[item.id], path, out)
        else:
            out[path] = _blob_entry(repo, item.id, item.filemode)


def _blob_entry(repo: Any, oid: Any, mode: int) -> Entry:
    def load() -> bytes:
        if mode == MODE_SUBMODULE:
            return b""
        return bytes(repo[oid].read_raw())

    return Entry(mode, str(oid), load)


def from_index(repo: Any) -> Snapshot:
    files: dict[str, Entry] = {}
    for entry in repo.index:
        if entry.path == STORE or entry.path.startswith(STORE + "/"):
            files[entry.path] = _blob_entry(repo, entry.id, entry.mode)
    return Snapshot("index", files)


# what a working-tree file is known by: (mode, inode, size, mtime, ctime) and its blob id
Known = dict[str, tuple[int, int, int, int, int, str]]


def from_worktree(root: Path, known: Known | None = None, seen: Known | None = None) -> Snapshot:
    """Every file git would see under `.contextfs/` (tracked or not), minus what it ignores.
    `known`: blob ids of regular files by what their lstat said then (not hashed again while it
    says the same, as git trusts its index); `seen` gets every entry's, links and all."""
    files: dict[str, Entry] = {}
    store = root / STORE
    try:
        st = os.lstat(store)
    except FileNotFoundError:
        return Snapshot("working tree", files)
    if not stat.S_ISDIR(st.st_mode):
        files[STORE] = _disk_entry(store, st)
        _saw(seen, STORE, st, files[STORE])
        return Snapshot("working tree", files)
    base = str(store)
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        # (plain strings, not Path objects: this runs for every file of the store)
        rel_dir = STORE + dirpath[len(base) :].replace(os.sep, "/")
        top = rel_dir == STORE
        keep: list[str] = []
        for d in dirnames:
            full = os.path.join(dirpath, d)
            if top and d in _IGNORED_TOP:
                continue
            if os.path.islink(full):  # os.walk lists a symlink to a directory as a directory
                lst = os.lstat(full)
                files[f"{rel_dir}/{d}"] = _disk_entry(full, lst)
                _saw(seen, f"{rel_dir}/{d}", lst, files[f"{rel_dir}/{d}"])
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in filenames:
            if top and (name in _IGNORED_TOP or name.startswith("index.db")):
                continue
            if name.endswith(_IGNORED_SUFFIX):
                continue
            full = os.path.join(dirpath, name)
            rel = f"{rel_dir}/{name}"
            fst = os.lstat(full)
            sig = (fst.st_mode, fst.st_ino, fst.st_size, fst.st_mtime_ns, fst.st_ctime_ns)
            was = known.get(rel) if known is not None else None
            if was is not None and was[:5] == sig and stat.S_ISREG(fst.st_mode) and was[5]:
                files[rel] = Entry(_file_mode(fst), was[5], _reader(full))
            else:
                files[rel] = _disk_entry(full, fst)
            _saw(seen, rel, fst, files[rel])
    return Snapshot("working tree", files)


def _saw(seen: Known | None, rel: str, st: os.stat_result, entry: Entry) -> None:
    if seen is not None:
        seen[rel] = (st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, entry.oid)


def _file_mode(st: os.stat_result) -> int:
    return MODE_EXEC if st.st_mode & 0o111 else MODE_FILE


def _reader(path: Path | str) -> Callable[[], bytes]:
    def load() -> bytes:
        # O_NOFOLLOW: a file swapped for a symlink after the listing is not read through it
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            return fh.read()

    return load


def _disk_entry(path: Path | str, st: os.stat_result) -> Entry:
    import pygit2

    if stat.S_ISLNK(st.st_mode):
        target = os.fsencode(os.readlink(path))
        return Entry(MODE_LINK, str(pygit2.hash(target)), lambda: target)
    if not stat.S_ISREG(st.st_mode):
        return Entry(0, "", lambda: b"")
    load = _reader(path)
    try:
        oid = str(pygit2.hash(load()))
    except OSError:
        return Entry(MODE_LINK, "", lambda: b"")
    return Entry(_file_mode(st), oid, load)


def empty(label: str = "nothing") -> Snapshot:
    return Snapshot(label, {})


@dataclass
class Sides:
    base: Snapshot
    head: Snapshot
    base_commit: Any = None
    head_commit: Any = None

    @property
    def label(self) -> str:
        return f"{self.base.label}..{self.head.label}"


def pick_sides(root: Path, spec: str | None, *, staged: bool = False) -> Sides:
    """Like git diff: nothing → HEAD vs the working tree; `--staged` → HEAD vs the index;
    `REV` → REV vs the working tree; `A..B` → A vs B; `A...B` → their merge base vs B."""
    repo = open_repo(root)
    head_commit = None if repo.head_is_unborn else repo.head.peel()
    if spec is None or spec == "":
        base = from_commit(repo, head_commit, "HEAD") if head_commit else empty()
        other = from_index(repo) if staged else from_worktree(root)
        return Sides(base, other, head_commit, None)
    if staged:
        raise CtxError("--staged compares HEAD with the index; give no range with it", exit_code=2)
    if "..." in spec:
        a, b = spec.split("...", 1)
        ca, cb = resolve(repo, a or "HEAD"), resolve(repo, b or "HEAD")
        mb = repo.merge_base(ca.id, cb.id)
        if mb is None:
            raise CtxError(f"{a} and {b} have no common ancestor", exit_code=2)
        cbase = repo[mb]
        return Sides(
            from_commit(repo, cbase, f"merge-base({a or 'HEAD'}, {b or 'HEAD'})"),
            from_commit(repo, cb, b or "HEAD"),
            cbase,
            cb,
        )
    if ".." in spec:
        a, b = spec.split("..", 1)
        ca, cb = resolve(repo, a or "HEAD"), resolve(repo, b or "HEAD")
        return Sides(from_commit(repo, ca, a or "HEAD"), from_commit(repo, cb, b or "HEAD"), ca, cb)
    c = resolve(repo, spec)
    return Sides(from_commit(repo, c, spec), from_worktree(root), c, None)


def commits_between(root: Path, sides: Sides, limit: int = 2000) -> list[Any]:
    """The commits of the range, oldest first (empty when the head side is not a commit)."""
    import pygit2

    if sides.head_commit is None:
        return []
    repo = open_repo(root)
    walker = repo.walk(sides.head_commit.id, pygit2.enums.SortMode.TOPOLOGICAL)
    if sides.base_commit is not None:
        walker.hide(sides.base_commit.id)
    out = []
    for n, c in enumerate(walker):
        if n >= limit:
            break
        out.append(c)
    out.reverse()
    return out
