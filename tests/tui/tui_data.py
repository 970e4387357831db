"""Fixed data for the TUI tests: a real repository and store with fixed ids and times, so that
the screens (and their SVG snapshots) are the same on every run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ctx.core.models import TranscriptHeader, TranscriptTurn

FIXED_DATE = "2026-03-02T09:00:00+00:00"
SIZE = (120, 36)


def make_repo(root: Path) -> Path:
    """A git repository whose one commit has a fixed hash (fixed dates, fixed identity)."""
    root.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": FIXED_DATE,
        "GIT_COMMITTER_DATE": FIXED_DATE,
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (root / "README.md").write_text("hello\n")
    git("add", "README.md")
    git("commit", "-q", "-m", "initial")
    return root


ASSISTANT_MD = """\
We should sign the tokens with **RS256**: the API gateway only needs the public key.

Key points:

- rotate keys every 90 days
- publish them in a JWKS endpoint

```python
import jwt

token = jwt.encode(claims, private_key, algorithm="RS256")
```
"""

SESSIONS: list[tuple[TranscriptHeader, list[TranscriptTurn]]] = [
    (
        TranscriptHeader(
            tool="claude",
            external_id="fixture-auth",
            title="Pick a JWT signing algorithm",
            started_at="2026-03-02T09:15:00Z",
            ended_at="2026-03-02T09:42:10Z",
            cwd=".",
            branch="main",
            command=["claude", "--model", "sonnet"],
            exit_status=0,
        ),
        [
            TranscriptTurn(
                "user", "Which algorithm should we use to sign our JWTs?", ts="2026-03-02T09:15:00Z"
            ),
            TranscriptTurn("assistant", ASSISTANT_MD, ts="2026-03-02T09:15:20Z"),
            TranscriptTurn(
                "tool",
                "[Bash] grep -rn jwt.encode src/",
                ts="2026-03-02T09:16:00Z",
                meta={"kind": "tool_use", "tool": "Bash"},
            ),
            TranscriptTurn(
                "tool",
                "src/auth/tokens.py:12: token = jwt.encode(claims, SECRET, algorithm='HS256')",
                ts="2026-03-02T09:16:01Z",
                meta={"kind": "tool_result", "tool": "Bash"},
            ),
            TranscriptTurn(
                "user", "And how do we rotate the signing keys?", ts="2026-03-02T09:30:00Z"
            ),
            TranscriptTurn(
                "assistant",
                "Publish the new key in the JWKS first, then start signing with it a day later.",
                ts="2026-03-02T09:30:30Z",
            ),
            TranscriptTurn(
                "user", "Thanks, write that down as a decision.", ts="2026-03-02T09:42:00Z"
            ),
            TranscriptTurn(
                "assistant",
                "Done: RS256, keys rotated every 90 days via JWKS.",
                ts="2026-03-02T09:42:10Z",
            ),
        ],
    ),
    (
        TranscriptHeader(
            tool="aider",
            external_id="fixture-search",
            title="Add full-text search to the API",
            started_at="2026-03-01T14:00:00Z",
            ended_at="2026-03-01T15:05:00Z",
            branch="feature/search",
            command=["aider", "--model", "gpt-4o"],
            exit_status=0,
        ),
        [
            TranscriptTurn(
                "user", "Add a /search endpoint backed by SQLite FTS5.", ts="2026-03-01T14:00:00Z"
            ),
            TranscriptTurn(
                "assistant",
                "I added `GET /search?q=` using an FTS5 virtual table.",
                ts="2026-03-01T14:02:00Z",
            ),
        ],
    ),
    (
        TranscriptHeader(
            tool="codex",
            external_id="fixture-flaky",
            title="Fix the flaky upload test",
            started_at="2026-02-27T10:30:00Z",
            ended_at="2026-02-27T10:41:00Z",
            branch="main",
            command=["codex"],
            exit_status=1,
        ),
        [
            TranscriptTurn(
                "user", "test_upload fails one time in ten, why?", ts="2026-02-27T10:30:00Z"
            ),
            TranscriptTurn(
                "assistant",
                "The test races the thumbnail worker; await the job.",
                ts="2026-02-27T10:31:00Z",
            ),
        ],
    ),
]

MEMORIES = [
    (
        "m-fixture0001",
        "decision",
        "We sign JWTs with RS256; keys rotate every 90 days via JWKS.",
        ["auth", "jwt"],
        "2026-03-02T09:45:00.000Z",
    ),
    (
        "m-fixture0002",
        "procedure",
        "To rotate keys: publish the new key in the JWKS, wait a day, then switch the signer.",
        ["auth", "ops"],
        "2026-03-02T09:50:00.000Z",
    ),
    (
        "m-fixture0003",
        "fact",
        "The upload test raced the thumbnail worker.",
        ["tests"],
        "2026-02-27T10:45:00.000Z",
    ),
    (
        "m-fixture0004",
        "preference",
        "Prefer SQLite FTS5 over an external search server.",
        ["search"],
        "2026-03-01T15:10:00.000Z",
    ),
]


def fill_store(root: Path) -> None:
    """Sessions and memories with fixed ids and times, written through the core."""
    import ctx.store.memories as memories_module
    from ctx.store.project import Project

    project = Project.open(root, require_store=False)
    project.init()
    for header, turns in SESSIONS:
        project.import_transcript(header, turns, source_key=str(header.external_id))
    # a memory records "updated now": pin that clock while writing, so screens show fixed times
    real_now = memories_module.now_iso
    try:
        for mid, mtype, content, tags, created in MEMORIES:
            memories_module.now_iso = lambda created=created: created  # type: ignore[misc]
            project.add_memory(content, mtype, tags, memory_id=mid, created_at=created)
    finally:
        memories_module.now_iso = real_now


def session_id(external_id: str, tool: str) -> str:
    from ctx.core.ids import SESSION_PREFIX, derived_id

    return derived_id(SESSION_PREFIX, tool, external_id)


AUTH_SESSION = session_id("fixture-auth", "claude")
SEARCH_SESSION = session_id("fixture-search", "aider")
