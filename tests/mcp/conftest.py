"""Fixtures for the MCP server tests: a project, and the official MCP client on stdio."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from ctx.store.project import Project


@pytest.fixture
def project(repo: Path) -> Project:
    """An initialised ctx project in a real git repository."""
    p = Project.open(repo, require_store=False)
    p.init()
    return Project.open(repo)


def server_env(**extra: str) -> dict[str, str]:
    """The test's isolated environment (HOME, XDG, CTX_*) for the server process."""
    env = {k: v for k, v in os.environ.items() if isinstance(v, str)}
    env.update(extra)
    return env


@asynccontextmanager
async def mcp_session(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[Any]:
    """`python -m ctx mcp ARGS` in a subprocess, connected through the SDK's stdio client."""
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "ctx", "mcp", *args],
        cwd=str(cwd),
        env=env or server_env(),
    )
    with open(os.devnull, "w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


def payload(result: Any) -> dict[str, Any]:
    """The structured result of a successful call (and its text is the same JSON)."""
    assert not result.is_error, result.content[0].text
    data = result.structured_content
    assert isinstance(data, dict)
    return data


def error_text(result: Any) -> str:
    assert result.is_error, f"expected an error, got {result.content[0].text[:300]}"
    text = result.content[0].text
    assert text.startswith("Error: ")
    return str(text)


def text_json(result: Any) -> Any:
    return json.loads(result.content[0].text)
