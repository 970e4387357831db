"""The MCP glue: the official SDK's low-level `Server` on stdio, serving `mcp_server.tools`.

Why the low-level server and not `MCPServer` (ex-FastMCP): the schemas and annotations are
written out in `schemas.py` exactly as advertised, and every failure — bad arguments, unknown
ids, no store, a bug — becomes an `isError` result the model can read, never a dead server.
This module is the only one that imports `mcp` (heavy: ~1 s), and only `ctx mcp` imports it.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from ctx.core.errors import CtxError
from ctx.core.version import __version__
from mcp_server import schemas
from mcp_server.tools import ProjectHandle, call_tool

log = logging.getLogger("ctx.mcp")

INSTRUCTIONS = (
    "ctx stores this project's context — typed memories (decisions, facts, procedures, "
    "preferences) and past AI sessions — in the repository, shared by the team through git. "
    "Call `context` at the start of work, `search` before re-deciding or re-discovering "
    "something, and `remember` when you learn something a teammate or a later session would "
    "need. Ids: m-... are memories, s-... are sessions."
)
NOT_FOUND_ADVICE = "find ids with `search`, or `list_sessions` for sessions"


def tool_list() -> list[types.Tool]:
    return [
        types.Tool(
            name=t.name,
            title=t.title,
            description=t.description,
            input_schema=t.input_schema,
            annotations=types.ToolAnnotations.model_validate(t.annotations),
        )
        for t in schemas.TOOLS
    ]


def error_result(err: CtxError) -> types.CallToolResult:
    text = f"Error: {err.message}" + (f". Fix: {err.advice}" if err.advice else "")
    return types.CallToolResult(
        content=[types.TextContent(text=text)],
        structured_content={"error": err.code, "message": err.message, "advice": err.advice},
        is_error=True,
    )


def run_call(handle: ProjectHandle, name: str, arguments: Any) -> types.CallToolResult:
    """One tool call, every failure turned into an isError result."""
    try:
        out = call_tool(handle, name, arguments)
    except CtxError as err:
        if err.code == "not_found":  # the core's advice names CLI commands; name the tools
            err = CtxError(err.message, NOT_FOUND_ADVICE, code=err.code)
        return error_result(err)
    except Exception as exc:  # a bug in ctx: say so, keep serving
        from ctx.core.oserrors import resource_error

        resource = resource_error(exc)  # disk full, read-only...: the user's to fix
        if resource is not None:
            return error_result(resource)
        log.error("tool %s failed:\n%s", name, traceback.format_exc())
        return error_result(
            CtxError(
                f"internal error in ctx: {type(exc).__name__}: {exc}",
                "this is a bug in ctx; the server keeps running, please report it",
                code="internal",
            )
        )
    # Claude Code hands structuredContent (when present) to the model instead of the text, so
    # it is only set when the text is that same JSON; prose results (the brief) go as text.
    structured = json.loads(json.dumps(out.data, default=str)) if out.text is None else None
    return types.CallToolResult(
        content=[types.TextContent(text=out.render())], structured_content=structured
    )


def make_server(project_path: Path | None) -> Server[Any]:
    handle = ProjectHandle(project_path)
    lock = threading.Lock()  # the Project is not thread-safe: one call at a time
    tools = tool_list()

    async def on_list_tools(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    def _locked(name: str, arguments: Any) -> types.CallToolResult:
        with lock:
            return run_call(handle, name, arguments)

    async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        # Off the event loop: a first search may index for a while; pings must still work.
        return await anyio.to_thread.run_sync(_locked, params.name, params.arguments)

    return Server(
        "ctx",
        version=__version__,
        title="ctx project context",
        instructions=INSTRUCTIONS,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )


async def _serve(project_path: Path | None) -> None:
    server = make_server(project_path)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def serve(project_path: Path | None = None) -> int:
    """Serve MCP on stdin/stdout until the client closes the connection."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="ctx mcp: %(message)s")
    try:
        anyio.run(_serve, project_path)
    except KeyboardInterrupt:
        pass
    return 0
