"""Which of several tool transcripts written during a run was this run's.

Two `ctx wrap claude` in one directory at once both see two transcripts with turns inside
their time window; taking the newest gave the run that ended first the other's conversation
(and, with the same tool session id, merged the two sessions). What the run's terminal showed
decides: the transcript whose prompts and replies appeared on it wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctx.core.models import TranscriptTurn

_ESCAPES = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
PIECE = 40  # letters and digits from the start of a turn: enough to tell prompts apart
MIN_PIECE = 6
SCREEN_CAP = 256 * 1024 * 1024  # output bytes read at most; the evidence is early anyway


def squash(text: str) -> str:
    """Letters and digits only: box borders, markdown, line wraps and styling drop out."""
    return _NOT_ALNUM.sub("", text.lower())


def screen_text(journal: Path) -> str:
    """Everything the run printed, squashed (escape sequences removed first)."""
    from ctx.capture.journal import JournalDamaged, iter_records
    from ctx.core.errors import CtxError

    chunks: list[str] = []
    seen = 0
    try:
        for code, _t, payload in iter_records(journal):
            if code != "o":
                continue
            chunks.append(squash(_ESCAPES.sub(b"", payload).decode("utf-8", "replace")))
            seen += len(payload)
            if seen > SCREEN_CAP:
                break
    except (JournalDamaged, CtxError, OSError):
        pass  # what could be read still counts
    return "".join(chunks)


def shown(turns: Sequence[TranscriptTurn], screen: str) -> int:
    """How many of these turns' openings the terminal displayed."""
    count = 0
    for t in turns:
        piece = squash(t.text or "")[:PIECE]
        if len(piece) >= MIN_PIECE and piece in screen:
            count += 1
    return count


def best_index(candidates: Sequence[Sequence[TranscriptTurn]], journal: Path | None) -> int:
    """The candidate (ordered oldest to newest) this run displayed most of; ties go to the
    newest, as when there is no recording to look at."""
    if len(candidates) == 1 or journal is None or not journal.exists():
        return len(candidates) - 1
    screen = screen_text(journal)
    scores = [shown(turns, screen) for turns in candidates]
    top = max(scores)
    return max(i for i, s in enumerate(scores) if s == top)
