"""`ctx log [PATH…]`: the context history, as `git log` shows code history — and the audit trail.

Walks the commits that changed `.contextfs/` oldest first, replays the state-log lines each one
added on the state so far, and reports every memory and session added, edited, removed or
forgotten, with the commit, its author and date, and the replica whose log carried it. The
working tree's uncommitted changes come last. Filtered by paths (sessions that touched them,
memories that mention them or come from those sessions), author, time and type.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ctx.store.touched import refers_to
from ctx.sync.gitrun import STORE

if TYPE_CHECKING:
    from ctx.store.project import Project


@dataclass
class LogEntry:
    commit: str | None  # None: not committed yet
    author: str
    date: str
    replica: str
    kind: str  # "memory" | "session"
    id: str
    action: str  # "added" | "edited" | "removed" | "forgotten"
    summary: str
    fields: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def history(project: Project, limit_commits: int = 100_000) -> list[LogEntry]:
    """Every change to memories and sessions, oldest first."""
    import pygit2

    from ctx.sync.review import review
    from ctx.sync.snapshots import from_commit, from_worktree

    repo = pygit2.Repository(str(project.git.worktree))
    out: list[LogEntry] = []
    if repo.head_is_unborn:
        commits = []
    else:
        walker = repo.walk(repo.head.target, pygit2.enums.SortMode.TOPOLOGICAL)
        walker.simplify_first_parent()
        commits = [c for _, c in zip(range(limit_commits), walker, strict=False)]
        commits.reverse()
    prev_tree = None
    prev_snapshot = None
    for c in commits:
        tree = _store_tree(c)
        if tree is None or (prev_tree is not None and tree == prev_tree):
            prev_tree = tree
            continue
        snap = from_commit(repo, c)
        out += _entries(prev_snapshot, snap, c, review)
        prev_tree, prev_snapshot = tree, snap
    work = from_worktree(project.git.worktree)
    out += _entries(prev_snapshot, work, None, review)
    return out


def _store_tree(commit: Any) -> str | None:
    try:
        return str(commit.tree[STORE].id)
    except KeyError:
        return None


def _entries(base: Any, head: Any, commit: Any, review: Any) -> list[LogEntry]:
    from ctx.sync.snapshots import empty

    result = review(base or empty(), head, check_secrets=False)
    if commit is not None:
        sha = str(commit.id)
        author = f"{commit.author.name} <{commit.author.email}>"
        when = datetime.fromtimestamp(commit.author.time, tz=timezone.utc)
        date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        sha, author, date = None, "", ""
    out = []
    for r in result.records:
        out.append(
            LogEntry(
                sha, author, date, r.replica, r.kind, r.id, r.action, r.summary, list(r.fields)
            )
        )
    for t in result.transcripts:
        if t.action in ("added", "extended"):
            known = {(e.id, e.kind) for e in out}
            if (t.session_id, "session") not in known:
                out.append(
                    LogEntry(sha, author, date, "", "session", t.session_id, t.action, t.title, [])
                )
    return out


def filter_entries(
    project: Project,
    entries: list[LogEntry],
    paths: list[str],
    author: str | None = None,
    since: datetime | None = None,
    kind_type: str | None = None,
) -> list[LogEntry]:
    keep = entries
    if author:
        rx = re.compile(author, re.IGNORECASE) if _is_regex(author) else None
        keep = [
            e for e in keep if (rx.search(e.author) if rx else author.lower() in e.author.lower())
        ]
    if since is not None:
        stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        keep = [e for e in keep if e.commit is None or e.date >= stamp]
    if kind_type:
        memories = {m.id: m.type for m in project.list_memories()}
        keep = [
            e
            for e in keep
            if e.kind == "session"
            or memories.get(e.id) == kind_type
            or e.summary.startswith(f"[{kind_type}]")
        ]
    if paths:
        keep = _by_paths(project, keep, paths)
    return keep


def _is_regex(s: str) -> bool:
    return any(c in s for c in "^$*+?[](){}|\\")


def _by_paths(project: Project, entries: list[LogEntry], paths: list[str]) -> list[LogEntry]:
    from ctx.store.touched import session_files

    sessions = project.list_sessions(include_open=False)
    files = session_files(project, sessions)
    hit_sessions = {
        sid for sid, fs in files.items() if any(refers_to(p, q) for p, _a, _t in fs for q in paths)
    }
    hit_sessions |= trailer_sessions(project, paths, sessions)
    hit_memories = set()
    for m in project.list_memories():
        if m.source_session in hit_sessions or any(
            q in m.content or q.rsplit("/", 1)[-1] in m.content for q in paths
        ):
            hit_memories.add(m.id)
    return [
        e
        for e in entries
        if (e.kind == "session" and e.id in hit_sessions)
        or (e.kind == "memory" and e.id in hit_memories)
    ]


def trailer_sessions(project: Project, paths: list[str], sessions: list[Any]) -> set[str]:
    """Sessions named by a `Ctx-Session:` trailer of a commit that changed these paths (a
    single path followed through renames), mapped from capture ids to stored ids."""
    import subprocess

    from ctx.codelinks.why import TRAILER, session_aliases

    args = ["git", "log", "--format=%x00%B", "--grep=Ctx-Session:", "--fixed-strings"]
    if len(paths) == 1:
        args.append("--follow")
    try:
        proc = subprocess.run(
            [*args, "--", *paths],
            cwd=project.git.worktree,
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
    except OSError:
        return set()
    alias = session_aliases(sessions)
    known = {s.id for s in sessions}
    found = {sid if sid in known else alias.get(sid, sid) for sid in TRAILER.findall(proc.stdout)}
    return found & known
