"""The crash-safe recording of a wrapped session: an append-only journal of framed records.

Why not write asciicast directly: JSON-escaping every chunk costs more CPU than the whole
proxy loop and halved ``ctx wrap`` throughput (bench/bench_wrap.py); framing raw bytes is
almost free, keeps them byte-exact (the renderer decodes them once, correctly), and the
asciicast v2 file is derived from the journal at the end (:mod:`ctx.capture.asciicast`).

File format (version 1), all integers little-endian::

    magic    8 bytes  b"CTXPTYJ1"
    record*  type(1 byte) length(u32) t(f64) crc32(u32) payload(length bytes)

``t`` is seconds since the child started; ``crc32`` covers type, length, t and payload.
Record types:

- ``h`` header, JSON object: ``version``, ``width``, ``height``, ``timestamp`` (epoch
  seconds), ``env`` (TERM, SHELL), ``command`` (argv list), ``title``, ``meta`` (caller's).
  Always the first record; written when the proxy starts the child.
- ``o`` output bytes, ``i`` input bytes (only with record_input), ``r`` resize ``b"COLSxROWS"``.
- ``x`` exit, JSON object ``{"exit_code", "signal", "duration"}``; its absence means the
  capture did not finish (ctx was killed): the session is to be recovered from the rest.

Every record is one ``writev`` to an O_APPEND file, so a killed ctx leaves whole records plus
at most one partial one, which :func:`read_journal` drops (as it does a record whose CRC is
wrong). The OS has each record as soon as it is written; a thread ``fdatasync``-s the file
every ``fsync_interval`` seconds and at the end, so even a machine crash loses at most about
a second. A failing disk (ENOSPC) stops the recording, never the wrapped program:
:attr:`JournalWriter.error` says what happened.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, overload

from ctx.core.errors import CtxError
from ctx.store import confine

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

MAGIC = b"CTXPTYJ1"
_HEAD = struct.Struct("<cId")  # type, length, t
_CRC = struct.Struct("<I")
HEAD_SIZE = _HEAD.size + _CRC.size
MAX_RECORD = 1 << 30
TYPES = frozenset(b"hoirxm")


class Event(NamedTuple):
    """One event: ``code`` "o", "i", "r" or "m"; ``data`` bytes (journal) or str (cast)."""

    t: float
    code: str
    data: bytes | str


@dataclass
class Recording:
    """What a journal (or an asciicast file) holds."""

    header: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    exit: dict[str, Any] | None = None  # None: the capture never finished
    truncated: bool = False  # a partial or corrupt tail was dropped
    problem: str | None = None  # what was dropped, for the user

    @property
    def complete(self) -> bool:
        return self.exit is not None

    @property
    def cols(self) -> int:
        return int(self.header.get("width") or 80)

    @property
    def rows(self) -> int:
        return int(self.header.get("height") or 24)

    @property
    def started_at(self) -> float | None:
        ts = self.header.get("timestamp")
        return float(ts) if isinstance(ts, (int, float)) else None

    @property
    def duration(self) -> float:
        if self.exit and isinstance(self.exit.get("duration"), (int, float)):
            return float(self.exit["duration"])
        return self.events[-1].t if self.events else 0.0

    def output_bytes(self) -> bytes:
        """All output, concatenated (events from a journal carry bytes)."""
        return b"".join(
            e.data if isinstance(e.data, bytes) else e.data.encode("utf-8")
            for e in self.events
            if e.code == "o"
        )


def _frame(code: bytes, payload: bytes, t: float) -> list[bytes]:
    head = _HEAD.pack(code, len(payload), t)
    crc = zlib.crc32(payload, zlib.crc32(head))
    return [head + _CRC.pack(crc), payload]


class JournalWriter:
    """A proxy sink (see :class:`ctx.capture.pty_proxy.ProxySink`) that journals the session.

    The file is created (mode 0600, never overwritten) when the proxy starts the child, so a
    command that does not exist leaves nothing behind. Call :meth:`finish` when it returns.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        command: Sequence[str] | None = None,
        title: str | None = None,
        env: dict[str, str] | None = None,
        meta: dict[str, Any] | None = None,
        fsync_interval: float = 1.0,
    ) -> None:
        self.path = Path(path)
        self.command = list(command) if command is not None else None
        self.title = title
        source = env if env is not None else os.environ
        self.env = {k: source[k] for k in ("TERM", "SHELL") if k in source}
        self.meta = meta or {}
        self.fsync_interval = fsync_interval
        self.fd = -1
        self.error: OSError | None = None
        self.bytes_written = 0
        self._last_t = 0.0
        self._dirty = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- the sink -----------------------------------------------------------------------------

    def on_start(self, cols: int, rows: int) -> None:
        if self.fd >= 0:
            return
        try:
            confine.private_dirs(self.path.parent, tighten_existing=False)  # new folders 0700
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
            self.fd = os.open(self.path, flags, 0o600)
        except FileExistsError as exc:
            raise CtxError(
                f"a recording already exists at {self.path}", "use a new path for every session"
            ) from exc
        header = {
            "version": 1,
            "width": cols,
            "height": rows,
            "timestamp": time.time(),
            "env": self.env,
            "command": self.command,
            "title": self.title,
            "meta": self.meta,
        }
        self._write(b"h", json.dumps(header).encode("utf-8"), 0.0, prefix=MAGIC)
        self._fsync_dir()
        if self.fsync_interval > 0:
            self._thread = threading.Thread(target=self._sync_loop, name="ctx-journal", daemon=True)
            self._thread.start()

    def on_output(self, data: bytes, t: float) -> None:
        self._write(b"o", data, t)

    def on_input(self, data: bytes, t: float) -> None:
        self._write(b"i", data, t)

    def on_resize(self, cols: int, rows: int, t: float) -> None:
        self._write(b"r", f"{cols}x{rows}".encode(), t)

    # ---- the end ------------------------------------------------------------------------------

    def finish(
        self,
        result: Any = None,
        *,
        exit_code: int | None = None,
        signal: int | None = None,
    ) -> None:
        """Write the exit record (from a ProxyResult or the keywords), sync and close."""
        if self.fd < 0:
            return
        if result is not None:
            exit_code, signal = result.exit_code, result.signal
            duration = float(result.duration)
        else:
            duration = self._last_t
        info = {"exit_code": exit_code, "signal": signal, "duration": round(duration, 6)}
        self._write(b"x", json.dumps(info).encode("utf-8"), duration)
        self.close()

    def discard(self) -> None:
        """Close and delete the recording (the command could not be started after all)."""
        created = self.fd >= 0 or self.bytes_written > 0
        self.close()
        if created:  # never someone else's file that made on_start fail
            self.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Sync and close without an exit record (the session stays recoverable)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.fd >= 0:
            try:
                os.fsync(self.fd)
            except OSError as exc:
                self.error = self.error or exc
            os.close(self.fd)
            self.fd = -1

    # ---- internals ----------------------------------------------------------------------------

    def _write(self, code: bytes, payload: bytes, t: float, prefix: bytes = b"") -> None:
        if self.fd < 0 or self.error is not None:
            return
        parts = _frame(code, payload, t)
        if prefix:
            parts.insert(0, prefix)
        total = sum(len(p) for p in parts)
        try:
            n = os.writev(self.fd, parts)
            if n < total:  # only on a full disk; finish the record or fail loudly
                rest = b"".join(parts)[n:]
                while rest:
                    rest = rest[os.write(self.fd, rest) :]
        except OSError as exc:
            self.error = exc
            return
        self.bytes_written += total
        self._last_t = t
        self._dirty = True

    def _sync_loop(self) -> None:
        while not self._stop.wait(self.fsync_interval):
            if self._dirty:
                self._dirty = False
                try:
                    os.fdatasync(self.fd)
                except (OSError, ValueError):
                    pass

    def _fsync_dir(self) -> None:
        try:
            dfd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        except OSError:
            pass
        finally:
            os.close(dfd)


class Unread:
    """A payload left on disk: its length now, its bytes on demand (``bytes(p)``), read
    through an open descriptor of the journal. Slicing gives another Unread."""

    __slots__ = ("fd", "length", "offset")

    def __init__(self, fd: int, offset: int, length: int) -> None:
        self.fd, self.offset, self.length = fd, offset, length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, key: slice) -> Unread:
        start, stop, _ = key.indices(self.length)
        return Unread(self.fd, self.offset + start, max(0, stop - start))

    def __bytes__(self) -> bytes:
        parts, at, left = [], self.offset, self.length
        while left > 0:
            data = os.pread(self.fd, left, at)
            if not data:
                break
            parts.append(data)
            at += len(data)
            left -= len(data)
        return b"".join(parts)


@overload
def iter_records(
    path: str | os.PathLike[str], *, verify: bool = ..., skip: bytes = ..., unread_fd: None = ...
) -> Iterator[tuple[str, float, bytes]]: ...


@overload
def iter_records(
    path: str | os.PathLike[str], *, verify: bool = ..., skip: bytes = ..., unread_fd: int
) -> Iterator[tuple[str, float, bytes | Unread]]: ...


def iter_records(
    path: str | os.PathLike[str],
    *,
    verify: bool = True,
    skip: bytes = b"",
    unread_fd: int | None = None,
) -> Iterator[tuple[str, float, bytes | Unread]]:
    """Yield (code, t, payload) for every whole record; raise JournalDamaged at a bad tail.

    ``verify=False`` skips the CRC (a journal this process has just finished and closed);
    records whose type is in ``skip`` are stepped over unread: their payload is ``b""``, or
    with ``unread_fd`` (a descriptor of the same file) an :class:`Unread`."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        magic = f.read(len(MAGIC))
        if magic != MAGIC:
            if len(magic) < len(MAGIC) and MAGIC.startswith(magic):
                raise JournalDamaged("the recording is empty (killed before it started)", 0)
            raise CtxError(f"{path} is not a ctx terminal recording", "check the path")
        offset = len(MAGIC)
        while True:
            head = f.read(HEAD_SIZE)
            if not head:
                return
            if len(head) < HEAD_SIZE:
                raise JournalDamaged(f"partial record at byte {offset}", offset)
            code, length, t = _HEAD.unpack_from(head)
            (crc,) = _CRC.unpack_from(head, _HEAD.size)
            if code[0] not in TYPES or length > MAX_RECORD:
                raise JournalDamaged(f"corrupt record at byte {offset}", offset)
            if code[0] in skip and not verify:
                if f.seek(length, 1) > size:
                    raise JournalDamaged(f"partial record at byte {offset}", offset)
                unread = b"" if unread_fd is None else Unread(unread_fd, offset + HEAD_SIZE, length)
                yield code.decode("ascii"), t, unread
                offset += HEAD_SIZE + length
                continue
            payload = f.read(length)
            if len(payload) < length:
                raise JournalDamaged(f"partial record at byte {offset}", offset)
            if verify and zlib.crc32(payload, zlib.crc32(head[: _HEAD.size])) != crc:
                raise JournalDamaged(f"corrupt record at byte {offset}", offset)
            yield code.decode("ascii"), t, payload
            offset += HEAD_SIZE + length


class JournalDamaged(Exception):
    """A partial or corrupt record: everything before ``offset`` was whole."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def read_journal(path: str | os.PathLike[str]) -> Recording:
    """Every whole record of a journal, even one cut short by a kill or a crash.

    A damaged tail is dropped and reported in ``problem`` (``truncated`` is set); a file
    that is not a journal at all raises CtxError.
    """
    rec = Recording(header={})
    try:
        for code, t, payload in iter_records(path):
            if code == "h":
                rec.header = json_object(payload)
            elif code == "x":
                rec.exit = json_object(payload)
            elif code == "r":
                rec.events.append(Event(t, "r", payload.decode("ascii", "replace")))
            else:
                rec.events.append(Event(t, code, payload))
    except JournalDamaged as exc:
        rec.truncated = True
        rec.problem = str(exc)
    return rec


def parse_size(data: str) -> tuple[int, int] | None:
    """``"COLSxROWS"`` of a resize event → (cols, rows)."""
    try:
        cols, rows = (int(v) for v in data.lower().split("x", 1))
    except ValueError:
        return None
    return (cols, rows) if cols > 0 and rows > 0 else None


def json_object(payload: bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
