"""Fakes and harnesses for driving real AI CLIs in tests (``tests.fakes.<module>``).

- ``anthropic_server.FakeAnthropic``: a Messages API on 127.0.0.1 for Claude Code.
- ``openai_server.FakeOpenAI``: a chat-completions API on 127.0.0.1 for aider and friends.
- ``claude_harness``: finds the pinned Claude Code CLI and prepares a HOME for it.

Import them as ``from tests.fakes.anthropic_server import FakeAnthropic`` (the repository root
is on sys.path through the editable install; pytest runs with --import-mode=importlib).
"""
