"""What follows a pull, however it happened (`ctx sync`, or plain git with the hooks): report
edits the merge replaced, and remove files of sessions forgotten elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ctx.sync import conflicts, gitrun, own_log
from ctx.sync.changes import ChangeSummary
from ctx.sync.forgotten import purge_forgotten
from ctx.sync.own_log import ForeignLines

if TYPE_CHECKING:
    from ctx.store.project import Project


@dataclass
class AfterPull:
    lost: list[conflicts.LostEdit] = field(default_factory=list)
    arrived: ChangeSummary | None = None  # what the other side brought
    purged: list[str] = field(default_factory=list)
    foreign_own: ForeignLines | None = None  # lines the pull added to this clone's own log


def after_pull(project: Project, ours: str | None, theirs: str | None) -> AfterPull:
    """`ours`: our commit before the pull; `theirs`: the commit we merged or rebased onto."""
    result = AfterPull()
    root = project.root
    if ours and theirs and ours != theirs and not gitrun.is_ancestor(root, theirs, ours):
        base = gitrun.merge_base(root, ours, theirs)
        merge = conflicts.load_merge(project, base, ours, theirs)
        result.arrived = merge.theirs_changed
        label = f"{(base or '')[:12]}..{ours[:12]}+{theirs[:12]}"
        result.lost = conflicts.record(project, conflicts.lost_edits(merge, label))
    result.foreign_own = own_log.after_pull(project, ours, theirs)
    result.purged = purge_forgotten(project)
    return result
