"""As a new user would: a bare remote, two clones, the real `ctx` command and plain git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import ctx_proc
from tests.sync.conftest import Team, cli_helpers, conflict_free, git

pytestmark = pytest.mark.slow


def ctx(cwd: Path, *args: str, input: str | None = None) -> str:
    r = ctx_proc(cwd, *args, input=input)
    assert r.code == 0, f"ctx {' '.join(args)}: {r.err}"
    return r.out


memories, sessions, capture = cli_helpers(ctx)


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
    ctx(bob, "memory", "rm", "--yes", a1)
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
