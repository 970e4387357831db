"""Text from the store, made safe for a terminal: what could drive it or disguise what it
shows becomes a visible escape.

Escaped: C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI), and the
bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which reorder
what follows them on the line ("Trojan Source"): a pulled title or turn could make a command
or a path read as something else. The plain direction marks (LRM, RLM) stay: right-to-left
text uses them, and they reorder nothing beyond themselves.
"""

from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: what JSON output escapes on top of json.dumps (which escapes C0): DEL, C1, bidi controls
JSON_EXTRA = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escape_one(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every character that drives or reorders a terminal escaped (`\\x1b`,
    `\\u202e`)."""
    return CONTROL.sub(escape_one, text)
