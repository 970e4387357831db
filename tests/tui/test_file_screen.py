"""The file screen (`ctx why FILE` in `ctx browse`): reached from a turn whose tool call wrote
the file and from `w`; lists the session and the memories linked to it in a real repository
with real commits, decisions first, stale ones marked, pulled text shown literally."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from ctx.core.models import TranscriptHeader, TranscriptTurn
from ctx.store.project import Project
from ctx.tui.screens.filepick import FilePicker
from ctx.tui.screens.files import FileScreen
from ctx.tui.screens.memories import MemoriesScreen
from ctx.tui.screens.sessions import SessionsScreen
from ctx.tui.screens.transcript import TranscriptScreen
from tests.conftest import git
from tests.tui.test_flows import app_for, settle, text_of
from tests.tui.tui_data import session_id

pytestmark = pytest.mark.anyio
FILE = "src/auth/tokens.py"
HOSTILE = "\x1b]0;pwned\x07[bold]Sign the tokens[/bold]"
TOKENS_SESSION = session_id("tokens", "claude")
CODE = "ALGORITHM = 'RS256'\nKEY_BITS = 2048\n"


def link_a_file(root: Path) -> tuple[str, str, str]:
    """A teammate's session wrote FILE (an absolute path of their machine), the commit names
    it in a trailer; a fact from that session (it cites the session's files), a decision citing
    line 2, which then changes, and a preference that only names the file."""
    project = Project.open(root)
    header = TranscriptHeader(
        tool="claude",
        external_id="tokens",
        title=HOSTILE,
        started_at="2026-03-05T10:00:00Z",
        ended_at="2026-03-05T10:20:00Z",
        branch="main",
    )
    other = f"/home/ada/work/proj/{FILE}"
    turns = [
        TranscriptTurn("user", "Write the token signer", ts="2026-03-05T10:00:00Z"),
        TranscriptTurn(
            "tool",
            f"[Write] {other}",
            ts="2026-03-05T10:01:00Z",
            meta={
                "kind": "tool_use",
                "tool": "Write",
                "input": {"file_path": other, "content": CODE},
            },
        ),
        TranscriptTurn("assistant", "Done: the signer uses RS256.", ts="2026-03-05T10:02:00Z"),
    ]
    project.import_transcript(header, turns, source_key="tokens")
    (root / "src" / "auth").mkdir(parents=True)
    (root / FILE).write_text(CODE)
    git(root, "add", FILE)
    git(root, "commit", "-q", "-m", f"Sign tokens with RS256\n\nCtx-Session: {TOKENS_SESSION}")
    project.refresh_git()
    fact = project.add_memory(
        "The signer module holds the private key", "fact", source_session=TOKENS_SESSION
    )
    decision = project.add_memory(
        f"We sign JWTs in {FILE} with 2048-bit keys [red]only[/red]",
        "decision",
        cites=[f"{FILE}:2"],
    )
    (root / FILE).write_text(CODE.replace("2048", "4096"))
    git(root, "commit", "-qam", "Longer keys")
    pref = project.add_memory("Keep tokens.py free of I/O", "preference")
    return fact.id, decision.id, pref.id


def lines_of(screen: FileScreen) -> str:
    ol = screen.query_one("#links", OptionList)
    return text_of(ol)


async def wait_loaded(pilot, screen: FileScreen) -> None:  # type: ignore[no-untyped-def]
    for _ in range(100):
        await settle(pilot, 1)
        if screen.loads:
            return
    raise AssertionError("the file screen never loaded")


async def test_from_a_turn_to_the_file_and_back(store_repo: Path) -> None:
    fact, decision, pref = link_a_file(store_repo)
    app = app_for(store_repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        sessions = app.screen
        assert isinstance(sessions, SessionsScreen)
        row = next(i for i, r in enumerate(sessions.view) if r.id == TOKENS_SESSION)
        assert sessions.view[row].cells[2] == "\\x1b]0;pwned\\x07[bold]Sign the tokens[/bold]"
        assert "\x1b" not in text_of(sessions.table) and "pwned" in text_of(sessions.table)
        sessions.table.move_cursor(row)
        await pilot.press("enter")
        await settle(pilot)
        transcript = app.screen
        assert isinstance(transcript, TranscriptScreen)
        # the title bar shows the pulled title as written
        title = text_of(transcript.query_one("#title", Static))
        assert "\\x1b]0;pwned\\x07[bold]Sign the tokens" in title and "\x1b" not in title
        # turn 0 (the request) touched no file: a picker of the session's files says so
        await pilot.press("f")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, FilePicker)
        assert picker.files == [FILE]  # the teammate's absolute path, as the repository's file
        assert "turn 0 touched no file" in text_of(picker.query_one(".dialog-note", Static))
        await pilot.press("escape")
        assert app.screen is transcript
        await pilot.click("#turn-1")  # turn 1, the Write call: a click selects it
        await settle(pilot)
        assert transcript.view.selected == 1
        await pilot.press("f")  # one file: straight to its screen
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FileScreen), screen
        await wait_loaded(pilot, screen)
        assert screen.links is not None and screen.links.path == FILE
        assert [s.id for s in screen.links.sessions] == [TOKENS_SESSION]
        assert screen.links.sessions[0].how == "trailer"
        # decisions first; the one whose cited line changed is marked
        assert [m.id for m in screen.links.memories] == [decision, fact, pref]
        assert [m.stale for m in screen.links.memories] == [True, True, False]
        shown = lines_of(screen)
        assert "\\x1b]0;pwned\\x07[bold]Sign the tokens[/bold]" in shown
        assert "\x1b" not in shown and "\x07" not in shown
        assert "[may be stale]" in shown and "[red]only[/red]" in shown
        assert "DECISION" in shown and "FACT" in shown
        assert shown.index("DECISION") < shown.index("FACT")
        status = text_of(screen.query_one("#status", Static))
        assert "1 session · 3 memories" in status and "2 may be stale" in status

        # Enter on the session: its transcript at the turn that wrote the line
        await pilot.press("enter")
        await settle(pilot)
        opened = app.screen
        assert isinstance(opened, TranscriptScreen) and opened.session_id == TOKENS_SESSION
        assert opened.view.selected == 1
        await pilot.press("escape")
        assert app.screen is screen
        # Enter on the decision: the memories screen with it selected
        await pilot.press("down", "enter")
        await settle(pilot)
        memories = app.screen
        assert isinstance(memories, MemoriesScreen)
        assert memories.highlighted_id() == decision


async def test_w_asks_for_a_path(
    store_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link_a_file(store_repo)
    monkeypatch.chdir(store_repo / "src")  # a path typed relative to here, as `ctx why` takes
    app = app_for(store_repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await pilot.pause()
        prompt = app.screen.query_one("#path", Input)
        assert prompt.has_focus
        await pilot.press(*"auth/tokens.py", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FileScreen)
        await wait_loaded(pilot, screen)
        assert screen.links is not None and screen.links.path == FILE
        assert "1 session ·" in text_of(screen.query_one("#status", Static))

        # a file with no history and a path outside the repository: one line, no crash
        await pilot.press("escape", "w", *"../README.md", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FileScreen)
        await wait_loaded(pilot, screen)
        assert screen.links is not None and not screen.targets
        assert "No session or memory is linked to README.md" in lines_of(screen)
        await pilot.press("escape", "w", *"/etc/passwd", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FileScreen)
        await wait_loaded(pilot, screen)
        assert screen.links is None
        assert "no history for /etc/passwd" in text_of(screen.query_one("#status", Static))

        # started elsewhere (`ctx -C REPO browse`): a typed path is the repository's
        monkeypatch.chdir(tmp_path)
        await pilot.press("escape", "w", *FILE, "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FileScreen)
        await wait_loaded(pilot, screen)
        assert screen.links is not None and screen.links.path == FILE
