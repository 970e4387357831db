"""`ctx doctor` as a user runs it: every check says what it found and how to fix it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import ctx_proc


def _checks(cwd: Path) -> tuple[int, dict[str, dict[str, str]]]:
    r = ctx_proc(cwd, "doctor", "--json")
    data = json.loads(r.out)
    assert data["ok"] == (r.code == 0)
    return r.code, {c["name"]: c for c in data["checks"]}


def test_a_repository_without_a_store_is_not_a_failure(repo: Path) -> None:
    code, checks = _checks(repo)
    assert code == 0
    assert checks["store"]["status"] == "warn" and "ctx init" in checks["store"]["fix"]
    assert checks["repository"]["status"] == "ok" and checks["git"]["status"] == "ok"
    text = ctx_proc(repo, "doctor")
    assert "[warn] store" in text.out and "fix: run `ctx init`" in text.out


def test_outside_a_repository_fails_with_the_fix(tmp_path: Path) -> None:
    code, checks = _checks(tmp_path)
    assert code == 1
    assert checks["repository"]["status"] == "fail" and checks["repository"]["fix"]


def test_model_checks_follow_the_configuration(
    repo: Path, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ctx_proc(repo, "init").code == 0
    monkeypatch.setenv("CTX_CACHE_DIR", str(tmp_path / "cache"))  # no int8 copy yet
    monkeypatch.setenv("CTX_EMBED_MODEL_PATH", str(model_dir))
    code, checks = _checks(repo)
    model = checks["embedding-model"]
    assert code == 0 and checks["store"]["status"] == "ok"
    assert model["status"] == "ok" and "int8 copy made on first use" in model["detail"]

    assert ctx_proc(repo, "search", "anything").code == 0  # the first search makes the copy
    assert "int8 copy ready" in _checks(repo)[1]["embedding-model"]["detail"]

    monkeypatch.setenv("CTX_EMBED_PRECISION", "fp32")
    assert "int8" not in _checks(repo)[1]["embedding-model"]["detail"]

    empty = tmp_path / "not-a-model"
    empty.mkdir()
    monkeypatch.setenv("CTX_EMBED_MODEL_PATH", str(empty))
    code, checks = _checks(repo)
    assert code == 1 and checks["embedding-model"]["status"] == "fail"
    assert "CTX_EMBED_MODEL_PATH" in checks["embedding-model"]["fix"]


def test_a_model_not_downloaded_yet_is_a_warning(repo: Path) -> None:
    code, checks = _checks(repo)
    model = checks["embedding-model"]
    assert code == 0  # warnings alone do not fail the command
    assert model["status"] == "warn" and "not downloaded yet" in model["detail"]
    assert "CTX_EMBED_MODEL_PATH" in model["fix"]
