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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ctx.core.errors import CtxError
from ctx.store.problems import Problem

LOG_VERSION = 1
HEADER_RE = re.compile(rb"^#ctx-state v(\d+)(?: replica=(\S+))?\s*$")


def header_line(replica: str) -> bytes:
    return f"#ctx-state v{LOG_VERSION} replica={replica}\n".encode()


def encode_line(update: bytes) -> bytes:
    return b"%08x %s\n" % (zlib.crc32(update), base64.b64encode(update))


def append_update(
    path: Path,
    update: bytes,
    replica: str,
    guard: Callable[[], bool] | None = None,
    *,
    private: bool = False,
) -> bool:
    """Append one update as one write() call; the caller holds the store's write lock.
    `guard` is asked last, just before the write (is git still idle?): False writes nothing.
    Never through a symlink; a private log is 0600 (see ctx/store/confine.py)."""
    from ctx.store import confine

    if private:
        confine.private_dirs(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd = confine.open_append(path, private)
    try:
        size = os.fstat(fd).st_size
        prefix = b""
        if size:
            size, prefix = _repair_tail(path, fd, size)
        if size == 0:
            prefix = header_line(replica)
        data = prefix + encode_line(update)
        if guard is not None and not guard():
            return False
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
    finally:
        os.close(fd)
    return True


def _repair_tail(path: Path, fd: int, size: int) -> tuple[int, bytes]:
    """A last line without its newline was torn (a killed writer, a full disk, a file-size
    limit). Only this clone writes this log, and no reader has consumed an unterminated line:
    cut it off, so it does not become a corrupt line that every clone reports forever; a
    tail that is a whole valid update only lost its newline and is kept."""
    with open(fd, "rb", closefd=False) as fh:  # the descriptor: never a path that may be a link
        start = size
        while start > 0:
            step = min(start, 65536)
            fh.seek(start - step)
            block = fh.read(step)
            nl = block.rfind(b"\n")
            if nl >= 0:
                start = start - step + nl + 1
                break
            start -= step
        if start == size:
            return size, b""
        fh.seek(start)
        tail = fh.read(size - start).strip()
    if not tail.startswith(b"#") and _decode(tail) is not None:
        return size, b"\n"
    os.ftruncate(fd, start)
    return start, b""


def rewrite_log(path: Path, updates: list[bytes], replica: str, *, private: bool = False) -> None:
    """Replace a log with the given updates (compaction of this replica's own file)."""
    from ctx.store.locking import atomic_write

    data = header_line(replica) + b"".join(encode_line(u) for u in updates)
    atomic_write(path, data, private=private)


@dataclass
class Chunk:
    updates: list[bytes]
    end: int  # byte offset after the last complete line consumed
    problems: list[Problem]
    linenos: list[int] = field(default_factory=list)  # the line of each update


CONFLICT_MARKERS = (b"<<<<<<<", b"=======", b">>>>>>>", b"|||||||")


def read_from(path: Path, offset: int = 0, display: str | None = None) -> Chunk:
    """Read complete lines from `offset`. A trailing line without newline is left for later
    (a writer may be mid-append) unless the file is otherwise finished."""
    with open(path, "rb") as fh:
        data = fh.read()
    return parse(data, offset, display or str(path))


def parse(data: bytes, offset: int, name: str, lines_before: int | None = None) -> Chunk:
    """Decode the complete lines of `data` from `offset`. Line numbers in problems count from
    the start of `data`, plus `lines_before` when `data` is only the end of a file. Bad lines
    become problems; a log of a newer format raises."""
    updates: list[bytes] = []
    linenos: list[int] = []
    problems: list[Problem] = []
    end = data.rfind(b"\n") + 1  # 0 when no complete line
    if end <= offset:
        if end == 0 and offset == 0 and data and not lines_before:
            # a file with no complete line at all: only a torn header or torn first update
            problems.append(Problem(name, 1, "incomplete line (torn write?), skipped"))
        return Chunk([], offset, problems)
    lineno = data.count(b"\n", 0, offset) + (lines_before or 0)
    for raw in data[offset:end].split(b"\n")[:-1]:
        lineno += 1
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
        if upd is not None:
            updates.append(upd)
            linenos.append(lineno)
        elif line.startswith(CONFLICT_MARKERS):
            problems.append(
                Problem(name, lineno, "git conflict marker (a bad merge?), corrupt line skipped")
            )
        else:
            problems.append(
                Problem(name, lineno, "corrupt update line (checksum mismatch), skipped")
            )
    return Chunk(updates, end, problems, linenos)


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


# ---- machine-local load cache ------------------------------------------------------------
# Every command loads every log. With many thousands of lines that is slow, so after a load
# the state is kept in `local/cache/state.bin` as one lossless merged update per document,
# with, per log, how many bytes it covered and their checksum. A later load applies the cache
# plus whatever was appended since; a log that was rewritten (compaction, checkout), removed,
# or does not match its checksum makes the load start over from the logs. Never committed.

CACHE_MAGIC = b"ctx-cache 1\n"


@dataclass
class LogMark:
    """How much of one log a loaded state covers, and how to tell the file has not changed."""

    offset: int  # bytes consumed (complete lines)
    crc: int  # crc32 of the first `offset` bytes
    tail: bytes  # the last (up to) 32 bytes before `offset`: quick in-place check
    lines: int = 0  # newlines in the first `offset` bytes (for exact line numbers)
    ino: int = -1
    size: int = -1
    mtime: int = -1

    def unchanged(self, st: os.stat_result) -> bool:
        return (st.st_ino, st.st_size, st.st_mtime_ns) == (self.ino, self.size, self.mtime)


@dataclass
class Cached:
    marks: dict[str, LogMark]  # path relative to the store -> mark
    shared: bytes
    private: bytes
    problems: list[Problem]


def write_cache(path: Path, cached: Cached, key: str) -> None:
    """`key`: the clone's (ctx/core/machine_key.py): a cache committed under local/ and
    pulled is not this clone's and is never applied."""
    import json

    from ctx.store.locking import atomic_write

    meta = {
        "key": key,
        "logs": {
            k: [m.offset, m.crc, m.tail.hex(), m.lines, m.ino, m.size, m.mtime]
            for k, m in cached.marks.items()
        },
        "shared": len(cached.shared),
        "private": len(cached.private),
        "problems": [[p.path, p.line, p.message] for p in cached.problems],
    }
    head = json.dumps(meta, separators=(",", ":")).encode() + b"\n"
    atomic_write(path, CACHE_MAGIC + head + cached.shared + cached.private, private=True)


def read_cache(path: Path, key: str) -> Cached | None:
    """The cache, or None when it is missing, of another version or clone (`key`), or damaged
    in any way."""
    import json

    try:
        data = path.read_bytes()
        if not data.startswith(CACHE_MAGIC):
            return None
        nl = data.index(b"\n", len(CACHE_MAGIC))
        meta = json.loads(data[len(CACHE_MAGIC) : nl])
        if meta["key"] != key:
            return None
        body = data[nl + 1 :]
        n_shared, n_private = int(meta["shared"]), int(meta["private"])
        if len(body) != n_shared + n_private:
            return None
        marks = {
            str(k): LogMark(int(v[0]), int(v[1]), bytes.fromhex(v[2]), *(int(x) for x in v[3:7]))
            for k, v in meta["logs"].items()
        }
        problems = [Problem(str(p[0]), int(p[1]), str(p[2])) for p in meta["problems"]]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return Cached(marks, body[:n_shared], body[n_shared:], problems)
