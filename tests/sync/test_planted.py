"""A commit that force-adds machine-local store files (`git add -f .contextfs/local/…`,
`index.db`): every teammate's ctx refuses the store with one clear line naming them (never a
crash, never acting on them), `ctx doctor` says the same, and once they are gone all works."""

from __future__ import annotations

import json
import subprocess

import pytest

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
    left = bob / active.relative_to(alice)
    r = run_ctx(bob, "memory", "list")  # untracked, one left on disk: still refused
    assert r.code not in (0, 70) and r.out == "", r
    [line] = r.err.splitlines()
    assert line.startswith("ctx: error: machine-local ctx files a commit added are still in")
    assert ".contextfs/local/active/s-aaaaaaaaaaaa.jsonl" in line and "ctx-planted" in line
    assert left.exists()  # left as it is, for bob to look at
    left.unlink()
    r = run_ctx(bob, "memory", "list")
    assert r.code == 0 and "a real memory" in r.out, r
    assert not (bob / ".git" / "ctx-planted").exists()  # all gone: nothing remembered

    # a checkout that untracked them before ctx ever saw them (nothing remembered): the journal
    # left on disk lacks the clone's key, so it is still never recovered as bob's capture
    left.parent.mkdir(parents=True, exist_ok=True)
    left.write_text(json.dumps(header) + "\n")
    r = run_ctx(bob, "memory", "list")
    assert r.code == 0 and "a real memory" in r.out, r
    assert "recovered" not in r.err
    assert not (bob / ".contextfs" / "sessions" / "s-aaaaaaaaaaaa").exists()
    assert left.exists()


@pytest.mark.parametrize("left_at", ["index.db", "local/index.db"])
def test_a_search_index_left_on_disk_after_untracking_is_rebuilt_not_searched(
    team: Team, left_at: str
) -> None:
    """`index.db` forced in by a commit, untracked, and left on disk: its rows carry the real
    memory's id and fingerprint (so a refresh would keep them) but an attacker's words. The
    index carries its clone's key, so this one is rebuilt from the store, never searched:
    in `local/`, or where an older ctx kept it (whence it is moved on first use)."""
    import dataclasses

    from ctx.search.freshness import memory_docs
    from ctx.search.index import SearchIndex
    from ctx.store.project import Project

    alice, bob = team.clone("alice"), team.clone("bob")
    ctx_in(alice, "memory", "add", "-t", "decision", "tokens are signed with RS256")
    git(alice, "add", "-A", ".contextfs")
    git(alice, "commit", "-qm", "a decision")
    git(alice, "push", "-q", "origin", "HEAD:main")
    git(bob, "pull", "-q", "--no-rebase")
    ctx_in(alice, "search", "RS256", "--mode", "keyword")  # alice's index, built
    [real] = memory_docs(Project.open(alice))
    forged = dataclasses.replace(real, text="tokens are signed with HS256 and a shared secret")
    idx = SearchIndex(alice / ".contextfs" / "local" / "index.db", None, embedding_cache=None)
    idx.upsert([forged])  # (upsert skips a known fingerprint: drop the real row first)
    idx.conn.execute("delete from docs where doc_id = ?", (real.doc_id,))
    idx.upsert([forged])
    idx.conn.execute("pragma wal_checkpoint(TRUNCATE)")  # all of it in the one file committed
    idx.close()
    planted = (alice / ".contextfs" / "local" / "index.db").read_bytes()
    (bob / ".contextfs" / "local").mkdir(exist_ok=True)
    (bob / ".contextfs" / left_at).write_bytes(planted)  # what the pull, then untracking, left

    r = run_ctx(bob, "search", "shared secret", "--mode", "keyword", "--json")
    assert r.code == 0, r
    assert json.loads(r.out)["hits"] == []
    r = run_ctx(bob, "search", "RS256", "--mode", "keyword", "--json")
    [hit] = json.loads(r.out)["hits"]
    assert "RS256" in json.dumps(hit) and "HS256" not in json.dumps(hit)
    assert not (bob / ".contextfs" / "index.db").exists()  # nothing left at the store's top
    # alice's own index is hers: searched as it is (the forged row is what she wrote there)
    r = run_ctx(alice, "search", "shared secret", "--mode", "keyword", "--json")
    assert len(json.loads(r.out)["hits"]) == 1


def test_a_current_session_left_on_disk_is_not_this_clones(team: Team) -> None:
    """`local/current-session` and the open journal it names, forced in by a commit and left
    on disk once untracked: `ctx append` does not write the user's words into that session
    (which its forger shaped, to be completed and committed as theirs)."""
    bob = team.clone("bob")
    sid = "s-aaaaaaaaaaaa"
    local = bob / ".contextfs" / "local"
    journal = local / "active" / f"{sid}.jsonl"
    journal.parent.mkdir(parents=True)
    header = {"type": "session", "id": sid, "tool": "chat", "author": "Mallory"}
    journal.write_text(json.dumps(header) + "\n")
    (local / "current-session").write_text(sid + "\n")
    r = run_ctx(bob, "append", "--role", "user", "my private words")
    assert r.code not in (0, 70) and "no session is being captured" in r.err, r
    assert "my private words" not in journal.read_text()
    own = ctx_in(bob, "capture", "--tool", "chat").strip()  # this clone's own current session
    ctx_in(bob, "append", "--role", "user", "my own words")
    ctx_in(bob, "complete")
    shown = ctx_in(bob, "sessions", "show", own)
    assert "my own words" in shown
    assert "my private words" not in journal.read_text()


def test_a_pulled_gitignore_that_stops_ignoring_local_files_leaks_nothing(team: Team) -> None:
    """A commit rewrites `.contextfs/.gitignore` so that `local/` and `index.db` are no longer
    ignored. The victim's private memory, journals and search index still never reach a
    commit: `local/.gitignore` (written by ctx in every clone) ignores everything in `local/`,
    git's own `info/exclude` lists the index, `ctx sync` never stages machine-local paths, and
    the pre-commit hook refuses a commit that adds them."""
    alice, bob = team.clone("alice"), team.clone("bob")
    ignore = alice / ".contextfs" / ".gitignore"
    ignore.write_text("*.lock\n*.tmp\n")  # no more local/ nor index.db
    git(alice, "add", str(ignore))
    git(alice, "commit", "-qm", "simplify ignores")
    git(alice, "push", "-q", "origin", "HEAD:main")

    git(bob, "pull", "-q", "--no-rebase")
    secret = "bob's private note: the staging password rotates on Fridays"
    ctx_in(bob, "memory", "add", "--private", secret)
    ctx_in(bob, "memory", "add", "a shared fact")
    ctx_in(bob, "search", "staging", "--mode", "keyword")  # builds bob's index.db
    assert (bob / ".contextfs" / "local" / ".gitignore").is_file()
    assert (bob / ".contextfs" / "local" / "index.db").exists()
    ctx_in(bob, "sync")
    tracked = git(bob, "ls-files", ".contextfs").stdout.split()
    assert not [p for p in tracked if p.startswith(".contextfs/local") or "index.db" in p]
    git(alice, "pull", "-q", "--no-rebase")
    assert "a shared fact" in ctx_in(alice, "memory", "list")
    for f in (alice / ".contextfs").rglob("*"):
        if f.is_file() and "local" not in f.relative_to(alice / ".contextfs").parts:
            assert b"staging password" not in f.read_bytes(), f

    git(bob, "add", ".contextfs")  # what the README says to run: nothing machine-local
    staged = git(bob, "diff", "--cached", "--name-only").stdout.split()
    assert not [p for p in staged if p.startswith(".contextfs/local") or "index.db" in p]
    ctx_in(bob, "hooks", "install")
    git(bob, "add", "-f", ".contextfs/local/index.db")  # forced: the pre-commit hook refuses it
    r = subprocess.run(
        ["git", "commit", "-qm", "ctx"], cwd=bob, capture_output=True, text=True, check=False
    )
    assert r.returncode != 0 and "adds machine-local ctx files" in r.stderr, r
    assert ".contextfs/local/index.db" in r.stderr
    committed = git(bob, "ls-tree", "-r", "--name-only", "HEAD", ".contextfs").stdout
    assert "index.db" not in committed  # refused: staged only, until bob unstages it


def test_a_gitignore_that_negates_local_lines_is_named_and_mended(team: Team) -> None:
    """A commit that keeps the lines but un-ignores the index (`!index.db`) beats git's own
    `info/exclude`: `ctx verify` names it in review, `ctx doctor` warns, `ctx init` mends it."""
    alice, bob = team.clone("alice"), team.clone("bob")
    ignore = alice / ".contextfs" / ".gitignore"
    ignore.write_text(ignore.read_text() + "!index.db\n# the team's own line\n")
    git(alice, "add", str(ignore))
    git(alice, "commit", "-qm", "share the index")
    r = run_ctx(alice, "verify", "origin/main..HEAD")
    assert r.code != 0 and "un-ignores !index.db" in r.out + r.err, r
    git(alice, "push", "-q", "origin", "HEAD:main")

    git(bob, "pull", "-q", "--no-rebase")
    doctor = run_ctx(bob, "doctor")
    assert "store-ignores" in doctor.out and "!index.db" in doctor.out, doctor
    r = run_ctx(bob, "init", "--json")
    assert r.code == 0 and json.loads(r.out)["mended"] == [".contextfs/.gitignore"], r
    mended = (bob / ".contextfs" / ".gitignore").read_text()
    assert "!index.db" not in mended and "# the team's own line" in mended
    assert "index.db" in mended.splitlines() and "local/" in mended.splitlines()
    assert "store-ignores" in run_ctx(bob, "doctor").out  # (ok now)
    assert "!index.db" not in run_ctx(bob, "doctor").out


def test_a_gitignore_that_negates_everything_still_leaves_the_index_out_of_a_plain_add(
    team: Team,
) -> None:
    """The gap the lines above could not close: a pulled `.gitignore` that un-ignores the index
    and `local/` (`!index.db`, `!local/`) beats `.git/info/exclude`, and a clone with no ctx
    hooks that never runs `ctx doctor` commits with a plain `git add -A`. The index lives in
    `local/`, whose own `.gitignore` wins over every line above it: nothing private is staged."""
    alice, bob = team.clone("alice"), team.clone("bob")
    ignore = alice / ".contextfs" / ".gitignore"
    ignore.write_text(ignore.read_text() + "!index.db\n!index.db-*\n!local/\n!local/*\n")
    git(alice, "add", str(ignore))
    git(alice, "commit", "-qm", "share more")
    git(alice, "push", "-q", "origin", "HEAD:main")

    git(bob, "pull", "-q", "--no-rebase")
    ctx_in(bob, "memory", "add", "--private", "bob's private note about the staging password")
    ctx_in(bob, "search", "staging", "--mode", "keyword")  # builds bob's index
    assert list((bob / ".contextfs").rglob("index.db"))
    git(bob, "add", "-A")
    staged = git(bob, "diff", "--cached", "--name-only").stdout.split()
    assert not [p for p in staged if p.startswith(".contextfs/local") or "index.db" in p], staged


def test_an_index_an_older_ctx_left_at_the_top_is_moved_into_local_and_kept(
    team: Team,
) -> None:
    """Upgrading: the index (and its WAL) at `.contextfs/index.db` moves into `local/` on the
    first command that opens it; being this clone's own, it is kept, not rebuilt."""
    bob = team.clone("bob")
    ctx_in(bob, "memory", "add", "tokens are signed with RS256")
    ctx_in(bob, "search", "RS256", "--mode", "keyword")
    local, top = bob / ".contextfs" / "local", bob / ".contextfs"
    for suffix in ("", "-wal", "-shm"):  # where an older ctx had them
        if (local / f"index.db{suffix}").exists():
            (local / f"index.db{suffix}").rename(top / f"index.db{suffix}")
    inode = (top / "index.db").stat().st_ino
    r = run_ctx(bob, "search", "RS256", "--mode", "keyword", "--json")
    assert r.code == 0 and len(json.loads(r.out)["hits"]) == 1, r
    assert "rebuilt" not in r.err, r
    assert (local / "index.db").stat().st_ino == inode  # the same file, moved
    assert not list(top.glob("index.db*"))
