"""Fusion of the keyword and vector result lists, then recency and type weighting.

Both retrievers return candidates best first. The default ("score") scales each list's
scores to [0, 1] per query (min-max) and adds them with weights 0.7 keyword / 0.3 vector:
unlike reciprocal rank fusion it keeps *how much* better the top keyword hit is, so an
exact identifier or phrase is not outvoted by a merely similar vector neighbour. RRF is
kept as an option. The numbers behind the choice are in docs/search.md (bench/locomo.py).
"""

from __future__ import annotations

import time

from ctx.search.types import RankingConfig

DAY = 86400.0


def rrf(
    keyword: list[tuple[int, float]],
    semantic: list[tuple[int, float]],
    cfg: RankingConfig,
) -> dict[int, float]:
    """Weighted reciprocal rank fusion: sum of weight / (k + rank) over the lists."""
    out: dict[int, float] = {}
    for weight, results in ((cfg.keyword_weight, keyword), (cfg.semantic_weight, semantic)):
        for rank, (rowid, _score) in enumerate(results, start=1):
            out[rowid] = out.get(rowid, 0.0) + weight / (cfg.rrf_k + rank)
    return out


def _normalise(results: list[tuple[int, float]], how: str) -> dict[int, float]:
    """Scale one list's scores into [0, 1]: "minmax" (relative to the list's range) or
    "max" (relative to the best, so a weak list stays weak)."""
    if not results:
        return {}
    scores = [s for _, s in results]
    hi = max(scores)
    lo = min(scores) if how == "minmax" else 0.0
    span = hi - lo
    return {r: max(0.0, (s - lo) / span) if span > 0 else 1.0 for r, s in results}


def score_fusion(
    keyword: list[tuple[int, float]],
    semantic: list[tuple[int, float]],
    cfg: RankingConfig,
) -> dict[int, float]:
    """Min-max normalise each list's scores (higher is better) and add them, weighted."""
    out: dict[int, float] = {}
    for weight, results in ((cfg.keyword_weight, keyword), (cfg.semantic_weight, semantic)):
        for rowid, s in _normalise(results, cfg.score_norm).items():
            out[rowid] = out.get(rowid, 0.0) + weight * s
    return out


def fuse(
    keyword: list[tuple[int, float]],
    semantic: list[tuple[int, float]],
    cfg: RankingConfig,
) -> dict[int, float]:
    """Dispatch on ``cfg.fusion``; either list may be empty (single-mode search)."""
    if not semantic:
        return dict(keyword)
    if not keyword:
        return dict(semantic)
    if cfg.fusion == "score":
        return score_fusion(keyword, semantic, cfg)
    if cfg.fusion == "rrf":
        return rrf(keyword, semantic, cfg)
    raise ValueError(f"unknown fusion {cfg.fusion!r} (use 'rrf' or 'score')")


def weight(
    score: float,
    *,
    ts: float,
    kind: str,
    memory_type: str | None,
    cfg: RankingConfig,
    now: float | None = None,
) -> float:
    """Apply recency decay (part of the score halves every half-life) and type weights."""
    if cfg.half_life_days and cfg.recency_weight > 0:
        age_days = max(0.0, ((now if now is not None else time.time()) - ts) / DAY)
        decay = 0.5 ** (age_days / cfg.half_life_days)
        score *= (1.0 - cfg.recency_weight) + cfg.recency_weight * decay
    if kind == "memory":
        score *= cfg.type_weights.get(memory_type or "", 1.0)
    else:
        score *= cfg.turn_weight
    return score
