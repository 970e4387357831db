"""The documented merge semantics, through `ctx sync` (in-process CLI, real git)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.sync.conftest import Team, cli_helpers, conflict_free, ctx_in, git


def ctx(cwd: Path, *args: str) -> str:
    return ctx_in(cwd, *args)


memories, sessions, capture = cli_helpers(ctx)


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
    ctx(alice, "memory", "rm", "--yes", gone)
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


def _transcript(path: Path, n: int, ts: bool = False) -> Path:
    lines = ['{"type":"session","id":"shared-chat-1","title":"the same chat"}']
    for k in range(n):
        stamp = f',"ts":"2026-01-01T00:00:0{k}.000Z"' if ts else ""
        role = "user" if k % 2 == 0 else "assistant"
        lines.append(f'{{"role":"{role}","text":"turn {k}"{stamp}}}')
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_same_transcript_imported_in_two_clones(team: Team) -> None:
    """Both clones write sessions/<id>/000.jsonl (the id comes from the transcript): ctx sync
    keeps one copy (the longer) the same way in every clone, so nothing conflicts."""
    alice, bob, carol = team.clone("alice"), team.clone("bob"), team.clone("carol")
    ctx(alice, "import", "jsonl", str(_transcript(alice / "chat.jsonl", 3)))
    ctx(bob, "import", "jsonl", str(_transcript(bob / "chat.jsonl", 5)))
    ctx(carol, "import", "jsonl", str(_transcript(carol / "chat.jsonl", 4)))
    ctx(alice, "sync")
    out = json.loads(ctx(bob, "sync", "--rebase", "--json"))
    assert out["pulled"] == "merge" and any("imported in both" in n for n in out["notes"])
    ctx(carol, "sync")
    ctx(alice, "sync")
    ctx(bob, "sync")
    for who in (alice, bob, carol):
        conflict_free(who)
        [s] = sessions(who).values()
        shown = json.loads(ctx(who, "sessions", "show", s["id"], "--json"))
        assert [t["text"] for t in shown["turns"]] == [f"turn {k}" for k in range(5)]
    assert ctx(alice, "export") == ctx(bob, "export") == ctx(carol, "export")


def test_sync_without_upstream_or_remote(tmp_path: Path) -> None:
    from tests.sync.conftest import make_team

    team = make_team(tmp_path)
    solo = tmp_path / "solo"
    solo.mkdir()
    git(solo, "init", "-q", "-b", "main")
    ctx(solo, "init")
    ctx(solo, "memory", "add", "alone")
    out = json.loads(ctx(solo, "sync", "--json"))
    assert out["commits"] and not out["pushed"] and "no git remote" in out["notes"][0]
    # a remote but no upstream yet: pushed with -u, and the upstream is set
    git(solo, "remote", "add", "origin", str(team.remote))
    git(solo, "checkout", "-q", "-b", "solo-work")
    ctx(solo, "memory", "add", "first push")
    out = json.loads(ctx(solo, "sync", "--json"))
    assert out["pushed"] and out["upstream"] == "origin/solo-work"
    assert (
        git(solo, "rev-parse", "--abbrev-ref", "@{upstream}").stdout.strip() == "origin/solo-work"
    )
    # --no-pull never pulls, even when the push is rejected
    other = team.clone("other")
    git(other, "checkout", "-q", "solo-work")
    ctx(other, "memory", "add", "from the other clone")
    ctx(other, "sync")
    ctx(solo, "memory", "add", "diverged")
    from tests.helpers import ctx_proc

    r = ctx_proc(solo, "sync", "--no-pull")
    assert r.code == 1 and "git push was rejected" in r.err and "without --no-pull" in r.err
    assert json.loads(ctx(solo, "sync", "--json"))["pushed"]
