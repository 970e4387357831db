"""Near-duplicate memories: "similar to m-… (0.91)" when a new memory says what one already says.

With the embedding model on this machine (a configured local path, or a copy already in the
model cache: `memory add` never downloads), the cosine of the two texts' vectors; without it a
cheap lexical score (cosine of word and character-trigram counts). Each has its own threshold,
measured on the labelled pairs in bench/similar_pairs.py (docs/search.md).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ctx.core.models import Memory
    from ctx.store.project import Project

EMBED_THRESHOLD = 0.75
LEXICAL_THRESHOLD = 0.50
MAX_COMPARED = 2000  # the newest memories; older ones are for `ctx search`
_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "we",
        "is",
        "are",
        "be",
        "by",
        "it",
        "this",
        "that",
        "at",
        "as",
        "our",
        "use",
        "uses",
    ]
)


@dataclass
class Similar:
    id: str
    score: float
    method: str  # "embedding" | "lexical"
    content: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _features(text: str) -> Counter[str]:
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOP]
    feats: Counter[str] = Counter(words)
    joined = " ".join(words)
    feats.update("#" + joined[i : i + 3] for i in range(max(0, len(joined) - 2)))
    return feats


def lexical_score(a: str, b: str) -> float:
    fa, fb = _features(a), _features(b)
    dot = sum(v * fb.get(k, 0) for k, v in fa.items())
    na = math.sqrt(sum(v * v for v in fa.values()))
    nb = math.sqrt(sum(v * v for v in fb.values()))
    return dot / (na * nb) if na and nb else 0.0


def _cosine(a: Any, b: Any) -> float:
    import numpy as np

    va, vb = np.asarray(a, dtype="float32"), np.asarray(b, dtype="float32")
    d = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb) / d if d else 0.0


def local_embedder(project: Project) -> Any | None:
    """The embedding model only when it is already on this machine (no download here)."""
    from ctx.search import quantize
    from ctx.search.embed import resolve_model

    cfg = project.config
    name, path = resolve_model(cfg.embed_model, cfg.embed_model_path)
    local = path is not None and (path / "model.onnx").exists()
    if not local and path is None and not quantize.is_ready(quantize.int8_dir(name, None)):
        return None
    from ctx.search.service import load_model

    emb, _reason = load_model(project)
    if emb is None:
        return None
    import apsw

    from ctx.search.embed import CachedEmbedder, EmbeddingCache

    try:  # existing memories are embedded once, then read from the shared vector cache
        cache: EmbeddingCache | None = EmbeddingCache()
    except (OSError, apsw.Error):
        cache = None
    return CachedEmbedder(emb, cache)


def thresholds(project: Project) -> tuple[float, float]:
    """(embedding, lexical) thresholds: `memory.similar_threshold` and
    `memory.similar_lexical_threshold` in the configuration (checked 0..1 when read)."""
    cfg = project.config
    e = cfg.get("memory", "similar_threshold", EMBED_THRESHOLD)
    lx = cfg.get("memory", "similar_lexical_threshold", LEXICAL_THRESHOLD)
    num = (int, float)
    return (
        float(e) if isinstance(e, num) and not isinstance(e, bool) else EMBED_THRESHOLD,
        float(lx) if isinstance(lx, num) and not isinstance(lx, bool) else LEXICAL_THRESHOLD,
    )


def find_similar(
    project: Project,
    text: str,
    candidates: list[Memory],
    *,
    embedder: Any | None = None,
    limit: int = 3,
) -> list[Similar]:
    """The memories among `candidates` whose meaning nearly equals `text`, best first."""
    pool = [m for m in candidates[:MAX_COMPARED] if m.content.strip()]
    if not pool or not text.strip():
        return []
    out: list[Similar] = []
    embed_t, lexical_t = thresholds(project)
    if embedder is not None:
        vecs = embedder.embed_documents([text, *(m.content for m in pool)])
        for m, v in zip(pool, vecs[1:], strict=True):
            s = _cosine(vecs[0], v)
            if s >= embed_t:
                out.append(Similar(m.id, round(s, 3), "embedding", m.content))
    else:
        for m in pool:
            s = lexical_score(text, m.content)
            if s >= lexical_t:
                out.append(Similar(m.id, round(s, 3), "lexical", m.content))
    out.sort(key=lambda s: -s.score)
    return out[:limit]


def similar_to_new(project: Project, memory: Memory) -> list[Similar]:
    """Existing memories (not the new one, not already superseded) that say what it says."""
    try:
        others = [
            m
            for m in project.list_memories()
            if m.id != memory.id and not m.superseded_by and m.id != memory.supersedes
        ]
        if not others:
            return []
        try:
            emb = local_embedder(project)
        except Exception:  # the model is an optimisation here: fall back to words
            emb = None
        try:
            return find_similar(project, memory.content, others, embedder=emb)
        finally:
            cache = getattr(emb, "cache", None)
            if cache is not None:
                cache.close()
    except Exception:  # a suggestion must never fail an add
        return []
