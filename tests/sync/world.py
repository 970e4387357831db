"""A team of clones of one bare remote, driven in-process, with an oracle of every operation.

The oracle keeps, for each operation, what the acting clone had seen (its causal past): the
ops in its working tree. A field's final value must then be one of the writes that no other
write to that field had seen (the concurrent "frontier"); any other frontier write is an edit
lost to a concurrent edit, and must have been reported as such by some clone.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctx.core.errors import CtxError
from ctx.core.models import TranscriptHeader, TranscriptTurn
from ctx.store.project import Project
from ctx.sync import conflicts
from ctx.sync.after import after_pull
from tests.sync.conftest import Team, conflict_free, git, make_team

TAGS = ("a", "b", "c")


@dataclass
class Write:
    op: int
    clone: int
    value: Any
    deps: frozenset[int]


@dataclass
class Clone:
    i: int
    path: Path
    project: Project
    head_ops: set[int] = field(default_factory=set)
    wt_ops: set[int] = field(default_factory=set)
    imports: list[tuple[str, int, bool]] = field(default_factory=list)  # (ext id, turns, private)


def mem_view(p: Project, mid: str) -> dict[str, Any] | None:
    try:
        m = p.get_memory(mid)
    except CtxError:
        return None
    return {"content": m.content, "type": m.type, **{f"tag:{t}": True for t in m.tags}}


def ses_view(p: Project, sid: str) -> dict[str, Any] | None:
    try:
        s = p.get_session(sid, with_turns=False)
    except CtxError:
        return None
    return {"title": s.title, **{f"tag:{t}": True for t in s.tags}}


def turns(n: int, tag: str) -> list[TranscriptTurn]:
    return [
        TranscriptTurn(
            role="user" if k % 2 == 0 else "assistant", text=f"{tag} turn {k}", id=f"{tag}-{k}"
        )
        for k in range(n)
    ]


class World:
    def __init__(self, base: Path, n: int = 3) -> None:
        self.team: Team = make_team(base)
        self.clones: list[Clone] = []
        for i in range(n):
            path = self.team.clone(f"c{i}")
            self.clones.append(Clone(i, path, Project.open(path)))
        self.remote_ops: set[int] = set()
        self.counter = 0
        self.writes: dict[tuple[str, str, str], list[Write]] = {}
        self.added: dict[tuple[str, str], int] = {}
        self.removes: dict[tuple[str, str], list[Write]] = {}
        self.private: set[str] = set()
        self.private_markers: list[str] = []
        self.pulls = 0

    # ---- operations ------------------------------------------------------------------------
    def _op(self, c: Clone, shared: bool = True) -> tuple[int, frozenset[int]]:
        """A new operation and its causal past; private ones never travel, so never count."""
        self.counter += 1
        deps = frozenset(c.wt_ops)
        if shared:
            c.wt_ops.add(self.counter)
        return self.counter, deps

    def _record(
        self,
        kind: str,
        rid: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        op: int,
        c: Clone,
        deps: frozenset[int],
    ) -> None:
        if rid in self.private:
            return
        b, a = before or {}, after or {}
        for key in set(b) | set(a):
            if b.get(key) != a.get(key):
                self.writes.setdefault((kind, rid, key), []).append(
                    Write(op, c.i, a.get(key), deps)
                )

    def add_memory(self, c: Clone, mtype: str, tags: list[str], private: bool) -> None:
        p = c.project
        p.refresh()
        op, deps = self._op(c, shared=not private)
        text = f"{'PRIVATE-' if private else ''}memory {op} by c{c.i}"
        m = p.add_memory(text, mtype, tags, private=private)
        if private:
            self.private.add(m.id)
            self.private_markers.append(text)
            return
        self.added[("memory", m.id)] = op
        self._record("memory", m.id, None, mem_view(p, m.id), op, c, deps)

    def shared_memories(self, c: Clone) -> list[str]:
        c.project.refresh()
        return sorted(m.id for m in c.project.list_memories() if not m.private)

    def edit_memory(self, c: Clone, mid: str, **kw: Any) -> None:
        p = c.project
        p.refresh()
        before = mem_view(p, mid)
        if before is None:
            return
        op, deps = self._op(c)
        if "content" in kw:
            kw["content"] = f"edit {op} by c{c.i}"
        p.edit_memory(mid, **kw)
        self._record("memory", mid, before, mem_view(p, mid), op, c, deps)

    def remove_memory(self, c: Clone, mid: str, forget: bool) -> None:
        p = c.project
        p.refresh()
        if mem_view(p, mid) is None:
            return
        op, deps = self._op(c)
        if forget:
            p.forget(mid)
        else:
            p.remove_memory(mid)
        self.removes.setdefault(("memory", mid), []).append(Write(op, c.i, None, deps))

    def capture(self, c: Clone, n: int) -> None:
        p = c.project
        p.refresh()
        op, deps = self._op(c)
        s = p.start_session("manual", make_current=False)
        for t in turns(n, f"cap{op}"):
            p.append_turn(t.text, t.role, session_id=s.id)
        p.complete_session(s.id)
        self.added[("session", s.id)] = op
        self._record("session", s.id, None, ses_view(p, s.id), op, c, deps)

    def import_new(self, c: Clone, n: int, private: bool) -> None:
        p = c.project
        p.refresh()
        op, deps = self._op(c, shared=not private)
        ext = f"ext-{op}"
        tag = f"{'PRIVATE-' if private else ''}imp{op}"
        res = p.import_session(
            TranscriptHeader(tool="jsonl", external_id=ext), turns(n, tag), private=private
        )
        assert res.session is not None
        c.imports.append((ext, n, private))
        if private:
            self.private.add(res.session.id)
            self.private_markers.append(f"{tag} turn 0")
            return
        self.added[("session", res.session.id)] = op
        self._record("session", res.session.id, None, ses_view(p, res.session.id), op, c, deps)

    def import_more(self, c: Clone, k: int, extra: int) -> None:
        """A resumed conversation: the same transcript, longer (a new part file)."""
        if not c.imports:
            return
        ext, n, private = c.imports[k % len(c.imports)]
        p = c.project
        p.refresh()
        self._op(c, shared=not private)
        tag = f"{'PRIVATE-' if private else ''}imp{ext[4:]}"
        p.import_session(
            TranscriptHeader(tool="jsonl", external_id=ext), turns(n + extra, tag), private=private
        )
        c.imports[k % len(c.imports)] = (ext, n + extra, private)

    def shared_sessions(self, c: Clone) -> list[str]:
        c.project.refresh()
        return sorted(s.id for s in c.project.list_sessions(include_open=False) if not s.private)

    def edit_session(
        self, c: Clone, sid: str, *, title: bool, add: list[str], remove: list[str]
    ) -> None:
        p = c.project
        p.refresh()
        before = ses_view(p, sid)
        if before is None:
            return
        op, deps = self._op(c)
        p.edit_session(
            sid, title=f"title {op} by c{c.i}" if title else None, add_tags=add, remove_tags=remove
        )
        self._record("session", sid, before, ses_view(p, sid), op, c, deps)

    def forget_session(self, c: Clone, sid: str) -> None:
        p = c.project
        p.refresh()
        if ses_view(p, sid) is None:
            return
        op, deps = self._op(c)
        p.forget(sid)
        self.removes.setdefault(("session", sid), []).append(Write(op, c.i, None, deps))

    def gc(self, c: Clone) -> None:
        from ctx.sync.gc import gc

        p = c.project
        p.refresh()
        before = export(p, include_private=True)
        gc(p)
        p.refresh()
        assert export(p, include_private=True) == before, "ctx gc changed the state"

    # ---- git ---------------------------------------------------------------------------------
    def commit(self, c: Clone) -> None:
        git(c.path, "add", "-A", ".contextfs")
        if git(c.path, "diff", "--cached", "--quiet", check=False).returncode:
            git(c.path, "commit", "-q", "-m", "ctx: update")
        c.head_ops = set(c.wt_ops)

    def pull(self, c: Clone, rebase: bool) -> None:
        if rebase:
            self.commit(c)
        before = git(c.path, "rev-parse", "HEAD").stdout.strip()
        git(c.path, "fetch", "-q", "origin")
        theirs = git(c.path, "rev-parse", "origin/main").stdout.strip()
        arrived = set(self.remote_ops)
        args = ["pull", "-q", "--rebase"] if rebase else ["pull", "-q", "--no-rebase", "--no-edit"]
        proc = git(c.path, *args, check=False)
        assert proc.returncode == 0, (
            f"git {' '.join(args)} in c{c.i} failed:\n{proc.stdout}{proc.stderr}"
        )
        conflict_free(c.path)
        c.head_ops |= arrived
        c.wt_ops |= arrived
        self.pulls += 1
        # what the installed post-merge / post-rewrite hook does (in-process here, for speed)
        after_pull(c.project, before, theirs)

    def push(self, c: Clone) -> bool:
        before = self.remote_head()
        proc = git(c.path, "push", "-q", "origin", "HEAD:main", check=False)
        if proc.returncode != 0:
            assert "rejected" in proc.stderr or "fetch first" in proc.stderr, proc.stderr
            return False
        if self.remote_head() == before:
            # "Everything up-to-date": the remote holds what it held. This clone may count
            # operations that changed no file (re-importing a session forgotten meanwhile);
            # they did not travel, so the remote's operations stay as they were.
            return True
        assert c.head_ops >= self.remote_ops, (c.i, c.head_ops, c.wt_ops, self.remote_ops)
        self.remote_ops = set(c.head_ops)
        return True

    def remote_head(self) -> str:
        proc = git(self.team.remote, "rev-parse", "--verify", "-q", "main", check=False)
        return proc.stdout.strip()

    def ctx_sync(self, c: Clone, rebase: bool) -> None:
        """`ctx sync` (in-process): commit the store, fetch, merge or rebase, push."""
        from ctx.sync.sync import sync

        arrived = set(self.remote_ops)
        result = sync(c.project, rebase=rebase)
        conflict_free(c.path)
        c.wt_ops |= arrived
        c.head_ops = set(c.wt_ops)
        if result.pulled:
            self.pulls += 1
        if result.pushed:
            assert c.head_ops >= self.remote_ops
            self.remote_ops = set(c.head_ops)

    def full_sync(self, rebase: list[bool]) -> None:
        """Everyone commits, pulls and pushes until all clones hold the same commit."""
        remote_head = ""
        for attempt in range(6):
            for c in self.clones:
                self.commit(c)
                self.pull(c, rebase[(c.i + attempt) % len(rebase)])
                self.commit(c)  # files of forgotten sessions the pull made us drop
                self.push(c)
            remote_head = self.remote_head()
            heads = {git(c.path, "rev-parse", "HEAD").stdout.strip() for c in self.clones}
            dirty = [
                c.i
                for c in self.clones
                if git(c.path, "status", "--porcelain", ".contextfs").stdout
            ]
            if heads == {remote_head} and not dirty:
                return
        raise AssertionError(f"no convergence after 6 passes (heads {heads}, dirty {dirty})")

    # ---- checks ------------------------------------------------------------------------------
    def check(self) -> None:
        exports = []
        for c in self.clones:
            conflict_free(c.path)
            c.project.refresh()
            assert not c.project.problems, c.project.problems
            exports.append(export(c.project))
        assert all(e == exports[0] for e in exports), "clones differ after a full sync"
        self.check_oracle(self.clones[0].project)

    def check_oracle(self, p: Project) -> None:
        reported: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for c in self.clones:
            for e in conflicts.read(c.project):
                reported.setdefault((str(e["id"]), str(e["field"])), []).append(e)
        for (kind, rid), _op in self.added.items():
            view = mem_view(p, rid) if kind == "memory" else ses_view(p, rid)
            removed = self.removes.get((kind, rid), [])
            if removed:
                assert view is None, f"{kind} {rid} was removed but is still there"
                for key in ("content", "type", "title", *(f"tag:{t}" for t in TAGS)):
                    for w in self.writes.get((kind, rid, key), []):
                        if not any(w.op in r.deps for r in removed) and w.op not in {
                            self.added[(kind, rid)]
                        }:
                            assert reported.get((rid, "*")) or any(k[0] == rid for k in reported), (
                                f"{kind} {rid}: edit {w.op} lost to a concurrent removal, silently"
                            )
                continue
            assert view is not None, f"{kind} {rid} vanished without a removal"
            keys = {k[2] for k in self.writes if k[0] == kind and k[1] == rid} | set(view)
            for key in keys:
                ws = self.writes.get((kind, rid, key), [])
                final = view.get(key)
                if not ws:
                    continue
                frontier = [w for w in ws if not any(w.op in x.deps for x in ws if x is not w)]
                values = [w.value for w in frontier]
                assert final in values, (
                    f"{kind} {rid} {key} = {final!r}: not one of the concurrent writes {values!r}"
                )
                for w in frontier:
                    if w.value != final:
                        assert (rid, key) in reported, (
                            f"{kind} {rid} {key}: write {w.value!r} (op {w.op}, c{w.clone}) "
                            f"lost to {final!r} without a report"
                        )

    def check_private(self) -> None:
        corpus = remote_corpus(self.team.remote)
        for marker in self.private_markers:
            assert marker.encode() not in corpus, f"private data reached the remote: {marker}"


def export(p: Project, include_private: bool = False) -> str:
    buf = io.StringIO()
    p.export(buf, include_private=include_private)
    return buf.getvalue()


_LOG_LINE = re.compile(rb"^[0-9a-f]{8} ([A-Za-z0-9+/=]+)$", re.M)


def remote_corpus(remote: Path) -> bytes:
    """Every object in a bare repository, with CRDT log lines decoded (base64 hides text)."""
    data = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=remote,
        capture_output=True,
        check=True,
    ).stdout
    extra = []
    for m in _LOG_LINE.finditer(data):
        try:
            extra.append(base64.b64decode(m.group(1)))
        except binascii.Error:
            pass
    return data + b"\n".join(extra)
