"""`ctx status`'s list of uncommitted store files comes from git itself and says what libgit2
said before: new, modified and deleted files under .contextfs/, never ignored ones."""

from __future__ import annotations

from pathlib import Path

from ctx.store.project import Project
from tests.conftest import git


def test_uncommitted_store_files_as_git_and_libgit2_see_them(store: Path) -> None:
    project = Project.open(store)
    prefix = ".contextfs/"
    assert project.uncommitted() == project._uncommitted_pygit2(prefix) != []  # after init
    git(store, "add", "-A")
    git(store, "commit", "-q", "-m", "store")
    assert project.uncommitted() == []
    project.add_memory("a fact worth keeping")  # new state lines
    (store / ".contextfs" / "config.toml").write_text(
        (store / ".contextfs" / "config.toml").read_text() + "\n# edited\n"
    )
    (store / ".contextfs" / "sessions" / ".gitkeep").unlink()  # deleted
    nested = store / ".contextfs" / "sessions" / "deep" / "new dir"
    nested.mkdir(parents=True)
    (nested / "odd name.txt").write_text("x")  # untracked, deep, with spaces
    (store / "outside.txt").write_text("not the store's")
    got = project.uncommitted()
    assert got == project._uncommitted_pygit2(prefix)
    assert ".contextfs/config.toml" in got and ".contextfs/sessions/.gitkeep" in got
    assert ".contextfs/sessions/deep/new dir/odd name.txt" in got
    assert not any(p.startswith("outside") for p in got)
    assert not any("/local/" in p for p in got)  # machine-local files are ignored
    # the status takes no lock and writes nothing: git's index is untouched
    index = store / ".git" / "index"
    before = index.stat().st_mtime_ns
    project.uncommitted()
    assert index.stat().st_mtime_ns == before and not (store / ".git" / "index.lock").exists()
