"""Smoke test in a real terminal: `python -m ctx browse` inside a detached tmux session of fixed
size, driven with send-keys and read back with capture-pane."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

TMUX = shutil.which("tmux") or "/usr/bin/tmux"


class Tmux:
    def __init__(self, socket: str, session: str) -> None:
        self.base = [TMUX, "-L", socket]
        self.session = session

    def run(self, *args: str, check: bool = True) -> str:
        out = subprocess.run([*self.base, *args], capture_output=True, text=True, check=check)
        return out.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session, check=False)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def wait_for(self, *texts: str, timeout: float = 30.0) -> str:
        """The screen once every one of `texts` is on it (parts of a screen are drawn at
        different moments: rows, then counts and panels)."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            time.sleep(0.1)
        missing = [t for t in texts if t not in screen]
        raise AssertionError(f"{missing!r} never appeared; the screen was:\n{screen}")

    def alive(self) -> bool:
        return (
            subprocess.run(
                [*self.base, "has-session", "-t", self.session], capture_output=True
            ).returncode
            == 0
        )


@contextlib.contextmanager
def browse_in_tmux(repo: Path) -> Iterator[Tmux]:
    t = Tmux(f"ctx-test-{uuid.uuid4().hex[:8]}", "browse")
    env = {**os.environ, "TERM": "xterm-256color", "TZ": "UTC", "COLORTERM": "truecolor"}
    for var in ("COLUMNS", "LINES", "TMUX", "TEXTUAL"):  # the size comes from the terminal
        env.pop(var, None)
    cmd = f"{sys.executable} -m ctx browse --refresh 0.5"
    subprocess.run(
        [
            *t.base,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            t.session,
            "-x",
            "120",
            "-y",
            "36",
            "-c",
            str(repo),
            cmd,
        ],
        env=env,
        check=True,
    )
    try:
        yield t
    finally:
        subprocess.run([*t.base, "kill-server"], capture_output=True)


@pytest.fixture
def tmux(store_repo: Path) -> Iterator[Tmux]:
    with browse_in_tmux(store_repo) as t:
        yield t


def test_browse_in_a_real_terminal(tmux: Tmux, store_repo: Path) -> None:
    tmux.wait_for(
        "Pick a JWT signing algorithm", "3 sessions", "Fix the flaky upload test", "Filter", "Quit"
    )  # the rows, the count and the footer

    tmux.keys("Enter")
    tmux.wait_for("Which algorithm should we use to sign our JWTs?")
    tmux.wait_for("claude --model sonnet")  # the metadata panel (it loads after the turns)
    tmux.keys("]")  # the next user turn
    tmux.wait_for("turn 4")
    tmux.keys("c")
    tmux.wait_for("Copied turn 4")

    # another process adds a memory; the memories screen shows it without a restart
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ctx",
            "memory",
            "add",
            "Releases are cut on Thursdays",
            "--type",
            "fact",
        ],
        cwd=store_repo,
        check=True,
        capture_output=True,
    )
    tmux.keys("Escape")
    tmux.wait_for("3 sessions")  # a lone ESC is only read as Escape after a short pause
    tmux.keys("3")
    tmux.wait_for("Releases are cut on Thursdays", "We sign JWTs with RS256", "5 memories")

    tmux.keys("q")
    deadline = time.monotonic() + 10
    while tmux.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not tmux.alive(), "ctx browse did not exit on q:\n" + tmux.screen()


def test_browse_finishes_a_capture_whose_process_died(store_repo: Path) -> None:
    from ctx.store.project import Project

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs: the capture's owner was killed
    project = Project.open(store_repo)
    s = project.start_session(
        "aider", "Killed while capturing", owner_pid=dead.pid, make_current=False
    )
    project.append_turn("what was I doing?", "user", session_id=s.id)
    with browse_in_tmux(store_repo) as tmux:
        screen = tmux.wait_for("Killed while capturing")
        assert "4 sessions" in screen
    project.refresh()
    assert project.get_session(s.id, with_turns=False).status == "recovered"
    assert not list(project.layout.active_dir.glob("*.jsonl"))
