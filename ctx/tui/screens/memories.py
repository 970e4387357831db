"""Memories by type and tag: view, add, edit, delete (through the same core as `ctx memory`)."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Footer, Input, Select, Static

from ctx.core.models import MEMORY_TYPES, Memory
from ctx.tui.data import filter_memories, fmt_when, one_line
from ctx.tui.messages import MemoriesLoaded, OpenSession
from ctx.tui.screens.base import CtxScreen, TitleBar
from ctx.tui.screens.dialogs import ConfirmScreen, MemoryDraft, MemoryEditor
from ctx.tui.widgets.grid import Column, Grid
from ctx.tui.widgets.info import FactsPanel, memory_facts
from ctx.tui.widgets.inputs import CtxInput
from ctx.tui.widgets.turn import TurnBody

EMPTY_HELP = (
    "No memories yet.\n\n"
    "Add one here with  a, or from the command line:\n"
    '    ctx memory add "We sign JWTs with RS256" --type decision --tag auth\n\n'
    "or open a session (1), select a turn and press  m  to keep it as a memory."
)
TYPE_ORDER = {t: i for i, t in enumerate(MEMORY_TYPES)}
TYPE_COLORS = {
    "decision": "magenta",
    "fact": "cyan",
    "procedure": "green",
    "preference": "yellow",
    "episode": "blue",
}
GRID_COLUMNS = [
    Column("type", "Type", colors=TYPE_COLORS),
    Column("tags", "Tags", max_width=24),
    Column("created", "Created"),
    Column("content", "Content", flex=True),
]


class MemoriesScreen(CtxScreen):
    NAME = "Memories"
    AUTO_FOCUS = "#memories"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit", tooltip="Edit the type, tags and content"),
        Binding("d,delete", "delete", "Delete", tooltip="Delete the memory (asks first)"),
        Binding("a", "add", "Add", tooltip="Write a new memory"),
        Binding("o", "source", "Source", tooltip="Open the session the memory came from"),
        Binding("slash", "filter", "Filter", tooltip="Type words to filter the memories"),
        Binding("t", "type", "Type", tooltip="Filter by type"),
        Binding("number_sign", "tag", "Tag", tooltip="Filter by tag"),
        Binding("s", "group", "Group by type", tooltip="Group by type, or newest first"),
        Binding("escape", "clear", "Clear filters", show=False),
        Binding("down", "focus_table", "Go to the table", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.memories: list[Memory] = []
        self.view: list[Memory] = []
        self.loaded = False
        self.grouped = True
        self.want: str | None = None  # a memory to select once loaded (OpenMemory)
        self._filter_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        with Horizontal(id="filters"):
            yield CtxInput(
                compact=True,
                placeholder="/ filter: type words (content, tags, author, id)",
                id="filter",
            )
            yield Select[str]([], compact=True, prompt="Type: all", id="type")
            yield Select[str]([], compact=True, prompt="Tag: all", id="tag")
        with Horizontal(id="body"):
            yield Grid(GRID_COLUMNS, id="memories")
            with Vertical(id="detail"):
                yield FactsPanel(id="facts")
                yield VerticalScroll(id="content")
        yield Static(EMPTY_HELP, id="empty", classes="empty-help")
        yield Static("Loading memories…", id="status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#empty").display = False
        self.table.focus()

    @property
    def table(self) -> Grid:
        return self.query_one("#memories", Grid)

    # ---- loading ------------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        self.table.loading = not self.loaded
        self._load(select)

    @work(thread=True, exclusive=True, group="memories", exit_on_error=False)
    def _load(self, select: str | None) -> None:
        try:
            memories = self.store.memories()
        except Exception as exc:
            self.fail(exc)
            return
        self.post_message(MemoriesLoaded(memories, select))

    def on_memories_loaded(self, message: MemoriesLoaded) -> None:
        self.memories = message.memories
        self.loaded = True
        self.table.loading = False
        self._fill_selects()
        keep = message.select or self.want or self.highlighted_id()
        self.want = None
        self.apply(keep)

    def select_memory(self, memory_id: str) -> None:
        """Show this memory (from a search hit); clears filters that would hide it."""
        self.want = memory_id
        if self.loaded:
            if not any(m.id == memory_id for m in self.view):
                self.action_clear()
            self.apply(memory_id)
            self.want = None

    def _fill_selects(self) -> None:
        types = Counter(m.type for m in self.memories)
        tags = Counter(t for m in self.memories for t in m.tags)
        for sel_id, counts, label, order in (
            ("#type", types, "Type", lambda kv: TYPE_ORDER.get(kv[0], 99)),
            ("#tag", tags, "Tag", lambda kv: (-kv[1], kv[0])),
        ):
            sel = self.query_one(sel_id, Select)
            current = sel.value
            options = [(f"{v} ({n:,})", v) for v, n in sorted(counts.items(), key=order)]
            with sel.prevent(Select.Changed):
                sel.set_options(options)
                if current != Select.NULL and current in counts:
                    sel.value = current
            sel.prompt = f"{label}: all"

    # ---- the table ------------------------------------------------------------------------
    def _value(self, sel_id: str) -> str | None:
        v = self.query_one(sel_id, Select).value
        return None if v == Select.NULL else str(v)

    def highlighted_id(self) -> str | None:
        row = self.table.cursor_row
        return self.view[row].id if 0 <= row < len(self.view) else None

    def apply(self, keep: str | None = None) -> None:
        if keep is None:
            keep = self.highlighted_id()
        text = self.query_one("#filter", Input).value
        view = filter_memories(self.memories, text, self._value("#type"), self._value("#tag"))
        if self.grouped:  # newest first inside each type, types in their documented order
            view.sort(key=lambda m: (m.created_at, m.id), reverse=True)
            view.sort(key=lambda m: TYPE_ORDER.get(m.type, 99))
        self.view = view
        index = next((i for i, m in enumerate(view) if m.id == keep), 0) if keep else 0
        self.table.set_rows(
            [
                (
                    m.type,
                    " ".join(f"#{t}" for t in m.tags),
                    fmt_when(m.created_at),
                    ("[private] " if m.private else "")
                    + ("[superseded] " if m.superseded_by else "")
                    + ("[may be stale] " if (m.stale or {}).get("status") == "stale" else "")
                    + one_line(m.content, 300),
                )
                for m in view
            ],
            cursor=index,
        )
        self.show_detail(view[index] if view else None)
        empty = not self.memories and self.loaded
        self.query_one("#empty").display = empty
        self.query_one("#body").display = not empty
        self.update_status()
        self.refresh_title()

    def show_detail(self, memory: Memory | None) -> None:
        facts = self.query_one("#facts", FactsPanel)
        content = self.query_one("#content", VerticalScroll)
        content.remove_children()
        if memory is None:
            facts.update("")
            return
        facts.show_facts(memory_facts(memory))
        content.mount(TurnBody(memory.content, markdown=True))

    def update_status(self) -> None:
        if not self.loaded:
            return
        total, n = len(self.memories), len(self.view)
        if not total:
            text = "no memories"
        elif not n:
            text = f"no memory of {total:,} matches the filters (esc clears them)"
        else:
            text = f"{n:,} of {total:,} memories" if n != total else f"{total:,} memories"
        text += " · grouped by type" if self.grouped else " · newest first"
        self.query_one("#status", Static).update(text)

    def refresh_title(self) -> None:
        filters = [
            f
            for f in (
                self.query_one("#filter", Input).value.strip(),
                self._value("#type"),
                self._value("#tag"),
            )
            if f
        ]
        self.title_bar("filtered: " + ", ".join(filters) if filters else "")

    @on(Grid.Highlighted, "#memories")
    def _highlighted(self, event: Grid.Highlighted) -> None:
        if 0 <= event.row < len(self.view):
            self.show_detail(self.view[event.row])

    @on(Grid.Selected, "#memories")
    def _selected(self) -> None:
        self.action_edit()

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

    # ---- actions ------------------------------------------------------------------------
    def current(self) -> Memory | None:
        mid = self.highlighted_id()
        return next((m for m in self.view if m.id == mid), None)

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_focus_table(self) -> None:
        self.table.focus()

    def _open_select(self, sel_id: str) -> None:
        sel = self.query_one(sel_id, Select)
        sel.focus()
        sel.expanded = True

    def action_type(self) -> None:
        self._open_select("#type")

    def action_tag(self) -> None:
        self._open_select("#tag")

    def action_group(self) -> None:
        self.grouped = not self.grouped
        self.apply()

    def action_clear(self) -> None:
        self.query_one("#filter", Input).value = ""
        for sel_id in ("#type", "#tag"):
            sel = self.query_one(sel_id, Select)
            with sel.prevent(Select.Changed):
                sel.clear()
        self.apply()
        self.table.focus()

    def _saved(self, verb: str) -> Any:
        def done(memory: Memory | None) -> None:
            if memory is None:
                return
            self.ctx_app.bump()
            self.generation = self.ctx_app.generation
            self.notify(f"{verb} memory {memory.id}", timeout=3)
            self.reload(select=memory.id)

        return done

    def action_edit(self) -> None:
        m = self.current()
        if m is None:
            return
        store, mid = self.store, m.id

        def save(d: MemoryDraft) -> Memory:
            return store.edit_memory(mid, content=d.content, mtype=d.type, tags=d.tags)

        editor = MemoryEditor(
            f"Edit memory {m.id}", save, content=m.content, mtype=m.type, tags=m.tags
        )
        self.app.push_screen(editor, self._saved("Saved"))

    def action_add(self) -> None:
        store = self.store

        def save(d: MemoryDraft) -> Memory:
            return store.add_memory(d.content, d.type, d.tags)

        mtype = self._value("#type") or "fact"
        tag = self._value("#tag")
        editor = MemoryEditor("New memory", save, mtype=mtype, tags=[tag] if tag else [])
        self.app.push_screen(editor, self._saved("Added"))

    def action_delete(self) -> None:
        m = self.current()
        if m is None:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._delete(m.id)

        self.app.push_screen(
            ConfirmScreen(f"Delete memory {m.id} ({m.type})?", one_line(m.content, 300)), answer
        )

    @work(thread=True, exclusive=True, group="delete", exit_on_error=False)
    def _delete(self, memory_id: str) -> None:
        try:
            self.store.remove_memory(memory_id)
        except Exception as exc:
            self.fail(exc)
        else:
            self.app.call_from_thread(self._deleted, memory_id)

    def _deleted(self, memory_id: str) -> None:
        self.ctx_app.bump()
        self.generation = self.ctx_app.generation
        self.notify(f"Deleted memory {memory_id}", timeout=3)
        index = self.table.cursor_row
        after = self.view[index + 1].id if index + 1 < len(self.view) else None
        before = self.view[index - 1].id if index > 0 else None
        self.reload(select=after or before)

    def action_source(self) -> None:
        m = self.current()
        if m is None or not m.source_session:
            self.notify("this memory has no source session", timeout=2)
            return
        self.post_message(OpenSession(m.source_session, m.source_turn))
