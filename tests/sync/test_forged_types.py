"""Pulled records whose fields have the wrong type or an absurd value (a list where a date
belongs, NaN or 10**30 where a count does, a map where a title does): every command reads
them as missing fields, none ends with "internal error" (exit 70). Forged with plain pycrdt
and hand-written JSON, as an attacker would, and brought in by a real pull."""

from __future__ import annotations

import json

from pycrdt import Array, Doc, Map

from ctx.store import crdt_log
from tests.helpers import ctx_proc
from tests.sync.conftest import Team, ctx_in, ctx_run, git

MID = "m-fffffffffff2"
SID = "s-fffffffffff3"


def forged_log() -> bytes:
    d = Doc()
    memories, sessions = d.get("memories", type=Map), d.get("sessions", type=Map)
    with d.transaction():
        memories[MID] = Map(
            {
                "type": "fact",
                "content": "deploys happen on fridays",
                "source_turn": float("inf"),
                "branch": Array(["main"]),
                "author": Map({"name": "x"}),
                "created_at": 5,
                "tags": Array(["t"]),
            }
        )
        sessions[SID] = Map(
            {
                "title": Map({"a": "b"}),
                "turn_count": float("nan"),
                "ended_at": Array(["x"]),
                "exit_status": 10.0**30,
                "command": Array([1, 2]),
                "tool": 7,
            }
        )
    return crdt_log.header_line("ffffffffffffffff") + crdt_log.encode_line(d.get_update())


def forged_transcript() -> str:
    header = {
        "type": "session",
        "format": 1,
        "id": SID,
        "tool": ["x"],
        "title": {"t": 1},
        "started_at": ["2026"],
        "ended_at": {"x": 1},
        "turn_count": "many",
        "command": "rm -rf /",
        "tags": "deploy",
        "meta": [1],
    }
    turns = [
        {
            "type": "turn",
            "n": 10**30,
            "role": "user",
            "text": "when do deploys happen",
            "ts": ["x"],
        },
        {"type": "turn", "n": -4, "role": ["user"], "text": {"t": 1}, "ts": 12},
        {"type": "turn", "n": True, "role": "assistant", "text": "on fridays", "id": [1]},
    ]
    return "".join(json.dumps(r) + "\n" for r in [header, *turns])


def test_fields_of_the_wrong_type_are_read_as_missing(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    state = alice / ".contextfs" / "state"
    state.mkdir(parents=True, exist_ok=True)
    (state / "ffffffffffffffff.log").write_bytes(forged_log())
    part = alice / ".contextfs" / "sessions" / SID / "000.jsonl"
    part.parent.mkdir(parents=True)
    part.write_text(forged_transcript())
    git(alice, "add", "-A", ".contextfs")
    git(alice, "commit", "-qm", "odd records")
    git(alice, "push", "-q", "origin", "HEAD:main")
    git(bob, "pull", "-q", "--no-rebase")
    ctx_in(bob, "hooks", "install")

    commands = [
        ("memory", "list"),
        ("memory", "list", "--json"),
        ("memory", "show", MID),
        ("show", MID),
        ("sessions", "list"),
        ("sessions", "list", "--json"),
        ("sessions", "show", SID),
        ("sessions", "show", SID, "--json"),
        ("show", SID),
        ("search", "deploys", "--mode", "keyword"),
        ("search", "fridays", "--mode", "keyword", "--json"),
        ("index", "--keyword-only"),
        ("export",),
        ("status",),
        ("log",),
        ("diff", "HEAD~1..HEAD"),
        ("verify", "HEAD~1..HEAD"),
        ("resume", SID, "--agent", "codex"),
        ("resume", SID, "--agent", "claude"),
    ]
    for args in commands:  # in this process (quick), the same error handler as the real thing
        code, _out, err = ctx_run(bob, *args)
        assert code in (0, 1), (args, code, err)
        assert "internal error" not in err and "Traceback" not in err, (args, err)
    r = ctx_proc(bob, "sessions", "show", SID)  # and a real process
    assert r.code == 0 and "on fridays" in r.out, r
    shown = json.loads(ctx_in(bob, "memory", "show", MID, "--json"))
    assert shown["content"] == "deploys happen on fridays"
    assert shown["source_turn"] is None and shown["branch"] is None and shown["author"] == ""
    [listed] = json.loads(ctx_in(bob, "sessions", "list", "--json"))
    assert listed["id"] == SID and isinstance(listed["title"], str)
    turns = json.loads(ctx_in(bob, "sessions", "show", SID, "--json"))["turns"]
    assert [t["text"] for t in turns if t["text"]] == ["when do deploys happen", "on fridays"]
    assert all(t["ts"] is None or isinstance(t["ts"], str) for t in turns)
    hits = json.loads(ctx_in(bob, "search", "fridays", "--mode", "keyword", "--json"))
    assert hits["hits"], hits
    from ctx.tui.data import Store

    store = Store.open(bob)  # the TUI's data layer: rows and the transcript render
    assert [row.id for row in store.session_rows()] == [SID]
    assert "on fridays" in [t.text for t in store.session(SID).turns or []]
