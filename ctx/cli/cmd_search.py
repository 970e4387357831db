"""`ctx search` and `ctx index`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ctx.cli.common import JSON_OPT, emit_json, one_line, open_project, report_problems, warn
from ctx.core.errors import CtxError

if TYPE_CHECKING:
    from ctx.search.service import SearchResult
    from ctx.search.types import Hit
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
        print(_no_match(res.query, res.min_relevance))
        return
    _print_hits([(res.project, h) for h in res.hits])
    if res.mode not in ("hybrid",):
        print(f"(mode: {res.mode})")


def _no_match(query: str, floor: float) -> str:
    if floor > 0:
        return (
            f"no good match for {query!r} (nothing reaches relevance {floor:.2f};"
            " --min-relevance 0 shows the nearest anyway)"
        )
    return f"no results for {query!r}"


def _print_hits(pairs: list[tuple[str | None, Hit]]) -> None:
    for i, (project, h) in enumerate(pairs, 1):
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
        if h.superseded_by:
            src += f" (superseded by {', '.join(h.superseded_by)})"
        if h.stale:
            src += " (may be stale)"
        who = (h.author or "").split(" <")[0]
        where = f" on {h.branch}" if h.branch else ""
        prefix = f"[{project}] " if project else ""
        print(f"{i:2}. {prefix}{src}  relevance {h.relevance:.2f}")
        meta = f"    {_when(h.ts)}" + (f" by {who}" if who else "") + where
        if h.kind == "turn" and h.title:
            meta += f" · {one_line(h.title, 50)}"
        print(meta)
        _print_snippet(one_line(h.snippet or h.text, 200))


def _run(project: Project, query: str, opts: dict[str, Any]) -> SearchResult:
    from ctx.cli.progress import IndexProgress
    from ctx.search.service import search as do_search

    reporter = IndexProgress("chunks" if opts.get("mode") != "keyword" else "documents")
    try:
        return do_search(project, query, **opts, progress=reporter)
    finally:
        reporter.finish()


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
        None,
        "--author",
        help="Only hits by this author: like git log --author, a case-insensitive regex"
        ' over "Name <email>".',
    ),
    kind: str | None = typer.Option(None, "--kind", help="memory or turn."),
    limit: int | None = typer.Option(None, "--limit", "-n", help="Number of hits (default 10)."),
    mode: str | None = typer.Option(None, "--mode", "-m", help="hybrid | keyword | semantic"),
    min_relevance: float | None = typer.Option(
        None,
        "--min-relevance",
        help="Hide hits less relevant than this, 0..1 (default search.min_relevance, 0.2).",
    ),
    all_: bool = typer.Option(
        False, "--all", help="Search every project ctx has opened on this machine: one ranking."
    ),
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
    from ctx.core.timeutil import parse_since

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
        "min_relevance": min_relevance,
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
    if not all_:
        if as_json:
            emit_json(results[0].to_dict())
        else:
            _print_result(results[0])
        return
    merged = _merge(results, opts)
    if as_json:
        emit_json(
            {
                "query": query,
                "mode": results[0].mode if results else mode,
                "notice": "; ".join(notices) or None,
                "min_relevance": results[0].min_relevance,
                "hits": [h.to_dict() | {"project": p} for p, h in merged],
            }
        )
    elif merged:
        _print_hits(merged)
    else:
        print(_no_match(query, results[0].min_relevance))


def _merge(results: list[SearchResult], opts: dict[str, Any]) -> list[tuple[str | None, Hit]]:
    from ctx.search.service import merge_results

    return merge_results(results, int(opts["limit"] or 10))


def _search_all(query: str, opts: dict[str, Any]) -> list[SearchResult]:
    from ctx.store.project import Project
    from ctx.store.registry import known_projects

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
            "no projects are known on this machine",
            "run any ctx command (or `ctx init`) in a repository with a .contextfs/ store",
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
                merged = _merge(_search_all(q, opts), opts)
                rec: dict[str, Any] = {
                    "query": q,
                    "hits": [h.to_dict() | {"project": p} for p, h in merged],
                }
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

    from ctx.cli.progress import IndexProgress
    from ctx.search.service import ensure_fresh, open_index

    project = open_project()
    t0 = time.monotonic()
    reporter = None
    if not quiet and not as_json:
        reporter = IndexProgress("documents" if keyword_only else "chunks")
    try:
        upd = ensure_fresh(
            project, reporter, semantic=not keyword_only, rebuild=rebuild, verify=not rebuild
        )
    finally:
        if reporter is not None:
            reporter.finish()
    if upd.rebuilt:
        warn(upd.rebuilt)
    # a current index was answered without the model: do not load it for the numbers either
    idx = open_index(project, semantic=not keyword_only and not upd.unchanged)
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
        if not upd.unchanged and not stats.semantic_available and stats.semantic_reason:
            warn(f"semantic search unavailable: {stats.semantic_reason}")
    report_problems(project)
