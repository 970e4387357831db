"""The pending journal: every state change is also written to `local/pending/` before it is
appended to a log, so no git operation can take it away.

A writer cannot always append: `ctx sync` may hold the write lock for a while (fetch, rebase,
push), or the user's own `git pull --rebase` may be rewriting the very log file. Then the
change waits here and is applied when git is done: by the sync before it releases the lock,
by the next writer, or by the post-merge/post-rewrite hook. Even an appended change keeps its
journal entry for a grace period (`CTX_PENDING_GRACE`, 120 s): git's autostash snapshots the
working tree and resets it a moment later, and a line appended in between would vanish
without this copy. Settling is idempotent: an entry whose line the log already holds is not
appended again. Readers apply pending entries too, so a queued change is visible at once.
Machine-local (under `local/`), never committed.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ctx.store import crdt_log
from ctx.store.locking import atomic_write

SUFFIX = ".upd"
BUSY_MARKERS = ("rebase-merge", "rebase-apply", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD")


def grace() -> float:
    try:
        return float(os.environ.get("CTX_PENDING_GRACE", "120"))
    except ValueError:
        return 120.0


def lock_wait() -> float:
    """How long a writer waits for the write lock before it queues its change instead."""
    try:
        return max(0.0, float(os.environ.get("CTX_LOCK_WAIT", "3")))
    except ValueError:
        return 3.0


def git_dir(root: Path) -> Path | None:
    """The repository's git directory, read without running git (this is on every write)."""
    dot = root / ".git"
    if dot.is_dir():
        return dot
    try:
        text = dot.read_text()
    except OSError:
        return None
    if text.startswith("gitdir:"):
        p = Path(text[7:].strip())
        return p if p.is_absolute() else (root / p)
    return None


def git_busy(root: Path) -> str | None:
    """What git is in the middle of (a rebase, merge, ...), or None when it is idle."""
    gd = git_dir(root)
    if gd is None:
        return None
    for name in BUSY_MARKERS:
        if (gd / name).exists():
            return name
    return None


def current_branch(root: Path) -> str | None:
    """The branch checked out (during a rebase: the branch being rebased), from git's files.
    A journalled change belongs to the branch it was made on: switching branches must not
    carry it over."""
    gd = git_dir(root)
    if gd is None:
        return None
    try:
        head = (gd / "HEAD").read_text().strip()
    except OSError:
        return None
    if head.startswith("ref: "):
        return head[5:]
    for d in ("rebase-merge", "rebase-apply"):
        try:
            return (gd / d / "head-name").read_text().strip()
        except OSError:
            continue
    return None


@dataclass
class Entry:
    path: Path
    private: bool
    update: bytes
    at: float
    branch: str | None = None

    @property
    def line(self) -> bytes:
        return crdt_log.encode_line(self.update)


def pending_dir(local: Path) -> Path:
    return local / "pending"


def _clone(local: Path) -> str:
    """The clone's key (ctx/core/machine_key.py) for the journal under `local`: an entry is
    appended to this clone's own log, so one committed under local/ must never count."""
    from ctx.core.machine_key import tag

    return tag(local.parent.parent, "pending")


def queue(local: Path, update: bytes, private: bool, branch: str | None) -> Path:
    """Write one change to the journal (complete or not at all); its path."""
    d = pending_dir(local)
    name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
    meta = {"private": private, "at": time.time(), "branch": branch, "clone": _clone(local)}
    head = json.dumps(meta).encode()
    path = d / name
    atomic_write(path, head + b"\n" + crdt_log.encode_line(update), durable=False, private=True)
    return path


def entries(
    local: Path, branch: str | None = "*", skip: set[str] | frozenset[str] = frozenset()
) -> list[Entry]:
    """The journal, oldest first (only the changes made on `branch`, unless "*"; not those
    named in `skip`); unreadable entries (a torn write) are skipped."""
    d = pending_dir(local)
    try:
        listed = {n for n in os.listdir(d) if n.endswith(SUFFIX) and not n.startswith(".")}
    except OSError:
        return []
    names = sorted(listed - set(skip))
    index = _read_index(local) if names else {}
    read = 0
    out: list[Entry] = []
    for name in names:
        path = d / name
        entry = index.get(name)
        if entry is None:
            entry = _read_entry(path)
            if entry is None:
                continue
            index[name] = entry
            read += 1
        entry.path = path
        if branch != "*" and entry.branch != branch and not entry.private:
            continue  # private changes are not committed: they never belong to a branch
        out.append(entry)
    if read >= INDEX_MIN_READ:
        _write_index(local, {n: e for n, e in index.items() if n in listed})
    return out


def _read_entry(path: Path) -> Entry | None:
    """One journal file; None when it is unreadable (a torn write) or not an entry."""
    from ctx.store import confine

    try:
        head, _, rest = confine.read_bytes(path).partition(b"\n")
        meta = json.loads(head)
        chunk = crdt_log.parse(rest, 0, path.name)
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or len(chunk.updates) != 1:
        return None
    if meta.get("clone") != _clone(path.parent.parent):
        return None  # not journalled here (committed under local/ and pulled): never applied
    at = meta.get("at")
    made_on = meta.get("branch")
    return Entry(
        path,
        bool(meta.get("private")),
        chunk.updates[0],
        float(at) if isinstance(at, (int, float)) else 0.0,
        made_on if isinstance(made_on, str) else None,
    )


# ---- journal index ---------------------------------------------------------------------------
# Every reader applies the journal, and an entry stays for the grace period and until the next
# write settles it; reading a thousand small files on each `ctx status` costs more than the rest
# of the load. An entry is written once under a unique name and never changed (only deleted),
# so its content can be kept by name in one machine-local file, `local/cache/pending.bin`.
# Names no longer in the journal are ignored (and dropped on the next rewrite); a damaged
# index is ignored as a whole. A speed-up only: the journal files stay the truth.

INDEX_MAGIC = b"ctx-pending-index 1\n"
INDEX_MIN_READ = 20  # rewrite the index once a load had to read this many entry files


def index_file(local: Path) -> Path:
    return local / "cache" / "pending.bin"


def _read_index(local: Path) -> dict[str, Entry]:
    if os.environ.get("CTX_STATE_CACHE", "1") == "0":
        return {}
    from ctx.store import confine

    path = index_file(local)
    try:
        if confine.link_in(local, path) is not None:
            return {}
        data = path.read_bytes()
        if not data.startswith(INDEX_MAGIC):
            return {}
        nl = data.index(b"\n", len(INDEX_MAGIC))
        meta = json.loads(data[len(INDEX_MAGIC) : nl])
        body = memoryview(data)[nl + 1 :]
        if zlib.crc32(body) != int(meta["crc"]) or meta.get("clone") != _clone(local):
            return {}
        out: dict[str, Entry] = {}
        pos = 0
        d = pending_dir(local)
        for name, private, at, made_on, size in meta["entries"]:
            size = int(size)
            if size <= 0 or pos + size > len(body):
                return {}
            made = made_on if isinstance(made_on, str) else None
            # the path is set by the caller, for the names still in the journal
            out[str(name)] = Entry(d, bool(private), bytes(body[pos : pos + size]), float(at), made)
            pos += size
        if pos != len(body):
            return {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return out


def _write_index(local: Path, index: dict[str, Entry]) -> None:
    if os.environ.get("CTX_STATE_CACHE", "1") == "0" or not local.is_dir():
        return
    from ctx.store import confine

    body = b"".join(e.update for e in index.values())
    meta = {
        "crc": zlib.crc32(body),
        "clone": _clone(local),
        "entries": [[n, e.private, e.at, e.branch, len(e.update)] for n, e in index.items()],
    }
    head = json.dumps(meta, separators=(",", ":")).encode() + b"\n"
    path = index_file(local)
    try:
        if confine.link_in(local, path) is not None:
            return
        atomic_write(path, INDEX_MAGIC + head + body, durable=False, private=True)
    except OSError:
        return  # a read-only or full disk: the journal files are read next time


def _written_at(name: str) -> float:
    try:
        return int(name.split("-", 1)[0]) / 1e9
    except ValueError:
        return 0.0


def settle(
    local: Path,
    own_log: Path,
    private_log: Path,
    replica: str,
    branch: str | None,
    idle: Callable[[], bool] | None = None,
    known: set[str] | None = None,
) -> int:
    """Append each journalled change of this branch its log does not hold yet; drop entries
    past the grace period (those of other branches too). The caller holds the write lock and
    has checked that git is idle. `known`: entries this process appended and has seen in the
    log since (its load checks that what it read is unchanged); they are not read again.
    Returns how many changes were appended."""
    known = known if known is not None else set()
    d = pending_dir(local)
    try:
        names = sorted(n for n in os.listdir(d) if n.endswith(SUFFIX) and not n.startswith("."))
    except OSError:
        return 0
    if not names:
        return 0
    now = time.time()
    unknown: list[str] = []
    for name in names:
        if name in known:
            if now - _written_at(name) >= grace():
                (d / name).unlink(missing_ok=True)
                known.discard(name)
            continue
        unknown.append(name)
    if not unknown:
        return 0
    held: dict[Path, bytes] = {}
    appended = 0
    for e in entries(local, skip=frozenset(names) - set(unknown)):
        if e.branch != branch and not e.private:
            if now - e.at >= grace():
                e.path.unlink(missing_ok=True)
            continue
        target = private_log if e.private else own_log
        if target not in held:
            try:
                held[target] = target.read_bytes()
            except FileNotFoundError:
                held[target] = b""
        line = e.line
        if line not in held[target]:
            if not crdt_log.append_update(
                target, e.update, replica, None if e.private else idle, private=e.private
            ):
                return appended  # git started meanwhile: the rest waits for the next time
            held[target] += line
            appended += 1
        if now - e.at >= grace():
            e.path.unlink(missing_ok=True)
    return appended


def clear(local: Path) -> None:
    """Drop every entry (after `ctx gc` rewrote the logs with everything in them)."""
    for e in entries(local):
        e.path.unlink(missing_ok=True)
