"""What the adapters call: open a project's index, keep it fresh, search it.

The CLI, the MCP server and the TUI share these functions. A long-lived process keeps one
SearchIndex (and its loaded model) per project in a small cache, so only the first query pays
for loading the model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.search.freshness import IndexUpdate
from ctx.search.freshness import ensure_fresh as _ensure_fresh
from ctx.search.types import MODES, Hit, RankingConfig, SearchFilters

if TYPE_CHECKING:
    from ctx.search.index import SearchIndex
    from ctx.store.project import Project


@dataclass
class SearchResult:
    hits: list[Hit]
    mode: str  # the mode really used ("keyword" when no model was usable; "recent" for no words)
    notice: str | None = None  # say it once: e.g. semantic search unavailable, index rebuilt
    query: str = ""
    project: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    min_relevance: float = 0.0  # the floor the hits passed

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "notice": self.notice,
            "min_relevance": self.min_relevance,
            "hits": [
                h.to_dict() | ({"project": self.project} if self.project else {}) for h in self.hits
            ],
        }


_CACHE: dict[tuple[str, bool], SearchIndex] = {}
_EMBEDDERS: dict[tuple[str, str, str, int | None], tuple[Any, str | None]] = {}
_EMBEDDERS_LOCK = threading.Lock()


def ranking_from_config(project: Project) -> RankingConfig:
    cfg = project.config
    hl = cfg.get("search", "half_life_days", 90.0)
    weights = cfg.get("search", "type_weights", None)
    r = RankingConfig(half_life_days=float(hl) if hl else None)
    floor = cfg.get("search", "min_relevance", None)
    if isinstance(floor, (int, float)) and not isinstance(floor, bool):
        r.min_relevance = max(0.0, min(1.0, float(floor)))
    if isinstance(weights, dict):
        r.type_weights.update({str(k): float(v) for k, v in weights.items()})
    return r


def load_model(project: Project) -> tuple[Any, str | None]:
    """The configured embedding model, loaded once per process and shared by every project;
    callers holding a lock (the TUI) call it first, so the slow first load happens outside."""
    from ctx.search.embed import try_load_embedder

    cfg = project.config
    threads = int(cfg.get("embedding", "threads", 0) or 0) or None
    ekey = (cfg.embed_model, str(cfg.embed_model_path), cfg.embed_precision, threads)
    with _EMBEDDERS_LOCK:
        if ekey not in _EMBEDDERS:
            _EMBEDDERS[ekey] = try_load_embedder(
                cfg.embed_model,
                cfg.embed_model_path,
                threads=threads,
                precision=cfg.embed_precision,
            )
        return _EMBEDDERS[ekey]


def open_index(project: Project, *, semantic: bool = True) -> SearchIndex:
    """The project's index; with `semantic`, the embedding model is loaded (once per process)."""
    from ctx.search.index import SearchIndex
    from ctx.search.place import index_path

    key = (str(index_path(project.layout)), semantic)
    idx = _CACHE.get(key)
    if idx is not None and Path(idx.db_path).exists():
        if idx.replaced():  # another process rebuilt the file: read the new one
            idx.reopen()
        return idx
    embedder = None
    reason = "keyword mode"
    if semantic:
        embedder, reason_or_none = load_model(project)
        reason = reason_or_none or ""
    idx = SearchIndex(
        index_path(project.layout),
        embedder,
        ranking=ranking_from_config(project),
        embedder_reason=reason or None,
    )
    _CACHE[key] = idx
    return idx


def close_all() -> None:
    for idx in _CACHE.values():
        idx.close()
    _CACHE.clear()


# How long a search waits for another process's index refresh before searching the index
# as it is (and saying so): a search is never blocked behind a long rebuild.
SEARCH_WAIT = 10.0


def ensure_fresh(
    project: Project,
    progress: Callable[[int, int], None] | None = None,
    *,
    semantic: bool = True,
    rebuild: bool = False,
    verify: bool = False,
) -> IndexUpdate:
    """Refresh the project's index (``ctx index``): waits for any other builder;
    ``rebuild`` throws the file away first, ``verify`` checks its pages (quick_check)."""
    if rebuild:
        from ctx.search.buildlock import build_lock
        from ctx.search.db import remove_db_files
        from ctx.search.place import index_path

        path = index_path(project.layout)
        with build_lock(path):
            for flag in (semantic, not semantic):
                idx = _CACHE.pop((str(path), flag), None)
                if idx is not None:
                    idx.close()
            remove_db_files(path)
            return _ensure_fresh(
                project, open_index(project, semantic=semantic), progress, force=True
            )
    if semantic and is_current(project) and (not verify or _pages_ok(project)):
        return IndexUpdate(unchanged=True)  # answered without loading the model
    return _ensure_fresh(project, open_index(project, semantic=semantic), progress, verify=verify)


def is_current(project: Project) -> bool:
    """The index matches the store and has every vector: nothing to do, no model needed."""
    from ctx.search.freshness import is_current as _is_current

    return _is_current(project, open_index(project, semantic=False))


def _pages_ok(project: Project) -> bool:
    """`pragma quick_check` on the index, without the model (a damaged one is rebuilt)."""
    from ctx.search.freshness import _verified

    return _verified(open_index(project, semantic=False))


def _unix(value: datetime | float | None) -> float | None:
    if value is None:
        return None
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _mark_private(project: Project, hits: list[Hit]) -> None:
    """Say which hits are private (the index does not keep that: it can change)."""
    if not hits:
        return
    memories = set(project.private.memory_ids())
    sessions = set(project.private.all_sessions())
    for h in hits:
        h.private = (h.memory_id in memories) if h.kind == "memory" else (h.session_id in sessions)


def _mark_links(project: Project, hits: list[Hit]) -> list[Hit]:
    """Flag memory hits whose cited code changed (may be stale) and rank superseded memories
    below the rest (they stay findable: the history of a decision matters)."""
    ids = [h.memory_id for h in hits if h.kind == "memory" and h.memory_id]
    if not ids:
        return hits
    from ctx.codelinks.staleness import annotate
    from ctx.core.errors import CtxError

    mems = {}
    for mid in ids:
        try:
            mems[mid] = project.get_memory(mid)
        except CtxError:
            continue
    annotate(project, [m for m in mems.values() if m.cites])
    for h in hits:
        m = mems.get(h.memory_id or "")
        if m is not None:
            h.stale = (m.stale or {}).get("status") == "stale"
            h.superseded_by = list(m.superseded_by)
    return sorted(hits, key=lambda h: bool(h.superseded_by))


def search(
    project: Project,
    query: str,
    *,
    mode: str | None = None,
    limit: int | None = None,
    types: list[str] | None = None,
    tags: list[str] | None = None,
    since: datetime | float | None = None,
    until: datetime | float | None = None,
    session: str | None = None,
    tool: str | None = None,
    branch: str | None = None,
    author: str | None = None,
    kind: str | None = None,
    min_relevance: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SearchResult:
    from ctx.core.errors import CtxError
    from ctx.store.memories import check_type

    mode = mode or str(project.config.get("search", "mode", "hybrid"))
    if mode not in MODES:
        raise CtxError(f"unknown search mode '{mode}'", "use hybrid, keyword or semantic")
    if kind not in (None, "memory", "turn"):
        raise CtxError(f"unknown kind '{kind}'", "use memory or turn")
    limit = int(limit if limit is not None else project.config.get("search", "limit", 10))
    if limit < 1:
        raise CtxError("--limit must be at least 1", "e.g. --limit 10")
    limit = min(limit, 1000)
    filters = SearchFilters(
        types=[check_type(t) for t in types] if types else None,
        tags=list(tags) if tags else None,
        since=_unix(since),
        until=_unix(until),
        session_id=project.resolve_session_id(session) if session else None,
        tool=tool,
        branch=branch,
        author=author,
        kind=kind,
    )
    semantic = mode != "keyword"
    idx = open_index(project, semantic=semantic)
    notices = []
    from ctx.search.index import IndexReset

    if min_relevance is not None and not 0.0 <= min_relevance <= 1.0:
        raise CtxError("--min-relevance must be between 0 and 1", "e.g. --min-relevance 0.2")
    for attempt in (0, 1):
        if idx.rebuilt_reason:
            notices.append(idx.rebuilt_reason)
            idx.rebuilt_reason = None
        upd = _ensure_fresh(project, idx, progress, wait=SEARCH_WAIT)
        if upd.rebuilt and upd.rebuilt not in notices:
            notices.append(upd.rebuilt)
            idx.rebuilt_reason = None
        if upd.busy:
            notices.append(
                "another ctx process is updating the index; newest changes may be missing"
            )
        try:
            hits = idx.search(
                query, mode=mode, limit=limit, filters=filters, min_relevance=min_relevance
            )
            break
        except IndexReset:
            if attempt:
                raise
            # the file was damaged: it has been reset; the next round rebuilds it
    _mark_private(project, hits)
    hits = _mark_links(project, hits)
    if idx.last_note:
        notices.append(idx.last_note)
    return SearchResult(
        hits=hits,
        mode=idx.last_mode or mode,
        notice="; ".join(notices) or None,
        query=query,
        min_relevance=idx.ranking.min_relevance if min_relevance is None else min_relevance,
    )


def merge_results(results: list[SearchResult], limit: int) -> list[tuple[str | None, Hit]]:
    """One ranking over several projects' results (`ctx search --all`): by relevance, the
    score that means the same in every project, then by each project's own score."""
    pairs = [(r.project, h) for r in results for h in r.hits]
    pairs.sort(key=lambda ph: (-ph[1].relevance, -ph[1].score))
    return pairs[:limit]
