"""Parse one line of JSON from a file someone else wrote, never raising.

``json.loads`` raises more than ValueError on hostile lines: a value nested 100,000 deep
raises RecursionError, and a lone surrogate escape (``"\\ud800"``) parses into a string that
cannot be written back as UTF-8 (UnicodeEncodeError, later, in the middle of a store write).
Every reader of pulled or imported JSONL goes through :func:`loads_line`, so one bad line is
skipped and reported and the rest of the file still loads.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def loads_line(raw: bytes | str) -> tuple[Any, str | None]:
    """(value, None) for a good line, (None, reason) for a bad one."""
    try:
        value = json.loads(raw)
    except RecursionError:
        return None, "nested too deeply"
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"invalid JSON: {exc}"
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if _SURROGATE_ESCAPE.search(data) is not None:
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return None, "a lone surrogate escape (not valid Unicode)"
        except RecursionError:  # pragma: no cover - parse would have failed first
            return None, "nested too deeply"
    return value, None
