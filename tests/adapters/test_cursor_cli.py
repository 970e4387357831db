"""Cursor CLI chats (`~/.cursor/chats/<md5(workspace)>/<id>/store.db`) on stores built like
cursor-agent writes them (tests/adapters/cursor_cli_fixtures.py), with drift: unknown roles and
block types, broken JSON, plain-JSON meta, no meta table, a file that is not a database,
symlinked chats; and `ctx import cursor`, `--all-agents` and the not-yet-stored count."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ctx.capture.adapters.cursor_cli import find_cli_chats, parse_cursor_cli_chat
from tests.adapters.cursor_cli_fixtures import ASK, REPLY, make_chat, messages
from tests.wrap.conftest import run_ctx


def test_a_cli_chat_reads_in_order_without_injected_context(tmp_path: Path) -> None:
    root, ws = tmp_path / ".cursor", str(tmp_path / "repo")
    db = make_chat(root, ws, "0b6f9a3e-1d2c-4e5f-8a9b-0c1d2e3f4a5b", messages(ws))
    make_chat(root, str(tmp_path / "other"), "aaaaaaaa-0000-0000-0000-000000000000", messages(ws))
    (chat,) = find_cli_chats([ws], root=root)
    assert chat.db == db and chat.folder == ws
    header, turns = parse_cursor_cli_chat(chat)
    assert header.tool == "cursor" and header.external_id == chat.id
    assert header.title == "Cache key and branches" and header.cwd == ws
    assert header.meta["client"] == "cursor-agent" and header.meta["model"] == "composer-2.5"
    assert header.meta["injected_context"] == 1 and header.meta["graph_blobs"] == 2
    assert "unknown_types" not in header.meta and header.meta["skipped"] == 0
    assert [(t.role, t.text[:20]) for t in turns] == [
        ("user", ASK[:20]),
        ("assistant", "Let me check."),
        ("tool", f"[Read] {ws}"[:20]),
        ("tool", "def make_key(branch,"),
        ("assistant", REPLY[:20]),
    ]
    assert turns[1].meta["thinking"] == "Look at brief_cache first."
    assert turns[2].meta["call_id"] == turns[3].meta["call_id"] == "call_01"
    assert turns[0].ts == "2026-12-04T16:00:00.000Z"
    assert header.started_at is not None and header.ended_at is not None


def test_drift_is_skipped_and_counted(tmp_path: Path) -> None:
    root, ws = tmp_path / ".cursor", str(tmp_path / "repo")
    blobs = [
        *messages(ws),
        {"role": "critic", "content": "a role from a newer release"},
        {"role": "assistant", "content": [{"type": "diagram", "svg": "<svg/>"}]},
        {"role": "assistant", "content": 42},
        b'{"role": "user", "content": "cut off',
        {"no": "role"},
    ]
    make_chat(root, ws, "c-drift", blobs, hex_meta=False, info={})
    make_chat(root, ws, "c-nometa", messages(ws), meta_table=False)
    chats = {c.id: c for c in find_cli_chats([ws], root=root)}
    header, turns = parse_cursor_cli_chat(chats["c-drift"])
    assert header.meta["unknown_types"] == {"role/critic": 1, "block/diagram": 1, "content": 1}
    assert header.meta["malformed_records"] == 2 and header.meta["skipped"] == 5
    assert header.title == "New Agent"  # no meta.json title: the agent record's (plain JSON)
    assert [t.role for t in turns] == ["user", "assistant", "tool", "tool", "assistant"]
    nometa, turns2 = parse_cursor_cli_chat(chats["c-nometa"])
    assert len(turns2) == 5 and nometa.title == "Cache key and branches"


def test_hostile_stores_are_skipped_or_reported(tmp_path: Path) -> None:
    root, ws = tmp_path / ".cursor", str(tmp_path / "repo")
    make_chat(root, ws, "c-good", messages(ws))
    bucket = next((root / "chats").iterdir())
    outside = make_chat(tmp_path / "elsewhere", ws, "c-out", messages(ws)).parent
    (bucket / "c-link").symlink_to(outside)  # a symlinked chat directory
    (bucket / "..hidden").mkdir()  # not a chat id
    (bucket / "c-notdb").mkdir()
    (bucket / "c-notdb" / "store.db").write_bytes(b"not a database at all")
    found = sorted(c.id for c in find_cli_chats([ws], root=root))
    assert found == ["c-good", "c-notdb"]

    repo = Path(ws)
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    assert run_ctx(repo, "init").code == 0
    r = run_ctx(repo, "import", "cursor", str(root), "--all", "--json")
    assert r.code == 0, r.err
    assert r.json()["created"] == 1
    assert any("c-notdb" in p for p in r.json()["problems"])


def test_import_all_agents_and_the_not_stored_count(tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])  # the tests' own home (tests/conftest.py)
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    ws = str(repo.resolve())
    make_chat(home / ".cursor", ws, "c-one", messages(ws))
    make_chat(home / ".cursor", ws, "c-two", messages(ws))
    assert run_ctx(repo, "init").code == 0
    status = run_ctx(repo, "status", "--json")
    assert status.code == 0, status.err
    assert status.json()["agents_not_stored"]["cursor"] == 2
    one = run_ctx(repo, "import", "cursor", "--session", "c-one", "--json")
    assert one.code == 0, one.err
    assert one.json()["created"] == 1
    every = run_ctx(repo, "import", "--all-agents", "--json")
    assert every.code == 0, every.err
    assert every.json()["created"] == 1 and every.json()["files_read"]["cursor"] == 1
    shown = run_ctx(repo, "sessions", "list", "--json").json()
    assert sorted(s["tool"] for s in shown) == ["cursor", "cursor"]
