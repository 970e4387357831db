"""Turns of generic programs, from real bash and python3 run by `ctx wrap` in a real terminal.

Every submitted line is a turn of its own, silent commands included; no prompt is inside a
turn's text; nothing is lost.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.wrap.conftest import Terminal, ctx_argv, session_json

pytestmark = pytest.mark.slow


def _session_turns(store: Path) -> list[tuple[str, str]]:
    return [(t["role"], t["text"]) for t in session_json(store)["turns"]]


def _type(term: Terminal, lines: list[str], prompt: bytes) -> None:
    """Type each line once the program's prompt is shown (as a person would)."""
    count = 1
    for line in lines:
        term.read_until(prompt, count=count)
        term.send(line.encode() + b"\r")
        count += 1


@pytest.mark.parametrize("record_input", [False, True])
def test_bash_silent_commands_are_turns(
    store: Path, terminal: type[Terminal], record_input: bool
) -> None:
    (store / "src").mkdir()
    env = dict(os.environ, TERM="xterm", PS1="bash$ ")
    opts = ["--record-input"] if record_input else []
    term = terminal(ctx_argv("wrap", *opts, "bash", "--norc", "--noprofile", "-i"), store, env)
    _type(term, ["cd src", "export FOO=1", "echo $FOO", "pwd", "exit"], b"bash$ ")
    assert term.wait() == 0
    turns = _session_turns(store)
    assert turns[:6] == [
        ("user", "cd src"),
        ("user", "export FOO=1"),
        ("user", "echo $FOO"),
        ("assistant", "1"),
        ("user", "pwd"),
        ("assistant", "./src"),  # the repository's path is stored as "." (docs/privacy.md)
    ]
    assert not any("bash$" in text for _, text in turns)


@pytest.mark.parametrize("record_input", [False, True])
def test_python_block_and_call_are_separate_turns(
    store: Path, terminal: type[Terminal], record_input: bool
) -> None:
    opts = ["--record-input"] if record_input else []
    term = terminal(ctx_argv("wrap", *opts, "python3", "-q"), store)
    seen = {b">>> ": 0, b"... ": 0}
    for prompt, line in [
        (b">>> ", "def f():"),
        (b"... ", "    return 6 * 7"),
        (b"... ", ""),
        (b">>> ", "f()"),
        (b">>> ", "exit()"),
    ]:
        seen[prompt] += 1
        term.read_until(prompt, count=seen[prompt])
        term.send(line.encode() + b"\r")
    assert term.wait() == 0
    turns = _session_turns(store)
    assert turns[:3] == [
        ("user", "def f():\n    return 6 * 7"),
        ("user", "f()"),
        ("assistant", "42"),
    ]
    assert not any(">>>" in text or "..." in text for _, text in turns)
