"""Model loading (local dir, env override, offline) and the embedding cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ctx.search import embed
from ctx.search.embed import CachedEmbedder, EmbeddingCache, load_embedder, try_load_embedder

from .conftest import MODEL_DIR, CountingEmbedder


def test_local_model_directory_loads(real_embedder: object) -> None:
    emb, reason = try_load_embedder(None, MODEL_DIR)
    assert reason is None and emb is not None
    assert emb.dim == 384 and emb.name == "sentence-transformers/all-MiniLM-L6-v2"
    v = emb.embed_query("hello")
    assert v.dtype == np.float32 and abs(float(np.linalg.norm(v)) - 1.0) < 1e-3
    docs = emb.embed_documents(["a short one", "a much longer document " * 20, "mid length text"])
    # Batching sorts by length internally; results must come back in input order.
    again = [emb.embed_documents([t])[0] for t in ["a short one", "a much longer document " * 20]]
    assert np.allclose(docs[0], again[0], atol=1e-5) and np.allclose(docs[1], again[1], atol=1e-5)


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
