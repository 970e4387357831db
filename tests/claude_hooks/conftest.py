"""Fixtures for the live Claude Code hook tests.

``fakes.claude_harness`` is imported here, at collection time, so it resolves the real tools
cache before tests/conftest.py points HOME at a temp dir.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import claude_harness as harness


@pytest.fixture(scope="session")
def claude_bin() -> Path:
    try:
        return harness.find_or_install_claude()
    except harness.ClaudeNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
