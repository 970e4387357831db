"""ProjectBase: opening a project, loading and refreshing CRDT state, the write path."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ctx.config import Config, load_config, read_toml
from ctx.errors import CtxError
from ctx.gitinfo import GitContext, context
from ctx.ids import new_replica_id
from ctx.store import crdt_log
from ctx.store.crdt_log import Problem
from ctx.store.layout import FORMAT_VERSION, Layout
from ctx.store.locking import atomic_write, file_lock
from ctx.store.state import StateDoc

T = TypeVar("T")
EMPTY_UPDATE = b"\x00\x00"


class ProjectBase:
    """Owns the two CRDT documents (shared and private) and keeps them current."""

    def __init__(self, root: Path, git: GitContext) -> None:
        self.root = root
        self.git = git
        self.layout = Layout(root)
        self._config: Config | None = None
        self._shared: StateDoc | None = None
        self._private: StateDoc | None = None
        self._cursors: dict[Path, tuple[int, int]] = {}  # path -> (inode, offset)
        self._replica: str | None = None
        self.problems: list[Problem] = []

    # ---- opening -------------------------------------------------------------------------
    @property
    def store_dir(self) -> Path:
        return self.layout.store

    @property
    def exists(self) -> bool:
        return self.layout.config.exists()

    def require_store(self) -> None:
        if not self.exists:
            raise CtxError(
                f"no ctx store in {self.root}",
                "run `ctx init` in the repository first",
                code="no_store",
            )
        fmt = read_toml(self.layout.config).get("store", {}).get("format", 1)
        if not isinstance(fmt, int) or fmt > FORMAT_VERSION:
            raise CtxError(
                f"{self.layout.config} says store format {fmt}, "
                f"this ctx reads up to {FORMAT_VERSION}",
                "upgrade ctx (pip install -U contextfs-cli); nothing was changed",
                code="newer_format",
            )

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.layout.config if self.exists else None)
        return self._config

    def refresh_git(self) -> None:
        """Branch/HEAD may change while a long-lived process (MCP server, TUI) runs."""
        self.git = context(self.git.worktree)

    # ---- replica identity ----------------------------------------------------------------
    @property
    def replica(self) -> str:
        """This clone's id, kept in local/ (never committed). A store copied to another path
        gets a fresh id, so two copies never append to one log file."""
        if self._replica is None:
            path = self.layout.replica_file
            store = str(self.layout.store.resolve())
            try:
                data = json.loads(path.read_text())
                if data.get("store") == store and isinstance(data.get("id"), str):
                    self._replica = data["id"]
            except (OSError, ValueError, AttributeError):
                pass
            if self._replica is None:
                self._replica = new_replica_id()
                atomic_write(path, json.dumps({"id": self._replica, "store": store}).encode())
        return self._replica

    @property
    def own_log(self) -> Path:
        return self.layout.state_dir / f"{self.replica}.log"

    # ---- loading -------------------------------------------------------------------------
    def _log_files(self) -> list[tuple[Path, bool]]:
        files: list[tuple[Path, bool]] = []
        try:
            names = sorted(os.listdir(self.layout.state_dir))
        except FileNotFoundError:
            names = []
        files += [(self.layout.state_dir / n, False) for n in names if n.endswith(".log")]
        if self.layout.private_log.exists():
            files.append((self.layout.private_log, True))
        return files

    def _reset(self) -> None:
        self._shared = StateDoc()
        self._private = StateDoc()
        self._cursors = {}
        self.problems = []

    def refresh(self) -> None:
        """Apply whatever was appended to any log since the last look (cheap when nothing was).
        A log that shrank or was replaced (compaction, checkout) reloads everything."""
        if self._shared is None:
            self._reset()
        for path, private in self._log_files():
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            inode, offset = self._cursors.get(path, (st.st_ino, 0))
            if inode != st.st_ino or st.st_size < offset:
                self._reset()
                return self.refresh()
            if st.st_size == offset:
                continue
            chunk = crdt_log.read_from(path, offset, self._display(path))
            doc = self._private if private else self._shared
            assert doc is not None
            for i, upd in enumerate(chunk.updates):
                err = doc.apply(upd)
                if err:
                    self.problems.append(Problem(self._display(path), i + 1, err))
            self.problems.extend(chunk.problems)
            self._cursors[path] = (st.st_ino, chunk.end)
        if set(self._cursors) - {p for p, _ in self._log_files()}:
            # a log vanished (git checkout of an older commit): start over
            self._reset()
            self.refresh()

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
        """Lock, catch up with other writers, change, append the update to our own log."""
        self.require_store()
        with file_lock(self.layout.lock_file):
            self.refresh()
            doc = self.private if private else self.shared
            with doc.change() as out:
                result = fn(doc)
            update = out[0]
            if update != EMPTY_UPDATE:
                path = self.layout.private_log if private else self.own_log
                crdt_log.append_update(path, update, self.replica)
                st = path.stat()
                self._cursors[path] = (st.st_ino, st.st_size)
        return result

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
        return [str(p) for p in self.problems]
