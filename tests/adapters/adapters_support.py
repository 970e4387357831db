"""Constants and types shared by the adapter tests and their conftest."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.anthropic_server import FakeAnthropic

FIXTURES = Path(__file__).parent / "fixtures"

# What the shared `claude -p` run asks and answers; tests assert on these exact strings.
LIVE_PROMPT = "Why did we pick RS256 for the JWT tokens? (ctx live test)"
LIVE_FINAL = "Because RS256 lets other services verify tokens with the public key only."
LIVE_FIRST = "Let me read the auth notes first."
LIVE_THINKING = "The answer is probably in notes.txt; read it."
HOOK_MARKER = "CTX-SESSIONSTART-MARKER-7f3a"


@dataclass
class LiveRun:
    home: Path
    project: Path
    server: FakeAnthropic
    proc: subprocess.CompletedProcess[str]
    started: float
    finished: float
    notes_size: int
