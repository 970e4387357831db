"""Append-only CRDT update logs: one text file per replica under `.contextfs/state/`.

Each clone appends only to its own file, so git never has to merge two sides of one file, and
loading applies every file's updates (in any order) to reach the same state. A line is

    <crc32 of the payload, 8 hex digits> <base64 of one pycrdt (Yjs v1) update>

A torn or hand-mangled line fails its checksum and is reported and skipped; every other line
still loads. The first line is a header naming the format version and the replica.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from ctx.errors import CtxError

LOG_VERSION = 1
HEADER_RE = re.compile(rb"^#ctx-state v(\d+)(?: replica=(\S+))?\s*$")


@dataclass
class Problem:
    """Something unreadable that was skipped; reported to the user, never fatal."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def header_line(replica: str) -> bytes:
    return f"#ctx-state v{LOG_VERSION} replica={replica}\n".encode()


def encode_line(update: bytes) -> bytes:
    return b"%08x %s\n" % (zlib.crc32(update), base64.b64encode(update))


def append_update(path: Path, update: bytes, replica: str) -> None:
    """Append one update as one write() call; the caller holds the store's write lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        prefix = b""
        if size == 0:
            prefix = header_line(replica)
        else:
            with open(path, "rb") as fh:
                fh.seek(size - 1)
                if fh.read(1) != b"\n":  # a torn line from a killed writer: close it off
                    prefix = b"\n"
        data = prefix + encode_line(update)
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
    finally:
        os.close(fd)


def rewrite_log(path: Path, updates: list[bytes], replica: str) -> None:
    """Replace a log with the given updates (compaction of this replica's own file)."""
    from ctx.store.locking import atomic_write

    atomic_write(path, header_line(replica) + b"".join(encode_line(u) for u in updates))


@dataclass
class Chunk:
    updates: list[bytes]
    end: int  # byte offset after the last complete line consumed
    problems: list[Problem]


def read_from(path: Path, offset: int = 0, display: str | None = None) -> Chunk:
    """Read complete lines from `offset`. A trailing line without newline is left for later
    (a writer may be mid-append) unless the file is otherwise finished."""
    name = display or str(path)
    with open(path, "rb") as fh:
        if offset:
            fh.seek(offset)
        data = fh.read()
    updates: list[bytes] = []
    problems: list[Problem] = []
    end = data.rfind(b"\n") + 1  # 0 when no complete line
    if end == 0 and offset == 0 and data:
        # a file with no complete line at all: only a torn header or torn first update
        problems.append(Problem(name, 1, "incomplete line (torn write?), skipped"))
        return Chunk([], 0, problems)
    lineno = 0 if offset == 0 else -1  # line numbers are only exact for full reads
    for raw in data[:end].split(b"\n")[:-1]:
        lineno += 1 if lineno >= 0 else 0
        line = raw.strip()
        if not line:
            continue
        if line.startswith(b"#"):
            m = HEADER_RE.match(line)
            if m and int(m.group(1)) > LOG_VERSION:
                raise CtxError(
                    f"{name} was written by a newer ctx (state format v{int(m.group(1))}, "
                    f"this ctx reads v{LOG_VERSION})",
                    "upgrade ctx (pip install -U contextfs-cli)",
                    code="newer_format",
                )
            continue
        upd = _decode(line)
        if upd is None:
            problems.append(
                Problem(name, max(lineno, 0), "corrupt update line (checksum mismatch), skipped")
            )
        else:
            updates.append(upd)
    return Chunk(updates, offset + end, problems)


def _decode(line: bytes) -> bytes | None:
    crc, _, payload = line.partition(b" ")
    if len(crc) != 8 or not payload:
        return None
    try:
        update = base64.b64decode(payload, validate=True)
        expected = int(crc, 16)
    except (binascii.Error, ValueError):
        return None
    if zlib.crc32(update) != expected:
        return None
    return update
