"""Search for the TUI: the same service as `ctx search` and the MCP server, hits made showable."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ctx.tui.data import Store, author_name, fmt_when, one_line

MARK_OPEN, MARK_CLOSE = "«", "»"


@dataclass(frozen=True)
class HitView:
    """One search result as the search screen lists it: what matched and where it came from."""

    kind: str  # "memory" | "turn"
    snippet: str  # matched terms between « and »
    source: str  # one line: memory type and tags, or session title, turn and role
    when: str
    memory_id: str | None = None
    session_id: str | None = None
    turn_n: int | None = None
    score: float = 0.0

    @classmethod
    def of(cls, hit: Any) -> HitView:
        when = ""
        if getattr(hit, "ts", None):
            when = fmt_when(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(hit.ts))))
        who = author_name(getattr(hit, "author", None))
        if hit.kind == "memory":
            tags = " ".join(f"#{t}" for t in (hit.tags or []))
            bits = [hit.memory_type or "memory", tags, who, hit.memory_id or ""]
        else:
            turn = f"turn {hit.turn_n}" + (f" ({hit.role})" if hit.role else "")
            bits = [
                one_line(hit.title or "(untitled session)", 60),
                turn,
                hit.tool or "",
                hit.branch or "",
                who,
            ]
        return cls(
            kind=hit.kind,
            snippet=one_line(hit.snippet or hit.text or "", 400),
            source=" · ".join(b for b in bits if b),
            when=when,
            memory_id=hit.memory_id,
            session_id=hit.session_id,
            turn_n=hit.turn_n,
            score=float(hit.score or 0.0),
        )


class Searcher:
    """Runs queries through `ctx.search.service`, bringing the index up to date first when the
    store changed (the first query of a session may index everything, so it says so)."""

    def __init__(self, store: Store, limit: int = 30) -> None:
        self.store = store
        self.limit = limit
        self._fresh_for: tuple[Any, ...] | None = None

    def needs_indexing(self) -> bool:
        return self._fresh_for != self.store.signature()

    def search(self, query: str) -> tuple[list[HitView], str | None]:
        try:
            from ctx.search.service import ensure_fresh, search
        except ModuleNotFoundError as exc:  # TEMPORARY until the service lands
            if exc.name != "ctx.search.service":
                raise
            return _substring_search(self.store, query, self.limit)

        with self.store.lock:
            project = self.store.project
            sig = self.store.signature()
            if sig != self._fresh_for:
                project.refresh()
                ensure_fresh(project)
                self._fresh_for = sig
            result = search(project, query, limit=self.limit)
        return [HitView.of(h) for h in result.hits], result.notice


def _substring_search(store: Store, query: str, limit: int) -> tuple[list[HitView], str | None]:
    """TEMPORARY stand-in while ctx.search.service does not exist yet."""
    from types import SimpleNamespace

    q = query.lower().strip()
    hits: list[HitView] = []
    if not q:
        return hits, None

    def snip(text: str) -> str:
        i = text.lower().find(q)
        a = max(0, i - 60)
        return (
            text[a:i] + MARK_OPEN + text[i : i + len(q)] + MARK_CLOSE + text[i + len(q) : i + 200]
        )

    for m in store.memories():
        if q in m.content.lower():
            hits.append(
                HitView.of(
                    SimpleNamespace(
                        kind="memory",
                        snippet=snip(m.content),
                        text=m.content,
                        tags=m.tags,
                        memory_type=m.type,
                        memory_id=m.id,
                        author=m.author,
                        ts=None,
                        score=1.0,
                        session_id=None,
                        turn_n=None,
                    )
                )
            )
    for row in store.session_rows():
        s = store.session(row.id)
        for t in s.turns or []:
            if q in t.text.lower():
                hits.append(
                    HitView.of(
                        SimpleNamespace(
                            kind="turn",
                            snippet=snip(t.text),
                            text=t.text,
                            title=s.title,
                            turn_n=t.n,
                            role=t.role,
                            tool=s.tool,
                            branch=s.branch,
                            author=s.author,
                            ts=None,
                            session_id=s.id,
                            memory_id=None,
                            score=1.0,
                        )
                    )
                )
            if len(hits) >= limit:
                return hits, "substring search (the search service is not available yet)"
    return hits, "substring search (the search service is not available yet)"
