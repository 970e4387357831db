"""Project: the facade that every adapter (CLI, MCP server, TUI, hooks) calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ctx.core.errors import CtxError
from ctx.core.gitinfo import context
from ctx.core.ids import MEMORY_PREFIX, SESSION_PREFIX, is_memory_id, is_session_id
from ctx.core.models import ImportResult, TranscriptHeader, TranscriptTurn
from ctx.store import confine, registry
from ctx.store.layout import (
    CONFIG_TEMPLATE,
    FORMAT_VERSION,
    GITIGNORE,
    ignore_gaps,
    mended_gitignore,
)
from ctx.store.memories import MemoryOps
from ctx.store.problems import Problem
from ctx.store.sessions import SessionOps

EXPORT_VERSION = 1


@dataclass
class InitResult:
    root: Path
    store: Path
    created: list[str] = field(default_factory=list)  # files created (empty: already initialised)
    mended: list[str] = field(default_factory=list)  # files put back as ctx needs them


@dataclass
class Forgotten:
    kind: str  # memory | session
    id: str
    note: str


class Project(MemoryOps, SessionOps):
    @classmethod
    def open(cls, path: str | Path | None = None, *, require_store: bool = True) -> Project:
        git = context(Path(path) if path else None)
        project = cls(git.root, git)
        if require_store:
            project.require_store()
        if require_store or project.exists:
            # every store ctx has opened is searchable with `ctx search --all` (a teammate who
            # cloned the repository never ran `ctx init`)
            try:
                registry.register(project.root)
            except OSError:
                pass  # a read-only data directory must not stop the command
        return project

    # ---- init ----------------------------------------------------------------------------
    def init(self) -> InitResult:
        lay = self.layout
        result = InitResult(self.root, lay.store)
        confine.check_structure(self.root, lay.store)  # a linked store or folder: refused
        lay.store.mkdir(exist_ok=True)
        if not lay.config.exists():
            lay.config.write_text(CONFIG_TEMPLATE.format(format=FORMAT_VERSION))
            result.created.append(str(lay.config.relative_to(self.root)))
        else:
            self.require_store()  # refuses a newer format
        if not lay.gitignore.exists():
            lay.gitignore.write_text(GITIGNORE)
            result.created.append(str(lay.gitignore.relative_to(self.root)))
        elif not lay.gitignore.is_symlink():
            text = lay.gitignore.read_text(encoding="utf-8", errors="replace")
            if ignore_gaps(text):  # a commit changed what keeps local files out: put it back
                lay.gitignore.write_text(mended_gitignore(text), encoding="utf-8")
                result.mended.append(str(lay.gitignore.relative_to(self.root)))
        for d in (lay.state_dir, lay.sessions_dir):
            d.mkdir(exist_ok=True)
            keep = d / ".gitkeep"
            if not keep.exists():
                keep.write_text("")
                result.created.append(str(keep.relative_to(self.root)))
        confine.private_dirs(lay.local)
        from ctx.store.attributes import ensure_gitattributes

        if ensure_gitattributes(lay.store):
            result.created.append(".contextfs/.gitattributes")
        self._config = None
        registry.register(self.root)
        return result

    # ---- forget ----------------------------------------------------------------------------
    def forget(self, ident: str) -> Forgotten:
        note = (
            "removed from the working tree and marked forgotten for every clone; it is still in "
            "git history until you rewrite it (e.g. git filter-repo)"
        )
        if ident.startswith(SESSION_PREFIX):
            return Forgotten("session", self.forget_session(ident).id, note)
        if ident.startswith(MEMORY_PREFIX):
            return Forgotten("memory", self.remove_memory(ident, forget=True).id, note)
        try:
            return Forgotten("memory", self.remove_memory(ident, forget=True).id, note)
        except CtxError as exc:
            if exc.code != "not_found":
                raise
        try:
            return Forgotten("session", self.forget_session(ident).id, note)
        except CtxError as exc:
            if exc.code != "not_found":
                raise
        raise CtxError(
            f"no memory or session matches '{ident}'",
            "list them with `ctx memory list` or `ctx sessions list`",
            code="not_found",
        )

    # ---- export / import of everything -----------------------------------------------------
    def export_records(self, *, include_private: bool = False) -> Iterator[dict[str, Any]]:
        yield {"kind": "ctx-export", "version": EXPORT_VERSION, "format": FORMAT_VERSION}
        for m in sorted(self.list_memories(include_private=include_private), key=lambda m: m.id):
            yield m.to_dict()
        for s in sorted(self.list_sessions(include_open=False), key=lambda s: s.id):
            if s.private and not include_private:
                continue
            try:
                full = self.get_session(s.id)
            except CtxError as exc:  # written by a newer ctx: never re-labelled as ours
                if exc.code != "newer_format":
                    raise
                path, _, why = exc.message.partition(": ")
                self.problems.append(Problem(path, 1, f"{why}; session not exported"))
                continue
            rec = full.to_dict(with_turns=False)
            yield rec
            for t in full.turns or []:
                yield {"kind": "turn", "session_id": s.id, **t.to_dict()}

    def export(self, fp: IO[str], *, include_private: bool = False) -> int:
        n = 0
        for rec in self.export_records(include_private=include_private):
            fp.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
        return n

    def import_transcript(
        self,
        header: TranscriptHeader,
        turns: list[TranscriptTurn],
        *,
        source_key: str,
        private: bool = False,
    ) -> ImportResult:
        """Import with an id from the header's external id, or else from `source_key`."""
        from ctx.core.ids import derived_id

        sid = (
            derived_id(SESSION_PREFIX, header.tool, str(header.external_id))
            if header.external_id
            else derived_id(SESSION_PREFIX, header.tool, source_key)
        )
        return self.import_session(header, turns, private=private, session_id=sid)

    # ---- status ----------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        mems = sum(len(doc.memory_ids()) for doc, _ in self.docs())
        ids = self._all_ids()
        return {
            "memories": mems,
            "sessions": sum(1 for w in ids.values() if w != "open"),
            "open_sessions": sum(1 for w in ids.values() if w == "open"),
            "private_memories": len(self.private.memory_ids()),
        }

    def uncommitted(self, started: Any = None) -> list[str]:
        """Files under .contextfs/ that git would commit but has not (new, modified, deleted).

        Asked of git itself, for the store's folder only (`git status -- .contextfs/`): git's
        index and untracked caches make it a few milliseconds, where libgit2's status walked the
        whole working tree (0.07 s in a small repository) after importing pygit2 (0.05 s).
        `started`: what :meth:`start_uncommitted` returned (git ran meanwhile)."""
        import os
        import subprocess

        prefix = self._store_prefix()
        proc = started if started is not None else self.start_uncommitted()
        if proc is None:
            return self._uncommitted_pygit2(prefix)
        try:
            out, _err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return self._uncommitted_pygit2(prefix)
        if proc.returncode != 0:
            return self._uncommitted_pygit2(prefix)
        found = {os.fsdecode(e[3:]) for e in out.split(b"\0") if len(e) > 3}
        return sorted(p for p in found if p.startswith(prefix))

    def start_uncommitted(self) -> Any:
        """Start the `git status` of :meth:`uncommitted` (a Popen; None when git cannot be
        started), so it runs on another core while this process does the rest."""
        import subprocess

        argv = ["git", "--no-optional-locks", "status", "--porcelain=v1", "-z", "--no-renames"]
        try:
            return subprocess.Popen(
                [*argv, "--untracked-files=all", "--", self._store_prefix()],
                cwd=self.git.worktree,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError:
            return None

    def _store_prefix(self) -> str:
        return str(self.layout.store.relative_to(self.root)) + "/"

    def _uncommitted_pygit2(self, prefix: str) -> list[str]:
        """The same through libgit2, where git itself could not answer."""
        import pygit2

        repo = pygit2.Repository(str(self.git.worktree))
        out = []
        for path, flags in repo.status().items():
            if path.startswith(prefix) and flags != pygit2.GIT_STATUS_IGNORED:
                out.append(path)
        return sorted(out)


def _valid_record_id(kind: str, value: object) -> bool:
    return is_memory_id(value) if kind == "memory" else is_session_id(value)
