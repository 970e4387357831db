"""Lost edits: what a merge replaced, told to the user instead of dropped silently.

The CRDT merges without conflicts, but when both sides changed the same field of the same
record, one value wins (the same in every clone) and the other is replaced; when one side
removed a record the other edited, the removal wins. After a merge (ctx sync, or the git
hooks after `git pull`), the three states base / ours / theirs are compared for the records
both sides touched, and every replaced value is reported and kept in
`.contextfs/local/sync/lost-edits.jsonl` so it can be restored by hand.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ctx.core.timeutil import now_iso
from ctx.store.state import StateDoc
from ctx.sync import history
from ctx.sync.changes import ChangeSummary, summarize
from ctx.sync.records import lost_edits_path, read_lost_edits

if TYPE_CHECKING:
    from ctx.store.project import Project

EDITABLE = {"memory": ("content", "type"), "session": ("title",)}


@dataclass
class LostEdit:
    kind: str  # memory | session
    id: str
    field: str  # content, type, title, tag:<name>, or * for a whole record's edits
    kept: Any  # the value every clone has now (None: absent / removed)
    lost: Any  # the value that was replaced
    side: str  # here: this clone's change was replaced; there: the other side's was
    reason: str  # "concurrent edit" | "removed concurrently"
    merge: str = ""  # base..ours+theirs commits, to tell merges apart
    at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        who = "your" if self.side == "here" else "their"
        if self.field == "*":
            return f"{self.kind} {self.id}: {who} edit was dropped: it was removed concurrently"
        return (
            f"{self.kind} {self.id} {self.field}: {who} value {_short(self.lost)} was replaced by "
            f"{_short(self.kept)} (edited on both sides at once)"
        )


def _short(v: Any) -> str:
    if v is None:
        return "(absent)"
    if v is True:
        return "(present)"
    text = " ".join(str(v).split())
    return repr(text if len(text) <= 60 else text[:59] + "…")


@dataclass
class Merge:
    """The two sides of a merge as CRDT states, and what each side changed since the base."""

    base: StateDoc
    ours: StateDoc
    theirs: StateDoc
    merged: StateDoc
    ours_changed: ChangeSummary
    theirs_changed: ChangeSummary


def load_merge(project: Project, base: str | None, ours: str, theirs: str) -> Merge:
    repo = history.repo_of(project)
    base_logs = history.logs_at(project, base, repo)
    our_logs = history.with_worktree_own(project, history.logs_at(project, ours, repo))
    their_logs = history.logs_at(project, theirs, repo)
    base_doc = history.doc_of(base_logs)
    our_doc = history.copy_doc(base_doc)
    ours_changed = summarize(our_doc, history.new_updates(base_logs, our_logs))
    their_new = history.new_updates(base_logs, their_logs)
    their_doc = history.copy_doc(base_doc)
    theirs_changed = summarize(their_doc, their_new)
    merged = history.copy_doc(our_doc)
    for upd in their_new:
        merged.apply(upd)
    return Merge(base_doc, our_doc, their_doc, merged, ours_changed, theirs_changed)


def _ids(summary: ChangeSummary, kind: str) -> set[str]:
    k = summary.memories if kind == "memory" else summary.sessions
    return set(k.added) | set(k.edited) | set(k.removed)


def lost_edits(m: Merge, label: str = "") -> list[LostEdit]:
    out: list[LostEdit] = []
    for kind in ("memory", "session"):
        both = _ids(m.ours_changed, kind) & _ids(m.theirs_changed, kind)
        for rid in sorted(both):
            get = (
                (lambda d, r=rid: d.memory(r))
                if kind == "memory"
                else (lambda d, r=rid: d.session(r))
            )
            out.extend(_compare(kind, rid, get(m.base), get(m.ours), get(m.theirs), get(m.merged)))
    for e in out:
        e.merge = label
    return out


def _compare(
    kind: str,
    rid: str,
    b: dict[str, Any] | None,
    ours: dict[str, Any] | None,
    theirs: dict[str, Any] | None,
    m: dict[str, Any] | None,
) -> list[LostEdit]:
    if ours is None and theirs is None:
        return []
    if ours is None or theirs is None:
        # removed on one side; if the other side changed it (or, with no base, created it too:
        # the same transcript imported in both clones has one id) and it did not survive the
        # merge, that change was lost to the removal
        edited, side = (theirs, "there") if ours is None else (ours, "here")
        if m is not None and b is None:
            return []  # the other side's own creation survived: nothing lost
        if edited is not None and _view(kind, edited) != _view(kind, b):
            return [
                LostEdit(kind, rid, "*", None, _view(kind, edited), side, "removed concurrently")
            ]
        return []
    if m is None:
        return []
    out: list[LostEdit] = []
    bv, ov, tv, mv = (_view(kind, x) for x in (b, ours, theirs, m))
    for key in sorted(set(bv) | set(ov) | set(tv) | set(mv)):
        was, o, t, now = bv.get(key), ov.get(key), tv.get(key), mv.get(key)
        if o == was and t == was:
            continue
        if o != was and t != was and o != t:
            side = "here" if now != o else "there"
            out.append(
                LostEdit(kind, rid, key, now, o if side == "here" else t, side, "concurrent edit")
            )
        else:
            expected, side = (o, "here") if o != was else (t, "there")
            if now != expected:  # a one-sided change that did not survive the merge
                out.append(LostEdit(kind, rid, key, now, expected, side, "concurrent edit"))
    return out


def _view(kind: str, rec: dict[str, Any] | None) -> dict[str, Any]:
    """The user-editable part of a record, tags as one key each."""
    if rec is None:
        return {}
    view = {k: rec.get(k) for k in EDITABLE[kind]}
    view.update({f"tag:{t}": True for t in rec.get("tags") or []})
    return view


# ---- the local record of lost edits ----------------------------------------------------------


log_path = lost_edits_path
read = read_lost_edits


def record(project: Project, edits: list[LostEdit]) -> list[LostEdit]:
    """Append to the local record; a merge already recorded (hook and ctx sync) is not again."""
    if not edits:
        return []
    path = log_path(project)
    seen = {(e.get("merge"), e.get("id"), e.get("field")) for e in read(project)}
    fresh = [e for e in edits if (e.merge, e.id, e.field) not in seen]
    if fresh:
        from ctx.store import confine

        confine.private_dirs(path.parent)
        stamp = now_iso()
        for e in fresh:
            e.at = e.at or stamp
        data = "".join(
            json.dumps(e.to_dict(), ensure_ascii=False, default=str) + "\n" for e in fresh
        )
        fd = confine.open_append(path, private=True)
        try:
            os.write(fd, data.encode("utf-8"))  # one write: a reader sees all lines or none
        finally:
            os.close(fd)
    return fresh
