"""`ctx mcp`: the MCP server on stdio (for Claude Code, Claude Desktop, Cursor, ...)."""

from __future__ import annotations

from pathlib import Path

import typer

from ctx.cli import common


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp)


def mcp(
    project: Path | None = typer.Option(
        None,
        "--project",
        "-p",
        help="Serve this project (any path inside the repository). Default: the current "
        "directory, or `ctx -C PATH`.",
    ),
) -> int:
    """Serve this project's context over MCP on stdin/stdout (no network port).

    Register it with Claude Code: `claude mcp add ctx -- ctx mcp` (see docs/mcp.md).
    The server starts even before `ctx init`; its tools then say what to do.
    """
    import sys

    if sys.stdin.isatty():  # someone typed `ctx mcp`: say what is going on
        sys.stderr.write(
            "ctx mcp: MCP server on stdin/stdout, waiting for a client (Ctrl-C to stop). "
            "AI tools start it themselves: see docs/mcp.md\n"
        )
    from mcp_server.server import serve

    return serve(project or common.state.cwd)
