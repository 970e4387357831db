"""Search for the TUI: the same service as `ctx search` and the MCP server, hits made showable."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ctx.search.types import MARK_CLOSE, MARK_OPEN
from ctx.tui.data import Store, author_name, fmt_when, one_line

__all__ = ["MARK_CLOSE", "MARK_OPEN", "HitView", "Searcher"]


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
    """Runs queries through `ctx.search.service` (which brings the index up to date with the
    store first); remembers whether the store changed since, so the screen can say that the
    next query will index new records (the very first may index everything and load the model)."""

    def __init__(self, store: Store, limit: int = 30) -> None:
        self.store = store
        self.limit = limit
        self._fresh_for: tuple[Any, ...] | None = None

    def needs_indexing(self) -> bool:
        return self._fresh_for != self.store.signature()

    def search(self, query: str) -> tuple[list[HitView], str | None]:
        from ctx.search.service import load_model, search

        project = self.store.project
        if str(project.config.get("search", "mode", "hybrid")) != "keyword":
            load_model(project)  # the slow first load, without holding up the other screens
        with self.store.lock:
            sig = self.store.signature()
            self.store.project.refresh()
            result = search(self.store.project, query, limit=self.limit)
            self._fresh_for = sig
        return [HitView.of(h) for h in result.hits], result.notice
