"""Plain dataclasses of the search engine: what goes in (IndexDoc), what comes out (Hit)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MODES = ("hybrid", "keyword", "semantic")
KINDS = ("memory", "turn")
# Marks around matched terms in Hit.snippet (documented in docs/search.md).
MARK_OPEN = "«"
MARK_CLOSE = "»"
# Size cap (docs/search.md): only the first this many characters of a memory or turn are
# embedded; all of its text is keyword-indexed. A 5 MB paste would otherwise be ~6,000
# chunks, minutes of model time on two cores, for one document.
EMBED_MAX_CHARS = 16_000
OVERSIZED_KEY = "oversized_docs"  # index meta: {doc_id: characters} of documents over the cap


@dataclass
class IndexDoc:
    """One searchable document: a memory ("m:<id>") or a session turn ("t:<session>:<n>")."""

    doc_id: str
    kind: str  # "memory" | "turn"
    text: str
    ts: float  # unix seconds (memory updated_at / turn time or session start)
    fingerprint: str  # content hash from the store; unchanged => not re-indexed
    memory_type: str | None = None
    tags: list[str] = field(default_factory=list)
    session_id: str | None = None
    turn_n: int | None = None
    turn_ext_id: str | None = None  # external turn id, returned in hits
    role: str | None = None
    tool: str | None = None
    branch: str | None = None
    author: str | None = None
    title: str | None = None


@dataclass
class SearchFilters:
    """Restrictions applied inside candidate generation, so `limit` hits still come back.

    ``types`` keeps memories of those types; ``tags`` keeps documents carrying every
    listed tag; ``since``/``until`` are unix seconds (inclusive); ``session_id`` is an id
    or an id prefix; the rest are exact matches.
    """

    types: list[str] | None = None
    tags: list[str] | None = None
    since: float | None = None
    until: float | None = None
    session_id: str | None = None
    tool: str | None = None
    branch: str | None = None
    author: str | None = None
    kind: str | None = None  # "memory" | "turn" | None

    def is_empty(self) -> bool:
        return not any(
            v not in (None, [], "")
            for v in (
                self.types,
                self.tags,
                self.since,
                self.until,
                self.session_id,
                self.tool,
                self.branch,
                self.author,
                self.kind,
            )
        )


@dataclass
class Hit:
    doc_id: str
    kind: str
    score: float
    text: str
    snippet: str  # matched terms between « and »; semantic-only hits show the best chunk
    memory_id: str | None = None
    session_id: str | None = None
    turn_n: int | None = None
    turn_ext_id: str | None = None
    memory_type: str | None = None
    tags: list[str] = field(default_factory=list)
    ts: float = 0.0
    author: str | None = None
    branch: str | None = None
    tool: str | None = None
    title: str | None = None
    role: str | None = None
    matched: list[str] = field(default_factory=list)  # "keyword", "semantic": who found it
    private: bool = False  # a private memory or session (kept on this machine)
    # 0..1, comparable across modes, queries and projects (docs/search.md): the larger of the
    # share of the query's words the text holds (IDF-weighted) and the best chunk's cosine
    # similarity to the query. Hits below RankingConfig.min_relevance are not returned.
    relevance: float = 0.0
    stale: bool = False  # a memory whose cited code changed since (ctx/codelinks/staleness.py)
    superseded_by: list[str] = field(default_factory=list)  # ranked below what replaces it

    @property
    def id(self) -> str:
        """The record id a user passes back to ctx (memory id, or session id for a turn)."""
        return self.memory_id or self.session_id or self.doc_id

    def to_dict(self) -> dict[str, Any]:
        from ctx.core.timeutil import from_unix_iso

        d = asdict(self)
        d["id"] = self.id
        d["ts"] = from_unix_iso(self.ts)  # ISO-8601 UTC, like every other time in ctx's JSON
        return d


@dataclass
class RankingConfig:
    """How keyword and vector results are fused and re-weighted (see docs/search.md)."""

    # "score": each list's scores min-max normalised per query, then a weighted sum;
    # "rrf": reciprocal rank fusion. The default won on LoCoMo (docs/search.md).
    fusion: str = "score"
    rrf_k: float = 60.0
    score_norm: str = "minmax"  # for fusion="score": "minmax" or "max"
    keyword_weight: float = 0.7
    semantic_weight: float = 0.3
    candidates: int = 100  # per retriever, before fusion
    half_life_days: float | None = 90.0  # None: no recency decay
    recency_weight: float = 0.3  # share of the score subject to decay (old hits keep 1 - w)
    type_weights: dict[str, float] = field(
        default_factory=lambda: {
            "decision": 1.15,
            "fact": 1.1,
            "procedure": 1.1,
            "preference": 1.05,
            "episode": 1.0,
        }
    )
    turn_weight: float = 1.0
    # Hits whose relevance (Hit.relevance) is below this are dropped: an unrelated query
    # gets "no good match" instead of the nearest neighbours. 0 disables the floor.
    min_relevance: float = 0.2
    # A turn is indexed with its conversational neighbourhood (ctx.search.context): the
    # tails of `context_before` turns before it and the head of `context_after` turns after
    # it, `context_chars` characters each, in a low-weight FTS column; and, when
    # `embed_context_chars` > 0, embedded together with the tail of the previous turn.
    # These shape the index: changing them rebuilds it.
    context_before: int = 2
    context_after: int = 1
    context_chars: int = 300
    embed_context_chars: int = 0
    context_weight: float = 0.5  # BM25 weight of that context column (the text's is 1.0)


@dataclass
class IndexStats:
    db_path: str
    size_bytes: int
    documents: int
    memories: int
    turns: int
    chunks: int
    vectors: int
    pending_embeddings: int  # documents still without a vector for the current model
    model: str | None
    dim: int | None
    vector_available: bool  # sqlite-vec loaded
    semantic_available: bool  # vectors and a model: hybrid/semantic search work
    semantic_reason: str | None  # why not, when not
    rebuilt_reason: str | None  # set when an unusable index file was thrown away on open
    schema: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
