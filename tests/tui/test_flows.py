"""Pilot tests of each flow of `ctx browse`, on a real store written through the core."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, OptionList, Select, Static, TextArea

from ctx.tui.app import make_app
from ctx.tui.screens.dialogs import ConfirmScreen, MemoryEditor
from ctx.tui.screens.help import HelpScreen
from ctx.tui.screens.memories import MemoriesScreen
from ctx.tui.screens.search import SearchScreen
from ctx.tui.screens.sessions import SessionsScreen
from ctx.tui.screens.transcript import TranscriptScreen
from ctx.tui.screens.welcome import WelcomeScreen
from ctx.tui.widgets.turn import TurnBody, TurnWidget
from tests.tui.pilot import app_for, focused_turn, open_auth, open_memories, settle
from tests.tui.tui_data import ASSISTANT_MD, AUTH_SESSION, SIZE

pytestmark = pytest.mark.anyio


def ctx_json(cwd: Path, *args: str) -> object:
    """`ctx ARGS --json` in a separate process: what another user of the store sees."""
    out = subprocess.run(
        [sys.executable, "-m", "ctx", *args, "--json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def text_of(widget: Widget) -> str:
    """The text the widget shows on screen right now."""
    region = Region(0, 0, widget.size.width, widget.size.height)
    return "\n".join(line.text for line in widget.render_lines(region))


# ---- sessions ----------------------------------------------------------------------------
async def test_open_a_session_from_the_table(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        table = screen.table
        assert table.row_count == 3
        titles = [table.rows[i][2] for i in range(3)]
        assert titles == [
            "Pick a JWT signing algorithm",
            "Add full-text search to the API",
            "Fix the flaky upload test",
        ]
        assert "3 sessions" in text_of(screen.query_one("#status", Static))
        await pilot.press("enter")
        await settle(pilot)
        t = app.screen
        assert isinstance(t, TranscriptScreen) and t.session_id == AUTH_SESSION
        assert focused_turn(app) == 0
        info = text_of(t.query_one("#info", Static))
        assert "claude --model sonnet" in info and "main" in info and "27m10s" in info
        # user and assistant turns are rendered, with roles as classes the styles colour
        assert app.screen.query_one("#turn-0").has_class("-user")
        assert app.screen.query_one("#turn-1").has_class("-assistant")
        await pilot.press("escape")
        assert isinstance(app.screen, SessionsScreen)


async def test_filter_by_typing_tool_and_branch_and_sort(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        table = screen.table
        await pilot.press("slash", *"flaky")
        await pilot.pause(0.3)
        assert table.row_count == 1 and table.rows[0][2] == "Fix the flaky upload test"
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert table.row_count == 3 and screen.query_one("#filter", Input).value == ""

        # the tool filter opens as a list; choose an entry with the keyboard
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # past "Tool: all" to the first tool
        await settle(pilot)
        tool = screen.query_one("#tool", Select).value
        assert tool in ("aider", "claude", "codex")
        assert table.row_count == 1 and table.rows[0][1] == tool
        await pilot.press("escape")
        await pilot.pause()
        screen.query_one("#branch", Select).value = "main"
        await settle(pilot)
        assert sorted(r[2] for r in table.rows) == [
            "Fix the flaky upload test",
            "Pick a JWT signing algorithm",
        ]
        screen.action_clear()
        await pilot.pause()

        await pilot.press("s")  # next column after "when": tool, ascending
        await pilot.pause()
        assert [r[1] for r in table.rows] == ["aider", "claude", "codex"]
        await pilot.press("r")
        await pilot.pause()
        assert [r[1] for r in table.rows] == ["codex", "claude", "aider"]
        assert "sorted by tool, descending" in text_of(screen.query_one("#status", Static))


async def test_many_sessions_end_and_rendering(store_repo: Path) -> None:
    """Every session is in the table at once (it draws only what is on screen); End goes to
    the oldest, and the lines on screen are the rows around the cursor."""
    from ctx.core.models import TranscriptHeader, TranscriptTurn
    from ctx.store.project import Project

    project = Project.open(store_repo)
    for i in range(300):
        header = TranscriptHeader(
            tool="manual",
            external_id=f"bulk-{i}",
            title=f"bulk session {i:03d}",
            started_at=f"2025-01-01T{i // 60:02d}:{i % 60:02d}:00Z",
        )
        project.import_session(header, [TranscriptTurn("user", f"bulk question {i}")])
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        table = screen.table
        assert table.row_count == 303
        assert "303 sessions" in text_of(screen.query_one("#status", Static))
        await pilot.press("end")
        await pilot.pause()
        assert screen.highlighted_id() == screen.view[-1].id
        assert screen.view[-1].title == "bulk session 000"
        shown = text_of(table)
        assert "bulk session 000" in shown and "Pick a JWT" not in shown
        await pilot.press("home")
        await pilot.pause()
        assert "Pick a JWT signing algorithm" in text_of(table)


# ---- transcript --------------------------------------------------------------------------
async def test_jump_between_turns_and_user_turns(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        await open_auth(pilot)
        assert focused_turn(app) == 0
        await pilot.press("j")
        assert focused_turn(app) == 1
        await pilot.press("right_square_bracket")  # next user turn
        assert focused_turn(app) == 4
        await pilot.press("right_square_bracket")
        assert focused_turn(app) == 6
        await pilot.press("left_square_bracket")
        assert focused_turn(app) == 4
        await pilot.press("end")
        assert focused_turn(app) == 7
        await pilot.press("k")
        assert focused_turn(app) == 6
        await pilot.press("home")
        assert focused_turn(app) == 0
        status = text_of(app.screen.query_one("#status", Static))
        assert "turn 0" in status and "8 turns" in status


async def test_open_at_a_turn_and_tool_calls_collapsed(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_auth(pilot, turn=2)
        assert focused_turn(app) == 2
        tool_use = screen.query_one("#turn-2", TurnWidget)
        assert tool_use.is_tool and not tool_use.expanded
        assert not tool_use.query(TurnBody), "a tool call starts collapsed"
        assert "grep -rn jwt.encode" in text_of(tool_use.query_one(".turn-header", Static))
        await pilot.press("enter")
        await pilot.pause()
        assert tool_use.expanded and tool_use.query(TurnBody)
        await pilot.press("t")  # every tool call
        await pilot.pause()
        result = screen.query_one("#turn-3", TurnWidget)
        assert result.expanded and tool_use.expanded
        await pilot.press("t")
        await pilot.pause()
        assert not result.expanded and not tool_use.expanded


async def test_find_in_transcript(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_auth(pilot)
        await pilot.press("slash", *"jwks")
        await pilot.pause()
        assert screen.matches == [1, 5, 7]
        assert screen.query_one("#turn-5").has_class("-match")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.view.current() == 1
        await pilot.press("escape")  # closes the find bar, back on the turn
        await pilot.pause()
        assert not screen.query_one("#findbar").display
        assert focused_turn(app) == 1
        await pilot.press("n")
        assert focused_turn(app) == 5
        await pilot.press("n")
        assert focused_turn(app) == 7
        await pilot.press("N")
        assert focused_turn(app) == 5
        assert "3 matches for 'jwks'" in text_of(screen.query_one("#status", Static))


async def test_copy_a_turn(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        await open_auth(pilot, turn=1)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == ASSISTANT_MD
        notes = [n.message for n in app._notifications]
        assert any("Copied turn 1" in m for m in notes), notes


async def test_turn_a_turn_into_a_memory(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        await open_auth(pilot, turn=5)
        await pilot.press("m")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, MemoryEditor)
        assert editor.query_one(TextArea).text.startswith("Publish the new key in the JWKS")
        editor.query_one("#type", Select).value = "procedure"
        editor.query_one("#tags", Input).focus()
        await pilot.press(*"auth rotation")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TranscriptScreen)
    made = [m for m in ctx_json(store_repo, "memory", "list") if m["source_turn"] == 5]  # type: ignore[union-attr]
    assert len(made) == 1
    assert made[0]["type"] == "procedure" and made[0]["tags"] == ["auth", "rotation"]
    assert made[0]["source_session"] == AUTH_SESSION
    assert made[0]["content"].startswith("Publish the new key in the JWKS")


# ---- search ------------------------------------------------------------------------------
async def search_for(pilot: Pilot[int], query: str) -> SearchScreen:
    await settle(pilot)
    await pilot.press("2")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SearchScreen)
    await pilot.press(*query)
    await pilot.pause(0.4)  # the debounce
    for _ in range(100):
        await settle(pilot, 1)
        if screen.searches:
            break
        await pilot.pause(0.1)
    return screen


@pytest.fixture
def with_model(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Hybrid search with the real (local) embedding model."""
    monkeypatch.setenv("CTX_EMBED_MODEL_PATH", str(model_dir))
    return model_dir


async def test_search_and_open_a_turn_hit(store_repo: Path, with_model: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await search_for(pilot, "thumbnail worker")
        assert screen.hits, text_of(screen.query_one("#status", Static))
        kinds = {h.kind for h in screen.hits}
        assert kinds == {"memory", "turn"} or "turn" in kinds
        index = next(i for i, h in enumerate(screen.hits) if h.kind == "turn")
        hit = screen.hits[index]
        await pilot.press("down")  # from the query box to the results
        hits = screen.query_one(OptionList)
        assert hits.has_focus
        hits.highlighted = index
        await pilot.press("enter")
        await settle(pilot)
        t = app.screen
        assert isinstance(t, TranscriptScreen)
        assert t.session_id == hit.session_id and focused_turn(app) == hit.turn_n
        assert "thumbnail worker" in t.view.turns[focused_turn(app)].text
        await pilot.press("escape")
        assert app.screen is screen


async def test_search_and_open_a_memory_hit(store_repo: Path, with_model: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await search_for(pilot, "FTS5")
        index = next(i for i, h in enumerate(screen.hits) if h.kind == "memory")
        assert screen.hits[index].memory_id == "m-fixture0004"
        await pilot.press("down")
        screen.query_one(OptionList).highlighted = index
        await pilot.press("enter")
        await settle(pilot)
        mem = app.screen
        assert isinstance(mem, MemoriesScreen)
        assert mem.current() is not None and mem.current().id == "m-fixture0004"  # type: ignore[union-attr]
        assert "Prefer SQLite FTS5" in text_of(mem.query_one(TurnBody))


# ---- memories ----------------------------------------------------------------------------
async def test_memories_grouped_and_filtered_by_type_and_tag(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_memories(pilot)
        assert [m.type for m in screen.view] == ["fact", "decision", "procedure", "preference"]
        await pilot.press("number_sign")  # the tag list opens; "Tag: all", then by count
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert screen.query_one("#tag", Select).value == "auth"
        assert [m.id for m in screen.view] == ["m-fixture0001", "m-fixture0002"]
        screen.query_one("#type", Select).value = "procedure"
        await pilot.pause()
        assert [m.id for m in screen.view] == ["m-fixture0002"]
        await pilot.press("escape")
        await pilot.press("slash", *"thumbnail")
        await pilot.pause(0.3)
        assert [m.id for m in screen.view] == ["m-fixture0003"]


async def test_edit_a_memory(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_memories(pilot)
        screen.table.move_cursor(1)  # the decision
        await pilot.pause()
        assert screen.current().id == "m-fixture0001"  # type: ignore[union-attr]
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, MemoryEditor)
        assert editor.query_one("#tags", Input).value == "auth jwt"
        editor.query_one(TextArea).load_text("We sign JWTs with EdDSA since March.")
        editor.query_one("#tags", Input).value = "auth, jwt, crypto"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MemoriesScreen)
        assert screen.current().content == "We sign JWTs with EdDSA since March."  # type: ignore[union-attr]

        # an invalid tag is refused by the core: the editor says why and stays open
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#tags", Input).value = "not/ok tag!"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MemoryEditor)
        assert "invalid tag" in text_of(app.screen.query_one("#error", Static))
        await pilot.press("escape")
    shown = ctx_json(store_repo, "memory", "show", "m-fixture0001")
    assert shown["content"] == "We sign JWTs with EdDSA since March."  # type: ignore[index]
    assert shown["tags"] == ["auth", "crypto", "jwt"]  # type: ignore[index]


async def test_delete_a_memory_with_confirmation(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_memories(pilot)
        first = screen.current()
        assert first is not None and first.id == "m-fixture0003"
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # changed my mind
        await settle(pilot)
        assert len(screen.memories) == 4
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MemoriesScreen)
        assert [m.id for m in screen.memories if m.id == "m-fixture0003"] == []
        assert screen.table.row_count == 3
    ids = [m["id"] for m in ctx_json(store_repo, "memory", "list")]  # type: ignore[union-attr]
    assert "m-fixture0003" not in ids and len(ids) == 3


# ---- feel --------------------------------------------------------------------------------
async def test_help_screen_and_palette_list_every_action(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        await open_auth(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        text = " ".join(text_of(s) for s in help_screen.query(Static))
        assert "Jump to the next turn the user wrote" in text
        await pilot.press("escape")
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for b in TranscriptScreen.BINDINGS:
            assert f"Session: {b.description}" in titles  # type: ignore[union-attr]
        assert {"Go: Sessions", "Go: Search", "Go: Memories", "Help"} <= titles


async def test_empty_store_says_how_to_start(empty_repo: Path) -> None:
    from ctx.store.project import Project

    app = app_for(empty_repo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        text = text_of(app.screen.query_one("#welcome-text", Static))
        assert "ctx init" in text and "ctx wrap -- claude" in text
        Project.open(empty_repo, require_store=False).init()  # as if `ctx init` ran elsewhere
        app.poll()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        assert screen.query_one("#empty").display
        assert "No sessions yet" in text_of(screen.query_one("#empty", Static))
        await pilot.press("3")
        await settle(pilot)
        assert "No memories yet" in text_of(app.screen.query_one("#empty", Static))


async def test_changes_by_another_process_show_up(store_repo: Path) -> None:
    app = make_app(store_repo, refresh_interval=0.2, theme="dark")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_memories(pilot)
        assert len(screen.memories) == 4
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ctx",
                "memory",
                "add",
                "Deploys happen on Tuesdays",
                "--type",
                "fact",
                "--tag",
                "ops",
            ],
            cwd=store_repo,
            check=True,
            capture_output=True,
        )
        for _ in range(50):
            await pilot.pause(0.1)
            await settle(pilot, 1)
            if len(screen.memories) == 5:
                break
        assert any(m.content == "Deploys happen on Tuesdays" for m in screen.memories)

        # a memory removed elsewhere while it is being edited: an error, not a crash
        await pilot.press("e")
        await pilot.pause()
        editing = screen.current()
        assert editing is not None
        subprocess.run(
            [sys.executable, "-m", "ctx", "memory", "rm", "--yes", editing.id],
            cwd=store_repo,
            check=True,
            capture_output=True,
        )
        app.screen.query_one(TextArea).load_text("too late")
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = text_of(app.screen.query_one("#error", Static))
        assert "no memory matches" in error or "removed meanwhile" in error, error
        await pilot.press("escape")
        for _ in range(50):
            await pilot.pause(0.1)
            await settle(pilot, 1)
            if all(m.id != editing.id for m in screen.memories):
                break
        assert all(m.id != editing.id for m in screen.memories)

        # the sessions table picks up a session captured meanwhile
        await pilot.press("1")
        await settle(pilot)
        sessions = app.screen
        assert isinstance(sessions, SessionsScreen)
        subprocess.run(
            [sys.executable, "-m", "ctx", "capture", "--tool", "manual", "--title", "Live one"],
            cwd=store_repo,
            check=True,
            capture_output=True,
        )
        for _ in range(50):
            await pilot.pause(0.1)
            await settle(pilot, 1)
            if len(sessions.rows) == 4:
                break
        assert any(r.title == "Live one" and r.status == "open" for r in sessions.rows)


def test_browse_needs_a_terminal(store_repo: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ctx", "browse"],
        cwd=store_repo,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 1
    assert "needs an interactive terminal" in out.stderr
