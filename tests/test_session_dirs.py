"""What under sessions/ is a session: a stray directory is not; a lost transcript is not listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_ctx

CONV = [
    {"type": "session", "tool": "chatgpt", "id": "conv-1", "title": "Plan"},
    {"type": "turn", "role": "user", "text": "What is the plan?", "id": "u1"},
    {"type": "turn", "role": "assistant", "text": "Ship on Friday.", "id": "a1"},
]


@pytest.fixture
def store(repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(repo)
    assert run_ctx(capsys, "init").code == 0
    f = repo.parent / "conv.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in CONV))
    assert run_ctx(capsys, "import", "jsonl", str(f)).code == 0
    return repo


def _sessions(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    r = run_ctx(capsys, "sessions", "list", "--json")
    assert r.code == 0, r.err
    return r.json()


def test_stray_directory_is_not_a_session(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stray = store / ".contextfs" / "sessions" / "s-aaaaaaaaaaaa"
    stray.mkdir()
    (stray / "notes.txt").write_text("not a transcript")
    assert len(_sessions(capsys)) == 1
    kinds = [json.loads(x)["kind"] for x in run_ctx(capsys, "export").out.splitlines()]
    assert kinds.count("session") == 1
    st = run_ctx(capsys, "status", "--json").json()
    assert st["counts"]["sessions"] == 1
    assert any("s-aaaaaaaaaaaa" in p and "not a session" in p for p in st["problems"])
    doc = run_ctx(capsys, "doctor")
    assert "s-aaaaaaaaaaaa" in doc.out + doc.err


def test_deleted_transcript_is_not_listed_with_a_stale_count(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = _sessions(capsys)[0]["id"]
    (store / ".contextfs" / "sessions" / sid / "000.jsonl").unlink()
    assert _sessions(capsys) == []
    st = run_ctx(capsys, "status", "--json").json()
    assert any(sid in p and "missing" in p for p in st["problems"])
    assert run_ctx(capsys, "sessions", "show", sid).code != 0  # not found, no traceback


def test_binary_garbage_is_reported_as_not_text(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = _sessions(capsys)[0]["id"]
    part = store / ".contextfs" / "sessions" / sid / "000.jsonl"
    part.write_bytes(part.read_bytes() + b"\x89PNG\r\n\x1a\n\xff\xfe\x00garbage\xc3")
    r = run_ctx(capsys, "sessions", "show", sid, "--json")
    assert r.code == 0 and len(r.json()["turns"]) == 2
    assert "not UTF-8 text" in r.err and "incomplete last line" not in r.err
