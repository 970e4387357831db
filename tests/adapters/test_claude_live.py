"""The real Claude Code CLI against the fake Anthropic server: -p mode, the TUI, the transcript."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from ctx.capture.adapters.claude import (
    encode_project_dir,
    find_transcripts,
    parse_claude_transcript,
)
from tests.adapters.adapters_support import (
    HOOK_MARKER,
    LIVE_FINAL,
    LIVE_FIRST,
    LIVE_PROMPT,
    LIVE_THINKING,
    LiveRun,
)
from tests.fakes import claude_harness as harness
from tests.fakes.anthropic_server import FakeAnthropic

# One xdist worker runs the whole module, so the shared `claude -p` run happens once.
pytestmark = [pytest.mark.claude, pytest.mark.slow, pytest.mark.xdist_group("claude-live")]

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(#\d+)?$")


def _transcript(run: LiveRun) -> Path:
    files = find_transcripts(run.project, home=run.home)
    assert len(files) == 1, files
    return files[0]


def test_print_mode_prints_the_fake_reply(live_print_run: LiveRun) -> None:
    proc = live_print_run.proc
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == LIVE_FINAL


def test_requests_carry_prompt_key_and_session_start_context(live_print_run: LiveRun) -> None:
    reqs = live_print_run.server.message_requests()
    assert len(reqs) == 3  # prompt, after the Read result, after the Bash result
    first = reqs[0]
    assert LIVE_PROMPT in first.texts()
    assert HOOK_MARKER in first.texts()  # the SessionStart hook's additionalContext
    headers = {k.lower(): v for k, v in first.headers.items()}
    assert headers["x-api-key"] == harness.FAKE_API_KEY
    assert first.body["stream"] is True
    # The tool results went back to the model.
    assert "bash-ran-ok" in reqs[2].texts()


def test_transcript_is_where_the_encoding_rule_says(live_print_run: LiveRun) -> None:
    path = _transcript(live_print_run)
    assert path.parent.name == encode_project_dir(live_print_run.project)
    assert path.parent.name == "-" + re.sub(r"[^A-Za-z0-9]", "-", str(live_print_run.project))[1:]
    assert path.parent.parent == live_print_run.home / ".claude" / "projects"


def test_find_transcripts_time_window(live_print_run: LiveRun) -> None:
    run = live_print_run
    assert find_transcripts(run.project, since=run.started - 1, home=run.home) == [_transcript(run)]
    assert find_transcripts(run.project, since=time.time() + 60, home=run.home) == []
    assert find_transcripts(run.project, until=run.started - 3600, home=run.home) == []


def test_live_transcript_parses_to_exact_turns(live_print_run: LiveRun) -> None:
    run = live_print_run
    path = _transcript(run)
    header, turns = parse_claude_transcript(path)

    assert header.tool == "claude"
    assert header.external_id == path.stem
    assert header.branch == "feature/live"
    assert header.cwd == str(run.project)
    assert header.meta["claude_version"] == harness.pinned_claude_version()
    assert header.meta["skipped"] == 0
    assert header.started_at and header.ended_at and header.started_at <= header.ended_at

    roles = [t.role for t in turns]
    assert roles == ["user", "assistant", "tool", "tool", "tool", "tool", "assistant"]
    user, first, read_call, read_result, bash_call, bash_result, final = turns
    assert user.text == LIVE_PROMPT
    assert first.text == LIVE_FIRST
    assert first.meta["thinking"] == LIVE_THINKING
    assert read_call.meta["tool"] == "Read" and "notes.txt" in read_call.text
    # 300 lines of notes are > 2 KB: the result keeps its head and says what was left out.
    assert read_result.meta["tool"] == "Read" and read_result.meta["truncated"] is True
    assert "line 0: RS256 keeps the signing key private" in read_result.text
    assert re.search(r"\[… \d+ bytes omitted\]$", read_result.text)
    assert len(read_result.text.encode()) < 2200
    assert bash_call.text == "[Bash] echo bash-ran-ok"
    assert bash_result.text == "bash-ran-ok"
    assert final.text == LIVE_FINAL

    ids = [t.id for t in turns]
    assert all(i and UUID.match(i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert all(t.ts for t in turns)


PONG = "PONG from the fake model, TUI edition."


def _tui(claude_bin: Path, tmp_path: Path, server: FakeAnthropic) -> tuple[harness.ClaudeTUI, Path]:
    home, project = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    project.mkdir()
    env = harness.claude_env(home, project, server.url)
    return harness.ClaudeTUI([str(claude_bin)], env, project), home


def test_tui_prompt_reply_and_exit(claude_bin: Path, tmp_path: Path) -> None:
    with FakeAnthropic(replies=[PONG]) as server:
        tui, home = _tui(claude_bin, tmp_path, server)
        try:
            tui.wait_ready()
            assert "trust" not in tui.text().lower()  # no dialog got in the way
            tui.send_prompt("ping through the pty", until=harness.busy_or(PONG))
            tui.wait_for(PONG)
            status = tui.exit("/exit")
        finally:
            tui.close()
    assert status == 0
    files = find_transcripts(tmp_path / "project", home=home)
    assert len(files) == 1
    _, turns = parse_claude_transcript(files[0])
    assert [(t.role, t.text) for t in turns] == [
        ("user", "ping through the pty"),
        ("assistant", PONG),
    ]


@pytest.mark.parametrize("how", ["ctrl-d", "ctrl-c"])
def test_tui_exits_on_double_control_key(claude_bin: Path, tmp_path: Path, how: str) -> None:
    with FakeAnthropic() as server:
        tui, _ = _tui(claude_bin, tmp_path, server)
        try:
            tui.wait_ready()
            status = tui.exit(how)
        finally:
            tui.close()
    assert status == 0
