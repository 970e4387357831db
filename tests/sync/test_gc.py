"""ctx gc: smaller logs, the same state, forgotten content gone, no conflict anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ctx.store.project import Project
from ctx.sync.gc import compact_updates, gc
from ctx.sync.history import updates
from tests.helpers import decoded_bytes
from tests.sync.conftest import Team, conflict_free, ctx_in, git
from tests.sync.world import export


def test_gc_shrinks_own_log_keeps_state_and_drops_forgotten_content(team: Team) -> None:
    alice = team.clone("alice")
    p = Project.open(alice)
    ids = [p.add_memory(f"note {i}", "fact", ["t"]).id for i in range(30)]
    for i, mid in enumerate(ids[:20]):
        p.edit_memory(mid, content=f"note {i}, revised", add_tags=["r"])
    secret_words = "the launch code is BANANA-42"
    doomed = p.add_memory(secret_words).id
    p.forget(doomed)
    p.add_memory("private thought", private=True)
    before = export(p, include_private=True)
    size = p.own_log.stat().st_size
    assert secret_words.encode() in decoded_bytes(p.own_log)

    result = gc(p)
    [shared, private] = result.logs
    assert shared.method == "compacted" and shared.lines_before == 52 and shared.lines_after == 1
    assert shared.bytes_after < size
    assert private.path.endswith("local/private/state.log")
    assert secret_words.encode() not in decoded_bytes(p.own_log)
    assert b"note 3" not in decoded_bytes(p.own_log).replace(b"note 3,", b"")  # old value gone
    again = Project.open(alice)
    assert export(again, include_private=True) == before
    assert not again.problems
    # a second gc has nothing left to do
    assert [x.method for x in gc(again).logs] == ["unchanged", "unchanged"]


def test_gc_while_another_clone_keeps_working_never_conflicts(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    shared = [ctx_in(alice, "memory", "add", f"shared {i}").strip() for i in range(5)]
    ctx_in(alice, "sync")
    ctx_in(bob, "sync")
    # bob edits alice's memories and adds his own while alice compacts her log
    for mid in shared[:3]:
        ctx_in(bob, "memory", "edit", mid, "--content", f"{mid} edited by bob", "--tag", "bob")
    ctx_in(bob, "memory", "rm", "--yes", shared[4])
    for mid in shared[:2]:
        ctx_in(alice, "memory", "edit", mid, "--tag", "alice")
    ctx_in(alice, "gc")
    ctx_in(alice, "memory", "add", "after gc")
    out = ctx_in(alice, "sync")
    assert "state log compacted" in out
    ctx_in(bob, "gc")  # both compact concurrently
    ctx_in(bob, "sync", "--rebase")
    ctx_in(alice, "sync")
    for who in (alice, bob):
        conflict_free(who)
        assert git(who, "status", "--porcelain").stdout == ""
    ea, eb = ctx_in(alice, "export"), ctx_in(bob, "export")
    assert ea == eb
    mems = {m["id"]: m for m in json.loads(ctx_in(alice, "memory", "list", "--json"))}
    assert shared[4] not in mems and len(mems) == 5
    assert mems[shared[0]]["content"] == f"{shared[0]} edited by bob"
    assert mems[shared[0]]["tags"] == ["alice", "bob"]


def test_gc_refuses_a_damaged_store_unless_forced(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gc alone: no journal copy of the damaged line, no high-water mark (either would bring
    # the damaged memory back: tests/sync/test_faults.py)
    monkeypatch.setenv("CTX_PENDING_GRACE", "0")
    monkeypatch.setenv("CTX_HIGH_WATER", "0")
    alice = team.clone("alice")
    p = Project.open(alice)
    for i in range(3):
        p.add_memory(f"m{i}")
    lines = p.own_log.read_bytes().split(b"\n")
    lines[2] = lines[2][:20] + b"XXXX" + lines[2][24:]
    p.own_log.write_bytes(b"\n".join(lines))
    out = ctx_in(alice, "gc", ok=False)
    assert out == ""
    from tests.helpers import ctx_proc

    r = ctx_proc(alice, "gc")
    assert r.code == 1 and "unreadable" in r.err and "--force" in r.err
    r = ctx_proc(alice, "gc", "--force", "--yes")
    assert r.code == 0
    assert len(Project.open(alice).list_memories()) == 2


def test_compaction_falls_back_to_a_lossless_merge_when_updates_wait_for_missing_ones() -> None:
    from pycrdt import Doc, Map

    # our update edits a record whose creation is in a log we do not have (it is pending)
    elsewhere = Doc()
    m = elsewhere.get("memories", type=Map)
    with elsewhere.transaction():
        m["m-1"] = Map({"content": "made elsewhere"})
    theirs = elsewhere.get_update()
    here = Doc()
    hm = here.get("memories", type=Map)
    here.apply_update(theirs)
    seen = here.get_state()
    with here.transaction():
        hm["m-1"]["content"] = "edited here"
    ours = here.get_update(seen)
    update, method = compact_updates([ours], [])
    assert method == "merged"  # nothing of ours was dropped
    full = Doc()
    fm = full.get("memories", type=Map)
    full.apply_update(update)
    full.apply_update(theirs)
    assert fm.to_py() == {"m-1": {"content": "edited here"}}


def test_log_updates_helper_skips_bad_lines(tmp_path: Path) -> None:
    assert updates({"x.log": b"#ctx-state v1 replica=x\nnot a line\n"}) == []
