"""`ctx search` / `ctx index` as a user runs them, with the real model."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.conftest import git
from tests.helpers import ctx_proc, run_ctx


@pytest.fixture
def project(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], model_dir: Path
) -> Path:
    monkeypatch.setenv("CTX_EMBED_MODEL_PATH", str(model_dir))
    monkeypatch.chdir(repo)
    run_ctx(capsys, "init")
    run_ctx(
        capsys,
        "memory",
        "add",
        "-t",
        "decision",
        "--tag",
        "auth",
        "We sign JWTs with RS256 so every service verifies tokens with the public key only",
    )
    run_ctx(
        capsys,
        "memory",
        "add",
        "-t",
        "procedure",
        "--tag",
        "ops",
        "Before deploying, run the parse_jwt_header tests in src/auth/keys.py",
    )
    run_ctx(
        capsys, "memory", "add", "-t", "fact", "The cache layer is Redis with a five minute TTL"
    )
    rows = [
        {"type": "session", "tool": "claude", "id": "sess-1", "title": "Token signing"},
        {
            "type": "turn",
            "role": "user",
            "text": "Which algorithm should the auth service use to sign access tokens?",
            "id": "msg-u1",
        },
        {
            "type": "turn",
            "role": "assistant",
            "text": "Use an asymmetric algorithm such as RS256 "
            "so verifiers never hold the signing secret.",
            "id": "msg-a1",
        },
        {
            "type": "turn",
            "role": "user",
            "text": "Also, how do we rotate the keys monthly?",
            "id": "msg-u2",
        },
    ]
    f = repo.parent / "sess.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert run_ctx(capsys, "import", "jsonl", str(f)).code == 0
    return repo


def test_finds_by_meaning_and_by_identifier(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_ctx(capsys, "search", "why did we pick RS256", "--json")
    assert r.code == 0, r.err
    res = r.json()
    assert res["mode"] == "hybrid" and res["notice"] is None
    top = res["hits"][0]
    assert top["kind"] == "memory" and top["memory_type"] == "decision"
    for key in ("id", "score", "kind", "snippet", "text"):
        assert key in top
    # meaning, without shared words
    r = run_ctx(
        capsys, "search", "which crypto for signing access credentials", "--kind", "turn", "--json"
    ).json()
    assert r["hits"][0]["session_id"].startswith("s-")
    assert r["hits"][0]["turn_ext_id"] in ("msg-a1", "msg-u1")
    # exact identifiers
    for q in ("parse_jwt_header", "src/auth/keys.py"):
        hits = run_ctx(capsys, "search", q, "--json").json()["hits"]
        assert "parse_jwt_header" in hits[0]["text"], q
    text = run_ctx(capsys, "search", "Redis TTL").out
    assert "memory m-" in text and "Redis" in text


def test_filters(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def ids(*args: str) -> list[dict]:
        r = run_ctx(capsys, "search", *args, "--json")
        assert r.code == 0, r.err
        return r.json()["hits"]

    assert {h["memory_type"] for h in ids("tokens", "--type", "decision")} == {"decision"}
    assert all("ops" in h["tags"] for h in ids("tests", "--tag", "ops"))
    assert {h["kind"] for h in ids("RS256", "--kind", "turn")} == {"turn"}
    assert all(h["tool"] == "claude" for h in ids("keys", "--tool", "claude"))
    sid = run_ctx(capsys, "sessions", "list", "--json").json()[0]["id"]
    assert {h["session_id"] for h in ids("keys", "--session", sid[:6])} == {sid}
    assert ids("keys", "--branch", "nope") == []
    assert ids("keys", "--since", "2999-01-01") == []
    assert len(ids("keys", "--until", "2999-01-01", "--limit", "2")) == 2
    assert ids("RS256", "--author", "Test User <test@example.com>")
    bad = run_ctx(capsys, "search", "x", "--mode", "fuzzy")
    assert bad.code == 1 and "hybrid" in bad.err


def test_index_follows_the_store(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run_ctx(capsys, "search", "kubernetes helm chart", "--mode", "keyword", "--json").json()[
            "hits"
        ]
        == []
    )
    mid = run_ctx(capsys, "memory", "add", "We deploy with a Helm chart on Kubernetes").out.strip()
    hits = run_ctx(capsys, "search", "kubernetes helm chart", "--mode", "keyword", "--json").json()[
        "hits"
    ]
    assert [h["memory_id"] for h in hits] == [mid]
    run_ctx(capsys, "memory", "edit", mid, "--content", "We deploy with Nomad")
    assert run_ctx(capsys, "search", "helm", "--mode", "keyword", "--json").json()["hits"] == []
    assert (
        run_ctx(capsys, "search", "nomad", "--mode", "keyword", "--json").json()["hits"][0][
            "memory_id"
        ]
        == mid
    )
    run_ctx(capsys, "memory", "rm", "--yes", mid)
    assert run_ctx(capsys, "search", "nomad", "--mode", "keyword", "--json").json()["hits"] == []
    st = run_ctx(capsys, "status", "--json").json()
    assert st["index"]["state"] == "current"
    run_ctx(capsys, "memory", "add", "one more")
    assert run_ctx(capsys, "status", "--json").json()["index"]["state"] == "behind"
    r = run_ctx(capsys, "index", "--json")
    assert (
        r.code == 0 and r.json()["indexed"] >= 1
    )  # the new one (and vectors keyword mode skipped)
    assert run_ctx(capsys, "index", "--json").json()["unchanged"] is True
    r = run_ctx(capsys, "index", "--rebuild", "--json").json()
    assert r["stats"]["documents"] == 7 and r["stats"]["vectors"] >= 7


def test_batch_and_all(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    qfile = tmp_path / "q.txt"
    qfile.write_text("RS256\n\nRedis\n")
    r = run_ctx(capsys, "search", "--batch", str(qfile), "--limit", "2")
    lines = [json.loads(x) for x in r.out.splitlines()]
    assert [x["query"] for x in lines] == ["RS256", "Redis"]
    # one record mentions Redis: the relevance floor drops the unrelated nearest neighbours
    assert [len(x["hits"]) for x in lines] == [2, 1]
    monkeypatch.setattr("sys.stdin", io.StringIO("rotate keys\n"))
    r = run_ctx(capsys, "search", "--batch", "-")
    assert json.loads(r.out)["hits"]
    # a second project, registered by init, is searched by --all
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    monkeypatch.chdir(other)
    run_ctx(capsys, "init")
    run_ctx(capsys, "memory", "add", "The billing service retries webhooks three times")
    res = run_ctx(capsys, "search", "webhook retries", "--all", "--json").json()
    assert res["hits"][0]["project"] == str(other)
    res = run_ctx(capsys, "search", "RS256", "--all", "--json").json()
    assert res["hits"][0]["project"] == str(project)


def test_query_robustness(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for q in [
        '"unbalanced',
        "a*",
        "-rotate",
        "AND OR NOT",
        "(keys",
        "col:umn",
        "NEAR(x y)",
        "CamelCaseName",
        "a.b.c",
        "école über naïve",
        "鍵の回転",
        "x" * 10000,
        "🔑",
    ]:
        r = run_ctx(capsys, "search", "--json", "--", q)
        assert r.code == 0, (q, r.err)
    assert (
        run_ctx(capsys, "search", "rotate keys monthly", "--json").json()["hits"][0]["turn_ext_id"]
        == "msg-u2"
    )
    r = run_ctx(capsys, "search", "", "--json").json()
    assert r["mode"] == "recent"


def test_keyword_fallback_without_model(repo: Path, tmp_path: Path) -> None:
    env_repo = repo
    import os

    os.environ["CTX_EMBED_MODEL_PATH"] = str(tmp_path / "no-model-here")
    try:
        assert ctx_proc(env_repo, "init").code == 0
        ctx_proc(env_repo, "memory", "add", "Postgres is the primary database")
        r = ctx_proc(env_repo, "search", "postgres database", "--json")
        assert r.code == 0, r.err
        res = json.loads(r.out)
        assert res["mode"] == "keyword" and res["hits"]
        assert r.err.count("semantic search unavailable") == 1 and "no-model-here" in r.err
    finally:
        del os.environ["CTX_EMBED_MODEL_PATH"]


def test_first_search_makes_the_int8_copy_and_says_only_that(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CTX_CACHE_DIR", str(tmp_path / "fresh-cache"))  # no int8 copy yet
    first = ctx_proc(project, "search", "how are access tokens signed", "--json")
    assert first.code == 0, first.err
    # one line of news on stderr: nothing from onnxruntime's quantiser or the logging module
    assert first.err.strip().splitlines() == [
        "ctx: preparing an int8 copy of sentence-transformers/all-MiniLM-L6-v2 "
        "(once, a few seconds)..."
    ]
    hits = json.loads(first.out)["hits"]
    assert json.loads(first.out)["mode"] == "hybrid"
    assert any("RS256" in h["text"] for h in hits[:3])
    again = ctx_proc(project, "search", "how are access tokens signed", "--json")
    assert again.code == 0 and again.err == ""
    assert list((tmp_path / "fresh-cache" / "models" / "int8").iterdir())


def test_unrelated_query_says_no_good_match(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for mode in ("hybrid", "semantic", "keyword"):
        r = run_ctx(capsys, "search", "xyzzy plugh frobnicate", "--mode", mode, "--json")
        assert r.code == 0, r.err
        assert r.json()["hits"] == [] and r.json()["min_relevance"] == 0.2, mode
    text = run_ctx(capsys, "search", "xyzzy plugh frobnicate").out
    assert "no good match" in text
    # the floor is configurable; without it the nearest neighbours come back, scored 0..1
    near = run_ctx(
        capsys, "search", "xyzzy plugh frobnicate", "--min-relevance", "0", "--json"
    ).json()["hits"]
    assert near and all(0.0 <= h["relevance"] < 0.2 for h in near)
    good = run_ctx(capsys, "search", "why did we pick RS256", "--json").json()["hits"]
    assert good[0]["relevance"] >= 0.3 and all(h["relevance"] >= 0.2 for h in good)
    assert "relevance" in run_ctx(capsys, "search", "RS256").out
    bad = run_ctx(capsys, "search", "x", "--min-relevance", "2")
    assert bad.code != 0 and "between 0 and 1" in bad.err


def test_author_matches_like_git_log(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def n(author: str) -> int:
        r = run_ctx(capsys, "search", "RS256", "--author", author, "--json")
        assert r.code == 0, r.err
        return len(r.json()["hits"])

    assert n("test") > 0 and n("TEST USER") > 0 and n("example\\.com>$") > 0
    assert n("nobody") == 0
    assert n("[unclosed") == 0  # not a valid regex: a plain substring, no crash


def test_all_knows_clones_without_init_and_ranks_once(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "context")
    clone = tmp_path / "teammate"
    git(tmp_path, "clone", "-q", str(project), str(clone))
    monkeypatch.chdir(clone)
    run_ctx(capsys, "memory", "add", "The teammate's clone uses RS256 too")  # no `ctx init`
    res = run_ctx(capsys, "search", "RS256", "--all", "--limit", "3", "--json").json()
    assert len(res["hits"]) == 3
    assert {h["project"] for h in res["hits"]} <= {str(project), str(clone)}
    rel = [h["relevance"] for h in res["hits"]]
    assert rel == sorted(rel, reverse=True)
    projects = {
        h["project"]
        for h in run_ctx(capsys, "search", "RS256", "--all", "--limit", "20", "--json").json()[
            "hits"
        ]
    }
    assert projects == {str(project), str(clone)}
    text = run_ctx(capsys, "search", "RS256", "--all", "--limit", "3").out
    assert sum(1 for line in text.splitlines() if line[:3].strip().rstrip(".").isdigit()) == 3


def test_current_index_answers_without_the_model(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ctx.search import service

    assert run_ctx(capsys, "index").code == 0
    service.close_all()
    service._EMBEDDERS.clear()  # a new process: nothing loaded
    r = run_ctx(capsys, "index", "--json")
    assert r.code == 0 and r.json()["unchanged"] is True
    stats = r.json()["stats"]
    assert stats["vectors"] == stats["documents"] == 6  # the numbers still count vectors
    assert service._EMBEDDERS == {}  # the model was not loaded
    assert "index is current" in run_ctx(capsys, "index").out
    assert service._EMBEDDERS == {}


def test_oversized_turn_warns_on_capture_and_in_status(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ctx.search.types import EMBED_MAX_CHARS

    run_ctx(capsys, "capture", "--title", "paste")
    r = run_ctx(capsys, "append", "log line\n" * (EMBED_MAX_CHARS // 5))
    assert r.code == 0 and "searched by meaning" in r.err
    run_ctx(capsys, "complete")
    assert run_ctx(capsys, "index", "--keyword-only").code == 0
    st = run_ctx(capsys, "status", "--json").json()
    assert len(st["index"]["oversized"]) == 1 and "KB" in st["index"]["detail"]
