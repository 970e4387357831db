"""Identifiers: short, random, prefix-typed (``m-`` memory, ``s-`` session).

Imported sessions get an id derived from their origin, so importing the same transcript in two
clones yields the same id and git sees one file, not two.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re

MEMORY_PREFIX = "m-"
SESSION_PREFIX = "s-"
_LEN = 12  # 60 bits of base32


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def new_id(prefix: str) -> str:
    return prefix + _b32(os.urandom(8))[:_LEN]


def derived_id(prefix: str, *parts: str) -> str:
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return prefix + _b32(h)[:_LEN]


def new_replica_id() -> str:
    return _b32(os.urandom(10))[:16]


# The grammar of docs/format.md. Ids arrive from other clones (state logs, transcripts, exports)
# and become path components: nothing that fails these checks may be used as a path.
_MEMORY_ID = re.compile(r"m-[a-z2-7]{12}")
_SESSION_ID = re.compile(r"s-[a-z2-7]{12}")
_REPLICA_ID = re.compile(r"[a-z2-7]{16}")
_PART_NAME = re.compile(r"[0-9]{3}\.jsonl")


def is_memory_id(value: object) -> bool:
    return isinstance(value, str) and _MEMORY_ID.fullmatch(value) is not None


def is_session_id(value: object) -> bool:
    return isinstance(value, str) and _SESSION_ID.fullmatch(value) is not None


def is_record_id(value: object) -> bool:
    """A memory or session id: the only keys the `forgotten` map may hold."""
    return is_memory_id(value) or is_session_id(value)


def is_replica_id(value: object) -> bool:
    return isinstance(value, str) and _REPLICA_ID.fullmatch(value) is not None


def is_part_name(value: object) -> bool:
    """A transcript part file name: ``000.jsonl`` … ``999.jsonl``."""
    return isinstance(value, str) and _PART_NAME.fullmatch(value) is not None
