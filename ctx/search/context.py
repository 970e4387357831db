"""The conversational neighbourhood of a turn, indexed with it.

A turn rarely stands alone: the reply "Luna and Oliver!" is only findable by the words of
the question before it ("what are your pets' names?"), and a short "yes, do that" takes
its meaning from its neighbours. Each turn is therefore indexed with the tails of the
turns before it and the head of the turn after it, in a low-weight FTS column, and (when
configured) embedded together with the tail of the previous turn. Turns are written in
order, so when a new turn arrives, the turns before it get their "after" context updated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import apsw

from ctx.search import db
from ctx.search.types import IndexDoc, RankingConfig

SEP = " … "


@dataclass(frozen=True)
class Shape:
    before: int  # turns before
    after: int  # turns after
    chars: int  # characters taken from each neighbour
    embed_chars: int  # characters of the previous turn embedded with the turn (0: none)

    @classmethod
    def of(cls, cfg: RankingConfig) -> Shape:
        return cls(
            cfg.context_before, cfg.context_after, cfg.context_chars, cfg.embed_context_chars
        )

    @property
    def active(self) -> bool:
        return self.chars > 0 and (self.before > 0 or self.after > 0 or self.embed_chars > 0)


def tail(s: str, n: int) -> str:
    """The last ``n`` characters of ``s``, starting at a word boundary."""
    if len(s) <= n:
        return s
    cut = s[-n:]
    space = cut.find(" ")
    return cut[space + 1 :] if 0 <= space < 40 else cut


def head(s: str, n: int) -> str:
    """The first ``n`` characters of ``s``, ending at a word boundary."""
    if len(s) <= n:
        return s
    cut = s[:n]
    space = cut.rfind(" ")
    return cut[:space] if space > n - 40 else cut


class Window:
    """Texts of the turns around a batch, from the batch itself and from the index."""

    def __init__(self, conn: apsw.Connection, docs: Iterable[IndexDoc], shape: Shape) -> None:
        self.shape = shape
        self.texts: dict[tuple[str, int], str] = {}
        self.batch: set[tuple[str, int]] = set()
        by_session: dict[str, list[int]] = defaultdict(list)
        for d in docs:
            if d.kind == "turn" and d.session_id is not None and d.turn_n is not None:
                key = (d.session_id, d.turn_n)
                self.texts[key] = d.text
                self.batch.add(key)
                by_session[d.session_id].append(d.turn_n)
        reach = shape.before + shape.after + 1
        for sid, ns in by_session.items():
            rows = db.rows(
                conn,
                "select turn_n, text from docs where session_id = ? and kind = 'turn'"
                " and turn_n between ? and ?",
                (sid, min(ns) - reach, max(ns) + reach),
            )
            for n, t in rows:
                self.texts.setdefault((sid, n), t)  # the batch's new text wins

    def fts_context(self, sid: str, n: int) -> str:
        s = self.shape
        parts = [
            tail(self.texts[(sid, m)], s.chars)
            for m in range(n - s.before, n)
            if (sid, m) in self.texts
        ]
        parts += [
            head(self.texts[(sid, m)], s.chars)
            for m in range(n + 1, n + s.after + 1)
            if (sid, m) in self.texts
        ]
        return SEP.join(parts)

    def embed_context(self, sid: str, n: int) -> str:
        prev = self.texts.get((sid, n - 1))
        return tail(prev, self.shape.embed_chars) if prev and self.shape.embed_chars > 0 else ""

    def affected(self) -> list[tuple[str, int]]:
        """Turns already indexed (not in the batch) whose context includes a batch turn."""
        s = self.shape
        out: set[tuple[str, int]] = set()
        for sid, n in self.batch:
            for m in [*range(n - s.after, n), *range(n + 1, n + s.before + 1)]:
                key = (sid, m)
                if key in self.texts and key not in self.batch:
                    out.add(key)
        return sorted(out)
