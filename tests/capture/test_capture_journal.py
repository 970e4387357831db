"""The crash-safe journal and its asciicast export: round trips, truncation, corruption."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from ctx.capture.asciicast import journal_to_cast, parse_cast, read_cast
from ctx.capture.journal import HEAD_SIZE, MAGIC, JournalWriter, iter_records, read_journal
from ctx.core.errors import CtxError


def write_sample(path: Path, fsync_interval: float = 1.0) -> JournalWriter:
    j = JournalWriter(
        path,
        command=["tool", "--flag", "two words"],
        title="demo",
        meta={"id": "s1"},
        fsync_interval=fsync_interval,
    )
    j.on_start(100, 30)
    j.on_output(b"hello \xc3", 0.5)  # "é" split across two chunks
    j.on_output(b"\xa9 world\r\n", 0.75)
    j.on_input(b"ls\r", 1.0)
    j.on_resize(120, 40, 1.5)
    j.on_output(b"bad \xff byte\r\n", 2.0)
    return j


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "s.ctxj"
    j = write_sample(path)
    j.finish(exit_code=3, signal=None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # terminal content may hold secrets
    rec = read_journal(path)
    assert rec.complete and not rec.truncated and rec.problem is None
    assert rec.exit == {"exit_code": 3, "signal": None, "duration": 2.0}
    assert (rec.cols, rec.rows) == (100, 30)
    assert rec.header["command"] == ["tool", "--flag", "two words"]
    assert rec.header["title"] == "demo" and rec.header["meta"] == {"id": "s1"}
    assert isinstance(rec.started_at, float)
    assert [(e.t, e.code, e.data) for e in rec.events] == [
        (0.5, "o", b"hello \xc3"),
        (0.75, "o", b"\xa9 world\r\n"),
        (1.0, "i", b"ls\r"),
        (1.5, "r", "120x40"),
        (2.0, "o", b"bad \xff byte\r\n"),
    ]
    assert rec.output_bytes() == b"hello \xc3\xa9 world\r\nbad \xff byte\r\n"


def test_nothing_is_created_before_start_and_no_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "s.ctxj"
    j = JournalWriter(path)
    assert not path.exists()
    j.finish(exit_code=0)  # never started: nothing to write
    assert not path.exists()
    write_sample(path).close()
    with pytest.raises(CtxError):
        JournalWriter(path).on_start(80, 24)
    assert read_journal(path).events  # the first recording is intact


def test_fsync_thread_stops_on_close(tmp_path: Path) -> None:
    before = {t.name for t in threading.enumerate()}
    j = JournalWriter(tmp_path / "s.ctxj", fsync_interval=0.01)
    j.on_start(80, 24)
    assert "ctx-journal" in {t.name for t in threading.enumerate()} - before
    j.on_output(b"x", 0.1)
    j.close()
    assert "ctx-journal" not in {t.name for t in threading.enumerate()} - before
    rec = read_journal(tmp_path / "s.ctxj")
    assert not rec.complete  # closed without an exit record: still to be recovered
    assert rec.output_bytes() == b"x"


def test_every_truncation_keeps_all_whole_records(tmp_path: Path) -> None:
    path = tmp_path / "s.ctxj"
    write_sample(path).finish(exit_code=0)
    data = path.read_bytes()
    full = read_journal(path)
    boundaries = {len(MAGIC)}
    for _, _, payload in iter_records(path):
        boundaries.add(max(boundaries) + HEAD_SIZE + len(payload))
    cut_path = tmp_path / "cut.ctxj"
    seen_counts = set()
    for cut in range(len(data)):
        cut_path.write_bytes(data[:cut])
        rec = read_journal(cut_path)
        assert rec.truncated == (cut not in boundaries)
        assert rec.events == full.events[: len(rec.events)]  # a prefix, never garbage
        assert not rec.complete
        seen_counts.add(len(rec.events))
    assert seen_counts == set(range(len(full.events) + 1))


def test_corruption_is_reported_and_earlier_records_kept(tmp_path: Path) -> None:
    path = tmp_path / "s.ctxj"
    write_sample(path).finish(exit_code=0)
    data = bytearray(path.read_bytes())
    pos = data.index(b"bad \xff byte")
    data[pos] ^= 0xFF
    path.write_bytes(bytes(data))
    rec = read_journal(path)
    assert rec.truncated and rec.problem and "corrupt" in rec.problem
    assert [e.code for e in rec.events] == ["o", "o", "i", "r"]


def test_empty_and_foreign_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ctxj"
    empty.write_bytes(b"")
    rec = read_journal(empty)
    assert rec.truncated and rec.events == [] and not rec.complete
    (tmp_path / "half.ctxj").write_bytes(MAGIC[:3])
    assert read_journal(tmp_path / "half.ctxj").truncated
    (tmp_path / "other.txt").write_text("not a journal at all\n")
    with pytest.raises(CtxError):
        read_journal(tmp_path / "other.txt")


def test_cast_is_asciicast_v2_with_incremental_decoding(tmp_path: Path) -> None:
    path = tmp_path / "s.ctxj"
    write_sample(path).finish(exit_code=0)
    journal_to_cast(path, tmp_path / "s.cast")
    lines = (tmp_path / "s.cast").read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert header["version"] == 2
    assert (header["width"], header["height"]) == (100, 30)
    assert isinstance(header["timestamp"], int) and header["duration"] == 2.0
    assert header["title"] == "demo" and header["command"] == "tool --flag 'two words'"
    events = [json.loads(line) for line in lines[1:]]
    assert events == [
        [0.5, "o", "hello "],
        [0.75, "o", "é world\r\n"],
        [1.0, "i", "ls\r"],
        [1.5, "r", "120x40"],
        [2.0, "o", "bad \ufffd byte\r\n"],
    ]
    assert stat.S_IMODE((tmp_path / "s.cast").stat().st_mode) == 0o600
    no_input = tmp_path / "quiet.cast"
    journal_to_cast(path, no_input, include_input=False)
    assert '"i"' not in no_input.read_text(encoding="utf-8")


def test_cast_of_a_killed_session_and_a_truncated_cast(tmp_path: Path) -> None:
    path = tmp_path / "s.ctxj"
    j = write_sample(path, fsync_interval=0)
    os.close(j.fd)  # as if ctx was killed here: no exit record, no clean close
    j.fd = -1
    data = path.read_bytes()
    path.write_bytes(data[:-5])  # and the last record half written
    rec = journal_to_cast(path, tmp_path / "s.cast")
    assert rec.truncated and not rec.complete
    cast = read_cast(tmp_path / "s.cast")
    assert [e.data for e in cast.events if e.code == "o"] == ["hello ", "é world\r\n"]
    text = (tmp_path / "s.cast").read_text(encoding="utf-8")
    cut = parse_cast(text[:-7].splitlines())  # a cast cut in its last line
    assert cut.truncated and len(cut.events) == len(cast.events) - 1
    with pytest.raises(CtxError):
        parse_cast(["not json"])


def test_capture_modules_import_nothing_heavy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, ctx.capture.pty_proxy, ctx.capture.journal, ctx.capture.asciicast, "
        "ctx.capture.terminal_render; "
        "print(sorted(m for m in ('pyte', 'ptyprocess', 'pexpect', 'wcwidth') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
