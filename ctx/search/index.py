"""The search engine: an index of plain documents with hybrid keyword + vector search.

The store (or anything else) hands over :class:`IndexDoc` records; the index keeps what
search needs in one SQLite file (apsw + FTS5 + sqlite-vec) that is derived data: safe to
delete, rebuilt automatically when unusable, and updated incrementally by fingerprint.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import apsw

from ctx.core.errors import CtxError
from ctx.search import context, db, rank, text, vectors
from ctx.search.buildlock import build_lock, file_id, is_damage
from ctx.search.db import remove_db_files
from ctx.search.embed import CachedEmbedder, Embedder, EmbeddingCache
from ctx.search.schema import FTS_TOKENIZE, open_index_db
from ctx.search.types import (
    EMBED_MAX_CHARS,
    MODES,
    OVERSIZED_KEY,
    Hit,
    IndexDoc,
    IndexStats,
    RankingConfig,
    SearchFilters,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

BATCH = 256
BATCH_UNITS = 512  # chunks embedded per transaction, at most (about 10 s of model time)
SNIPPET_SCAN_CHARS = 100_000  # characters of a document searched for words to highlight
EMBED_BATCH = 16  # chunks per model call: the unit of progress and of the embedding cache
EXTRA_WEIGHT = 0.5  # BM25 weight of the extra column (tags, CamelCase parts, CJK bigrams)
# FTS5 scores every document matching any OR-ed term, so a query's cost grows with the
# posting lists of its terms. Past this many postings, the most common terms (which add
# little to BM25 anyway) are left out; the two most selective clauses always stay.
POSTINGS_BUDGET = 20_000
MIN_CLAUSES = 2
DEFAULT_CACHE = object()
# A query word found only in a turn's neighbours (the context column) counts this much
# towards the turn's relevance: the turn was found for its conversation, not its own words.
CONTEXT_RELEVANCE = 0.5

_DOC_COLS = (
    "rowid, doc_id, kind, text, ts, memory_type, tags, session_id, turn_n, turn_ext_id,"
    " role, tool, branch, author, title"
)

F = TypeVar("F", bound=Callable[..., Any])


class IndexReset(CtxError):
    """The index file was found damaged mid-operation and has been reset (it is empty now).

    A caller that can refresh the index (ctx.search.service.search, ensure_fresh) rebuilds
    and retries once; others see the message and advice."""


def _corruption_guard(fn: F) -> F:
    """A damaged page met mid-operation resets the index (one builder at a time)."""

    @functools.wraps(fn)
    def wrapper(self: SearchIndex, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except apsw.Error as exc:
            if not is_damage(exc):
                raise
            self._reset(f"search index was damaged and has been rebuilt ({exc})")
            raise IndexReset(
                "the search index was corrupt and has been reset",
                "run `ctx index` to rebuild it from .contextfs/",
                code="index_reset",
            ) from None

    return wrapper  # type: ignore[return-value]


def filter_sql(f: SearchFilters | None) -> tuple[str, list[Any]] | None:
    """A WHERE clause over ``docs d`` for the filters (None when nothing is filtered)."""
    if f is None or f.is_empty():
        return None
    where: list[str] = []
    params: list[Any] = []
    if f.kind:
        where.append("d.kind = ?")
        params.append(f.kind)
    if f.types:
        where.append(f"d.kind = 'memory' and d.memory_type in ({','.join('?' * len(f.types))})")
        params.extend(f.types)
    if f.tags:
        tags = sorted(set(f.tags))
        where.append(
            "d.rowid in (select doc_rowid from doc_tags where tag in"
            f" ({','.join('?' * len(tags))}) group by doc_rowid having count(*) = ?)"
        )
        params.extend([*tags, len(tags)])
    if f.since is not None:
        where.append("d.ts >= ?")
        params.append(float(f.since))
    if f.until is not None:
        where.append("d.ts <= ?")
        params.append(float(f.until))
    if f.session_id:
        where.append("d.session_id >= ? and d.session_id < ?")  # id or prefix, uses the index
        params.extend([f.session_id, f.session_id + "\U0010ffff"])
    for col in ("tool", "branch"):
        val = getattr(f, col)
        if val:
            where.append(f"d.{col} = ?")
            params.append(val)
    if f.author:  # like `git log --author`: a case-insensitive regex over "Name <email>"
        where.append("ctx_author_match(?, d.author)")
        params.append(f.author)
    return " and ".join(where), params


CLONE_KEY = "clone"  # meta: the clone's key over the file's place (ctx/core/machine_key.py)


def _clone_tag(db_path: Path) -> str:
    """What an index built in this clone carries: an index file a pull brought in never has
    it. The project root is the folder holding `.contextfs/` (the index is in its `local/`;
    older ctx kept it at the store's top, and the tag is the same for both, so a moved index
    stays trusted)."""
    from ctx.core.machine_key import tag

    root = db_path.parent.parent
    for parent in db_path.parents:
        if parent.name == ".contextfs":
            root = parent.parent
            break
    return tag(root, "search-index", db_path.name)


class SearchIndex:
    """Hybrid search over memories and turns, stored in one SQLite file.

    ``embedder`` None means keyword-only (``semantic_reason`` says why, for the caller to
    show once). Vectors are cached by content under the user cache dir unless
    ``embedding_cache`` is None.
    """

    def __init__(
        self,
        db_path: Path,
        embedder: Embedder | None,
        *,
        ranking: RankingConfig | None = None,
        embedding_cache: Any = DEFAULT_CACHE,
        embedder_reason: str | None = None,
    ) -> None:
        self.db_path = Path(db_path)
        self.ranking = ranking or RankingConfig()
        self._embedder_reason = embedder_reason
        self._query_cache: collections.OrderedDict[str, Any] = collections.OrderedDict()
        self.last_mode: str | None = None  # the mode the last search really used
        self.last_note: str | None = None  # e.g. why semantic search was unavailable
        self._executor: Any = None
        cache: EmbeddingCache | None
        self._own_cache = embedding_cache is DEFAULT_CACHE
        if embedding_cache is DEFAULT_CACHE:
            try:
                cache = EmbeddingCache() if embedder is not None else None
            except (OSError, apsw.Error):
                cache = None  # read-only home, full disk...: work without the cache
        else:
            cache = embedding_cache
        self.embedder = CachedEmbedder(embedder, cache) if embedder is not None else None
        self._clone = _clone_tag(self.db_path)
        self._open()

    # -- lifecycle ----------------------------------------------------------------------
    def _open(self, reason: str | None = None, *, locked: bool = False) -> None:
        opened, rebuilt = open_index_db(self.db_path)
        self.conn = opened.conn
        self._file_id = file_id(self.db_path)
        self.vec_ok = opened.vec_ok
        self.vec_error = opened.vec_error
        self.rebuilt_reason = reason or rebuilt
        self.vs: vectors.VectorSearch | None = None
        layout = json.dumps(dataclasses.asdict(context.Shape.of(self.ranking)))
        if not locked and self._needs_write(layout):
            # Throwing the file away or creating tables: under the builder lock, then
            # look again (another process may have done it meanwhile).
            self.conn.close()
            with build_lock(self.db_path):
                return self._open(reason or rebuilt, locked=True)
        if not self.vec_ok and self._has_vec_table():
            # Vectors we can neither read nor delete: start over (the index is derived).
            self.conn.close()
            remove_db_files(self.db_path)
            return self._open(f"search index was rebuilt: {self.vec_error}", locked=locked)
        stored = self.get_meta("index_layout")
        if stored is None:  # a new file: it is this clone's
            self.set_meta("index_layout", layout)
            self.set_meta(CLONE_KEY, self._clone)
        elif self.get_meta(CLONE_KEY) != self._clone:
            # Not built here: a commit forced it in (`git add -f`) and it was left on disk
            # when untracked. Its rows could say anything the store does not: start over.
            self.conn.close()
            remove_db_files(self.db_path)
            return self._open(
                "search index was rebuilt: it was not built in this clone", locked=locked
            )
        elif stored != layout:
            # Indexed text depends on these settings: start over (vectors come from the cache).
            self.conn.close()
            remove_db_files(self.db_path)
            return self._open("search index was rebuilt: indexing settings changed", locked=locked)
        if self.embedder is not None and self.vec_ok:
            self._ensure_vec_table(self.embedder.name, self.embedder.dim)
            self.vs = vectors.VectorSearch(self.conn, self.db_path, self.embedder.dim)
        self.conn.execute("create virtual table temp.fts_vocab using fts5vocab(main, fts, row)")
        self.conn.create_scalar_function("ctx_author_match", _author_match, 2, deterministic=True)
        self._df_cache: dict[str, int] = {}
        self._df_docs = 0
        self._data_version = db.scalar(self.conn, "pragma data_version")
        try:
            name, *args = FTS_TOKENIZE.split()
            self._tokenizer: Any = self.conn.fts5_tokenizer(name, args)
        except (AttributeError, apsw.Error):  # older apsw: no query pruning
            self._tokenizer = None

    def _needs_write(self, layout: str) -> bool:
        """Whether opening must change the file (so must hold the builder lock)."""
        if not self.vec_ok and self._has_vec_table():
            return True
        if self.get_meta("index_layout") != layout:
            return True
        if self.get_meta(CLONE_KEY) != self._clone:
            return True
        if self.embedder is not None and self.vec_ok:
            same = self.get_meta("vec_model") == self.embedder.name and self.get_meta(
                "vec_dim"
            ) == str(self.embedder.dim)
            return not (same and self._has_vec_table())
        return False

    def reopen(self) -> None:
        """Read the file now at ``db_path`` (another process replaced the one we had)."""
        try:
            self.conn.close()
        except apsw.Error:
            pass
        self._open()

    def replaced(self) -> bool:
        """True when another process rebuilt (replaced) the file this connection reads."""
        return file_id(self.db_path) != self._file_id

    def _has_vec_table(self) -> bool:
        return vectors.table_exists(self.conn)

    def _ensure_vec_table(self, model: str, dim: int) -> None:
        """Create the vector table for this model; a different model invalidates all vectors."""
        same = self.get_meta("vec_model") == model and self.get_meta("vec_dim") == str(dim)
        if same and self._has_vec_table():
            return
        with self.conn:
            vectors.drop_table(self.conn)
            self.conn.execute("delete from chunks")
            self.conn.execute("update docs set embedded = 0 where embedded = 1")
            vectors.create_table(self.conn, dim)
            self.set_meta("vec_model", model)
            self.set_meta("vec_dim", str(dim))

    def _reset(self, reason: str) -> None:
        """Throw the damaged file away and start an empty one, unless another process
        already replaced it (then just reopen: never delete a fresh rebuild)."""
        with build_lock(self.db_path):
            same = not self.replaced()
            try:
                self.conn.close()
            except apsw.Error:
                pass
            if same:
                remove_db_files(self.db_path)
            self._open(reason if same else None, locked=True)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.conn.close()
        if self._own_cache and self.embedder is not None and self.embedder.cache is not None:
            self.embedder.cache.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def semantic_available(self) -> bool:
        return self.vs is not None

    @property
    def semantic_reason(self) -> str | None:
        if self.vs is not None:
            return None
        if self.embedder is None:
            return self._embedder_reason or "no embedding model loaded"
        return self.vec_error

    # -- small key/value table ------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        value = db.scalar(self.conn, "select value from meta where key = ?", (key,))
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "insert into meta(key, value) values(?, ?)"
            " on conflict(key) do update set value = excluded.value",
            (key, value),
        )

    # -- writing -----------------------------------------------------------------------
    def fingerprints(self, prefix: str = "") -> dict[str, str]:
        """doc_id -> fingerprint of indexed documents whose id starts with ``prefix``."""
        rows = self.conn.execute(
            "select doc_id, fingerprint from docs where doc_id >= ? and doc_id < ?",
            (prefix, prefix + "\U0010ffff"),
        )
        return dict(rows)

    def _existing(self, doc_ids: list[str]) -> dict[str, tuple[int, str, int]]:
        out: dict[str, tuple[int, str, int]] = {}
        for i in range(0, len(doc_ids), 500):
            part = doc_ids[i : i + 500]
            q = "select doc_id, rowid, fingerprint, embedded from docs where doc_id in (%s)"
            for doc_id, rowid, fp, emb in self.conn.execute(q % ",".join("?" * len(part)), part):
                out[doc_id] = (rowid, fp, emb)
        return out

    @_corruption_guard
    def upsert(
        self,
        docs: Iterable[IndexDoc],
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Index new or changed documents; return how many were (re)indexed.

        A document whose fingerprint is unchanged is skipped. Documents indexed while no
        model was available (or under another model) get their vectors here as soon as one
        is, whether or not they are passed in; they are not counted as re-indexed.
        """
        by_id: dict[str, IndexDoc] = {}
        for d in docs:
            if d.kind not in ("memory", "turn"):
                raise ValueError(f"IndexDoc.kind must be 'memory' or 'turn', not {d.kind!r}")
            by_id[d.doc_id] = d
        existing = self._existing(list(by_id))
        need_vec = self.vs is not None
        todo = [
            d
            for d in by_id.values()
            if d.doc_id not in existing or existing[d.doc_id][1] != d.fingerprint
        ]
        pending: list[int] = []
        if need_vec:
            redo = {existing[d.doc_id][0] for d in todo if d.doc_id in existing}
            pending = [
                r
                for (r,) in self.conn.execute("select rowid from docs where embedded = 0")
                if r not in redo
            ]
        # Progress counts units of work: chunks to embed (a 5 MB paste is thousands of them,
        # not "1 document"), or documents when there is no model.
        spans = {d.doc_id: embed_spans(d.text) for d in todo} if need_vec else {}
        units = {d.doc_id: len(spans[d.doc_id]) if need_vec else 1 for d in todo}
        total = sum(units.values()) + len(pending)
        done = 0
        if progress:
            progress(done, total)

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(min(done, total), total)

        shape = context.Shape.of(self.ranking)
        for batch in _work_batches(todo, units):
            win = context.Window(self.conn, batch, shape) if shape.active else None
            embedded = self._embed_docs(batch, win, spans, tick) if need_vec else None
            # one transaction per batch: an interrupted run keeps every batch before it (and
            # the embedding cache keeps every vector computed, so a rerun resumes)
            with self.conn:
                for i, d in enumerate(batch):
                    old = existing.get(d.doc_id)
                    if old is not None:
                        self._delete_rowid(old[0])
                    ctx = ""
                    if win is not None and d.kind == "turn" and d.turn_n is not None:
                        ctx = win.fts_context(d.session_id or "", d.turn_n)
                    rowid = self._insert_doc(d, ctx)
                    if embedded is not None:
                        self._insert_vectors(rowid, *embedded[i])
                if win is not None:
                    for sid, n in win.affected():
                        self._set_context(sid, n, win.fts_context(sid, n))
            if not need_vec:
                tick(len(batch))
        for rows in _batches(pending, BATCH):
            total += self._embed_pending(rows, tick) - len(rows)
        if todo:
            self._note_oversized({d.doc_id: len(d.text) for d in todo})
            self._index_changed()
        if (todo or pending) and self.vs is not None:
            self.vs.changed()
        return len(todo)

    def _insert_doc(self, d: IndexDoc, context: str) -> int:
        tags = sorted(set(d.tags))
        self.conn.execute(
            "insert into docs(doc_id, kind, fingerprint, text, extra, context, ts, memory_type,"
            " tags, session_id, turn_n, turn_ext_id, role, tool, branch, author, title, embedded)"
            " values(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
            (
                d.doc_id,
                d.kind,
                d.fingerprint,
                d.text,
                text.extra_terms(d.text, tags),
                context,
                float(d.ts),
                d.memory_type,
                json.dumps(tags, ensure_ascii=False),
                d.session_id,
                d.turn_n,
                d.turn_ext_id,
                d.role,
                d.tool,
                d.branch,
                d.author,
                d.title,
            ),
        )
        rowid = self.conn.last_insert_rowid()
        self.conn.execute(
            "insert into fts(rowid, text, extra, context)"
            " select rowid, text, extra, context from docs where rowid = ?",
            (rowid,),
        )
        if tags:
            self.conn.executemany(
                "insert or ignore into doc_tags(tag, doc_rowid) values(?, ?)",
                [(t, rowid) for t in tags],
            )
        return rowid

    def _set_context(self, sid: str, n: int, ctx: str) -> None:
        """Re-index a turn's context column after a neighbour arrived or changed."""
        rows = db.rows(
            self.conn,
            "select rowid, text, extra, context from docs"
            " where session_id = ? and turn_n = ? and kind = 'turn'",
            (sid, n),
        )
        for rowid, body, extra, old in rows:
            if old == ctx:
                continue
            self.conn.execute(
                "insert into fts(fts, rowid, text, extra, context) values('delete', ?, ?, ?, ?)",
                (rowid, body, extra, old),
            )
            self.conn.execute("update docs set context = ? where rowid = ?", (ctx, rowid))
            self.conn.execute(
                "insert into fts(rowid, text, extra, context) values(?, ?, ?, ?)",
                (rowid, body, extra, ctx),
            )

    def _embed_docs(
        self,
        docs: list[IndexDoc],
        win: context.Window | None,
        known: dict[str, list[text.Chunk]] | None = None,
        tick: Callable[[int], None] | None = None,
    ) -> list[tuple[list[text.Chunk], list[Any]]]:
        """Chunk and embed documents; a turn's first chunk may carry its predecessor's tail.

        Only the first EMBED_MAX_CHARS of a document are embedded (docs/search.md); the model
        runs on EMBED_BATCH chunks at a time, each reported to ``tick`` as it completes.
        """
        assert self.embedder is not None
        plans = []
        for d in docs:
            spans = (known or {}).get(d.doc_id) or embed_spans(d.text)
            inputs = [d.text[s.start : s.end] for s in spans]
            if win is not None and d.kind == "turn" and d.turn_n is not None:
                prev = win.embed_context(d.session_id or "", d.turn_n)
                if prev:
                    inputs[0] = prev + "\n" + inputs[0]
            plans.append((spans, inputs))
        flat = [s for _, inputs in plans for s in inputs]
        vecs: list[Any] = []
        for i in range(0, len(flat), EMBED_BATCH):
            part = flat[i : i + EMBED_BATCH]
            vecs.extend(self.embedder.embed_documents(part))
            if tick:
                tick(len(part))
        out = []
        i = 0
        for spans, inputs in plans:
            out.append((spans, vecs[i : i + len(inputs)]))
            i += len(inputs)
        return out

    def _embed_pending(self, rowids: list[int], tick: Callable[[int], None] | None = None) -> int:
        """Give documents indexed without a model their vectors; returns the chunks embedded."""
        rows = db.rows(
            self.conn,
            f"select {_DOC_COLS} from docs where rowid in ({','.join('?' * len(rowids))})",
            rowids,
        )
        docs = [_row_to_doc(r) for r in rows]
        shape = context.Shape.of(self.ranking)
        win = context.Window(self.conn, docs, shape) if shape.active else None
        embedded = self._embed_docs(docs, win, None, tick)
        with self.conn:
            for r, (spans, vecs) in zip(rows, embedded, strict=True):
                self.conn.execute("delete from chunks where doc_rowid = ?", (r[0],))
                self._insert_vectors(r[0], spans, vecs)
        return sum(len(spans) for spans, _ in embedded)

    def _insert_vectors(self, rowid: int, spans: list[text.Chunk], vecs: list[Any]) -> None:
        import numpy as np

        for ordinal, (span, vec) in enumerate(zip(spans, vecs, strict=True)):
            self.conn.execute(
                "insert into chunks(doc_rowid, ord, start, end) values(?,?,?,?)",
                (rowid, ordinal, span.start, span.end),
            )
            cid = self.conn.last_insert_rowid()
            self.conn.execute(
                f"insert into {vectors.TABLE}(rowid, embedding) values(?, ?)",
                (cid, np.asarray(vec, dtype=np.float32).tobytes()),
            )
        self.conn.execute("update docs set embedded = 1 where rowid = ?", (rowid,))

    def _delete_rowid(self, rowid: int) -> None:
        row = db.rows(self.conn, "select text, extra, context from docs where rowid = ?", (rowid,))
        if not row:
            return
        self.conn.execute(
            "insert into fts(fts, rowid, text, extra, context) values('delete', ?, ?, ?, ?)",
            (rowid, *row[0]),
        )
        chunk_ids = [
            (c,)
            for (c,) in self.conn.execute("select rowid from chunks where doc_rowid = ?", (rowid,))
        ]
        if chunk_ids and self._has_vec_table():
            self.conn.executemany(f"delete from {vectors.TABLE} where rowid = ?", chunk_ids)
        self.conn.execute("delete from chunks where doc_rowid = ?", (rowid,))
        self.conn.execute("delete from doc_tags where doc_rowid = ?", (rowid,))
        self.conn.execute("delete from docs where rowid = ?", (rowid,))

    def _note_oversized(self, lengths: dict[str, int]) -> None:
        """Keep the list of documents over the embedding cap (for `ctx status`) current."""
        try:
            known = json.loads(self.get_meta(OVERSIZED_KEY) or "{}")
        except ValueError:
            known = {}
        before = dict(known)
        for doc_id, n in lengths.items():
            if n > EMBED_MAX_CHARS:
                known[doc_id] = n
            else:
                known.pop(doc_id, None)
        if known != before:
            self.set_meta(OVERSIZED_KEY, json.dumps(known, sort_keys=True))

    def oversized(self) -> dict[str, int]:
        """doc_id -> characters, of the documents only partly embedded (EMBED_MAX_CHARS)."""
        try:
            known = json.loads(self.get_meta(OVERSIZED_KEY) or "{}")
        except ValueError:
            return {}
        return known if isinstance(known, dict) else {}

    @_corruption_guard
    def delete(self, doc_ids: Iterable[str]) -> int:
        """Remove documents; return how many were in the index."""
        ids = list(dict.fromkeys(doc_ids))
        existing = self._existing(ids)
        with self.conn:
            for rowid, _fp, _emb in existing.values():
                self._delete_rowid(rowid)
        if existing:
            self._note_oversized({d: 0 for d in existing})
            self._index_changed()
        if existing and self.vs is not None:
            self.vs.changed()
        return len(existing)

    # -- searching -----------------------------------------------------------------------
    def warm(self, wait: bool = True) -> None:
        """Prepare for many queries: keep all vectors in memory (long-lived processes)."""
        if self.vs is not None:
            self.vs.warm(wait=wait)

    def _pool(self) -> Any:
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ctx-embed")
        return self._executor

    def _query_vector(self, query: str) -> npt.NDArray[np.float32]:
        assert self.embedder is not None
        key = query[: text.MAX_QUERY_CHARS]
        vec: Any = self._query_cache.get(key)
        if vec is None:
            vec = self.embedder.embed_query(key)
            self._query_cache[key] = vec
            if len(self._query_cache) > 256:
                self._query_cache.popitem(last=False)
        else:
            self._query_cache.move_to_end(key)
        return vec

    def _index_changed(self) -> None:
        """Document frequencies only steer query pruning: they may be a little stale, and
        are recounted when the number of documents moved by more than 10%."""
        n = int(db.scalar(self.conn, "select count(*) from docs"))
        if abs(n - self._df_docs) > 0.1 * max(n, 1):
            self._df_cache.clear()
            self._df_docs = n

    def _doc_freqs(self, stems: set[str]) -> dict[str, int]:
        """Documents containing each indexed term (cached, see _index_changed)."""
        dv = db.scalar(self.conn, "pragma data_version")
        if dv != self._data_version:  # another process wrote
            self._data_version = dv
            self._index_changed()
        missing = [t for t in stems if t not in self._df_cache]
        for i in range(0, len(missing), 200):
            part = missing[i : i + 200]
            for t in part:
                self._df_cache[t] = 0
            q = f"select term, doc from temp.fts_vocab where term in ({','.join('?' * len(part))})"
            for term, n in db.rows(self.conn, q, part):
                self._df_cache[term] = int(n)
        return {t: self._df_cache[t] for t in stems}

    def _stems(self, s: str) -> list[str]:
        """``s`` tokenized exactly as the index does (unicode61, diacritics, porter)."""
        if self._tokenizer is None:
            return text.tokens(s)
        toks = self._tokenizer(
            s.encode("utf-8", "replace"), apsw.FTS5_TOKENIZE_QUERY, None, include_offsets=False
        )
        return [t[0] for t in toks]

    def _pruned_match(
        self, parsed: text.ParsedQuery, stems: list[list[str]] | None = None
    ) -> str | None:
        """The MATCH expression, without the most common terms when it would be too costly."""
        if self._tokenizer is None or len(parsed.clauses) <= MIN_CLAUSES:
            return parsed.match
        if stems is None:
            stems = [self._stems(c.strip('"')) for c in parsed.clauses]
        df = self._doc_freqs({t for ts in stems for t in ts})
        cost = [sum(df[t] for t in ts) for ts in stems]
        if sum(cost) <= POSTINGS_BUDGET:
            return parsed.match
        order = sorted(
            range(len(stems)), key=lambda i: (min((df[t] for t in stems[i]), default=0), i)
        )
        keep: set[int] = set()
        spent = 0
        for i in order:
            if len(keep) >= MIN_CLAUSES and spent + cost[i] > POSTINGS_BUDGET:
                continue
            keep.add(i)
            spent += cost[i]
        return text.match_of([c for i, c in enumerate(parsed.clauses) if i in keep])

    def _snippet(self, doc: str, stems: set[str], chunk: tuple[int, int] | None) -> str:
        """Matched words marked « », found with the index's own tokenizer (so "deploying"
        marks "Deploy"); without any, the part of the best chunk nearest the query."""
        if stems and self._tokenizer is not None:
            # a huge document (a pasted log) is scanned around its best chunk only
            lo = 0
            if len(doc) > SNIPPET_SCAN_CHARS:
                lo = max(0, (chunk[0] if chunk else 0) - SNIPPET_SCAN_CHARS // 2)
            part = doc[lo : lo + SNIPPET_SCAN_CHARS]
            raw = part.encode("utf-8", "replace")
            toks = self._tokenizer(raw, apsw.FTS5_TOKENIZE_DOCUMENT, None)
            spans = [(s, e) for s, e, tok, *_ in toks if tok in stems]
            if spans:
                if not raw.isascii():
                    spans = _char_spans(raw, spans)
                return text.highlight(doc, [(s + lo, e + lo) for s, e in spans])
        start, end = chunk if chunk else (0, len(doc))
        return text.best_window(doc, start, end, sorted(stems))

    def _keyword(
        self, match: str, n: int, fs: tuple[str, list[Any]] | None
    ) -> list[tuple[int, float]]:
        rank = f"bm25(fts, 1.0, {EXTRA_WEIGHT}, {self.ranking.context_weight})"
        if fs is None:  # no join: half the cost per matching row
            sql = f"select rowid, {rank} as s from fts where fts match ? order by s limit ?"
            params: list[Any] = [match, n]
        else:
            where, fparams = fs
            sql = (
                f"select fts.rowid, {rank} as s from fts join docs d on d.rowid = fts.rowid"
                f" where fts match ? and {where} order by s limit ?"
            )
            params = [match, *fparams, n]
        # bm25() is negative, lower is better; flip it so every score is higher-is-better.
        return [(r, -s) for r, s in self.conn.execute(sql, params)]

    @_corruption_guard
    def search(
        self,
        query: str,
        *,
        mode: str = "hybrid",
        limit: int = 10,
        filters: SearchFilters | None = None,
        snippets: bool = True,
        min_relevance: float | None = None,
    ) -> list[Hit]:
        """Best ``limit`` documents for ``query``; filters apply before the limit.

        A query with no words (empty, only punctuation) lists the most recent documents
        that pass the filters, with score 0. Without a model, hybrid and semantic searches
        run keyword-only: ``last_mode`` is then "keyword" and ``last_note`` says why.
        ``snippets=False`` skips building snippets (evaluation runs that only need ids).
        Hits below the relevance floor (``min_relevance``, default the ranking's) are dropped.
        """
        if mode not in MODES:
            raise CtxError(f"unknown search mode '{mode}'", "use hybrid, keyword or semantic")
        self.last_note = None
        limit = max(0, int(limit))
        if limit == 0:
            self.last_mode = mode
            return []
        fs = filter_sql(filters)
        parsed = text.build_match(query)
        if parsed.match is None:
            self.last_mode = "recent"
            return self._recent(limit, fs)
        use_kw = mode in ("hybrid", "keyword")
        use_sem = mode in ("hybrid", "semantic")
        if use_sem and self.vs is None:
            use_sem, use_kw = False, True
            self.last_note = (
                f"semantic search unavailable ({self.semantic_reason}); keyword results only"
            )
        self.last_mode = "hybrid" if use_kw and use_sem else ("keyword" if use_kw else "semantic")
        cfg = self.ranking
        n = max(cfg.candidates, limit)
        plan = self.vs.prepare(fs) if use_sem and self.vs is not None else None
        job: Any = None
        if plan is not None and use_kw:
            # Embed the query (and, with the vectors in memory, search them) on a worker
            # thread while FTS runs here: onnxruntime, numpy and SQLite all release the GIL.
            if plan.in_memory:
                job = self._pool().submit(lambda: plan.run(self._query_vector(query), n))
            else:
                job = self._pool().submit(self._query_vector, query)
        stems = [self._stems(c.strip('"')) for c in parsed.clauses]
        match = self._pruned_match(parsed, stems) if use_kw else None
        kw = self._keyword(match, n, fs) if match else []
        sem_raw: list[tuple[int, float, int]] = []
        if plan is not None:
            if job is not None and plan.in_memory:
                sem_raw = job.result()
            else:
                vec = job.result() if job is not None else self._query_vector(query)
                sem_raw = plan.run(vec, n)
        sem = [(doc, 1.0 - dist) for doc, dist, _cid in sem_raw]
        fused = rank.fuse(kw, sem, cfg)
        if not fused:
            return []
        rows = self._rows(list(fused))
        now = _now()
        ranked = sorted(
            (
                (
                    rank.weight(
                        fused[r], ts=row[4], kind=row[2], memory_type=row[5], cfg=cfg, now=now
                    ),
                    r,
                )
                for r, row in rows.items()
            ),
            key=lambda sr: (-sr[0], sr[1]),
        )
        best_chunk = {doc: cid for doc, _d, cid in sem_raw}
        kw_set = {r for r, _ in kw}
        sem_set = set(best_chunk)
        all_stems = {t for ts in stems for t in ts}
        relevance = self._relevance_of(parsed.terms, kw_set, sem_raw, rows)
        floor = cfg.min_relevance if min_relevance is None else min_relevance
        scored = []
        for sr in ranked:
            if relevance(sr[1]) >= floor:
                scored.append(sr)
                if len(scored) >= limit:
                    break
        spans = (
            self._chunk_spans([best_chunk[r] for _, r in scored if r in best_chunk])
            if snippets
            else {}
        )
        hits = []
        for score, r in scored:
            row = rows[r]
            snip = (
                self._snippet(row[3], all_stems, spans.get(best_chunk.get(r, -1)))
                if snippets
                else ""
            )
            matched = [m for m, s in (("keyword", kw_set), ("semantic", sem_set)) if r in s]
            hit = _row_to_hit(row, score, snip, matched)
            hit.relevance = round(relevance(r), 4)
            hits.append(hit)
        return hits

    def _relevance_of(
        self,
        terms: list[str],
        kw_set: set[int],
        sem_raw: list[tuple[int, float, int]],
        rows: dict[int, tuple[Any, ...]],
    ) -> Callable[[int], float]:
        """A document's relevance (Hit.relevance), computed on demand for the ranked head.

        Keyword side: the IDF-weighted share of the query's words found in the document (its
        text and extra terms: tags, CamelCase parts, CJK bigrams; a word only its neighbours
        hold counts CONTEXT_RELEVANCE); a rare word counts more than a common one, and a word
        no document holds is left out (nothing could match it: a typo, or noise). Vector side:
        the cosine similarity of the best chunk. Both are absolute (0..1), so one floor works
        for every mode, query and project.
        """
        cos = {doc: max(0.0, 1.0 - dist) for doc, dist, _cid in sem_raw}
        term_stems: list[set[str]] = []
        weights: list[float] = []
        if terms and kw_set:
            import math

            stems = [set(self._stems(t)) for t in terms]
            df = self._doc_freqs({t for ts in stems for t in ts})
            if self._df_docs == 0:
                self._index_changed()
            n_docs = max(self._df_docs, 1)
            for ts in stems:
                least = min((df[t] for t in ts), default=0)
                if ts and least > 0:
                    term_stems.append(ts)
                    weights.append(math.log(1.0 + n_docs / (1.0 + least)))
        memo: dict[int, float] = {}

        def relevance(r: int) -> float:
            if r in memo:
                return memo[r]
            kw_rel = 0.0
            if r in kw_set and weights:
                have = set(self._stems(rows[r][3][: 2 * SNIPPET_SCAN_CHARS]))
                near: set[str] = set()
                if not all(ts <= have for ts in term_stems):  # extra terms, then neighbours
                    extra, ctx = db.rows(
                        self.conn, "select extra, context from docs where rowid = ?", (r,)
                    )[0]
                    have |= set(self._stems(str(extra or "")[: 2 * SNIPPET_SCAN_CHARS]))
                    near = set(self._stems(str(ctx or "")))
                got = sum(
                    w if ts <= have else CONTEXT_RELEVANCE * w if ts <= have | near else 0.0
                    for w, ts in zip(weights, term_stems, strict=True)
                )
                kw_rel = got / sum(weights)
            memo[r] = max(kw_rel, cos.get(r, 0.0))
            return memo[r]

        return relevance

    def _chunk_spans(self, chunk_ids: list[int]) -> dict[int, tuple[int, int]]:
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        q = f"select rowid, start, end from chunks where rowid in ({marks})"
        return {r: (s, e) for r, s, e in db.rows(self.conn, q, chunk_ids)}

    def _rows(self, rowids: list[int]) -> dict[int, tuple[Any, ...]]:
        out: dict[int, tuple[Any, ...]] = {}
        for i in range(0, len(rowids), 500):
            part = rowids[i : i + 500]
            q = f"select {_DOC_COLS} from docs where rowid in ({','.join('?' * len(part))})"
            for row in self.conn.execute(q, part):
                out[row[0]] = row
        return out

    def _recent(self, limit: int, fs: tuple[str, list[Any]] | None) -> list[Hit]:
        where, params = fs if fs else ("1", [])
        rows = db.rows(
            self.conn,
            f"select {_DOC_COLS} from docs d where {where} order by ts desc, rowid desc limit ?",
            [*params, limit],
        )
        return [_row_to_hit(r, 0.0, text.best_window(r[3], 0, len(r[3]), []), []) for r in rows]

    # -- status --------------------------------------------------------------------------
    def stats(self) -> IndexStats:
        counts: dict[str, int] = dict(
            db.rows(self.conn, "select kind, count(*) from docs group by kind")
        )
        chunks = int(db.scalar(self.conn, "select count(*) from chunks"))
        if self.vs is not None:
            nvec = self.vs.count()
        else:  # opened without the model (a current index answers so): one vector per chunk
            nvec = chunks if self.vec_ok and self._has_vec_table() else 0
        pending = (
            int(db.scalar(self.conn, "select count(*) from docs where embedded = 0"))
            if self.embedder is not None
            else 0
        )
        size = 0
        for suffix in ("", "-wal"):
            try:
                size += os.path.getsize(str(self.db_path) + suffix)
            except OSError:
                pass
        schema = [
            r[0] for r in self.conn.execute("select name from schema_migrations order by rowid")
        ]
        return IndexStats(
            db_path=str(self.db_path),
            size_bytes=size,
            documents=sum(counts.values()),
            memories=counts.get("memory", 0),
            turns=counts.get("turn", 0),
            chunks=chunks,
            vectors=nvec,
            pending_embeddings=pending,
            model=self.embedder.name if self.embedder else self.get_meta("vec_model"),
            dim=self.embedder.dim if self.embedder else None,
            vector_available=self.vec_ok,
            semantic_available=self.semantic_available,
            semantic_reason=self.semantic_reason,
            rebuilt_reason=self.rebuilt_reason,
            schema=schema,
        )


def _author_match(*args: Any) -> int:
    """SQL function ctx_author_match(pattern, author)."""
    from ctx.core.author_match import author_matches

    pattern, author = args
    if not pattern or not author:
        return 0
    return int(author_matches(str(pattern), str(author)))


def _now() -> float:
    import time

    return time.time()


def _batches(items: list[Any], n: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _char_spans(raw: bytes, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Byte offsets (in order) -> character offsets, in one pass over ``raw``."""
    out: list[tuple[int, int]] = []
    pos_b = pos_c = 0

    def at(b: int) -> int:
        nonlocal pos_b, pos_c
        if b > pos_b:
            pos_c += len(raw[pos_b:b].decode("utf-8", "replace"))
            pos_b = b
        return pos_c

    for s, e in spans:
        out.append((at(s), at(e)))
    return out


def _work_batches(docs: list[IndexDoc], units: dict[str, int]) -> Iterator[list[IndexDoc]]:
    """At most BATCH documents and about BATCH_UNITS chunks per transaction."""
    batch: list[IndexDoc] = []
    size = 0
    for d in docs:
        if batch and (len(batch) >= BATCH or size + units[d.doc_id] > BATCH_UNITS):
            yield batch
            batch, size = [], 0
        batch.append(d)
        size += units[d.doc_id]
    if batch:
        yield batch


def embed_spans(doc: str) -> list[text.Chunk]:
    """The chunks of a document that get vectors: those of its first EMBED_MAX_CHARS."""
    return text.chunk_spans(doc[:EMBED_MAX_CHARS])


def _row_to_doc(r: tuple[Any, ...]) -> IndexDoc:
    return IndexDoc(
        doc_id=r[1],
        kind=r[2],
        text=r[3],
        ts=r[4],
        fingerprint="",
        memory_type=r[5],
        tags=json.loads(r[6]),
        session_id=r[7],
        turn_n=r[8],
        turn_ext_id=r[9],
        role=r[10],
        tool=r[11],
        branch=r[12],
        author=r[13],
        title=r[14],
    )


def _row_to_hit(r: tuple[Any, ...], score: float, snippet: str, matched: list[str]) -> Hit:
    doc_id, kind = r[1], r[2]
    return Hit(
        doc_id=doc_id,
        kind=kind,
        score=float(score),
        text=r[3],
        snippet=snippet,
        memory_id=doc_id[2:] if kind == "memory" and doc_id.startswith("m:") else None,
        session_id=r[7],
        turn_n=r[8],
        turn_ext_id=r[9],
        memory_type=r[5],
        tags=json.loads(r[6]),
        ts=r[4],
        author=r[13],
        branch=r[12],
        tool=r[11],
        title=r[14],
        role=r[10],
        matched=matched,
    )
