"""A cold `ctx why` (nothing cached) starts `git blame` first and loads the store while git
walks the history (ctx.codelinks.blame.start, blame_cache.start_early): the answer is the
same bytes as the serial path's, a blame that fails while the store loads is the same clear
error (never exit 70), and a blame the question did not use is stopped."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ctx.codelinks import blame, blame_cache
from ctx.codelinks.why import why
from ctx.store.project import Project
from tests.codelinks.test_answer_cache import answers, fast, setup
from tests.codelinks.test_why_warm import CACHE, cold_answer
from tests.sync.conftest import ctx_in, git
from tests.wrap.conftest import run_ctx


def _forget_caches(repo: Path) -> None:
    shutil.rmtree(repo / CACHE, ignore_errors=True)


def _count_early(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The blames started early (a spy on the real class: git still runs)."""
    started: list[list[str]] = []
    real = blame._Early.__init__

    def spy(self: blame._Early, root: Path, path: str, args: list[str]) -> None:
        started.append([path, *args])
        real(self, root, path, args)

    monkeypatch.setattr(blame._Early, "__init__", spy)
    return started


def test_a_cold_question_blames_while_the_store_loads_and_answers_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(blame_cache.FILL_ENV, "0")  # (no whole-file blame behind our back)
    repo, sid = setup(tmp_path)
    ctx_in(repo, "memory", "add", "-t", "decision", "app.py prints hi")
    project = Project.open(repo)
    serial = {q: why(project, q, cwd=repo).to_dict() for q in ("app.py", "app.py:2", "app.py:1-2")}
    started = _count_early(monkeypatch)
    for q in ("app.py", "app.py:2", "app.py:1-2"):
        _forget_caches(repo)
        by_fast = fast(repo, q, "--json")
        _forget_caches(repo)
        by_full = ctx_in(repo, "why", q, "--json")  # the typer command: answer() starts it
        assert by_fast == by_full
        assert json.loads(by_full) == serial[q]
    assert sid in by_full
    assert started == [  # the file as committed: its working-tree blame stands in (faster)
        ["app.py"],
        ["app.py"],
        ["app.py", "-L", "2,2"],
        ["app.py", "-L", "2,2"],
        ["app.py", "-L", "1,2"],
        ["app.py", "-L", "1,2"],
    ]
    assert blame._started == {}  # each one taken by its question
    assert answers(repo)  # and the answers kept
    # with the blame cached, nothing is started early: bringing it forward costs little
    _forget_caches(repo)
    assert fast(repo, "app.py") is not None  # (a range's blame is not the file's: cache it)
    started.clear()
    shutil.rmtree(repo / CACHE / "why")
    assert fast(repo, "app.py") is not None and fast(repo, "app.py:2") is not None
    assert started == []


def test_a_file_edited_while_git_blames_gets_the_blame_at_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The working tree's blame stands in for the blame at HEAD only when it is that: edited
    after git started, the blame at HEAD is run after all (the cache holds HEAD's)."""
    monkeypatch.setenv(blame_cache.FILL_ENV, "0")
    repo, _sid = setup(tmp_path)
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    truth = blame.parse(blame.run_porcelain(repo, "app.py", [head]))
    project = Project.open(repo)
    started = _count_early(monkeypatch)
    _forget_caches(repo)
    assert blame_cache.start_early(project, "app.py", None, None)
    assert started == [["app.py"]]  # the file as committed: the working tree's blame
    assert blame_cache.blame_file(project, "app.py") == truth
    # git saw an edited file (the same number of lines): the blame at HEAD is run after all
    _forget_caches(repo)
    (repo / "app.py").write_text("print('HI')\nprint('bye')\n")
    blame_cache._substituted.add((str(repo), "app.py", head))
    assert blame.start(repo, "app.py", [head], run=[])
    lines = blame_cache.blame_file(project, "app.py")
    assert [bl.uncommitted for bl in lines] == [True, False]
    cached = blame_cache.load(project, "app.py")
    assert cached is not None and cached[0] == head
    assert [(b.commit, b.orig_line) for b in cached[2]] == [(b.commit, b.orig_line) for b in truth]
    assert blame._started == {} and blame_cache._substituted == set()


def test_a_blame_not_used_is_stopped_and_errors_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _sid = setup(tmp_path)
    started = _count_early(monkeypatch)
    (repo / "new.py").write_text("x = 1\n")  # not in HEAD: blamed as the working tree
    git(repo, "add", "new.py")
    _forget_caches(repo)
    out = fast(repo, "new.py")
    assert out is not None and "new.py" in out
    assert len(started) == 1 and blame._started == {}  # started at HEAD, unused, stopped
    # a range past the end: git refuses while the store loads; the full command says so
    _forget_caches(repo)
    assert fast(repo, "app.py:99") is None
    assert blame._started == {}
    r = run_ctx(repo, "why", "app.py:99")
    assert r.code == 2 and "no such lines in app.py" in r.err and r.out == ""


def test_a_blame_that_fails_midway_gives_the_clear_error(tmp_path: Path) -> None:
    """git dies after writing half its output while ctx loads the store (a real child
    process: a `git` on PATH that runs the real one for everything but blame)."""
    repo, _sid = setup(tmp_path)
    real = subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip()
    shim = tmp_path / "bin"
    shim.mkdir()
    script = shim / "git"
    script.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do\n'
        '  if [ "$a" = blame ]; then\n'
        f'    {real} "$@" | head -c 100\n'
        "    sleep 0.3\n"
        "    echo 'fatal: unable to read tree 1234' >&2\n"
        "    exit 128\n"
        "  fi\n"
        "done\n"
        f'exec {real} "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
    for q in ("app.py", "app.py:2"):
        _forget_caches(repo)
        r = run_ctx(repo, "why", q, env=env)
        assert r.code == 1, r.err
        assert r.out == ""
        assert "git blame app.py: unable to read tree 1234" in r.err
        assert "Traceback" not in r.err and len(r.err.strip().splitlines()) <= 2
    assert not (repo / CACHE / "why").exists() or not answers(repo)


def test_an_edited_mailmap_gives_the_new_names(tmp_path: Path) -> None:
    """The blame cache and the answers are kept under the mailmap (the worktree's
    `.mailmap`, and the file `mailmap.file` names): an edit shows the new name at once."""
    repo, _sid = setup(tmp_path)
    name, mail = git(repo, "log", "-1", "--format=%an%n%ae", "--", "app.py").stdout.split("\n")[:2]

    def author(out: str | None) -> str:
        """The author on the commit row of the answer (`SHA  DATE  AUTHOR  SUMMARY  (lines)`)."""
        assert out is not None
        row = next(line for line in out.splitlines() if line.endswith("(line 1-2)"))
        return row.split("  ")[3]

    assert author(ctx_in(repo, "why", "app.py")) == name
    (repo / ".mailmap").write_text(f"Grace Hopper <{mail}>\n")
    assert author(fast(repo, "app.py")) == "Grace Hopper"
    assert "Grace Hopper" in ctx_in(repo, "why", "app.py:2")
    (repo / ".mailmap").write_text(f"Ada Lovelace <{mail}>\n")  # the same size and second
    assert author(fast(repo, "app.py")) == "Ada Lovelace"
    (repo / ".mailmap").unlink()
    elsewhere = tmp_path / "people.mailmap"
    elsewhere.write_text(f"Alan Turing <{mail}>\n")
    git(repo, "config", "mailmap.file", str(elsewhere))
    assert author(fast(repo, "app.py")) == "Alan Turing"
    elsewhere.write_text(f"Barbara Liskov <{mail}>\n")
    out = fast(repo, "app.py")
    assert author(out) == "Barbara Liskov"
    assert out == cold_answer(repo, "app.py")


def test_a_mailmap_blob_on_another_branch_is_followed(tmp_path: Path) -> None:
    """`mailmap.blob` names a blob by a revision (here another branch's `.mailmap`): a new
    commit on that branch, HEAD unmoved, gives the new name at the next question."""
    repo, _sid = setup(tmp_path)
    mail = git(repo, "log", "-1", "--format=%ae", "--", "app.py").stdout.strip()
    head = git(repo, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()

    def people(name: str) -> None:
        git(repo, "checkout", "-q", "people")
        (repo / ".mailmap").write_text(f"{name} <{mail}>\n")
        git(repo, "add", ".mailmap")
        git(repo, "commit", "-qm", f"mailmap: {name}")
        git(repo, "checkout", "-q", head)

    git(repo, "branch", "people")
    people("Grace Hopper")
    git(repo, "config", "mailmap.blob", "people:.mailmap")
    assert not (repo / ".mailmap").exists()
    assert "Grace Hopper" in (fast(repo, "app.py") or "")
    people("Alan Turing")
    out = fast(repo, "app.py")
    assert out is not None and "Alan Turing" in out and "Grace Hopper" not in out
    assert out == cold_answer(repo, "app.py")


def test_git_c_settings_count_only_when_they_change_the_blame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`git -c core.hooksPath=… commit` hands its settings to the hooks in the environment: the
    warmer it starts must stamp its blames as a plain `ctx why` does; `-c mailmap.file=…` not."""
    repo, _sid = setup(tmp_path)
    plain = blame_cache.git_stamp(repo)
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.hookspath'='/elsewhere'")
    assert blame_cache.git_stamp(repo) == plain
    mailmap = tmp_path / "mm"
    mailmap.write_text("Grace Hopper <ada@example.com>\n")
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", f"'mailmap.file'='{mailmap}'")
    assert blame_cache.git_stamp(repo) != plain
    monkeypatch.delenv("GIT_CONFIG_PARAMETERS")
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "mailmap.file")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", str(mailmap))
    assert blame_cache.git_stamp(repo) != plain


def test_a_slow_blame_says_what_it_waits_for_on_a_terminal_only(tmp_path: Path) -> None:
    """A cold `ctx why` waits for `git blame`; on a terminal it says so on stderr after half a
    second and erases the line when git is done (nothing escaped, no escape codes), so the
    answer below it is what it is elsewhere. Piped, nothing is said."""
    from tests.helpers import git_shim
    from tests.outer_pty import PtyTerminal

    repo, _sid = setup(tmp_path)
    env = git_shim(tmp_path / "shim", '[ "$1" = blame ] && sleep 2.5')
    argv = [sys.executable, "-m", "ctx", "--no-pager", "why", "app.py:2"]
    term = PtyTerminal(argv, cwd=repo, env=env, cols=100)
    try:
        assert term.wait() == 0
        shown = term.output()
    finally:
        term.close()
    note = b"ctx: blaming app.py (its whole history, this once)\xe2\x80\xa6"
    assert note in shown
    erase = b"\r" + b" " * len(note.decode()) + b"\r"
    after = shown.split(note, 1)[1]
    assert after.startswith(erase), shown  # erased before the answer is written
    assert b"\x1b" not in shown.split(b"app.py:2")[0]
    piped = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout.replace("\n", "\r\n").encode() == after[len(erase) :]
