"""Agents ctx has no session hooks for: how to give them the project context over MCP instead.

Checked against the CLIs the tests install: GitHub Copilot CLI 1.0.102 (`copilot mcp add NAME
-- CMD`, user config ~/.copilot/mcp-config.json, or a workspace `.mcp.json`) and aider (no MCP
client and no hooks: its history is imported with `ctx import aider`, or captured with `ctx wrap
aider`). (Qwen Code has hooks: `ctx hooks install --agent qwen`.) With `ctx mcp` registered
the agent can call the `context` tool (the same brief the hooks give) and `remember`.
"""

from __future__ import annotations

_COMMON = "then ask it to call the `context` tool at the start of a session (the same brief)"

INSTRUCTIONS = {
    "copilot": [
        "copilot: Copilot CLI has no session hooks ctx uses; register the MCP server instead:",
        "  copilot mcp add ctx -- ctx mcp",
        "  (or, for the whole team, a .mcp.json at the repository root: "
        '{"mcpServers": {"ctx": {"command": "ctx", "args": ["mcp"]}}})',
        f"  {_COMMON}; import its sessions with `ctx import copilot --all`",
    ],
    "aider": [
        "aider: aider has neither hooks nor an MCP client, so ctx cannot brief it at start;",
        "  capture its sessions with `ctx wrap aider`, or import them with `ctx import aider`",
    ],
}


def mcp_instructions(agent: str) -> list[str]:
    return list(INSTRUCTIONS[agent])
