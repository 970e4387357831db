"""Hostile queries never crash and still match sensibly; broken index files are rebuilt."""

from __future__ import annotations

import random
from pathlib import Path

import apsw
import pytest

from ctx.core.errors import CtxError
from ctx.search import SearchIndex
from ctx.search.text import build_match

from .conftest import CORPUS

NASTY = [
    '"',
    '"unbalanced quote',
    "*",
    "deploy*",
    "-",
    "-deploy",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "NEAR(deploy kubernetes)",
    "deploy AND OR NOT",
    "(",
    ")",
    "((deploy)",
    ":",
    "text:deploy",
    "extra: {text} : deploy",
    "^deploy",
    "deploy + kubernetes",
    "'; drop table docs; --",
    "\x00deploy\x00",
    "emoji 🚀 deploy",
    "Ünïcödé café",
    "데이터베이스",
    "ñ" * 300,
    "a.b.c",
    "x" * 5000,
]


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_nasty_queries_never_crash(index: SearchIndex, mode: str) -> None:
    for q in NASTY:
        hits = index.search(q, mode=mode, limit=5)
        assert isinstance(hits, list) and len(hits) <= 5, q


def test_syntax_characters_are_plain_text(index: SearchIndex) -> None:
    for q in ("text:deploy", "NEAR(deploy kubernetes)", "-deploy", "deploy*", '"deploy'):
        hits = index.search(q, mode="keyword", limit=3)
        assert hits and hits[0].doc_id == "m:deploy", q
    # "AND"/"OR" are words here, not operators: no error, and they match nothing special.
    assert build_match("deploy AND kubernetes").match == '"deploy" OR "kubernetes"'
    assert build_match('foo"bar').match == '"foo bar" OR "foo" OR "bar"'


def test_very_long_query_still_matches(index: SearchIndex) -> None:
    rng = random.Random(7)
    words = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit"]
    noise = " ".join(rng.choice(words) for _ in range(1500))
    q = "PostgreSQL " + noise  # ~10 KB, the meaningful word first
    assert len(q) > 10_000
    for mode in ("keyword", "hybrid", "semantic"):
        hits = index.search(q, mode=mode, limit=5)
        assert isinstance(hits, list)
    assert index.search(q, mode="keyword", limit=1)[0].doc_id == "m:db"


def test_accents_fold(index: SearchIndex) -> None:
    index.upsert([*CORPUS[:1]])
    from .conftest import memory

    index.upsert([memory("cafe", "Meet at the Café Müller to plan the offsite.")])
    assert index.search("cafe muller", mode="keyword")[0].doc_id == "m:cafe"


def test_corrupt_index_file_is_rebuilt(tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    db.write_bytes(b"this is not a database" * 1000)
    idx = SearchIndex(db, None)
    assert idx.rebuilt_reason and "rebuilt" in idx.rebuilt_reason
    assert idx.upsert(CORPUS) == len(CORPUS)
    assert idx.search("PostgreSQL", mode="keyword")[0].doc_id == "m:db"
    assert idx.stats().rebuilt_reason == idx.rebuilt_reason
    idx.close()
    # A clean reopen keeps the data and reports nothing.
    idx = SearchIndex(db, None)
    assert idx.rebuilt_reason is None and idx.stats().documents == len(CORPUS)
    idx.close()


def test_damaged_pages_are_rebuilt(tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    idx = SearchIndex(db, None)
    idx.upsert(CORPUS * 1)
    idx.close()
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page, past the header
    db.write_bytes(bytes(data))
    for side in tmp_path.glob("i.db-*"):
        side.unlink()
    idx = SearchIndex(db, None)
    assert idx.rebuilt_reason
    assert idx.stats().documents == 0
    idx.upsert(CORPUS)
    assert idx.search("PostgreSQL", mode="keyword")
    idx.close()


def test_index_from_a_newer_ctx_is_rebuilt(tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    idx = SearchIndex(db, None)
    idx.upsert(CORPUS)
    idx.conn.execute("insert into schema_migrations(name, applied_at) values('m999_future', 0)")
    idx.close()
    idx = SearchIndex(db, None)
    assert idx.rebuilt_reason and "newer" in idx.rebuilt_reason
    assert idx.stats().documents == 0
    idx.close()


def test_corruption_found_mid_search_resets_and_advises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    idx = SearchIndex(tmp_path / "i.db", None)
    idx.upsert(CORPUS)

    def broken(*a: object, **k: object) -> list:
        raise apsw.CorruptError("database disk image is malformed")

    monkeypatch.setattr(idx, "_keyword", broken)
    with pytest.raises(CtxError, match="corrupt") as err:
        idx.search("PostgreSQL", mode="keyword")
    assert "ctx index" in err.value.advice
    monkeypatch.undo()
    assert idx.stats().documents == 0  # reset, ready to be re-indexed
    idx.close()
