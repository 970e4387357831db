"""What is not yet shared, and what arrived since the last sync (for `ctx status`).

Cheap by design (`ctx status` must start fast): two quick questions to git itself (the upstream,
ahead/behind), pygit2 only to count what arrived since the last sync, no network, no CRDT
loads. "behind" is as of the last fetch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ctx.sync.records import read_last_sync, read_lost_edits

if TYPE_CHECKING:
    from ctx.store.project import Project


def _store_changes(repo: Any, old: Any, new: Any, own_log: str) -> dict[str, Any]:
    """Counts of what changed under .contextfs/ between two commits, by others."""
    import pygit2

    diff = repo.diff(old, new)
    sessions: set[str] = set()
    logs: set[str] = set()
    lines = 0
    for patch in diff:
        delta = patch.delta
        path = delta.new_file.path or delta.old_file.path
        if not path.startswith(".contextfs/"):
            continue
        parts = path.split("/")
        if len(parts) == 4 and parts[1] == "sessions" and delta.status == pygit2.GIT_DELTA_ADDED:
            sessions.add(parts[2])
        elif len(parts) == 3 and parts[1] == "state" and parts[2].endswith(".log"):
            if parts[2] == own_log:
                continue
            logs.add(parts[2])
            _, added, _ = patch.line_stats
            lines += added
    return {"sessions": len(sessions), "clones": len(logs), "updates": lines}


def sync_status(project: Project, *, uncommitted: list[str] | None = None) -> dict[str, Any]:
    """ahead/behind the upstream, uncommitted store files, the last sync and what came since.
    Pass `uncommitted` when the caller already asked git (status runs it once)."""
    from ctx.sync import gitrun

    out: dict[str, Any] = {
        "upstream": None,
        "ahead": 0,
        "behind": 0,
        "uncommitted": [],
        "last_sync": None,
        "arrived_since_last_sync": None,
        "lost_edits": 0,
        "in_progress": None,
        "written_as_you": None,
    }
    from ctx.sync.own_log import still_there

    foreign = still_there(project)  # (one failed stat when nothing was recorded)
    if foreign is not None:
        out["written_as_you"] = {
            "log": foreign.log,
            "lines": len(foreign.digests),
            "commit": foreign.commit,
            "message": str(foreign),
        }
    from ctx.store.pending import git_busy

    busy = git_busy(project.root)
    if busy is not None:
        out["in_progress"] = "rebase" if busy.startswith("rebase") else _OP.get(busy, busy)
    if uncommitted is not None:
        out["uncommitted"] = uncommitted
    else:
        try:
            out["uncommitted"] = project.uncommitted()
        except Exception as exc:  # git status failing must not hide the rest
            out["uncommitted"] = [f"(git status failed: {exc})"]
    main = project.git
    if main.worktree != project.root:  # a linked worktree: the store's own checkout counts
        from ctx.core.gitinfo import context

        main = context(project.root)
    head = main.head
    if head is not None and main.branch is not None:
        up = gitrun.upstream(project.root)
        counts = (
            gitrun.out(project.root, "rev-list", "--left-right", "--count", "HEAD...@{upstream}")
            if up
            else None
        )
        if up and counts and len(counts.split()) == 2:
            out["upstream"] = up
            ahead, behind = counts.split()
            out["ahead"], out["behind"] = int(ahead), int(behind)
    last = read_last_sync(project)
    if last:
        out["last_sync"] = {k: last.get(k) for k in ("at", "head", "pulled", "pushed", "arrived")}
        since = last.get("head")
        if since and head is not None and str(head) != since:
            import pygit2

            try:
                repo = pygit2.Repository(str(project.root))
                old = repo.revparse_single(since).peel(pygit2.Commit).tree
                new = repo.revparse_single(str(head)).peel(pygit2.Commit).tree
                out["arrived_since_last_sync"] = _store_changes(
                    repo, old, new, project.own_log.name
                )
            except (KeyError, ValueError, pygit2.GitError):
                pass
        stamp = str(last.get("at") or "")
        out["lost_edits"] = sum(
            1 for e in read_lost_edits(project) if str(e.get("at", "")) >= stamp
        )
    else:
        out["lost_edits"] = len(read_lost_edits(project))
    return out


_OP = {"MERGE_HEAD": "merge", "CHERRY_PICK_HEAD": "cherry-pick", "REVERT_HEAD": "revert"}


def in_progress_advice(what: str) -> str:
    return (
        f"git is in the middle of a {what}: finish it (`git {what} --continue`) or leave it "
        f"(`git {what} --abort`), then `ctx sync`; ctx changes made meanwhile wait in "
        ".contextfs/local/pending/ and are applied when git is done"
    )


def lines(st: dict[str, Any]) -> list[str]:
    """`ctx status` text for the sharing part."""
    out: list[str] = []
    if st.get("in_progress"):
        out.append("sharing   " + in_progress_advice(st["in_progress"]))
    elif st["upstream"]:
        state = []
        if st["ahead"]:
            state.append(f"{st['ahead']} commit(s) not pushed")
        if st["behind"]:
            state.append(f"{st['behind']} to pull (as of the last fetch)")
        out.append(f"sharing   {st['upstream']}: " + (", ".join(state) or "in step"))
    else:
        out.append("sharing   no upstream branch (ctx sync pushes and sets one)")
    if st["uncommitted"]:
        out.append(f"          {len(st['uncommitted'])} store file(s) not committed (ctx sync)")
    last = st["last_sync"]
    if last:
        out.append(f"last sync {str(last.get('at') or '-')[:16].replace('T', ' ')}")
    came = st["arrived_since_last_sync"]
    if came and (came["updates"] or came["sessions"]):
        out.append(
            f"arrived   since then: {came['updates']} update(s) from {came['clones']} clone(s), "
            f"{came['sessions']} session(s)"
        )
    if st["lost_edits"]:
        out.append(
            f"replaced  {st['lost_edits']} edit(s) lost to a concurrent edit of the same field "
            "(see .contextfs/local/sync/lost-edits.jsonl)"
        )
    if st.get("written_as_you"):
        out.append(f"as you    {st['written_as_you']['message']}")
    return out
