"""Lines a pulled commit added to this clone's own state log.

Only this clone writes `state/<its replica>.log`; every other clone has a log of its own.
A commit can still append to it (the file is shared like any other), and from then on the
lines read as this clone's: `ctx log` and `ctx diff` name its replica, and `ctx gc` would
compact them into one update written here, as this user. So after every pull (`ctx sync`, or
plain git with the hooks), the lines of the merged-in commit's copy of the own log that our
own copy before the pull lacked (nor had the two sides' common ancestor: this clone may have
compacted its log since) are taken as someone else's: recorded (their digests, in
`local/sync/foreign-own.jsonl`), named by `ctx sync`, `ctx status` and the after-merge hook,
and `ctx gc` refuses to compact while any of them is still in the log, until the user has
looked (`ctx gc --force`). A revert would not do: a record this clone has seen and no log holds
any more is restored into the own log ("reverts never delete", docs/sharing.md); `ctx forget`
is the way to drop what is not the user's.

(A false alarm needs a pull of one's own pushed commits after resetting them away locally.)
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ctx.sync import gitrun

if TYPE_CHECKING:
    from ctx.store.project import Project

RECORD = "foreign-own.jsonl"


@dataclass
class ForeignLines:
    log: str  # the own log's path, relative to the project root
    digests: list[str]
    commit: str  # the commit merged in that holds them
    since: str = ""  # our commit before that pull

    def __str__(self) -> str:
        return (
            f"{len(self.digests)} line(s) in this clone's own log {self.log} came with a pull "
            f"(up to {self.commit[:10]}): someone else wrote them as you; see what they do with "
            f"{self.review}, `ctx forget` what is not yours; `ctx gc` keeps them out of your "
            "compacted history until you run `ctx gc --force`"
        )

    @property
    def review(self) -> str:
        return f"`ctx diff {self.since[:10]}..{self.commit[:10]}`" if self.since else "`ctx diff`"


def _digest(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8", "surrogateescape")).hexdigest()


def _lines_at(project: Project, rev: str, rel: str) -> list[str] | None:
    proc = gitrun.run(project.root, "show", f"{rev}:{rel}", check=False)
    return proc.stdout.splitlines() if proc.returncode == 0 else None


def after_pull(project: Project, ours: str | None, theirs: str | None) -> ForeignLines | None:
    """Check the commit merged in (`theirs`) against our own before the pull (`ours`); record
    and return what it added to the own log, or None."""
    if not ours or not theirs or ours == theirs:
        return None
    rel = project.own_log.relative_to(project.root).as_posix()
    arrived = _lines_at(project, theirs, rel)
    if not arrived:
        return None
    mine = set(_lines_at(project, ours, rel) or [])
    base = gitrun.merge_base(project.root, ours, theirs)
    if base and base != ours:  # lines both sides had (ours compacted since: `ctx gc`)
        mine.update(_lines_at(project, base, rel) or [])
    added = [x for x in arrived if x and not x.startswith("#") and x not in mine]
    if not added:
        return None
    found = ForeignLines(rel, [_digest(x) for x in added], theirs, ours)
    _record(project, found)
    return found


def _path(project: Project) -> Path:
    return project.layout.local / "sync" / RECORD


def _record(project: Project, found: ForeignLines) -> None:
    from ctx.core.timeutil import now_iso
    from ctx.store import confine

    rec = {
        "at": now_iso(),
        "log": found.log,
        "commit": found.commit,
        "since": found.since,
        "digests": found.digests,
    }
    path = _path(project)
    try:
        confine.private_dirs(path.parent)
        fd = confine.open_append(path, private=True)
        try:
            os.write(fd, (json.dumps(rec) + "\n").encode())  # one write: whole or not at all
        finally:
            os.close(fd)
    except OSError:
        pass  # (a read-only checkout: the warning is still printed)


def recorded(project: Project) -> dict[str, tuple[str, str]]:
    """digest -> (the commit that brought that line, ours before it), from every record."""
    out: dict[str, tuple[str, str]] = {}
    try:
        text = _path(project).read_text(encoding="utf-8")
    except OSError:
        return out
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("digests"), list):
            for d in rec["digests"]:
                if isinstance(d, str):
                    out[d] = (str(rec.get("commit", "")), str(rec.get("since", "")))
    return out


def still_there(project: Project) -> ForeignLines | None:
    """The recorded foreign lines that the own log still holds (none once reverted)."""
    known = recorded(project)
    if not known:
        return None
    try:
        lines = project.own_log.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return None
    hits = [d for d in (_digest(x) for x in lines.splitlines() if x) if d in known]
    if not hits:
        return None
    rel = project.own_log.relative_to(project.root).as_posix()
    commit, since = known[hits[0]]
    return ForeignLines(rel, hits, commit, since)
