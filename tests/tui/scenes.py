"""The screens as the snapshot tests and the docs' screenshots show them: a store with fixed
data, and for each screen the keys that lead there. Shared, so the PNGs in docs/ are the
snapshots' screens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from tests.tui.pilot import settle as pilot_settle
from tests.tui.tui_data import AUTH_SESSION, fill_store, make_repo

SIZE = (120, 40)
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}  # every screen is snapshot at both
PROJECT = "acme-api"

# A `ctx wrap python` session (no transcript of its own: the screen, rendered): shown
# verbatim, never as Markdown (which would join the lines and eat <stdin> and __init__).
TERMINAL_OUTPUT = """$ python -c 'import app'
Traceback (most recent call last):
  File "<stdin>", line 1, in <module>
  File "app/__init__.py", line 3, in __init__
    raise ValueError("*no* config")
ValueError: *no* config
# not a heading
- not a list"""


# Search results must not depend on today's date (recency decay) nor on a model for the
# snapshot tests: keyword ranking without decay gives the same list on every run.
STABLE_SEARCH = '\n[search]\nmode = "keyword"\nhalf_life_days = 0\n'


def build(parent: Path, *, empty: bool = False, config: str = "", terminal: bool = False) -> Path:
    """`parent/acme-api`: a repository, with the fixed store unless `empty`; `config` is
    appended to the store's config.toml; `terminal` adds a terminal session."""
    root = make_repo(parent / PROJECT)
    if not empty:
        fill_store(root)
        if config:
            cfg = root / ".contextfs" / "config.toml"
            cfg.write_text(cfg.read_text() + config)
        if terminal:
            add_terminal_session(root)
    return root


def add_terminal_session(root: Path) -> str:
    from ctx.core.models import TranscriptHeader, TranscriptTurn
    from ctx.store.project import Project

    header = TranscriptHeader(
        tool="python",
        external_id="fixture-terminal",
        title="python -c 'import app'",
        started_at="2026-03-02T11:00:00Z",
        ended_at="2026-03-02T11:01:00Z",
        meta={"capture": "wrap", "adapter": "generic", "source": "terminal"},
    )
    turns = [TranscriptTurn("assistant", TERMINAL_OUTPUT, "2026-03-02T11:00:05Z")]
    project = Project.open(root)
    res = project.import_transcript(header, turns, source_key="fixture-terminal")
    assert res.session is not None
    return res.session.id


async def settle(pilot: Pilot[int], rounds: int = 3) -> None:
    await pilot_settle(pilot, rounds)
    # a blinking text cursor is on or off depending on when the picture is taken
    for widget in pilot.app.screen.query("*"):
        if getattr(widget, "cursor_blink", False):
            widget.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause()


async def sessions(pilot: Pilot[int]) -> None:
    await settle(pilot)


async def transcript(pilot: Pilot[int]) -> None:
    from ctx.tui.messages import OpenSession

    await settle(pilot)
    pilot.app.post_message(OpenSession(AUTH_SESSION, 1))
    await settle(pilot)


async def terminal(pilot: Pilot[int]) -> None:
    from ctx.core.ids import SESSION_PREFIX, derived_id
    from ctx.tui.messages import OpenSession

    await settle(pilot)
    sid = derived_id(SESSION_PREFIX, "python", "fixture-terminal")
    pilot.app.post_message(OpenSession(sid, 0))
    await settle(pilot)


async def transcript_find(pilot: Pilot[int]) -> None:
    await transcript(pilot)
    await pilot.press("home", "slash", *"jwks", "enter")
    await settle(pilot)


async def search(pilot: Pilot[int], query: str = "thumbnail") -> None:
    """ "thumbnail" is in one memory and one turn: the snapshot shows both kinds of hit and
    stays the same when the ranking of the search engine is tuned."""
    await settle(pilot)
    await pilot.press("2", *query, "enter")
    screen = pilot.app.screen
    for _ in range(200):  # the first query loads the model and indexes the store
        await settle(pilot, 1)
        if getattr(screen, "searches", 0):
            break
        await pilot.pause(0.05)
    await settle(pilot)


async def memories(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)
    await pilot.press("down")  # the decision
    await settle(pilot)


async def memory_editor(pilot: Pilot[int]) -> None:
    await memories(pilot)
    await pilot.press("e")
    await settle(pilot)


async def help_screen(pilot: Pilot[int]) -> None:
    await transcript(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


async def welcome(pilot: Pilot[int]) -> None:
    await settle(pilot)


async def search_docs(pilot: Pilot[int]) -> None:
    """The docs show a query with many hits of both kinds."""
    await search(pilot, "rotate signing keys")


SCENES: dict[str, Callable[[Pilot[int]], Awaitable[None]]] = {
    "sessions": sessions,
    "transcript": transcript,
    "transcript-find": transcript_find,
    "terminal": terminal,
    "search": search,
    "memories": memories,
    "memory-editor": memory_editor,
    "help": help_screen,
    "welcome": welcome,
}

# the screenshots in docs/ use these instead where a scene needs richer content
DOC_SCENES = {**SCENES, "search": search_docs}
