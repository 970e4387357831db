"""The engine end to end with the real model: meaning, identifiers, modes, snippets."""

from __future__ import annotations

from pathlib import Path

from ctx.search import SearchIndex

from .conftest import CORPUS, DAY, NOW, memory, turn


def ids(hits: list) -> list[str]:
    return [h.doc_id for h in hits]


def test_semantic_hit_by_meaning_without_shared_words(index: SearchIndex) -> None:
    # No word of the query occurs in the decision: only the vectors can connect them.
    assert index.search("why did we pick RS256", mode="keyword") == []
    # MiniLM rates this paraphrase 0.15, under the default relevance floor (docs/search.md,
    # Known limits): the ranking itself is under test here
    for mode in ("semantic", "hybrid"):
        hits = index.search("why did we pick RS256", mode=mode, limit=3, min_relevance=0)
        assert hits[0].doc_id == "m:jwt", (mode, ids(hits))
        assert hits[0].memory_id == "jwt"
        assert hits[0].memory_type == "decision"
        assert "semantic" in hits[0].matched
    assert index.last_mode == "hybrid"


def test_exact_identifier_hits(index: SearchIndex) -> None:
    for mode in ("keyword", "hybrid"):
        hits = index.search("parse_jwt_header", mode=mode, limit=5)
        assert hits[0].doc_id == "t:s1:0", (mode, ids(hits))
        hits = index.search("src/auth/keys.py", mode=mode, limit=5)
        assert hits[0].doc_id == "t:s1:1", (mode, ids(hits))
    # CamelCase: the whole identifier and its parts both find it.
    assert index.search("renderUserAvatar", mode="keyword")[0].doc_id == "t:s3:1"
    assert index.search("user avatar", mode="keyword")[0].doc_id == "t:s3:1"
    # snake_case query finds the same words written in CamelCase.
    assert index.search("render_user_avatar", mode="keyword")[0].doc_id == "t:s3:1"


def test_turn_hit_carries_where_it_came_from(index: SearchIndex) -> None:
    hit = index.search("parse_jwt_header", mode="keyword", limit=1)[0]
    assert hit.kind == "turn"
    assert hit.session_id == "s1" and hit.turn_n == 0 and hit.turn_ext_id == "ext-1"
    assert hit.tool == "claude" and hit.branch == "main" and hit.author == "alice"
    assert hit.memory_id is None
    assert hit.id == "s1"
    d = hit.to_dict()
    assert d["id"] == "s1" and d["turn_ext_id"] == "ext-1" and d["score"] > 0


def test_keyword_snippet_marks_matched_terms(index: SearchIndex) -> None:
    hit = index.search("PostgreSQL JSONB", mode="keyword", limit=1)[0]
    assert hit.doc_id == "m:db"
    assert "«PostgreSQL»" in hit.snippet and "«JSONB»" in hit.snippet
    # Stemming: "deploying" finds "Deploy"; the snippet marks the word as written.
    hit = index.search("deploying releases", mode="keyword", limit=1)[0]
    assert hit.doc_id == "m:deploy" and "«Deploy»" in hit.snippet


def test_semantic_only_hit_gets_a_plain_snippet(index: SearchIndex) -> None:
    hit = index.search("why did we pick RS256", mode="semantic", limit=1, min_relevance=0)[0]
    assert hit.snippet.startswith("Decision: access tokens")
    assert "«" not in hit.snippet


def test_modes_differ_and_keyword_needs_the_words(index: SearchIndex) -> None:
    q = "which relational store did the team settle on"
    kw = index.search(q, mode="keyword", limit=5)
    sem = index.search(q, mode="semantic", limit=5)
    assert "m:db" not in ids(kw)  # no shared word
    assert sem[0].doc_id == "m:db"
    assert index.last_mode == "semantic"
    assert all(h.matched == ["semantic"] for h in sem)
    assert all(h.matched == ["keyword"] for h in kw)


def test_non_english_text_matches(index: SearchIndex) -> None:
    for q in ("数据库迁移", "迁移脚本"):
        hits = index.search(q, mode="keyword", limit=3)
        assert hits and hits[0].doc_id == "t:s3:0", (q, ids(hits))


def test_tags_are_searchable_words(index: SearchIndex) -> None:
    hits = index.search("payments", mode="keyword", limit=3)
    assert hits[0].doc_id == "m:webhook"


def test_long_document_is_chunked_and_found_by_its_tail(
    tmp_path: Path, real_embedder: object
) -> None:
    filler = " ".join(
        f"Paragraph {i} talks about the build system, caching layers and CI runners."
        for i in range(150)  # ~11 KB: many chunks, all under the embedding cap (16 KB)
    )
    tail = "Finally, the flaky integration test was caused by a timezone bug in the cron parser."
    idx = SearchIndex(tmp_path / "i.db", real_embedder)  # type: ignore[arg-type]
    idx.upsert([*CORPUS, memory("long", filler + " " + tail, "episode")])
    st = idx.stats()
    assert st.chunks > st.documents  # the long memory became many chunks
    sem = idx.search(
        "why was the integration test flaky around timezones", mode="semantic", limit=3
    )
    assert sem[0].doc_id == "m:long"
    assert "cron parser" in sem[0].snippet and sem[0].snippet.startswith("…")
    kw = idx.search("timezone cron parser", mode="keyword", limit=1)
    assert kw[0].doc_id == "m:long" and "«cron»" in kw[0].snippet
    assert len(idx.search("build system caching", mode="semantic", limit=10)) == len(
        {h.doc_id for h in idx.search("build system caching", mode="semantic", limit=10)}
    )  # chunks of one document collapse into one hit
    idx.close()


def test_type_weights_and_recency(tmp_path: Path, real_embedder: object) -> None:
    idx = SearchIndex(tmp_path / "i.db", real_embedder)  # type: ignore[arg-type]
    text = "The staging cluster runs on three nodes in eu-west."
    idx.upsert(
        [
            memory("ep", text, "episode", ts=NOW),
            memory("dec", text, "decision", ts=NOW),
            turn("old", 0, "Rotate the signing keys every quarter.", ts=NOW - 400 * DAY),
            turn("new", 0, "Rotate the signing keys every quarter.", ts=NOW - 1 * DAY),
        ]
    )
    hits = idx.search("staging cluster nodes", limit=2)
    assert ids(hits) == ["m:dec", "m:ep"]
    hits = idx.search("rotate signing keys", limit=2)
    assert ids(hits) == ["t:new:0", "t:old:0"]
    assert hits[0].score > hits[1].score
    idx.close()


def test_empty_query_lists_recent_documents(index: SearchIndex) -> None:
    for q in ("", "   ", "!!! ???"):
        hits = index.search(q, limit=3)
        assert index.last_mode == "recent"
        assert len(hits) == 3 and all(h.score == 0.0 for h in hits)
        assert [h.ts for h in hits] == sorted((h.ts for h in hits), reverse=True)
    hits = index.search("", limit=50, filters=None)
    assert len(hits) == len(CORPUS)
    assert hits[-1].doc_id == "m:webhook"  # the oldest


def test_limit_zero_and_unknown_mode(index: SearchIndex) -> None:
    import pytest

    from ctx.core.errors import CtxError

    assert index.search("deploy", limit=0) == []
    with pytest.raises(CtxError, match="unknown search mode"):
        index.search("deploy", mode="fuzzy")


def test_in_memory_vectors_give_the_same_results(index: SearchIndex) -> None:
    queries = ["why did we pick RS256", "which relational store", "avatar crash", "deploy"]
    from ctx.search import SearchFilters

    f = SearchFilters(kind="memory")
    before = [
        [(h.doc_id, h.score) for h in index.search(q, mode=m, limit=5, filters=flt)]
        for q in queries
        for m in ("semantic", "hybrid")
        for flt in (None, f)
    ]
    index.warm()
    assert index.vs is not None and index.vs.mirror is not None
    after = [
        [(h.doc_id, h.score) for h in index.search(q, mode=m, limit=5, filters=flt)]
        for q in queries
        for m in ("semantic", "hybrid")
        for flt in (None, f)
    ]
    for a, b in zip(after, before, strict=True):
        assert [d for d, _ in a] == [d for d, _ in b]
        assert all(abs(x - y) < 1e-3 for (_, x), (_, y) in zip(a, b, strict=True))
    # A write drops the in-memory copy; results stay right.
    index.upsert([memory("new", "Avatars are rendered by the gravatar proxy now.")])
    assert index.vs.mirror is None
    assert "m:new" in ids(index.search("avatar rendering", mode="semantic", limit=3))


def test_snippet_lead_in_starts_on_a_whole_word() -> None:
    from ctx.search.text import MARK_OPEN, highlight

    doc = "x" * 30 + " Then the upload test raced the worker on CI and failed badly."
    at = doc.index("raced")
    for cut in range(at - 12, at):  # wherever the lead-in starts, no word is cut or lost
        snippet = highlight(doc, [(at, at + 5)], size=6 * (at - cut))
        words = snippet.strip("…").split()
        assert words and all(w in doc.split() or MARK_OPEN in w for w in words), snippet
        # the last whole word before the cut point survives when the cut falls on its start
        if doc[cut - 1] == " ":
            assert snippet.lstrip("…").startswith(doc[cut:at].split()[0]), snippet
