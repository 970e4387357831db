"""Fakes and harnesses for driving real AI CLIs in tests (``tests.fakes.<module>``).

- ``anthropic_server.FakeAnthropic``: a Messages API on 127.0.0.1 for Claude Code.
- ``openai_server.FakeOpenAI``: a chat-completions API on 127.0.0.1 for aider and friends.
- ``gemini_server.FakeGemini`` and ``responses_server.FakeResponses``: for Gemini CLI and Codex.
- ``base``: what the fakes share (loopback server thread, quiet JSON/SSE handler, reply queue).
- ``claude_harness``: finds the pinned Claude Code CLI and prepares a HOME for it; ``require``
  and ``tool_env`` serve the other harnesses (codex, gemini, opencode) too.

Import them as ``from tests.fakes.anthropic_server import FakeAnthropic`` (the repository root
is on sys.path through the editable install; pytest runs with --import-mode=importlib).
"""
