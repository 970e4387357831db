"""`ctx log [PATH…]`: the context history, as `git log` shows code history — and the audit trail.

Walks the commits that changed `.contextfs/` oldest first, replays the state-log lines each one
added on the state so far, and reports every memory and session added, edited, removed or
forgotten, with the commit, its author and date, and the replica whose log carried it. The
working tree's uncommitted changes come last. Filtered by paths (sessions that touched them,
memories that mention them or come from those sessions), author, time and type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.ids import is_session_id
from ctx.store.touched import refers_to
from ctx.sync.gitrun import STORE

LIMIT_COMMITS = 100_000

if TYPE_CHECKING:
    from ctx.codelinks.why_inputs import Inputs, SessionRow
    from ctx.store.project import Project
    from ctx.sync.snapshots import Snapshot


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
        # (not dataclasses.asdict: its deep copy cost ~15 ms for 1,000 entries)
        return {
            "commit": self.commit,
            "author": self.author,
            "date": self.date,
            "replica": self.replica,
            "kind": self.kind,
            "id": self.id,
            "action": self.action,
            "summary": self.summary,
            "fields": list(self.fields),
        }


@dataclass
class Replay:
    """Where a walk of the first-parent chain stands: the last commit walked, the store tree
    of the last commit walked (None: it had no store), the commit whose store the next change
    is compared with (None: nothing yet) and how many commits were walked. What the history
    cache (log_cache.py) keeps to walk on from there when HEAD moves on."""

    head: str | None = None
    tree: str | None = None
    last: str | None = None
    count: int = 0


def history(project: Project, limit_commits: int = LIMIT_COMMITS) -> list[LogEntry]:
    """Every change to memories and sessions, oldest first (computed afresh: `ctx log` asks
    ctx.codelinks.log_cache.history, which keeps it)."""
    import pygit2

    repo = pygit2.Repository(str(project.git.worktree))
    committed, at = committed_history(repo, limit_commits)
    return committed + worktree_entries(repo, project.git.worktree, at.last)


def first_parent_chain(repo: Any, limit_commits: int = LIMIT_COMMITS) -> list[Any]:
    """HEAD's first-parent chain, oldest first (at most `limit_commits`, the newest)."""
    import pygit2

    if repo.head_is_unborn:
        return []
    walker = repo.walk(repo.head.target, pygit2.enums.SortMode.TOPOLOGICAL)
    walker.simplify_first_parent()
    commits = [c for _, c in zip(range(limit_commits), walker, strict=False)]
    commits.reverse()
    return commits


def committed_history(
    repo: Any, limit_commits: int = LIMIT_COMMITS
) -> tuple[list[LogEntry], Replay]:
    """The committed changes, oldest first, and where the walk ended."""
    at = Replay()
    return replay(repo, first_parent_chain(repo, limit_commits), at), at


def replay(repo: Any, commits: list[Any], at: Replay) -> list[LogEntry]:
    """The changes `commits` (oldest first, continuing the walk `at`) made; moves `at` on."""
    from ctx.sync.review import review
    from ctx.sync.snapshots import from_commit

    out: list[LogEntry] = []
    prev_snapshot = None
    for c in commits:
        tree = _store_tree(c)
        at.head, at.count = str(c.id), at.count + 1
        if tree is None or (at.tree is not None and tree == at.tree):
            at.tree = tree
            continue
        if prev_snapshot is None and at.last is not None:
            prev_snapshot = from_commit(repo, repo[at.last])
        snap = from_commit(repo, c)
        out += _entries(prev_snapshot, snap, c, review)
        at.tree, at.last, prev_snapshot = tree, str(c.id), snap
    return out


def worktree_entries(
    repo: Any, worktree: Path, last: str | None, work: Snapshot | None = None
) -> list[LogEntry]:
    """The working tree's uncommitted changes to the store (`work`: as read already), relative
    to commit `last` (the last commit that changed it; None: none did)."""
    from ctx.sync.review import review
    from ctx.sync.snapshots import from_commit, from_worktree

    prev = from_commit(repo, repo[last]) if last is not None else None
    return _entries(prev, work if work is not None else from_worktree(worktree), None, review)


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
    inputs: Inputs | None = None,
    trailers: Callable[[list[str]], list[str]] | None = None,
) -> list[LogEntry]:
    """The entries by this author, since then, of this type and about these paths. `inputs`:
    the store's sessions, their files and the memories (read from the project when None);
    `trailers`: the session ids in the trailers of the commits that changed the paths."""
    keep = entries
    if author:
        from ctx.core.author_match import author_matches

        keep = [e for e in keep if author_matches(author, e.author)]
    if since is not None:
        stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        keep = [e for e in keep if e.commit is None or e.date >= stamp]
    if (kind_type or paths) and inputs is None:
        from ctx.codelinks.why_inputs import from_project

        inputs = from_project(project)
    if kind_type and inputs is not None:
        memories = {m.id: m.type for m in inputs.memories}
        keep = [
            e
            for e in keep
            if e.kind == "session"
            or memories.get(e.id) == kind_type
            or e.summary.startswith(f"[{kind_type}]")
        ]
    if paths and inputs is not None:
        keep = _by_paths(project.git.worktree, inputs, keep, paths, trailers)
    return keep


def _by_paths(
    worktree: Path,
    inputs: Inputs,
    entries: list[LogEntry],
    paths: list[str],
    trailers: Callable[[list[str]], list[str]] | None,
) -> list[LogEntry]:
    files = inputs.files
    hit_sessions = {
        sid for sid, fs in files.items() if any(refers_to(p, q) for p, _a, _t in fs for q in paths)
    }
    named = trailers(paths) if trailers is not None else trailer_ids(worktree, paths)
    hit_sessions |= trailer_sessions(named, inputs.sessions)
    hit_memories = set()
    for m in inputs.memories:
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


def trailer_sessions(named: list[str], sessions: list[SessionRow]) -> set[str]:
    """The stored sessions these trailer ids name (capture ids mapped to stored ids)."""
    alias: dict[str, str] = {}
    for s in sessions:
        for cid in s.capture_ids:
            if isinstance(cid, str) and is_session_id(cid) and cid != s.id:
                alias.setdefault(cid, s.id)
    known = {s.id for s in sessions}
    found = {sid if sid in known else alias.get(sid, sid) for sid in named}
    return found & known


def trailer_ids(worktree: Path, paths: list[str]) -> list[str]:
    """The session ids in the `Ctx-Session:` trailers of the commits that changed these paths
    (a single path followed through renames), from `git log`."""
    import subprocess

    from ctx.codelinks.trailer_cache import TRAILER

    args = ["git", "log", "--format=%x00%B", "--grep=Ctx-Session:", "--fixed-strings"]
    if len(paths) == 1:
        args.append("--follow")
    try:
        proc = subprocess.run(
            [*args, "--", *paths],
            cwd=worktree,
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
    except OSError:
        return []
    return list(TRAILER.findall(proc.stdout))
