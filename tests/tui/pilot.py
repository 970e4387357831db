"""Pilot helpers shared by the TUI tests: wait for workers, open a screen, read the selection.

Why here: test_small_terminal.py and test_private_mark.py imported them from test_flows.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from textual.pilot import Pilot
from textual.screen import Screen

from ctx.tui.app import CtxApp, make_app
from ctx.tui.screens.memories import MemoriesScreen
from ctx.tui.screens.transcript import TranscriptScreen
from tests.tui.tui_data import AUTH_SESSION

S = TypeVar("S", bound=Screen[object])


async def settle(pilot: Pilot[int], rounds: int = 3) -> None:
    """Let workers finish and their messages land."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def app_for(path: Path) -> CtxApp:
    return make_app(path, refresh_interval=0, theme="dark")


def focused_turn(app: CtxApp) -> int:
    """The selected turn of the transcript on screen (the keys act on it)."""
    screen = app.screen
    assert isinstance(screen, TranscriptScreen), screen
    n = screen.view.selected
    assert n is not None
    assert screen.query_one(f"#turn-{n}").has_class("-selected")
    return n


async def _settled_screen(pilot: Pilot[int], kind: type[S]) -> S:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, kind), screen
    return screen


async def open_auth(pilot: Pilot[int], turn: int | None = None) -> TranscriptScreen:
    """The transcript of the JWT-auth session (at ``turn``), as a click in the table opens it."""
    from ctx.tui.messages import OpenSession

    await settle(pilot)
    pilot.app.post_message(OpenSession(AUTH_SESSION, turn))
    return await _settled_screen(pilot, TranscriptScreen)


async def open_memories(pilot: Pilot[int]) -> MemoriesScreen:
    await settle(pilot)
    await pilot.press("3")
    return await _settled_screen(pilot, MemoriesScreen)
