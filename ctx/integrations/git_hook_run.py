"""What the installed git hooks do when they call `<python> -m ctx hooks run HOOK ARGS`.

pre-commit returns 3 when a secret is staged (the shell hook turns that into a refusal);
prepare-commit-msg and commit-msg (opt-in) add a `Ctx-Session:` trailer inside a wrap;
the post-* hooks run detached in the background and never fail git: they record lost edits
and drop files of forgotten sessions after a merge or rebase, then refresh the search index;
post-commit only brings `ctx why`'s cached blames up to the new commit.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ctx.core.errors import CtxError
from ctx.store import confine
from ctx.store.locking import file_lock

if TYPE_CHECKING:
    from ctx.store.project import Project

SECRET_FOUND = 3


def run_hook(name: str, args: list[str], cwd: Path | None = None) -> int:
    if name == "pre-commit":
        return _pre_commit(cwd or Path.cwd())
    if name in ("prepare-commit-msg", "commit-msg"):
        return _session_trailer(name, args, cwd or Path.cwd())
    try:
        _post(name, args, cwd)
    except Exception as exc:  # a background hook must never fail git or leave a traceback
        if os.environ.get("CTX_DEBUG"):
            raise
        sys.stderr.write(f"ctx: {name} hook: {exc}\n")
    return 0


def _pre_commit(cwd: Path) -> int:
    if _log_losses(cwd) or _machine_local(cwd):
        return SECRET_FOUND  # the same refusal exit: the hook already said why
    try:
        from ctx.privacy import secrets  # noqa: F401
    except ImportError:
        sys.stderr.write("ctx: secret scanner not available in this ctx; check skipped\n")
        return 0
    from ctx.sync import gitrun
    from ctx.sync.precommit import message, staged_leaks

    top = gitrun.out(cwd, "rev-parse", "--show-toplevel")
    leaks = staged_leaks(Path(top) if top else cwd)
    if not leaks:
        return 0
    sys.stderr.write(message(leaks) + "\n")
    return SECRET_FOUND


def _machine_local(cwd: Path) -> bool:
    """Refuse a commit that adds this clone's machine-local store files (and say so)."""
    from ctx.sync import gitrun
    from ctx.sync.precommit import machine_local_message, staged_machine_local

    top = gitrun.out(cwd, "rev-parse", "--show-toplevel")
    found = staged_machine_local(Path(top) if top else cwd)
    if found:
        sys.stderr.write(machine_local_message(found) + "\n")
    return bool(found)


def _session_trailer(name: str, args: list[str], cwd: Path) -> int:
    """The opt-in `Ctx-Session:` trailer (ctx/codelinks/trailer.py); never fails the commit."""
    if not args:
        return 0
    try:
        from ctx.codelinks.trailer import add_session_trailer

        add_session_trailer(cwd / args[0], cwd)
    except Exception as exc:
        if os.environ.get("CTX_DEBUG"):
            raise
        sys.stderr.write(f"ctx: {name} hook: no Ctx-Session trailer ({exc})\n")
    return 0


def _log_losses(cwd: Path) -> bool:
    """A commit that removes lines from a state log is refused (see precommit)."""
    from ctx.store.project import Project
    from ctx.sync import gitrun
    from ctx.sync.precommit import losses_message, staged_log_losses

    top = gitrun.out(cwd, "rev-parse", "--show-toplevel")
    worktree = Path(top) if top else cwd
    own = None
    try:
        project = Project.open(worktree)
        if project.layout.replica_file.exists():
            own = project.own_log.name
    except CtxError:
        return False
    losses = staged_log_losses(worktree, own)
    if losses:
        sys.stderr.write(losses_message(losses) + "\n")
    return bool(losses)


def _post(name: str, args: list[str], cwd: Path | None) -> None:
    from ctx.integrations.git_hooks import refresh_outdated
    from ctx.store.project import Project

    refresh_outdated(cwd or Path.cwd())  # an older template ran `python -m ctx` (see there)
    try:
        project = Project.open(cwd)
    except CtxError as exc:
        if exc.code in ("store_symlink", "store_planted"):  # from the pull: say why nothing is done
            sys.stderr.write(f"ctx: {name} hook: {exc}\n")
        return  # otherwise no store in this repository: nothing to do
    if name == "post-rewrite" and args[:1] == ["rebase"] and _detached():
        _wait_for_rebase_end(project.root)  # its state folder goes after this hook
    # a commit, an amend or a checkout inside a rebase: its own post-rewrite warms, once
    warm = not _inside_rebase(project, name, args)
    if name == "post-commit":  # the store did not change: only `ctx why`'s blames are behind
        if warm:
            _warm_why(project, committed=True)
        return
    merged = name == "post-merge" or (name == "post-rewrite" and args[:1] == ["rebase"])
    if merged and not os.environ.get("CTX_IN_SYNC"):
        with file_lock(project.layout.local / "sync" / "hook.lock"):
            _after_merge(project, name)
        project.settle_pending()  # changes queued while git rewrote the logs
        _auto_import(project, name)
    _refresh_index(project)
    if warm:
        _warm_why(project)


def _detached() -> bool:
    """Whether git has gone on without this hook (the shell started it detached)."""
    return not os.environ.get("CTX_HOOKS_FOREGROUND")


def _wait_for_rebase_end(root: Path, limit: float = 60.0) -> None:
    """git runs post-rewrite before it removes the rebase's state folder: until then the
    journal cannot be settled (git looks busy) and `ctx why`'s inputs would be kept under
    the rebase's HEAD. A detached hook waits for git to finish (bounded)."""
    import time

    from ctx.store.pending import git_busy

    deadline = time.monotonic() + limit
    while git_busy(root) in ("rebase-merge", "rebase-apply") and time.monotonic() < deadline:
        time.sleep(0.05)


def _inside_rebase(project: Project, name: str, args: list[str]) -> bool:
    """Whether git runs this hook for one step of a rebase (not the rebase's post-rewrite,
    which git runs at its end, its state folder still there)."""
    from ctx.store.pending import git_busy

    if name == "post-rewrite" and args[:1] == ["rebase"]:
        return False
    return git_busy(project.root) in ("rebase-merge", "rebase-apply")


def _warm_why(project: Project, committed: bool = False) -> None:
    """HEAD moved (a commit, a pull, a rebase, a checkout): when `ctx why` is used here, bring
    its caches up to date now, in this background process (ctx/codelinks/why_warm.py); after
    a commit, the blames cached of the files it changed first."""
    from ctx.codelinks.why_warm import committed_files, wanted, warm

    if wanted(project.root):
        with contextlib.suppress(OSError):
            os.nice(10)
        first = committed_files(project.git.worktree) if committed else ()
        warm(project, first=first, wait=_detached())  # (git does not wait for a detached hook)


def _auto_import(project: Project, name: str) -> None:
    """``import.all_agents = true``: agents' history too, detached and rate-limited."""
    from ctx.integrations import auto_import

    if auto_import.enabled(project.config):
        auto_import.start(str(project.root), name)


def _after_merge(project: Project, name: str) -> None:
    from ctx.sync import gitrun
    from ctx.sync.after import after_pull

    root = project.root
    ours = os.environ.get("CTX_ORIG_HEAD") or gitrun.out(
        root, "rev-parse", "-q", "--verify", "ORIG_HEAD"
    )
    theirs: str | None
    if name == "post-merge":
        theirs = gitrun.out(root, "rev-parse", "-q", "--verify", "HEAD^2") or gitrun.head(root)
    else:
        up = os.environ.get("CTX_UPSTREAM") or gitrun.out(
            root, "rev-parse", "-q", "--verify", "@{upstream}"
        )
        head = gitrun.head(root)
        theirs = up if up and head and gitrun.is_ancestor(root, up, head) else head
    result = after_pull(project, ours, theirs)
    for e in result.lost:
        sys.stderr.write(f"ctx: {e}\n")
    if result.foreign_own is not None:  # (recorded: `ctx status` says it too)
        sys.stderr.write(f"ctx: warning: {result.foreign_own}\n")
    for p in dict.fromkeys(str(p) for p in project.problems):  # refused entries, bad lines
        sys.stderr.write(f"ctx: warning: {p}\n")


def _refresh_index(project: Project) -> None:
    """Bring the search index up to date (nothing to do while search is not installed).

    One indexer at a time: if another hook is indexing, it will see our changes too (and
    a search refreshes lazily anyway). Embeddings only with a model already on this machine:
    a hook never starts a model download."""
    try:
        from ctx.search.service import ensure_fresh
    except ImportError:
        return
    from ctx.search.model_check import check_model

    lock = project.layout.local / "index-hook.lock"
    confine.private_dirs(lock.parent)
    fd = confine.open_lock(lock)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        semantic = check_model(project.config).status == "ok"
        with contextlib.suppress(CtxError):
            ensure_fresh(project, semantic=semantic)
    finally:
        os.close(fd)
