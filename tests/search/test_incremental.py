"""Incremental indexing: fingerprints, deletes, the embedding cache, the no-model fallback."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ctx.search import SearchIndex

from .conftest import CORPUS, CountingEmbedder, memory, turn


def test_unchanged_fingerprints_are_skipped(tmp_path: Path, counting: CountingEmbedder) -> None:
    idx = SearchIndex(tmp_path / "i.db", counting)
    progress: list[tuple[int, int]] = []
    assert idx.upsert(CORPUS, progress=lambda d, t: progress.append((d, t))) == len(CORPUS)
    assert progress[-1] == (len(CORPUS), len(CORPUS))
    computed = counting.documents
    assert computed >= len(CORPUS)
    assert idx.upsert(CORPUS) == 0
    assert counting.documents == computed  # nothing re-embedded
    changed = dataclasses.replace(
        CORPUS[1], text="We chose SQLite for the cache.", fingerprint="x2"
    )
    new = memory("new", "Every release gets a changelog entry.")
    assert idx.upsert([changed, new, *CORPUS[2:]]) == 2
    fps = idx.fingerprints()
    assert fps["m:db"] == "x2" and "m:new" in fps and len(fps) == len(CORPUS) + 1
    assert set(idx.fingerprints("t:s1:")) == {"t:s1:0", "t:s1:1"}
    assert set(idx.fingerprints("m:")) == {d for d in fps if d.startswith("m:")}
    # The old text is gone from both retrievers, the new one is found.
    assert idx.search("PostgreSQL JSONB", mode="keyword") == []
    assert idx.search("SQLite cache", mode="keyword")[0].doc_id == "m:db"
    assert idx.stats().documents == len(CORPUS) + 1
    idx.close()


def test_delete(tmp_path: Path, counting: CountingEmbedder) -> None:
    idx = SearchIndex(tmp_path / "i.db", counting)
    idx.upsert(CORPUS)
    before = idx.stats()
    assert idx.delete(["m:db", "t:s1:0", "m:nope"]) == 2
    after = idx.stats()
    assert after.documents == before.documents - 2
    assert after.vectors == before.vectors - 2 and after.chunks == before.chunks - 2
    assert idx.search("PostgreSQL", mode="keyword") == []
    assert "t:s1:0" not in {h.doc_id for h in idx.search("parse_jwt_header", limit=20)}
    assert "m:db" not in {h.doc_id for h in idx.search("which database", mode="semantic", limit=20)}
    assert idx.delete([]) == 0
    assert "m:db" not in idx.fingerprints()
    idx.close()


def test_meta_roundtrip(tmp_path: Path) -> None:
    idx = SearchIndex(tmp_path / "i.db", None)
    assert idx.get_meta("synced_at") is None
    idx.set_meta("synced_at", "123")
    idx.set_meta("synced_at", "456")
    idx.close()
    idx = SearchIndex(tmp_path / "i.db", None)
    assert idx.get_meta("synced_at") == "456"
    idx.close()


def test_embedding_cache_survives_a_rebuild(tmp_path: Path, counting: CountingEmbedder) -> None:
    db = tmp_path / "i.db"
    idx = SearchIndex(db, counting)
    idx.upsert(CORPUS)
    idx.close()
    calls, docs = counting.document_calls, counting.documents
    assert docs >= len(CORPUS)
    for p in tmp_path.glob("i.db*"):
        p.unlink()  # `ctx index --rebuild` or a fresh clone: the index is gone
    idx = SearchIndex(db, counting)
    assert idx.upsert(CORPUS) == len(CORPUS)
    assert (counting.document_calls, counting.documents) == (calls, docs)  # model not asked
    assert (
        idx.search("why did we pick RS256", mode="semantic", min_relevance=0)[0].doc_id == "m:jwt"
    )
    idx.close()
    # A different model must not reuse those vectors.
    other = CountingEmbedder(counting.inner, name="another/model")
    idx = SearchIndex(db, other)
    assert idx.stats().pending_embeddings == len(CORPUS)  # model change invalidated vectors
    idx.upsert(CORPUS)
    assert other.documents >= len(CORPUS)
    assert idx.stats().pending_embeddings == 0
    idx.close()


def test_no_model_falls_back_to_keyword_and_says_so(
    tmp_path: Path, counting: CountingEmbedder
) -> None:
    db = tmp_path / "i.db"
    idx = SearchIndex(db, None, embedder_reason="model not downloaded")
    assert idx.upsert(CORPUS) == len(CORPUS)
    assert not idx.semantic_available
    for mode in ("hybrid", "semantic"):
        hits = idx.search("parse_jwt_header", mode=mode)
        assert hits[0].doc_id == "t:s1:0"
        assert idx.last_mode == "keyword"
        assert idx.last_note is not None and "model not downloaded" in idx.last_note
    st = idx.stats()
    assert not st.semantic_available and st.semantic_reason == "model not downloaded"
    assert st.vectors == 0
    idx.close()
    # A model shows up later: unchanged documents get their vectors on the next upsert.
    idx = SearchIndex(db, counting)
    assert idx.stats().pending_embeddings == len(CORPUS)
    assert idx.upsert(CORPUS) == 0  # nothing changed...
    assert idx.stats().pending_embeddings == 0  # ...but the vectors were filled in
    assert (
        idx.search("why did we pick RS256", mode="semantic", min_relevance=0)[0].doc_id == "m:jwt"
    )
    idx.close()


def test_vector_extension_missing_means_keyword_only(
    tmp_path: Path, counting: CountingEmbedder, monkeypatch: object
) -> None:
    import pytest

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    mp.setenv("CTX_DISABLE_VEC", "1")
    idx = SearchIndex(tmp_path / "i.db", counting)
    idx.upsert(CORPUS)
    assert not idx.semantic_available and "sqlite-vec" in (idx.semantic_reason or "")
    hits = idx.search("parse_jwt_header")
    assert hits[0].doc_id == "t:s1:0" and idx.last_mode == "keyword"
    assert counting.documents == 0  # no vectors computed for nothing
    idx.close()


def test_neighbouring_turns_are_context(tmp_path: Path, counting: CountingEmbedder) -> None:
    idx = SearchIndex(tmp_path / "i.db", counting)
    idx.upsert(
        [
            turn("q", 0, "Which book would you recommend about distributed consensus?"),
            turn("q", 1, "Definitely 'Designing Data-Intensive Applications' by Kleppmann."),
        ]
    )
    hits = idx.search("book recommendation consensus", mode="keyword", limit=2)
    assert {h.doc_id for h in hits} == {"t:q:0", "t:q:1"}  # the reply is found by its question
    assert hits[0].doc_id == "t:q:0"  # but the turn that says it ranks first
    hits = idx.search("Kleppmann", mode="keyword", limit=3)
    assert [h.doc_id for h in hits] == ["t:q:1", "t:q:0"]  # the question, by its answer
    # A turn indexed later becomes the "after" context of the turns already there...
    idx.upsert([turn("q", 2, "Thanks! Ordering the paperback now.")])
    hits = idx.search("paperback", mode="keyword", limit=3)
    assert [h.doc_id for h in hits] == ["t:q:2", "t:q:1"]
    # ...and finds its own predecessors (two turns back) as "before" context.
    hits = idx.search("consensus", mode="keyword", limit=3)
    assert {h.doc_id for h in hits} == {"t:q:0", "t:q:1", "t:q:2"}
    assert hits[0].doc_id == "t:q:0"
    idx.close()


def test_changed_indexing_settings_rebuild(tmp_path: Path) -> None:
    from ctx.search import RankingConfig

    idx = SearchIndex(tmp_path / "i.db", None)
    idx.upsert(CORPUS)
    idx.close()
    idx = SearchIndex(tmp_path / "i.db", None, ranking=RankingConfig(context_chars=0))
    assert idx.rebuilt_reason and "settings changed" in idx.rebuilt_reason
    assert idx.stats().documents == 0 and idx.fingerprints() == {}
    idx.close()
    # Search-time settings do not rebuild.
    idx = SearchIndex(tmp_path / "i.db", None, ranking=RankingConfig(context_chars=0, rrf_k=10))
    assert idx.rebuilt_reason is None
    idx.close()


def test_another_process_writes_are_seen_by_a_warm_index(
    tmp_path: Path, counting: CountingEmbedder
) -> None:
    db = tmp_path / "i.db"
    reader = SearchIndex(db, counting)
    reader.upsert(CORPUS)
    reader.warm()  # in-memory vectors, as in a long-running MCP server
    assert reader.vs is not None and reader.vs.mirror is not None
    writer = SearchIndex(db, counting)  # e.g. `ctx index` in another process
    writer.upsert([memory("k8s", "Our clusters autoscale nodes when pods stay pending.")])
    writer.close()
    hits = reader.search("kubernetes node autoscaling", mode="semantic", limit=1)
    assert hits[0].doc_id == "m:k8s"
    assert reader.search("autoscale", mode="keyword")[0].doc_id == "m:k8s"
    reader.close()


def test_common_terms_are_dropped_from_costly_queries(tmp_path: Path, monkeypatch: object) -> None:
    import pytest

    from ctx.search import index as index_mod
    from ctx.search.text import build_match

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    idx = SearchIndex(tmp_path / "i.db", None)
    idx.upsert([memory(f"c{i}", f"common filler words number {i}") for i in range(40)])
    idx.upsert([memory("rare", "the zebra crossing is common knowledge")])
    mp.setattr(index_mod, "POSTINGS_BUDGET", 10)
    match = idx._pruned_match(build_match("common zebra filler crossing"))
    assert match is not None and "zebra" in match and "common" not in match
    hits = idx.search("common zebra filler crossing", mode="keyword", limit=3)
    assert hits[0].doc_id == "m:rare"
    # A single very common term is still searched.
    assert len(idx.search("common", mode="keyword", limit=50)) == 41
    idx.close()
