"""ProjectBase: opening a project, loading and refreshing CRDT state, the write path."""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ctx.core import after_write
from ctx.core.config import Config, load_config, validated
from ctx.core.errors import CtxError
from ctx.core.gitinfo import GitContext, context
from ctx.core.ids import is_replica_id, new_replica_id
from ctx.store import confine, crdt_log, highwater, pending, planted
from ctx.store.crdt_log import Cached, LogMark
from ctx.store.layout import FORMAT_VERSION, Layout
from ctx.store.locking import atomic_write, file_lock, try_lock
from ctx.store.problems import Problem
from ctx.store.state import StateDoc

T = TypeVar("T")
EMPTY_UPDATE = b"\x00\x00"
CACHE_MIN_LINES = 200  # rewrite the load cache once this many log lines were read past it


def _is_log_name(name: str) -> bool:
    return name.endswith(".log") and is_replica_id(name[:-4])


def _not_a_log(name: str) -> bool:
    return name.startswith(".") or not name.endswith(".log")


def _merge(updates: list[bytes]) -> bytes:
    """One lossless update equivalent to applying all of them (pending parts included)."""
    from pycrdt import merge_updates

    parts = [u for u in updates if u]
    if len(parts) <= 1:
        return parts[0] if parts else b""
    return bytes(merge_updates(*parts))


class ProjectBase:
    """Owns the two CRDT documents (shared and private) and keeps them current."""

    def __init__(self, root: Path, git: GitContext) -> None:
        self.root = root
        self.git = git
        self.layout = Layout(root)
        self._config: Config | None = None
        self._shared: StateDoc | None = None
        self._private: StateDoc | None = None
        self._marks: dict[Path, LogMark] = {}  # log -> how much of it the documents hold
        self._base: dict[bool, bytes] = {False: b"", True: b""}  # what the load cache held
        self._fresh: dict[bool, list[bytes]] = {False: [], True: []}  # updates read past it
        self._replica: str | None = None
        self.problems: list[Problem] = []
        self._pending_seen: set[str] = set()  # journal entries applied to the documents
        self._in_log: set[str] = set()  # entries we appended, still in the log (see settle)
        self.queued: str | None = None  # why the last change waits in the journal, if it does
        self.notices: list[str] = []  # data a log lost and ctx restored (see highwater)
        self._read_now: dict[bool, list[bytes]] = {False: [], True: []}  # this refresh's reads
        self.brief_refresh_off = False  # set by a caller that refreshes the brief itself
        self._brief_spawned_at = -1e9
        self._why_spawned_at = -1e9

    # ---- opening -------------------------------------------------------------------------
    @property
    def store_dir(self) -> Path:
        return self.layout.store

    @property
    def loaded(self) -> bool:
        """Whether the state has been read (a first access of `shared` or `private` reads it)."""
        return self._shared is not None

    @property
    def exists(self) -> bool:
        return self.layout.config.exists()

    def require_store(self) -> None:
        confine.check_structure(self.root, self.layout.store)  # no symlinks: refuse, name them
        planted.check(self.root, self.layout.store)  # no machine-local file git tracks
        confine.tighten(self.layout.local, confine.PRIVATE_DIR)
        if not self.exists:
            raise CtxError(
                f"no ctx store in {self.root}",
                "run `ctx init` in the repository first",
                code="no_store",
            )
        # every known key checked: `format = "1"` or `-1` is a clear error, not "upgrade"
        fmt = validated(self.layout.config).get("store", {}).get("format", 1)
        if fmt > FORMAT_VERSION:
            raise CtxError(
                f"{self.layout.config} says store format {fmt}, "
                f"this ctx reads up to {FORMAT_VERSION}",
                "upgrade ctx (pip install -U contextfs-cli); nothing was changed",
                code="newer_format",
            )

    @property
    def config(self) -> Config:
        if self._config is None:
            cfg = self.layout.config
            linked = confine.link_in(self.layout.store, cfg) is not None  # never read through
            self._config = load_config(cfg if self.exists and not linked else None)
            for note in self._config.ignored:  # said as a warning, as damage is
                if note not in self.notices:
                    self.notices.append(note)
        return self._config

    def refresh_git(self) -> None:
        """Branch/HEAD may change while a long-lived process (MCP server, TUI) runs."""
        self.git = context(self.git.worktree)

    # ---- replica identity ----------------------------------------------------------------
    @property
    def replica(self) -> str:
        """This clone's id, kept in local/ (never committed). A store copied to another path
        gets a fresh id, so two copies never append to one log file; so does a replica file
        this clone did not write (one committed under local/ and pulled would make this
        clone append to someone else's log, as them): it carries the clone's key."""
        if self._replica is None:
            from ctx.core.machine_key import key_for, tag

            path = self.layout.replica_file
            store = str(self.layout.store.resolve())
            mine = tag(self.root, "replica", store)
            try:
                data = json.loads(confine.read_bytes(path))
                stable = key_for(self.root) is not None  # (else: kept as before, by path only)
                if (
                    data.get("store") == store
                    and (data.get("clone") == mine or not stable)
                    and is_replica_id(data.get("id"))
                ):
                    self._replica = data["id"]
                    confine.tighten(path)  # an older ctx made it 0644
            except (OSError, ValueError, AttributeError, RecursionError):
                pass
            if self._replica is None:
                self._replica = new_replica_id()
                data = json.dumps({"id": self._replica, "store": store, "clone": mine}).encode()
                atomic_write(path, data, private=True)
        return self._replica

    @property
    def own_log(self) -> Path:
        return self.layout.state_dir / f"{self.replica}.log"

    # ---- loading -------------------------------------------------------------------------
    def _log_files(self) -> list[tuple[Path, bool]]:
        lay = self.layout
        logs, refused = confine.entries(lay.store, lay.state_dir, _is_log_name, _not_a_log)
        self._refuse(refused)
        files = [(lay.state_dir / n, False) for n in logs]
        private = lay.private_log
        if confine.link_in(lay.store, private) is not None:
            self._refuse([(private, "a symbolic link, not followed")])
        elif private.exists():
            files.append((private, True))
        return files

    def _refuse(self, refused: list[tuple[Path, str]]) -> None:
        """Report entries that were not used (bad names, symlinks), each once."""
        for path, reason in refused:
            problem = confine.refusal(self.root, path, reason)
            if problem not in self.problems:
                self.problems.append(problem)

    @property
    def cache_file(self) -> Path:
        """Machine-local load cache (see crdt_log): a speed-up only, never the truth."""
        return self.layout.local / "cache" / "state.bin"

    def _reset(self) -> None:
        self._shared = StateDoc()
        self._private = StateDoc()
        self._marks = {}
        self._base = {False: b"", True: b""}
        self._fresh = {False: [], True: []}
        self.problems = []
        self._pending_seen = set()
        self._in_log = set()  # a log was rewritten: check every entry again

    def refresh(self) -> None:
        """Apply whatever was appended to any log since the last look (cheap when nothing was).
        A log that vanished or was rewritten (compaction, checkout) reloads everything."""
        first = self._shared is None
        if first:
            self._reset()
            self._apply_cache()
        self._read_now = {False: [], True: []}
        reloaded = False
        for attempt in range(3):
            if self._refresh_logs() or attempt == 2:
                break
            reloaded = True
            self._reset()  # start over from the logs themselves (no cache)
        self._maybe_write_cache()
        self._guard_high_water(reloaded, first)
        self._apply_pending()

    def _guard_high_water(self, reloaded: bool, first: bool) -> None:
        """Compare the loaded state with what this clone has seen; restore what a log lost.

        Only state built from the cache and the logs may be claimed as seen. After the first
        refresh the state also holds the journalled changes applied then (ctx/store/pending.py),
        which no log has yet: claimed, the next process would "restore" a change that is merely
        still queued (and say a log lost it)."""
        if not highwater.enabled() or not self.layout.local.is_dir():
            return
        if confine.link_in(self.layout.store, self.layout.local) is not None:
            return  # a linked store or local/: never written through (reported elsewhere)
        branch = pending.current_branch(self.root)
        if branch is None:
            return  # a detached HEAD (an old commit checked out): nothing to compare with
        for private in (False, True):
            doc = self._private if private else self._shared
            assert doc is not None
            mark = highwater.mark_for(self.layout.local, private, branch)
            try:
                now = highwater.state_vector(doc.doc.get_state())
                if not mark.exists():
                    mark.start(doc.full_update(), now)
                    continue
                seen = mark.sv()
                lost = highwater.missing_clocks(seen, now)
                if lost:
                    self._restore(private, mark, lost)
                    now = highwater.state_vector(doc.doc.get_state())
                if any(clock > seen.get(c, 0) for c, clock in now.items()):
                    read = self._read_now[private]
                    if reloaded or (first and not read):
                        # rebuilt from the logs, or state the mark never got (from the load
                        # cache): catch up once
                        mark.start(doc.full_update(), now)
                    elif read:  # the mark claims only what its content holds
                        mark.note(read, highwater.coverage(read))
            except (OSError, CtxError):
                continue  # the mark is a safety net: a full disk must not stop a read

    def _restore(self, private: bool, mark: highwater.Mark, lost: int) -> None:
        """Put back what the logs lost: in memory now, in our own log when we may write."""
        from pycrdt import Doc

        doc = self._private if private else self._shared
        assert doc is not None
        seen: Doc[Any] = Doc()
        for upd in mark.content():
            seen.apply_update(upd)
        missing = seen.get_update(doc.doc.get_state())
        if not missing or missing == EMPTY_UPDATE:
            return
        before = set(doc.memory_ids()) | set(doc.sessions.keys())
        doc.apply(missing)
        back = len((set(doc.memory_ids()) | set(doc.sessions.keys())) - before)
        where = "the private log" if private else self._removed_by()
        written = False
        with try_lock(self.layout.lock_file, wait=pending.lock_wait()) as locked:
            if locked and not pending.git_busy(self.root):
                path = self.layout.private_log if private else self.own_log
                try:
                    crdt_log.append_update(path, missing, self.replica, private=private)
                    written = True
                except (CtxError, OSError) as exc:  # a linked or unwritable log: kept in memory
                    self._refuse([(path, str(exc))])
        target = self._display(self.layout.private_log if private else self.own_log)
        self.notices.append(
            f"{back} record(s) and {lost} change(s) this clone had seen were missing from "
            f"{where}; "
            + (f"restored into {target}" if written else "kept, written back once git is idle")
            + " (a revert or truncation of a log does not delete memories: use "
            "`ctx memory rm` or `ctx forget`)"
        )

    def _removed_by(self) -> str:
        return highwater.removed_by(self.root, self.layout.state_dir)

    def _apply_pending(self) -> None:
        """Changes waiting in the journal are part of the state (never cached: see pending)."""
        branch = pending.current_branch(self.root)
        for e in pending.entries(self.layout.local, branch, self._pending_seen):
            self._pending_seen.add(e.path.name)
            doc = self._private if e.private else self._shared
            assert doc is not None
            doc.apply(e.update)

    def _refresh_logs(self) -> bool:
        files = self._log_files()
        present = {p for p, _ in files}
        if any(p not in present for p in self._marks):
            return False  # a log vanished (git checkout of an older commit)
        return all(self._refresh_one(path, private) for path, private in files)

    def _refresh_one(self, path: Path, private: bool) -> bool:
        """Read what is new in one log; False when the part already read has changed."""
        mark = self._marks.get(path)
        name = self._display(path)
        try:
            with confine.open_read(path) as fh:
                st = os.fstat(fh.fileno())
                if mark is not None and mark.unchanged(st):
                    return True
                if mark is not None and st.st_ino == mark.ino and st.st_size >= mark.offset:
                    # appended in place: check the bytes before our offset, read only the rest
                    keep = len(mark.tail)
                    fh.seek(mark.offset - keep)
                    data = fh.read()
                    if data[:keep] != mark.tail:
                        return False
                    start, crc, lines = keep, mark.crc, mark.lines
                    chunk = crdt_log.parse(data, keep, name, mark.lines)
                else:
                    data = fh.read()
                    start, crc, lines = 0, 0, 0
                    if mark is not None:
                        if len(data) < mark.offset or zlib.crc32(data[: mark.offset]) != mark.crc:
                            return False
                        start, crc, lines = mark.offset, mark.crc, mark.lines
                    chunk = crdt_log.parse(data, start, name)
        except FileNotFoundError:
            return mark is None
        except OSError as exc:  # a symlink (not followed), a folder, unreadable: skipped
            self._refuse([(path, confine.why(exc))])
            return mark is None
        doc = self._private if private else self._shared
        assert doc is not None
        for lineno, upd in zip(chunk.linenos, chunk.updates, strict=True):
            err = doc.apply(upd)
            if err:
                self.problems.append(Problem(name, lineno, err))
        self.problems.extend(chunk.problems)
        self._fresh[private].extend(chunk.updates)
        self._read_now[private].extend(chunk.updates)
        consumed = data[start : chunk.end]
        offset = (mark.offset if mark is not None else 0) + len(consumed)
        tail = ((mark.tail if mark is not None else b"") + consumed)[-32:]
        self._marks[path] = LogMark(
            offset,
            zlib.crc32(consumed, crc),
            tail,
            lines + consumed.count(b"\n"),
            st.st_ino,
            st.st_size,
            st.st_mtime_ns,
        )
        return True

    def _apply_cache(self) -> None:
        if os.environ.get("CTX_STATE_CACHE", "1") == "0":
            return
        cached = crdt_log.read_cache(self.cache_file, self._cache_key())
        if cached is None:
            return
        assert self._shared is not None and self._private is not None
        if (cached.shared and self._shared.apply(cached.shared)) or (
            cached.private and self._private.apply(cached.private)
        ):
            self._reset()  # an unusable cache: load from the logs
            return
        self._marks = {self.layout.store / rel: m for rel, m in cached.marks.items()}
        self._base = {False: cached.shared, True: cached.private}
        self.problems = list(cached.problems)

    def _cache_key(self) -> str:
        from ctx.core.machine_key import tag

        return tag(self.root, "state", crdt_log.CACHE_MAGIC)

    def _maybe_write_cache(self) -> None:
        """Keep the load cache near the logs: rewrite it once enough lines were read past it."""
        fresh = len(self._fresh[False]) + len(self._fresh[True])
        if fresh < CACHE_MIN_LINES or os.environ.get("CTX_STATE_CACHE", "1") == "0":
            return
        if not self.layout.local.is_dir():
            return
        try:
            merged = {k: _merge([self._base[k], *self._fresh[k]]) for k in (False, True)}
            marks = {str(p.relative_to(self.layout.store)): m for p, m in self._marks.items()}
            crdt_log.write_cache(
                self.cache_file,
                Cached(marks, merged[False], merged[True], self._log_problems()),
                self._cache_key(),
            )
        except Exception:  # the cache is an optimisation: never fail a command over it
            return
        self._base = merged
        self._fresh = {False: [], True: []}

    def _log_problems(self) -> list[Problem]:
        """Bad log lines (cached with the state); refusals (line 0: links, bad names, files)
        are found again on every load, so they never outlive their cause."""
        return [p for p in self.problems if p.line > 0]

    def reload(self) -> None:
        """Forget what is loaded and read every log again, bypassing the load cache."""
        self._reset()
        for attempt in range(3):
            if self._refresh_logs() or attempt == 2:
                break
            self._reset()
        self._apply_pending()

    def drop_cache(self) -> None:
        """Forget the load cache (after rewriting a log, so no stale copy of it lingers)."""
        self.cache_file.unlink(missing_ok=True)

    def _display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    @property
    def shared(self) -> StateDoc:
        if self._shared is None:
            self.require_store()
            self.refresh()
        assert self._shared is not None
        return self._shared

    @property
    def private(self) -> StateDoc:
        self.shared  # noqa: B018 - loads both documents
        assert self._private is not None
        return self._private

    def docs(self) -> list[tuple[StateDoc, bool]]:
        return [(self.shared, False), (self.private, True)]

    # ---- writing -------------------------------------------------------------------------
    def mutate(self, private: bool, fn: Callable[[StateDoc], T]) -> T:
        """Lock, catch up with other writers, change, append the update to our own log.

        The change is journalled first (ctx/store/pending.py). When the lock stays busy past
        `CTX_LOCK_WAIT` seconds (a `ctx sync` is running) or git is mid-rebase/merge, it is
        not appended to a file git may be rewriting: it waits in the journal, is visible to
        every reader at once, and is appended when git is done. Either way it is kept."""
        self.require_store()
        with try_lock(self.layout.lock_file, wait=pending.lock_wait()) as locked:
            git_busy = pending.git_busy(self.root)
            # asked before the state is read again: what upper layers do after the write
            afters = after_write.before(self.root) if locked and not git_busy else []
            self.refresh()
            if locked and not git_busy:
                self._settle()
            # the private log is machine-local: git never rewrites it
            busy = ("a sync holds the write lock" if not locked else None) or (
                None if private else git_busy
            )
            doc = self.private if private else self.shared
            with doc.change() as out:
                result = fn(doc)
            update = out[0]
            self.queued = None
            if update and update != EMPTY_UPDATE:
                branch = pending.current_branch(self.root)
                entry = pending.queue(self.layout.local, update, private, branch)
                self._pending_seen.add(entry.name)
                path = self.layout.private_log if private else self.own_log

                def idle() -> bool:  # asked just before the write: the narrowest window
                    return private or pending.git_busy(self.root) is None

                if not busy and crdt_log.append_update(
                    path, update, self.replica, idle, private=private
                ):
                    if not private:
                        self._in_log.add(entry.name)
                    if not self._refresh_one(path, private):
                        self._reset()
                        self.refresh()
                    after_write.run(afters, self)
                    self._brief_soon()
                    self._why_soon()
                else:
                    self.queued = busy or pending.git_busy(self.root) or "git is busy"
        return result

    def applied_pending(self) -> set[str]:
        """The journal entries (file names) whose changes the documents hold."""
        return set(self._pending_seen)

    def _settle(self) -> int:
        """Append journalled changes the logs lack (the caller holds the lock, git is idle)."""
        return pending.settle(
            self.layout.local,
            self.own_log,
            self.layout.private_log,
            self.replica,
            pending.current_branch(self.root),
            lambda: pending.git_busy(self.root) is None,
            self._in_log,
        )

    def settle_pending(self) -> int:
        """Apply the journal now, if git is idle (after a sync, a pull, a rebase)."""
        if not self.exists:
            return 0
        with file_lock(self.layout.lock_file):
            if pending.git_busy(self.root):
                return 0
            n = self._settle()
            self.refresh()
            return n

    def _brief_soon(self) -> None:
        """After a write: when Claude Code's hook has a brief cached, rebuild it in the
        background (at most every few seconds per Project; see ctx/core/brief_cache.py)."""
        import time

        from ctx.core import brief_cache

        now = time.monotonic()
        if self.brief_refresh_off or now - self._brief_spawned_at < 2.0:
            return
        if os.path.exists(brief_cache.cache_path(self.root)):
            self._brief_spawned_at = now
            brief_cache.refresh_in_background(self.root, self.git.worktree)

    def _why_soon(self) -> None:
        """After a write: when `ctx why` was used here (its kept inputs exist), warm its caches
        in the background (ctx.codelinks.why_warm, started by name: the store never imports
        it); at most every few seconds per Project, and the warmer waits out a burst."""
        import time

        now = time.monotonic()
        if now - self._why_spawned_at < 2.0 or os.environ.get("CTX_WHY_WARM", "1") == "0":
            return
        if os.path.lexists(self.layout.local / "cache" / "why-inputs.json"):
            from ctx.core.brief_cache import spawn_detached

            self._why_spawned_at = now
            spawn_detached("ctx.codelinks.why_warm", [str(self.git.worktree)])

    def with_lock(self, fn: Callable[[], T]) -> T:
        with file_lock(self.layout.lock_file):
            return fn()

    # ---- helpers -------------------------------------------------------------------------
    def relative_cwd(self, cwd: Path | str | None) -> str | None:
        """Record the working directory relative to the project, so no home path is committed."""
        if cwd is None:
            return None
        p = Path(cwd).resolve()
        for base in (self.git.worktree, self.root):
            try:
                rel = p.relative_to(base)
                return "." if str(rel) == "." else str(rel)
            except ValueError:
                continue
        return str(p)

    def warnings(self) -> list[str]:
        return [str(p) for p in self.problems] + list(self.notices)
