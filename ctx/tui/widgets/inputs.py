"""Text inputs that say how to leave: inside an input `q` types a q, so the footer shows
ctrl+q (quit from anywhere) instead of the q that only works outside it."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input


class CtxInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority, like the app's own ctrl+q, so that the footer shows this one
        Binding(
            "ctrl+q",
            "app.quit",
            "Quit",
            key_display="^q",
            priority=True,
            tooltip="Leave ctx browse",
        ),
    ]


class FindInput(CtxInput):
    """The transcript's find box: Enter or F3 goes to the next match, Shift+F3 to the
    previous one, Esc closes the box (then n / N go on from the transcript)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f3", "screen.next_match", "Next match", tooltip="Go to the next match"),
        Binding("shift+f3", "screen.prev_match", "Prev match", tooltip="Go to the previous match"),
        Binding("escape", "screen.back", "Close", tooltip="Close find; n / N go on"),
    ]
