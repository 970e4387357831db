"""Agents ctx has no session hooks for, and what to do instead.

aider (the pinned 0.86 line the tests install) has neither hooks nor an MCP client, so nothing
can hand it the brief at start: its sessions are stored by `ctx wrap aider` or `ctx import
aider`. Every other supported agent has hooks (`ctx hooks install --agent NAME`) and can also
use the MCP server (`ctx mcp`, whose `context` tool gives the same brief).
"""

from __future__ import annotations

INSTRUCTIONS = {
    "aider": [
        "aider: aider has neither hooks nor an MCP client, so ctx cannot brief it at start;",
        "  capture its sessions with `ctx wrap aider`, or import them with `ctx import aider`",
    ],
}


def mcp_instructions(agent: str) -> list[str]:
    return list(INSTRUCTIONS[agent])
