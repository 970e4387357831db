"""Hybrid search engine: FTS5 BM25 + sqlite-vec KNN over memories and session turns.

Importing this package is cheap (no numpy, fastembed or onnxruntime until used).
"""

from __future__ import annotations

from ctx.search.embed import Embedder, FastEmbedEmbedder, load_embedder, try_load_embedder
from ctx.search.index import SearchIndex
from ctx.search.types import Hit, IndexDoc, IndexStats, RankingConfig, SearchFilters

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
