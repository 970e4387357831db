"""The ctx MCP server: lets AI tools search, read and write project context over stdio.

Started by `ctx mcp`. `schemas` (tool definitions), `args` (argument checks) and `tools`
(handlers over the headless core) import nothing heavy; only `server` imports the `mcp` SDK.
"""
