"""One session: the conversation, its metadata, find-in-transcript, copy, turn → memory."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Label, Static

from ctx.core.models import Memory, Session
from ctx.tui.data import is_terminal_session, one_line
from ctx.tui.filelinks import repo_paths, session_paths, turn_paths
from ctx.tui.messages import OpenFile, ResumeSession, SessionLoaded
from ctx.tui.screens.base import CtxScreen, TitleBar
from ctx.tui.screens.dialogs import MemoryDraft, MemoryEditor
from ctx.tui.screens.filepick import FilePicker
from ctx.tui.widgets.info import FactsPanel, session_facts
from ctx.tui.widgets.inputs import FindInput
from ctx.tui.widgets.transcript import TranscriptView
from ctx.tui.widgets.turn import TurnWidget


def snippet(text: str, term: str, width: int = 70) -> Text:
    """The match in its context, highlighted, on one line."""
    flat = " ".join(text.split())
    i = flat.lower().find(term.lower())
    if i < 0:
        return Text(one_line(flat, width))
    start = max(0, i - (width - len(term)) // 2)
    part = flat[start : start + width]
    out = Text("…" if start else "")
    j = i - start
    out.append(part[:j])
    out.append(part[j : j + len(term)], style="reverse bold")
    out.append(part[j + len(term) :])
    if start + width < len(flat):
        out.append("…")
    return out


class TranscriptScreen(CtxScreen):
    NAME = "Session"
    AUTO_FOCUS = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("j", "next_turn", "Next", tooltip="Select the next turn"),
        Binding("k", "prev_turn", "Prev", tooltip="Select the previous turn"),
        Binding(
            "right_square_bracket",
            "next_user",
            "Next user",
            tooltip="Jump to the next turn the user wrote",
        ),
        Binding(
            "left_square_bracket",
            "prev_user",
            "Prev user",
            tooltip="Jump to the previous turn the user wrote",
        ),
        Binding("slash", "find", "Find", tooltip="Search within this transcript"),
        Binding("n,f3", "next_match", "Next match", tooltip="Go to the next match (after /)"),
        Binding("N,shift+f3", "prev_match", "Prev match", show=False),
        Binding("c", "copy_turn", "Copy", tooltip="Copy the selected turn to the clipboard"),
        Binding(
            "R",
            "resume",
            "Resume",
            tooltip="The command that continues this session in an agent (ctx resume)",
        ),
        Binding("m", "make_memory", "Memory", tooltip="Turn the selected turn into a memory"),
        Binding(
            "f",
            "files",
            "Files",
            tooltip="The files the selected tool call touched: their sessions and memories",
        ),
        Binding(
            "enter,space",
            "toggle_turn",
            "Expand",
            show=False,
            tooltip="Expand or collapse the selected tool call",
        ),
        Binding(
            "t",
            "toggle_tools",
            "Tool calls",
            show=False,
            tooltip="Expand or collapse every tool call",
        ),
        Binding("i", "toggle_info", "Info", tooltip="Show or hide the metadata panel"),
        Binding("r", "raw", "Raw text", show=False, tooltip="Switch between Markdown and raw text"),
        Binding("home,g", "first", "First turn", show=False),
        Binding("end,G", "last", "Last turn", show=False),
    ]

    # keys that type into the find box while it has the focus: not offered there
    TYPED = frozenset(
        {
            "next_turn",
            "prev_turn",
            "next_user",
            "prev_user",
            "find",
            "copy_turn",
            "resume",
            "files",
            "make_memory",
            "toggle_turn",
            "toggle_tools",
            "toggle_info",
            "raw",
            "first",
            "last",
        }
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.TYPED and isinstance(self.focused, Input):
            return False
        # the footer offers n only when there is something to go to
        return not (action in ("next_match", "prev_match") and not self.matches)

    def __init__(self, session_id: str, turn: int | None = None) -> None:
        super().__init__()
        self.session_id = session_id
        self.start_turn = turn
        self.session: Session | None = None
        self.matches: list[int] = []
        self.match_index = -1
        self.term = ""
        self.tools_open = False

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        with Horizontal(id="body"):
            yield TranscriptView(id="transcript")
            yield FactsPanel(id="info")
        with Horizontal(id="findbar"):
            yield Label("Find:", classes="field-label")
            yield FindInput(
                compact=True,
                placeholder="text in this transcript (enter/F3: next, esc: close, then n/N)",
                id="find",
            )
            yield Label("", id="find-status")
        yield Static("Loading…", id="status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#findbar").display = False
        self.view.focus()
        self.generation = self.ctx_app.generation
        self._load(self.start_turn)

    @property
    def view(self) -> TranscriptView:
        return self.query_one("#transcript", TranscriptView)

    # ---- loading ------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def _load(self, turn: int | None) -> None:
        try:
            session = self.store.session(self.session_id)
        except Exception as exc:
            self.fail(exc)
            self.app.call_from_thread(self._gone)
            return
        self.post_message(SessionLoaded(session, turn))

    def _gone(self) -> None:
        if self.session is None and self.app.screen is self:
            self.dismiss()

    async def on_session_loaded(self, message: SessionLoaded) -> None:
        s = message.session
        first = self.session is None
        self.session = s
        self.query_one("#info", FactsPanel).show_facts(session_facts(s))
        self.refresh_title()
        turns = s.turns or []
        self.view.tools_open = self.tools_open
        if first:
            await self.view.show(
                turns, raw=self.ctx_app.transcript_raw, verbatim=is_terminal_session(s)
            )
            target = message.turn if message.turn is not None else 0
            await self.view.goto(target)
        elif len(turns) != len(self.view.turns):  # it grew (an open session, a re-import)
            await self.view.replace_turns(turns)
        if self.term:
            self._find(self.term)
        self.update_status()

    def reload(self) -> None:
        if self.session is not None:
            self._load(None)

    def refresh_title(self) -> None:
        s = self.session
        self.title_bar(one_line(s.title or s.id, 80) if s else self.session_id)

    def update_status(self, extra: str | Text = "") -> None:
        s = self.session
        if s is None:
            return
        cur = self.view.current()
        text = Text(f"{s.tool} · {s.turn_count} turns")
        if cur is not None:
            text.append(f" · turn {cur}")
        if self.matches:
            pos = f"{self.match_index + 1}/" if self.match_index >= 0 else ""
            text.append(f" · {pos}{len(self.matches)} matches for '{self.term}'")
        if extra:
            text.append(" · ")
            text.append(extra)
        self.query_one("#status", Static).update(text)

    def on_transcript_view_selected(self, message: TranscriptView.Selected) -> None:
        if self.session is not None:
            self.update_status()

    # ---- moving -------------------------------------------------------------------------
    def _current(self) -> int:
        cur = self.view.current()
        return cur if cur is not None else 0

    async def action_next_turn(self) -> None:
        await self.view.goto(self._current() + 1)

    async def action_prev_turn(self) -> None:
        await self.view.goto(self._current() - 1)

    async def _jump_user(self, step: int) -> None:
        turns = self.view.turns
        if not turns:
            return
        n = self._current() + step
        while 0 <= n < len(turns):
            if turns[n].role == "user":
                await self.view.goto(n)
                return
            n += step
        self.notify("no more user turns" if step > 0 else "no earlier user turn", timeout=2)

    async def action_next_user(self) -> None:
        await self._jump_user(1)

    async def action_prev_user(self) -> None:
        await self._jump_user(-1)

    async def action_first(self) -> None:
        await self.view.goto(0)

    async def action_last(self) -> None:
        await self.view.goto(len(self.view.turns) - 1)

    def action_back(self) -> None:
        if self.query_one("#findbar").display:
            self._close_find()
        else:
            self.dismiss()

    # ---- find ---------------------------------------------------------------------------
    def action_find(self) -> None:
        bar = self.query_one("#findbar")
        bar.display = True
        self.query_one("#find", Input).focus()

    def _close_find(self) -> None:
        self.query_one("#findbar").display = False
        self.view.focus()

    def _find(self, term: str) -> None:
        self.term = term.strip()
        q = self.term.lower()
        self.matches = [t.n for t in self.view.turns if q and q in t.text.lower()]
        self.match_index = -1
        self.view.set_matches(set(self.matches))
        status = f"{len(self.matches)} matches" if self.term else ""
        self.query_one("#find-status", Label).update(status)
        self.update_status()
        self.refresh_bindings()

    @on(Input.Changed, "#find")
    def _find_changed(self, event: Input.Changed) -> None:
        self._find(event.value)

    @on(Input.Submitted, "#find")
    async def _find_submitted(self) -> None:
        await self.action_next_match()

    async def _goto_match(self, step: int) -> None:
        if not self.matches:
            self.notify(
                f"no match for '{self.term}'" if self.term else "nothing to find: press /",
                timeout=2,
            )
            return
        cur = self._current()
        if self.match_index >= 0 and self.matches[self.match_index] == cur:
            self.match_index = (self.match_index + step) % len(self.matches)
        elif step > 0:
            later = [i for i, n in enumerate(self.matches) if n > cur]
            self.match_index = later[0] if later else 0
        else:
            earlier = [i for i, n in enumerate(self.matches) if n < cur]
            self.match_index = earlier[-1] if earlier else len(self.matches) - 1
        n = self.matches[self.match_index]
        await self.view.goto(n)
        self.update_status(snippet(self.view.turns[n].text, self.term))
        self.query_one("#find-status", Label).update(f"{self.match_index + 1}/{len(self.matches)}")

    async def action_next_match(self) -> None:
        await self._goto_match(1)

    async def action_prev_match(self) -> None:
        await self._goto_match(-1)

    # ---- the selected turn ------------------------------------------------------------------
    def selected(self) -> TurnWidget | None:
        cur = self.view.current()
        return self.view.widget(cur) if cur is not None else None

    def action_copy_turn(self) -> None:
        w = self.selected()
        if w is None:
            return
        text = w.turn.text
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied turn {w.n} ({len(text):,} characters) to the clipboard", timeout=3)

    def action_resume(self) -> None:
        s = self.session
        if s is not None:
            self.post_message(ResumeSession(s.id, s.title, s.tool))

    def action_files(self) -> None:
        cur = self.view.current()
        if cur is None:
            return
        turns = self.view.turns
        paths = turn_paths(turns, cur)
        note = ""
        if not paths:
            paths = session_paths(turns)
            note = f"turn {cur} touched no file: these are the files the whole session touched"
        if not paths:
            self.notify("no tool call of this session touched a file", timeout=3)
            return
        self._pick_file(cur, paths, note)

    @work(thread=True, exclusive=True, group="files", exit_on_error=False)
    def _pick_file(self, n: int, paths: list[str], note: str) -> None:
        try:
            mapped = repo_paths(self.store, paths)
        except Exception as exc:
            self.fail(exc)
            return
        self.app.call_from_thread(self._show_files, n, paths, mapped, note)

    def _show_files(self, n: int, paths: list[str], mapped: dict[str, str], note: str) -> None:
        files = list(dict.fromkeys(mapped[p] for p in paths if p in mapped))
        missing = len([p for p in paths if p not in mapped])
        if missing:
            gone = f"{missing} named file(s) are not in this repository now"
            note = f"{note} · {gone}" if note else gone
        if not files:
            self.notify(f"turn {n}: {note}", timeout=4)
            return
        if len(files) == 1 and not note:
            self.post_message(OpenFile(files[0]))
            return

        def chosen(path: str | None) -> None:
            if path:
                self.post_message(OpenFile(path))

        self.app.push_screen(FilePicker(f"Files of turn {n}", files, note), chosen)

    def action_toggle_turn(self) -> None:
        w = self.selected()
        if w is not None:
            w.toggle()

    def action_toggle_tools(self) -> None:
        self.tools_open = not self.tools_open
        self.view.tools_open = self.tools_open
        for w in self.view.mounted():
            if w.is_tool:
                w.expanded = self.tools_open

    def action_toggle_info(self) -> None:
        info = self.query_one("#info")
        info.display = not info.display

    async def action_raw(self) -> None:
        if self.view.verbatim:
            self.notify("a terminal session is always shown as it was on screen", timeout=2)
            return
        self.ctx_app.transcript_raw = not self.view.raw  # kept for every session after this
        await self.view.rerender(self.ctx_app.transcript_raw)
        self.notify("raw text" if self.view.raw else "rendered Markdown", timeout=2)

    def action_make_memory(self) -> None:
        w = self.selected()
        if w is None or self.session is None:
            return
        sid, n = self.session.id, w.n
        store = self.store

        def save(d: MemoryDraft) -> Memory:
            return store.add_memory(d.content, d.type, d.tags, source_session=sid, source_turn=n)

        def done(memory: Memory | None) -> None:
            if memory is None:
                return
            self.ctx_app.bump()
            self.notify(f"Saved memory {memory.id} ({memory.type}) from turn {n}", timeout=4)

        editor = MemoryEditor(
            f"New memory from turn {n}",
            save,
            content=w.turn.text.strip(),
            mtype="fact",
            note=f"source: {sid} turn {n} ({w.turn.role})",
        )
        self.app.push_screen(editor, done)
