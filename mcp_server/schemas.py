"""The tools the ctx MCP server offers: names, descriptions, JSON schemas and annotations.

Plain data (no `mcp` import) so tests, docs and the argument checker read the same source of
truth the server advertises. Descriptions are written for the model that calls the tools:
what the tool is for, when to use it, and what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ctx.core.models import MEMORY_TYPES

SEARCH_MAX_LIMIT = 50
LIST_MAX_LIMIT = 100
TURNS_MAX_LIMIT = 200
CONTEXT_MAX_CHARS = 20_000
CONTEXT_DEFAULT_CHARS = 4000

_ID = {"type": "string", "minLength": 1, "maxLength": 200}
_TIME_DESC = (
    "a duration back from now (30min, 12h, 7d, 2w, 3mo), `today`, `yesterday`, or an ISO date/time"
)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool
    destructive: bool = False
    idempotent: bool = False

    @property
    def annotations(self) -> dict[str, Any]:
        """MCP tool annotations (hints for clients that ask before running tools)."""
        out: dict[str, Any] = {
            "title": self.title,
            "readOnlyHint": self.read_only,
            "openWorldHint": False,
        }
        if not self.read_only:
            out["destructiveHint"] = self.destructive
            out["idempotentHint"] = self.idempotent
        return out


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _str(desc: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": desc, **extra}


def _int(desc: str, minimum: int, maximum: int, default: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "integer",
        "description": desc,
        "minimum": minimum,
        "maximum": maximum,
    }
    if default is not None:
        out["default"] = default
    return out


_TYPES = {"type": "string", "enum": list(MEMORY_TYPES)}

SEARCH = ToolSpec(
    name="search",
    title="Search project context",
    description=(
        "Search this project's stored context: typed memories (decisions, facts, procedures, "
        "preferences, episodes) and the turns of past AI sessions (Claude Code, aider, ...), with "
        "hybrid keyword + semantic ranking. Use it before re-deciding or re-discovering "
        "something: 'why did we pick RS256', 'how do we run the migrations'. Each hit says "
        "where it came from (memory id, or session id and turn number), who, when and on which "
        "branch, with a snippet in which matched words are marked «like this». Follow up with "
        "`recall` (a memory in full) or `get_session` (the turns around a hit)."
    ),
    input_schema=_obj(
        {
            "query": _str(
                "What to look for, in natural language or keywords.", minLength=1, maxLength=2000
            ),
            "type": {
                "description": "Only memories of these types (one type or a list); no turns.",
                "anyOf": [_TYPES, {"type": "array", "items": _TYPES, "minItems": 1}],
            },
            "tag": {
                "description": "Only results carrying every one of these tags (one tag or a list).",
                "anyOf": [
                    {"type": "string", "minLength": 1},
                    {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
                ],
            },
            "kind": _str("Only memories or only session turns.", enum=["memory", "turn"]),
            "since": _str(f"Only results from this time on: {_TIME_DESC}."),
            "until": _str(f"Only results up to this time: {_TIME_DESC}."),
            "session": _str("Only turns of this session (id or unique id prefix).", minLength=1),
            "tool": _str(
                "Only turns of sessions captured from this AI tool (claude, aider, codex, ...).",
                minLength=1,
            ),
            "branch": _str("Only results recorded on this git branch.", minLength=1),
            "author": _str(
                "Only results by this author (as git records it: 'Name <email>').", minLength=1
            ),
            "mode": _str(
                "Ranking: hybrid (default; keyword + semantic fused), keyword (exact words, BM25), "
                "semantic (meaning only).",
                enum=["hybrid", "keyword", "semantic"],
                default="hybrid",
            ),
            "limit": _int(f"How many hits (1-{SEARCH_MAX_LIMIT}).", 1, SEARCH_MAX_LIMIT, 10),
        },
        ["query"],
    ),
    read_only=True,
)

REMEMBER = ToolSpec(
    name="remember",
    title="Remember for this project",
    description=(
        "Store a durable memory in this project's shared context (committed with the code, so "
        "the whole team and future sessions find it). Use it for what someone would otherwise "
        "have to rediscover: a decision and its reason, a fact about the codebase or its "
        "environment, a procedure that works, a preference of the user. One memory per idea; "
        "write it so it stands alone. Secrets are redacted before anything is stored. "
        "Returns the new memory with its id, and `similar`: existing memories that say nearly "
        "the same (consider `supersedes`, or editing that one instead)."
    ),
    input_schema=_obj(
        {
            "content": _str(
                "The memory itself: one self-contained statement or short note.",
                minLength=1,
                maxLength=100_000,
            ),
            "type": _str(
                "decision (a choice and why), fact (how things are), procedure (how to do "
                "something), preference (how the user likes things), episode (a summary of what "
                "happened).",
                enum=list(MEMORY_TYPES),
                default="fact",
            ),
            "tags": {
                "type": "array",
                "description": 'Short topic words without spaces, e.g. ["auth", "jwt"].',
                "items": {"type": "string", "minLength": 1, "maxLength": 64},
                "maxItems": 20,
            },
            "source_session": _str(
                "The session this was learned in (id or unique prefix), if any.", minLength=1
            ),
            "source_turn": _int(
                "The turn number (0-based) in source_session, if any.", 0, 10_000_000
            ),
            "cites": {
                "type": "array",
                "description": "Code this memory is about, repository-relative: PATH or "
                'PATH:START-END, e.g. ["src/auth.py:10-42"]. When those lines change, the '
                "memory is flagged as may be stale.",
                "items": {"type": "string", "minLength": 1, "maxLength": 500},
                "maxItems": 50,
            },
            "supersedes": _str(
                "The id of a memory this one replaces (it then ranks below this one).",
                minLength=1,
            ),
        },
        ["content"],
    ),
    read_only=False,
    destructive=False,
    idempotent=False,
)

RECALL = ToolSpec(
    name="recall",
    title="Recall a memory",
    description=(
        "Return one memory in full (content, type, tags, author, branch, commit, times, and the "
        "session/turn it came from), by its id (m-...) or a unique prefix of at least 4 "
        "characters, as search results give it."
    ),
    input_schema=_obj(
        {"id": {**_ID, "description": "The memory id, e.g. m-abc123def456."}}, ["id"]
    ),
    read_only=True,
)

LIST_SESSIONS = ToolSpec(
    name="list_sessions",
    title="List past AI sessions",
    description=(
        "List the project's captured AI sessions, newest first: id, tool, title, start time, "
        "branch, author and number of turns. Page with offset/limit; the result says the total "
        "and the next offset. Open one with `get_session`."
    ),
    input_schema=_obj(
        {
            "tool": _str("Only sessions of this AI tool (claude, aider, codex, ...).", minLength=1),
            "branch": _str("Only sessions captured on this git branch.", minLength=1),
            "since": _str(f"Only sessions started from this time on: {_TIME_DESC}."),
            "limit": _int(f"Page size (1-{LIST_MAX_LIMIT}).", 1, LIST_MAX_LIMIT, 20),
            "offset": _int("How many sessions to skip (for the next page).", 0, 10_000_000, 0),
        }
    ),
    read_only=True,
)

GET_SESSION = ToolSpec(
    name="get_session",
    title="Read a past AI session",
    description=(
        "Return one session's details and a range of its turns (role, text, time). Long "
        "sessions come in pages: pass start (first turn, 0-based) and limit; the result gives "
        "next_start when more turns follow. Very long turn texts are cut and marked "
        "truncated; the whole result stays under max_chars."
    ),
    input_schema=_obj(
        {
            "id": {
                **_ID,
                "description": "The session id (s-...) or a unique prefix of 4+ characters.",
            },
            "start": _int(
                "First turn to return (0-based). Negative counts from the end (-10: the last ten).",
                -10_000_000,
                10_000_000,
                0,
            ),
            "limit": _int(f"How many turns at most (1-{TURNS_MAX_LIMIT}).", 1, TURNS_MAX_LIMIT, 50),
            "max_chars": _int(
                "Character budget for all turn texts together.", 1000, 200_000, 40_000
            ),
        },
        ["id"],
    ),
    read_only=True,
)

CONTEXT = ToolSpec(
    name="context",
    title="Project context brief",
    description=(
        "A compact brief to read at the start of work: the most relevant decisions, facts, "
        "procedures and preferences stored for this project, and the recent sessions, the "
        "current git branch first, within a character budget. Cheap: no search index needed."
    ),
    input_schema=_obj(
        {
            "branch": _str("Rank for this branch instead of the checked-out one.", minLength=1),
            "chars": _int(
                f"Size budget of the brief in characters (200-{CONTEXT_MAX_CHARS}).",
                200,
                CONTEXT_MAX_CHARS,
                CONTEXT_DEFAULT_CHARS,
            ),
        }
    ),
    read_only=True,
)

FORGET = ToolSpec(
    name="forget",
    title="Forget a memory or session",
    description=(
        "Delete a memory (m-...) or a whole session (s-...) for good, in every clone after the "
        "next git push/pull. It stays in git history until someone rewrites it. Needs the full "
        "id (no prefixes). Only use it when the user asks, or to remove something wrong or "
        "sensitive you stored yourself."
    ),
    input_schema=_obj(
        {"id": {**_ID, "description": "The full id of the memory or session."}}, ["id"]
    ),
    read_only=False,
    destructive=True,
    idempotent=True,
)

RESUME = ToolSpec(
    name="resume_session",
    title="Continue a past session in an agent",
    description=(
        "Rebuild a captured session (any tool's, or a teammate's) as an agent's own session "
        "(Claude Code, Codex, Gemini CLI, Qwen Code, OpenCode, Copilot CLI), so that agent can "
        "continue it with the earlier turns in context. Returns the command for the user to "
        "run (e.g. `claude --resume <id>`) and where the session was written: only there, in "
        "the agent's own session store (OpenCode's through `opencode import`)."
    ),
    input_schema=_obj(
        {
            "id": {
                **_ID,
                "description": "The session id (s-...) or a unique prefix of 4+ characters.",
            },
            "agent": {
                "type": "string",
                "enum": ["claude", "codex", "gemini", "qwen", "opencode", "copilot"],
                "description": "Agent to continue in (default: the session's own, else claude).",
            },
        },
        ["id"],
    ),
    read_only=False,
    idempotent=True,
)

WHY = ToolSpec(
    name="why",
    title="Why is this code like this?",
    description=(
        "For a file, line or line range of this repository: the commits that wrote the lines "
        "(git blame), the AI sessions linked to them (commit trailer, the commit a session ended "
        "on, or a session that edited the file just before), the turn whose tool call wrote each "
        "line, and the decisions and other memories about it. Ask before changing code whose "
        "reasons you do not know."
    ),
    input_schema=_obj(
        {
            "target": _str(
                "FILE, FILE:LINE or FILE:START-END, relative to the repository root.",
                minLength=1,
            )
        },
        ["target"],
    ),
    read_only=True,
)

LOG = ToolSpec(
    name="log",
    title="Context history",
    description=(
        "The history of the project's context, newest first: memories and sessions added, "
        "edited, removed and forgotten, each with its commit, author and date (the audit "
        "trail). Filter by paths (context about those files), author or memory type."
    ),
    input_schema=_obj(
        {
            "paths": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Only context about these files (repository-relative paths).",
            },
            "author": _str("Only changes committed by this author (substring).", minLength=1),
            "type": {**_TYPES, "description": "Only memories of this type."},
            "limit": _int("How many entries at most (1-500).", 1, 500, 50),
        }
    ),
    read_only=True,
)

TOOLS: tuple[ToolSpec, ...] = (
    SEARCH,
    REMEMBER,
    RECALL,
    LIST_SESSIONS,
    GET_SESSION,
    CONTEXT,
    FORGET,
    RESUME,
    WHY,
    LOG,
)
BY_NAME = {t.name: t for t in TOOLS}
