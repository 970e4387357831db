"""Search as you type (debounced) across memories and turns; Enter opens the hit."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from ctx.tui.messages import OpenMemory, OpenSession, SearchDone
from ctx.tui.screens.base import CtxScreen, TitleBar
from ctx.tui.searching import MARK_CLOSE, MARK_OPEN, HitView, Searcher
from ctx.tui.widgets.inputs import CtxInput

DEBOUNCE = 0.3


def marked(snippet: str) -> Text:
    """`…the «JWT» signing…` -> Text with the marked terms highlighted and the marks removed."""
    out = Text()
    rest = snippet
    while rest:
        i = rest.find(MARK_OPEN)
        if i < 0:
            out.append(rest)
            break
        j = rest.find(MARK_CLOSE, i + 1)
        if j < 0:
            out.append(rest.replace(MARK_OPEN, ""))
            break
        out.append(rest[:i])
        out.append(rest[i + 1 : j], style="bold reverse")
        rest = rest[j + 1 :]
    return out


def plural(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def hit_prompt(hit: HitView) -> Group:
    badge = " MEMORY " if hit.kind == "memory" else " TURN "
    style = "bold reverse magenta" if hit.kind == "memory" else "bold reverse cyan"
    head = Text.assemble((badge, style), " ", (hit.source, "bold"))
    if hit.when:
        head.append(f"  {hit.when}", style="dim")
    return Group(head, marked(hit.snippet))


class SearchScreen(CtxScreen):
    NAME = "Search"
    AUTO_FOCUS = "#query"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_query", "New query", tooltip="Type a new query"),
        Binding("escape", "escape", "Clear / back", tooltip="Back to the query, or clear it"),
        Binding("down", "focus_hits", "Results", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[HitView] = []
        self._timer: Timer | None = None
        self.searcher: Searcher | None = None
        self.last_query = ""
        self.searches = 0  # completed searches (tests wait on it)
        self._focus_when_done = False  # Enter came before the results

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        yield CtxInput(
            placeholder="Search memories and session turns (results as you type)",
            id="query",
        )
        yield OptionList(id="hits")
        yield Static("Type to search. Enter opens a hit.", id="status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()
        self.refresh_title()

    def reload(self) -> None:
        q = self.query_one("#query", Input).value.strip()
        if q and self.hits:
            self._search(q)

    # ---- searching ------------------------------------------------------------------------
    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        q = event.value.strip()
        if not q:
            self._show([], None, q)
            self.query_one("#status", Static).update("Type to search. Enter opens a hit.")
            return
        self._timer = self.set_timer(DEBOUNCE, lambda: self._search(q))

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        q = event.value.strip()
        if q and q != self.last_query:
            if self._timer is not None:
                self._timer.stop()
            self._focus_when_done = True
            self._search(q)
        else:
            self.action_focus_hits()

    def _search(self, q: str) -> None:
        if self.searcher is None:
            self.searcher = Searcher(self.store)
        status = self.query_one("#status", Static)
        if self.searcher.needs_indexing():
            status.update(f"Indexing new records, then searching for '{q}'…")
        else:
            status.update(f"Searching for '{q}'…")
        self._run(q)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _run(self, q: str) -> None:
        assert self.searcher is not None
        t0 = time.perf_counter()
        try:
            hits, notice = self.searcher.search(q)
        except Exception as exc:
            self.fail(exc)
            return
        self.post_message(SearchDone(q, hits, notice, time.perf_counter() - t0))

    def on_search_done(self, message: SearchDone) -> None:
        current = self.query_one("#query", Input).value.strip()
        if message.query != current:  # a newer query is on its way
            return
        self.searches += 1
        self._show(message.hits, message.notice, message.query)

    def _show(self, hits: list[HitView], notice: str | None, q: str) -> None:
        self.hits = hits
        self.last_query = q
        ol = self.query_one("#hits", OptionList)
        ol.clear_options()
        options: list[Option | None] = []
        for i, hit in enumerate(hits):
            if i:
                options.append(None)
            options.append(Option(hit_prompt(hit), id=str(i)))
        ol.add_options(options)
        if hits:
            ol.highlighted = 0
            if self._focus_when_done:
                ol.focus()
        self._focus_when_done = False
        if q:
            mem = sum(1 for h in hits if h.kind == "memory")
            text = (
                f"{plural(len(hits), 'hit')} for '{q}' "
                f"({plural(mem, 'memory', 'memories')}, {plural(len(hits) - mem, 'turn')})"
            )
            if not hits:
                text = f"no good match for '{q}' (nothing relevant enough; see docs/search.md)"
            if notice:
                text += f" · {notice}"
            self.query_one("#status", Static).update(text)
        self.refresh_title()

    def refresh_title(self) -> None:
        self.title_bar(f"'{self.last_query}'" if self.last_query else "")

    # ---- opening --------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#hits")
    def _open(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or 0)
        if 0 <= index < len(self.hits):
            self.open_hit(self.hits[index])

    def open_hit(self, hit: HitView) -> None:
        if hit.kind == "memory" and hit.memory_id:
            self.post_message(OpenMemory(hit.memory_id))
        elif hit.session_id:
            self.post_message(OpenSession(hit.session_id, hit.turn_n))

    # ---- actions ------------------------------------------------------------------------
    def action_focus_query(self) -> None:
        self.query_one("#query", Input).focus()

    def action_focus_hits(self) -> None:
        ol = self.query_one("#hits", OptionList)
        if self.hits:
            ol.focus()
            if ol.highlighted is None:
                ol.highlighted = 0

    def action_escape(self) -> None:
        query = self.query_one("#query", Input)
        if query.has_focus:
            query.value = ""
        else:
            query.focus()
