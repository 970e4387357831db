"""Choosing a file for the file screen: from the files a turn's tool call named, or typed."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ctx.tui.data import one_line
from ctx.tui.widgets.inputs import CtxInput


class FilePicker(ModalScreen[str | None]):
    """Dismisses with the chosen repository path, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "close", "Close")]

    def __init__(self, heading: str, files: list[str], note: str = "") -> None:
        super().__init__()
        self.heading = heading
        self.files = files
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -picker"):
            yield Label(self.heading, classes="dialog-title")
            yield OptionList(
                *[Option(Text(one_line(f, 200)), id=str(i)) for i, f in enumerate(self.files)],
                id="files",
            )
            if self.note:
                yield Static(self.note, classes="dialog-note", markup=False)
            yield Static("enter: its sessions and memories · esc: close", classes="dialog-note")

    def on_mount(self) -> None:
        files = self.query_one("#files", OptionList)
        files.highlighted = 0
        files.focus()

    @on(OptionList.OptionSelected, "#files")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.files[int(event.option.id or 0)])

    def action_close(self) -> None:
        self.dismiss(None)


class PathPrompt(ModalScreen[str | None]):
    """Asks for a file (relative to the current directory, as `ctx why FILE` takes it)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -picker"):
            yield Label("Which file? Its sessions and memories", classes="dialog-title")
            yield CtxInput(placeholder="src/auth/tokens.py", id="path")
            yield Static("enter: show · esc: close", classes="dialog-note")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value:
            self.dismiss(value)

    def action_close(self) -> None:
        self.dismiss(None)
