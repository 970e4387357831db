"""As a new user would: a bare remote, two clones, the real `ctx` command and plain git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import ctx_proc
from tests.sync.conftest import Team, conflict_free, git

pytestmark = pytest.mark.slow


def ctx(cwd: Path, *args: str, input: str | None = None) -> str:
    r = ctx_proc(cwd, *args, input=input)
    assert r.code == 0, f"ctx {' '.join(args)}: {r.err}"
    return r.out


def memories(cwd: Path) -> dict[str, dict]:
    return {m["id"]: m for m in json.loads(ctx(cwd, "memory", "list", "--json"))}


def sessions(cwd: Path) -> dict[str, dict]:
    return {s["id"]: s for s in json.loads(ctx(cwd, "sessions", "list", "--json"))}


def capture(cwd: Path, title: str, *turns: str) -> str:
    sid = json.loads(ctx(cwd, "capture", "--title", title, "--json"))["id"]
    for i, text in enumerate(turns):
        ctx(cwd, "append", "--role", "user" if i % 2 == 0 else "assistant", text)
    ctx(cwd, "complete")
    return sid


def test_two_clones_share_with_plain_git(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    # both work at the same time, nobody has pulled yet
    a1 = ctx(
        alice, "memory", "add", "We sign JWTs with RS256", "--type", "decision", "--tag", "auth"
    ).strip()
    a2 = ctx(
        alice, "memory", "add", "Run the tests with pytest -n 2", "--type", "procedure"
    ).strip()
    sa = capture(alice, "key rotation", "how do we rotate keys?", "with a cron job")
    b1 = ctx(bob, "memory", "add", "Bob prefers tabs", "--type", "preference").strip()
    sb = capture(bob, "flaky test", "why is test_x flaky?", "a race in the fixture")
    for who, msg in ((alice, "alice's context"), (bob, "bob's context")):
        git(who, "add", ".contextfs")
        git(who, "commit", "-q", "-m", msg)
    git(alice, "push", "-q")
    assert git(bob, "push", "-q", check=False).returncode != 0  # behind: must pull first
    git(bob, "pull", "-q", "--no-rebase", "--no-edit")
    conflict_free(bob)
    git(bob, "push", "-q")
    git(alice, "pull", "-q", "--no-rebase")
    conflict_free(alice)

    # now both edit, one with a rebase workflow
    ctx(alice, "memory", "edit", b1, "--tag", "style")
    ctx(bob, "memory", "edit", a2, "--content", "Run the tests with pytest -n auto")
    ctx(bob, "sessions", "edit", sa, "--title", "Key rotation (cron)")
    ctx(bob, "memory", "rm", a1)
    for who in (alice, bob):
        git(who, "add", ".contextfs")
        git(who, "commit", "-q", "-m", "more context")
    git(bob, "push", "-q")
    git(alice, "pull", "-q", "--rebase")
    conflict_free(alice)
    git(alice, "push", "-q")
    git(bob, "pull", "-q", "--rebase")
    conflict_free(bob)

    assert git(alice, "rev-parse", "HEAD").stdout == git(bob, "rev-parse", "HEAD").stdout
    ma, mb = memories(alice), memories(bob)
    assert ma == mb
    assert set(ma) == {a2, b1}  # a1 was removed
    assert ma[a2]["content"] == "Run the tests with pytest -n auto"
    assert ma[b1]["tags"] == ["style"]
    assert sessions(alice) == sessions(bob) and set(sessions(alice)) == {sa, sb}
    assert sessions(alice)[sa]["title"] == "Key rotation (cron)"
    assert ctx(alice, "export") == ctx(bob, "export")
    shown = json.loads(ctx(bob, "sessions", "show", sa, "--json"))
    assert [t["text"] for t in shown["turns"]] == ["how do we rotate keys?", "with a cron job"]


def test_ctx_sync_commits_pulls_pushes_and_reports_a_lost_edit(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    mid = ctx(alice, "memory", "add", "The cache TTL is 60 s", "--type", "fact").strip()
    out = ctx(alice, "sync")
    assert "ctx: 1 memory added" in out and "pushed" in out
    assert "ctx: 1 memory added" in git(alice, "log", "-1", "--format=%s").stdout
    out = ctx(bob, "sync")
    assert "pulled" in out and mid in memories(bob)

    # the same field edited in both clones at once: one value wins everywhere, the other is
    # reported (not silently dropped) and kept in the lost-edits record
    ctx(alice, "memory", "edit", mid, "--content", "The cache TTL is 90 s")
    ctx(bob, "memory", "edit", mid, "--content", "The cache TTL is 30 s", "--tag", "cache")
    ctx(alice, "sync")
    report = json.loads(ctx(bob, "sync", "--json"))
    assert report["pulled"] == "merge" and report["pushed"]
    ctx(alice, "sync")
    final = memories(alice)[mid]
    assert final == memories(bob)[mid]
    assert final["content"] in ("The cache TTL is 90 s", "The cache TTL is 30 s")
    assert final["tags"] == ["cache"]  # a different field: both edits survive
    lost = report["lost_edits"]
    assert [(e["id"], e["field"]) for e in lost] == [(mid, "content")]
    loser = ({"The cache TTL is 90 s", "The cache TTL is 30 s"} - {final["content"]}).pop()
    assert lost[0]["lost"] == loser and lost[0]["kept"] == final["content"]
    recorded = (bob / ".contextfs" / "local" / "sync" / "lost-edits.jsonl").read_text()
    assert loser in recorded
    status = json.loads(ctx(bob, "status", "--json"))["sync"]
    assert status["upstream"] == "origin/main" and status["ahead"] == 0
    for who in (alice, bob):
        conflict_free(who)
        assert git(who, "status", "--porcelain").stdout == ""


def test_edit_against_delete_and_tags(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    keep = ctx(alice, "memory", "add", "kept", "--tag", "x").strip()
    gone = ctx(alice, "memory", "add", "to be removed").strip()
    ctx(alice, "sync")
    ctx(bob, "sync")
    ctx(alice, "memory", "rm", gone)
    ctx(bob, "memory", "edit", gone, "--content", "edited while removed elsewhere")
    ctx(alice, "memory", "edit", keep, "--tag", "y")  # add y
    ctx(bob, "memory", "edit", keep, "--untag", "x", "--tag", "z")  # remove x, add z
    ctx(alice, "sync")
    report = json.loads(ctx(bob, "sync", "--json"))
    ctx(alice, "sync")
    ma, mb = memories(alice), memories(bob)
    assert ma == mb and set(ma) == {keep}  # delete wins over a concurrent edit
    assert ma[keep]["tags"] == ["y", "z"]  # tag additions and removals of different tags merge
    assert [(e["id"], e["field"], e["side"]) for e in report["lost_edits"]] == [(gone, "*", "here")]


def test_forget_reaches_every_clone(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    sid = capture(alice, "secret plans", "the plan is X", "noted")
    mid = ctx(alice, "memory", "add", "forget me").strip()
    ctx(alice, "sync")
    ctx(bob, "sync")
    assert sid in sessions(bob) and mid in memories(bob)
    out = ctx(bob, "forget", "--yes", sid, mid)
    assert "history" in out  # says that history rewriting is a separate choice
    ctx(bob, "sync")
    ctx(alice, "sync")
    for who in (alice, bob):
        assert sid not in sessions(who) and mid not in memories(who)
        assert not (who / ".contextfs" / "sessions" / sid).exists()
