"""SVG snapshots of every screen (pytest-textual-snapshot): fixed data, fixed times, fixed
terminal size, no clock on screen. Update after an intended change with
`pytest tests/tui/test_snapshots.py --snapshot-update`, and look at the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ctx.tui.app import make_app
from tests.tui import scenes


@pytest.mark.parametrize("size", list(scenes.SIZES))
@pytest.mark.parametrize("name", list(scenes.SCENES))
def test_screen(name: str, size: str, snap_compare: Any, isolated_home: Path) -> None:
    """Every screen at 80x24 (the smallest terminal we promise) and at 120x40."""
    # under HOME, so that the welcome screen's path reads ~/acme-api on every machine
    root = scenes.build(
        isolated_home,
        empty=name == "welcome",
        config=scenes.STABLE_SEARCH,
        terminal=name == "terminal",
    )
    app = make_app(root, refresh_interval=0, theme="dark")
    assert snap_compare(app, terminal_size=scenes.SIZES[size], run_before=scenes.SCENES[name])


def test_light_theme(snap_compare: Any, isolated_home: Path) -> None:
    """The light theme reads as well as the dark one (theme colours only, no fixed ones)."""
    root = scenes.build(isolated_home, config=scenes.STABLE_SEARCH)
    app = make_app(root, refresh_interval=0, theme="light")
    assert snap_compare(app, terminal_size=scenes.SIZE, run_before=scenes.transcript)
