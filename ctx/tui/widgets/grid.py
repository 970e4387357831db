"""A read-only table that renders only the lines on screen (Textual's Line API).

DataTable measures every cell it is given (about 0.4 ms a row here), so 10,000 sessions cost
seconds whenever they are (re)loaded, filtered or sorted. This grid keeps the rows as plain
tuples and draws the visible ones, so any number of rows opens, filters and jumps to the end
at once; the columns' widths come from a cheap pass over the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


@dataclass
class Column:
    key: str
    label: str
    flex: bool = False  # takes the width the other columns leave
    justify: str = "left"
    max_width: int = 40
    colors: dict[str, str] | None = None  # cell text -> colour (e.g. memory types)


class Grid(ScrollView, can_focus=True):
    """Rows of strings under a fixed header line, with a row cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "grid--header",
        "grid--cursor",
        "grid--odd",
    }
    DEFAULT_CSS = """
    Grid {
        background: $surface;
    }
    Grid > .grid--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    Grid > .grid--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
    }
    Grid:focus > .grid--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    Grid > .grid--odd {
        background: $surface-lighten-1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open"),
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True, init=False)

    @dataclass
    class Highlighted(Message):
        grid: Grid
        row: int

        @property
        def control(self) -> Grid:
            return self.grid

    @dataclass
    class Selected(Message):
        grid: Grid
        row: int

        @property
        def control(self) -> Grid:
            return self.grid

    @dataclass
    class HeaderClicked(Message):
        grid: Grid
        key: str

        @property
        def control(self) -> Grid:
            return self.grid

    def __init__(self, columns: Sequence[Column], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.columns = list(columns)
        self.rows: Sequence[tuple[str, ...]] = []
        self.widths = [cell_len(c.label) for c in self.columns]
        self.labels = [c.label for c in self.columns]

    # ---- data ---------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.rows)

    def set_rows(self, rows: Sequence[tuple[str, ...]], cursor: int = 0) -> None:
        self.rows = rows
        for i, col in enumerate(self.columns):
            if col.flex:
                continue
            widest = max((cell_len(r[i]) for r in rows), default=0)
            self.widths[i] = min(max(widest, cell_len(self.labels[i])), col.max_width)
        self.virtual_size = Size(self.size.width, len(rows) + 1)
        self.cursor_row = max(0, min(cursor, len(rows) - 1))
        self.refresh()

    def set_label(self, key: str, label: str) -> None:
        for i, col in enumerate(self.columns):
            if col.key == key:
                self.labels[i] = label
        self.refresh(self.size.region)

    def _layout(self) -> list[int]:
        """Widths with the flex column filling what is left (one space between columns).

        On a narrow screen the flex column (the content, the title: what a reader needs)
        keeps at least a third of the width; the other columns give way, widest first,
        down to a few cells each, so nothing is drawn past the edge."""
        widths = list(self.widths)
        flex = [i for i, c in enumerate(self.columns) if c.flex]
        gaps = len(widths) + 1
        want_flex = max(12, self.size.width // 3) * len(flex) if flex else 0
        budget = self.size.width - gaps - want_flex
        fixed_idx = [i for i, c in enumerate(self.columns) if not c.flex]
        while sum(widths[i] for i in fixed_idx) > budget:
            widest = max(fixed_idx, key=lambda i: widths[i], default=None)
            if widest is None or widths[widest] <= 5:
                break
            widths[widest] -= 1
        fixed = sum(widths[i] for i in fixed_idx)
        spare = max(10, self.size.width - fixed - gaps)
        for i in flex:
            widths[i] = spare // max(1, len(flex))
        return widths

    # ---- drawing ------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = -1
        if y == 0:
            cells = self.labels
            style = self.get_component_rich_style("grid--header")
        else:
            index = round(self.scroll_offset.y) + y - 1
            if not 0 <= index < len(self.rows):
                return Strip.blank(width, self.rich_style)
            cells = list(self.rows[index])
            if index == self.cursor_row:
                style = self.get_component_rich_style("grid--cursor")
            elif index % 2:
                style = self.rich_style + self.get_component_rich_style("grid--odd")
            else:
                style = self.rich_style
        segments = [Segment(" ", style)]
        for text, w, col in zip(cells, self._layout(), self.columns, strict=False):
            cell_style = style
            if y and col.colors and text in col.colors and index != self.cursor_row:
                cell_style = style + Style(color=col.colors[text], bold=True)
            segments.append(Segment(fit(text, w, col.justify), cell_style))
            segments.append(Segment(" ", style))
        return Strip(segments).adjust_cell_length(width, style)

    def _line_of(self, row: int) -> int:
        return row - round(self.scroll_offset.y) + 1

    # ---- the cursor ---------------------------------------------------------------------
    def watch_cursor_row(self, old: int, new: int) -> None:
        for row in (old, new):
            line = self._line_of(row)
            if 0 < line < self.size.height:
                self.refresh_line(line)
        self._scroll_cursor_into_view()
        if self.rows:
            self.post_message(self.Highlighted(self, new))

    def _scroll_cursor_into_view(self) -> None:
        visible = max(1, self.size.height - 1)
        top = round(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def move_cursor(self, row: int) -> None:
        if self.rows:
            self.cursor_row = max(0, min(row, len(self.rows) - 1))

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step)

    def action_page(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step * max(1, self.size.height - 2))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.rows) - 1)

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.Selected(self, self.cursor_row))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = 1
            for col, w in zip(self.columns, self._layout(), strict=True):
                if x <= event.x < x + w + 1:
                    self.post_message(self.HeaderClicked(self, col.key))
                    return
                x += w + 1
            return
        row = round(self.scroll_offset.y) + event.y - 1
        if 0 <= row < len(self.rows):
            if row == self.cursor_row or event.chain > 1:
                self.cursor_row = row
                self.action_select()
            else:
                self.cursor_row = row


def fit(text: str, width: int, justify: str = "left") -> str:
    """Exactly `width` cells: cut with an ellipsis, padded (wide characters counted)."""
    n = cell_len(text)
    if n > width:
        t = Text(text)
        t.truncate(width, overflow="ellipsis")
        text = t.plain
        n = cell_len(text)
    pad = " " * max(0, width - n)
    return pad + text if justify == "right" else text + pad
