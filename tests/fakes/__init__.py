"""Fakes and harnesses for driving real AI CLIs in tests (import as ``fakes.<module>``).

- ``anthropic_server.FakeAnthropic``: a Messages API on 127.0.0.1 for Claude Code.
- ``openai_server.FakeOpenAI``: a chat-completions API on 127.0.0.1 for aider and friends.
- ``claude_harness``: finds the pinned Claude Code CLI and prepares a HOME for it.

``tests/`` is on sys.path under pytest (tests/conftest.py has no package), so tests import
these as ``from fakes.anthropic_server import FakeAnthropic``.
"""
