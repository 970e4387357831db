"""`ctx browse` at 80x24, terminal sessions shown verbatim, the raw view kept, find keys,
and how to quit from a text box (Pilot, real store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Select

from ctx.tui.screens.transcript import TranscriptScreen
from ctx.tui.widgets.grid import Grid
from ctx.tui.widgets.turn import TurnBody
from tests.tui import scenes
from tests.tui.pilot import app_for, focused_turn, open_auth, open_memories, settle

pytestmark = pytest.mark.anyio
SMALL = (80, 24)


def footer_keys(app: object) -> dict[str, str]:
    """key -> description of what the footer offers right now."""
    screen = app.screen  # type: ignore[attr-defined]
    return {
        k: b.binding.description
        for k, b in screen.active_bindings.items()
        if b.binding.show and b.binding.description
    }


async def test_memories_content_gets_the_room_at_80x24(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_memories(pilot)
        grid = screen.query_one("#memories", Grid)
        widths = grid._layout()
        content = [c.key for c in grid.columns].index("content")
        assert widths[content] >= grid.size.width // 3
        assert sum(widths) + len(widths) + 1 <= grid.size.width  # nothing past the edge


async def test_sessions_filter_and_dropdowns_do_not_overlap(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        boxes = [screen.query_one("#filter", Input).region]
        boxes += [s.region for s in screen.query(Select)]
        assert len(boxes) == 3 and all(b.width >= 14 for b in boxes)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not a.overlaps(b), (a, b)
        assert max(b.right for b in boxes) <= SMALL[0]


async def test_transcript_at_80x24_hides_the_side_panel(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_auth(pilot)
        assert not screen.query_one("#info").display or screen.query_one("#info").size.width == 0
        assert screen.view.size.width >= 70
        await pilot.press("i")  # still one key away
        await pilot.pause()
        assert screen.query_one("#info").size.width > 0


async def test_terminal_session_is_verbatim_and_raw_choice_is_kept(
    store_repo: Path,
) -> None:
    sid = scenes.add_terminal_session(store_repo)
    app = app_for(store_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        from ctx.tui.messages import OpenSession

        await settle(pilot)
        app.post_message(OpenSession(sid, 0))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TranscriptScreen)
        body = screen.query_one(TurnBody)
        assert body.markdown is False
        shown = "\n".join(s.text for s in body.render_lines(body.region.reset_offset))
        for piece in ('"<stdin>", line 1, in <module>', "app/__init__.py", "*no* config"):
            assert piece in shown
        assert "# not a heading" in shown
        await pilot.press("escape")
        await settle(pilot)
        # the raw choice made in one session holds for the next one
        auth = await open_auth(pilot)
        assert any(b.markdown for b in auth.query(TurnBody))
        await pilot.press("r")
        await settle(pilot)
        assert not any(b.markdown for b in auth.query(TurnBody))
        await pilot.press("escape")
        await settle(pilot)
        again = await open_auth(pilot)
        assert again.view.raw and not any(b.markdown for b in again.query(TurnBody))


async def test_find_keys_in_the_box_and_after_it(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_auth(pilot)
        await pilot.press("slash", *"jwks")
        await pilot.pause()
        keys = footer_keys(app)
        assert keys.get("f3") == "Next match" and keys.get("escape") == "Close"
        assert "j" not in keys and "c" not in keys  # letters type into the box
        await pilot.press("f3")
        await pilot.pause()
        assert screen.view.current() == 1
        await pilot.press("f3")
        await pilot.pause()
        assert screen.view.current() == 5
        await pilot.press("n")  # in the box, n is a letter
        await pilot.pause()
        assert screen.query_one("#find", Input).value == "jwksn"
        await pilot.press("backspace", "escape")
        await pilot.pause()
        assert "n" in footer_keys(app)  # after leaving the box, n goes on
        await pilot.press("n")
        assert focused_turn(app) == 7


async def test_q_in_a_text_box_types_and_the_footer_says_ctrl_q(store_repo: Path) -> None:
    app = app_for(store_repo)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("2", *"keys q")
        await pilot.pause()
        assert app.screen.query_one("#query", Input).value == "keys q"
        assert app.is_running
        keys = footer_keys(app)
        assert keys.get("ctrl+q") == "Quit" and "q" not in keys
        await pilot.press("escape", "escape")
        await pilot.pause()
        if not isinstance(app.focused, Input):
            assert footer_keys(app).get("q") == "Quit"
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running
