"""The `ctx why` answer cache (ctx/codelinks/answer_cache.py, ctx/cli/fast_why.py): a repeated
question is answered from it with the same bytes, and anything the answer depends on changing
(a commit, an edit, a memory, a session, a forget, a queued change, a branch) answers afresh.

To see which path answered, the cached answers are "poisoned": their result is rewritten (the
key kept), so the fast path prints POISONED while the key still matches and nothing once it
no longer does."""

from __future__ import annotations

import io
import json
import subprocess
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from ctx.cli.fast_why import run as fast_run
from ctx.codelinks.answer_cache import lookup
from ctx.store.project import Project
from tests.codelinks.test_why import _session
from tests.sync.conftest import ctx_in, git, make_team
from tests.wrap.conftest import run_ctx


def fast(repo: Path, *args: str) -> str | None:
    """What the fast path (no typer) prints for `ctx -C REPO why ARGS`, from the cache or
    computed; None when it leaves the question to the full command."""
    out = io.StringIO()
    with redirect_stdout(out):
        code = fast_run(["-C", str(repo), "why", *args])
    if code is None:
        assert out.getvalue() == ""
        return None
    assert code == 0
    return out.getvalue()


def answers(repo: Path) -> list[Path]:
    return sorted((repo / ".contextfs" / "local" / "cache" / "why").glob("*.json"))


def poison(repo: Path) -> None:
    """Every cached answer keeps its key and gets a result no real run could give."""
    files = answers(repo)
    assert files
    for f in files:
        data = json.loads(f.read_text())
        data["result"]["path"] = "POISONED"
        f.write_text(json.dumps(data))


def setup(tmp: Path) -> tuple[Path, str]:
    repo = make_team(tmp).clone("ada")
    sid = _session(repo, tmp, "app.py", "print('hi')\n", "writer")
    (repo / "app.py").write_text("print('hi')\nprint('bye')\n")
    git(repo, "add", "app.py")
    git(repo, "commit", "-qm", f"app\n\nCtx-Session: {sid}")
    return repo, sid


def test_a_repeated_question_prints_the_same_bytes_from_the_cache(tmp_path: Path) -> None:
    repo, sid = setup(tmp_path)
    ctx_in(repo, "memory", "add", "-t", "decision", "app.py prints hi")
    questions = [("app.py",), ("app.py", "--json"), ("app.py:2",), ("app.py:1-2", "--json")]
    assert all(lookup(repo, q[0]) is None for q in questions)  # never asked: not cached
    full = {q: ctx_in(repo, "why", *q) for q in questions}
    assert sid in full[("app.py",)] and "app.py prints hi" in full[("app.py",)]
    assert len(answers(repo)) == 3  # text and --json share one answer
    for q in questions:
        assert fast(repo, *q) == full[q]
    # the whole command as a user runs it (python -m ctx: ctx/launch.py), from the cache
    r = run_ctx(repo, "why", "app.py")
    assert r.code == 0 and r.out == full[("app.py",)] and r.err == ""
    poison(repo)  # (so it is the cache that answered)
    assert run_ctx(repo, "why", "app.py").out.startswith("POISONED")
    # from a subdirectory, the same question is the same answer
    (repo / "sub").mkdir()
    assert fast(repo / "sub", "../app.py:2") == fast(repo, "app.py:2")


def test_each_change_the_answer_depends_on_answers_afresh(tmp_path: Path) -> None:
    repo, _sid = setup(tmp_path)

    def asked_again() -> None:
        ctx_in(repo, "why", "app.py", "--json")
        poison(repo)
        out = fast(repo, "app.py", "--json")
        assert out is not None and out.startswith('{"path": "POISONED"')  # from the cache

    def fresh() -> dict[str, Any]:
        assert lookup(repo, "app.py") is None  # the key changed: not served
        out = fast(repo, "app.py", "--json")  # answered without typer, and saved
        assert out == ctx_in(repo, "why", "app.py", "--json")  # as the full command says
        assert lookup(repo, "app.py") == json.loads(out)
        data: dict[str, Any] = json.loads(out)
        return data

    asked_again()  # a new memory
    mid = ctx_in(repo, "memory", "add", "-t", "decision", "app.py says bye too").strip()
    assert [m["id"] for m in fresh()["memories"]] == [mid]

    asked_again()  # a forget
    ctx_in(repo, "forget", mid, "--yes")
    assert fresh()["memories"] == []

    asked_again()  # a private memory (the machine-local log)
    ctx_in(repo, "memory", "add", "--private", "app.py is private knowledge")
    assert len(fresh()["memories"]) == 1

    asked_again()  # an uncommitted edit of the file
    with (repo / "app.py").open("a") as fh:
        fh.write("print('new')\n")
    assert fresh()["uncommitted_lines"] == [3]

    asked_again()  # a commit of another file (HEAD moves on)
    (repo / "other.py").write_text("x = 1\n")
    git(repo, "add", "other.py")
    git(repo, "commit", "-qm", "other")
    fresh()

    asked_again()  # a new session that edited the file
    other = _session(repo, tmp_path, "app.py", "print('new')\n", "second")
    assert other in {s["id"] for s in fresh()["sessions"]}

    asked_again()  # a change queued in the pending journal only (git busy: not in the log)
    (repo / ".git" / "MERGE_HEAD").write_text(git(repo, "rev-parse", "HEAD").stdout)
    ctx_in(repo, "memory", "add", "queued note about app.py")
    assert "queued note about app.py" in {m["content"] for m in fresh()["memories"]}
    (repo / ".git" / "MERGE_HEAD").unlink()

    asked_again()  # a transcript removed by hand from a session's folder
    for part in (repo / ".contextfs" / "sessions" / other).iterdir():
        part.unlink()
    assert other not in {s["id"] for s in fresh()["sessions"]}

    asked_again()  # git's config, and a mailmap (blame reads both)
    git(repo, "config", "blame.markUnblamableLines", "true")
    fresh()
    asked_again()
    (repo / ".mailmap").write_text("Ada Lovelace <ada@example.com>\n")
    fresh()

    asked_again()  # the same commit on a detached HEAD, then refs packed
    git(repo, "checkout", "-q", "--detach")
    fresh()
    git(repo, "checkout", "-q", "main")
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    fresh()  # (the ref name changed back: a new key, read from packed-refs)
    assert lookup(repo, "app.py") is not None


def test_a_bad_cache_file_is_a_miss_never_an_error(tmp_path: Path) -> None:
    repo, _sid = setup(tmp_path)
    good = ctx_in(repo, "why", "app.py:1")
    (file,) = answers(repo)
    saved = json.loads(file.read_text())
    bad = [
        b"",
        b"\x00\xff not json",
        b'{"v": 1, "key": "' + saved["key"].encode() + b'"',  # torn
        json.dumps({**saved, "v": 99}).encode(),
        json.dumps({**saved, "result": {**saved["result"], "commits": "x"}}).encode(),
        json.dumps({**saved, "result": {**saved["result"], "start": True}}).encode(),
        json.dumps({**saved, "result": {**saved["result"], "extra": 1}}).encode(),
        json.dumps({**saved, "result": [1, 2]}).encode(),
        json.dumps({**saved, "key": "0" * 64}).encode(),
        json.dumps([saved]).encode(),
    ]
    for data in bad:
        file.write_bytes(data)
        assert lookup(repo, "app.py:1") is None, data
        assert ctx_in(repo, "why", "app.py:1") == good  # the full command answers, and saves
        assert lookup(repo, "app.py:1") is not None and fast(repo, "app.py:1") == good
    # a link where the answer would be is not followed, even to a good answer
    elsewhere = tmp_path / "planted.json"
    elsewhere.write_text(json.dumps(saved))
    file.unlink()
    file.symlink_to(elsewhere)
    assert lookup(repo, "app.py:1") is None
    assert fast(repo, "app.py:1") == good  # computed, and saved in place of the link
    assert not file.is_symlink() and lookup(repo, "app.py:1") is not None
    # a folder where the answer would be: the full command still answers
    file.unlink()
    file.mkdir()
    assert lookup(repo, "app.py:1") is None
    assert fast(repo, "app.py:1") == good
    assert ctx_in(repo, "why", "app.py:1") == good


def test_only_plain_questions_take_the_fast_path(tmp_path: Path) -> None:
    repo, _sid = setup(tmp_path)
    for args in (
        ["-C", str(repo), "why", "app.py", "--help"],
        ["-C", str(repo), "why", "app.py", "--no-pager"],  # a root option after the command
        ["-C", str(repo), "--color", "bogus", "why", "app.py"],
        ["-C", str(repo), "why", "app.py", "app.py"],
        ["-C", str(repo), "why", "--", "app.py"],
        ["-C", str(repo / "missing"), "why", "app.py"],
        ["-C", str(repo), "why"],
        ["-C", str(repo), "log", "why"],
    ):
        assert fast_run(args) is None, args
    assert fast_run(["-C", str(repo), "-q", "--no-pager", "why", "app.py"]) == 0
    # errors are the full command's to report, as every command does
    for bad in ("app.py:99", "nope.py", "app.py:0", "/etc/passwd"):
        assert fast(repo, bad) is None, bad
        assert run_ctx(repo, "why", bad).code == (1 if bad == "nope.py" else 2), bad


def test_an_interrupted_capture_is_recovered_not_answered_around(tmp_path: Path) -> None:
    repo, _sid = setup(tmp_path)
    ctx_in(repo, "why", "app.py")
    assert lookup(repo, "app.py") is not None
    child = subprocess.Popen(["true"])
    child.wait()  # a process that is gone
    Project.open(repo).start_session("claude", "killed", owner_pid=child.pid, make_current=False)
    assert lookup(repo, "app.py") is None
    assert fast(repo, "app.py") is None  # left to the full command, which recovers and warns
    r = run_ctx(repo, "why", "app.py")
    assert r.code == 0 and "recovered interrupted session" in r.err
    assert lookup(repo, "app.py") is not None


def test_a_linked_worktree_has_answers_of_its_own(tmp_path: Path) -> None:
    repo, _sid = setup(tmp_path)
    git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"), "HEAD~1")
    side = tmp_path / "side"
    (side / "app.py").write_text("print('side')\n")
    git(side, "add", "app.py")
    git(side, "commit", "-qm", "side app")
    main_answer = ctx_in(repo, "why", "app.py")
    side_answer = ctx_in(side, "why", "app.py")
    assert "side app" in side_answer and "side app" not in main_answer
    assert fast(repo, "app.py") == main_answer
    assert fast(side, "app.py") == side_answer
    assert not answers(side) and len(answers(repo)) == 2  # one store: the main worktree's


def test_git_environment_is_part_of_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _sid = setup(tmp_path)
    ctx_in(repo, "why", "app.py")
    assert lookup(repo, "app.py") is not None
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'blame.date=raw'")
    assert lookup(repo, "app.py") is None
    monkeypatch.delenv("GIT_CONFIG_PARAMETERS")
    assert lookup(repo, "app.py") is not None
