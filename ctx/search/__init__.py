"""Hybrid search engine: FTS5 BM25 + sqlite-vec KNN over memories and session turns.

Importing this package is free: names load on first use (PEP 562), so `ctx status`, which
only needs `ctx.search.freshness`, does not pay for the engine (no numpy, fastembed or
onnxruntime in any case until used).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ctx.search.embed import Embedder, FastEmbedEmbedder, load_embedder, try_load_embedder
    from ctx.search.index import SearchIndex
    from ctx.search.types import Hit, IndexDoc, IndexStats, RankingConfig, SearchFilters

_WHERE = {
    "Embedder": "ctx.search.embed",
    "FastEmbedEmbedder": "ctx.search.embed",
    "load_embedder": "ctx.search.embed",
    "try_load_embedder": "ctx.search.embed",
    "SearchIndex": "ctx.search.index",
    "Hit": "ctx.search.types",
    "IndexDoc": "ctx.search.types",
    "IndexStats": "ctx.search.types",
    "RankingConfig": "ctx.search.types",
    "SearchFilters": "ctx.search.types",
}

__all__ = [
    "Embedder",
    "FastEmbedEmbedder",
    "Hit",
    "IndexDoc",
    "IndexStats",
    "RankingConfig",
    "SearchFilters",
    "SearchIndex",
    "load_embedder",
    "try_load_embedder",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
