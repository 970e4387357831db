"""Ctrl-Z and `fg` under `ctx wrap`, in a real terminal (tmux) with an interactive bash.

A program wrapped by ctx must suspend exactly as it does without ctx: after Ctrl-Z the shell
prompt returns and both ctx and the program are stopped (state T); `fg` resumes both and
the program reads input again.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.test_tmux import Tmux
from tests.wrap.conftest import session_json

pytestmark = pytest.mark.slow


def _stat(pid: int) -> tuple[str, int, str]:
    """(state, parent pid, command name) from /proc."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    state, ppid = raw.rsplit(")", 1)[1].split()[:2]
    return state, int(ppid), name


def _descendants(root: int) -> dict[int, tuple[str, str]]:
    """pid -> (state, name) of every process below ``root``."""
    procs: dict[int, tuple[str, int, str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                procs[int(entry)] = _stat(int(entry))
            except (OSError, ValueError):
                continue
    found: dict[int, tuple[str, str]] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (state, ppid, name) in procs.items():
            if ppid == parent and pid not in found:
                found[pid] = (state, name)
                frontier.append(pid)
    return found


@pytest.fixture
def shell(store: Path) -> Iterator[Tmux]:
    t = Tmux(f"ctx-test-{uuid.uuid4().hex[:8]}", "jobs")
    env = {**os.environ, "TERM": "xterm-256color", "PS1": "SHELL$ "}
    for var in ("COLUMNS", "LINES", "TMUX"):
        env.pop(var, None)
    subprocess.run(
        [
            *(*t.base, "-f", "/dev/null", "new-session", "-d", "-s", t.session),
            *("-x", "100", "-y", "30", "-c", str(store)),
            "env 'PS1=SHELL$ ' bash --norc --noprofile -i",
        ],
        env=env,
        check=True,
    )
    try:
        t.wait_for("SHELL$")
        yield t
    finally:
        t.run("kill-server", check=False)


def _states_after(bash: int, want: str, names: tuple[str, ...]) -> dict[str, str]:
    deadline = time.monotonic() + 15
    while True:
        procs = _descendants(bash)
        states = {name: state for state, name in procs.values() if name in names}
        if len(states) == len(names) and all(s == want for s in states.values()):
            return states
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {names} in state {want}: {procs}")
        time.sleep(0.1)


def _prompt_back(shell: Tmux) -> None:
    deadline = time.monotonic() + 15
    while not shell.screen().rstrip().endswith("SHELL$"):
        assert time.monotonic() < deadline, f"no shell prompt:\n{shell.screen()}"
        time.sleep(0.1)


@pytest.mark.parametrize("program", ["python3", "cat"])
def test_ctrl_z_suspends_ctx_and_the_program_and_fg_resumes(
    shell: Tmux, store: Path, program: str
) -> None:
    bash = int(shell.run("display", "-p", "-t", shell.session, "#{pane_pid}").strip())
    ctx = shlex.join([sys.executable, "-m", "ctx", "wrap", program])
    shell.keys(ctx, "Enter")
    if program == "python3":
        shell.wait_for(">>>")
    else:
        shell.keys("before", "Enter")
        shell.wait_for("before\nbefore")
    shell.keys("C-z")
    shell.wait_for("Stopped")
    _prompt_back(shell)
    ctx_name = Path(sys.executable).name[:15]
    names = (ctx_name, program)
    _states_after(bash, "T", names)  # ctx and the program are both stopped
    shell.keys("fg", "Enter")
    _states_after(bash, "S", names)
    if program == "python3":
        shell.keys("print(6*7)", "Enter")
        shell.wait_for("42")
        shell.keys("exit()", "Enter")
    else:
        shell.keys("after", "Enter")
        shell.wait_for("after\nafter")
        shell.keys("C-d")
    shell.wait_for("ctx: session s-")
    _prompt_back(shell)
    texts = "\n".join(t["text"] for t in session_json(store)["turns"])
    assert ("42" if program == "python3" else "after") in texts
