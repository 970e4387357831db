"""`ctx diff` (what a range of commits does to the store, in words) and `ctx verify` (fail on
anything outside the format): the state logs are base64, so a reviewer needs these to read a PR."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from ctx.cli.common import JSON_OPT, emit_json, open_project

if TYPE_CHECKING:
    from ctx.sync.review import Finding, Review

RANGE_ARG = typer.Argument(
    None,
    metavar="[RANGE]",
    help="REV, A..B or A...B (as git diff); default: HEAD against the working tree.",
)
STAGED_OPT = typer.Option(False, "--staged", "--cached", help="Compare HEAD with the index.")


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
    app.command("verify")(verify)


def _review(spec: str | None, staged: bool) -> Review:
    from ctx.sync.log_owners import foreign_appends
    from ctx.sync.review import attribute, review
    from ctx.sync.snapshots import commits_between, pick_sides

    project = open_project(require_store=False)
    sides = pick_sides(project.root, spec, staged=staged)
    result = review(sides.base, sides.head)
    commits = commits_between(project.root, sides)
    attribute(result.findings, commits, sides.head)
    result.findings.extend(foreign_appends(project.root, commits, result.logs))
    return result


def diff(
    spec: str | None = RANGE_ARG,
    staged: bool = STAGED_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Show what a range of commits does to .contextfs/, in words.

    Decodes the CRDT log lines the range adds and says which memories and sessions they add,
    edit, remove or forget, from which replica; lists new transcripts; flags anything outside
    the format (ids, symlinks, rewritten history, secrets). For a pull request:
    `ctx diff origin/main...HEAD`.
    """
    result = _review(spec, staged)
    if as_json:
        emit_json(result.to_dict())
        return
    for line in render(result):
        print(line)


def verify(
    spec: str | None = RANGE_ARG,
    staged: bool = STAGED_OPT,
    all_files: bool = typer.Option(
        False, "--all", help="Check every committed store file, not only the changes."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Fail (exit 1) when a change to .contextfs/ steps outside the format.

    Checks file names and ids against the grammar, refuses symlinks and executables, history
    removed from a state log, rewritten transcripts, unknown files and secrets. Run it in CI on
    pull requests: `ctx verify origin/main...HEAD`. `--all` checks the whole store as it is.
    """
    if all_files:
        from ctx.sync.review import review
        from ctx.sync.snapshots import empty, from_worktree

        project = open_project(require_store=False)
        result = review(empty(), from_worktree(project.root))
    else:
        result = _review(spec, staged)
    errors = result.errors
    if as_json:
        emit_json(
            {
                "ok": not errors,
                "range": f"{result.base}..{result.head}",
                "findings": [f.__dict__ for f in result.findings],
            }
        )
    else:
        for f in result.findings:
            print(_finding(f))
        n = len(errors)
        print(
            f"ctx verify: {n} error{'s' if n != 1 else ''}, "
            f"{len(result.findings) - n} warning(s) in {result.base}..{result.head}"
        )
    if errors:
        raise typer.Exit(1)


def _finding(f: Finding) -> str:
    via = f"  (commit {f.commit})" if f.commit else ""
    return f"{f.level}: {f.where()}: {f.message}{via}"


_MARK = {"added": "+", "edited": "~", "removed": "-", "forgotten": "!"}


def render(result: Review) -> list[str]:
    from ctx.sync.review import _show

    out = [f"ctx diff {result.base}..{result.head}"]
    if result.empty() and not result.findings:
        out.append("no change to .contextfs/")
        return out
    for log in result.logs:
        what = f"+{log.lines_added} line(s)"
        if log.lines_removed:
            what += f", -{log.lines_removed}" + (" (compacted by ctx gc)" if log.compacted else "")
        out.append(f"{log.path} (replica {log.replica}): {what}")
        for rc in (r for r in result.records if r.replica == log.replica):
            line = f"  {_MARK.get(rc.action, '?')} {rc.kind} {rc.id} {rc.action}"
            if rc.summary:
                line += f"  {rc.summary}"
            out.append(line)
            for name, (old, new) in rc.fields.items():
                if name.startswith("tag:"):
                    verb = "added" if new and not old else "removed"
                    out.append(f"      tag {_show(name[4:])} {verb}")
                else:
                    out.append(f"      {name}: {_brief(old)} -> {_brief(new)}")
    for t in result.transcripts:
        desc = f"sessions/{t.session_id}: {t.action} ({', '.join(t.parts)})"
        if t.title or t.tool:
            desc += f"  {t.title!r} {t.tool}, {t.turns} turn{'s' if t.turns != 1 else ''}"
            if t.author:
                desc += f", {t.author}"
        out.append(desc)
    for path in result.other_files:
        out.append(f"{path}: changed")
    if result.findings:
        out.append("problems:")
        out.extend("  " + _finding(f) for f in result.findings)
    return out


def _brief(value: Any) -> str:
    from ctx.sync.review import _preview

    return "(none)" if value is None else repr(_preview(value))
