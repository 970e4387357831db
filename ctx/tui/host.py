"""What screens need from the app, as a Protocol below both: screens depend on this, never on
`ctx.tui.app` (which imports every screen), so the app and its screens form no import cycle."""

from __future__ import annotations

from typing import Protocol

from ctx.tui.data import Store


class Host(Protocol):
    """The app as its screens see it (CtxApp implements it)."""

    store: Store | None
    generation: int  # bumped whenever the store changed; screens reload when behind
    transcript_raw: bool  # the transcript view's raw/rendered choice, for the app's life

    def bump(self) -> None:
        """This process changed the store: other screens reload when shown again."""
