"""Text embeddings: a small Protocol, the fastembed implementation and a content cache.

fastembed and onnxruntime are imported inside functions only: importing this module costs
nothing, so `ctx --help` stays fast. The cache keys vectors by sha256(model name + text)
in a database under the user cache directory, outside the project, so `ctx index --rebuild`
or a second clone on the same machine does not recompute a single vector.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ctx.core import paths

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vector = npt.NDArray[np.float32]
else:
    Vector = Any

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BATCH_SIZE = 32
# A failed download is not retried on every command for this long (offline laptops).
DOWNLOAD_RETRY_AFTER_S = 3600


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns text into unit-length float32 vectors of a fixed size."""

    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]: ...

    def embed_query(self, text: str) -> Vector: ...


def default_threads() -> int:
    """onnxruntime threads: all cores up to 4 (more only adds contention on laptops)."""
    return max(1, min(os.cpu_count() or 1, 4))


PRECISIONS = ("int8", "fp32")
DEFAULT_PRECISION = "int8"


class FastEmbedEmbedder:
    """fastembed's TextEmbedding, batched by token count so that batches carry little padding.

    ``name`` identifies the vectors (index metadata, embedding cache): an int8 copy of a model
    is named ``<model>:int8``, so switching precision re-embeds instead of mixing vectors.
    """

    def __init__(
        self,
        model_name: str = DEFAULT_MODEL,
        model_path: Path | None = None,
        cache_dir: Path | None = None,
        threads: int | None = None,
        local_files_only: bool = False,
        precision: str = "fp32",
    ) -> None:
        from fastembed import TextEmbedding

        kwargs: dict[str, Any] = {}
        if model_path is not None:
            kwargs["specific_model_path"] = str(model_path)
        if local_files_only:
            kwargs["local_files_only"] = True
        self.model_name = model_name
        self.precision = precision
        self.name = model_name if precision == "fp32" else f"{model_name}:{precision}"
        self._model = TextEmbedding(
            model_name,
            cache_dir=str(cache_dir or paths.models_cache_dir()),
            threads=threads or default_threads(),
            **kwargs,
        )
        self._counter: Any = None
        self.dim = len(self.embed_query("dimension probe"))

    @property
    def model_dir(self) -> Path:
        """The directory fastembed loaded the model from (a local one or its download cache)."""
        inner: Any = self._model.model  # fastembed's OnnxTextEmbedding
        return Path(inner._model_dir)

    @property
    def model_file(self) -> str:
        inner: Any = self._model.model
        return str(inner.model_description.model_file)

    def _token_counts(self, texts: Sequence[str]) -> list[int]:
        """Token counts from an unpadded copy of the model's tokenizer: sorting by them rather
        than by characters cuts padding (identifiers and paths are token-dense), which on
        coding sessions made the int8 model 15-20% faster (docs/benchmarks.md)."""
        if self._counter is None:
            from tokenizers import Tokenizer

            inner: Any = self._model.model
            inner._ensure_tokenizer()
            counter = Tokenizer.from_str(inner.tokenizer.to_str())
            counter.no_padding()
            self._counter = counter
        return [len(e.ids) for e in self._counter.encode_batch(list(texts))]

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        import numpy as np

        if not texts:
            return []
        try:
            sizes: Sequence[int] = self._token_counts(texts)
        except Exception:  # a tokenizer fastembed did not expose as expected: by length
            sizes = [len(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: sizes[i])
        vecs = self._model.embed([texts[i] for i in order], batch_size=BATCH_SIZE)
        out: list[Vector] = [np.empty(0, dtype=np.float32)] * len(texts)
        for i, v in zip(order, vecs, strict=True):
            out[i] = np.asarray(v, dtype=np.float32)
        return out

    def embed_query(self, text: str) -> Vector:
        import numpy as np

        return np.asarray(next(iter(self._model.query_embed(text))), dtype=np.float32)


def _silence_fastembed_logs() -> None:
    try:
        from loguru import logger

        logger.disable("fastembed")
    except ImportError:  # pragma: no cover - loguru is a fastembed dependency
        pass


def resolve_model(model_name: str | None, model_path: Path | str | None) -> tuple[str, Path | None]:
    """Environment (CTX_EMBED_MODEL, CTX_EMBED_MODEL_PATH) overrides the given config values."""
    name = os.environ.get("CTX_EMBED_MODEL") or model_name or DEFAULT_MODEL
    raw = os.environ.get("CTX_EMBED_MODEL_PATH") or model_path
    return name, (Path(os.path.expanduser(str(raw))) if raw else None)


def resolve_precision(precision: str | None) -> str:
    """CTX_EMBED_PRECISION overrides the config value; anything unknown means the default."""
    value = (os.environ.get("CTX_EMBED_PRECISION") or precision or DEFAULT_PRECISION).lower()
    return value if value in PRECISIONS else DEFAULT_PRECISION


def _failed_marker(name: str) -> Path:
    return (
        paths.models_cache_dir()
        / f".download-failed-{hashlib.sha1(name.encode()).hexdigest()[:12]}"
    )


def try_load_embedder(
    model_name: str | None = None,
    model_path: Path | str | None = None,
    *,
    threads: int | None = None,
    quiet: bool = False,
    precision: str | None = None,
) -> tuple[FastEmbedEmbedder | None, str | None]:
    """Load the configured model; return (embedder, None) or (None, reason it is unusable).

    A local directory is used as is (no network). Otherwise the model is looked up in the
    fastembed cache and, on first use, downloaded there with a message on stderr. With int8
    precision (the default) the quantised copy is loaded, made first if needed; if it cannot
    be made, the float32 model serves and stderr says why.
    """
    name, path = resolve_model(model_name, model_path)
    want = resolve_precision(precision)
    _silence_fastembed_logs()
    if want == "int8":
        from ctx.search import quantize

        target = quantize.int8_dir(name, path)
        if quantize.is_ready(target):
            try:
                return FastEmbedEmbedder(
                    name, model_path=target, threads=threads, precision="int8"
                ), None
            except Exception:
                shutil.rmtree(target, ignore_errors=True)  # damaged: make it again below
    emb, reason = _load_fp32(name, path, threads, quiet)
    if emb is None or want == "fp32":
        return emb, reason
    return _int8_from(emb, name, path, threads, quiet), None


def _int8_from(
    emb: FastEmbedEmbedder, name: str, path: Path | None, threads: int | None, quiet: bool
) -> FastEmbedEmbedder:
    from ctx.search import quantize

    target = quantize.int8_dir(name, path)  # again: a download just now changes the key
    if not quiet:
        print(f"ctx: preparing an int8 copy of {name} (once, a few seconds)...", file=sys.stderr)
    try:
        quantize.make_int8(emb.model_dir, emb.model_file, target)
        return FastEmbedEmbedder(name, model_path=target, threads=threads, precision="int8")
    except Exception as exc:
        if not quiet:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            print(
                f"ctx: could not make the int8 model ({first}); using float32 "
                '(set embedding.precision = "fp32" to skip this)',
                file=sys.stderr,
            )
        return emb


def _load_fp32(
    name: str, path: Path | None, threads: int | None, quiet: bool
) -> tuple[FastEmbedEmbedder | None, str | None]:
    if path is not None:
        if not path.is_dir():
            return None, f"model directory {path} does not exist"
        if not any(path.glob("*.onnx")) or not (path / "tokenizer.json").exists():
            return None, f"model directory {path} has no .onnx model or no tokenizer.json"
        try:
            return FastEmbedEmbedder(name, model_path=path, threads=threads), None
        except Exception as exc:
            return None, f"cannot load model {name} from {path}: {exc}"
    cache = paths.models_cache_dir()
    try:
        return FastEmbedEmbedder(
            name, cache_dir=cache, threads=threads, local_files_only=True
        ), None
    except Exception:
        pass  # not cached yet
    marker = _failed_marker(name)
    try:
        if time.time() - marker.stat().st_mtime < DOWNLOAD_RETRY_AFTER_S:
            return None, (
                f"embedding model {name} is not available offline (download failed recently); "
                "set CTX_EMBED_MODEL_PATH to a local model directory"
            )
    except FileNotFoundError:
        pass
    if not quiet:
        print(
            f"ctx: downloading embedding model {name} into {cache} (first use)...", file=sys.stderr
        )
    try:
        emb = FastEmbedEmbedder(name, cache_dir=cache, threads=threads)
    except Exception as exc:
        cache.mkdir(parents=True, exist_ok=True)
        marker.touch()
        return None, f"cannot download embedding model {name}: {exc}"
    marker.unlink(missing_ok=True)
    return emb, None


_last_reason: str | None = None


def load_embedder(
    model_name: str | None = None,
    model_path: Path | str | None = None,
    precision: str | None = None,
) -> FastEmbedEmbedder | None:
    """Like :func:`try_load_embedder`; the reason for a None is in :func:`last_load_error`."""
    global _last_reason
    emb, _last_reason = try_load_embedder(model_name, model_path, precision=precision)
    return emb


def last_load_error() -> str | None:
    return _last_reason


DEFAULT_CACHE_MAX_MB = 2048  # about 1.3 million MiniLM vectors


def _cache_max_bytes() -> int:
    """CTX_EMBED_CACHE_MAX_MB (0: no limit) or the default."""
    raw = os.environ.get("CTX_EMBED_CACHE_MAX_MB", "")
    try:
        mb = float(raw) if raw.strip() else DEFAULT_CACHE_MAX_MB
    except ValueError:
        mb = DEFAULT_CACHE_MAX_MB
    return int(mb * 1024 * 1024) if mb > 0 else 0


class EmbeddingCache:
    """sha256(model + text) -> float32 vector, in a small SQLite database shared by projects.

    Bounded: past about ``max_bytes`` of vectors, the oldest (by the write that stored them)
    are dropped down to three quarters of it; SQLite reuses the freed space, so the file stops
    growing there. A row count kept beside the vectors makes the check free.
    """

    def __init__(self, path: Path | None = None, max_bytes: int | None = None) -> None:
        import apsw

        from ctx.search.db import private_file

        self.path = path or paths.embeddings_cache_dir() / "vectors.sqlite"
        private_file(self.path)  # vectors of private text: 0600
        self.max_bytes = _cache_max_bytes() if max_bytes is None else max_bytes
        self._conn = apsw.Connection(str(self.path))
        self._conn.set_busy_timeout(10_000)
        try:
            self._prepare()
        except (apsw.CorruptError, apsw.NotADBError):
            # A cache: throw it away rather than fail.
            self._conn.close()
            from ctx.search.db import remove_db_files

            remove_db_files(self.path)
            self._conn = apsw.Connection(str(self.path))
            self._conn.set_busy_timeout(10_000)
            self._prepare()

    def _prepare(self) -> None:
        c = self._conn
        c.execute("pragma journal_mode=wal")
        c.execute("pragma synchronous=normal")
        c.execute(
            "create table if not exists vectors(key blob primary key, vec blob not null,"
            " added integer not null default 0) without rowid"
        )
        columns = {row[1] for row in c.execute("pragma table_info(vectors)")}
        if "added" not in columns:  # a cache written by an earlier ctx: its rows count as oldest
            c.execute("alter table vectors add column added integer not null default 0")
        c.execute("create table if not exists meta(k text primary key, v integer not null)")
        if c.execute("select 1 from meta where k = 'rows'").fetchone() is None:
            c.execute(
                "insert or ignore into meta(k, v) select 'rows', count(*) from vectors"
            )  # once per cache file: later writes keep the count

    @staticmethod
    def key(model: str, text: str) -> bytes:
        return hashlib.sha256(
            model.encode() + b"\0" + text.encode("utf-8", "surrogatepass")
        ).digest()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        out: dict[bytes, bytes] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            q = "select key, vec from vectors where key in ({})".format(",".join("?" * len(part)))
            for k, v in self._conn.execute(q, tuple(part)):
                out[k] = v
        return out

    def put_many(self, items: Sequence[tuple[bytes, bytes]]) -> None:
        if not items:
            return
        c = self._conn
        c.execute("begin immediate")  # the counters are read and written under the write lock
        try:
            gen = self._meta("generation") + 1
            before = c.total_changes()
            c.executemany(
                "insert or ignore into vectors(key, vec, added) values(?, ?, ?)",
                [(k, v, gen) for k, v in items],
            )
            rows = self._meta("rows") + c.total_changes() - before
            if self.max_bytes:
                # a row: the vector, its 32-byte key, and SQLite's own bookkeeping
                max_rows = max(1, self.max_bytes // (len(items[0][1]) + 64))
                if rows > max_rows:  # drop the oldest down to three quarters of the limit
                    before = c.total_changes()
                    c.execute(
                        "delete from vectors where key in"
                        " (select key from vectors order by added limit ?)",
                        (rows - max_rows * 3 // 4,),
                    )
                    rows -= c.total_changes() - before
            c.executemany(
                "insert or replace into meta(k, v) values(?, ?)",
                [("generation", gen), ("rows", rows)],
            )
            c.execute("commit")
        except BaseException:
            c.execute("rollback")
            raise

    def _meta(self, key: str) -> int:
        row = self._conn.execute("select v from meta where k = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def rows(self) -> int:
        return self._meta("rows")

    def close(self) -> None:
        self._conn.close()


class CachedEmbedder:
    """Wraps an Embedder; documents already embedded by this model are read from the cache."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache | None) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.dim = inner.dim
        self.computed = 0  # vectors actually computed by the model (for progress and tests)

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        import numpy as np

        if self.cache is None:
            self.computed += len(texts)
            return self.inner.embed_documents(texts)
        keys = [EmbeddingCache.key(self.name, t) for t in texts]
        found = self.cache.get_many(keys)
        out: list[Vector | None] = [None] * len(texts)
        missing: dict[bytes, list[int]] = {}
        for i, k in enumerate(keys):
            blob = found.get(k)
            if blob is not None and len(blob) == 4 * self.dim:
                out[i] = np.frombuffer(blob, dtype=np.float32)
            else:
                missing.setdefault(k, []).append(i)
        if missing:
            todo = [texts[idx[0]] for idx in missing.values()]
            vecs = self.inner.embed_documents(todo)
            self.computed += len(todo)
            rows = []
            for (k, idx), v in zip(missing.items(), vecs, strict=True):
                v = np.asarray(v, dtype=np.float32)
                rows.append((k, v.tobytes()))
                for i in idx:
                    out[i] = v
            self.cache.put_many(rows)
        return [v for v in out if v is not None]

    def embed_query(self, text: str) -> Vector:
        return self.inner.embed_query(text)
