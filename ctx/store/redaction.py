"""The store's single entry point to secret redaction: nothing reaches `.contextfs/` unredacted.

:func:`clean_record` is applied to every record the store writes (session headers, header
updates, turns; the CRDT summaries are built from the cleaned header): every string field,
recursively (``meta``, ``command``, ids, titles), is redacted, and machine-local paths are
rewritten — the repository's absolute path becomes relative, the home directory ``~``. Only
the fields ctx itself generates and validates (ids of the id grammar, timestamps, counters)
are left as they are.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

# Fields that ctx writes itself (ids of its own grammar, times, counts, enums): not scanned.
STRUCTURAL = frozenset(
    {
        "type",
        "format",
        "status",
        "started_at",
        "ended_at",
        "written_at",
        "commit",
        "commit_end",
        "turn_count",
        "parts",
        "part",
        "first_turn",
        "exit_status",
        "private",
        "owner_pid",
        "owner_clone",
        "n",
        "role",
        "ts",
    }
)
# In these records "id" / "session" are ctx's own session ids (checked against the grammar).
_OWN_ID_KEYS = frozenset({"id", "session", "final_id"})


def redact_text(text: str) -> str:
    from ctx.privacy.secrets import redact

    return redact(text)


def redact_data(obj: Any) -> Any:
    from ctx.privacy.secrets import redact_obj

    return redact_obj(obj)


@lru_cache(maxsize=8)
def _path_re(root: str, home: str) -> re.Pattern[str] | None:
    """One regex for the absolute paths to rewrite: the repository root, then the home dir."""
    alts = [re.escape(p) for p in (root, home) if p and p != "/"]
    if not alts:
        return None
    return re.compile("(" + "|".join(alts) + r")(?=/|[^\w.\-/]|$)")


def _homes() -> str:
    home = os.environ.get("HOME") or ""
    try:
        home = home or str(Path.home())
    except RuntimeError:  # pragma: no cover - no home at all
        pass
    return home.rstrip("/")


def local_paths(text: str, root: Path | str | None) -> str:
    """``text`` with the repository's absolute path made relative and the home dir as ``~``."""
    if "/" not in text:
        return text
    r = str(root).rstrip("/") if root else ""
    home = _homes()
    rx = _path_re(r, home)
    if rx is None or (r not in text and (not home or home not in text)):
        return text

    return rx.sub(lambda m: "." if m.group(1) == r else "~", text)


def _paths_in(obj: Any, root: Path | str | None) -> Any:
    if isinstance(obj, str):
        return local_paths(obj, root)
    if isinstance(obj, dict):
        return {k: _paths_in(v, root) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_paths_in(v, root) for v in obj]
    return obj


def clean_value(value: Any, root: Path | str | None) -> Any:
    """Redact and de-localize one field value (string, or JSON-like data)."""
    return _paths_in(redact_data(value), root)


def clean_record(rec: dict[str, Any], root: Path | str | None) -> dict[str, Any]:
    """Every field of a record about to be written, except ctx's own structural fields."""
    from ctx.core.ids import is_session_id

    out: dict[str, Any] = {}
    for k, v in rec.items():
        if (
            v is None
            or k in STRUCTURAL
            or (k in _OWN_ID_KEYS and isinstance(v, str) and is_session_id(v))
        ):
            out[k] = v
        elif isinstance(v, (str, list, dict, tuple)):
            out[k] = clean_value({k: v}, root)[k] if isinstance(v, str) else clean_value(v, root)
        else:
            out[k] = v
    return out
