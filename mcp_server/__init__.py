"""The ctx MCP server (stdio), started by `ctx mcp`: a thin adapter over the ctx core."""
