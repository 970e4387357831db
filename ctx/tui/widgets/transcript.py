"""The scrolling transcript: only a window of turns is mounted at a time.

Rendering a turn (Markdown, highlighted code) costs milliseconds, so a session of thousands of
turns mounts a batch around the turn being read and grows the window as the reader scrolls or
jumps; a far jump replaces the window instead of mounting everything in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ctx.core.models import Turn
from ctx.tui.widgets.turn import TurnWidget

BATCH = 30


class MoreMarker(Static):
    """`▲ 120 earlier turns` / `▼ 80 more turns`: a click loads them."""

    def __init__(self, direction: str, count: int) -> None:
        self.direction = direction
        super().__init__(self.label(count), classes=f"more -{direction}", id=f"more-{direction}")

    def label(self, count: int) -> Text:
        arrow, what = ("▲", "earlier") if self.direction == "up" else ("▼", "more")
        return Text(f"{arrow} {count} {what} turns (scroll or click to load)", style="italic")

    async def on_click(self) -> None:
        view = self.parent
        if isinstance(view, TranscriptView):
            if self.direction == "up":
                await view.extend_up(view.lo - BATCH)
            else:
                await view.extend_down(view.hi + BATCH - 1)


class TranscriptView(VerticalScroll, can_focus=True):
    """Holds the focus while reading; the selected turn carries the `-selected` class."""

    # the container's own Home/End would only scroll; these select the first/last turn
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home,g", "screen.first", "First turn", show=False),
        Binding("end,G", "screen.last", "Last turn", show=False),
    ]

    @dataclass
    class Selected(Message):
        n: int

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.turns: list[Turn] = []
        self.lo = 0
        self.hi = 0
        self.raw = False
        self.verbatim = False  # a terminal session: plain text whatever `raw` says
        self.tools_open = False
        self.matches: set[int] = set()
        self.selected: int | None = None
        self._busy = False

    def _make(self, turn: Turn) -> TurnWidget:
        w = TurnWidget(
            turn,
            raw=self.raw or self.verbatim,
            expanded=self.tools_open,
            match=turn.n in self.matches,
        )
        if turn.n == self.selected:
            w.add_class("-selected")
        return w

    def select(self, n: int, *, scroll: bool = True) -> None:
        """Mark turn `n` (already mounted) as the selected one."""
        old = self.widget(self.selected) if self.selected is not None else None
        if old is not None:
            old.remove_class("-selected")
        self.selected = n
        w = self.widget(n)
        if w is not None:
            w.add_class("-selected")
            if scroll:
                self.call_after_refresh(self.scroll_to_widget, w, top=True, animate=False)
        self.post_message(self.Selected(n))

    def on_turn_widget_clicked(self, message: TurnWidget.Clicked) -> None:
        message.stop()
        self.select(message.n, scroll=False)
        self.focus()

    def set_matches(self, matches: set[int]) -> None:
        self.matches = matches
        for w in self.mounted():
            w.set_class(w.n in matches, "-match")

    async def replace_turns(self, turns: list[Turn]) -> None:
        """New data for the same session (it grew, or was re-imported): keep the place."""
        keep = self.current()
        self.turns = turns
        lo = min(self.lo, max(0, len(turns) - 1))
        hi = min(len(turns), max(self.hi, lo + BATCH))
        await self._window(lo, hi)
        if keep is not None:
            await self.goto(keep)

    # ---- the window -----------------------------------------------------------------------
    async def show(self, turns: list[Turn], *, raw: bool = False, verbatim: bool = False) -> None:
        self.turns = turns
        self.raw = raw
        self.verbatim = verbatim
        await self._window(0, min(BATCH, len(turns)))

    async def _window(self, lo: int, hi: int) -> None:
        await self.remove_children()
        widgets: list[Static | TurnWidget] = []
        if lo > 0:
            widgets.append(MoreMarker("up", lo))
        widgets += [self._make(t) for t in self.turns[lo:hi]]
        if hi < len(self.turns):
            widgets.append(MoreMarker("down", len(self.turns) - hi))
        if not self.turns:
            widgets.append(Static("This session has no turns.", classes="empty"))
        self.lo, self.hi = lo, hi
        await self.mount_all(widgets)

    def _update_markers(self) -> None:
        for direction, count in (("up", self.lo), ("down", len(self.turns) - self.hi)):
            try:
                marker = self.query_one(f"#more-{direction}", MoreMarker)
            except Exception:
                marker = None
            if marker is not None:
                if count <= 0:
                    marker.remove()
                else:
                    marker.update(marker.label(count))

    async def extend_down(self, upto: int) -> None:
        new_hi = min(len(self.turns), max(upto + 1, self.hi + BATCH))
        if new_hi <= self.hi:
            return
        widgets = [self._make(t) for t in self.turns[self.hi : new_hi]]
        markers = self.query("#more-down")
        if markers:
            await self.mount_all(widgets, before=markers.first())
        else:
            await self.mount_all(widgets)
        self.hi = new_hi
        self._update_markers()

    async def extend_up(self, downto: int) -> None:
        new_lo = max(0, min(downto, self.lo - BATCH))
        if new_lo >= self.lo:
            return
        anchor = self.widget(self.lo)
        widgets = [self._make(t) for t in self.turns[new_lo : self.lo]]
        await self.mount_all(widgets, before=anchor)
        self.lo = new_lo
        self._update_markers()
        if anchor is not None:
            self.call_after_refresh(self.scroll_to_widget, anchor, top=True, animate=False)

    def widget(self, n: int) -> TurnWidget | None:
        try:
            return self.query_one(f"#turn-{n}", TurnWidget)
        except Exception:
            return None

    def mounted(self) -> list[TurnWidget]:
        return list(self.query(TurnWidget))

    # ---- moving around --------------------------------------------------------------------
    async def goto(self, n: int) -> TurnWidget | None:
        if not self.turns:
            return None
        n = max(0, min(n, len(self.turns) - 1))
        if n < self.lo:
            if self.lo - n <= 2 * BATCH:
                await self.extend_up(n)
            else:
                await self._window(max(0, n - 5), min(len(self.turns), n + BATCH))
        elif n >= self.hi:
            if n - self.hi <= 2 * BATCH:
                await self.extend_down(n)
            else:
                await self._window(max(0, n - 5), min(len(self.turns), n + BATCH))
        self.select(n)
        return self.widget(n)

    def current(self) -> int | None:
        """The selected turn, else the first turn in view."""
        if self.selected is not None and 0 <= self.selected < len(self.turns):
            return self.selected
        top = self.scroll_y
        for w in self.mounted():
            if w.virtual_region.bottom > top:
                return w.n
        return None

    async def rerender(self, raw: bool) -> None:
        """Switch between rendered Markdown and raw text, staying on the same turn."""
        keep = self.current()
        self.raw = raw
        await self._window(self.lo, self.hi)
        if keep is not None:
            await self.goto(keep)

    # ---- growing while scrolling ------------------------------------------------------------
    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._busy or not self.turns:
            return
        if self.hi < len(self.turns) and new_value >= self.max_scroll_y - 2:
            self._grow(self.hi + BATCH - 1, down=True)
        elif self.lo > 0 and new_value <= 0 and old_value > 0:
            self._grow(self.lo - BATCH, down=False)

    def _grow(self, target: int, *, down: bool) -> None:
        async def run() -> None:
            self._busy = True
            try:
                if down:
                    await self.extend_down(target)
                else:
                    await self.extend_up(target)
            finally:
                self._busy = False

        self.run_worker(run(), group="grow", exclusive=True)
