"""Fault injection: no memory a writer reported is ever lost, whatever git does meanwhile.

Real clones of a bare remote; real writer processes (an MCP-like loop calling the core API and
a `ctx memory add` loop); real `ctx sync`, plain `git pull`, SIGKILL, truncated logs, a
`git revert`. Every case checks the EXACT set of memory ids afterwards (every id a writer
printed, nothing else) in both clones, and that no rebase or merge is left in progress.

The default run is one trial per case. `CTX_FAULT_TRIALS=50` runs more, with other seeds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ctx.store.pending import git_busy
from ctx.store.project import Project
from tests.sync.conftest import Team, ctx_run, git, make_team

TRIALS = int(os.environ.get("CTX_FAULT_TRIALS", "1"))
ROUNDS = 1 if TRIALS == 1 else 2  # syncs while the writers run, per trial
pytestmark = pytest.mark.slow

API_WRITER = """
import os, sys, time, ctx
p = ctx.open_project('.')
stop, tag, i = sys.argv[1], sys.argv[2], 0
while not os.path.exists(stop):
    m = p.add_memory(f'{tag} {i}')
    print(m.id, flush=True)
    i += 1
    time.sleep(0.02)
"""

CLI_WRITER = """
i=0
while [ ! -e "$1" ]; do
    "$2" -m ctx memory add "cli $i" || echo "FAILED $?"
    i=$((i+1))
done
"""


@pytest.fixture(autouse=True)
def _fault_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTX_LOCK_WAIT", "0.2")  # writers queue soon while a sync runs
    monkeypatch.setenv("CTX_HOOKS_FOREGROUND", "1")  # hooks finish before git returns


def env(**extra: str) -> dict[str, str]:
    out = os.environ.copy()
    out.update({"CTX_LOCK_WAIT": "0.2", "CTX_HOOKS_FOREGROUND": "1", **extra})
    return out


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def ctx(cwd: Path, *args: str, ok: bool = True) -> Ran:
    """`ctx -C CWD ARGS` in this process (the writers and the killed runs are real children)."""
    code, out, err = ctx_run(cwd, *args)
    if ok:
        assert code == 0, f"ctx {' '.join(args)}: {out}{err}"
    return Ran(code, out, err)


def ids(path: Path, private: bool = False) -> set[str]:
    return {
        m.id
        for m in Project.open(path).list_memories()
        if private or not m.private  # private ones stay in their clone
    }


class Writers:
    """An MCP-like loop (one long-lived process, the core API) and a CLI loop, in one clone."""

    def __init__(self, clone: Path) -> None:
        self.stop = clone.parent / f"stop-{clone.name}"
        self.stop.unlink(missing_ok=True)
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-c", API_WRITER, str(self.stop), "api"],
                cwd=clone,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env(),
            ),
            subprocess.Popen(
                ["sh", "-c", CLI_WRITER, "sh", str(self.stop), sys.executable],
                cwd=clone,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env(),
            ),
        ]

    def finish(self) -> set[str]:
        self.stop.write_text("")
        printed: set[str] = set()
        for p in self.procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            assert "FAILED" not in out, out + err
            printed |= {line.split()[0] for line in out.splitlines() if line.strip()}
        assert printed, "the writers wrote nothing"
        return printed


def settled(team: Team, clones: list[Path]) -> None:
    """Recovery as a user does it: leave a stuck git operation the way ctx advises, then
    `ctx sync` every clone twice (the last one pulls what the others pushed)."""
    for c in clones:
        st = json.loads(ctx(c, "status", "--json").stdout)
        stuck = st["sync"].get("in_progress")
        assert stuck == _busy(c), (stuck, _busy(c))
        if stuck:
            git(c, stuck, "--abort")
    for _ in range(2):
        for c in clones:
            ctx(c, "sync")


def _busy(c: Path) -> str | None:
    b = git_busy(c)
    return None if b is None else ("rebase" if b.startswith("rebase") else "merge")


def exact(expected: set[str], clones: list[Path]) -> None:
    for c in clones:
        assert git_busy(c) is None, f"{c.name} is left mid-{git_busy(c)}"
        assert git(c, "symbolic-ref", "-q", "HEAD").stdout.split()[0] == "refs/heads/main"
        got = ids(c)
        assert got == expected, (
            f"{c.name}: lost {sorted(expected - got)[:5]} ({len(expected - got)}), "
            f"extra {sorted(got - expected)[:5]}"
        )


def pair(base: Path) -> tuple[Team, Path, Path, set[str]]:
    team = make_team(base)
    alice, bob = team.clone("alice"), team.clone("bob")
    seed = {ctx(alice, "memory", "add", f"seed {i}").stdout.split()[0] for i in range(2)}
    ctx(alice, "sync")
    ctx(bob, "sync")
    return team, alice, bob, seed


# ---- writers during each way of syncing ---------------------------------------------------------

GIT_REFUSALS: list[str] = []  # plain git pulls that stopped (see _sync_round), for the report
MODES = ["ctx-merge", "ctx-rebase", "git-pull-rebase-autostash", "git-pull-merge-hooks"]


def _sync_round(mode: str, alice: Path) -> None:
    if mode == "ctx-merge":
        ctx(alice, "sync", "--merge")
    elif mode == "ctx-rebase":
        ctx(alice, "sync", "--rebase")
    else:
        # a user committing by hand, then pulling with plain git while writers append
        git(alice, "add", "-A", ".contextfs")
        git(alice, "commit", "-q", "-m", "context", check=False)
        if mode == "git-pull-rebase-autostash":
            proc = git(alice, "pull", "-q", "--rebase", "--autostash", check=False)
        else:
            proc = git(alice, "pull", "-q", "--no-rebase", "--no-edit", check=False)
        if proc.returncode != 0:
            # Plain git does not know ctx's lock: a writer appending in the instant between
            # ctx's check and its write() makes git stop ("could not detach HEAD", the
            # autostash kept in `git stash list`). git then left nothing in progress, and the
            # journal still holds the change; recovery below must find every memory.
            assert "could not detach HEAD" in proc.stderr, proc.stdout + proc.stderr
            assert git_busy(alice) is None
            GIT_REFUSALS.append(mode)
            return
        git(alice, "push", "-q", "origin", "HEAD:main")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("trial", range(TRIALS))  # trials outermost: every case gets its turn
def test_writers_during_sync_lose_nothing(tmp_path: Path, mode: str, trial: int) -> None:
    rng = random.Random(f"{mode}-{trial}")
    team, alice, bob, expected = pair(tmp_path)
    if mode.startswith("git-"):
        ctx(alice, "hooks", "install")
    writers = Writers(alice)
    try:
        for r in range(ROUNDS):
            expected.add(ctx(bob, "memory", "add", f"bob {r}").stdout.split()[0])
            ctx(bob, "sync")  # so alice's pull has something to merge or rebase onto
            time.sleep(rng.uniform(0.2, 0.8))  # let the writers get ahead
            _sync_round(mode, alice)
    finally:
        expected |= writers.finish()
    settled(team, [alice, bob])
    exact(expected, [alice, bob])


# ---- SIGKILL in the middle of a sync or a gc -----------------------------------------------------


@pytest.mark.parametrize("what", ["sync-rebase", "sync-merge", "gc"])
@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_during_sync_or_gc_loses_nothing(tmp_path: Path, what: str, trial: int) -> None:
    rng = random.Random(f"{what}-{trial}")
    team, alice, bob, expected = pair(tmp_path)
    for i in range(3):
        expected.add(ctx(alice, "memory", "add", f"alice {i}").stdout.split()[0])
    git(alice, "add", "-A", ".contextfs")
    git(alice, "commit", "-q", "-m", "alice's context")  # so a rebase has work to replay
    expected.add(ctx(alice, "memory", "add", "uncommitted").stdout.split()[0])
    expected.add(ctx(bob, "memory", "add", "bob").stdout.split()[0])
    ctx(bob, "sync")
    args = {
        "sync-rebase": ["sync", "--rebase"],
        "sync-merge": ["sync", "--merge"],
        "gc": ["gc"],
    }[what]
    proc = subprocess.Popen([sys.executable, "-m", "ctx", *args], cwd=alice, env=env())
    time.sleep(rng.uniform(0.05, 1.2))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    settled(team, [alice, bob])
    exact(expected, [alice, bob])


# ---- damaged logs ----------------------------------------------------------------------


def _damage(log: Path, how: str) -> None:
    data = log.read_bytes()
    if how == "truncate":
        log.write_bytes(data[: len(data) // 3])
    elif how == "empty":
        log.write_bytes(b"")
    else:
        log.unlink()


HOWS = ["truncate", "empty", "delete"]


@pytest.mark.parametrize("kind", ["other", "own", "private"])
@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_damaged_log_loses_nothing(tmp_path: Path, kind: str, trial: int) -> None:
    how = HOWS[(trial + len(kind)) % len(HOWS)]  # each way of damage, in turn over the trials
    team, alice, bob, expected = pair(tmp_path)
    mine = {ctx(alice, "memory", "add", f"alice {i}").stdout.split()[0] for i in range(4)}
    theirs = {ctx(bob, "memory", "add", f"bob {i}").stdout.split()[0] for i in range(4)}
    private = {
        ctx(alice, "memory", "add", "--private", f"secret {i}").stdout.split()[0] for i in range(3)
    }
    expected |= mine | theirs
    ctx(bob, "sync")
    ctx(alice, "sync")
    pa, pb = Project.open(alice), Project.open(bob)
    log = {
        "other": pa.layout.state_dir / pb.own_log.name,
        "own": pa.own_log,
        "private": pa.layout.private_log,
    }[kind]
    _damage(log, how)
    shown = ctx(alice, "memory", "list", "--json")
    got = {m["id"] for m in json.loads(shown.stdout)}
    assert got == expected | private
    assert "restored" in shown.stderr and "ctx forget" in shown.stderr
    settled(team, [alice, bob])
    exact(expected, [alice, bob])
    assert ids(alice, private=True) == expected | private


def test_a_queued_change_seen_by_a_long_lived_process_is_not_restored_as_lost(
    tmp_path: Path,
) -> None:
    """A memory written while git was mid-merge waits in the journal. A long-lived process
    (the TUI, the MCP server) loads the store and refreshes it again: the journalled change is
    in its state, in no log. The next command must not take it for data a log lost (no
    "restored" notice, nothing written to the log): it is merely still queued."""
    _team, alice, _bob, seed = pair(tmp_path)
    (alice / ".git" / "MERGE_HEAD").write_text("0" * 40 + "\n")
    queued = ctx(alice, "memory", "add", "written mid-merge").stdout.split()[0]
    (alice / ".git" / "MERGE_HEAD").unlink()
    long_lived = Project.open(alice)
    assert queued in set(long_lived.shared.memory_ids())
    long_lived.refresh()  # a later look, as the TUI or the MCP server takes
    logs = {p.name: p.read_bytes() for p in long_lived.layout.state_dir.glob("*.log")}
    shown = ctx(alice, "memory", "list", "--json")
    assert {m["id"] for m in json.loads(shown.stdout)} == seed | {queued}
    assert "restored" not in shown.stderr and "missing" not in shown.stderr, shown.stderr
    assert {p.name: p.read_bytes() for p in long_lived.layout.state_dir.glob("*.log")} == logs
    ctx(alice, "memory", "add", "after the merge")  # the queue settles into the log
    assert queued in ids(alice)


# ---- a revert of a context commit ------------------------------------------------------


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_reverted_context_commit_deletes_no_memory(tmp_path: Path, trial: int) -> None:
    team, alice, bob, expected = pair(tmp_path)
    ctx(alice, "hooks", "install")
    added = {ctx(alice, "memory", "add", f"reverted {i}").stdout.split()[0] for i in range(3)}
    expected |= added
    ctx(alice, "sync")
    ctx(bob, "sync")
    assert ids(bob) == expected
    git(alice, "revert", "--no-edit", "HEAD")  # plain git: no ctx in between
    git(alice, "push", "-q", "origin", "HEAD:main")
    revert = git(alice, "rev-parse", "--short=7", "HEAD").stdout.split()[0]
    pulled = ctx(bob, "sync")
    assert "restored" in pulled.stderr and revert in pulled.stderr, pulled.stderr
    assert ids(bob) == expected
    settled(team, [alice, bob])
    exact(expected, [alice, bob])


def test_pre_commit_refuses_to_commit_another_clones_log_with_lines_removed(
    tmp_path: Path,
) -> None:
    _team, alice, bob, _expected = pair(tmp_path)
    ctx(alice, "hooks", "install")
    ctx(bob, "memory", "add", "bob's")
    ctx(bob, "sync")
    ctx(alice, "sync")
    other = Project.open(alice).layout.state_dir / Project.open(bob).own_log.name
    _damage(other, "truncate")
    git(alice, "add", "-A", ".contextfs")
    proc = git(alice, "commit", "-q", "-m", "oops", check=False)
    assert proc.returncode != 0
    assert "removed from another clone's log" in proc.stderr and "ctx forget" in proc.stderr
    git(alice, "rm", "-q", "--cached", str(other.relative_to(alice)))
    proc = git(alice, "commit", "-q", "-m", "oops", check=False)
    assert proc.returncode != 0 and "deleted" in proc.stderr


def test_writes_during_a_stopped_rebase_wait_and_status_and_doctor_say_how_to_get_out(
    tmp_path: Path,
) -> None:
    _team, alice, bob, expected = pair(tmp_path)
    for who, text in ((alice, "alice's line\n"), (bob, "bob's line\n")):
        (who / "notes.txt").write_text(text)
        git(who, "add", "notes.txt")
        git(who, "commit", "-q", "-m", "notes")
    git(bob, "push", "-q", "origin", "HEAD:main")
    proc = git(alice, "pull", "-q", "--rebase", check=False)
    assert proc.returncode != 0 and git_busy(alice) == "rebase-merge"  # a conflict in notes.txt
    log = Project.open(alice).own_log
    before = log.read_bytes() if log.exists() else b""
    during = ctx(alice, "memory", "add", "written mid-rebase").stdout.split()[0]
    expected.add(during)
    assert (log.read_bytes() if log.exists() else b"") == before  # not into git's files
    assert during in ids(alice)  # yet visible at once
    st = json.loads(ctx(alice, "status", "--json").stdout)
    assert st["sync"]["in_progress"] == "rebase"
    text = ctx(alice, "status").stdout
    assert "git rebase --abort" in text and "no upstream" not in text
    doc = json.loads(ctx(alice, "doctor", "--json", ok=False).stdout)
    checks = doc["checks"] if isinstance(doc, dict) else doc
    stuck = [c for c in checks if c["name"] == "git state"]
    assert stuck and stuck[0]["status"] == "warn" and "git rebase --abort" in stuck[0]["fix"]
    refused = ctx(alice, "sync", ok=False)
    assert refused.returncode != 0 and "git rebase --abort" in refused.stderr
    git(alice, "rebase", "--abort")
    (alice / "notes.txt").write_text("bob's line\n")  # the user resolves by taking bob's
    git(alice, "reset", "-q", "--hard", "origin/main")
    ctx(alice, "sync")
    ctx(bob, "sync")
    exact(expected, [alice, bob])
