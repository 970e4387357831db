"""One turn of a transcript: a role-styled header and a body (Markdown, plain text, or a
collapsed tool call that expands on demand, so long tool output costs nothing until asked)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from ctx.core.models import Turn
from ctx.tui.data import fmt_when, one_line, visible

MAX_RENDER = 30_000  # characters rendered per turn; the rest is one `c` (copy) away
ROLE_LABEL = {"user": "USER", "assistant": "ASSISTANT", "tool": "TOOL", "system": "SYSTEM"}


def is_tool_turn(turn: Turn) -> bool:
    return turn.role == "tool" or turn.meta.get("kind") in ("tool_use", "tool_result")


class TurnBody(Widget):
    """Renders the text as Markdown (with highlighted code blocks) or as plain text.

    The renderable is built at render time, so a switch between light and dark themes picks
    a matching code theme on the next refresh."""

    DEFAULT_CSS = "TurnBody { height: auto; }"

    def __init__(self, text: str, *, markdown: bool) -> None:
        super().__init__(classes="turn-body")
        self.more = max(0, len(text) - MAX_RENDER)  # characters not rendered
        # stored text is hostile: control characters are shown, never sent to the terminal
        self.text = visible(text[:MAX_RENDER].replace("\r\n", "\n"))
        self.markdown = markdown

    def render(self) -> RenderableType:
        more = self.more
        note = f"\n\n… {more:,} more characters (press c to copy the whole turn)" if more else ""
        if not self.markdown:
            return Text(self.text.rstrip() + note)
        from rich.markdown import Markdown

        dark = self.app.current_theme.dark
        code_theme = "monokai" if dark else "friendly"
        return Markdown(
            self.text + note,
            code_theme=code_theme,
            inline_code_lexer="text",
            inline_code_theme=code_theme,
            hyperlinks=False,
        )


class TurnWidget(Vertical):
    """One turn. The transcript marks one turn as selected (the one `c` copies and `m` turns
    into a memory) with a class rather than focus: moving focus re-renders the footer, a
    class change costs almost nothing, so j/k stay instant."""

    expanded: reactive[bool] = reactive(False, init=False)

    @dataclass
    class Clicked(Message):
        """The turn was clicked: the transcript selects it (a message, so that this module
        need not import the transcript view that imports it)."""

        n: int

    def __init__(
        self, turn: Turn, *, raw: bool = False, expanded: bool = False, match: bool = False
    ) -> None:
        self.turn = turn
        self.is_tool = is_tool_turn(turn)
        self.raw = raw
        classes = f"turn -{turn.role if turn.role in ROLE_LABEL else 'assistant'}"
        if self.is_tool:
            classes += " -tool-call"
        if match:
            classes += " -match"
        super().__init__(id=f"turn-{turn.n}", classes=classes)
        self.set_reactive(TurnWidget.expanded, expanded and self.is_tool)

    @property
    def n(self) -> int:
        return self.turn.n

    def header(self) -> Text:
        t = self.turn
        label = ROLE_LABEL.get(t.role, t.role.upper())
        text = Text()
        if self.is_tool:
            text.append("▼ " if self.expanded else "▶ ", style="bold")
            kind = t.meta.get("kind")
            if kind == "tool_result":
                label = "RESULT"
            if t.meta.get("is_error"):
                label += " (error)"
        text.append(f" {label} ", style="reverse bold")
        name = t.meta.get("tool") or t.meta.get("name")
        if name:
            text.append(f" {one_line(str(name), 40)}", style="bold")
        text.append(f"  #{t.n}", style="dim")
        if t.ts:
            text.append(f"  {fmt_when(t.ts)[11:]}", style="dim")
        if self.is_tool and not self.expanded:
            text.append("  " + one_line(t.text, 90), style="italic")
        return text

    def compose(self) -> ComposeResult:
        yield Static(self.header(), classes="turn-header", markup=False)
        if not self.is_tool:
            markdown = not self.raw and self.turn.role in ("user", "assistant")
            yield TurnBody(self.turn.text, markdown=markdown)
        elif self.expanded:
            yield TurnBody(self.turn.text, markdown=False)

    def watch_expanded(self, expanded: bool) -> None:
        self.query_one(".turn-header", Static).update(self.header())
        if expanded and not self.query(TurnBody):
            self.mount(TurnBody(self.turn.text, markdown=False))
        else:
            for body in self.query(TurnBody):
                body.remove()

    def toggle(self) -> None:
        if self.is_tool:
            self.expanded = not self.expanded

    def on_click(self) -> None:
        self.post_message(self.Clicked(self.n))
        self.toggle()
