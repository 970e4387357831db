"""`ctx why FILE[:LINE[-LINE]]` and `ctx log [PATH…]`: context linked to code."""

from __future__ import annotations

from pathlib import Path

import typer

from ctx.cli.common import JSON_OPT, emit_json, open_project


def register(app: typer.Typer) -> None:
    app.command("why")(why)
    app.command("log")(log)


def why(
    target: str = typer.Argument(..., metavar="FILE[:LINE[-LINE]]", help="A file, line or range."),
    as_json: bool = JSON_OPT,
) -> None:
    """The sessions, turns and decisions behind these lines.

    Blames the lines (renames followed), links their commits to sessions (a Ctx-Session trailer,
    the HEAD a session ended on, or a commit made while a session edited the file), points to
    the turn whose tool call wrote the line, and lists the memories of those sessions and those
    that mention the file, decisions first.
    """
    from ctx.cli.common import state
    from ctx.cli.progress import show_slow_blames
    from ctx.cli.why_text import render_why
    from ctx.codelinks.answer_cache import answer

    show_slow_blames()
    project = open_project()
    cwd = Path(state.cwd).resolve() if state.cwd else Path.cwd()
    result = answer(project, target, cwd)  # kept for the next time: ctx/cli/fast_why.py
    if as_json:
        emit_json(result)
        return
    for line in render_why(result):
        print(line)


def log(
    paths: list[str] | None = typer.Argument(None, help="Only context about these files."),
    author: str | None = typer.Option(None, "--author", help="Commits by this author (like git)."),
    since: str | None = typer.Option(None, "--since", help="From this time on (7d, 2026-11-01…)."),
    type_: str | None = typer.Option(None, "--type", help="Only memories of this type."),
    limit: int | None = typer.Option(None, "-n", "--max-count", help="Show at most N entries."),
    as_json: bool = JSON_OPT,
) -> None:
    """The context history, newest first: memories and sessions added, edited, removed and
    forgotten, with the commit, author and replica that carried each change (the audit trail)."""
    from ctx.cli.common import one_line, state
    from ctx.codelinks.history import filter_entries
    from ctx.codelinks.log_cache import history, inputs, trailer_ids
    from ctx.core.timeutil import parse_since

    project = open_project()
    cwd = Path(state.cwd).resolve() if state.cwd else Path.cwd()
    rels: list[str] = []
    if paths:
        from ctx.codelinks.why import repo_relative

        rels = [repo_relative(project, p, cwd) for p in paths]
    entries = history(project)
    when = parse_since(since) if since else None
    kept = inputs(project) if rels or type_ else None  # as `ctx why` keeps them
    entries = filter_entries(
        project,
        entries,
        rels,
        author=author,
        since=when,
        kind_type=type_,
        inputs=kept,
        trailers=lambda ps: trailer_ids(project, ps),
    )
    entries.reverse()
    if limit is not None:
        entries = entries[: max(limit, 0)]
    if as_json:
        emit_json([e.to_dict() for e in entries])
        return
    if not entries:
        print("no context history" + (" for these paths" if rels else ""))
        return
    mark = {"added": "+", "edited": "~", "removed": "-", "forgotten": "!", "extended": "+"}
    for e in entries:
        head = e.commit[:10] if e.commit else "(working tree)"
        what = f"{mark.get(e.action, '?')} {e.kind} {e.id} {e.action}"
        extra = f" [{', '.join(e.fields)}]" if e.fields else ""
        who = f"  {one_line(e.author, 30)}" if e.author else ""
        print(
            f"{head}  {e.date[:10] or '          '}{who}  {what}{extra}  {one_line(e.summary, 60)}"
        )
