"""`ctx export` → `ctx import` in another clone is a faithful backup: exports are identical."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git
from tests.helpers import run_ctx

TRANSCRIPT = [
    {
        "type": "session",
        "tool": "chatgpt",
        "id": "conv-7",
        "title": "Token lifetimes",
        "started_at": "2026-03-01T10:00:00Z",
        "ended_at": "2026-03-01T10:05:00Z",
        "branch": "feature/auth",
        "meta": {"model": "gpt-x"},
    },
    {"type": "turn", "role": "user", "text": "How long should tokens live?", "id": "u1"},
    {
        "type": "turn",
        "role": "assistant",
        "text": "15 minutes, refresh for a day.",
        "id": "a1",
        "meta": {"tokens": 12},
        "ts": "2026-03-01T10:01:00Z",
    },
]


def _clone(path: Path, name: str, email: str) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", name)
    git(path, "config", "user.email", email)
    (path / "f.txt").write_text(name)
    git(path, "add", "f.txt")
    git(path, "commit", "-q", "-m", "first")
    return path


def test_export_import_export_is_identical(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    a = _clone(tmp_path / "a", "Ada Lovelace", "ada@example.com")
    monkeypatch.chdir(a)
    assert run_ctx(capsys, "init").code == 0
    src = tmp_path / "conv.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in TRANSCRIPT))
    assert run_ctx(capsys, "import", "jsonl", str(src)).code == 0
    sid = run_ctx(capsys, "capture", "--tool", "terminal", "--title", "Deploy").out.strip()
    run_ctx(capsys, "append", "kubectl rollout status")
    (a / "g.txt").write_text("change")
    git(a, "add", "g.txt")
    git(a, "commit", "-q", "-m", "second")  # commit_end differs from commit
    assert run_ctx(capsys, "complete").code == 0
    assert (
        run_ctx(capsys, "sessions", "edit", sid, "--tag", "ops", "--title", "Deploy v2").code == 0
    )
    mid = run_ctx(
        capsys,
        "memory",
        "add",
        "-t",
        "decision",
        "--tag",
        "auth",
        "--session",
        sid,
        "--turn",
        "0",
        "Tokens live 15 minutes",
    ).out.strip()
    assert run_ctx(capsys, "memory", "edit", mid, "--tag", "security").code == 0
    run_ctx(capsys, "memory", "add", "--private", "local note")
    first = run_ctx(capsys, "export", "--include-private")
    assert first.code == 0, first.err
    exported = tmp_path / "a.jsonl"
    exported.write_text(first.out)
    recs = [json.loads(line) for line in first.out.splitlines()]
    captured = next(r for r in recs if r.get("id") == sid)
    assert captured["commit"] != captured["commit_end"] and captured["tags"] == ["ops"]
    mem = next(r for r in recs if r.get("id") == mid)
    assert mem["updated_at"] != mem["created_at"] and mem["commit"]

    b = _clone(tmp_path / "b", "Bob Other", "bob@example.com")
    monkeypatch.chdir(b)
    assert run_ctx(capsys, "init").code == 0
    r = run_ctx(capsys, "import", "jsonl", str(exported), "--json")
    assert r.code == 0, r.err
    assert r.json()["export"] == {
        "memories_added": 2,
        "memories_skipped": 0,
        "sessions_added": 2,
        "turns_added": 3,
    }
    second = run_ctx(capsys, "export", "--include-private").out
    assert second == first.out  # byte for byte
    assert "Bob" not in second
    # a second import adds nothing
    again = run_ctx(capsys, "import", "jsonl", str(exported), "--json").json()["export"]
    assert again["memories_added"] == 0 and again["sessions_added"] == 0


def test_import_of_hostile_export_refuses_bad_ids(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    run_ctx(capsys, "init")
    bad = [
        {"kind": "ctx-export", "version": 1, "format": 1},
        {"kind": "session", "id": "../../etc", "tool": "x"},
        {"kind": "turn", "session_id": "../../etc", "role": "user", "text": "hi"},
        {"kind": "memory", "id": "m-../x", "type": "fact", "content": "bad"},
        {"kind": "memory", "id": "m-aaaaaaaaaaaa", "type": "fact", "content": "ok", "tags": [3]},
    ]
    f = tmp_path / "bad.jsonl"
    f.write_text("".join(json.dumps(x) + "\n" for x in bad))
    r = run_ctx(capsys, "import", "jsonl", str(f), "--json")
    assert r.code == 0, r.err
    assert r.json()["export"]["sessions_added"] == 0
    # a record with a field of the wrong type is skipped and reported, not half-imported
    assert r.json()["export"]["memories_added"] == 0
    assert any("'tags' must be a list of strings" in x for x in r.json()["skipped_lines"])
    assert not (tmp_path / "etc").exists()


def test_export_to_a_bad_place_says_so_and_keeps_an_earlier_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-o` a folder, a missing folder or a path under a file: one line, exit 1, never 70. An
    export that fails half-way (here: a damaged record raises) leaves the earlier file whole,
    and no temporary file behind; a FIFO is written as it is."""
    import os
    import threading

    a = _clone(tmp_path / "a", "Ada Lovelace", "ada@example.com")
    monkeypatch.chdir(a)
    assert run_ctx(capsys, "init").code == 0
    assert run_ctx(capsys, "memory", "add", "tokens live 15 minutes").code == 0
    plain = tmp_path / "plain.txt"
    plain.write_text("a file, not a folder")
    for target in (tmp_path, tmp_path / "no" / "such.jsonl", plain / "x.jsonl"):
        r = run_ctx(capsys, "export", "-o", str(target))
        assert r.code == 1, (target, r)
        [line] = r.err.splitlines()
        assert line.startswith(f"ctx: error: cannot write the export to {target}"), line

    out = tmp_path / "backup.jsonl"
    assert run_ctx(capsys, "export", "-o", str(out)).code == 0
    before = out.read_bytes()
    assert b"tokens live 15 minutes" in before

    from ctx.store.project import Project

    def broken(self: object, fp: object, **kw: object) -> int:
        fp.write('{"kind": "memory", "half": ')  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Project, "export", broken)
    r = run_ctx(capsys, "export", "-o", str(out))
    assert r.code == 1, r
    [line] = r.err.splitlines()
    assert line.startswith(f"ctx: error: disk full while writing the export to {out} ("), line
    assert out.read_bytes() == before  # the earlier export, whole
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".backup")) == []
    monkeypatch.undo()
    monkeypatch.chdir(a)

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert run_ctx(capsys, "export", "-o", str(fifo)).code == 0
    reader.join(10)
    assert got and got[0] == before
