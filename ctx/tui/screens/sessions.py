"""The sessions table: sortable, filtered by typing, by tool and by branch.

All rows are plain Python objects (filtering and sorting 10,000 of them takes milliseconds) and
the grid draws only the lines on screen, so the table's cost does not grow with the store.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Footer, Input, Select, Static

from ctx.tui.data import SESSION_COLUMNS, SessionRow, filter_rows, sort_rows
from ctx.tui.messages import OpenSession, ResumeSession, SessionsLoaded
from ctx.tui.screens.base import CtxScreen, TitleBar
from ctx.tui.widgets.grid import Column, Grid
from ctx.tui.widgets.inputs import CtxInput

DESCENDING_FIRST = {"when", "turns", "duration"}
EMPTY_HELP = (
    "No sessions yet.\n\n"
    "Capture one by running your AI tool through ctx:\n"
    "    ctx wrap -- claude        (or aider, codex, any command)\n\n"
    "or import the transcripts you already have:\n"
    "    ctx import claude         (also: aider, codex, jsonl FILE)\n\n"
    "This screen refreshes by itself when sessions arrive."
)
GRID_COLUMNS = [
    Column("when", "When"),
    Column("tool", "Tool", max_width=12),
    Column("title", "Title", flex=True),
    Column("branch", "Branch", max_width=24),
    Column("author", "Author", max_width=20),
    Column("turns", "Turns", justify="right"),
    Column("duration", "Duration", justify="right"),
]


class SessionsScreen(CtxScreen):
    NAME = "Sessions"
    AUTO_FOCUS = "#sessions"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", tooltip="Type words to filter the sessions"),
        Binding(
            "R",
            "resume",
            "Resume",
            tooltip="The command that continues the session in an agent (ctx resume)",
        ),
        Binding("t", "tool", "Tool", tooltip="Filter by tool"),
        Binding("b", "branch", "Branch", tooltip="Filter by branch"),
        Binding("s", "sort", "Sort", tooltip="Sort by the next column"),
        Binding("r", "reverse", "Reverse", tooltip="Reverse the sort order"),
        Binding("escape", "clear", "Clear filters", show=False),
        Binding("down", "focus_table", "Go to the table", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[SessionRow] = []
        self.view: list[SessionRow] = []
        self.sort_key = "when"
        self.reverse = True
        self.loaded = False
        self.load_seconds = 0.0
        self._filter_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        with Horizontal(id="filters"):
            yield CtxInput(
                compact=True,
                placeholder="/ filter: type words (title, tool, branch, author, id)",
                id="filter",
            )
            yield Select[str]([], compact=True, prompt="Tool: all", id="tool")
            yield Select[str]([], compact=True, prompt="Branch: all", id="branch")
        yield Grid(GRID_COLUMNS, id="sessions")
        yield Static(EMPTY_HELP, id="empty", classes="empty-help")
        yield Static("Loading sessions…", id="status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#empty").display = False
        self._label_columns()

    @property
    def table(self) -> Grid:
        return self.query_one("#sessions", Grid)

    # ---- loading ------------------------------------------------------------------------
    def reload(self) -> None:
        self.table.loading = not self.loaded
        self._load()

    @work(thread=True, exclusive=True, group="sessions", exit_on_error=False)
    def _load(self) -> None:
        t0 = time.perf_counter()
        try:
            rows = self.store.session_rows()
        except Exception as exc:
            self.fail(exc)
            return
        self.post_message(SessionsLoaded(rows, time.perf_counter() - t0))

    def on_sessions_loaded(self, message: SessionsLoaded) -> None:
        self.rows = message.rows
        self.load_seconds = message.seconds
        self.loaded = True
        self.table.loading = False
        self._fill_selects()
        self.apply()

    def _fill_selects(self) -> None:
        for sel_id, attr, label in (("#tool", "tool", "tool"), ("#branch", "branch", "branch")):
            sel = self.query_one(sel_id, Select)
            counts = Counter(getattr(r, attr) for r in self.rows)
            current = sel.value
            options = [
                (f"{value or '(none)'} ({n:,})", value)
                for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:200]
            ]
            with sel.prevent(Select.Changed):
                sel.set_options(options)
                if current != Select.NULL and current in counts:
                    sel.value = current
            sel.prompt = f"{label.capitalize()}: all"

    # ---- filtering and sorting ------------------------------------------------------------
    def _value(self, sel_id: str) -> str | None:
        v = self.query_one(sel_id, Select).value
        return None if v == Select.NULL else str(v)

    def apply(self, keep: str | None = None) -> None:
        """Filter and sort all rows; the highlighted session stays highlighted if it is kept."""
        keep = keep or self.highlighted_id()
        text = self.query_one("#filter", Input).value
        filtered = filter_rows(self.rows, text, self._value("#tool"), self._value("#branch"))
        self.view = sort_rows(filtered, self.sort_key, self.reverse)
        index = next((i for i, r in enumerate(self.view) if r.id == keep), 0) if keep else 0
        self.table.set_rows([r.cells for r in self.view], cursor=index)
        empty = not self.rows and self.loaded
        self.query_one("#empty").display = empty
        self.table.display = not empty
        self._label_columns()
        self.update_status()
        self.refresh_title()

    def highlighted_id(self) -> str | None:
        row = self.table.cursor_row
        return self.view[row].id if 0 <= row < len(self.view) else None

    def _label_columns(self) -> None:
        for key, label in SESSION_COLUMNS:
            arrow = (" ▼" if self.reverse else " ▲") if key == self.sort_key else ""
            self.table.set_label(key, label + arrow)

    def update_status(self) -> None:
        if not self.loaded:
            return
        total = len(self.rows)
        n = len(self.view)
        if not total:
            text = "no sessions"
        elif not n:
            text = f"no session of {total:,} matches the filters (esc clears them)"
        else:
            text = f"{n:,} of {total:,} sessions" if n != total else f"{total:,} sessions"
        label = dict(SESSION_COLUMNS)[self.sort_key].lower()
        if self.sort_key == "when":
            order = "newest first" if self.reverse else "oldest first"
        else:
            order = "descending" if self.reverse else "ascending"
        text += f" · sorted by {label}, {order}"
        self.query_one("#status", Static).update(text)

    def refresh_title(self) -> None:
        filters = [
            f
            for f in (
                self.query_one("#filter", Input).value.strip(),
                self._value("#tool"),
                self._value("#branch"),
            )
            if f
        ]
        self.title_bar("filtered: " + ", ".join(filters) if filters else "")

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(0.15, self.apply)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.apply()
        self.table.focus()

    @on(Select.Changed)
    def _select_changed(self) -> None:
        self.apply()

    @on(Grid.HeaderClicked, "#sessions")
    def _header(self, event: Grid.HeaderClicked) -> None:
        if event.key == self.sort_key:
            self.reverse = not self.reverse
        else:
            self.sort_key = event.key
            self.reverse = event.key in DESCENDING_FIRST
        self.apply()

    @on(Grid.Selected, "#sessions")
    def _selected(self, event: Grid.Selected) -> None:
        if 0 <= event.row < len(self.view):
            self.post_message(OpenSession(self.view[event.row].id))

    # ---- actions ------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_resume(self) -> None:
        row = self.table.cursor_row
        if 0 <= row < len(self.view):
            r = self.view[row]
            self.post_message(ResumeSession(r.id, r.title, r.tool))

    def action_focus_table(self) -> None:
        self.table.focus()

    def _open_select(self, sel_id: str) -> None:
        sel = self.query_one(sel_id, Select)
        sel.focus()
        sel.expanded = True

    def action_tool(self) -> None:
        self._open_select("#tool")

    def action_branch(self) -> None:
        self._open_select("#branch")

    def action_sort(self) -> None:
        keys = [k for k, _ in SESSION_COLUMNS]
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        self.reverse = self.sort_key in DESCENDING_FIRST
        self.apply()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self.apply()

    def action_clear(self) -> None:
        self.query_one("#filter", Input).value = ""
        for sel_id in ("#tool", "#branch"):
            sel = self.query_one(sel_id, Select)
            with sel.prevent(Select.Changed):
                sel.clear()
        self.apply()
        self.table.focus()
