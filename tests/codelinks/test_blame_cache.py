"""The blame cache of `ctx why`: always the answer plain `git blame -C -w` gives, on real git
histories that move on, get edited, renamed, merged and rewritten; a cache file is hostile."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ctx.codelinks import blame_cache
from ctx.codelinks.blame import BlameLine, blame
from ctx.codelinks.blame_cache import blame_file, cache_file
from ctx.core.errors import CtxError
from ctx.store.project import Project
from tests.sync.conftest import git


def _fields(lines: list[BlameLine]) -> list[tuple[Any, ...]]:
    return [
        (b.line, b.commit, b.author, b.author_mail, b.author_time, b.summary, b.orig_path, b.text)
        for b in lines
    ]


def _write(repo: Path, rel: str, lines: list[str]) -> None:
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).write_text("".join(f"{x}\n" for x in lines))


def _commit(repo: Path, msg: str, when: int) -> None:
    git(repo, "add", "-A", ".")
    env = f"{1_767_225_600 + when * 60} +0000"
    os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = env
    try:
        git(repo, "commit", "-qm", msg)
    finally:
        del os.environ["GIT_AUTHOR_DATE"], os.environ["GIT_COMMITTER_DATE"]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    p = Project.open(repo, require_store=False)
    p.init()
    _write(repo, "src/a.py", [f"line {i}" for i in range(1, 31)])
    _commit(repo, "first", 1)
    for n in range(2, 7):
        text = (repo / "src/a.py").read_text().splitlines()
        text[n * 4] = f"changed by commit {n}"
        _write(repo, "src/a.py", text)
        _commit(repo, f"change {n}", n)
    return Project.open(repo)


def _same_as_git(project: Project, rel: str = "src/a.py") -> list[BlameLine]:
    got = blame_file(project, rel)
    assert _fields(got) == _fields(blame(project.git.worktree, rel, None, None))
    return got


class _Calls:
    """Which `git blame` runs the cache made (observed, not replaced)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.args: list[list[str]] = []
        real = blame_cache.run_porcelain

        def spy(root: Path, path: str, args: list[str]) -> str:
            self.args.append(list(args))
            return real(root, path, args)

        monkeypatch.setattr(blame_cache, "run_porcelain", spy)


def test_cold_then_warm_then_forward_after_a_commit(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _Calls(monkeypatch)
    repo = project.git.worktree
    _same_as_git(project)
    assert cache_file(project, "src/a.py").is_file()
    assert len(calls.args) == 1 and calls.args[0] == [project.git.head]  # the full walk
    _same_as_git(project)
    assert len(calls.args) == 1  # warm: git not asked
    old = project.git.head
    text = (repo / "src/a.py").read_text().splitlines()
    text[1] = "a new second line"
    text.insert(10, "an inserted line")
    _write(repo, "src/a.py", text)
    _commit(repo, "change 7", 7)
    project = Project.open(repo)
    got = _same_as_git(project)
    assert calls.args[-1] == [f"{old}..{project.git.head}"]  # only the new commit walked
    assert {b.summary for b in got} >= {"first", "change 7", "change 6"}
    saved = json.loads(cache_file(project, "src/a.py").read_bytes())
    assert saved["head"] == project.git.head


def test_uncommitted_edit_and_a_line_range(project: Project) -> None:
    repo = project.git.worktree
    (repo / "crlf.txt").write_bytes(b"one\r\ntwo\r\nno newline at the end")
    _commit(repo, "crlf", 7)
    _same_as_git(Project.open(repo), "crlf.txt")
    text = (repo / "src/a.py").read_text().splitlines()
    text[3] = "edited, not committed"
    _write(repo, "src/a.py", [*text, "appended"])
    got = _same_as_git(project)
    assert [b.line for b in got if b.uncommitted] == [4, 31]
    one = blame_file(project, "src/a.py", 8, 9)
    assert [(b.line, b.summary) for b in one] == [(8, "first"), (9, "change 2")]
    with pytest.raises(CtxError) as err:
        blame_file(project, "src/a.py", 40, 41)
    assert err.value.exit_code == 2 and "only 31 lines" in err.value.message


def test_rename_merge_and_rewritten_history_give_git_answer(project: Project) -> None:
    repo = project.git.worktree
    _same_as_git(project)  # cached at this HEAD
    git(repo, "mv", "src/a.py", "src/b.py")
    text = (repo / "src/b.py").read_text().splitlines()
    text[0] = "renamed and changed"
    _write(repo, "src/b.py", text)
    _commit(repo, "rename", 8)
    project = Project.open(repo)
    got = _same_as_git(project, "src/b.py")
    assert {b.orig_path for b in got} == {"src/a.py", "src/b.py"}
    _same_as_git(project, "src/b.py")  # cached
    # a side branch changes the file, main changes it too, then they merge
    git(repo, "checkout", "-q", "-b", "side", "HEAD~1")
    git(repo, "mv", "src/a.py", "src/b.py")
    text = (repo / "src/b.py").read_text().splitlines()
    text[25] = "from the side branch"
    _write(repo, "src/b.py", text)
    _commit(repo, "side", 9)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "-X", "ours", "--no-edit", "side")
    _same_as_git(Project.open(repo), "src/b.py")
    # history rewritten under the cache: the cached commit is no ancestor of HEAD any more
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    text = (repo / "src/b.py").read_text().splitlines()
    text[5] = "after the rewrite"
    _write(repo, "src/b.py", text)
    git(repo, "commit", "-q", "--amend", "-am", "rename, amended")
    _same_as_git(Project.open(repo), "src/b.py")


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: b"{not json",
        lambda d: json.dumps({**d, "v": 99}).encode(),
        lambda d: json.dumps({**d, "path": "src/other.py"}).encode(),
        lambda d: json.dumps({**d, "lines": d["lines"][:-3]}).encode(),  # too few lines
        lambda d: json.dumps({**d, "lines": [[999, 0, 1]] * len(d["lines"])}).encode(),
        lambda d: json.dumps({**d, "lines": [[-1, 0, 1]] * len(d["lines"])}).encode(),
        lambda d: json.dumps({**d, "commits": [["../../x", "a", "b", 1, "s"]]}).encode(),
        lambda d: json.dumps({**d, "commits": "nope"}).encode(),
        lambda d: json.dumps({**d, "head": "HEAD; rm -rf /"}).encode(),
        lambda d: json.dumps([1, 2, 3]).encode(),
    ],
)
def test_a_damaged_cache_file_is_ignored_and_rewritten(project: Project, damage: Any) -> None:
    _same_as_git(project)
    file = cache_file(project, "src/a.py")
    good = json.loads(file.read_bytes())
    file.write_bytes(damage(good))
    _same_as_git(project)
    assert json.loads(file.read_bytes()) == good


def test_cache_paths_stay_in_the_store_and_no_link_is_followed(
    project: Project, tmp_path: Path
) -> None:
    repo = project.git.worktree
    name = cache_file(project, "../../../etc/passwd").name
    assert cache_file(project, "../../../etc/passwd").parent == blame_cache.cache_dir(project)
    assert "/" not in name and ".." not in name
    # a planted link where the cache lives (a commit can carry .contextfs/local): never used
    outside = tmp_path / "outside"
    outside.mkdir()
    cache = repo / ".contextfs" / "local" / "cache" / "blame"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.symlink_to(outside, target_is_directory=True)
    _same_as_git(project)
    assert list(outside.iterdir()) == []
    # a planted link as the cache file itself: not read, replaced by a real file
    cache.unlink()
    cache.mkdir()
    decoy = tmp_path / "decoy.json"
    decoy.write_text("{}")
    cache_file(project, "src/a.py").symlink_to(decoy)
    _same_as_git(project)
    assert decoy.read_text() == "{}"
    assert not cache_file(project, "src/a.py").is_symlink()


def test_files_git_does_not_have_at_head(project: Project) -> None:
    repo = project.git.worktree
    _write(repo, "new.py", ["brand new"])
    with pytest.raises(CtxError):  # untracked: git's own refusal, as before the cache
        blame_file(project, "new.py")
    git(repo, "add", "new.py")
    (line,) = blame_file(project, "new.py")
    assert line.uncommitted and line.text == "brand new"
    assert not cache_file(project, "new.py").exists()


def test_a_line_with_nothing_cached_blames_the_range_and_fills_the_cache_later(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = project.git.worktree
    monkeypatch.setenv(blame_cache.FILL_ENV, "0")  # first without the background job
    calls = _Calls(monkeypatch)
    one = blame_file(project, "src/a.py", 8, 9)
    assert _fields(one) == _fields(blame(repo, "src/a.py", None, None))[7:9]
    assert calls.args == [] and not cache_file(project, "src/a.py").exists()  # git -L only
    with pytest.raises(CtxError) as err:
        blame_file(project, "src/a.py", 40, 41)
    assert err.value.exit_code == 2 and "no such lines" in err.value.message
    assert blame_cache.fill(project, "src/a.py")
    assert load_lines(project) == _fields(blame(repo, "src/a.py", None, None))
    # the cache there, even one commit behind: a line question builds on it
    text = (repo / "src/a.py").read_text().splitlines()
    text[0] = "a new first line"
    _write(repo, "src/a.py", text)
    _commit(repo, "change 7", 7)
    project = Project.open(repo)
    assert _fields(blame_file(project, "src/a.py", 1, 1)) == _fields(blame(repo, "src/a.py", 1, 1))
    assert calls.args[-1][0].endswith(f"..{project.git.head}")


def load_lines(project: Project) -> list[tuple[Any, ...]]:
    cached = blame_cache.load(project, "src/a.py")
    assert cached is not None
    repo = project.git.worktree
    texts = (repo / "src/a.py").read_text().splitlines()
    return _fields([blame_cache._at(b, b.line, texts[b.line - 1]) for b in cached[2]])


def test_the_background_fill_runs_detached_one_at_a_time(project: Project) -> None:
    import fcntl
    import time

    from ctx.store import confine

    file = cache_file(project, "src/a.py")
    lock = file.with_suffix(".lock")
    confine.private_dirs(lock.parent)
    fd = confine.open_lock(lock)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert not blame_cache.fill(project, "src/a.py")  # another filler holds the file
    finally:
        os.close(fd)
    blame_file(project, "src/a.py", 3, 3)  # starts the real detached job
    deadline = time.monotonic() + 60
    while not file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert load_lines(project) == _fields(blame(project.git.worktree, "src/a.py", None, None))
