"""Choosing this run's transcript among overlapping ones by what its terminal displayed."""

from __future__ import annotations

from pathlib import Path

from ctx.capture.journal import JournalWriter
from ctx.capture.transcript_choice import best_index, screen_text
from ctx.core.models import TranscriptTurn


def _journal(path: Path, *chunks: bytes) -> Path:
    w = JournalWriter(path, command=["claude"])
    w.on_start(40, 10)
    for i, c in enumerate(chunks):
        w.on_output(c, 0.1 * i)
    w.close()
    return path


def _turns(*texts: str) -> list[TranscriptTurn]:
    return [TranscriptTurn("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(texts)]


ALPHA = _turns("Why does the upload test fail on CI?", "Because the **fixture** uses a temp dir")
BRAVO = _turns("Rename the config loader please", "Renamed `load_config` to `read_config`")


def test_the_displayed_conversation_wins_over_the_newer_one(tmp_path: Path) -> None:
    # A boxed, styled, wrapped rendering of ALPHA, as a TUI would draw it.
    shown = _journal(
        tmp_path / "a.journal",
        b"\x1b[2J\x1b[H\xe2\x94\x82 > Why does the upload te",
        b"\xe2\x94\x82\r\n\xe2\x94\x82 st fail on CI?\x1b[0m\r\n",
        b"\x1b]0;title\x07\x1b[1mBecause\x1b[22m the fixture uses a temp dir\r\n",
    )
    assert "whydoestheuploadtestfailonci" in screen_text(shown)
    assert best_index([ALPHA, BRAVO], shown) == 0
    assert best_index([BRAVO, ALPHA], shown) == 1


def test_without_evidence_the_newest_is_taken(tmp_path: Path) -> None:
    blank = _journal(tmp_path / "b.journal", b"\x1b[2J spinner ... \r\n")
    assert best_index([ALPHA, BRAVO], blank) == 1
    assert best_index([ALPHA, BRAVO], tmp_path / "missing.journal") == 1
    assert best_index([ALPHA, BRAVO], None) == 1
    assert best_index([BRAVO], blank) == 0
    damaged = tmp_path / "c.journal"
    damaged.write_bytes(b"\x00garbage")
    assert best_index([ALPHA, BRAVO], damaged) == 1
