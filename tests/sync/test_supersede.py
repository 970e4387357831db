"""Supersession merges through the CRDT: two clones, concurrent edits, no conflict."""

from __future__ import annotations

import json
from pathlib import Path

from tests.sync.conftest import Team, conflict_free, ctx_in


def memories(cwd: Path) -> dict[str, dict]:
    return {m["id"]: m for m in json.loads(ctx_in(cwd, "memory", "list", "--json"))}


def test_supersession_across_two_clones(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    old = ctx_in(alice, "memory", "add", "Deploys go out on Fridays after lunch").strip()
    ctx_in(alice, "sync")
    ctx_in(bob, "sync")

    # bob replaces it while alice tags it and carol-like concurrent replacement by alice
    new = ctx_in(
        bob, "memory", "add", "--supersedes", old[:8], "Deploys go out on Tuesdays mornings"
    ).strip()
    ctx_in(alice, "memory", "edit", old, "--tag", "deploy")
    other = ctx_in(
        alice, "memory", "add", "--supersedes", old, "Deploys go out whenever CI is green"
    ).strip()
    ctx_in(alice, "sync")
    ctx_in(bob, "sync")
    ctx_in(alice, "sync")
    conflict_free(alice)
    conflict_free(bob)

    for clone in (alice, bob):
        ms = memories(clone)
        assert ms[old]["superseded_by"] == sorted([new, other])  # both replacements survive
        assert ms[old]["tags"] == ["deploy"]  # and alice's edit of another field
        assert ms[new]["supersedes"] == old and ms[other]["supersedes"] == old
        shown = ctx_in(clone, "memory", "show", old)
        assert "(superseded)" in shown and new in shown
        assert "(superseded)" in ctx_in(clone, "memory", "list")

    # the replaced memory ranks below what replaces it, though it matches the query as well
    hits = json.loads(ctx_in(bob, "search", "--json", "--mode", "keyword", "deploys go out"))
    order = [h["memory_id"] for h in hits["hits"]]
    assert order.index(old) > order.index(new) and order.index(old) > order.index(other)
    assert next(h for h in hits["hits"] if h["memory_id"] == old)["superseded_by"]
    text = ctx_in(bob, "search", "--mode", "keyword", "deploys go out")
    assert f"superseded by {new}" in text or f"superseded by {other}" in text


def test_supersedes_an_unknown_memory_is_refused(team: Team) -> None:
    alice = team.clone("alice")
    out = ctx_in(alice, "memory", "add", "--supersedes", "m-zzzzzzzzzzzz", "x", ok=False)
    assert out == ""
    assert memories(alice) == {}


def test_verify_names_hostile_cites_and_links_and_readers_drop_them(team: Team) -> None:
    from pycrdt import Map

    from tests.sync.test_review import EVIL_REPLICA, _forged_log, _run

    eve = team.clone("eve")
    log = eve / ".contextfs" / "state" / f"{EVIL_REPLICA}.log"

    def build(doc, roots):  # type: ignore[no-untyped-def]
        rec = Map({"type": "fact", "content": "x", "supersedes": "../../etc"})
        roots["memories"]["m-aaaaaaaaaaaa"] = rec
        rec["cites"] = Map({"../../etc/passwd": True, "/etc/shadow": True, "README.md": True})
        rec["superseded_by/m-bbbbbbbbbbbb"] = True

    _forged_log(log, build)
    from tests.sync.conftest import git

    git(eve, "add", ".contextfs")
    git(eve, "commit", "-qm", "innocent looking")
    code, out, _ = _run(eve, "verify", "origin/main..HEAD")
    assert code == 1
    assert "cite '../../etc/passwd' is not in the repo" in out
    assert "cite '/etc/shadow' is not in the repo" in out
    assert "link '../../etc' is not a memory id" in out
    m = memories(eve)["m-aaaaaaaaaaaa"]
    assert m["cites"] == ["README.md"] and m["supersedes"] is None
    assert m["superseded_by"] == ["m-bbbbbbbbbbbb"]
    assert m["stale"]["status"] == "unknown"  # no commit recorded: never stale
