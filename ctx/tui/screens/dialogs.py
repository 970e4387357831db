"""Modal dialogs: a yes/no confirmation and the memory editor (add, edit, turn → memory)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from ctx.core.errors import CtxError
from ctx.core.models import MEMORY_TYPES, Memory
from ctx.tui.data import parse_tags
from ctx.tui.widgets.inputs import CtxInput


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True only on an explicit yes (y, or the Delete button)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str = "", yes: str = "Delete") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -danger"):
            yield Label(self.question, classes="dialog-title")
            if self.detail:
                yield Static(self.detail, classes="dialog-detail", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


@dataclass
class MemoryDraft:
    content: str
    type: str
    tags: list[str]


class MemoryEditor(ModalScreen[Memory | None]):
    """Type, tags and content of a memory. `save` runs the core call (in a thread); a CtxError
    (an invalid tag, the memory removed meanwhile) is shown in the dialog, which stays open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        title: str,
        save: Callable[[MemoryDraft], Memory],
        *,
        content: str = "",
        mtype: str = "fact",
        tags: list[str] | None = None,
        note: str = "",
    ) -> None:
        super().__init__()
        self.heading = title
        self.save_fn = save
        self.content = content
        self.mtype = mtype if mtype in MEMORY_TYPES else "fact"
        self.tags = tags or []
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -editor"):
            yield Label(self.heading, classes="dialog-title")
            if self.note:
                yield Static(self.note, classes="dialog-note", markup=False)
            with Horizontal(classes="editor-row"):
                yield Label("Type", classes="field-label")
                yield Select[str](
                    [(t, t) for t in MEMORY_TYPES], value=self.mtype, allow_blank=False, id="type"
                )
                yield Label("Tags", classes="field-label")
                yield CtxInput(
                    " ".join(self.tags),
                    placeholder="auth jwt (space or comma separated)",
                    id="tags",
                )
            yield TextArea(self.content, id="content", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="error", classes="dialog-error")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#error").display = False
        self.query_one("#content", TextArea).focus()

    def draft(self) -> MemoryDraft:
        sel = self.query_one("#type", Select)
        mtype = str(sel.value) if sel.value != Select.NULL else "fact"
        return MemoryDraft(
            content=self.query_one("#content", TextArea).text,
            type=mtype,
            tags=parse_tags(self.query_one("#tags", Input).value),
        )

    def action_save(self) -> None:
        self._save(self.draft())

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _save(self, draft: MemoryDraft) -> None:
        try:
            memory = self.save_fn(draft)
        except CtxError as exc:
            text = exc.message + (f" — {exc.advice}" if exc.advice else "")
            self.app.call_from_thread(self._show_error, text)
            return
        except Exception as exc:
            self.app.call_from_thread(self._show_error, f"{type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self.dismiss, memory)

    def _show_error(self, text: str) -> None:
        err = self.query_one("#error", Static)
        err.update(text)
        err.display = True
