"""`ctx memory add|list|show|edit|rm`: typed memories."""

from __future__ import annotations

import sys

import typer

from ctx.cli.common import (
    JSON_OPT,
    confirm,
    emit_json,
    one_line,
    open_for_writing,
    open_project,
    read_text,
    report_problems,
    say_redacted,
    short_time,
)
from ctx.cli.output import sanitize
from ctx.core.models import MEMORY_TYPES, Memory

memory_app = typer.Typer(
    help="Typed memories: facts, decisions, procedures, preferences, episodes.\n\n"
    "Aliases: ls = list, delete/remove = rm.",
    no_args_is_help=True,
)
TYPES = "|".join(MEMORY_TYPES)


def register(app: typer.Typer) -> None:
    app.add_typer(memory_app, name="memory")


def _stale_mark(m: Memory) -> str:
    st = m.stale or {}
    return "  (may be stale)" if st.get("status") == "stale" else ""


def _print_memory(m: Memory) -> None:
    sup = "  (superseded)" if m.superseded_by else ""
    print(f"{m.id}  {m.type}" + ("  (private)" if m.private else "") + sup + _stale_mark(m))
    if m.tags:
        print(f"tags     {', '.join(m.tags)}")
    if m.cites:
        print(f"cites    {', '.join(m.cites)}")
    st = m.stale or {}
    if st.get("status") == "stale":
        print(f"stale    may be stale: {', '.join(st.get('changed') or [])} changed since")
        for c in st.get("commits") or []:
            print(f"           {str(c.get('commit'))[:10]} {one_line(str(c.get('subject')), 60)}")
    elif st.get("status") == "unknown":
        print("stale    unknown (the memory's commit is not in this history)")
    if m.supersedes:
        print(f"replaces {m.supersedes}")
    if m.superseded_by:
        print(f"replaced by {', '.join(m.superseded_by)}")
    print(f"author   {m.author}")
    print(f"created  {short_time(m.created_at)} on {m.branch or '-'} at {(m.commit or '-')[:10]}")
    if m.updated_at != m.created_at:
        print(f"updated  {short_time(m.updated_at)}")
    if m.source_session:
        turn = f" turn {m.source_turn}" if m.source_turn is not None else ""
        print(f"source   {m.source_session}{turn}")
    print()
    print(m.content)


@memory_app.command("add")
def add(
    content: str | None = typer.Argument(
        None, help="The memory text; `-` (or piped stdin) reads stdin."
    ),
    type: str = typer.Option("fact", "--type", "-t", help=f"One of {TYPES}."),
    tag: list[str] | None = typer.Option(None, "--tag", help="A tag (repeat, or comma-separated)."),
    session: str | None = typer.Option(None, "--session", help="Source session id (or prefix)."),
    turn: int | None = typer.Option(None, "--turn", help="Source turn number in that session."),
    private: bool = typer.Option(
        False, "--private", help="Keep it on this machine, never committed."
    ),
    cite: list[str] | None = typer.Option(
        None, "--cite", help="Code it is about: PATH or PATH:START-END (repeatable)."
    ),
    supersedes: str | None = typer.Option(
        None, "--supersedes", help="The memory this one replaces (id or prefix)."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Add a memory.

    Example: ctx memory add -t decision --tag auth "We sign JWTs with RS256 so services verify
    with the public key only."
    """
    project = open_for_writing()
    text = read_text(content, "memory text")
    m = project.add_memory(
        text,
        type,
        tag or [],
        source_session=session,
        source_turn=turn,
        private=private,
        cites=cite or None,
        supersedes=supersedes,
    )
    say_redacted(text)
    from ctx.search.similar import similar_to_new

    similar = similar_to_new(project, m)
    if not as_json:
        print(m.id, flush=True)
    for s in similar:
        sys.stderr.write(
            sanitize(f"ctx: similar to {s.id} ({s.score:.2f}): {one_line(s.content, 60)}") + "\n"
        )
    if similar and not as_json:
        sys.stderr.write(f"ctx: if it replaces it: ctx memory add --supersedes {similar[0].id} …\n")
    if as_json:
        emit_json({**m.to_dict(), "similar": [s.to_dict() for s in similar]})
    report_problems(project)


@memory_app.command("list")
def list_(
    type: str | None = typer.Option(None, "--type", "-t", help=f"Only this type ({TYPES})."),
    tag: list[str] | None = typer.Option(
        None, "--tag", help="Only memories with this tag (repeatable: all must match)."
    ),
    since: str | None = typer.Option(None, "--since", help="Created since: 7d, 12h, 2w or a date."),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="At most this many."),
    as_json: bool = JSON_OPT,
) -> None:
    """List memories, newest first."""
    from ctx.core.timeutil import parse_since

    project = open_project()
    mems = project.list_memories(
        type=type, tag=tag or None, since=parse_since(since) if since else None
    )
    if limit:
        mems = mems[:limit]
    from ctx.codelinks.staleness import annotate

    annotate(project, mems)
    if as_json:
        emit_json([m.to_dict() for m in mems])
    else:
        if not mems:
            print(
                "no memories"
                + (" match" if (type or tag or since) else " yet: add one with `ctx memory add`")
            )
        for m in mems:
            tags = f" [{','.join(m.tags)}]" if m.tags else ""
            priv = " (private)" if m.private else ""
            sup = " (superseded)" if m.superseded_by else ""
            print(
                f"{m.id}  {m.type:10} {short_time(m.created_at)}  "
                f"{one_line(m.content, 60)}{tags}{priv}{sup}{_stale_mark(m)}"
            )
    report_problems(project)


@memory_app.command("show")
def show(
    ident: str = typer.Argument(..., help="Memory id (or a unique prefix)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Show one memory in full."""
    from ctx.codelinks.staleness import annotate

    project = open_project()
    m = project.get_memory(ident)
    annotate(project, [m])
    if as_json:
        emit_json(m.to_dict())
    else:
        _print_memory(m)
    report_problems(project)


@memory_app.command("edit")
def edit(
    ident: str = typer.Argument(..., help="Memory id (or a unique prefix)."),
    content: str | None = typer.Option(None, "--content", "-c", help="New text; `-` reads stdin."),
    type: str | None = typer.Option(None, "--type", "-t", help=f"New type ({TYPES})."),
    tags: str | None = typer.Option(
        None, "--tags", help="Replace all tags (comma-separated; '' clears)."
    ),
    tag: list[str] | None = typer.Option(None, "--tag", help="Add a tag (repeatable)."),
    untag: list[str] | None = typer.Option(None, "--untag", help="Remove a tag (repeatable)."),
    cite: list[str] | None = typer.Option(None, "--cite", help="Add a cite (repeatable)."),
    uncite: list[str] | None = typer.Option(None, "--uncite", help="Remove a cite (repeatable)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Change a memory's text, type or tags (each field merges separately across clones).

    With no option, opens the text in $VISUAL / $EDITOR (else vi); saving it unchanged, or
    empty, changes nothing.
    """
    project = open_for_writing()
    new_content = read_text(content, "content") if content is not None else None
    if content is None and type is None and tags is None and not (tag or untag or cite or uncite):
        from ctx.cli.editor import edit_text

        new_content = edit_text(project.get_memory(ident).content)
        if new_content is None:
            print("no change")
            return
    m = project.edit_memory(
        ident,
        content=new_content,
        type=type,
        tags=[t for t in tags.split(",") if t.strip()] if tags is not None else None,
        add_tags=tag or [],
        remove_tags=untag or [],
        add_cites=cite or [],
        remove_cites=uncite or [],
    )
    say_redacted(new_content)
    if as_json:
        emit_json(m.to_dict())
    else:
        print(f"updated {m.id}")
    report_problems(project)


@memory_app.command("rm")
def rm(
    idents: list[str] = typer.Argument(..., help="Memory ids (or unique prefixes)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = JSON_OPT,
) -> None:
    """Remove memories (the removal reaches every clone; `ctx forget` also blocks re-import)."""
    project = open_project()
    for i in idents:
        project.get_memory(i)  # an unknown id fails before anything is asked or removed
    confirm(f"Remove {', '.join(idents)} (in every clone after the next sync)?", yes, "memory rm")
    removed = [project.remove_memory(i) for i in idents]
    if as_json:
        emit_json({"removed": [m.id for m in removed]})
    else:
        for m in removed:
            print(f"removed {m.id}")
    report_problems(project)


# the names git and gh users type without thinking (hidden: the listing stays short)
memory_app.command("ls", hidden=True, help="List memories (alias of list).")(list_)
memory_app.command("delete", hidden=True, help="Remove memories (alias of rm).")(rm)
memory_app.command("remove", hidden=True, help="Remove memories (alias of rm).")(rm)


@memory_app.command("review")
def review(as_json: bool = JSON_OPT) -> None:
    """Walk the memories whose cited code changed since they were written.

    On a terminal, for each: keep (still true: re-anchored at HEAD), edit, supersede (write
    the memory that replaces it) or remove. With --json, or without a terminal, list them.
    """
    from ctx.codelinks.staleness import annotate

    project = open_project()
    mems = [m for m in project.list_memories() if m.cites and not m.superseded_by]
    annotate(project, mems)
    stale = [m for m in mems if (m.stale or {}).get("status") == "stale"]
    if as_json or not (sys.stdin.isatty() and sys.stdout.isatty()):
        if as_json:
            emit_json([m.to_dict() for m in stale])
        else:
            for m in stale:
                changed = ", ".join((m.stale or {}).get("changed") or [])
                print(f"{m.id}  {m.type:10} {one_line(m.content, 50)}  (changed: {changed})")
            if not stale:
                print("no memory may be stale")
        report_problems(project)
        return
    if not stale:
        print("no memory may be stale")
        return
    for i, m in enumerate(stale, 1):
        print(f"\n[{i}/{len(stale)}] ", end="")
        _print_memory(m)
        choice = ""
        while choice not in ("k", "e", "s", "r", "q"):
            sys.stderr.write("keep / edit / supersede / remove / quit? [k/e/s/r/q] ")
            sys.stderr.flush()
            choice = (sys.stdin.readline() or "q").strip().lower()[:1]
        if choice == "q":
            break
        if choice == "k":
            project.edit_memory(m.id, reanchor=True)
            print(f"kept {m.id}")
        elif choice == "e":
            from ctx.cli.editor import edit_text

            new = edit_text(m.content)
            project.edit_memory(m.id, content=new, reanchor=True)
            print(f"updated {m.id}")
        elif choice == "s":
            from ctx.cli.editor import edit_text

            new = edit_text(m.content)
            if new is None:
                print("no change")
                continue
            n = project.add_memory(
                new, m.type, m.tags, private=m.private, cites=m.cites, supersedes=m.id
            )
            print(f"{n.id} supersedes {m.id}")
        elif choice == "r":
            project.remove_memory(m.id)
            print(f"removed {m.id}")
    report_problems(project)
