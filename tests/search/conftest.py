"""Fixtures for the search engine tests: one real model shared by the whole session."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ctx.search import IndexDoc, SearchIndex
from ctx.search.embed import FastEmbedEmbedder

MODEL_DIR = (
    Path(__file__).resolve().parents[2].parent / "shared" / "models" / "all-MiniLM-L6-v2-onnx"
)
NOW = time.time()
DAY = 86400.0


@pytest.fixture(scope="session")
def real_embedder(tmp_path_factory: pytest.TempPathFactory) -> FastEmbedEmbedder:
    """The real MiniLM model, loaded once (about a second) for every test that needs it."""
    if not (MODEL_DIR / "model.onnx").exists():
        pytest.fail(f"the test model is missing: {MODEL_DIR} (see ../shared/models/README.md)")
    return FastEmbedEmbedder(
        model_path=MODEL_DIR, cache_dir=tmp_path_factory.mktemp("fastembed"), threads=2
    )


class CountingEmbedder:
    """A thin wrapper over the REAL embedder that counts what it is asked to embed."""

    def __init__(self, inner: Any, name: str | None = None) -> None:
        self.inner = inner
        self.name = name or inner.name
        self.dim = inner.dim
        self.document_calls = 0
        self.documents = 0
        self.queries = 0

    def embed_documents(self, texts: Sequence[str]) -> list[Any]:
        self.document_calls += 1
        self.documents += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Any:
        self.queries += 1
        return self.inner.embed_query(text)


@pytest.fixture
def counting(real_embedder: FastEmbedEmbedder) -> CountingEmbedder:
    return CountingEmbedder(real_embedder)


def memory(mid: str, text: str, mtype: str = "fact", **kw: Any) -> IndexDoc:
    return IndexDoc(
        doc_id=f"m:{mid}",
        kind="memory",
        text=text,
        ts=kw.pop("ts", NOW - DAY),
        fingerprint=kw.pop("fingerprint", str(hash(text))),
        memory_type=mtype,
        **kw,
    )


def turn(sid: str, n: int, text: str, **kw: Any) -> IndexDoc:
    return IndexDoc(
        doc_id=f"t:{sid}:{n}",
        kind="turn",
        text=text,
        ts=kw.pop("ts", NOW - DAY),
        fingerprint=kw.pop("fingerprint", str(hash(text))),
        session_id=sid,
        turn_n=n,
        role=kw.pop("role", "user" if n % 2 == 0 else "assistant"),
        **kw,
    )


CORPUS = [
    memory(
        "jwt",
        "Decision: access tokens are signed with an asymmetric algorithm (RSA with SHA-256) so"
        " every service can verify them with the public key alone; no shared HMAC secret.",
        "decision",
        tags=["auth", "security"],
        author="alice",
        branch="main",
    ),
    memory(
        "db",
        "We chose PostgreSQL over MySQL for the main database because of JSONB support.",
        "decision",
        tags=["database"],
        author="bob",
        branch="main",
    ),
    memory(
        "css",
        "Use Tailwind for styling the dashboard; plain CSS modules were too verbose.",
        "preference",
        tags=["frontend"],
        author="carol",
        branch="ui",
    ),
    memory(
        "deploy",
        "Deploy the API with blue-green releases on Kubernetes to avoid downtime.",
        "procedure",
        tags=["ops"],
        author="alice",
        branch="main",
    ),
    memory(
        "webhook",
        "Yesterday we debugged the payment webhook retries; they now back off exponentially.",
        "episode",
        tags=["payments"],
        author="bob",
        branch="fix-webhook",
        ts=NOW - 40 * DAY,
    ),
    turn(
        "s1",
        0,
        "Where is parse_jwt_header defined? The header parsing fails on tokens without kid.",
        tool="claude",
        branch="main",
        author="alice",
        turn_ext_id="ext-1",
    ),
    turn(
        "s1",
        1,
        "It lives in src/auth/keys.py next to load_public_keys; I added a fallback for kid.",
        tool="claude",
        branch="main",
        author="alice",
        turn_ext_id="ext-2",
    ),
    turn(
        "s2",
        0,
        "Parse the CSV header row and map each column to the schema before import.",
        tool="aider",
        branch="csv",
        author="bob",
    ),
    turn(
        "s2",
        1,
        "The keys of the mapping are lower-cased column names; see src/importers/csv.py.",
        tool="aider",
        branch="csv",
        author="bob",
    ),
    turn(
        "s3",
        0,
        "数据库迁移脚本在部署之前运行。",  # "the database migration script runs before deploy"
        tool="codex",
        branch="main",
        author="李雷",
    ),
    turn(
        "s3",
        1,
        "The frontend component renderUserAvatar crashes when the avatar URL is empty.",
        tool="codex",
        branch="main",
        author="李雷",
    ),
]


@pytest.fixture
def index(tmp_path: Path, real_embedder: FastEmbedEmbedder) -> SearchIndex:
    idx = SearchIndex(tmp_path / "index.db", real_embedder)
    idx.upsert(CORPUS)
    yield idx
    idx.close()
