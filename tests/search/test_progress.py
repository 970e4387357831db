"""Long indexing: progress in units of work, a cap on what one document embeds, and an
interrupted run that keeps what it computed."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from ctx.cli.progress import IndexProgress
from ctx.search import SearchIndex
from ctx.search.embed import EmbeddingCache
from ctx.search.index import EMBED_BATCH, embed_spans
from ctx.search.types import EMBED_MAX_CHARS

from .conftest import CORPUS, CountingEmbedder, turn

WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
]


def _long_text(chars: int, tail: str = "", start: int = 0) -> str:
    out, n, i = [], 0, start
    while n < chars:
        w = WORDS[i % len(WORDS)] + str(i % 97)
        out.append(w)
        n += len(w) + 1
        i += 1
    return " ".join(out) + tail


def test_progress_counts_chunks_and_a_big_turn_is_capped(
    tmp_path: Path, counting: CountingEmbedder
) -> None:
    big = turn("s9", 0, _long_text(3 * EMBED_MAX_CHARS, " zebracorn-at-the-end"))
    calls: list[tuple[int, int]] = []
    idx = SearchIndex(tmp_path / "i.db", counting, embedding_cache=None)
    idx.upsert([*CORPUS, big], progress=lambda d, t: calls.append((d, t)))
    want = len(embed_spans(big.text)) + len(CORPUS)  # the corpus: one chunk each
    assert calls[0] == (0, want) and calls[-1] == (want, want)
    assert len(calls) > 2  # ticks while embedding, not only per document
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    # only the head is embedded; all of it is keyword-searchable
    assert counting.documents == want < len(CORPUS) + 3 * EMBED_MAX_CHARS // 900
    assert idx.search("zebracorn", mode="keyword")[0].doc_id == "t:s9:0"
    assert idx.oversized() == {"t:s9:0": len(big.text)}
    idx.delete(["t:s9:0"])
    assert idx.oversized() == {}
    idx.close()


def test_interrupted_indexing_keeps_computed_vectors(
    tmp_path: Path, counting: CountingEmbedder
) -> None:
    cache = EmbeddingCache(tmp_path / "vectors.sqlite")
    # about 3 chunks each, all different (the cache would share equal ones)
    docs = [turn("s1", i, _long_text(2_000, start=1000 * i)) for i in range(12)]
    idx = SearchIndex(tmp_path / "i.db", counting, embedding_cache=cache)

    def stop_after_two_batches(done: int, total: int) -> None:
        if done >= 2 * EMBED_BATCH:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        idx.upsert(docs, progress=stop_after_two_batches)
    first = counting.documents
    assert 2 * EMBED_BATCH <= first < sum(len(embed_spans(d.text)) for d in docs)
    idx.close()
    again = CountingEmbedder(counting.inner)
    idx = SearchIndex(tmp_path / "i.db", again, embedding_cache=cache)
    assert idx.upsert(docs) == len(docs)
    # the rerun computes only what the interrupted run had not
    assert again.documents == sum(len(embed_spans(d.text)) for d in docs) - first
    assert idx.stats().pending_embeddings == 0
    idx.close()
    cache.close()


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_waits_a_second_then_shows_rate_and_eta() -> None:
    out = io.StringIO()
    p = IndexProgress("chunks", stream=out, delay=0.0, every=0.0)
    p(0, 100)
    p(50, 100)
    p(100, 100)
    p.finish()
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("indexing 50/100 chunks (") and "left)" in lines[1]
    assert lines[-1].startswith("indexing 100/100 chunks")
    quiet = io.StringIO()
    q = IndexProgress(stream=quiet)  # a run under a second says nothing
    q(0, 10)
    q(10, 10)
    q.finish()
    assert quiet.getvalue() == ""
    # a long first batch: the timer shows the first line after the delay anyway
    slow = io.StringIO()
    s = IndexProgress(stream=slow, delay=0.05)
    s(0, 10)
    time.sleep(0.5)
    assert slow.getvalue().startswith("indexing 0/10 chunks")
    s.finish()
    tty = FakeTTY()
    t = IndexProgress(stream=tty, delay=0.0, every=0.0)
    t(5, 10)
    t.finish()
    assert tty.getvalue().startswith("\r") and "[############" in tty.getvalue()
    assert tty.getvalue().endswith("\n")
