"""Vector storage and exact nearest-neighbour search over chunk embeddings.

Vectors live in a sqlite-vec ``vec0`` table (cosine distance), one row per chunk; the
``chunks`` table maps a chunk back to its document. A one-off query (the CLI: one process
per search) uses vec0's KNN scan, which needs no loading. A process that keeps searching
(MCP server, TUI, ``--batch``, benchmarks) gets an in-memory numpy copy of the vectors
built in a background thread after its second query on a large index: a matrix product is
several times faster than vec0's scan at 100k vectors (docs/search.md has the numbers).
Both paths are exact and filter inside the search, so a filter never starves the result.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import apsw

from ctx.search import db

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

TABLE = "vec_chunks"
VEC0_MAX_K = 4096
MIRROR_MIN_VECTORS = 20_000  # below this vec0's scan is already a few milliseconds


def table_exists(conn: apsw.Connection) -> bool:
    return bool(conn.execute("select 1 from sqlite_master where name = ?", (TABLE,)).fetchall())


def create_table(conn: apsw.Connection, dim: int) -> None:
    conn.execute(
        f"create virtual table {TABLE} using vec0(embedding float[{dim}] distance_metric=cosine)"
    )


def drop_table(conn: apsw.Connection) -> None:
    conn.execute(f"drop table if exists {TABLE}")


class Mirror:
    """All chunk vectors as one float32 matrix, with their chunk and document rowids."""

    def __init__(
        self, matrix: npt.NDArray[Any], chunk_ids: npt.NDArray[Any], doc_ids: npt.NDArray[Any]
    ):
        self.matrix = matrix
        self.chunk_ids = chunk_ids
        self.doc_ids = doc_ids
        self.max_doc = int(doc_ids.max(initial=0))

    @classmethod
    def load(cls, conn: apsw.Connection, dim: int) -> Mirror:
        import numpy as np

        rows = db.rows(
            conn,
            f"select v.rowid, c.doc_rowid, v.embedding from {TABLE} v"
            " join chunks c on c.rowid = v.rowid",
        )
        n = len(rows)
        matrix = np.empty((n, dim), dtype=np.float32)
        chunk_ids = np.empty(n, dtype=np.int64)
        doc_ids = np.empty(n, dtype=np.int64)
        for i, (cid, did, blob) in enumerate(rows):
            chunk_ids[i] = cid
            doc_ids[i] = did
            matrix[i] = np.frombuffer(blob, dtype=np.float32)
        return cls(matrix, chunk_ids, doc_ids)

    def knn(
        self, q: npt.NDArray[Any], k: int, allowed_docs: npt.NDArray[Any] | None
    ) -> list[tuple[int, float, int]]:
        """Top ``k`` chunks as (doc rowid, cosine distance, chunk rowid), maybe among some docs."""
        import numpy as np

        sims = self.matrix @ q
        if allowed_docs is not None:
            top = int(max(self.max_doc, allowed_docs.max(initial=0)))
            mask = np.zeros(top + 1, dtype=bool)
            mask[allowed_docs] = True
            sims[~mask[self.doc_ids]] = -np.inf
        k = min(k, len(sims))
        if k <= 0:
            return []
        idx = np.argpartition(-sims, k - 1)[:k]
        idx = idx[np.argsort(-sims[idx], kind="stable")]
        return [
            (int(self.doc_ids[i]), float(1.0 - sims[i]), int(self.chunk_ids[i]))
            for i in idx
            if sims[i] != -np.inf
        ]


class VectorSearch:
    """KNN over the vec0 table, with an optional in-memory mirror for warm processes."""

    def __init__(self, conn: apsw.Connection, db_path: Path, dim: int) -> None:
        self.conn = conn
        self.db_path = db_path
        self.dim = dim
        self.mirror: Mirror | None = None
        self.queries = 0
        self._generation = 0  # bumped on every local write; a mirror built before is stale
        self._data_version = self._read_data_version()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.auto_mirror = True
        self._big_checked = False  # counted the vectors once (for auto_mirror)
        self._big = False

    def _read_data_version(self) -> int:
        return int(db.scalar(self.conn, "pragma data_version"))

    def changed(self) -> None:
        """Called after this process wrote vectors: drop the mirror (rebuilt on demand)."""
        with self._lock:
            self._generation += 1
            self.mirror = None
            self._big_checked = False

    def _check_external_writes(self) -> None:
        dv = self._read_data_version()
        if dv != self._data_version:
            self._data_version = dv
            self.changed()

    def count(self) -> int:
        return int(db.scalar(self.conn, f"select count(*) from {TABLE}"))

    # -- mirror ---------------------------------------------------------------------------
    def _build_mirror(self, generation: int) -> None:
        opened = db.connect(self.db_path, readonly=True)
        try:
            mirror = Mirror.load(opened.conn, self.dim)
        finally:
            opened.conn.close()
        with self._lock:
            if generation == self._generation:
                self.mirror = mirror

    def warm(self, wait: bool = True) -> None:
        """Build the in-memory mirror now (``wait``) or in the background."""
        with self._lock:
            if self.mirror is not None or (self._thread and self._thread.is_alive()):
                thread = self._thread
            else:
                gen = self._generation
                thread = threading.Thread(
                    target=self._build_mirror, args=(gen,), name="ctx-vector-mirror", daemon=True
                )
                self._thread = thread
                thread.start()
        if wait and thread is not None:
            thread.join()

    # -- search ---------------------------------------------------------------------------
    def prepare(self, filter_sql: tuple[str, list[Any]] | None) -> Plan:
        """Everything that needs the connection, done before the query vector exists.

        The returned plan's :meth:`Plan.run` touches no database when the in-memory copy is
        used, so it can run on another thread while FTS runs on this one.
        """
        import numpy as np

        self.queries += 1
        self._check_external_writes()
        mirror = self.mirror
        if mirror is None and self.auto_mirror and self.queries >= 2 and not self._big_checked:
            self._big_checked = True
            n = int(db.scalar(self.conn, "select count(*) from chunks"))
            self._big = n >= MIRROR_MIN_VECTORS
        if mirror is None and self.auto_mirror and self._big:
            self.warm(wait=False)
        allowed = None
        if mirror is not None and filter_sql is not None:
            where, fparams = filter_sql
            # One row back instead of one per document: far cheaper for broad filters.
            ids = db.scalar(
                self.conn, f"select group_concat(d.rowid) from docs d where {where}", fparams
            )
            allowed = np.array(ids.split(",") if ids else [], dtype=np.int64)
        return Plan(self, mirror, allowed, filter_sql)

    def knn(
        self,
        q: npt.NDArray[np.float32],
        k_docs: int,
        filter_sql: tuple[str, list[Any]] | None = None,
    ) -> list[tuple[int, float, int]]:
        """Best ``k_docs`` documents as (doc rowid, distance of its best chunk, chunk rowid)."""
        return self.prepare(filter_sql).run(q, k_docs)

    def _vec0(
        self, q: npt.NDArray[np.float32], k_chunks: int, filter_sql: tuple[str, list[Any]] | None
    ) -> list[tuple[int, float, int]]:
        import numpy as np

        qb = np.asarray(q, dtype=np.float32).tobytes()
        if filter_sql is None:
            sql = (
                f"select v.rowid, v.distance, c.doc_rowid from {TABLE} v"
                " join chunks c on c.rowid = v.rowid"
                " where v.embedding match ? and v.k = ? order by v.distance"
            )
            params: list[Any] = [qb, k_chunks]
        else:
            where, fparams = filter_sql
            sql = (
                f"select v.rowid, v.distance, c.doc_rowid from {TABLE} v"
                " join chunks c on c.rowid = v.rowid"
                " where v.embedding match ? and v.k = ? and v.rowid in ("
                "   select c2.rowid from chunks c2 join docs d on d.rowid = c2.doc_rowid"
                f"  where {where}) order by v.distance"
            )
            params = [qb, k_chunks, *fparams]
        return [(doc, dist, cid) for cid, dist, doc in self.conn.execute(sql, params)]


class Plan:
    """A prepared vector search: in memory (thread-safe, no database) or through vec0."""

    def __init__(
        self,
        vs: VectorSearch,
        mirror: Mirror | None,
        allowed: npt.NDArray[Any] | None,
        filter_sql: tuple[str, list[Any]] | None,
    ) -> None:
        self.vs = vs
        self.mirror = mirror
        self.allowed = allowed
        self.filter_sql = filter_sql

    @property
    def in_memory(self) -> bool:
        return self.mirror is not None

    def run(self, q: npt.NDArray[np.float32], k_docs: int) -> list[tuple[int, float, int]]:
        import numpy as np

        # Over-fetch chunks: several chunks of one long document may crowd the top.
        k_chunks = min(VEC0_MAX_K, k_docs * 2 + 8)
        if self.mirror is not None:
            pairs = self.mirror.knn(np.asarray(q, dtype=np.float32), k_chunks, self.allowed)
        else:
            pairs = self.vs._vec0(q, k_chunks, self.filter_sql)
        best: dict[int, tuple[float, int]] = {}
        for doc, dist, cid in pairs:
            if doc not in best or dist < best[doc][0]:
                best[doc] = (dist, cid)
        ranked = sorted(best.items(), key=lambda kv: kv[1][0])[:k_docs]
        return [(doc, dist, cid) for doc, (dist, cid) in ranked]
