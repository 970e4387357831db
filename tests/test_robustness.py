"""Bad input: clear one-line errors, distinct exit codes, and nothing else lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import git
from tests.helpers import ctx_proc, run_ctx


def test_outside_a_git_repo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    r = run_ctx(capsys, "status")
    assert r.code == 1
    assert r.err.count("\n") == 1 and "not inside a git repository" in r.err and "git init" in r.err
    j = run_ctx(capsys, "status", "--json")
    assert json.loads(j.err)["error"] == "no_repo"


def test_no_store_yet(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    for args in (("status",), ("memory", "list"), ("sessions", "list"), ("capture",)):
        r = run_ctx(capsys, *args)
        assert r.code == 1 and "ctx init" in r.err, args


def test_usage_errors_are_exit_2(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = run_ctx(capsys, "memory", "list", "--no-such-flag")
    assert r.code == 2 and r.err.startswith("ctx: error:")
    r = run_ctx(capsys, "sessions", "show")
    assert r.code == 2


def test_unreadable_config(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (store / ".contextfs" / "config.toml").write_text("[store\nformat = 1\n")
    r = run_ctx(capsys, "memory", "list")
    assert r.code == 1 and "config.toml" in r.err and "TOML" in r.err


def test_user_config_broken(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ctx.core import paths

    paths.user_config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.user_config_file().write_text("embedding = [")
    r = run_ctx(capsys, "status")
    assert r.code == 1 and str(paths.user_config_file()) in r.err


def test_newer_format_is_refused(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = store / ".contextfs" / "config.toml"
    cfg.write_text("[store]\nformat = 99\n")
    r = run_ctx(capsys, "memory", "list")
    assert r.code == 1 and "format 99" in r.err and "upgrade" in r.err
    cfg.write_text("[store]\nformat = 1\n")
    log = store / ".contextfs" / "state" / "zzzzzzzzzzzzzzzz.log"
    log.write_text("#ctx-state v7 replica=zzzz\n")
    r = run_ctx(capsys, "memory", "list")
    assert r.code == 1 and "newer ctx" in r.err


def test_corrupt_state_line_is_skipped_and_reported(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = [run_ctx(capsys, "memory", "add", f"memory number {i}").out.strip() for i in range(3)]
    log = next((store / ".contextfs" / "state").glob("*.log"))
    lines = log.read_bytes().split(b"\n")
    # mangle the middle update as a bad hand edit would
    lines[2] = lines[2][:20] + b"XXXX" + lines[2][24:]
    log.write_bytes(b"\n".join(lines))
    r = run_ctx(capsys, "memory", "list", "--json")
    assert r.code == 0
    got = {m["id"] for m in r.json()}
    # the line is reported; what this clone had already seen is kept (docs/sharing.md)
    assert got == set(ids)
    assert f"{log.relative_to(store)}:3" in r.err and "corrupt" in r.err
    # a truncated file (torn last write): the complete lines load, nothing seen is lost
    log.write_bytes(log.read_bytes()[:-15])
    r = run_ctx(capsys, "memory", "list", "--json")
    assert r.code == 0 and {m["id"] for m in r.json()} == set(ids)
    # and writing still works afterwards
    assert run_ctx(capsys, "memory", "add", "after the damage").code == 0
    assert len(run_ctx(capsys, "memory", "list", "--json").json()) == 4


def test_conflict_markers_in_a_log_do_not_take_the_store_down(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ctx(capsys, "memory", "add", "survivor")
    log = next((store / ".contextfs" / "state").glob("*.log"))
    log.write_bytes(log.read_bytes() + b"<<<<<<< HEAD\n=======\n>>>>>>> other\n")
    r = run_ctx(capsys, "memory", "list", "--json")
    assert r.code == 0 and [m["content"] for m in r.json()] == ["survivor"]
    assert "corrupt" in r.err


def test_truncated_and_corrupt_transcript(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sid = run_ctx(capsys, "capture").out.strip()
    for i in range(3):
        run_ctx(capsys, "append", f"turn {i}")
    run_ctx(capsys, "complete")
    part = store / ".contextfs" / "sessions" / sid / "000.jsonl"
    data = part.read_bytes()
    part.write_bytes(data[:-10])  # torn last line
    r = run_ctx(capsys, "sessions", "show", sid, "--json")
    assert r.code == 0
    assert [t["text"] for t in r.json()["turns"]] == ["turn 0", "turn 1"]
    assert "000.jsonl:4" in r.err
    part.write_bytes(b"\x00\xff garbage \n")
    r = run_ctx(capsys, "sessions", "list", "--json")
    assert r.code == 0 and r.json()[0]["id"] == sid


def test_killed_writer_leaves_a_loadable_store(store: Path) -> None:
    """SIGKILL a process that is adding memories as fast as it can; everything it finished loads."""
    code = (
        "import ctx, itertools\n"
        "p = ctx.open_project('.')\n"
        "for i in itertools.count():\n"
        "    p.add_memory(f'mem {i} ' + 'x' * 500)\n"
        "    print(i, flush=True)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=store, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    done = -1
    deadline = time.time() + 30
    while done < 30 and time.time() < deadline:
        done = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    r = ctx_proc(store, "memory", "list", "--json")
    assert r.code == 0, r.err
    assert len(json.loads(r.out)) >= done + 1  # every memory it reported done is there
    assert ctx_proc(store, "memory", "add", "still writable").code == 0


def test_worktree_and_subdirectory_resolve_to_one_project(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_ctx(capsys, "memory", "add", "from the main worktree")
    git(store, "add", ".contextfs")
    git(store, "commit", "-qm", "ctx")
    sub = store / "src" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert run_ctx(capsys, "status", "--json").json()["root"] == str(store)
    wt = tmp_path / "wt"
    git(store, "worktree", "add", "-q", "-b", "side", str(wt))
    monkeypatch.chdir(wt)
    st = run_ctx(capsys, "status", "--json").json()
    assert st["root"] == str(store) and st["branch"] == "side"
    mems = run_ctx(capsys, "memory", "list", "--json").json()
    assert [m["content"] for m in mems] == ["from the main worktree"]
    r = run_ctx(capsys, "memory", "add", "from the worktree", "--json")
    assert r.json()["branch"] == "side"
