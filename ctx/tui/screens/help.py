"""The help screen (? or F1): every key of the screen underneath and of the app, generated from
the bindings themselves so it cannot drift from what the keys do."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ctx.tui.screens.base import binding_list, key_display

ABOUT = (
    "ctx browse shows the sessions and memories stored in this repository's .contextfs/.\n"
    "Changes made here go through the same core as the ctx command, and changes made by\n"
    "other processes (ctx wrap, git pull) appear by themselves."
)


def keys_table(app: Any, title: str, bindings: list[Binding]) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        show_header=False,
        box=None,
        padding=(0, 2, 0, 0),
    )
    table.add_column(style="bold", no_wrap=True, min_width=14)
    table.add_column()
    seen: set[str] = set()
    for b in bindings:
        if not b.description or b.action in seen:
            continue
        seen.add(b.action)
        table.add_row(key_display(app, b), b.tooltip or b.description)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def __init__(self, screen_name: str, screen_bindings: list[Any], app_bindings: list[Any]):
        super().__init__()
        self.screen_name = screen_name
        self.screen_bindings = binding_list(screen_bindings)
        self.app_bindings = binding_list(app_bindings)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes="dialog -help"):
            yield Static(Text("ctx browse — keys", style="bold"), classes="dialog-title")
            if self.screen_bindings:
                yield Static(
                    keys_table(self.app, self.screen_name, self.screen_bindings), classes="keys"
                )
            yield Static(keys_table(self.app, "Everywhere", self.app_bindings), classes="keys")
            yield Static(ABOUT, classes="dialog-note")
            yield Static("esc closes this help · ctrl+p lists every action", classes="dialog-note")

    def action_close(self) -> None:
        self.dismiss(None)
