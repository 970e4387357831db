"""aider's .aider.chat.history.md: parsing, reading only what a run appended, and real aider."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from ctx.capture.adapters import iso_ts
from ctx.capture.adapters.aider import history_path, history_since, parse_aider_history
from tests.adapters.adapters_support import FIXTURES
from tests.fakes import claude_harness as harness
from tests.fakes.openai_server import FakeOpenAI

HISTORY = FIXTURES / "aider" / "aider.chat.history.md"
SECOND_SESSION = b"\n# aider chat started at 2026-02-11 17:40:55"


def _local(raw: str) -> str | None:
    """aider writes local time; the parser turns it into UTC the same way."""
    return iso_ts(datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").astimezone().isoformat())


def test_parse_history_sessions_and_turns() -> None:
    (h1, t1), (h2, t2) = parse_aider_history(HISTORY)
    assert h1.tool == "aider"
    assert h1.started_at == _local("2026-02-10 09:15:02")
    assert h1.meta["model"] == "openai/gpt-4o-mini"
    assert h1.meta["aider_version"] == "0.86.2"
    assert h1.meta["banner"][0] == "/home/dev/.local/bin/aider --model openai/gpt-4o-mini"
    assert h1.cwd == str(HISTORY.resolve().parent)
    assert [(t.role, t.text) for t in t1] == [
        ("user", 'add a /health endpoint to app.py\nit should return {"status": "ok"}'),
        (
            "assistant",
            "I'll add the endpoint.\n\napp.py\n```python\n"
            "#### this comment line looks like a user line but sits in a code fence\n"
            "> and so does this one\n"
            '@app.get("/health")\ndef health():\n    return {"status": "ok"}\n```',
        ),
        (
            "tool",
            "Tokens: 1.2k sent, 85 received. Cost: $0.00023 message, $0.00023 session.\n"
            "Applied edit to app.py\nCommit 4f2a9c1 feat: add /health endpoint",
        ),
        ("system", "/run pytest -q"),  # a command, not something said to the model
        (
            "tool",
            "3 passed in 0.12s\nAdd command output to the chat? (Y)es/(N)o [Yes]: y\n"
            "Added 1 line of output to the chat.",
        ),
        ("user", "thanks"),
        ("assistant", "You're welcome."),
        ("tool", "Tokens: 1.4k sent, 5 received. Cost: $0.00021 message, $0.00044 session."),
    ]
    assert t1[2].meta == {"kind": "aider_output"}
    assert t1[3].meta == {"generated": "command", "command": "/run"}

    assert h2.started_at == _local("2026-02-11 17:40:55")
    assert h2.meta["model"] == "openai/gpt-4o"  # "Main model:" banner form
    assert [t.role for t in t2] == ["user", "assistant", "tool"]
    assert t2[1].text == "Because health checks come from the load balancer, which has no token."
    assert h1.external_id != h2.external_id
    assert parse_aider_history(HISTORY)[1][0].external_id == h2.external_id  # stable


def test_history_since_takes_only_the_appended_session() -> None:
    data = HISTORY.read_bytes()
    offset = data.index(SECOND_SESSION)  # the file's size before the second run
    header, turns, new_offset = history_since(HISTORY, offset)
    assert new_offset == len(data)
    assert header.started_at == _local("2026-02-11 17:40:55")
    assert turns[0].text == "why does /health skip auth?"
    assert len(turns) == 3
    # Nothing new since: no turns, offset unchanged.
    header, turns, again = history_since(HISTORY, new_offset)
    assert (turns, again) == ([], new_offset)


def test_history_since_leaves_a_line_being_written(tmp_path: Path) -> None:
    path = tmp_path / ".aider.chat.history.md"
    first = HISTORY.read_bytes()[: HISTORY.read_bytes().index(SECOND_SESSION)]
    path.write_bytes(first + b"\n# aider chat started at 2026-02-12 08:00:00\n\n#### half-typ")
    _, turns, off = history_since(path, len(first))
    assert turns == []
    assert path.read_bytes()[off:] == b"#### half-typ"
    with path.open("ab") as fh:
        fh.write(b"ed question  \n\nanswer text\n\n")
    header, turns, off2 = history_since(path, off)
    assert [(t.role, t.text) for t in turns] == [
        ("user", "half-typed question"),
        ("assistant", "answer text"),
    ]
    assert off2 == path.stat().st_size
    assert header.started_at is None  # the session line was consumed by the first call


def test_history_since_mid_line_and_replaced_file(tmp_path: Path) -> None:
    path = tmp_path / "h.md"
    shutil.copy(HISTORY, path)
    data = path.read_bytes()
    mid = data.index(b"why does /health") + 3  # inside a user line
    _, turns, _ = history_since(path, mid)
    assert [t.role for t in turns] == ["assistant", "tool"]  # the broken line is skipped
    header, turns, off = history_since(path, len(data) + 500)  # file shrank: re-read
    assert header.meta["reset"] is True
    assert off == len(data)
    assert turns[0].text.startswith("add a /health endpoint")
    assert header.meta["sessions"] == 2
    _, turns, off = history_since(tmp_path / "missing.md", 0)
    assert (turns, off) == ([], 0)


def test_history_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub" / "dir").mkdir(parents=True)
    assert history_path(repo / "sub" / "dir") == repo.resolve() / ".aider.chat.history.md"
    plain = tmp_path / "plain"
    plain.mkdir()
    assert history_path(plain) == plain.resolve() / ".aider.chat.history.md"
    monkeypatch.setenv("AIDER_CHAT_HISTORY_FILE", "logs/chat.md")
    assert history_path(plain) == plain / "logs" / "chat.md"


@pytest.mark.slow
def test_real_aider_against_fake_openai(aider_bin: Path, tmp_path: Path) -> None:
    """A real aider run appends to an existing history; only its part is read, by offset."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    hist = history_path(work)
    shutil.copy(HISTORY, hist)  # earlier sessions, as a previous run would have left them
    offset = hist.stat().st_size
    with FakeOpenAI(replies=["Fake reply: RS256 lets others verify with the public key."]) as srv:
        proc = subprocess.run(
            harness.aider_argv(aider_bin, srv.base_url, work, "why RS256 for JWT?"),
            cwd=work, env=harness.aider_env(home), capture_output=True, text=True,
            timeout=120, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Fake reply: RS256" in proc.stdout
        assert "why RS256 for JWT?" in srv.chat_requests()[-1].texts()
    assert "raw.githubusercontent" not in proc.stdout + proc.stderr  # nothing was fetched

    header, turns, new_offset = history_since(hist, offset)
    assert new_offset == hist.stat().st_size
    assert header.started_at is not None
    assert header.meta["model"] == "openai/gpt-4o-mini"
    assert header.meta["aider_version"] == harness.pinned_aider_version()
    assert [(t.role, t.text) for t in turns][:2] == [
        ("user", "why RS256 for JWT?"),
        ("assistant", "Fake reply: RS256 lets others verify with the public key."),
    ]
    assert turns[2].role == "tool" and turns[2].text.startswith("Tokens:")
    sessions = parse_aider_history(hist)
    assert len(sessions) == 3 and sessions[2][0].external_id == header.external_id


def test_commands_are_system_turns_and_speech_stays_the_users(tmp_path: Path) -> None:
    """`/exit`, `/add`, `!ls` are not speech; `/ask why?` is; `/etc/hosts ...` is not a command."""
    path = tmp_path / ".aider.chat.history.md"
    path.write_text(
        "\n# aider chat started at 2026-03-01 10:00:00\n\n"
        "#### /add app.py  \n\n> Added app.py to the chat  \n\n"
        "#### /ask why is the login slow?  \n\nBecause of bcrypt rounds.\n\n"
        "#### /etc/hosts is broken, fix it  \n\nDone.\n\n"
        "#### !ls  \n\n"
        "#### /ex  \n"
    )
    ((_header, turns),) = parse_aider_history(path)
    assert [(t.role, t.text, t.meta.get("command")) for t in turns] == [
        ("system", "/add app.py", "/add"),
        ("tool", "Added app.py to the chat", None),
        ("user", "/ask why is the login slow?", None),
        ("assistant", "Because of bcrypt rounds.", None),
        ("user", "/etc/hosts is broken, fix it", None),
        ("assistant", "Done.", None),
        ("system", "!ls", "!"),
        ("system", "/ex", "/ex"),
    ]
    assert all(t.meta.get("generated") == "command" for t in turns if t.role == "system")


@pytest.mark.slow
def test_real_aider_exit_command_is_not_stored_as_speech(aider_bin: Path, tmp_path: Path) -> None:
    """Interactive aider in a pty: the user asks, then types `/exit`. aider logs `#### /exit`
    like a message; the adapter makes it a system turn, the question stays the user's."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    reply = "Fake reply: because the public key verifies."
    with FakeOpenAI(replies=[reply]) as srv:
        tui = harness.ClaudeTUI(
            harness.aider_argv(aider_bin, srv.base_url, work), harness.aider_env(home), work
        )
        try:
            tui.wait_for(re.compile(r"^> ?$", re.M), timeout=90)
            tui.child.send("why RS256?\r")
            tui.wait_for(reply, timeout=60)
            tui.child.send("/exit\r")
            end = time.monotonic() + 30
            while tui.pump(0.2) and time.monotonic() < end:
                pass
        finally:
            tui.close()
    header, turns, _ = history_since(history_path(work), 0)
    assert [t.text for t in turns if t.role == "user"] == ["why RS256?"]
    assert ("system", "/exit") in [(t.role, t.text) for t in turns]
    assert header.meta["aider_version"] == harness.pinned_aider_version()
