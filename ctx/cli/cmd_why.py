"""`ctx why FILE[:LINE[-LINE]]` and `ctx log [PATH…]`: context linked to code."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ctx.cli.common import JSON_OPT, emit_json, open_project, short_time

if TYPE_CHECKING:
    from ctx.codelinks.why import WhyResult


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
    from ctx.codelinks.why import why as run_why

    project = open_project()
    cwd = Path(state.cwd).resolve() if state.cwd else Path.cwd()
    result = run_why(project, target, cwd=cwd)
    if as_json:
        emit_json(result.to_dict())
        return
    for line in render_why(result):
        print(line)


def render_why(r: WhyResult) -> list[str]:
    from ctx.cli.common import one_line

    where = r.path + (f":{r.start}" + (f"-{r.end}" if r.end != r.start else "") if r.start else "")
    out = [where]
    if r.uncommitted_lines:
        out.append(f"  not committed yet: line(s) {_ranges(r.uncommitted_lines)}")
    for c in r.commits:
        out.append(
            f"  {c.sha[:10]}  {c.date[:10]}  {one_line(c.author, 30)}  {one_line(c.summary, 50)}"
            f"  (line {_ranges(c.lines)})"
        )
    if not r.sessions:
        out.append("no session is linked to these lines")
    for s in r.sessions:
        out.append(
            f"session {s.id}  {one_line(s.title or '(untitled)', 50)}  {s.tool}, "
            f"{one_line(s.author, 30)}, {short_time(s.started_at)} — {s.how}"
        )
        for t in s.turns:
            mark = f"  <- wrote line {_ranges(t.wrote)}" if t.wrote else ""
            out.append(f"    turn {t.n} {t.role}: {one_line(t.text, 70)}{mark}")
    if r.memories:
        out.append("memories:")
        for m in r.memories:
            out.append(
                f"  {m.id}  [{m.type}] {one_line(m.content, 70)}  "
                f"({one_line(m.author, 24)}, {short_time(m.created_at)}) — {m.how}"
            )
    return out


def _ranges(nums: list[int]) -> str:
    ordered = sorted(set(nums))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ", ".join(parts)


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
    from ctx.codelinks.history import filter_entries, history
    from ctx.codelinks.why import repo_relative
    from ctx.core.timeutil import parse_since

    project = open_project()
    cwd = Path(state.cwd).resolve() if state.cwd else Path.cwd()
    rels = [repo_relative(project, p, cwd) for p in paths or []]
    entries = history(project)
    when = parse_since(since) if since else None
    entries = filter_entries(project, entries, rels, author=author, since=when, kind_type=type_)
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
