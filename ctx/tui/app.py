"""The ctx browse application and its factory, shared by `ctx browse` and the tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.events import AppFocus
from textual.screen import Screen
from textual.widgets import Input, TextArea

from ctx.core.errors import CtxError
from ctx.tui.data import Store
from ctx.tui.handoff import agent_choices, build, resume_dir
from ctx.tui.messages import OpenFile, OpenMemory, OpenSession, ResumeSession, StoreChanged
from ctx.tui.screens.base import CtxScreen, key_display
from ctx.tui.screens.filepick import PathPrompt
from ctx.tui.screens.files import FileScreen
from ctx.tui.screens.help import HelpScreen
from ctx.tui.screens.memories import MemoriesScreen
from ctx.tui.screens.resume import ResumeScreen
from ctx.tui.screens.search import SearchScreen
from ctx.tui.screens.sessions import SessionsScreen
from ctx.tui.screens.transcript import TranscriptScreen
from ctx.tui.screens.welcome import WelcomeScreen

LIGHT, DARK = "textual-light", "textual-dark"


def terminal_is_light(environ: dict[str, str] | None = None) -> bool:
    """COLORFGBG (`15;0`: light text on black) is what terminals export about their colours;
    a background of 7 or 9-15 is light. Without it we assume dark, like most terminals."""
    value = (environ if environ is not None else os.environ).get("COLORFGBG", "")
    bg = value.split(";")[-1].strip()
    return bg.isdigit() and (int(bg) == 7 or 9 <= int(bg) <= 15)


class CtxApp(App[int]):
    CSS_PATH = "styles.tcss"
    TITLE = "ctx browse"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "sessions": SessionsScreen,
        "search": SearchScreen,
        "memories": MemoriesScreen,
    }
    # quit and help first: on an 80-column footer the screen keys come first and the
    # rest is cut, and how to leave must always show
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit_key", "Quit", tooltip="Leave ctx browse (ctrl+q in a text box)"),
        Binding("question_mark,f1", "help", "Help", tooltip="Keys of this screen"),
        Binding("1", "goto('sessions')", "Sessions", tooltip="The sessions table"),
        Binding("2", "goto('search')", "Search", tooltip="Search memories and turns"),
        Binding("3", "goto('memories')", "Memories", tooltip="Browse and edit memories"),
        Binding(
            "w",
            "ask_file",
            "Why a file",
            show=False,
            tooltip="Ask for a file: its sessions and memories (ctx why)",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            show=False,
            tooltip="Reload from the store now (it also reloads by itself)",
        ),
        Binding(
            "f2",
            "toggle_dark",
            "Light/dark",
            show=False,
            tooltip="Switch between the light and the dark theme",
        ),
    ]

    def __init__(
        self,
        project_path: str | Path | None = None,
        *,
        refresh_interval: float = 2.0,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        self.project_path = project_path
        self.refresh_interval = refresh_interval
        self.store: Store | None = None
        self.generation = 0  # bumped whenever the store changed; screens reload when behind
        self.transcript_raw = False  # the transcript view's raw/rendered choice, for the app's life
        if theme in ("light", "dark"):
            self.theme = LIGHT if theme == "light" else DARK
        elif theme:
            self.theme = theme
        else:
            self.theme = LIGHT if terminal_is_light() else DARK

    # ---- start-up -------------------------------------------------------------------------
    def on_mount(self) -> None:
        try:
            self.store = Store.open(self.project_path)
        except CtxError as exc:
            self.push_screen(WelcomeScreen(exc))
        else:
            self.switch_mode("sessions")
        if self.refresh_interval > 0:
            self.set_interval(self.refresh_interval, self.poll)

    def _store_arrived(self, store: Store) -> None:
        self.store = store
        if isinstance(self.screen, WelcomeScreen):
            self.pop_screen()
        self.switch_mode("sessions")

    # ---- keeping up with other processes -----------------------------------------------
    def on_app_focus(self, event: AppFocus) -> None:
        self.poll()

    def action_refresh(self) -> None:
        self.poll(force=True)

    def bump(self) -> None:
        """This process changed the store: other screens reload when shown again."""
        self.generation += 1

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll(self, force: bool = False) -> None:
        if self.store is None:
            try:
                store = Store.open(self.project_path)
            except CtxError as exc:
                screen = self.screen
                if isinstance(screen, WelcomeScreen) and exc.message != screen.error.message:
                    self.call_from_thread(screen.show_error, exc)
                return
            self.call_from_thread(self._store_arrived, store)
            return
        try:
            changed = self.store.changed() or force
        except Exception as exc:  # a store half-way through a git checkout: try again later
            self.log.warning(f"poll failed: {exc}")
            return
        if changed:
            self.call_from_thread(self._changed)

    def _changed(self) -> None:
        self.bump()
        screen = self.screen
        if isinstance(screen, CtxScreen):  # the others reload when shown again
            screen.post_message(StoreChanged())

    # ---- navigation ---------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Without a store there is nothing to go to: hide those keys from the footer.
        Inside a text input q types a q: the input's footer shows ctrl+q instead."""
        if action == "quit_key" and isinstance(self.focused, (Input, TextArea)):
            return False
        return not (action in ("goto", "refresh", "ask_file") and self.store is None)

    async def action_quit_key(self) -> None:
        await self.action_quit()

    def action_goto(self, mode: str) -> None:
        if self.store is None:
            return
        if self.current_mode == mode and len(self.screen_stack) > 1:
            # pressing the key of the screen you are on goes back to its top level
            while len(self.screen_stack) > 1:
                self.pop_screen()
            return
        self.switch_mode(mode)

    def on_open_session(self, message: OpenSession) -> None:
        self.push_screen(TranscriptScreen(message.session_id, message.turn))

    def on_open_file(self, message: OpenFile) -> None:
        if self.store is not None:
            self.push_screen(FileScreen(message.path, typed=message.typed))

    def action_ask_file(self) -> None:
        if self.store is None or isinstance(self.screen, PathPrompt):
            return

        def chosen(path: str | None) -> None:
            if path:
                self.post_message(OpenFile(path, typed=True))

        self.push_screen(PathPrompt(), chosen)

    def on_resume_session(self, message: ResumeSession) -> None:
        store = self.store
        if store is None or isinstance(self.screen, ResumeScreen):
            return
        choices, default = agent_choices(message.tool)
        where = resume_dir(store.root)
        sid = message.session_id
        self.push_screen(
            ResumeScreen(
                sid, message.title, choices, default, lambda agent: build(store, sid, agent, where)
            )
        )

    async def on_open_memory(self, message: OpenMemory) -> None:
        await self.switch_mode("memories")
        screen = self.screen_stack[0]
        while len(self.screen_stack) > 1:
            self.pop_screen()
        if isinstance(screen, MemoriesScreen):
            screen.select_memory(message.memory_id)

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        name = getattr(screen, "NAME", "") or "This screen"
        self.push_screen(HelpScreen(name, list(screen.BINDINGS), list(self.BINDINGS)))

    def action_toggle_dark(self) -> None:
        self.theme = LIGHT if self.current_theme.dark else DARK

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, CtxScreen):
            yield from screen.palette_commands()
        for b in self.BINDINGS:
            assert isinstance(b, Binding)
            if b.action == "quit":
                continue  # the built-in palette has Quit already
            key = key_display(self, b)
            yield SystemCommand(
                f"Go: {b.description}" if b.action.startswith("goto") else b.description,
                f"{b.tooltip or b.description}  (key {key})",
                lambda action=b.action: self.run_action(action),
            )


def make_app(project_path: str | Path | None = None, **options: object) -> CtxApp:
    """The app for the repository containing `project_path` (default: the current directory).

    Options: `refresh_interval` (seconds between checks for changes by other processes, 0 to
    turn off) and `theme` ("light", "dark" or a Textual theme name)."""
    return CtxApp(project_path, **options)  # type: ignore[arg-type]
