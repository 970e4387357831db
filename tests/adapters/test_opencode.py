"""OpenCode adapter on storage built like OpenCode 1.18.33 writes it (SQLite) and like
OpenCode < 1.2 wrote it (JSON files), with drift: unknown part types, non-JSON rows."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from ctx.capture.adapters.opencode import find_sessions, parse_opencode_session
from tests.adapters.opencode_fixtures import ANSWER, PROMPT, make_db, make_json_storage


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "share" / "opencode"
    d.mkdir(parents=True)
    return d


def _sessions(repo: Path, other: Path) -> list[dict[str, str]]:
    return [
        {
            "id": "ses_a",
            "project": "p1",
            "worktree": str(repo),
            "directory": str(repo),
            "title": "Cache misses on CI",
        },
        {
            "id": "ses_sub",
            "project": "p1",
            "worktree": str(repo),
            "directory": str(repo),
            "title": "Child session - 2026",
            "parent": "ses_a",
        },
        {
            "id": "ses_other",
            "project": "p2",
            "worktree": str(other),
            "directory": str(other),
            "title": "New session - 2026-12-03T10:00:00.000Z",
        },
    ]


def _expect(turns: list) -> None:
    assert [(t.role, t.text.splitlines()[0][:40]) for t in turns] == [
        ("user", PROMPT),
        ("tool", "[read] /x/ci.yml"),
        ("tool", "x" * 40),
        ("tool", "[bash] false"),
        ("tool", "exit 1"),
        ("tool", "[grep] cache"),
        ("assistant", ANSWER[:40]),
    ]
    user, use, result, _, err, running, answer = turns
    assert user.text == f"{PROMPT}\n\n[file: ci.yml]"  # the synthetic part is left out
    assert use.meta["kind"] == "tool_use" and use.meta["tool"] == "read"
    assert use.meta["thinking"] == "Look at the workflow first."
    assert len(use.meta["input"]["pad"]) < 1100  # clipped
    assert result.meta["kind"] == "tool_result" and result.meta["truncated"] is True
    assert result.meta["bytes"] == 10_000 and len(result.text) < 2200
    assert err.meta["is_error"] is True and err.meta["call_id"] == "call_2"
    assert running.meta["kind"] == "tool_use"  # still running: no result turn
    assert answer.text == ANSWER


def test_database_sessions_of_this_project(tmp_path: Path, data_dir: Path) -> None:
    repo, other = tmp_path / "repo", tmp_path / "other"
    (repo / "sub").mkdir(parents=True)
    other.mkdir()
    make_db(data_dir / "opencode.db", _sessions(repo, other)).close()
    (s,) = find_sessions(str(repo), data_dir=data_dir)
    assert s.id == "ses_a"
    assert [x.id for x in find_sessions(str(repo), data_dir=data_dir, include_subagents=True)] == [
        "ses_a",
        "ses_sub",
    ]
    header, turns = parse_opencode_session(s)
    assert header.tool == "opencode" and header.external_id == "ses_a"
    assert header.title == "Cache misses on CI" and header.cwd == str(repo)
    assert header.meta["model"] == "fake-model" and header.meta["opencode_version"] == "1.18.33"
    assert header.meta["storage"] == "sqlite"
    assert header.meta["unknown_types"] == {"hologram": 1}
    assert header.meta["malformed_records"] == 1
    _expect(turns)
    (o,) = find_sessions(str(other), data_dir=data_dir)
    assert parse_opencode_session(o)[0].title is None  # OpenCode's placeholder title


def test_reading_while_opencode_writes_changes_nothing(tmp_path: Path, data_dir: Path) -> None:
    """A running OpenCode holds a write transaction; ctx reads the committed sessions through
    a read-only connection and leaves the database and its WAL byte for byte as they were."""
    repo = tmp_path / "repo"
    repo.mkdir()
    db = data_dir / "opencode.db"
    conn = make_db(db, _sessions(repo, tmp_path / "o")[:1])
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE session SET title = 'uncommitted' WHERE id = 'ses_a'")
    before = {p.name: _digest(p) for p in data_dir.iterdir()}
    (s,) = find_sessions(str(repo), data_dir=data_dir)
    assert s.title == "Cache misses on CI"
    _, turns = parse_opencode_session(s)
    _expect(turns)
    assert {p.name: _digest(p) for p in data_dir.iterdir()} == before
    conn.rollback()
    conn.close()


def test_legacy_json_storage_and_migration_overlap(tmp_path: Path, data_dir: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    storage = data_dir / "storage"
    make_json_storage(storage, "ses_old", str(repo))
    make_json_storage(storage, "ses_a", str(repo))  # migrated into the database as well
    (storage / "message" / "ses_old" / "msg_broken.json").write_text("{not json")
    found = find_sessions(str(repo), data_dir=storage)  # the storage directory itself works too
    s = next(x for x in found if x.id == "ses_old")
    header, turns = parse_opencode_session(s)
    assert header.meta["storage"] == "json" and header.meta["opencode_version"] == "0.15.8"
    assert header.meta["malformed_records"] == 2  # the broken message file, the bad part
    _expect(turns)
    make_db(data_dir / "opencode.db", _sessions(repo, tmp_path / "o")[:1]).close()
    found = sorted(find_sessions(str(repo), data_dir=data_dir), key=lambda x: x.id)
    assert [(x.id, x.source.name) for x in found] == [
        ("ses_a", "opencode.db"),
        ("ses_old", "ses_old.json"),
    ]


def test_hostile_rows_never_fail(tmp_path: Path, data_dir: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    conn = make_db(data_dir / "opencode.db", _sessions(repo, tmp_path / "o")[:1])
    conn.execute("INSERT INTO message VALUES ('msg_z', 'ses_a', 1, 1, '[1,2]')")
    conn.execute("INSERT INTO message VALUES ('msg_y', 'ses_a', 2, 2, '{\"role\": \"system\"}')")
    conn.execute("INSERT INTO part VALUES ('prt_z', 'msg_y', 'ses_a', 1, 1, x'00ff')")
    conn.execute(
        "INSERT INTO part VALUES ('prt_y', 'msg_ses_a_2', 'ses_a', 1, 1, "
        '\'{"type": "tool", "state": "weird", "tool": 7}\')'
    )
    conn.commit()
    conn.close()
    (s,) = find_sessions(str(repo), data_dir=data_dir)
    header, turns = parse_opencode_session(s)
    assert header.meta["unknown_types"] == {"hologram": 1, "message/system": 1}
    assert turns[0].text.startswith(PROMPT)


def test_ctx_import_opencode(tmp_path: Path, data_dir: Path) -> None:
    from tests.wrap.conftest import run_ctx

    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    assert run_ctx(repo, "init").code == 0
    make_db(data_dir / "opencode.db", _sessions(repo, tmp_path / "o")).close()
    env = dict(os.environ, XDG_DATA_HOME=str(data_dir.parent))
    usage = run_ctx(repo, "import", "opencode", env=env)
    assert usage.code == 2 and "--all" in usage.err
    missing = run_ctx(repo, "import", "opencode", "--session", "ses_nope", env=env)
    assert missing.code != 0 and "ses_nope" in missing.err
    first = run_ctx(repo, "import", "opencode", "--session", "ses_a", "--json", env=env).json()
    assert first["created"] == 1
    again = run_ctx(repo, "import", "--all-agents", "--json", env=env)
    assert again.code == 0, again.err
    shown = run_ctx(repo, "sessions", "list", "--json", env=env).json()
    assert [x["tool"] for x in shown] == ["opencode"]  # no duplicate, no other project's session
    status = run_ctx(repo, "status", "--json", env=env)
    assert status.code == 0, status.err
