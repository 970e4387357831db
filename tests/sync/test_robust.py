"""Bad input, private data, the load cache, and what `ctx status` says about sharing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pycrdt import Doc, Map

from ctx.core.errors import CtxError
from ctx.store import crdt_log
from ctx.store.project import Project
from ctx.sync.status import lines as status_lines
from ctx.sync.status import sync_status
from ctx.sync.sync import sync
from tests.helpers import ctx_proc
from tests.sync.conftest import Team, conflict_free, ctx_in, git
from tests.sync.world import export, remote_corpus

FUTURE = "futurefuturefutu.log"  # a valid replica id: other names are refused anyway


def ids(p: Project) -> set[str]:
    p.refresh()
    return {m.id for m in p.list_memories()}


# ---- bad input ---------------------------------------------------------------------------------


def test_a_bad_merge_with_conflict_markers_in_a_log_is_reported_and_the_rest_loads(
    team: Team,
) -> None:
    """One clone appending to its own log on two branches: without the union attribute git
    leaves conflict markers; committed as they are, ctx still loads both sides."""
    alice = team.clone("alice")
    p = Project.open(alice)
    first = p.add_memory("on main before branching").id
    (alice / ".contextfs" / ".gitattributes").unlink(missing_ok=True)  # no union driver
    git(alice, "add", "-A", ".contextfs")
    git(alice, "commit", "-q", "-m", "base")
    git(alice, "checkout", "-q", "-b", "topic")
    on_topic = Project.open(alice).add_memory("on topic").id
    git(alice, "commit", "-q", "-am", "topic")
    git(alice, "checkout", "-q", "main")
    on_main = Project.open(alice).add_memory("on main").id
    git(alice, "commit", "-q", "-am", "main")
    merge = git(alice, "merge", "topic", check=False)
    assert merge.returncode != 0 and "CONFLICT" in merge.stdout
    git(alice, "commit", "-q", "-am", "careless merge, markers and all")
    log = p.own_log
    assert b"<<<<<<< HEAD" in log.read_bytes()
    r = ctx_proc(alice, "memory", "list", "--json")
    assert r.code == 0
    assert {m["id"] for m in json.loads(r.out)} == {first, on_topic, on_main}
    rel = str(log.relative_to(alice))
    assert f"{rel}:3: git conflict marker" in r.err


def test_the_union_attribute_merges_one_clones_branches_cleanly(team: Team) -> None:
    alice = team.clone("alice")
    ctx_in(alice, "memory", "add", "base")
    ctx_in(alice, "sync")  # writes and commits .contextfs/.gitattributes
    assert "merge=union" in (alice / ".contextfs" / ".gitattributes").read_text()
    git(alice, "checkout", "-q", "-b", "topic")
    a = ctx_in(alice, "memory", "add", "on topic").strip()
    git(alice, "commit", "-q", "-am", "topic")
    git(alice, "checkout", "-q", "main")
    b = ctx_in(alice, "memory", "add", "on main").strip()
    ctx_in(alice, "gc")  # even a compacted log merges with the other branch's appends
    git(alice, "commit", "-q", "-am", "main")
    git(alice, "merge", "-q", "--no-edit", "topic")
    conflict_free(alice)
    p = Project.open(alice)
    assert {a, b} <= ids(p) and len(ids(p)) == 3 and not p.problems


def test_a_store_of_a_newer_format_is_refused_with_a_clear_message(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    ctx_in(alice, "memory", "add", "hello")
    ctx_in(alice, "sync")
    cfg = alice / ".contextfs" / "config.toml"
    cfg.write_text(cfg.read_text().replace("format = 1", "format = 2"))
    git(alice, "commit", "-q", "-am", "a newer ctx upgraded the store")
    git(alice, "push", "-q")
    git(bob, "pull", "-q")
    before = git(bob, "rev-parse", "HEAD").stdout
    r = ctx_proc(bob, "sync")
    assert r.code == 1 and "format 2" in r.err and "upgrade ctx" in r.err
    assert git(bob, "rev-parse", "HEAD").stdout == before  # nothing was changed
    with pytest.raises(CtxError) as err:
        sync(Project.open(bob, require_store=False))
    assert err.value.code == "newer_format"


def test_a_log_from_a_newer_ctx_in_another_clone_is_refused(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    (alice / ".contextfs" / "state" / FUTURE).write_text("#ctx-state v9 replica=future\n")
    git(alice, "add", ".contextfs")
    git(alice, "commit", "-q", "-m", "future")
    git(alice, "push", "-q")
    git(bob, "pull", "-q")
    r = ctx_proc(bob, "memory", "list")
    assert r.code == 1 and FUTURE in r.err and "newer ctx" in r.err and "upgrade" in r.err


# ---- private data ------------------------------------------------------------------------------


def test_private_memories_and_sessions_never_leave_the_machine(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    ctx_in(alice, "memory", "add", "PRIVATE-note-7781", "--private")
    ctx_in(alice, "memory", "add", "shared note")
    sid = json.loads(
        ctx_in(alice, "capture", "--private", "--title", "PRIVATE-title-99", "--json")
    )["id"]
    ctx_in(alice, "append", "PRIVATE-turn-4242")
    ctx_in(alice, "complete")
    (alice / "t.jsonl").write_text(
        '{"type":"session","id":"ext-1","title":"imported"}\n{"role":"user","text":"PRIVATE-imported-55"}\n'
    )
    ctx_in(alice, "import", "jsonl", str(alice / "t.jsonl"), "--private")
    ctx_in(alice, "gc")
    for _ in range(2):
        ctx_in(alice, "sync")
        ctx_in(bob, "sync")
    corpus = remote_corpus(team.remote)
    for marker in (
        "PRIVATE-note-7781",
        "PRIVATE-title-99",
        "PRIVATE-turn-4242",
        "PRIVATE-imported-55",
    ):
        assert marker.encode() not in corpus
    assert b"shared note" in corpus
    bob_export = ctx_in(bob, "export", "--include-private")
    assert "PRIVATE" not in bob_export and "shared note" in bob_export
    mine = ctx_in(alice, "export", "--include-private")
    assert "PRIVATE-note-7781" in mine and "PRIVATE-turn-4242" in mine and sid in mine
    assert git(alice, "ls-files", ".contextfs/local").stdout == ""


# ---- the machine-local load cache --------------------------------------------------------------


def _write_log(path: Path, replica: str, updates: list[bytes]) -> None:
    path.write_bytes(
        crdt_log.header_line(replica) + b"".join(crdt_log.encode_line(u) for u in updates)
    )


def test_load_cache_keeps_updates_that_wait_for_a_log_not_yet_here(repo: Path) -> None:
    p = Project.open(repo, require_store=False)
    p.init()
    creator = Doc()
    cm = creator.get("memories", type=Map)
    with creator.transaction():
        cm["m-waiting00000"] = Map({"type": "fact", "content": "created elsewhere"})
    creation = creator.get_update()
    editor = Doc()
    em = editor.get("memories", type=Map)
    editor.apply_update(creation)
    seen = editor.get_state()
    with editor.transaction():
        em["m-waiting00000"]["content"] = "edited after creation"
    edit = editor.get_update(seen)
    # many lines, so a load writes the cache; the edit cannot apply yet (its record is missing)
    fillers = []
    for i in range(300):
        d = Doc()
        dm = d.get("memories", type=Map)
        with d.transaction():
            dm[f"m-filler{i:06d}"] = Map({"type": "fact", "content": f"filler {i}"})
        fillers.append(d.get_update())
    state = p.layout.state_dir
    _write_log(state / "editoreditor2345.log", "editor", [edit, *fillers])
    assert len(ids(Project.open(repo))) == 300
    assert p.cache_file.exists()
    _write_log(state / "creatorcreator23.log", "creator", [creation])  # the missing log arrives
    later = Project.open(repo)
    assert later.get_memory("m-waiting00000").content == "edited after creation"
    uncached = Project.open(repo)
    uncached.drop_cache()
    assert export(uncached) == export(later)


def test_load_cache_is_dropped_when_a_log_is_rewritten_or_goes_back(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the cache alone: no journal copies, no high-water mark (they would restore the 10
    # discarded memories, see tests/sync/test_faults.py)
    monkeypatch.setenv("CTX_PENDING_GRACE", "0")
    monkeypatch.setenv("CTX_HIGH_WATER", "0")
    alice = team.clone("alice")
    p = Project.open(alice)
    for i in range(250):
        p.add_memory(f"m {i}")
    git(alice, "add", ".contextfs")
    git(alice, "commit", "-q", "-m", "250")
    for i in range(250, 260):
        p.add_memory(f"m {i}")
    assert p.settle_pending() == 0  # every change is in the log: the journal empties
    assert len(ids(Project.open(alice))) == 260
    assert p.cache_file.exists()
    git(alice, "checkout", "-q", "--", ".contextfs")  # back to the commit: 10 fewer
    assert git(alice, "status", "--porcelain").stdout == ""
    assert len(ids(Project.open(alice))) == 250
    ctx_in(alice, "gc")  # rewritten log
    q = Project.open(alice)
    assert len(ids(q)) == 250 and not q.problems
    p.cache_file.write_bytes(b"ctx-cache 1\n{not json")  # damaged cache: ignored
    assert len(ids(Project.open(alice))) == 250


# ---- ctx status ------------------------------------------------------------------------------


def test_sync_status_says_what_is_not_shared_and_what_arrived(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    ctx_in(alice, "memory", "add", "one")
    st = sync_status(Project.open(alice))
    assert st["upstream"] == "origin/main" and st["ahead"] == 0
    assert any(u.startswith(".contextfs/state/") for u in st["uncommitted"])
    ctx_in(alice, "sync", "--no-push")
    st = sync_status(Project.open(alice))
    assert st["ahead"] == 1 and st["uncommitted"] == []
    assert any("not pushed" in line for line in status_lines(st))
    ctx_in(alice, "sync")
    ctx_in(bob, "sync")
    ctx_in(alice, "memory", "add", "two")
    ctx_in(alice, "sync")
    git(bob, "pull", "-q")  # plain git after the last ctx sync
    st = sync_status(Project.open(bob))
    assert st["last_sync"] is not None
    assert st["arrived_since_last_sync"] == {"sessions": 0, "clones": 1, "updates": 1}
    assert any("arrived" in line for line in status_lines(st))
    full = json.loads(ctx_in(bob, "status", "--json"))
    assert full["sync"]["upstream"] == "origin/main"
