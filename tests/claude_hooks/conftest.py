"""Fixtures for the live Claude Code hook tests.

``claude_bin`` comes from tests/conftest.py, which imports ``fakes.claude_harness`` at
collection time, so it resolves the real tools cache before HOME points at a temp dir.
"""

from __future__ import annotations
