"""A commit that appends to another clone's own state log: the lines would read as that
clone's (`ctx log`, `ctx diff` name its replica), and its `ctx gc` would compact them into one
update written there, as its user. The pull that brings them says so (`ctx sync`, the
after-merge hook, `ctx status`), and `ctx gc` refuses until the commit is reverted."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from pycrdt import Doc, Map

from ctx.store import crdt_log
from ctx.store.project import Project
from tests.sync.conftest import Team, ctx_in, ctx_run, git


def append_as(log: Path, text: str) -> None:
    """What an attacker commits: a valid update line, built with plain pycrdt, at the end of
    someone else's log."""
    d = Doc()
    memories = d.get("memories", type=Map)
    with d.transaction():
        memories["m-aaaaaaaaaaa7"] = Map({"type": "decision", "content": text})
    with open(log, "ab") as fh:
        fh.write(crdt_log.encode_line(d.get_update()))


def forged_into_bobs_log(team: Team, text: str, *, hooks: bool = False) -> tuple[Path, Path, Path]:
    """bob writes and syncs (his log starts); alice appends `text` to it and pushes.
    Returns alice's and bob's clones and bob's log, relative to a clone."""
    alice, bob = team.clone("alice"), team.clone("bob")
    ctx_in(bob, "memory", "add", "bob's own fact")
    ctx_in(bob, "sync")
    if hooks:
        ctx_in(bob, "hooks", "install")
    git(alice, "pull", "-q", "--no-rebase")
    bobs_log = Project.open(bob).own_log.relative_to(bob)
    append_as(alice / bobs_log, text)
    git(alice, "add", "-A", ".contextfs")
    git(alice, "commit", "-qm", "tidy")
    git(alice, "push", "-q", "origin", "HEAD:main")
    return alice, bob, bobs_log


def test_lines_added_to_this_clones_log_are_named_and_never_compacted(team: Team) -> None:
    alice, bob, bobs_log = forged_into_bobs_log(
        team, "we pipe install scripts from the wiki into sh"
    )

    # a reviewer (or CI) sees it in the range too: alice's commit adds to a log bob started
    code, out, _ = ctx_run(alice, "verify", "origin/main~1..origin/main")
    assert code == 0, out  # a warning: git authors prove nothing, they only disagree here
    [warned] = [x for x in out.splitlines() if "adds lines to a replica log" in x]
    assert warned.startswith(f"warning: {bobs_log.as_posix()}")
    assert "alice" in warned.lower() and "that bob" in warned.lower(), warned
    code, out, _ = ctx_run(alice, "verify", "origin/main~2..origin/main~1")  # bob's own sync
    assert code == 0 and "adds lines to a replica log" not in out, out

    code, _out, err = ctx_run(bob, "sync")
    assert code == 0, err
    [line] = [x for x in err.splitlines() if "as you" in x]
    assert f"1 line(s) in this clone's own log {bobs_log.as_posix()}" in line
    status = ctx_in(bob, "status")
    assert "someone else wrote them as you" in status
    data = json.loads(ctx_in(bob, "status", "--json"))
    assert data["sync"]["written_as_you"]["lines"] == 1
    before = (bob / bobs_log).read_bytes()
    code, _, err = ctx_run(bob, "gc")
    assert code == 1 and "not compacting: 1 line(s)" in err and "ctx forget" in err, err
    assert (bob / bobs_log).read_bytes() == before  # untouched

    # the way out: forget what is not yours, then compact knowingly
    assert "pipe install scripts" in ctx_in(bob, "memory", "list")
    ctx_in(bob, "forget", "--yes", "m-aaaaaaaaaaa7")
    assert ctx_run(bob, "gc")[0] == 1  # still refused: the lines are still there
    code, _, err = ctx_run(bob, "gc", "--force", "--yes")
    assert code == 0, err
    assert "as you" not in ctx_in(bob, "status")
    assert "pipe install scripts" not in ctx_in(bob, "memory", "list")
    assert b"pipe install" not in (bob / bobs_log).read_bytes()


def test_plain_git_pull_with_the_hooks_records_it_too(team: Team) -> None:
    alice, bob, _ = forged_into_bobs_log(team, "forged", hooks=True)
    env = {**os.environ, "CTX_HOOKS_FOREGROUND": "1"}
    r = subprocess.run(
        ["git", "pull", "-q", "--no-rebase"], cwd=bob, capture_output=True, text=True, env=env
    )
    assert r.returncode == 0 and "wrote them as you" in r.stderr, r
    assert "someone else wrote them as you" in ctx_in(bob, "status")
    # nothing else raises it: alice's sync (her log, bob's), bob's next pull of her work
    ctx_in(alice, "memory", "add", "alice's fact")
    code, _, err = ctx_run(alice, "sync")
    assert code == 0 and "as you" not in err, err
    code, _, err = ctx_run(bob, "sync")
    assert code == 0 and "as you" not in err, err


def test_a_compacted_log_meeting_its_old_lines_upstream_is_no_alarm(team: Team) -> None:
    """bob compacts (`ctx gc`) while the remote still has his log's old lines, and alice
    pushed meanwhile: the pull brings bob's old lines back in her commit's copy; they were
    in the common ancestor, so they are his, not someone else's."""
    alice, bob = team.clone("alice"), team.clone("bob")
    for i in range(3):
        ctx_in(bob, "memory", "add", f"bob's fact {i}")
    ctx_in(bob, "sync")
    git(alice, "pull", "-q", "--no-rebase")
    ctx_in(alice, "memory", "add", "alice's fact")
    ctx_in(alice, "sync")
    ctx_in(bob, "gc")
    code, _, err = ctx_run(bob, "sync")
    assert code == 0 and "as you" not in err, err
    assert "as you" not in ctx_in(bob, "status")
