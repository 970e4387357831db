"""`ctx log`'s history, kept machine-locally so it is not replayed from the first commit each time.

The committed history of HEAD's first-parent chain never changes for a given HEAD, and when
HEAD moves on (new commits on top) only the new commits need replaying. The working tree's
uncommitted changes depend only on the last commit that changed the store and the store's
files. So `.contextfs/local/cache/log-history.json` keeps (line 1: the key; line 2: the rest):
the commit it was computed at, where the walk stood (history.Replay), the committed entries,
the working tree's entries under a digest of the last store commit and of every file git
would see under `.contextfs/` (name, kind, inode, size, mtime, ctime, blob id), and those
blob ids by lstat, so a file whose lstat is unchanged is not read and hashed again (as git
trusts its index).

The key holds ctx's version and code, the checkout's paths and what git reads to walk
commits (grafts, a shallow clone's boundary): a change there replays everything. HEAD is
read from git's files; a HEAD not read there (unborn, reftable) is never cached.

The file lives in the store's folder, so it is read like pulled content: never through a
symlink, every entry checked (ids against their grammar, commit ids, dates, kinds), anything
odd is a miss. `log-trailers.json` keeps the session ids in the Ctx-Session trailers of the
commits that changed the asked paths (a `git log`), under HEAD, the paths, git's configuration
and environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.codelinks.history import LIMIT_COMMITS, LogEntry, Replay
from ctx.core.gitfiles import Repo, config_files, head, locate
from ctx.core.ids import is_memory_id, is_replica_id, is_session_id

if TYPE_CHECKING:
    from ctx.codelinks.why_inputs import Inputs
    from ctx.store.project import Project
    from ctx.sync.snapshots import Known

CACHE_VERSION = 1
_STORE = ".contextfs"
_NAME = "log-history.json"
_TRAILERS = "log-trailers.json"
_MAX_TRAILER_KEYS = 32
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_ACTIONS = {"added", "edited", "removed", "forgotten", "extended"}
# the code whose output is kept: a changed ctx computes afresh
_CODE = (
    "codelinks/history.py",
    "codelinks/log_cache.py",
    "codelinks/trailer_cache.py",
    "sync/review.py",
    "sync/changes.py",
    "sync/snapshots.py",
    "store/state.py",
    "store/crdt_log.py",
    "core/ids.py",
)


def history(project: Project) -> list[LogEntry]:
    """Every change to memories and sessions, oldest first: history.history, kept."""
    from ctx.codelinks import history as compute
    from ctx.sync.snapshots import from_worktree

    worktree = Path(project.git.worktree)
    repo = locate(worktree.resolve())
    at_head = head(repo) if repo is not None else None
    if repo is None or at_head is None:
        return compute.history(project)
    root = Path(project.root)
    base = _base_key(repo)
    kept = _load(root, base)
    seen: Known = {}
    try:  # the store's files as git sees them, hashed only where their lstat changed
        snap = from_worktree(worktree, kept["known"] if kept else None, seen)
    except OSError:
        return compute.history(project)
    at_kept = kept is not None and kept["head"] == at_head[1]
    if at_kept and kept is not None and kept["work_key"] == _work_key(kept["at"].last, seen):
        return kept["committed"] + kept["work"]  # no git library, no store
    import pygit2

    git = pygit2.Repository(str(worktree))
    committed, at = _committed(git, kept)
    work_key = _work_key(at.last, seen)
    if kept is not None and kept["work_key"] == work_key:
        work = kept["work"]
    else:
        work = compute.worktree_entries(git, worktree, at.last, snap)
    if at.head is not None:
        _save(root, base, at, committed, work_key, work, seen)
    return committed + work


def _committed(git: Any, kept: dict[str, Any] | None) -> tuple[list[LogEntry], Replay]:
    """The committed entries: kept, walked on from the kept HEAD, or replayed from the start."""
    import pygit2

    from ctx.codelinks import history as compute

    if git.head_is_unborn:
        return [], Replay()
    now = str(git.head.target)
    if kept is not None:
        at: Replay = kept["at"]
        if at.head == now:
            return list(kept["committed"]), at
        if at.head is not None and at.count < LIMIT_COMMITS:
            walker = git.walk(git.head.target, pygit2.enums.SortMode.TOPOLOGICAL)
            walker.simplify_first_parent()
            try:
                walker.hide(pygit2.Oid(hex=at.head))
            except (KeyError, ValueError, pygit2.GitError):
                walker = None
            new = list(walker) if walker is not None else []
            new.reverse()
            # only commits on top of the kept HEAD (its first-parent descendants) walk on
            on_top = bool(new) and bool(new[0].parent_ids)
            on_top = on_top and str(new[0].parent_ids[0]) == at.head
            if on_top and at.count + len(new) <= LIMIT_COMMITS:
                more = compute.replay(git, new, at)
                return list(kept["committed"]) + more, at
    return compute.committed_history(git)


# ---- keys ------------------------------------------------------------------------------------


def _mark(path: Path | str) -> list[int]:
    """What changes when a file is written, replaced or removed (never through a link)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return []
    except OSError:
        return [-1]
    return [stat.S_IFMT(st.st_mode), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _code() -> list[object]:
    from ctx.core.version import __version__

    base = Path(__file__).resolve().parent.parent
    return [__version__, CACHE_VERSION, *(_mark(base / rel) for rel in _CODE)]


def _base_key(repo: Repo) -> str:
    """What every kept entry depends on but HEAD and the store: ctx's code, the checkout, and
    what makes git see other parents (grafts, a shallow boundary)."""
    parts = [
        _code(),
        [str(repo.worktree), str(repo.root), str(repo.gitdir), str(repo.common)],
        [_mark(repo.common / "info" / "grafts"), _mark(repo.common / "shallow")],
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _work_key(last: str | None, seen: Known) -> str:
    """A digest of the last commit that changed the store and of every file git would see
    under the working tree's `.contextfs/`: name, kind, inode, size, mtime, ctime, blob id."""
    return hashlib.sha256(json.dumps([last, sorted(seen.items())]).encode()).hexdigest()


# ---- the cache file --------------------------------------------------------------------------


def cache_file(root: Path, name: str = _NAME) -> Path:
    return root / _STORE / "local" / "cache" / name


def _load(root: Path, key: str) -> dict[str, Any] | None:
    """The kept history when kept under `key`, checked entry by entry; else None."""
    from ctx.store import confine

    file = cache_file(root)
    if confine.link_in(root / _STORE, file) is not None:
        return None
    try:
        with confine.open_read(file) as fh:
            if json.loads(fh.readline(4096)) != {"v": CACHE_VERSION, "key": key}:
                return None
            data = json.loads(fh.read())
    except (OSError, ValueError, RecursionError):
        return None
    try:
        return _decode(data)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None


def _sha(v: object, none: bool = True) -> str | None:
    if v is None and none:
        return None
    if not isinstance(v, str) or not _SHA.fullmatch(v):
        raise ValueError("not a commit id")
    return v


def _decode(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        return None
    count = data["count"]
    if not isinstance(count, int) or isinstance(count, bool) or not 0 < count <= LIMIT_COMMITS:
        return None
    at = Replay(_sha(data["head"], none=False), _sha(data["tree"]), _sha(data["last"]), count)
    work_key = data["work_key"]
    if not isinstance(work_key, str):
        return None
    known: Known = {}
    for rel, row in data["known"].items():
        mode, ino, size, mtime, ctime, oid = row
        nums = (mode, ino, size, mtime, ctime)
        if not isinstance(rel, str) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in nums
        ):
            return None
        known[rel] = (mode, ino, size, mtime, ctime, _sha(oid, none=False) or "")
    committed = [_entry(e, committed=True) for e in data["committed"]]
    work = [_entry(e, committed=False) for e in data["work"]]
    return {
        "head": at.head,
        "at": at,
        "committed": committed,
        "work": work,
        "work_key": work_key,
        "known": known,
    }


def _entry(row: Any, committed: bool) -> LogEntry:
    commit, author, date, replica, kind, id_, action, summary, fields = row
    if committed:
        _sha(commit, none=False)
        if not isinstance(date, str) or not _DATE.fullmatch(date):
            raise ValueError("not a date")
    elif commit is not None or date != "" or author != "":
        raise ValueError("not a working tree entry")
    if not isinstance(author, str) or not isinstance(summary, str):
        raise TypeError("not a string")
    if not isinstance(replica, str) or (replica and not is_replica_id(replica)):
        raise ValueError("not a replica")
    if kind == "memory":
        valid = is_memory_id(id_)
    elif kind == "session":
        valid = is_session_id(id_)
    else:
        valid = False
    if not valid or action not in _ACTIONS:
        raise ValueError("not an entry")
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise TypeError("not a list of fields")
    return LogEntry(commit, author, date, replica, kind, id_, action, summary, fields)


def _row(e: LogEntry) -> list[Any]:
    return [e.commit, e.author, e.date, e.replica, e.kind, e.id, e.action, e.summary, e.fields]


def _save(
    root: Path,
    key: str,
    at: Replay,
    committed: list[LogEntry],
    work_key: str,
    work: list[LogEntry],
    seen: Known,
) -> None:
    """Keep the history under `key` (never through a linked folder); a file that cannot be
    written only costs the next `ctx log` its time."""
    from ctx.core.errors import CtxError
    from ctx.store import confine
    from ctx.store.locking import atomic_write

    file = cache_file(root)
    if confine.link_in(root / _STORE, file.parent) is not None:
        return
    body = {
        "head": at.head,
        "tree": at.tree,
        "last": at.last,
        "count": at.count,
        "committed": [_row(e) for e in committed],
        "work_key": work_key,
        "work": [_row(e) for e in work],
        "known": {rel: list(row) for rel, row in seen.items() if row[5]},
    }
    line = json.dumps({"v": CACHE_VERSION, "key": key})
    try:
        atomic_write(file, f"{line}\n{json.dumps(body)}\n".encode(), private=True, durable=False)
    except (OSError, CtxError):
        pass


# ---- what the filters read -------------------------------------------------------------------


def inputs(project: Project) -> Inputs:
    """The store's sessions, their files and the memories: the inputs `ctx why` keeps
    (why_inputs.py), loaded from there when kept, else read from the store and kept."""
    from ctx.codelinks import why_inputs
    from ctx.codelinks.answer_key import store_digest

    root = Path(project.root)
    repo = locate(Path(project.git.worktree).resolve())
    store = store_digest(root) if repo is not None else None
    if repo is None or store is None:
        return why_inputs.from_project(project)
    key = why_inputs.inputs_key(repo, store)
    kept = why_inputs.load(root, key)
    if kept is not None:
        return kept
    fresh = why_inputs.from_project(project)
    why_inputs.save(root, key, fresh)
    return fresh


def trailer_ids(project: Project, paths: list[str]) -> list[str]:
    """history.trailer_ids, kept under HEAD, the paths and what else `git log` reads."""
    from ctx.codelinks import history as compute
    from ctx.store import confine
    from ctx.store.locking import write_cache

    worktree = Path(project.git.worktree)
    repo = locate(worktree.resolve())
    at_head = head(repo) if repo is not None else None
    if repo is None or at_head is None:
        return compute.trailer_ids(worktree, paths)
    parts = [
        _code(),
        [str(repo.worktree), str(repo.root), str(repo.gitdir), str(repo.common)],
        list(at_head),
        paths,
        [_mark(p) for p in config_files(repo)],
        [_mark(repo.worktree / ".mailmap")],
        [_mark(repo.common / d) for d in ("info/grafts", "shallow", "refs/replace", "packed-refs")],
        sorted((k, v) for k, v in os.environ.items() if k.startswith("GIT_")),
    ]
    key = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
    root = Path(project.root)
    file = cache_file(root, _TRAILERS)
    kept: dict[str, list[str]] = {}
    if confine.link_in(root / _STORE, file) is None:
        try:
            data = json.loads(confine.read_bytes(file))
        except (OSError, ValueError, RecursionError):
            data = None
        logs = (
            data.get("keys") if isinstance(data, dict) and data.get("v") == CACHE_VERSION else None
        )
        if isinstance(logs, dict):
            kept = {
                k: v
                for k, v in logs.items()
                if isinstance(v, list) and all(isinstance(i, str) and is_session_id(i) for i in v)
            }
    if key in kept:
        return kept[key]
    out = compute.trailer_ids(worktree, paths)
    kept = dict(list(kept.items())[-(_MAX_TRAILER_KEYS - 1) :])
    kept[key] = out
    if confine.link_in(root / _STORE, file.parent) is None:
        write_cache(file, {"v": CACHE_VERSION, "keys": kept})
    return out
