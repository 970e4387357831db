"""The real Claude Code CLI calls ctx's MCP tools, registered with the documented line.

`claude mcp add ctx -- <venv>/bin/ctx mcp` (docs/mcp.md), then a `claude -p` run whose fake
model calls `context` and `remember`: the brief reaches the model, the memory reaches the store.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ctx.store.project import Project
from tests.fakes import claude_harness as harness
from tests.fakes.anthropic_server import FakeAnthropic, Reply, ToolCall

pytestmark = [pytest.mark.claude, pytest.mark.slow]

MARKER = "The billing service owns invoice numbering (ctx-mcp-live-51d2)"
LEARNED = "Invoices are numbered per tenant, never globally"


def test_claude_code_reads_and_writes_context_through_mcp(
    claude_bin: Path, project: Project, tmp_path: Path
) -> None:
    project.add_memory(MARKER, "decision")
    home = tmp_path / "claude-home"
    home.mkdir()
    ctx_exe = Path(sys.executable).parent / "ctx"
    replies: list[Reply | str] = [
        Reply(text="Checking the project context.", tool_calls=[ToolCall("mcp__ctx__context", {})]),
        Reply(
            tool_calls=[
                ToolCall(
                    "mcp__ctx__remember", {"content": LEARNED, "type": "fact", "tags": ["billing"]}
                )
            ]
        ),
        "Stored.",
    ]
    with FakeAnthropic(replies=replies) as server:
        env = harness.claude_env(home, project.root, server.url)
        add = subprocess.run(
            [str(claude_bin), "mcp", "add", "ctx", "--", str(ctx_exe), "mcp"],
            cwd=project.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert add.returncode == 0, add.stderr
        proc = harness.run_claude_print(
            claude_bin,
            "what do we know about invoices?",
            env,
            project.root,
            ["--allowedTools", "mcp__ctx__context,mcp__ctx__remember"],
        )
        requests = server.message_requests()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Stored."
    assert len(requests) == 3
    # Claude Code 2.1 lists MCP tools as "deferred" (names in the prompt, schemas on demand),
    # once the server has connected
    offered = "".join(r.texts() + str(r.body.get("tools")) for r in requests)
    for name in (
        "search",
        "remember",
        "recall",
        "list_sessions",
        "get_session",
        "context",
        "forget",
    ):
        assert f"mcp__ctx__{name}" in offered
    assert MARKER in requests[1].texts()  # the context tool's brief went back to the model
    assert LEARNED in requests[2].texts()  # remember's result, with the new id
    project.refresh()
    (mem,) = [m for m in project.list_memories() if m.content == LEARNED]
    assert mem.type == "fact" and mem.tags == ["billing"] and f'"{mem.id}"' in requests[2].texts()
