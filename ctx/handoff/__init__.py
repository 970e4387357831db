"""Hand-off: continue a ctx session in an agent (`ctx resume`).

A ctx session — captured from any agent, imported, or pulled from a teammate — is rebuilt as the
target agent's own session file, where that agent looks for it, so the agent continues the
conversation with the earlier turns in its context. The rebuilt records carry a marker so that
capturing the continuation stores only the new turns, linked to the original (`continues`).
"""

from __future__ import annotations

from ctx.capture.adapters import RESUME_MARKER

__all__ = ["AGENTS", "RESUME_MARKER"]
AGENTS = ("claude", "codex", "gemini", "qwen", "opencode", "copilot")
