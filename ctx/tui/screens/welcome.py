"""Shown when there is nothing to browse yet (no repository, no store): how to start."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from ctx.core.errors import CtxError

STEPS = [
    ("ctx init", "create .contextfs/ in this repository"),
    ("ctx wrap -- claude", "capture a session (or aider, codex, any command)"),
    ("ctx import claude", "import existing Claude Code transcripts"),
    ('ctx memory add "…" --type decision', "write down a decision, fact or procedure"),
]


def tildify(message: str) -> str:
    """Paths under the home directory read better (and shorter) as ~/…"""
    home = str(Path.home())
    return message.replace(home + "/", "~/") if home not in ("", "/") else message


def welcome_text(error: CtxError) -> Text:
    text = Text()
    text.append("ctx browse has nothing to show yet\n\n", style="bold")
    text.append(tildify(error.message) + "\n", style="bold")
    if error.advice:
        text.append(error.advice[0].upper() + error.advice[1:] + ".\n")
    text.append("\n")
    steps = STEPS
    if error.code == "no_repo":
        steps = [("git init", "ctx keeps its store in a git repository"), *STEPS]
    if error.code == "newer_format":
        steps = []
    if steps:
        text.append("To start:\n", style="bold")
        width = max(len(cmd) for cmd, _ in steps) + 3
        for cmd, what in steps:
            text.append("  " + cmd.ljust(width), style="bold")
            text.append(what + "\n")
        text.append("\nThis screen opens the store by itself once it exists.", style="italic")
    return text


class WelcomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "app.quit", "Quit")]

    def __init__(self, error: CtxError) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="welcome"):
            yield Static(welcome_text(self.error), id="welcome-text")
        yield Footer()

    def show_error(self, error: CtxError) -> None:
        self.error = error
        self.query_one("#welcome-text", Static).update(welcome_text(error))
