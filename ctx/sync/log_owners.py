"""Who appends to a replica log: for `ctx diff` / `ctx verify` over a range of commits.

Each clone appends only to its own `state/<replica>.log`; nobody else's commit has a reason
to add lines to it. A commit of the range that does, by an author other than the one who
started the log (the author of the commit that added the file), is named as a warning: a
hand edit, or someone writing as that clone's user (their `ctx gc` would then compact the
lines into their own history; ctx/sync/own_log.py tells the victim after a pull). Git
authors are only what the committer says, so this names a mismatch, it proves nothing; a
squash merge of a branch that several people's clones wrote to shows as one, too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ctx.sync import gitrun
from ctx.sync.review import WARNING, Finding, LogChange


def _who(sig: Any) -> str:
    return f"{sig.name} <{sig.email}>"


def _creator(root: Path, head: str, path: str) -> str | None:
    out = gitrun.out(root, "log", "--diff-filter=A", "--format=%aN <%aE>", head, "--", path)
    lines = (out or "").splitlines()
    return lines[-1] if lines else None  # the oldest addition (git log is newest first)


def _changes(commit: Any, path: str) -> bool:
    try:
        mine = commit.tree[path].id
    except KeyError:
        return False
    for parent in commit.parents or []:
        try:
            if parent.tree[path].id == mine:
                return False
        except KeyError:
            continue
    return True


def foreign_appends(root: Path, commits: list[Any], logs: list[LogChange]) -> list[Finding]:
    """Warnings for the commits of the range that add lines to a log someone else started."""
    if not commits:
        return []
    head = str(commits[-1].id)
    found: list[Finding] = []
    for log in logs:
        if log.lines_added == 0:
            continue
        creator = _creator(root, head, log.path)
        if creator is None:
            continue
        for c in commits:
            if _who(c.author) != creator and _changes(c, log.path):
                found.append(
                    Finding(
                        WARNING,
                        log.path,
                        f"{_who(c.author)} adds lines to a replica log that {creator} "
                        "started: only that clone writes it (a hand edit, or someone "
                        "writing as them?)",
                        commit=str(c.id)[:10],
                    )
                )
                break
    return found
