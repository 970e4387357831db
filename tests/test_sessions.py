"""Sessions: manual capture, generic JSONL import, export / re-import, forget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git
from tests.helpers import run_ctx, store_contains


def test_capture_append_complete_show(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sid = run_ctx(capsys, "capture", "--tool", "chat", "--title", "Key rotation").out.strip()
    assert sid.startswith("s-")
    assert run_ctx(capsys, "append", "How do we rotate signing keys?").code == 0
    assert (
        run_ctx(capsys, "append", "--role", "assistant", "Publish the new key in JWKS first.").code
        == 0
    )
    assert (
        run_ctx(capsys, "append", "--role", "tool", "--id", "call-7", "kubectl get secrets").code
        == 0
    )
    for empty in ("", "  \n"):  # nothing to store: refused, one line, no empty turn
        r = run_ctx(capsys, "append", "--role", "tool", empty)
        assert r.code == 1 and r.err.startswith("ctx: error: a turn needs some text"), r
    listed = run_ctx(capsys, "sessions", "list", "--json").json()
    assert listed[0]["status"] == "open" and listed[0]["turn_count"] == 3
    r = run_ctx(capsys, "complete", "--exit-status", "0")
    assert r.code == 0 and "3 turns" in r.out

    shown = run_ctx(capsys, "sessions", "show", sid, "--json").json()
    assert shown["title"] == "Key rotation" and shown["status"] == "complete"
    assert [t["role"] for t in shown["turns"]] == ["user", "assistant", "tool"]
    assert shown["turns"][2]["id"] == "call-7"
    assert shown["branch"] == "main" and shown["author"] == "Test User <test@example.com>"
    assert shown["exit_status"] == 0 and shown["ended_at"]
    text = run_ctx(capsys, "sessions", "show", sid[:7]).out
    assert "Publish the new key in JWKS first." in text and "[1] assistant" in text
    # the transcript is a committed file, written once
    files = git(store, "status", "--porcelain", "--untracked-files=all", ".contextfs/sessions")
    assert f".contextfs/sessions/{sid}/000.jsonl" in files

    again = run_ctx(capsys, "append", "--session", sid, "more")
    assert again.code == 1 and "already complete" in again.err
    none = run_ctx(capsys, "append", "orphan")
    assert none.code == 1 and "no session is being captured" in none.err
    secret_tag = run_ctx(capsys, "sessions", "edit", sid, "--tag", "sk-ant-api03-" + "x" * 90)
    assert secret_tag.code == 1 and "looks like a secret" in secret_tag.err


def test_list_filters(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for tool in ("claude", "aider"):
        run_ctx(capsys, "capture", "--tool", tool)
        run_ctx(capsys, "append", f"hello {tool}")
        run_ctx(capsys, "complete")
    git(store, "checkout", "-q", "-b", "feature")
    run_ctx(capsys, "capture", "--tool", "claude")
    run_ctx(capsys, "append", "on a branch")
    run_ctx(capsys, "complete")
    assert len(run_ctx(capsys, "sessions", "list", "--json").json()) == 3
    assert len(run_ctx(capsys, "sessions", "list", "--tool", "claude", "--json").json()) == 2
    assert len(run_ctx(capsys, "sessions", "list", "--branch", "feature", "--json").json()) == 1
    assert len(run_ctx(capsys, "sessions", "list", "--since", "1d", "--json").json()) == 3
    assert run_ctx(capsys, "sessions", "list", "--since", "2999-01-01", "--json").json() == []


GENERIC = [
    {
        "type": "session",
        "tool": "chatgpt",
        "id": "conv-42",
        "title": "Caching plan",
        "started_at": "2026-03-01T10:00:00Z",
        "ended_at": "2026-03-01T10:05:00Z",
        "branch": "main",
    },
    {
        "type": "turn",
        "role": "user",
        "text": "Should we cache user profiles in Redis?",
        "ts": "2026-03-01T10:00:00Z",
        "id": "u1",
    },
    {
        "type": "turn",
        "role": "assistant",
        "text": "Yes, with a 5 minute TTL.",
        "ts": "2026-03-01T10:01:00Z",
        "id": "a1",
        "meta": {"model": "x"},
    },
]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_import_jsonl_twice_does_not_duplicate(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = _write(tmp_path / "conv.jsonl", GENERIC)
    first = run_ctx(capsys, "import", "jsonl", str(f), "--json")
    assert first.code == 0, first.err
    assert first.json()["created"] == 1 and first.json()["added_turns"] == 2
    second = run_ctx(capsys, "import", "jsonl", str(f), "--json").json()
    assert second["created"] == 0 and second["added_turns"] == 0
    sessions = run_ctx(capsys, "sessions", "list", "--json").json()
    assert len(sessions) == 1
    s = run_ctx(capsys, "sessions", "show", sessions[0]["id"], "--json").json()
    assert s["tool"] == "chatgpt" and s["external_id"] == "conv-42" and s["title"] == "Caching plan"
    assert [t["id"] for t in s["turns"]] == ["u1", "a1"]
    assert s["started_at"] == "2026-03-01T10:00:00.000Z"
    # a longer version of the same conversation adds only the new turn
    longer = [*GENERIC, {"type": "turn", "role": "user", "text": "And invalidation?", "id": "u2"}]
    third = run_ctx(
        capsys, "import", "jsonl", str(_write(tmp_path / "conv2.jsonl", longer)), "--json"
    ).json()
    assert third["created"] == 0 and third["added_turns"] == 1
    assert (
        run_ctx(capsys, "sessions", "show", sessions[0]["id"], "--json").json()["turn_count"] == 3
    )


def test_import_reports_bad_lines_and_keeps_good_ones(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "messy.jsonl"
    f.write_text(
        json.dumps(GENERIC[0])
        + "\n{not json\n"
        + json.dumps(GENERIC[1])
        + "\n"
        + '{"type":"turn","role":"user","te'
    )
    r = run_ctx(capsys, "import", "jsonl", str(f), "--json")
    assert r.code == 0, r.err
    assert r.json()["added_turns"] == 1
    assert "2" in r.err  # the bad line number is reported
    missing = run_ctx(capsys, "import", "jsonl", str(tmp_path / "nope.jsonl"))
    assert missing.code == 1 and "no such file" in missing.err
    unknown = run_ctx(capsys, "import", "chatlog", "x")
    assert unknown.code == 2 and "unknown import source" in unknown.err


def test_export_and_reimport_elsewhere(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_ctx(capsys, "memory", "add", "-t", "decision", "--tag", "db", "Use Postgres")
    run_ctx(capsys, "import", "jsonl", str(_write(tmp_path / "c.jsonl", GENERIC)))
    run_ctx(capsys, "capture")
    run_ctx(capsys, "append", "manual turn")
    run_ctx(capsys, "complete")
    export = run_ctx(capsys, "export").out
    (tmp_path / "all.jsonl").write_text(export)
    kinds = [json.loads(line)["kind"] for line in export.splitlines()]
    assert kinds.count("memory") == 1 and kinds.count("session") == 2 and kinds.count("turn") == 3

    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    monkeypatch.chdir(other)
    run_ctx(capsys, "init")
    r = run_ctx(capsys, "import", "jsonl", str(tmp_path / "all.jsonl"), "--json")
    assert r.code == 0, r.err
    assert r.json()["export"]["memories_added"] == 1 and r.json()["export"]["sessions_added"] == 2
    again = run_ctx(capsys, "import", "jsonl", str(tmp_path / "all.jsonl"), "--json").json()
    assert again["export"]["memories_added"] == 0 and again["export"]["turns_added"] == 0

    def strip(text: str) -> list[dict]:
        out = []
        for line in text.splitlines():
            rec = json.loads(line)
            for volatile in ("author", "commit", "branch", "updated_at", "cwd", "commit_end"):
                rec.pop(volatile, None)
            out.append(rec)
        return out

    assert strip(run_ctx(capsys, "export").out) == strip(export)


def test_forget_memory_and_session(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mid = run_ctx(capsys, "memory", "add", "forget me please").out.strip()
    run_ctx(capsys, "import", "jsonl", str(_write(tmp_path / "c.jsonl", GENERIC)))
    sid = run_ctx(capsys, "sessions", "list", "--json").json()[0]["id"]
    r = run_ctx(capsys, "forget", mid, sid, "--yes")
    assert r.code == 0, r.err
    assert "history" in r.out  # says that git history still holds it
    assert run_ctx(capsys, "memory", "list", "--json").json() == []
    assert run_ctx(capsys, "sessions", "list", "--json").json() == []
    assert not (store / ".contextfs" / "sessions" / sid).exists()
    assert store_contains(store, "Should we cache user profiles") == []
    # a forgotten session is not revived by importing it again
    again = run_ctx(capsys, "import", "jsonl", str(tmp_path / "c.jsonl"), "--json").json()
    assert again["sessions"][0]["note"] == "forgotten"
    assert run_ctx(capsys, "sessions", "list", "--json").json() == []


CLAUDE_SID = "22222222-3333-4444-5555-666666666666"


def _claude_rec(kind: str, n: int, message: dict) -> str:
    return json.dumps(
        {
            "type": kind,
            "uuid": f"00000000-0000-4000-8000-{n:012d}",
            "parentUuid": None,
            "isSidechain": False,
            "sessionId": CLAUDE_SID,
            "timestamp": f"2026-03-01T10:00:{n:02d}.000Z",
            "cwd": "/src/app",
            "version": "2.1.330",
            "message": message,
        }
    )


def _tool_use(n: int, name: str, args: dict) -> str:
    block = {"type": "tool_use", "id": f"toolu_{n}", "name": name, "input": args}
    return _claude_rec("assistant", n, {"id": f"msg_{n}", "role": "assistant", "content": [block]})


def test_show_prints_what_write_and_edit_put_in_the_file(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        _claude_rec("user", 1, {"role": "user", "content": "add a health check"}),
        _tool_use(
            2, "Write", {"file_path": "/src/app/health.py", "content": "def ok():\n    return 1\n"}
        ),
        _tool_use(
            3,
            "Edit",
            {
                "file_path": "/src/app/app.py",
                "old_string": "routes = []",
                "new_string": "routes = [ok]",
            },
        ),
    ]
    f = tmp_path / f"{CLAUDE_SID}.jsonl"
    f.write_text("\n".join(lines) + "\n")
    assert run_ctx(capsys, "import", "claude", str(f)).code == 0
    sid = run_ctx(capsys, "sessions", "list", "--json").json()[0]["id"]
    out = run_ctx(capsys, "sessions", "show", sid).out
    assert "[Write] /src/app/health.py\n    def ok():\n        return 1\n" in out
    assert "[Edit] /src/app/app.py\n    - routes = []\n    + routes = [ok]\n" in out


def test_reimporting_the_completed_transcript_refreshes_the_header(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Imported while Claude was still writing (a half line at the end), then again when the
    file is whole: `truncated_tail` goes, `ended_at` and the turn count follow the file."""
    first = _claude_rec("user", 1, {"role": "user", "content": "hello"})
    reply = _claude_rec(
        "assistant",
        9,
        {"id": "m1", "role": "assistant", "content": [{"type": "text", "text": "hi"}]},
    )
    f = tmp_path / f"{CLAUDE_SID}.jsonl"
    f.write_text(first + "\n" + reply[:40])
    assert run_ctx(capsys, "import", "claude", str(f)).code == 0
    sid = run_ctx(capsys, "sessions", "list", "--json").json()[0]["id"]
    before = run_ctx(capsys, "sessions", "show", sid, "--json").json()
    assert before["meta"]["truncated_tail"] is True and before["turn_count"] == 1
    f.write_text(first + "\n" + reply + "\n")
    assert run_ctx(capsys, "import", "claude", str(f)).code == 0
    after = run_ctx(capsys, "sessions", "show", sid, "--json").json()
    assert "truncated_tail" not in after["meta"] and after["meta"]["records"] == 2
    assert after["ended_at"] == "2026-03-01T10:00:09.000Z" and after["turn_count"] == 2
    # A last record that adds no turn still refreshes the header.
    tail = json.dumps({"type": "last-prompt", "sessionId": CLAUDE_SID, "lastPrompt": "hello"})
    f.write_text(first + "\n" + reply + "\n" + tail[:20])
    assert run_ctx(capsys, "import", "claude", str(f)).code == 0
    assert run_ctx(capsys, "sessions", "show", sid, "--json").json()["meta"]["truncated_tail"]
    f.write_text(first + "\n" + reply + "\n" + tail + "\n")
    assert run_ctx(capsys, "import", "claude", str(f)).code == 0
    final = run_ctx(capsys, "sessions", "show", sid, "--json").json()
    assert "truncated_tail" not in final["meta"] and final["turn_count"] == 2
    listed = run_ctx(capsys, "sessions", "list", "--json").json()
    assert [s["ended_at"] for s in listed] == ["2026-03-01T10:00:09.000Z"]
