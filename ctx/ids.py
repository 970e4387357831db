"""Identifiers: short, random, prefix-typed (``m-`` memory, ``s-`` session).

Imported sessions get an id derived from their origin, so importing the same transcript in two
clones yields the same id and git sees one file, not two.
"""

from __future__ import annotations

import base64
import hashlib
import os

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
