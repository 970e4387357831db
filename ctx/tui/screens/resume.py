"""Hand-off: the command that continues a session in an agent (`ctx resume`, from the TUI).

The dialog rebuilds the session for its default agent at once (the session's own agent when ctx
can rebuild it, else Claude Code), shows the command and copies it to the clipboard; Enter on
another agent rebuilds it for that one. Only the agents asked for get a rebuilt file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ctx.core.errors import CtxError
from ctx.tui.data import one_line
from ctx.tui.handoff import AgentChoice, Handoff
from ctx.tui.screens.welcome import tildify


def agent_prompt(choice: AgentChoice) -> Text:
    text = Text(choice.name, style="bold")
    if choice.own:
        text.append(" · the session's own agent", style="italic")
    if not choice.installed:
        text.append(" · not found on PATH", style="dim")
    return text


class ResumeScreen(ModalScreen[None]):
    """`build(agent)` runs the core (in a thread); a CtxError is shown as one line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy", "Copy", tooltip="Copy the command to the clipboard"),
        Binding("escape,q", "close", "Close"),
    ]

    def __init__(
        self,
        session_id: str,
        title: str,
        choices: list[AgentChoice],
        default: str,
        build: Callable[[str], Handoff],
    ) -> None:
        super().__init__()
        self.session_id = session_id
        self.session_title = title
        self.choices = choices
        self.default = default
        self.build_fn = build
        self.handoff: Handoff | None = None
        self.error = ""
        self.builds = 0  # finished rebuilds, successful or not (tests wait on it)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -resume"):
            yield Label("Continue this session in an agent", classes="dialog-title")
            yield Static(
                f"{self.session_id} · {one_line(self.session_title or '(untitled)', 200)}",
                classes="dialog-detail",
                markup=False,
            )
            yield OptionList(
                *[Option(agent_prompt(c), id=c.name) for c in self.choices], id="agents"
            )
            yield Static("", id="command", classes="resume-command", markup=False)
            yield Static("", id="where", classes="dialog-note", markup=False)
            yield Static("", id="error", classes="dialog-error", markup=False)
            yield Static(
                "enter: rebuild for this agent · c: copy · esc: close",
                classes="dialog-note",
                markup=False,
            )

    def on_mount(self) -> None:
        agents = self.query_one("#agents", OptionList)
        names = [c.name for c in self.choices]
        agents.highlighted = names.index(self.default) if self.default in names else 0
        agents.focus()
        self.query_one("#error").display = False
        self.rebuild(self.default)

    # ---- building -----------------------------------------------------------------------
    def rebuild(self, agent: str) -> None:
        self.query_one("#command", Static).update(f"Rebuilding the session for {agent}…")
        self.query_one("#where", Static).update("")
        self._build(agent)

    @work(thread=True, exclusive=True, group="resume", exit_on_error=False)
    def _build(self, agent: str) -> None:
        try:
            handoff = self.build_fn(agent)
        except CtxError as exc:
            text = exc.message + (f" — {exc.advice}" if exc.advice else "")
            self.app.call_from_thread(self._failed, text)
            return
        except Exception as exc:  # a full disk, an unreadable transcript: one line, no crash
            self.app.call_from_thread(self._failed, f"{type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self._built, handoff)

    def _built(self, handoff: Handoff) -> None:
        self.handoff = handoff
        self.error = ""
        self.query_one("#error").display = False
        self.query_one("#command", Static).update(handoff.command)
        self.query_one("#where", Static).update(
            f"copied to the clipboard · {handoff.messages} messages rebuilt in "
            f"{tildify(handoff.path)}\nto store the continuation too: {handoff.captured}"
        )
        self.app.copy_to_clipboard(handoff.command)
        self.builds += 1

    def _failed(self, text: str) -> None:
        self.handoff = None
        self.error = one_line(text, 300)
        self.query_one("#command", Static).update("")
        self.query_one("#where", Static).update("")
        err = self.query_one("#error", Static)
        err.update(self.error)
        err.display = True
        self.builds += 1

    # ---- keys ---------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#agents")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.rebuild(event.option.id)

    def action_copy(self) -> None:
        if self.handoff is None:
            self.notify("nothing to copy yet", timeout=2)
            return
        self.app.copy_to_clipboard(self.handoff.command)
        self.notify("Copied the command to the clipboard", timeout=2)

    def action_close(self) -> None:
        self.dismiss(None)
