"""What every main screen shares: the store, a title line, palette entries, reload on change."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any, cast

from rich.text import Text
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from ctx.core.errors import CtxError
from ctx.tui.data import Store
from ctx.tui.host import Host
from ctx.tui.messages import Failed, StoreChanged


def binding_list(bindings: list[Any]) -> list[Binding]:
    """BINDINGS may hold Binding objects or tuples; make them all Bindings."""
    out = []
    for b in bindings:
        out.append(b if isinstance(b, Binding) else Binding(*b))
    return out


def key_display(app: Any, binding: Binding) -> str:
    """`question_mark,f1` shows as `? / F1`."""
    return " / ".join(
        app.get_key_display(Binding(k.strip(), binding.action)) for k in binding.key.split(",")
    )


class TitleBar(Static):
    """`ctx · <screen> · <detail>` on the left, the project on the right; no clock."""

    def set_title(self, screen: str, detail: str = "", project: str = "") -> None:
        left = Text.assemble((" ctx ", "bold reverse"), ("  " + screen, "bold"))
        if detail:
            left.append("  ·  " + detail)
        if project:
            width = max(0, self.size.width - len(left.plain) - len(project) - 2)
            left.append(" " * width)
            left.append(project + " ", style="dim")
        self.update(left)


class CtxScreen(Screen[Any]):
    """A screen over the store. `NAME` is shown in the title bar and the command palette."""

    NAME = ""
    generation = -1  # the app's store generation this screen last loaded

    @property
    def ctx_app(self) -> Host:
        """The app through its Protocol (see ctx/tui/host.py), not its class."""
        return cast(Host, self.app)

    @property
    def store(self) -> Store:
        store = self.ctx_app.store
        if store is None:  # pragma: no cover - screens are only shown once a store is open
            raise CtxError("no store is open", "run `ctx init` first", code="no_store")
        return store

    def title_bar(self, detail: str = "") -> None:
        try:
            bar = self.query_one(TitleBar)
        except Exception:
            return
        project = self.ctx_app.store.root.name if self.ctx_app.store else ""
        bar.set_title(self.NAME, detail, project)

    NARROW = 100  # columns: under this, side panels give the main view the room

    def on_resize(self) -> None:
        self.set_class(self.app.size.width < self.NARROW, "-narrow")
        self.call_after_refresh(self.refresh_title)

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < self.NARROW, "-narrow")

    def refresh_title(self) -> None:
        self.title_bar()

    # ---- palette ------------------------------------------------------------------------
    def palette_commands(self) -> Iterator[SystemCommand]:
        """One palette entry per binding with a description, so every action is reachable."""
        seen = set()
        for b in binding_list(list(self.BINDINGS)):
            if not b.description or b.action in seen:
                continue
            seen.add(b.action)
            key = key_display(self.app, b)
            help_text = (b.tooltip or b.description) + f"  ({self.NAME}, key {key})"
            yield SystemCommand(
                f"{self.NAME}: {b.description}", help_text, partial(self.run_action, b.action)
            )

    # ---- reloading ------------------------------------------------------------------------
    def reload(self) -> None:
        """Load (again) what the screen shows; screens override."""

    def on_screen_resume(self) -> None:
        if self.ctx_app.store is not None and self.generation != self.ctx_app.generation:
            self.generation = self.ctx_app.generation
            self.reload()
        self.refresh_title()

    def on_store_changed(self, message: StoreChanged) -> None:
        self.generation = self.ctx_app.generation
        self.reload()

    def on_failed(self, message: Failed) -> None:
        text = message.message + (f" — {message.advice}" if message.advice else "")
        self.notify(text, severity="error", title="ctx", timeout=8)

    def fail(self, exc: BaseException) -> None:
        """From a worker thread: report an error without taking the app down."""
        if isinstance(exc, CtxError):
            self.post_message(Failed(exc.message, exc.advice))
        else:
            self.post_message(Failed(f"{type(exc).__name__}: {exc}", "this is a bug in ctx"))
