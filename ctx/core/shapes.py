"""Shape checks of machine-local caches, in a module light enough for the fast `ctx why`
path (importing the store's modules costs it ~12 ms)."""

from __future__ import annotations


def touch_entries_ok(files: object) -> bool:
    """[[path, action, turn], …] as ctx.store.touched.session_files writes them."""
    return isinstance(files, list) and all(
        isinstance(e, list)
        and len(e) == 3
        and isinstance(e[0], str)
        and isinstance(e[1], str)
        and isinstance(e[2], int)
        and not isinstance(e[2], bool)
        for e in files
    )


# ---- fields of pulled records (CRDT state, transcript headers and turns) ---------------------
# A commit can put any JSON there: a list where a date belongs, NaN or 10**30 where a count does.
# Read through these, a field of the wrong type is as if it were missing, and no later format,
# sort or SQLite binding meets it (each once ended a command with "internal error").

MAX_INT = 2**53  # what JSON numbers hold exactly, and far below SQLite's 64 bits


def text(value: object, default: str = "") -> str:
    return value if isinstance(value, str) else default


def text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def whole(value: object, default: int | None = None) -> int | None:
    """A whole number within ±2**53 (an int, or the float the CRDT hands back); else default."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if -MAX_INT < value < MAX_INT else default
    if isinstance(value, float) and value.is_integer() and -MAX_INT < value < MAX_INT:
        return int(value)
    return default


def texts(value: object) -> list[str]:
    """The strings of a list (tags, a command line); anything else: none."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


#: transcript header fields that are text when present (docs/format.md)
HEADER_TEXT = (
    "id",
    "tool",
    "title",
    "status",
    "started_at",
    "ended_at",
    "cwd",
    "branch",
    "commit",
    "commit_end",
    "author",
    "external_id",
)


def clean_header(header: dict[str, object]) -> dict[str, object]:
    """A transcript header with each known field of the wrong type dropped."""
    out = dict(header)
    for key in HEADER_TEXT:
        if key in out and not isinstance(out[key], str):
            del out[key]
    for key in ("turn_count", "exit_status"):
        if key in out and whole(out[key]) is None:
            del out[key]
    if "command" in out and not (
        isinstance(out["command"], list) and all(isinstance(a, str) for a in out["command"])
    ):
        del out["command"]
    if "tags" in out:
        out["tags"] = texts(out["tags"])
    if "meta" in out and not isinstance(out["meta"], dict):
        del out["meta"]
    return out
