"""`R` in `ctx browse`: the command that continues a session in an agent, the same as
`ctx resume` prints, for a Claude and a Codex target; errors as one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from ctx.tui.screens.resume import ResumeScreen
from ctx.tui.screens.sessions import SessionsScreen
from ctx.tui.screens.transcript import TranscriptScreen
from tests.tui.test_flows import app_for, settle, text_of
from tests.tui.tui_data import AUTH_SESSION, session_id

pytestmark = pytest.mark.anyio
FLAKY_SESSION = session_id("fixture-flaky", "codex")


def cli_resume(repo: Path, sid: str, agent: str) -> dict[str, object]:
    """What `ctx resume SID --agent A --json` says, run as the user would in the repository."""
    out = subprocess.run(
        [sys.executable, "-m", "ctx", "resume", sid, "--agent", agent, "--json"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


async def wait_build(pilot, dialog: ResumeScreen, count: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(50):
        await settle(pilot, 1)
        if dialog.builds >= count:
            return
    raise AssertionError("the rebuild never finished")


async def test_resume_from_the_table_and_the_transcript(
    store_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(store_repo)  # the agent starts here, as `ctx resume` assumes
    app = app_for(store_repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        assert screen.view[0].id == AUTH_SESSION  # newest first: the Claude session
        await pilot.press("R")
        dialog = app.screen
        assert isinstance(dialog, ResumeScreen)
        await wait_build(pilot, dialog, 1)
        want = cli_resume(store_repo, AUTH_SESSION, "claude")
        assert dialog.handoff is not None
        assert dialog.handoff.command == want["command"]
        assert str(want["command"]).startswith("claude --resume ")
        shown = text_of(dialog.query_one("#command", Static))
        assert want["command"] in shown.replace("\n", "")
        assert Path(str(want["path"])).is_file()  # the rebuilt session is where Claude looks
        assert app.clipboard == want["command"]  # copied for the user
        # the session's own agent is the default, and every other target can be picked
        agents = dialog.query_one("#agents", OptionList)
        names = [agents.get_option_at_index(i).id for i in range(agents.option_count)]
        assert names[0] == "claude" and {"codex", "gemini", "qwen"} <= set(names)
        await pilot.press("down", "enter")  # codex
        await wait_build(pilot, dialog, 2)
        want = cli_resume(store_repo, AUTH_SESSION, "codex")
        assert dialog.handoff is not None and dialog.handoff.command == want["command"]
        assert str(want["command"]).startswith("codex resume ")
        await pilot.press("escape")
        assert isinstance(app.screen, SessionsScreen)

        # a Codex session from its transcript: Codex is its own agent, so the default
        screen.table.move_cursor(
            next(i for i, r in enumerate(screen.view) if r.id == FLAKY_SESSION)
        )
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TranscriptScreen)
        await pilot.press("R")
        dialog = app.screen
        assert isinstance(dialog, ResumeScreen)
        await wait_build(pilot, dialog, 1)
        want = cli_resume(store_repo, FLAKY_SESSION, "codex")
        assert dialog.handoff is not None and dialog.handoff.command == want["command"]
        assert "the session's own agent" in text_of(dialog.query_one("#agents"))
        await pilot.press("escape")
        assert isinstance(app.screen, TranscriptScreen)


async def test_a_session_that_cannot_be_rebuilt_is_one_line(store_repo: Path) -> None:
    from ctx.core.models import TranscriptHeader
    from ctx.store.project import Project

    project = Project.open(store_repo)
    header = TranscriptHeader(
        tool="claude",
        external_id="empty",
        title="\x1b]0;pwned\x07[bold]empty[/bold]",
        started_at="2026-03-09T09:00:00Z",
    )
    project.import_transcript(header, [], source_key="empty")
    app = app_for(store_repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("R")  # the newest: the empty one
        dialog = app.screen
        assert isinstance(dialog, ResumeScreen)
        await wait_build(pilot, dialog, 1)
        error = text_of(dialog.query_one("#error", Static)).strip()
        assert "has no turns to continue" in error and "\n" not in error
        assert dialog.handoff is None
        # the pulled title is shown as written: no escape reaches the terminal, no markup
        detail = text_of(dialog.query_one(".dialog-detail", Static))
        assert "\\x1b]0;pwned\\x07[bold]empty[/bold]" in detail
        assert "\x1b" not in detail and "\x07" not in detail
