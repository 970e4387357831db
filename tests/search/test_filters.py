"""Every filter, in every mode, applied before the limit (no starved results)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctx.search import SearchFilters, SearchIndex

from .conftest import DAY, NOW, turn

MODES = ("keyword", "semantic", "hybrid")


def ids(hits: list) -> set[str]:
    return {h.doc_id for h in hits}


@pytest.mark.parametrize("mode", MODES)
def test_each_filter(index: SearchIndex, mode: str) -> None:
    q = "tokens keys database deploy header webhook tailwind"

    def run(**kw: object) -> set[str]:
        # filters, not relevance, are under test here: no relevance floor
        hits = index.search(q, mode=mode, limit=50, filters=SearchFilters(**kw), min_relevance=0)  # type: ignore[arg-type]
        return ids(hits)

    assert run(kind="memory") == {"m:jwt", "m:db", "m:css", "m:deploy", "m:webhook"} & run()
    assert all(i.startswith("t:") for i in run(kind="turn")) and run(kind="turn")
    assert run(types=["decision"]) <= {"m:jwt", "m:db"} and run(types=["decision"])
    assert run(types=["procedure", "preference"]) <= {"m:deploy", "m:css"}
    assert run(tags=["auth"]) == {"m:jwt"}
    assert run(tags=["auth", "security"]) == {"m:jwt"}
    assert run(tags=["auth", "database"]) == set()  # every tag must be present
    assert run(author="bob") <= {"m:db", "m:webhook", "t:s2:0", "t:s2:1"} and run(author="bob")
    assert run(branch="ui") <= {"m:css"}
    assert run(tool="claude") == {"t:s1:0", "t:s1:1"}
    assert run(session_id="s2") == {"t:s2:0", "t:s2:1"}
    assert run(session_id="s") == run(kind="turn")  # an id prefix
    old = run(until=NOW - 10 * DAY)
    assert old == {"m:webhook"}
    assert "m:webhook" not in run(since=NOW - 10 * DAY)
    assert run(since=NOW - 10 * DAY, until=NOW) == run() - {"m:webhook"}
    assert run(tool="claude", author="bob") == set()


def test_filters_apply_before_the_limit(tmp_path: Path, real_embedder: object) -> None:
    """200 better-matching aider turns must not crowd out the 12 claude ones."""
    idx = SearchIndex(tmp_path / "i.db", real_embedder)  # type: ignore[arg-type]
    docs = [
        turn(f"a{i}", 0, f"Refactor the payment service retry logic, attempt {i}.", tool="aider")
        for i in range(200)
    ]
    docs += [
        turn(f"c{i}", 0, f"Some notes on payment things number {i}.", tool="claude", ts=NOW)
        for i in range(12)
    ]
    idx.upsert(docs)
    for mode in MODES:
        hits = idx.search(
            "refactor payment service retry logic",
            mode=mode,
            limit=10,
            filters=SearchFilters(tool="claude"),
            min_relevance=0,  # filters against the limit, not relevance, are under test
        )
        assert len(hits) == 10, mode
        assert all(h.tool == "claude" for h in hits), mode
    # The in-memory vector path of long-running processes filters the same way.
    idx.warm()
    hits = idx.search(
        "refactor payment",
        mode="semantic",
        limit=10,
        filters=SearchFilters(tool="claude"),
        min_relevance=0,
    )
    assert len(hits) == 10 and all(h.tool == "claude" for h in hits)
    idx.close()


def test_empty_query_respects_filters(index: SearchIndex) -> None:
    hits = index.search("", limit=10, filters=SearchFilters(tool="aider"))
    assert ids(hits) == {"t:s2:0", "t:s2:1"}
