"""A real outer terminal for the proxy: a pty whose slave is the proxy's controlling tty."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.outer_pty import PtyTerminal, closed_after

REPO = Path(__file__).resolve().parents[2]
CHILDREN = Path(__file__).resolve().parent / "children"


def child(name: str, *args: str) -> list[str]:
    """argv of one of the helper programs in children/."""
    return [sys.executable, str(CHILDREN / f"{name}.py"), *args]


def proxy_argv(
    command: list[str], journal: Path | None = None, record_input: bool = False
) -> list[str]:
    """argv of the proxy in its own process, as `ctx wrap` runs it."""
    argv = [sys.executable, "-m", "ctx.capture.pty_proxy"]
    if journal is not None:
        argv += ["--journal", str(journal)]
    if record_input:
        argv.append("--record-input")
    return [*argv, "--", *command]


def proxy_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), TERM="xterm")


class OuterTerminal(PtyTerminal):
    """Runs argv (the proxy, from the repository) with a new pty as its terminal."""

    READ_TIMEOUT = 15.0
    WAIT_TIMEOUT = 15.0

    def __init__(self, argv: list[str], cols: int = 80, rows: int = 24) -> None:
        super().__init__(argv, cwd=REPO, env=proxy_env(), cols=cols, rows=rows)


@pytest.fixture
def outer() -> Iterator[type[OuterTerminal]]:
    yield from closed_after(OuterTerminal)
