"""A commit that force-adds machine-local store files (`git add -f .contextfs/local/…`,
`index.db`): every teammate's ctx refuses the store with one clear line naming them (never a
crash, never acting on them), `ctx doctor` says the same, and once they are gone all works."""

from __future__ import annotations

import json

from tests.sync.conftest import Team, ctx_in, git
from tests.wrap.conftest import run_ctx


def test_tracked_machine_local_files_are_refused_until_removed(team: Team) -> None:
    alice, bob = team.clone("alice"), team.clone("bob")
    ctx_in(alice, "memory", "add", "a real memory")
    active = alice / ".contextfs" / "local" / "active" / "s-aaaaaaaaaaaa.jsonl"
    active.parent.mkdir(parents=True)
    header = {"type": "session", "id": "s-aaaaaaaaaaaa", "owner_pid": 999999, "author": "Bob"}
    active.write_text(json.dumps(header) + "\n")  # would be "recovered" as bob's session
    index = alice / ".contextfs" / "index.db"
    index.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    git(alice, "add", "-A", ".contextfs")
    git(alice, "add", "-f", str(active), str(index))
    git(alice, "commit", "-qm", "tidy up")
    git(alice, "push", "-q", "origin", "HEAD:main")

    git(bob, "pull", "-q", "--no-rebase")
    for args in (("status",), ("memory", "list"), ("sessions", "list"), ("search", "real")):
        r = run_ctx(bob, *args)
        assert r.code not in (0, 70) and r.out == "", (args, r)
        [line] = r.err.splitlines()
        assert line.startswith("ctx: error: git tracks machine-local ctx files (")
        assert ".contextfs/index.db" in line and ".contextfs/local/active/" in line
    r = run_ctx(bob, "status", "--json")
    assert json.loads(r.err)["error"] == "store_planted"
    doctor = run_ctx(bob, "doctor")
    assert "git tracks machine-local ctx files" in doctor.out + doctor.err
    assert not (bob / ".contextfs" / "sessions" / "s-aaaaaaaaaaaa").exists()  # not recovered

    git(bob, "rm", "-r", "-q", "--cached", "--", ".contextfs/local", ".contextfs/index.db")
    git(bob, "commit", "-qm", "remove machine-local files")
    (bob / ".contextfs" / "index.db").unlink()
    r = run_ctx(bob, "memory", "list")  # the journal left on disk: still not bob's capture
    assert r.code == 0 and "a real memory" in r.out, r
    assert "recovered" not in r.err
    assert not (bob / ".contextfs" / "sessions" / "s-aaaaaaaaaaaa").exists()
    assert (bob / active.relative_to(alice)).exists()  # left as it is, for bob to look at
