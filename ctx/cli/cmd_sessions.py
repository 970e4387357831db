"""`ctx sessions list|show|edit`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from ctx.cli.common import JSON_OPT, emit_json, one_line, open_project, report_problems, short_time

if TYPE_CHECKING:
    from ctx.core.models import Session

sessions_app = typer.Typer(
    help="Captured and imported sessions.\n\nAlias: ls = list.", no_args_is_help=True
)


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
    from ctx.core.timeutil import parse_since

    project = open_project()
    sessions = project.list_sessions(
        tool=tool,
        since=parse_since(since) if since else None,
        branch=branch,
        include_failed=all_,
        limit=limit,
    )
    if as_json:
        emit_json([_summary(s) for s in sessions])
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
            state += " (private)" if s.private else ""
            turns = "turn " if s.turn_count == 1 else "turns"
            print(
                f"{s.id}  {short_time(s.started_at)}  {s.tool:8} {s.turn_count:4} {turns} "
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
        lo, hi = _turn_range(turns)
        s.turns = [t for t in (s.turns or []) if t.n >= lo and (hi is None or t.n < hi)]
    if as_json:
        emit_json(s.to_dict())
    else:
        print(session_text(s, min(term_width(), 100)))
    report_problems(project)


def _summary(s: Session) -> dict[str, Any]:
    """A listed session: what the store's summary holds. `cwd`, `command` and `meta` live in
    the transcript header, so `sessions show` gives them; a listing leaves them out rather
    than print null or {} for values it did not read."""
    d = s.to_dict(with_turns=False)
    for key in ("cwd", "command", "meta"):
        d.pop(key, None)
    return d


def _turn_range(spec: str) -> tuple[int, int | None]:
    """`A:B`, `A:`, `:B` or `N` (just turn N) as a half-open range; anything else is refused."""
    from ctx.core.errors import CtxError

    a, colon, b = spec.partition(":")
    try:
        lo = int(a) if a.strip() else 0
        hi = int(b) if b.strip() else None
    except ValueError:
        raise CtxError(
            f"invalid --turns '{spec}'",
            "give a range A:B of turn numbers (0-based, B excluded), e.g. --turns 10:20",
            exit_code=2,
            code="usage",
        ) from None
    if not colon:
        hi = lo + 1
    if lo < 0 or (hi is not None and hi < 0):
        raise CtxError(
            f"invalid --turns '{spec}'", "turn numbers start at 0", exit_code=2, code="usage"
        )
    return lo, hi


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
        emit_json(_summary(s))
    else:
        print(f"updated {s.id}")


@sessions_app.command("retitle")
def retitle(
    ident: str = typer.Argument(..., help="Session id (or a unique prefix)."),
    title: str = typer.Argument(..., help="The new title."),
    as_json: bool = JSON_OPT,
) -> None:
    """Give a session a title (shared through the CRDT state: concurrent retitles merge)."""
    if not title.strip():
        from ctx.core.errors import CtxError

        raise CtxError("the title is empty", "give the new title as text", exit_code=2)
    project = open_project()
    s = project.edit_session(ident, title=title.strip(), add_tags=[], remove_tags=[])
    if as_json:
        emit_json(_summary(s))
    else:
        print(f"{s.id}  {s.title}")


sessions_app.command("ls", hidden=True, help="List sessions (alias of list).")(list_)
