"""`ctx capture` / `ctx append` / `ctx complete`: the manual session API."""

from __future__ import annotations

import typer

from ctx.cli.common import (
    JSON_OPT,
    emit_json,
    open_for_writing,
    open_project,
    plural,
    read_text,
    say_redacted,
    warn,
    warn_large,
)
from ctx.core.errors import CtxError


def register(app: typer.Typer) -> None:
    app.command("capture")(capture)
    app.command("append")(append)
    app.command("complete")(complete)


def capture(
    tool: str = typer.Option("manual", "--tool", help="Which tool the conversation is with."),
    title: str | None = typer.Option(
        None, "--title", help="A title (default: the first user turn)."
    ),
    private: bool = typer.Option(
        False, "--private", help="Keep this session on this machine only."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Start a session; prints its id. Then `ctx append`, then `ctx complete`."""
    project = open_for_writing()
    s = project.start_session(tool, title, private=private)
    if as_json:
        emit_json(s.to_dict(with_turns=False))
    else:
        print(s.id)


def append(
    text: str | None = typer.Argument(
        None, help="The turn's text; `-` (or piped stdin) reads stdin."
    ),
    role: str = typer.Option("user", "--role", "-r", help="user | assistant | tool | system"),
    session: str | None = typer.Option(
        None, "--session", "-s", help="Session id (default: the one `ctx capture` started)."
    ),
    turn_id: str | None = typer.Option(
        None, "--id", help="An external id for this turn (returned by search)."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Add a turn to an open session (redacted before it is written)."""
    project = open_project()
    body = read_text(text, "turn text")
    if not body.strip():
        raise CtxError(  # (`cmd </dev/null | ctx append` would store an empty turn)
            "a turn needs some text (it was empty)",
            "pass the text, or `-` to read it from stdin",
            code="empty_turn",
        )
    turn = project.append_turn(body, role, session_id=session, ext_id=turn_id)
    say_redacted(body)
    from ctx.search.types import EMBED_MAX_CHARS

    if len(turn.text) > EMBED_MAX_CHARS:
        warn(
            f"this turn is {len(turn.text):,} characters: only its first"
            f" {EMBED_MAX_CHARS // 1000} KB is searched by meaning, all of it by keyword"
        )
    if as_json:
        emit_json(turn.to_dict())
    else:
        print(f"turn {turn.n} ({turn.role})")


def complete(
    session: str | None = typer.Option(
        None, "--session", "-s", help="Session id (default: the current one)."
    ),
    exit_status: int | None = typer.Option(
        None, "--exit-status", help="Record the tool's exit status."
    ),
    title: str | None = typer.Option(None, "--title", help="Set the title now."),
    as_json: bool = JSON_OPT,
) -> None:
    """Finish a session: its transcript is written to .contextfs/sessions/ (once)."""
    project = open_project()
    s = project.complete_session(session, exit_status=exit_status, title=title)
    if not s.private:
        warn_large(project, [s.id])
    if as_json:
        emit_json(s.to_dict(with_turns=False))
    else:
        print(f"completed {s.id} ({plural(s.turn_count, 'turn')})")
