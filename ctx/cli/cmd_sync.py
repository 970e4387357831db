"""`ctx sync` (commit .contextfs/, pull, push) and `ctx gc` (compact this clone's log)."""

from __future__ import annotations

from pathlib import Path

import typer

from ctx.cli.common import JSON_OPT, emit_json, open_project, report_problems, warn


def register(app: typer.Typer) -> None:
    app.command("sync")(sync)
    app.command("gc")(gc)


def sync(
    message: str | None = typer.Option(None, "--message", "-m", help="Commit message to use."),
    no_pull: bool = typer.Option(False, "--no-pull", help="Do not pull."),
    no_push: bool = typer.Option(False, "--no-push", help="Do not push."),
    rebase: bool = typer.Option(
        False,
        "--rebase",
        help="Rebase on the upstream (default: as git is configured, else merge).",
    ),
    merge: bool = typer.Option(
        False, "--merge", help="Merge the upstream, even if git is configured to rebase."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Share context: commit .contextfs/ (only it), pull, push, with your own git.

    The commit message counts what changed. Edits replaced by a concurrent edit of the same
    field in another clone are listed (and kept in .contextfs/local/sync/lost-edits.jsonl).
    """
    from ctx.sync.sync import sync as run_sync

    project = open_project()
    from ctx.cli.common import warn_identity

    warn_identity(project)
    mode = True if rebase else False if merge else None
    result = run_sync(project, pull=not no_pull, push=not no_push, rebase=mode, message=message)
    if result.pulled:
        _import_in_background(project.root)
        from ctx.codelinks.why_warm import warm_in_background

        warm_in_background(project.root, project.git.worktree)  # where `ctx why` is used
    if as_json:
        emit_json(result.to_dict())
        return
    for c in result.commits:
        print(f"committed {c.sha[:10]}  {c.message.splitlines()[0]}")
    if not result.commits:
        print("nothing to commit in .contextfs/")
    for note in result.notes:
        print(f"note: {note}")
    if result.pulled:
        arrived = "; ".join(result.arrived.phrases()) if result.arrived else ""
        print(
            f"pulled ({result.pulled}) from {result.upstream}" + (f": {arrived}" if arrived else "")
        )
    elif result.upstream and not no_pull:
        print(f"up to date with {result.upstream}")
    if result.purged:
        print(f"removed {len(result.purged)} file(s) of sessions forgotten in another clone")
    if result.lost:
        print(
            f"{len(result.lost)} edit(s) replaced by a concurrent edit "
            "(kept in .contextfs/local/sync/lost-edits.jsonl):"
        )
        for e in result.lost[:20]:
            print(f"  {e}")
    if result.pushed:
        print(f"pushed to {result.upstream}")
    for w in result.written_as_you:
        warn(w)
    report_problems(project)


def gc(
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Only say what would shrink."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Compact even if some records are unreadable (they are dropped), or lines a pull"
        " added to this clone's log are in it (they become part of your history).",
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --force: do not ask first."),
    as_json: bool = JSON_OPT,
) -> None:
    """Compact this clone's own state log (never anyone else's, so no conflict anywhere).

    Content of removed and forgotten memories and sessions disappears from this clone's log;
    other clones drop their copies when they run `ctx gc`; git history keeps it until you
    rewrite history (e.g. git filter-repo).
    """
    from ctx.sync.gc import gc as run_gc

    project = open_project()
    if force and not dry_run:
        from ctx.cli.common import confirm

        confirm(
            "Compact this clone's log, dropping unreadable records and keeping lines others"
            " wrote into it as yours?",
            yes,
            "gc --force",
        )
    result = run_gc(project, dry_run=dry_run, force=force)
    if as_json:
        emit_json(result.to_dict())
        return
    verb = "would shrink" if dry_run else "compacted"
    for x in result.logs:
        if x.method == "unchanged":
            print(f"{x.path}: already compact ({x.bytes_before:,} bytes)")
        else:
            print(
                f"{x.path}: {verb} {x.bytes_before:,} -> {x.bytes_after:,} bytes, "
                f"{x.lines_before} -> {x.lines_after} line(s)"
                + ("" if x.method == "compacted" else " (merged only)")
            )
    for note in result.notes:
        print(f"note: {note}")
    report_problems(project)


def _import_in_background(root: Path) -> None:
    """What git's post-merge hook does after a plain `git pull` (ctx sync runs git with that
    hook quiet): with `import.all_agents`, start the background import of every agent's
    sessions. The setting is read afresh: the pull may have brought it."""
    from ctx.integrations import auto_import
    from ctx.store.project import Project

    try:
        if auto_import.enabled(Project.open(root).config):
            auto_import.start(str(root), "ctx sync")
    except Exception:  # never a reason for the sync itself to fail
        return
