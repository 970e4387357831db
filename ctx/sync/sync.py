"""`ctx sync`: commit `.contextfs/` with a message that says what changed, pull, push.

Everything goes through the user's own `git`, so remotes, credentials and configuration work
as they do for git itself. Only `.contextfs/` is committed; the user's other staged or dirty
files are left alone. The merge is conflict-free by construction (one log per clone); what a
merge replaced (the same field edited on both sides) is reported, never dropped silently.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.errors import CtxError
from ctx.core.timeutil import now_iso
from ctx.store import confine
from ctx.store.attributes import ensure_gitattributes
from ctx.store.locking import atomic_write, file_lock
from ctx.sync import gitrun, history
from ctx.sync.after import AfterPull, after_pull
from ctx.sync.changes import ChangeSummary, commit_message, summarize
from ctx.sync.conflicts import LostEdit
from ctx.sync.forgotten import purge_forgotten
from ctx.sync.gitrun import NEVER_STAGED, STORE, GitFailed
from ctx.sync.records import last_sync_path

if TYPE_CHECKING:
    from ctx.store.project import Project

PUSH_ATTEMPTS = 3


@dataclass
class Commit:
    sha: str
    message: str
    changes: ChangeSummary
    files: dict[str, int]


@dataclass
class SyncResult:
    commits: list[Commit] = field(default_factory=list)
    upstream: str | None = None
    pulled: str | None = None  # fast-forward | merge | rebase | None (nothing new)
    arrived: ChangeSummary | None = None
    pushed: bool = False
    lost: list[LostEdit] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    head: str | None = None
    written_as_you: list[str] = field(default_factory=list)  # see ctx/sync/own_log.py

    def to_dict(self) -> dict[str, Any]:
        return {
            "commits": [
                {
                    "sha": c.sha,
                    "message": c.message,
                    "changes": c.changes.to_dict(),
                    "files": c.files,
                }
                for c in self.commits
            ],
            "upstream": self.upstream,
            "pulled": self.pulled,
            "arrived": self.arrived.to_dict() if self.arrived else None,
            "pushed": self.pushed,
            "lost_edits": [e.to_dict() for e in self.lost],
            "purged": self.purged,
            "notes": self.notes,
            "head": self.head,
            "written_as_you": self.written_as_you,
        }


@contextlib.contextmanager
def _driving_git() -> Iterator[None]:
    """Our hooks see CTX_IN_SYNC and leave the after-merge work to us (no double reports)."""
    gitrun.EXTRA_ENV["CTX_IN_SYNC"] = "1"
    try:
        yield
    finally:
        gitrun.EXTRA_ENV.pop("CTX_IN_SYNC", None)


def _check_idle(root: Path) -> None:
    what = gitrun.in_progress(root)
    if what:
        raise CtxError(
            f"git is in the middle of a {what}",
            f"finish it (`git {what} --continue`) or leave it (`{gitrun.way_out(what)}`), "
            "then `ctx sync`",
            code="git_busy",
        )


@dataclass
class _Before:
    """The repository as `ctx sync` found it, to check that a failed step left it so."""

    head: str | None
    branch: str
    committed: bool = False  # the store's changes were committed (by this sync or before)


def _state_after_failure(root: Path, before: _Before) -> str:
    """Advice that says truthfully where a failed sync left the repository."""
    what = gitrun.in_progress(root)
    branch = gitrun.out(root, "symbolic-ref", "--short", "-q", "HEAD")
    head = gitrun.head(root)
    if what:
        return (
            f"the repository is still in the middle of a {what} "
            f"({'on branch ' + branch if branch else 'detached HEAD'}); your branch "
            f"{before.branch} still points at {str(before.head)[:12]}; "
            f"get out with `{gitrun.way_out(what)}`, then run `ctx sync` again"
        )
    if branch != before.branch:
        tip = str(gitrun.out(root, "rev-parse", "-q", "--verify", before.branch))[:12]
        return (
            f"HEAD is no longer on {before.branch}; `git checkout {before.branch}` returns to it "
            f"(it points at {tip})"
        )
    if gitrun.unmerged(root):
        return "files are left in conflict; `git status` lists them"
    safe = (
        "the .contextfs/ changes are committed and safe"
        if before.committed and not gitrun.out(root, "status", "--porcelain", "--", STORE)
        else "the repository is as it was before"
    )
    if head != before.head:
        safe = f"the branch moved from {str(before.head)[:12]} to {str(head)[:12]}; " + safe
    return safe + "; fix what git says, then run `ctx sync` again"


# ---- commit ------------------------------------------------------------------------------


def _file_counts(name_status: str) -> dict[str, int]:
    added: set[str] = set()
    extended: set[str] = set()
    removed: set[str] = set()
    for line in name_status.splitlines():
        status, _, path = line.partition("\t")
        parts = path.split("/")
        if len(parts) != 4 or parts[1] != "sessions":
            continue
        sid, part = parts[2], parts[3]
        if status.startswith("A"):
            (added if part.startswith("000.") else extended).add(sid)
        elif status.startswith("D"):
            removed.add(sid)
    return {
        "sessions_written": len(added),
        "sessions_extended": len(extended - added),
        "sessions_purged": len(removed),
    }


def commit_store(project: Project, message: str | None = None) -> Commit | None:
    """Commit everything under `.contextfs/` (and nothing else); None when nothing changed."""
    root = project.root
    gitrun.run(root, "add", "-A", "--", STORE)
    gitrun.run(root, "reset", "-q", "--", *NEVER_STAGED)  # this clone's own, never committed
    _keep_other_logs(project)
    status = gitrun.out(root, "diff", "--cached", "--name-status", "--no-renames", "--", STORE)
    if not status:
        return None
    before = gitrun.head(root)
    old = history.logs_at(project, before)
    new = history.logs_in_worktree(project)
    changes = summarize(history.doc_of(old), history.new_updates(old, new))
    files = _file_counts(status)
    own = project.own_log.name
    if old.get(own) and not new.get(own, b"").startswith(old[own]):
        files["compacted"] = 1
    msg = message or commit_message(changes, files)
    gitrun.run(root, "commit", "-q", "-m", msg, "--", STORE)
    sha = gitrun.head(root) or ""
    return Commit(sha, msg, changes, files)


def _keep_other_logs(project: Project) -> None:
    """Never commit another clone's log with lines taken out (a truncation, an emptied or
    deleted file): put it back as committed. What it held is in the loaded state anyway, and
    what it lost was written back into our own log (ctx/store/highwater.py)."""
    from ctx.sync.precommit import staged_log_losses

    own = project.own_log.name
    for path, _what in staged_log_losses(project.root, own):
        if not path.endswith("/" + own):
            gitrun.run(project.root, "checkout", "HEAD", "--", path)


# ---- pull --------------------------------------------------------------------------------


def _config(root: Path, key: str) -> str | None:
    return gitrun.out(root, "config", "--get", key)


def _wants_rebase(root: Path, branch: str) -> bool:
    value = _config(root, f"branch.{branch}.rebase") or _config(root, "pull.rebase") or "false"
    return value.lower() in ("true", "merges", "interactive", "i", "m", "yes", "on", "1")


@dataclass
class _Target:
    remote: str
    branch: str
    ref: str | None  # remote-tracking ref to merge, None when the remote has no such branch
    set_upstream: bool
    merge_ref: str = ""  # the upstream branch on the remote, e.g. refs/heads/main


def _target(root: Path, branch: str, result: SyncResult) -> _Target | None:
    upstream = gitrun.upstream(root)
    if upstream:
        remote = _config(root, f"branch.{branch}.remote") or upstream.split("/", 1)[0]
        merge_ref = _config(root, f"branch.{branch}.merge") or f"refs/heads/{branch}"
        result.upstream = upstream
        return _Target(remote, branch, "@{upstream}", False, merge_ref)
    remotes = gitrun.remotes(root)
    if not remotes:
        result.notes.append("no git remote: committed locally, nothing pulled or pushed")
        return None
    remote = "origin" if "origin" in remotes else remotes[0]
    result.upstream = f"{remote}/{branch}"
    return _Target(remote, branch, None, True, f"refs/heads/{branch}")


def _pull(project: Project, target: _Target, rebase: bool | None, result: SyncResult) -> None:
    root = project.root
    gitrun.run(root, "fetch", "--quiet", target.remote)
    ref = target.ref
    if ref is None:
        candidate = f"refs/remotes/{target.remote}/{target.branch}"
        ref = candidate if gitrun.out(root, "rev-parse", "--verify", "-q", candidate) else None
    theirs = gitrun.out(root, "rev-parse", "--verify", "-q", ref) if ref else None
    ours = gitrun.head(root)
    if theirs is None or (ours is not None and gitrun.is_ancestor(root, theirs, ours)):
        return  # nothing new
    if rebase is None:
        rebase = _wants_rebase(root, target.branch)
    if ours is None or gitrun.is_ancestor(root, ours, theirs):
        gitrun.run(root, "merge", "--ff-only", "-q", theirs)
        result.pulled = "fast-forward"
    else:
        twins = _twin_files(root, ours, theirs)
        if rebase and twins:
            rebase = False
            result.notes.append(
                f"merged instead of rebasing: {len(twins)} session file(s) were imported in "
                "both clones (one copy is kept)"
            )
        _merge_or_rebase(root, theirs, rebase, twins, target, result)
    # what the pull brought may put a symlink among the store's own folders: stop before
    # anything is read or written through it (the merge itself is git's and stays)
    confine.check_structure(root, project.layout.store)
    after: AfterPull = after_pull(project, ours, theirs)
    result.arrived = after.arrived
    result.lost.extend(after.lost)
    result.purged.extend(after.purged)
    if after.foreign_own is not None:
        result.written_as_you.append(str(after.foreign_own))


def _merge_or_rebase(
    root: Path, theirs: str, rebase: bool, twins: list[str], target: _Target, result: SyncResult
) -> None:
    if rebase:
        proc = gitrun.run(root, "rebase", "--autostash", "-q", theirs, check=False)
        if proc.returncode != 0:
            stuck = gitrun.unmerged(root)
            if gitrun.in_progress(root):
                abort = gitrun.run(root, "rebase", "--abort", check=False)
                if abort.returncode != 0 or gitrun.in_progress(root):
                    raise _abort_failed("rebase", proc, abort)
            raise _conflict("rebase", stuck, proc)
        result.pulled = "rebase"
        return
    name = result.upstream or f"{target.remote}/{target.branch}"  # a readable merge message
    what = name if gitrun.out(root, "rev-parse", "--verify", "-q", name) == theirs else theirs
    proc = gitrun.run(root, "merge", "--no-edit", "-q", what, check=False)
    if proc.returncode != 0:
        stuck = gitrun.unmerged(root)
        if stuck and set(stuck) <= set(twins):
            _keep_one_copy(root, stuck)
            gitrun.run(root, "commit", "--no-edit", "-q")
        else:
            if gitrun.in_progress(root):
                abort = gitrun.run(root, "merge", "--abort", check=False)
                if abort.returncode != 0 or gitrun.in_progress(root):
                    raise _abort_failed("merge", proc, abort)
            raise _conflict("merge", stuck, proc)
    result.pulled = "merge"


def _abort_failed(what: str, proc: Any, abort: Any) -> CtxError:
    said = " / ".join(
        line.strip()
        for line in ((abort.stderr or abort.stdout or "").strip().splitlines())[-2:]
        if line.strip()
    )
    first = GitFailed((what,), proc).message
    return CtxError(
        f"{first}; then `git {what} --abort` failed too ({said or f'exit {abort.returncode}'})",
        f"the repository is still in the middle of the {what}: fix what git says and run "
        f"`git {what} --abort` (your commits are kept on your branch)",
        code="git_stuck",
    )


def _twin_files(root: Path, ours: str, theirs: str) -> list[str]:
    """Transcript files both sides added with different bytes: the same session imported in
    two clones before either synced (its id comes from the tool's own session id)."""
    base = gitrun.merge_base(root, ours, theirs)
    if base is None:
        return []

    def added(rev: str) -> set[str]:
        names = gitrun.out(
            root,
            "diff",
            "--name-only",
            "--no-renames",
            "--diff-filter=A",
            base,
            rev,
            "--",
            f"{STORE}/sessions",
        )
        return set((names or "").splitlines())

    both = sorted(added(ours) & added(theirs))
    return [
        p
        for p in both
        if gitrun.out(root, "rev-parse", f"{ours}:{p}")
        != gitrun.out(root, "rev-parse", f"{theirs}:{p}")
    ]


def _keep_one_copy(root: Path, paths: list[str]) -> None:
    """Both copies hold the same transcript: keep the longer one (ties: by content hash), a
    choice every clone makes alike, so their merges agree and nothing conflicts later."""
    for path in paths:
        copies = [gitrun.blob(root, f":{stage}:{path}") for stage in (2, 3)]
        keep = max(
            (c for c in copies if c is not None),
            key=lambda c: (c.count(b"\n"), len(c), hashlib.sha256(c).hexdigest()),
        )
        if confine.link_in(root / STORE, root / path) is not None:
            continue  # never written through a symlink: git reports the path unmerged
        (root / path).write_bytes(keep)
        gitrun.run(root, "add", "--", path)


def _conflict(what: str, paths: list[str], proc: Any) -> CtxError:
    if not paths:
        return GitFailed((what,), proc)
    ours = [p for p in paths if p.startswith(STORE + "/")]
    where = ", ".join(paths[:5])
    advice = (
        "the store's files never conflict by themselves: two clones wrote the same file, "
        "which should not happen (see docs/sharing.md); "
        if ours
        else "resolve your own files' conflict with git, "
    )
    return CtxError(
        f"git {what} stopped on a conflict in {where}; nothing was changed (aborted)",
        advice + "then run `git pull` yourself and `ctx sync` again",
        code="git_conflict",
    )


def _pull_and_tidy(project: Project, target: _Target, rebase: bool | None, r: SyncResult) -> None:
    """Pull, then commit what the pull made us do (files of sessions forgotten elsewhere)."""
    _pull(project, target, rebase, r)
    project.refresh()  # state a pulled change took away is restored now, and committed here
    tidy = commit_store(project)
    if tidy:
        r.commits.append(tidy)


# ---- push --------------------------------------------------------------------------------


def _push(
    project: Project, target: _Target, rebase: bool | None, result: SyncResult, may_pull: bool
) -> None:
    root = project.root
    for attempt in range(PUSH_ATTEMPTS):
        ours = gitrun.head(root)
        if ours is None:
            return
        ref = target.ref or f"refs/remotes/{target.remote}/{target.branch}"
        theirs = gitrun.out(root, "rev-parse", "--verify", "-q", ref)
        if theirs is not None and gitrun.is_ancestor(root, ours, theirs):
            return  # nothing to push
        args = ["push", "--quiet", target.remote, f"HEAD:{target.merge_ref}"]
        if target.set_upstream:
            args = ["push", "--quiet", "-u", target.remote, target.branch]
        proc = gitrun.run(root, *args, check=False)
        if proc.returncode == 0:
            result.pushed = True
            target.set_upstream, target.ref = False, "@{upstream}"
            return
        said = (proc.stderr or "").lower()
        rejected = "rejected" in said or "fetch first" in said or "non-fast-forward" in said
        if rejected and not may_pull:
            raise CtxError(
                "git push was rejected: the remote has commits this clone does not have yet",
                "run `ctx sync` without --no-pull to merge them first",
                code="push_rejected",
            )
        if not rejected or attempt == PUSH_ATTEMPTS - 1:
            raise GitFailed(tuple(args), proc)
        _pull_and_tidy(project, target, rebase, result)  # someone pushed meanwhile: again


# ---- the command -------------------------------------------------------------------------


def sync(
    project: Project,
    *,
    pull: bool = True,
    push: bool = True,
    rebase: bool | None = None,
    message: str | None = None,
) -> SyncResult:
    """Commit `.contextfs/`, pull (merge or rebase, as git is configured), push."""
    project.require_store()
    # The store's write lock is held across commit, pull, rebase and push: no ctx writer
    # (CLI, MCP server, hook) appends to a log while git rewrites it; they queue instead.
    with _driving_git(), file_lock(project.layout.lock_file):
        return _sync_locked(project, pull, push, rebase, message)


def _sync_locked(
    project: Project, pull: bool, push: bool, rebase: bool | None, message: str | None
) -> SyncResult:
    root = project.root
    result = SyncResult()
    _check_idle(root)
    branch = gitrun.out(root, "symbolic-ref", "--short", "-q", "HEAD")
    if branch is None:
        raise CtxError("HEAD is detached", "check out a branch, then `ctx sync`", code="detached")
    before = _Before(gitrun.head(root), branch)
    try:
        project.settle_pending()  # changes queued while git was busy go into this commit
        ensure_gitattributes(project.layout.store)
        result.purged.extend(purge_forgotten(project))
        first = commit_store(project, message)
        if first:
            result.commits.append(first)
        before.committed = True
        target = _target(root, branch, result) if (pull or push) else None
        if target is not None and pull:
            _pull_and_tidy(project, target, rebase, result)
        if target is not None and push:
            _push(project, target, rebase, result, may_pull=pull)
    except CtxError as exc:
        clean = (
            not gitrun.in_progress(root)
            and gitrun.out(root, "symbolic-ref", "--short", "-q", "HEAD") == branch
            and not gitrun.unmerged(root)
        )
        if exc.code == "git_failed" or (exc.code == "git_conflict" and not clean):
            exc.advice = _state_after_failure(root, before)
        raise
    finally:
        if not gitrun.in_progress(root):
            project.settle_pending()  # what writers queued meanwhile (committed next time)
    result.head = gitrun.head(root)
    project.refresh()
    _remember(project, result)
    return result


# ---- what the last sync did (for `ctx status`) ---------------------------------------------


def _remember(project: Project, result: SyncResult) -> None:
    upstream_head = None
    if result.upstream:
        upstream_head = gitrun.out(project.root, "rev-parse", "--verify", "-q", "@{upstream}")
    data = {
        "at": now_iso(),
        "head": result.head,
        "upstream": result.upstream,
        "upstream_head": upstream_head,
        "pulled": result.pulled,
        "pushed": result.pushed,
        "arrived": result.arrived.to_dict() if result.arrived else None,
        "lost_edits": len(result.lost),
    }
    atomic_write(last_sync_path(project), json.dumps(data, indent=1).encode(), private=True)
