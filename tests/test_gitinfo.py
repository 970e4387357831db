"""The author recorded with sessions and memories is the one git would record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ctx.core.gitinfo import context


def _git_author(repo: Path) -> str:
    ident = subprocess.run(
        ["git", "var", "GIT_AUTHOR_IDENT"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    return ident.rsplit(">", 1)[0] + ">"  # drop the timestamp


def test_author_follows_git_precedence(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert context(repo).author == "Test User <test@example.com>" == _git_author(repo)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Env Person")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "env@example.com")
    # The environment wins over user.name / user.email, exactly as for `git commit`.
    assert context(repo).author == "Env Person <env@example.com>" == _git_author(repo)
    monkeypatch.delenv("GIT_AUTHOR_EMAIL")
    assert context(repo).author == "Env Person <test@example.com>" == _git_author(repo)


# ---- the context read from git's files equals pygit2's ----------------------------------------


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def _contexts(start: Path) -> dict[str, object]:
    """context(), pygit2's answer and whether git's files answered, in a fresh process:
    libgit2 reads HOME once per process, so in this one it would see an earlier test's HOME."""
    probe = (
        "import json, sys, dataclasses\nfrom pathlib import Path\n"
        "from ctx.core.gitinfo import context, from_files, from_pygit2\n"
        "def d(c):\n"
        "    return {k: str(v) if isinstance(v, Path) else v\n"
        "            for k, v in dataclasses.asdict(c).items()}\n"
        "p = Path(sys.argv[1])\n"
        "print(json.dumps({'context': d(context(p)), 'pygit2': d(from_pygit2(p)),\n"
        "                  'plain': from_files(p) is not None}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(start.resolve())],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _author(start: Path) -> object:
    return _contexts(start)["context"]["author"]  # type: ignore[index]


def _same(start: Path, *, plain: bool = True) -> None:
    """context() answers as pygit2 does; ``plain``: without pygit2 (from git's files)."""
    got = _contexts(start)
    assert got["plain"] == plain
    assert got["context"] == got["pygit2"]


def test_plain_checkouts_are_read_from_gits_files(repo: Path, tmp_path: Path) -> None:
    sub = repo / "a" / "b"
    sub.mkdir(parents=True)
    _same(repo)
    _same(sub)  # from a subdirectory
    _git(repo, "checkout", "-q", "-b", "feature/x")
    _same(sub)  # a branch with a slash
    _git(repo, "pack-refs", "--all")  # the branch only in packed-refs
    assert not (repo / ".git" / "refs" / "heads" / "feature").exists()
    _same(repo)
    _git(repo, "checkout", "-q", "--detach")
    _same(repo)  # detached HEAD: no branch
    assert context(repo).branch is None and context(repo).head == _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "-q", "main")
    wt = tmp_path / "wt"
    _git(repo, "worktree", "add", "-q", "-b", "wt-branch", str(wt))
    _same(wt)  # a linked worktree: the main worktree is the root
    assert context(wt).root == repo.resolve() and context(wt).worktree == wt.resolve()
    unborn = tmp_path / "unborn"
    _git(tmp_path, "init", "-q", "-b", "trunk", str(unborn))
    _same(unborn)  # no commit yet: the branch, no HEAD
    assert context(unborn).branch == "trunk" and context(unborn).head is None
    separate = tmp_path / "separate"
    _git(tmp_path, "init", "-q", "--separate-git-dir", str(tmp_path / "sep.git"), str(separate))
    # .git is a file naming the git directory: the root is where git says it is (pygit2,
    # opened on the git directory alone, takes the git directory's parent for the worktree)
    got = _contexts(separate)
    assert got["plain"]
    assert got["context"]["root"] == str(
        Path(_git(separate, "rev-parse", "--show-toplevel")).resolve()
    )  # type: ignore[index]


def test_a_dot_git_that_is_a_symlink_keeps_the_store_in_the_checkout(tmp_path: Path) -> None:
    """`.git` a symbolic link to a git directory elsewhere: the root is the folder holding the
    link, as git says (libgit2 alone takes the git directory's parent), so the store is made
    inside the checkout."""
    checkout = tmp_path / "work" / "checkout"
    checkout.mkdir(parents=True)
    _git(checkout, "init", "-q")
    (checkout / ".git").rename(tmp_path / "gitdir")
    (checkout / ".git").symlink_to(tmp_path / "gitdir")
    got = _contexts(checkout)
    want = str(Path(_git(checkout, "rev-parse", "--show-toplevel")).resolve())
    assert want == str(checkout.resolve())
    assert got["context"]["root"] == got["context"]["worktree"] == want  # type: ignore[index]
    sub = checkout / "src"
    sub.mkdir()
    assert _contexts(sub)["context"]["root"] == want  # type: ignore[index]


def test_the_author_from_every_config_file(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Path.home()
    (home / ".gitconfig").write_text("[user]\n\tname = Global Person ; a comment\n")
    xdg = home / ".config" / "git"
    xdg.mkdir(parents=True, exist_ok=True)
    (xdg / "config").write_text("[User]\n  Email = xdg@example.com\n  name = Xdg Person\n")
    _same(repo)  # ~/.gitconfig wins over the XDG file; keys and sections in any case
    assert _author(repo) == "Global Person <xdg@example.com>" == _git_author(repo)
    _git(repo, "config", "user.name", "Local Person")
    _same(repo)
    assert _author(repo) == "Local Person <xdg@example.com>" == _git_author(repo)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Env Person")
    _same(repo)
    assert _author(repo) == "Env Person <xdg@example.com>" == _git_author(repo)


@pytest.mark.parametrize(
    "case",
    ["include", "quoted", "continued", "git_dir_env", "core_worktree", "not_utf8", "linked_git"],
)
def test_what_git_files_do_not_say_plainly_is_left_to_pygit2(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    home = Path.home()
    if case == "include":
        (tmp_path / "extra").write_text("[user]\n\tname = Included\n\temail = in@example.com\n")
        (home / ".gitconfig").write_text(f"[include]\n\tpath = {tmp_path / 'extra'}\n")
    elif case == "quoted":
        _git(repo, "config", "user.name", 'Quoted "Q" Person')
    elif case == "continued":
        (home / ".gitconfig").write_text("[alias]\n\tlong = log \\\n\t--oneline\n")
    elif case == "git_dir_env":
        monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    elif case == "core_worktree":
        _git(repo, "config", "core.worktree", str(repo))
    elif case == "not_utf8":
        (home / ".gitconfig").write_bytes(b"[user]\n\tname = Caf\xe9\n")
    elif case == "linked_git":
        moved = tmp_path / "moved.git"
        (repo / ".git").rename(moved)
        (repo / ".git").symlink_to(moved)
    _same(repo, plain=False)
    if case == "include":
        assert _author(repo) == "Included <in@example.com>" == _git_author(repo)


def test_no_repository_is_the_same_error(tmp_path: Path) -> None:
    from ctx.core.errors import CtxError
    from ctx.core.gitinfo import from_files

    outside = tmp_path / "nowhere"
    outside.mkdir()
    assert from_files(outside) is None
    with pytest.raises(CtxError) as err:
        context(outside)
    assert err.value.code == "no_repo"


def test_linked_worktrees_are_read_from_gits_files(repo: Path, tmp_path: Path) -> None:
    """The worktrees an agent's sessions may come from (`ctx status`, the import of every
    agent's history) are listed from git's files as pygit2 lists them, without importing it."""
    for name in ("one", "two", "gone"):
        _git(repo, "worktree", "add", "-q", "-b", f"b-{name}", str(tmp_path / name))
    import shutil

    shutil.rmtree(tmp_path / "gone")  # pruned by hand: listed by git, no folder
    probe = (
        "import json, sys\nfrom pathlib import Path\n"
        "from ctx.core.gitinfo import worktrees\n"
        "root = Path(sys.argv[1])\n"
        "plain = [str(p) for p in worktrees(root, root)]\n"
        "loaded = 'pygit2' in sys.modules\n"
        "import pygit2\n"
        "repo = pygit2.Repository(str(root))\n"
        "paths = [repo.lookup_worktree(n).path for n in repo.list_worktrees()]\n"
        "libgit2 = [str(Path(p).resolve()) for p in paths]\n"
        "print(json.dumps([plain, loaded, libgit2]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(repo.resolve())], capture_output=True, text=True
    )
    plain, loaded, libgit2 = json.loads(out.stdout.splitlines()[-1])
    assert not loaded, out.stderr
    expected = [str(repo.resolve())] + [p for p in libgit2 if Path(p).is_dir()]
    assert sorted(plain) == sorted(expected)
    assert sorted(plain[1:]) == sorted(str((tmp_path / n).resolve()) for n in ("one", "two"))
