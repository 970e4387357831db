"""`ctx sessions list|show|edit`."""

from __future__ import annotations

import typer

from ctx.cli.common import JSON_OPT, emit_json, one_line, open_project, report_problems, short_time

sessions_app = typer.Typer(help="Captured and imported sessions.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sessions_app, name="sessions")


@sessions_app.command("list")
def list_(
    tool: str | None = typer.Option(
        None, "--tool", help="Only sessions of this tool (claude, aider, …)."
    ),
    since: str | None = typer.Option(None, "--since", help="Started since: 7d, 12h, 2w or a date."),
    branch: str | None = typer.Option(
        None, "--branch", help="Only sessions captured on this branch."
    ),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="At most this many."),
    all_: bool = typer.Option(
        False,
        "--all",
        help="Also runs that failed before any conversation (kept on this machine only).",
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """List sessions, newest first."""
    from ctx.cli.render import duration
    from ctx.timeutil import parse_since

    project = open_project()
    sessions = project.list_sessions(
        tool=tool,
        since=parse_since(since) if since else None,
        branch=branch,
        include_failed=all_,
        limit=limit,
    )
    if as_json:
        emit_json([s.to_dict(with_turns=False) for s in sessions])
    else:
        if not sessions:
            print(
                "no sessions"
                + (
                    " match"
                    if (tool or since or branch)
                    else " yet: capture one with `ctx wrap -- CMD` or `ctx capture`"
                )
            )
        for s in sessions:
            state = "" if s.status == "complete" else f" ({s.status})"
            print(
                f"{s.id}  {short_time(s.started_at)}  {s.tool:8} {s.turn_count:4} turns "
                f"{duration(s):>7}  {(s.branch or '-'):12} {one_line(s.title or '', 50)}{state}"
            )
    report_problems(project)


@sessions_app.command("show")
def show(
    ident: str = typer.Argument(..., help="Session id (or a unique prefix)."),
    turns: str | None = typer.Option(None, "--turns", help="Only turns A:B (0-based, B excluded)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Show a session as readable text (or JSON with every turn)."""
    from ctx.cli.common import term_width
    from ctx.cli.render import session_text

    project = open_project()
    s = project.get_session(ident)
    if turns:
        a, _, b = turns.partition(":")
        lo = int(a) if a else 0
        hi = int(b) if b else None
        s.turns = [t for t in (s.turns or []) if t.n >= lo and (hi is None or t.n < hi)]
    if as_json:
        emit_json(s.to_dict())
    else:
        print(session_text(s, min(term_width(), 100)))
    report_problems(project)


@sessions_app.command("edit")
def edit(
    ident: str = typer.Argument(..., help="Session id (or a unique prefix)."),
    title: str | None = typer.Option(None, "--title", help="New title."),
    tag: list[str] | None = typer.Option(None, "--tag", help="Add a tag (repeatable)."),
    untag: list[str] | None = typer.Option(None, "--untag", help="Remove a tag (repeatable)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Retitle or tag a session."""
    project = open_project()
    s = project.edit_session(ident, title=title, add_tags=tag or [], remove_tags=untag or [])
    if as_json:
        emit_json(s.to_dict(with_turns=False))
    else:
        print(f"updated {s.id}")
