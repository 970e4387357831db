"""Paths named by tool calls (hostile, often a teammate's) only ever select a tracked file."""

from __future__ import annotations

from pathlib import Path

from ctx.core.models import Turn
from ctx.tui.data import Store
from ctx.tui.filelinks import repo_paths, session_paths, turn_paths
from tests.conftest import git


def test_tool_paths_map_to_tracked_files_only(store_repo: Path) -> None:
    (store_repo / "src").mkdir()
    (store_repo / "src" / "app.py").write_text("x = 1\n")
    (store_repo / "notes.txt").write_text("untracked\n")
    git(store_repo, "add", "src/app.py")
    git(store_repo, "commit", "-qm", "app")
    store = Store.open(store_repo)
    mapped = repo_paths(
        store,
        [
            "/home/ada/proj/src/app.py",  # a teammate's machine
            str(store_repo / "src" / "app.py"),  # this clone, absolute
            "./src/app.py",
            "README.md",
            "notes.txt",  # not tracked
            "../../etc/passwd",
            "/etc/passwd",
            str(store_repo / ".." / "repo" / "src" / ".." / ".." / "elsewhere.py"),
            "-rf",
        ],
    )
    assert mapped == {
        "/home/ada/proj/src/app.py": "src/app.py",
        str(store_repo / "src" / "app.py"): "src/app.py",
        "./src/app.py": "src/app.py",
        "README.md": "README.md",
    }


def test_the_files_of_a_turn_and_of_a_session() -> None:
    def call(n: int, tool: str, path: str) -> Turn:
        return Turn(
            n,
            "tool",
            f"[{tool}] {path}",
            meta={"kind": "tool_use", "tool": tool, "input": {"file_path": path}},
        )

    turns = [
        Turn(0, "user", "fix it"),
        call(1, "Read", "/p/a.py"),
        Turn(2, "tool", "contents", meta={"kind": "tool_result", "tool": "Read"}),
        call(3, "Edit", "/p/b.py"),
        call(4, "Edit", "/p/a.py"),
    ]
    assert turn_paths(turns, 0) == []
    assert turn_paths(turns, 1) == ["/p/a.py"]
    assert turn_paths(turns, 2) == ["/p/a.py"]  # a result: the call before it
    assert session_paths(turns) == ["/p/a.py", "/p/b.py"]
