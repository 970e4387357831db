"""`ctx gc`: shrink this clone's own CRDT log without ever causing a conflict elsewhere.

A clone rewrites only its OWN log file, which no other clone ever writes, so the rewrite is
an ordinary one-sided change for git. The new log is one update: everything this log
contributes that the other logs do not already hold, encoded from the fully merged document,
in which deleted content (edited-over values, removed and forgotten records) has been
garbage-collected by the CRDT. So content that was forgotten disappears from this clone's
log (other clones' logs lose their copies when they run `ctx gc`; git history keeps
everything until history is rewritten). The result is checked before it replaces the log:
the other logs plus the new one must give exactly the same state; if not (e.g. some update
is waiting for one that is missing here), the log is only merged losslessly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pycrdt import Decoder, get_state, merge_updates

from ctx.core.errors import CtxError
from ctx.store import confine, crdt_log, pending
from ctx.store.state import StateDoc
from ctx.sync import history

if TYPE_CHECKING:
    from ctx.store.project import Project

EMPTY = b"\x00\x00"


@dataclass
class LogGc:
    path: str
    bytes_before: int
    bytes_after: int
    lines_before: int
    lines_after: int
    method: str  # compacted | merged | unchanged


@dataclass
class GcResult:
    logs: list[LogGc] = field(default_factory=list)
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "logs": [asdict(x) for x in self.logs],
            "dry_run": self.dry_run,
            "notes": self.notes,
        }


def _merge(updates: list[bytes]) -> bytes:
    if not updates:
        return EMPTY
    return updates[0] if len(updates) == 1 else bytes(merge_updates(*updates))


def state_vector(sv: bytes) -> dict[int, int]:
    """Decode a Yjs state vector (varuint count, then client/clock pairs)."""
    dec = Decoder(sv)
    return {dec.read_var_uint(): dec.read_var_uint() for _ in range(dec.read_var_uint())}


def _coverage(updates: list[bytes]) -> dict[int, int]:
    """What a set of updates holds, pending parts included (merging is lossless)."""
    return state_vector(get_state(_merge(updates))) if updates else {}


def _plain(doc: StateDoc) -> Any:
    return (doc.memories.to_py(), doc.sessions.to_py(), doc.forgotten.to_py())


def _doc(*groups: list[bytes]) -> StateDoc:
    doc = StateDoc()
    for group in groups:
        for upd in group:
            doc.apply(upd)
    return doc


def compact_updates(own: list[bytes], others: list[bytes]) -> tuple[bytes, str]:
    """One update that can replace `own` next to `others`, and how it was made."""
    full = _doc(others, own)
    covered = _merge(others) if others else None
    snapshot = full.doc.get_update(get_state(covered) if covered else b"\x00")
    check = _doc(others, [snapshot])
    same = (
        state_vector(check.doc.get_state()) == state_vector(full.doc.get_state())
        and _coverage([*others, snapshot]) == _coverage([*others, *own])
        and _plain(check) == _plain(full)
    )
    if same:
        return bytes(snapshot), "compacted"
    return _merge(own), "merged"  # lossless; deleted content stays until it can be dropped


def _lines(data: bytes) -> int:
    return sum(1 for line in data.splitlines() if line and not line.startswith(b"#"))


def _gc_log(
    project: Project, path: Path, own: list[bytes], others: list[bytes], dry: bool
) -> LogGc:
    before = confine.read_bytes(path)
    display = str(path.relative_to(project.root))
    if not own:
        return LogGc(display, len(before), len(before), _lines(before), _lines(before), "unchanged")
    update, method = compact_updates(own, others)
    after = crdt_log.header_line(project.replica) + crdt_log.encode_line(update)
    if len(after) >= len(before) and _lines(before) <= 1:
        return LogGc(display, len(before), len(before), _lines(before), _lines(before), "unchanged")
    if not dry:
        private = path == project.layout.private_log
        crdt_log.rewrite_log(path, [update], project.replica, private=private)
    return LogGc(display, len(before), len(after), _lines(before), 1, method)


def gc(project: Project, *, dry_run: bool = False, force: bool = False) -> GcResult:
    """Rewrite this clone's shared log (and its private log) as one compact update each."""
    project.require_store()
    result = GcResult(dry_run=dry_run)

    def work() -> None:
        if not dry_run and pending.git_busy(project.root):
            raise CtxError(
                f"git is in the middle of a {pending.git_busy(project.root)}",
                "finish it first; `ctx gc` rewrites a log git may be rewriting too",
                code="git_busy",
            )
        if not dry_run:
            project.settle_pending()  # queued changes go into the compacted log
        project.reload()  # from the logs themselves, not the cache
        if project.problems and not force:
            raise CtxError(
                f"the store has {len(project.problems)} unreadable record(s), "
                f"e.g. {project.problems[0]}",
                "compaction would drop them for good; fix them, or run `ctx gc --force`",
                code="store_damaged",
            )
        from ctx.sync.own_log import still_there

        foreign = still_there(project)
        if foreign is not None and not force:
            raise CtxError(
                f"not compacting: {len(foreign.digests)} line(s) of this clone's log {foreign.log} "
                f"came with a pull (up to {foreign.commit[:10]}), written by someone else as you",
                f"see what they do with {foreign.review} and `ctx forget` what is not yours, "
                "then `ctx gc --force`",
                code="written_as_you",
            )
        logs = history.logs_in_worktree(project)
        own_name = project.own_log.name
        own = history.updates({own_name: logs[own_name]}) if own_name in logs else []
        others = history.updates({k: v for k, v in logs.items() if k != own_name})
        if own_name in logs:
            result.logs.append(_gc_log(project, project.own_log, own, others, dry_run))
        else:
            result.notes.append("this clone has not written anything yet: nothing to compact")
        private = project.layout.private_log
        if private.exists():
            mine = crdt_log.parse(confine.read_bytes(private), 0, str(private)).updates
            result.logs.append(_gc_log(project, private, mine, [], dry_run))
        if not dry_run:
            pending.clear(project.layout.local)  # the rewritten logs hold every change
            project.drop_cache()
            project.reload()

    project.with_lock(work)
    if not dry_run and any(x.method != "unchanged" for x in result.logs):
        result.notes.append(
            "commit the rewritten log (`ctx sync`); other clones reload it on their next pull"
        )
    return result
