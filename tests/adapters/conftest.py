"""Fixtures for the adapter tests: the real Claude Code / aider binaries and shared live runs.

``fakes.claude_harness`` is imported here, at collection time, so it resolves the real tools
cache before tests/conftest.py points HOME at a temp dir.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.adapters.adapters_support import (
    HOOK_MARKER,
    LIVE_FINAL,
    LIVE_FIRST,
    LIVE_PROMPT,
    LIVE_THINKING,
    LiveRun,
)
from tests.fakes import claude_harness as harness
from tests.fakes.anthropic_server import FakeAnthropic, Reply, ToolCall


@pytest.fixture(scope="session")
def aider_bin() -> Path:
    return harness.require(harness.find_or_install_aider)


@pytest.fixture(scope="module")
def live_print_run(claude_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> LiveRun:
    """One real ``claude -p`` run shared by a module: a git repo on branch feature/live, a
    SessionStart hook that injects a marker, a thinking block, a Read of a large file and a
    Bash call, then a final text reply."""
    root = tmp_path_factory.mktemp("claude-live")
    home = root / "home"
    project = root / "proj.dir_with space-é"  # exercises the directory-name encoding
    home.mkdir()
    project.mkdir()
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "feature/live"], cwd=project, check=True)
    notes = project / "notes.txt"
    notes.write_text(
        "".join(f"line {i}: RS256 keeps the signing key private\n" for i in range(300))
    )
    subprocess.run([*git, "add", "notes.txt"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "notes"], cwd=project, check=True)

    hook = home / "session-start-hook.sh"
    hook.write_text(
        "#!/bin/sh\ncat >/dev/null\n"
        'printf \'{"hookSpecificOutput":{"hookEventName":"SessionStart",'
        f'"additionalContext":"{HOOK_MARKER}"}}}}\\n\'\n'
    )
    hook.chmod(0o755)
    harness.write_claude_settings(
        home, {"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": str(hook)}]}]}}
    )
    replies: list[Reply | str] = [
        Reply(
            text=LIVE_FIRST,
            thinking=LIVE_THINKING,
            tool_calls=[ToolCall("Read", {"file_path": str(notes)})],
        ),
        Reply(
            tool_calls=[ToolCall("Bash", {"command": "echo bash-ran-ok", "description": "echo"})]
        ),
        LIVE_FINAL,
    ]
    server = FakeAnthropic(replies=replies).start()
    try:
        env = harness.claude_env(home, project, server.url)
        started = time.time()
        proc = harness.run_claude_print(
            claude_bin, LIVE_PROMPT, env, project, ["--allowedTools", "Read,Bash"]
        )
        finished = time.time()
    finally:
        server.stop()
    return LiveRun(home, project, server, proc, started, finished, notes.stat().st_size)
