"""`ctx search` and `ctx index`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ctx.cli.common import JSON_OPT, emit_json, one_line, open_project, report_problems, warn
from ctx.errors import CtxError

if TYPE_CHECKING:
    from ctx.search.service import SearchResult
    from ctx.store.project import Project


def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("index")(index)


def _print_snippet(snippet: str) -> None:
    """Matched words (between « and ») in colour when colour is on; the text itself escaped."""
    from ctx.cli.output import styled, use_color

    if not use_color():
        print("    " + snippet)
        return
    sys.stdout.write("    ")
    for i, part in enumerate(snippet.replace("»", "«").split("«")):
        if i % 2:
            styled(part, "1;33")
        else:
            sys.stdout.write(part)
    sys.stdout.write("\n")


def _when(ts: float) -> str:
    from datetime import datetime, timezone

    if not ts:
        return "-"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _print_result(res: SearchResult) -> None:
    if not res.hits:
        print(f"no results for {res.query!r}")
        return
    for i, h in enumerate(res.hits, 1):
        if h.kind == "memory":
            src = f"memory {h.memory_id} [{h.memory_type}]"
            if h.tags:
                src += " #" + " #".join(h.tags)
        else:
            src = f"session {h.session_id} turn {h.turn_n} ({h.role}, {h.tool})"
            if h.turn_ext_id:
                src += f" id={h.turn_ext_id}"
        if h.private:
            src += " (private)"
        who = (h.author or "").split(" <")[0]
        where = f" on {h.branch}" if h.branch else ""
        prefix = f"[{res.project}] " if res.project else ""
        print(f"{i:2}. {prefix}{src}  score {h.score:.4f}")
        meta = f"    {_when(h.ts)}" + (f" by {who}" if who else "") + where
        if h.kind == "turn" and h.title:
            meta += f" · {one_line(h.title, 50)}"
        print(meta)
        _print_snippet(one_line(h.snippet or h.text, 200))
    if res.mode not in ("hybrid",):
        print(f"(mode: {res.mode})")


def _run(project: Project, query: str, opts: dict[str, Any]) -> SearchResult:
    from ctx.search.service import search as do_search

    return do_search(project, query, **opts)


def search(
    query: str | None = typer.Argument(
        None, help="What to look for (words, a question, an identifier)."
    ),
    type: list[str] | None = typer.Option(
        None, "--type", "-t", help="Only memories of this type (repeatable)."
    ),
    tag: list[str] | None = typer.Option(
        None, "--tag", help="Only hits with this tag (repeatable: all)."
    ),
    since: str | None = typer.Option(None, "--since", help="Newer than: 7d, 12h, 2w or a date."),
    until: str | None = typer.Option(None, "--until", help="Older than: a duration or a date."),
    session: str | None = typer.Option(None, "--session", help="Only turns of this session."),
    tool: str | None = typer.Option(None, "--tool", help="Only turns from sessions of this tool."),
    branch: str | None = typer.Option(None, "--branch", help="Only hits recorded on this branch."),
    author: str | None = typer.Option(
        None, "--author", help="Only hits by this author (as recorded)."
    ),
    kind: str | None = typer.Option(None, "--kind", help="memory or turn."),
    limit: int | None = typer.Option(None, "--limit", "-n", help="Number of hits (default 10)."),
    mode: str | None = typer.Option(None, "--mode", "-m", help="hybrid | keyword | semantic"),
    all_: bool = typer.Option(False, "--all", help="Search every project known on this machine."),
    batch: str | None = typer.Option(
        None,
        "--batch",
        help="Run one query per line of FILE (`-`: stdin); one JSON line out per query.",
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Hybrid search over memories and session turns (keyword + meaning).

    Examples: ctx search "why did we pick RS256" · ctx search parse_jwt_header --mode keyword ·
    ctx search deploy --type procedure --since 30d --json
    """
    from ctx.timeutil import parse_since

    opts: dict[str, Any] = {
        "mode": mode,
        "limit": limit,
        "types": type or None,
        "tags": tag or None,
        "since": parse_since(since) if since else None,
        "until": parse_since(until, option="--until") if until else None,
        "session": session,
        "tool": tool,
        "branch": branch,
        "author": author,
        "kind": kind,
    }
    if batch is not None:
        _batch(batch, opts, all_)
        return
    if query is None:
        raise CtxError("no query given", 'e.g. ctx search "why did we pick RS256"', exit_code=2)
    if all_:
        results = _search_all(query, opts)
    else:
        project = open_project()
        results = [_run(project, query, opts)]
        report_problems(project)
    notices = {r.notice for r in results if r.notice}
    for n in notices:
        warn(n)
    if as_json:
        if all_:
            hits = sorted(
                (h for r in results for h in r.to_dict()["hits"]), key=lambda h: -h["score"]
            )
            emit_json(
                {
                    "query": query,
                    "mode": results[0].mode if results else mode,
                    "notice": "; ".join(notices) or None,
                    "hits": hits[: opts["limit"] or 10],
                }
            )
        else:
            emit_json(results[0].to_dict())
        return
    for r in results:
        if all_ and not r.hits:
            continue
        _print_result(r)


def _search_all(query: str, opts: dict[str, Any]) -> list[SearchResult]:
    from ctx.registry import known_projects
    from ctx.store.project import Project

    out = []
    for root in known_projects():
        try:
            project = Project.open(root)
            r = _run(project, query, {**opts, "session": None} if opts.get("session") else opts)
        except CtxError as err:
            warn(f"{root}: {err.message}")
            continue
        r.project = str(root)
        out.append(r)
    if not out:
        raise CtxError(
            "no projects are registered on this machine", "run `ctx init` in a repository"
        )
    return out


def _batch(source: str, opts: dict[str, Any], all_: bool) -> None:
    from ctx.cli.common import decode_text, json_text, read_stdin

    if source == "-":
        lines = read_stdin("queries").splitlines()
    else:
        try:
            raw = Path(source).read_bytes()
        except OSError as exc:
            raise CtxError(
                f"cannot read batch file {source}: {exc.strerror}",
                "give a text file, one query per line",
            ) from None
        lines = decode_text(raw, f"batch file {source}").splitlines()
    project = None if all_ else open_project()
    for line in lines:
        q = line.strip()
        if not q:
            continue
        try:
            if project is None:
                results = _search_all(q, opts)
                hits = sorted(
                    (h for r in results for h in r.to_dict()["hits"]), key=lambda h: -h["score"]
                )
                rec: dict[str, Any] = {"query": q, "hits": hits[: opts["limit"] or 10]}
            else:
                rec = _run(project, q, opts).to_dict()
        except CtxError as err:
            rec = {"query": q, "error": err.to_dict()}
        sys.stdout.write(json_text(rec) + "\n")
        sys.stdout.flush()


def index(
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Throw the index away and build it again."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output (for hooks)."),
    keyword_only: bool = typer.Option(
        False, "--keyword-only", help="Do not load the embedding model."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Bring the search index up to date with the store (searches do this by themselves too)."""
    import time

    from ctx.search.service import ensure_fresh, open_index

    project = open_project()
    t0 = time.monotonic()
    show = not quiet and not as_json and sys.stderr.isatty()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if not show or total == 0:
            return
        now = time.monotonic()
        if done < total and now - last[0] < 0.1:
            return
        last[0] = now
        width = 30
        fill = int(width * done / total)
        rate = done / max(now - t0, 1e-6)
        sys.stderr.write(
            f"\rindexing [{'#' * fill}{'.' * (width - fill)}] {done}/{total} ({rate:.0f}/s)"
        )
        sys.stderr.flush()

    upd = ensure_fresh(
        project, progress, semantic=not keyword_only, rebuild=rebuild, verify=not rebuild
    )
    if show:
        sys.stderr.write("\n")
    if upd.rebuilt:
        warn(upd.rebuilt)
    idx = open_index(project, semantic=not keyword_only)
    stats = idx.stats()
    elapsed = time.monotonic() - t0
    if as_json:
        emit_json({**upd.to_dict(), "seconds": round(elapsed, 3), "stats": stats.to_dict()})
    elif not quiet:
        if upd.unchanged:
            print(f"index is current ({stats.documents} documents)")
        else:
            print(
                f"indexed {upd.indexed} documents, removed {upd.removed} "
                f"in {elapsed:.1f}s ({stats.documents} documents, {stats.vectors} vectors)"
            )
        if not stats.semantic_available and stats.semantic_reason:
            warn(f"semantic search unavailable: {stats.semantic_reason}")
    report_problems(project)
