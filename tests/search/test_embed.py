"""Model loading (local dir, env override, offline) and the embedding cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ctx.core import paths
from ctx.search import embed, quantize
from ctx.search.embed import CachedEmbedder, EmbeddingCache, load_embedder, try_load_embedder

from .conftest import MODEL_DIR, CountingEmbedder


def test_local_model_directory_loads(real_embedder: object) -> None:
    emb, reason = try_load_embedder(None, MODEL_DIR)
    assert reason is None and emb is not None
    assert emb.dim == 384 and emb.name == "sentence-transformers/all-MiniLM-L6-v2:int8"
    v = emb.embed_query("hello")
    assert v.dtype == np.float32 and abs(float(np.linalg.norm(v)) - 1.0) < 1e-3
    texts = ["a short one", "a much longer document " * 20, "mid length text", "x"]
    # Batching sorts by token count internally; results must come back in input order.
    fp32, _ = try_load_embedder(None, MODEL_DIR, precision="fp32")
    assert fp32 is not None
    docs = fp32.embed_documents(texts)
    again = [fp32.embed_documents([t])[0] for t in texts]
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(docs, again, strict=True))
    # int8 activations are quantised per batch, so a vector moves a little with its batch
    # companions (cosine ~0.99, docs/search.md), but never to another text's place.
    docs8 = np.array(emb.embed_documents(texts))
    alone8 = np.array([emb.embed_documents([t])[0] for t in texts])
    sims = docs8 @ alone8.T
    assert list(sims.argmax(axis=1)) == [0, 1, 2, 3] and float(np.diag(sims).min()) > 0.97


def test_int8_copy_is_made_once_and_stays_close_to_fp32(
    capfd: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CTX_CACHE_DIR", str(tmp_path / "cache"))  # a cache with no copy yet
    int8, reason = try_load_embedder(None, MODEL_DIR, threads=2)
    assert reason is None and int8 is not None and int8.precision == "int8"
    assert "preparing an int8 copy" in capfd.readouterr().err
    target = quantize.int8_dir(int8.model_name, MODEL_DIR)
    assert quantize.is_ready(target) and int8.model_dir == target
    assert (target / "model.onnx").stat().st_size < 0.8 * (MODEL_DIR / "model.onnx").stat().st_size
    made = (target / "model.onnx").stat().st_mtime_ns

    again, _ = try_load_embedder(None, MODEL_DIR, threads=2)
    assert again is not None and again.name == int8.name
    assert (target / "model.onnx").stat().st_mtime_ns == made  # reused, not made again
    assert "preparing" not in capfd.readouterr().err

    fp32, _ = try_load_embedder(None, MODEL_DIR, threads=2, precision="fp32")
    assert fp32 is not None and fp32.name == "sentence-transformers/all-MiniLM-L6-v2"
    texts = ["why did we pick RS256 for the JWTs", "pytest -k test_upload fails on CI", "hola"]
    a, b = np.array(int8.embed_documents(texts)), np.array(fp32.embed_documents(texts))
    assert float((a * b).sum(axis=1).min()) > 0.97
    # ranking by meaning survives quantisation: the same nearest text for a paraphrase
    q8, q32 = (
        int8.embed_query("JWT signing algorithm choice"),
        fp32.embed_query("JWT signing algorithm choice"),
    )
    assert int(np.argmax(a @ q8)) == int(np.argmax(b @ q32)) == 0


def test_a_new_revision_of_a_downloaded_model_gets_a_new_int8_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CTX_CACHE_DIR", str(tmp_path / "cache"))
    name = "sentence-transformers/all-MiniLM-L6-v2"
    before_download = quantize.int8_dir(name, None)
    snapshots = paths.models_cache_dir() / "models--qdrant--all-MiniLM-L6-v2-onnx" / "snapshots"
    (snapshots / "rev1").mkdir(parents=True)
    (snapshots / "rev1" / "model.onnx").write_bytes(b"one")
    first = quantize.int8_dir(name, None)
    assert first != before_download and quantize.int8_dir(name, None) == first  # stable
    (snapshots / "rev1" / "model.onnx").unlink()
    (snapshots / "rev2").mkdir()
    (snapshots / "rev2" / "model.onnx").write_bytes(b"two")  # fastembed fetched an update
    assert quantize.int8_dir(name, None) not in (first, before_download)
    assert quantize.int8_dir("BAAI/bge-small-en-v1.5", None) == quantize.int8_dir(
        "BAAI/bge-small-en-v1.5", None
    )


def test_precision_from_environment_and_config(monkeypatch: pytest.MonkeyPatch) -> None:
    assert embed.resolve_precision(None) == "int8"
    assert embed.resolve_precision("fp32") == "fp32"
    assert embed.resolve_precision("bogus") == "int8"
    monkeypatch.setenv("CTX_EMBED_PRECISION", "FP32")
    assert embed.resolve_precision("int8") == "fp32"
    emb, _ = try_load_embedder(None, MODEL_DIR, threads=2)
    assert emb is not None and emb.precision == "fp32" and ":" not in emb.name


def test_without_an_int8_copy_the_fp32_model_serves(
    capfd: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("CTX_CACHE_DIR", str(cache))
    (cache / "models").mkdir(parents=True)
    (cache / "models" / "int8").write_text("not a directory")  # the copy cannot be written
    emb, reason = try_load_embedder(None, MODEL_DIR, threads=2)
    assert reason is None and emb is not None and emb.precision == "fp32"
    err = capfd.readouterr().err
    assert "could not make the int8 model" in err and "using float32" in err
    assert emb.embed_documents(["still works"])[0].shape == (384,)


def test_env_overrides_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CTX_EMBED_MODEL_PATH", str(MODEL_DIR))
    name, path = embed.resolve_model("some/other-model", tmp_path)
    assert path == MODEL_DIR and name == "some/other-model"
    monkeypatch.setenv("CTX_EMBED_MODEL", "x/y")
    assert embed.resolve_model(None, None) == ("x/y", MODEL_DIR)


def test_broken_model_directory_gives_a_reason(tmp_path: Path) -> None:
    assert load_embedder(None, tmp_path / "missing") is None
    assert "does not exist" in (embed.last_load_error() or "")
    (tmp_path / "empty").mkdir()
    emb, reason = try_load_embedder(None, tmp_path / "empty")
    assert emb is None and reason and ".onnx" in reason
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "model.onnx").write_bytes(b"not a model")
    (bad / "tokenizer.json").write_text("{}")
    emb, reason = try_load_embedder(None, bad)
    assert emb is None and reason and "cannot load" in reason


def test_offline_and_not_cached(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no network: the download fails at once
    emb, reason = try_load_embedder("sentence-transformers/all-MiniLM-L6-v2", None)
    assert emb is None and reason and "cannot download" in reason
    assert "downloading embedding model" in capsys.readouterr().err  # the user was told
    # The next command does not try again right away.
    emb, reason = try_load_embedder("sentence-transformers/all-MiniLM-L6-v2", None)
    assert emb is None and reason and "CTX_EMBED_MODEL_PATH" in reason
    assert capsys.readouterr().err == ""


def test_cache_keys_by_model_and_text(tmp_path: Path, counting: CountingEmbedder) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    ce = CachedEmbedder(counting, cache)
    texts = ["alpha", "beta", "alpha"]
    first = ce.embed_documents(texts)
    assert counting.documents == 2  # duplicates computed once
    assert np.allclose(first[0], first[2])
    second = ce.embed_documents(["beta", "alpha"])
    assert counting.documents == 2 and np.allclose(second[1], first[0])
    other = CachedEmbedder(CountingEmbedder(counting.inner, name="m2"), cache)
    other.embed_documents(["alpha"])
    assert other.computed == 1  # another model's vectors are not reused
    cache.close()


def test_corrupt_cache_is_replaced(tmp_path: Path, counting: CountingEmbedder) -> None:
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"garbage" * 500)
    cache = EmbeddingCache(path)
    ce = CachedEmbedder(counting, cache)
    assert len(ce.embed_documents(["x"])) == 1
    cache.close()


def test_importing_search_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, ctx.search, ctx.search.index, ctx.search.embed;"
        "print(any(m.startswith(('fastembed', 'onnxruntime', 'numpy')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cache_stays_under_its_size_and_keeps_the_newest(tmp_path: Path) -> None:
    vec = np.ones(384, dtype=np.float32).tobytes()
    cache = EmbeddingCache(tmp_path / "c.sqlite", max_bytes=300_000)
    batches = [[EmbeddingCache.key("m", f"text {b}-{i}") for i in range(50)] for b in range(20)]
    for keys in batches:  # 1,000 vectors of 1.5 KB: about 1.5 MB written in all
        cache.put_many([(k, vec) for k in keys])
        assert cache.rows() <= 300_000 // (1536 + 64)  # trimmed as soon as it is over
        assert cache.rows() == len(cache.get_many([k for b in batches for k in b]))
    assert len(cache.get_many(batches[-1])) == 50  # the newest all kept
    assert cache.get_many(batches[0]) == {}  # the oldest dropped
    size = (tmp_path / "c.sqlite").stat().st_size
    for keys in batches:  # the same again: freed pages are reused, the file hardly grows
        cache.put_many([(k, vec) for k in keys])
    cache.close()
    assert (tmp_path / "c.sqlite").stat().st_size <= size * 1.5


def test_cache_written_by_an_earlier_version_is_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import apsw

    path = tmp_path / "old.sqlite"
    conn = apsw.Connection(str(path))
    conn.execute("create table vectors(key blob primary key, vec blob not null) without rowid")
    conn.execute("insert into vectors values(?, ?)", (b"k" * 32, b"\0" * 1536))
    conn.close()
    monkeypatch.setenv("CTX_EMBED_CACHE_MAX_MB", "0")  # no limit
    cache = EmbeddingCache(path)
    assert cache.max_bytes == 0
    assert cache.get_many([b"k" * 32]) == {b"k" * 32: b"\0" * 1536}
    cache.put_many([(b"n" * 32, b"\1" * 1536)])
    assert len(cache.get_many([b"k" * 32, b"n" * 32])) == 2
    cache.close()


def test_two_processes_quantise_one_model_at_once_and_never_write_beside_it(
    tmp_path: Path,
) -> None:
    """onnxruntime's quantiser writes `<model>-inferred.onnx` beside its input and deletes it:
    two processes quantising the same model (two projects' first searches) read each other's
    half-written file ("Failed to find proper ai.onnx domain"), and the user's model folder is
    written to. ctx quantises a private copy: both succeed, the model folder is left as it is."""
    import shutil
    import subprocess
    import sys

    source = tmp_path / "model"
    shutil.copytree(MODEL_DIR, source)
    before = sorted(p.name for p in source.iterdir())
    code = (
        "import sys; from pathlib import Path; from ctx.search import quantize\n"
        "quantize.make_int8(Path(sys.argv[1]), 'model.onnx', Path(sys.argv[2]))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(source), str(tmp_path / f"int8-{n}")],
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    seen: set[str] = set()
    while any(p.poll() is None for p in procs):  # what appears beside the model meanwhile
        seen |= {p.name for p in source.iterdir()}
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert all(quantize.is_ready(tmp_path / f"int8-{n}") for n in range(2))
    assert sorted(seen | set(before)) == before  # nothing was ever written there
