"""asciicast v2: a recording as ``asciinema play`` replays it.

The header line is ``{"version": 2, "width", "height", "timestamp", "duration", "env",
"title", "command"}``, then one JSON array per event: ``[t, "o", text]`` output,
``[t, "i", text]`` input, ``[t, "r", "COLSxROWS"]`` resize. Text is the recorded bytes
decoded as UTF-8 incrementally per stream (a character split across two reads is kept
whole; invalid bytes become U+FFFD), so the cast is not byte-exact: the journal is.

The cast is derived from a finished or recovered journal and written once, atomically
(temp file + rename). :func:`read_cast` also reads casts made by asciinema itself, dropping a
truncated last line, so the terminal renderer can turn either into a transcript.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.capture.journal import Event, JournalDamaged, Recording, iter_records, json_object
from ctx.core.errors import CtxError
from ctx.store import confine

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator


def cast_lines(rec: Recording, *, include_input: bool = True) -> Iterator[str]:
    """The lines of the cast for ``rec`` (each without its newline)."""
    for line in _lines(rec.header, rec.duration, rec.events, include_input):
        yield line.decode("utf-8") if isinstance(line, bytes) else line


def _lines(
    head: dict[str, Any], duration: float, events: Iterable[Event], include_input: bool
) -> Iterator[str | bytes]:
    info = Recording(header=head)
    header: dict[str, Any] = {
        "version": 2,
        "width": info.cols,
        "height": info.rows,
        "timestamp": int(info.started_at or 0),
        "duration": round(duration, 6),
        "env": head.get("env") or {},
    }
    if head.get("title"):
        header["title"] = head["title"]
    command = head.get("command")
    if isinstance(command, list):
        import shlex

        header["command"] = shlex.join(str(a) for a in command)
    yield json.dumps(header, ensure_ascii=False)
    decoders = {c: codecs.getincrementaldecoder("utf-8")(errors="replace") for c in "oi"}
    last_t = 0.0
    for ev in events:
        if ev.code in decoders:
            if ev.code == "i" and not include_input:
                continue
            dec = decoders[ev.code]
            data = ev.data
            text = dec.decode(data) if isinstance(data, bytes) else str(data)
        elif ev.code in ("r", "m"):
            text = ev.data.decode("utf-8", "replace") if isinstance(ev.data, bytes) else ev.data
        else:
            continue
        last_t = ev.t
        if text:
            yield json.dumps([round(ev.t, 6), ev.code, text], ensure_ascii=False)
    for code, dec in decoders.items():
        rest = dec.decode(b"", final=True)
        if rest:
            yield json.dumps([round(last_t, 6), code, rest], ensure_ascii=False)


def write_cast(rec: Recording, path: str | os.PathLike[str], *, include_input: bool = True) -> Path:
    """Write ``rec`` as an asciicast v2 file (mode 0600), atomically."""
    return _write(cast_lines(rec, include_input=include_input), path)


def _write(lines: Iterable[str | bytes], path: str | os.PathLike[str]) -> Path:
    dest = Path(path)
    confine.private_dirs(dest.parent, tighten_existing=False)  # new folders 0700
    fd, tmp = tempfile.mkstemp(prefix=".cast-", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            for line in lines:
                f.write(line if isinstance(line, bytes) else line.encode("utf-8"))
                f.write(b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def journal_to_cast(
    journal: str | os.PathLike[str],
    cast: str | os.PathLike[str],
    *,
    include_input: bool = True,
    verify: bool = True,
) -> Recording:
    """Convert a (possibly truncated) journal into a cast, streaming (bounded memory).

    Returns what the journal held (header, exit, truncation) without its events.
    """
    summary = Recording(header={})
    last_t = 0.0
    try:
        for code, t, payload in iter_records(journal, verify=verify, skip=b"oi"):
            if code == "h":
                summary.header = json_object(payload)
            elif code == "x":
                summary.exit = json_object(payload)
            last_t = t
    except JournalDamaged as exc:
        summary.truncated, summary.problem = True, str(exc)
    duration = summary.duration if summary.exit else last_t

    def events() -> Iterator[Event]:
        try:
            for code, t, payload in iter_records(journal, verify=verify):
                if code in ("o", "i", "r", "m"):
                    yield Event(t, code, payload)
        except JournalDamaged:
            return

    _write(_lines(summary.header, duration, events(), include_input), cast)
    return summary


def read_cast(path: str | os.PathLike[str]) -> Recording:
    """Read an asciicast v2 file; a bad or truncated line is skipped and reported."""
    with open(path, encoding="utf-8", errors="replace") as f:
        return parse_cast(f, str(path))


def parse_cast(lines: Iterable[str], name: str = "cast") -> Recording:
    it = iter(lines)
    first = next(it, "")
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("version") != 2:
        raise CtxError(f"{name} is not an asciicast v2 file", "record it with `ctx wrap`")
    rec = Recording(header=header)
    bad = 0
    for n, line in enumerate(it, start=2):
        if not line.strip():
            continue
        try:
            t, code, data = json.loads(line)
            rec.events.append(Event(float(t), str(code), str(data)))
        except (ValueError, TypeError):
            bad += 1
            rec.truncated = True
            rec.problem = f"{bad} unreadable line(s), last at line {n}"
    return rec


def main(argv: list[str] | None = None) -> int:
    """``python -m ctx.capture.asciicast JOURNAL CAST [--no-input]``: convert, then delete
    the journal. ``ctx wrap`` runs this in the background for a huge recording."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    include_input = "--no-input" not in args
    paths = [a for a in args if a != "--no-input"]
    if len(paths) != 2:
        print("usage: python -m ctx.capture.asciicast JOURNAL CAST [--no-input]", file=sys.stderr)
        return 2
    with contextlib.suppress(OSError):
        os.nice(10)  # after the user's command: never compete with what they do next
    journal_to_cast(paths[0], paths[1], include_input=include_input, verify=False)
    Path(paths[0]).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
