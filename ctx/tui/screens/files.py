"""One file's context (`ctx why FILE` in the TUI): the sessions and memories linked to it.

Sessions first (how each is linked: a commit trailer, the commit a session ended on, an edit
just before the commit, or only a touch), then memories, decisions first, with a mark on those
whose cited lines changed since. Enter opens the session at the turn that wrote the lines, or
the memory on the memories screen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ctx.tui.filelinks import FileLinks, FileMemory, FileSession, file_links
from ctx.tui.messages import OpenMemory, OpenSession
from ctx.tui.screens.base import CtxScreen, TitleBar

TYPE_STYLES = {
    "decision": "bold reverse magenta",
    "fact": "bold reverse cyan",
    "procedure": "bold reverse green",
    "preference": "bold reverse yellow",
    "episode": "bold reverse blue",
}


def plural(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def session_prompt(s: FileSession) -> Group:
    head = Text.assemble((" SESSION ", "bold reverse cyan"), " ", (s.title, "bold"))
    bits = [s.tool, s.author, s.when, s.how, s.wrote]
    return Group(head, Text("  " + " · ".join(b for b in bits if b), style="dim"))


def memory_prompt(m: FileMemory) -> Group:
    head = Text.assemble((f" {m.type.upper()} ", TYPE_STYLES.get(m.type, "bold reverse")), " ")
    if m.stale:
        head.append("[may be stale] ", style="bold yellow")
    head.append(m.content)
    bits = [m.author, m.when, m.how, m.id]
    return Group(head, Text("  " + " · ".join(b for b in bits if b), style="dim"))


@dataclass
class FileLoaded(Message):
    links: FileLinks
    seconds: float


class FileScreen(CtxScreen):
    NAME = "File"
    AUTO_FOCUS = "#links"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("enter", "open", "Open", show=False, tooltip="Open the session or the memory"),
    ]

    def __init__(self, path: str, *, typed: bool = False) -> None:
        super().__init__()
        self.path = path
        self.typed = typed  # as the user typed it: relative to the current directory
        self.links: FileLinks | None = None
        self.targets: list[FileSession | FileMemory] = []
        self.loads = 0  # finished loads, successful or not (tests wait on it)

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        yield OptionList(id="links")
        yield Static(
            f"Looking up the history of {self.path}…", id="status", classes="status", markup=False
        )
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.generation = self.ctx_app.generation
        self.refresh_title()
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="file", exit_on_error=False)
    def _load(self) -> None:
        t0 = time.perf_counter()
        try:
            links = file_links(self.store, self.path, typed=self.typed)
        except Exception as exc:
            self.fail(exc)
            self.app.call_from_thread(self._failed)
            return
        self.post_message(FileLoaded(links, time.perf_counter() - t0))

    def _failed(self) -> None:
        self.loads += 1
        if self.links is None:
            self.query_one("#status", Static).update(f"no history for {self.path}")

    def on_file_loaded(self, message: FileLoaded) -> None:
        self.loads += 1
        links = self.links = message.links
        self.path, self.typed = links.path, False  # reloads use the repository path
        ol = self.query_one("#links", OptionList)
        keep = ol.highlighted
        ol.clear_options()
        self.targets = []
        options: list[Option | None] = []
        sections: list[tuple[str, list[FileSession] | list[FileMemory]]] = [
            ("Sessions", links.sessions),
            ("Memories", links.memories),
        ]
        for heading, items in sections:
            if not items:
                continue
            if options:
                options.append(None)
            options.append(Option(Text(f"{heading} ({len(items)})", style="bold"), disabled=True))
            for item in items:
                prompt = (
                    session_prompt(item) if isinstance(item, FileSession) else memory_prompt(item)
                )
                options.append(Option(prompt, id=str(len(self.targets))))
                self.targets.append(item)
        if not self.targets:
            options.append(
                Option(
                    Text(
                        f"No session or memory is linked to {links.path} yet.\n"
                        "Sessions link to a file when their tool calls edit it and a commit "
                        "follows (or carries a Ctx-Session trailer); memories when they come "
                        "from such a session or mention the file.",
                    ),
                    disabled=True,
                )
            )
        ol.add_options(options)
        usable = [i for i in range(ol.option_count) if not ol.get_option_at_index(i).disabled]
        if usable:
            ol.highlighted = keep if keep in usable else usable[0]
        self.refresh_title()
        self.update_status(message.seconds)

    def update_status(self, seconds: float) -> None:
        links = self.links
        if links is None:
            return
        text = (
            f"{plural(len(links.sessions), 'session')} · "
            f"{plural(len(links.memories), 'memory', 'memories')} · "
            f"{plural(links.commits, 'commit')}"
        )
        if links.uncommitted:
            text += f" · {plural(links.uncommitted, 'line')} not committed yet"
        stale = sum(1 for m in links.memories if m.stale)
        if stale:
            text += f" · {stale} may be stale"
        self.query_one("#status", Static).update(text + f" · {seconds:.1f} s")

    def refresh_title(self) -> None:
        self.title_bar(self.links.path if self.links else self.path)

    # ---- opening --------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#links")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.open(int(event.option.id))

    def open(self, index: int) -> None:
        if not 0 <= index < len(self.targets):
            return
        item = self.targets[index]
        if isinstance(item, FileSession):
            self.post_message(OpenSession(item.id, item.turn))
        else:
            self.post_message(OpenMemory(item.id))

    def action_open(self) -> None:
        ol = self.query_one("#links", OptionList)
        if ol.highlighted is not None:
            option = ol.get_option_at_index(ol.highlighted)
            if option.id is not None:
                self.open(int(option.id))

    def action_back(self) -> None:
        self.dismiss()
