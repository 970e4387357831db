"""A pyte screen that keeps text only, and a *document* of every row it ever showed.

Used by :mod:`ctx.capture.terminal_render`. Rows that scroll off the top are appended to the
document; a full clear (ED 2/3, or ED 0 from home) and a switch to or from the alternate
screen first append the rows on screen, so the document only grows and nothing shown is
lost. Rows that ended by automatic wrapping are flagged, so the renderer can join them back.
Positions in the document (``abs_cursor``) stay valid as it grows.

pyte is patched for what real TUIs send: scroll up/down (``CSI n S`` / ``CSI n T``, which pyte
ignores, garbling htop), and sequences pyte would misread as text are removed before it sees
them (:func:`strip_unsupported`): the kitty keyboard protocol (``CSI > n u``, ``CSI < u``,
``CSI ? u``, ``CSI = n ; m u`` left a stray ``u``), other ``CSI <``/``=``/``>`` sequences,
and DCS/APC/PM/SOS strings. The alternate screen (1049/47/1047), bracketed paste and OSC
strings (titles, hyperlinks) are understood.

pyte costs about a microsecond per character; two fast paths keep common output cheap:
printable ASCII is drawn a whole run per row, and plain lines (printable ASCII + CRLF)
arriving at the bottom of the screen, which can only scroll, go straight into the document
without being drawn (tests check both give exactly what pyte gives).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from operator import attrgetter
from typing import Any

FEED_SLICE = 65536
ALT_SCREEN_MODES = frozenset({47, 1047, 1049})


@lru_cache(maxsize=1)
def screen_class() -> Any:
    """Build the pyte Screen subclass on first use (pyte is imported only here)."""
    import pyte
    from pyte import modes as mo
    from pyte.screens import Char, Margins
    from wcwidth import wcwidth as _wcwidth

    wcwidth = lru_cache(maxsize=4096)(_wcwidth)
    get_data = attrgetter("data")
    identity_charset = pyte.charsets.LAT1_MAP
    ascii_chars = {chr(c): Char(chr(c)) for c in range(32, 127)}

    class TextScreen(pyte.Screen):
        """A pyte screen that keeps text only, and a document of every row it showed."""

        def __init__(self, columns: int, lines: int) -> None:
            self.committed: list[str] = []
            self.committed_wrapped: list[bool] = []
            self.wrapped: set[int] = set()
            self.in_alt = False
            self._chars: dict[str, Any] = dict(ascii_chars)
            super().__init__(columns, lines)

        # text only: attributes are not needed and cost time
        def select_graphic_rendition(self, *attrs: int, **kwargs: Any) -> None:
            pass

        def _char(self, ch: str) -> Any:
            c = self._chars.get(ch)
            if c is None:
                c = self._chars[ch] = Char(ch)
            return c

        def draw(self, data: str) -> None:
            data = data.translate(self.g1_charset if self.charset else self.g0_charset)
            cur = self.cursor
            cols = self.columns
            autowrap = mo.DECAWM in self.mode
            if data.isascii() and data.isprintable() and autowrap and mo.IRM not in self.mode:
                get = self._chars.__getitem__
                while data:
                    if cur.x >= cols:
                        self._wrap()
                    x = cur.x
                    part, data = data[: cols - x], data[cols - x :]
                    self.buffer[cur.y].update(
                        zip(range(x, x + len(part)), map(get, part), strict=True)
                    )
                    cur.x = x + len(part)
                return
            for ch in data:  # pyte's rules, but unprintable characters are skipped, not fatal
                width = wcwidth(ch)
                if cur.x >= cols:
                    if autowrap:
                        self._wrap()
                    elif width > 0:
                        cur.x = cols - width
                if mo.IRM in self.mode and width > 0:
                    self.insert_characters(width)
                line = self.buffer[cur.y]
                if width == 1:
                    line[cur.x] = self._char(ch)
                elif width == 2:
                    line[cur.x] = self._char(ch)
                    if cur.x + 1 < cols:
                        line[cur.x + 1] = self._char("")
                elif width == 0 and unicodedata.combining(ch) and cur.x:
                    last = line[cur.x - 1]
                    line[cur.x - 1] = self._char(unicodedata.normalize("NFC", last.data + ch))
                if width > 0:
                    cur.x = min(cur.x + width, cols)

        def _wrap(self) -> None:
            self.wrapped.add(self.cursor.y)
            self.cursor.x = 0
            self.linefeed()

        def index(self) -> None:
            top, bottom = self.margins or Margins(0, self.lines - 1)
            if self.cursor.y != bottom or top != 0:
                super().index()
                return
            # Row 0 leaves the screen: keep it, then shift the rest up (one dict rebuild).
            self._commit_rows(1)
            buf = self.buffer
            rows = {y - 1 if y <= bottom else y: r for y, r in buf.items() if y}
            buf.clear()
            buf.update(rows)
            self.wrapped = {y - 1 if y <= bottom else y for y in self.wrapped if y}

        def erase_in_display(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
            home = self.cursor.y == 0 and self.cursor.x == 0
            if how in (2, 3) or (how == 0 and home):
                self._commit_rows(self._last_row() + 1)
                self.buffer.clear()
                self.wrapped.clear()
                return
            super().erase_in_display(how, *args, **kwargs)
            rows = range(self.cursor.y + 1, self.lines) if how == 0 else range(self.cursor.y)
            self.wrapped.difference_update(rows)

        def erase_in_line(self, how: int = 0, private: bool = False) -> None:
            super().erase_in_line(how, private)
            if how == 2 or (how == 0 and self.cursor.x == 0):
                self.wrapped.discard(self.cursor.y)

        def insert_lines(self, count: int | None = None) -> None:
            super().insert_lines(count)
            self.wrapped = {y for y in self.wrapped if y < self.cursor.y}

        def delete_lines(self, count: int | None = None) -> None:
            super().delete_lines(count)
            self.wrapped = {y for y in self.wrapped if y < self.cursor.y}

        def scroll_up(self, count: int | None = None) -> None:
            """SU: the content moves up ``count`` rows; rows leaving the top are kept."""
            saved = (self.cursor.x, self.cursor.y)
            top, bottom = self.margins or Margins(0, self.lines - 1)
            for _ in range(min(max(count or 1, 1), self.lines)):
                self.cursor.y = bottom
                self.index()
            self.cursor.x, self.cursor.y = saved
            self.wrapped.difference_update(range(top, bottom + 1))

        def scroll_down(self, count: int | None = None) -> None:
            """SD: the content moves down ``count`` rows (blank rows at the top)."""
            saved = (self.cursor.x, self.cursor.y)
            top, bottom = self.margins or Margins(0, self.lines - 1)
            for _ in range(min(max(count or 1, 1), self.lines)):
                self.cursor.y = top
                self.reverse_index()
            self.cursor.x, self.cursor.y = saved
            self.wrapped.difference_update(range(top, bottom + 1))

        def set_mode(self, *modes: int, **kwargs: Any) -> None:
            if kwargs.get("private") and ALT_SCREEN_MODES.intersection(modes):
                if not self.in_alt:
                    self.in_alt = True
                    self._switch_screen()
                modes = tuple(m for m in modes if m not in ALT_SCREEN_MODES)
            super().set_mode(*modes, **kwargs)

        def reset_mode(self, *modes: int, **kwargs: Any) -> None:
            if kwargs.get("private") and ALT_SCREEN_MODES.intersection(modes):
                if self.in_alt:
                    self.in_alt = False
                    self._switch_screen()
                modes = tuple(m for m in modes if m not in ALT_SCREEN_MODES)
            super().reset_mode(*modes, **kwargs)

        def _switch_screen(self) -> None:
            """Keep what the screen showed, then start from an empty one at the top."""
            self._commit_rows(self._last_row() + 1)
            self.buffer.clear()
            self.wrapped.clear()
            self.cursor.x = self.cursor.y = 0

        def resize(self, lines: int | None = None, columns: int | None = None) -> None:
            lines = lines or self.lines
            old = self.lines
            if lines < old:  # keep the rows in use, as terminals do; keep any dropped ones
                drop = max(0, max(self._last_row(), self.cursor.y) + 1 - lines)
                self._commit_rows(drop)
                for y in range(old) if drop else ():
                    row = self.buffer.pop(y + drop, None) if y + drop < old else None
                    if row is None:
                        self.buffer.pop(y, None)
                    else:
                        self.buffer[y] = row
                for y in range(lines, old):
                    self.buffer.pop(y, None)
                self.cursor.y = max(0, self.cursor.y - drop)
                self.lines = lines
            self.wrapped.clear()
            super().resize(lines, columns)
            if lines != old:
                self.margins = None
                self.cursor.y = min(self.cursor.y, self.lines - 1)

        # ---- the document ----------------------------------------------------------------

        def row_text(self, y: int, strip: bool = True) -> str:
            return self._line_text(self.buffer.get(y), strip)

        def _line_text(self, line: Any, strip: bool = True) -> str:
            if not line:
                return ""
            width = min(max(line) + 1, self.columns)
            text = "".join(map(get_data, map(line.__getitem__, range(width))))
            return text.rstrip() if strip else text.ljust(self.columns)

        # ---- fast path: whole plain lines arriving at the bottom of the screen ------------

        def lines_fast_ready(self) -> bool:
            """True when plain lines ending in CRLF would only scroll the screen."""
            bottom = self.lines - 1
            margins = self.margins
            return (
                self.cursor.x == 0
                and self.cursor.y == bottom
                and (margins is None or (margins.top == 0 and margins.bottom == bottom))
                and mo.DECAWM in self.mode
                and mo.IRM not in self.mode
                and not self.charset
                and self.g0_charset is identity_charset
                and not self.buffer.get(bottom)
            )

        def feed_lines_fast(self, run: str) -> None:
            """What pyte would do with ``run`` (printable ASCII lines, each ending in CRLF),
            without drawing rows that only scroll by: the result is the same document."""
            cols = self.columns
            bottom = self.lines - 1
            new: list[tuple[Any, bool]] = []
            for line in run.split("\r\n")[:-1]:
                if len(line) <= cols:
                    new.append((line, False))
                    continue
                for i in range(0, len(line), cols):
                    new.append((line[i : i + cols], i + cols < len(line)))
            seq = [(self.buffer.get(y), y in self.wrapped) for y in range(bottom)] + new
            scrolled = len(new)
            for item, wrapped in seq[:scrolled]:
                if isinstance(item, str):
                    self.committed.append(item if wrapped else item.rstrip())
                else:
                    self.committed.append(self._line_text(item, strip=not wrapped))
                self.committed_wrapped.append(wrapped)
            buf = self.buffer
            buf.clear()
            self.wrapped = set()
            get = self._chars.__getitem__
            for y, (item, wrapped) in enumerate(seq[scrolled:]):
                if isinstance(item, str):
                    if item:
                        buf[y].update(zip(range(len(item)), map(get, item), strict=True))
                elif item:
                    buf[y] = item
                if wrapped:
                    self.wrapped.add(y)

        def _last_row(self) -> int:
            for y in range(self.lines - 1, -1, -1):
                if self.row_text(y):
                    return y
            return -1

        def _commit_rows(self, n: int) -> None:
            for y in range(n):
                wrapped = y in self.wrapped
                self.committed.append(self.row_text(y, strip=not wrapped))
                self.committed_wrapped.append(wrapped)

        def abs_cursor(self) -> tuple[int, int]:
            return len(self.committed) + self.cursor.y, self.cursor.x

        def screen_rows(self) -> list[str]:
            return [self.row_text(y) for y in range(self._last_row() + 1)]

        def document(self) -> tuple[list[str], list[bool]]:
            rows = list(self.committed)
            flags = list(self.committed_wrapped)
            for y in range(max(self._last_row(), self.cursor.y) + 1):
                wrapped = y in self.wrapped
                rows.append(self.row_text(y, strip=not wrapped))
                flags.append(wrapped)
            return rows, flags

    return TextScreen


@lru_cache(maxsize=1)
def stream_class() -> Any:
    """pyte's Stream with scroll up/down (SU/SD) dispatched to the screen."""
    import pyte

    extra = {"S": "scroll_up", "T": "scroll_down"}

    class TextStream(pyte.Stream):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.csi = {**pyte.Stream.csi, **extra}  # before the parser is built
            super().__init__(*args, **kwargs)

    return TextStream


#: Sequences pyte would draw part of as text: CSI with a ``<``/``=``/``>`` (or ``?`` before
#: ``u``) introducer, e.g. the kitty keyboard protocol; DCS, APC, PM and SOS strings.
_UNSUPPORTED = re.compile(
    r"\x1b\[(?:[<=>][0-9;:]*[\x20-\x2f]*[\x40-\x7e]|\?[0-9;:]*u)"
    r"|\x1b[P_^X][^\x1b\x07]*(?:\x1b\\|\x07)"
)


def strip_unsupported(text: str) -> str:
    if "\x1b" not in text:
        return text
    return _UNSUPPORTED.sub("", text)


PLAIN_LINES = re.compile(r"(?:[\x20-\x7e]*\r\n)+")
FAST_LINES = True  # tests compare the fast path with plain pyte


def feed(stream: Any, screen: Any, text: str) -> None:
    pos, end = 0, len(text)
    while pos < end:
        if (
            FAST_LINES
            and getattr(stream, "_taking_plain_text", False)
            and screen.lines_fast_ready()
        ):
            m = PLAIN_LINES.match(text, pos)
            if m:
                screen.feed_lines_fast(m.group())
                pos = m.end()
                continue
            stop = text.find("\n", pos, pos + FEED_SLICE) + 1 or min(end, pos + FEED_SLICE)
        elif FAST_LINES:
            stop = text.find("\n", pos, pos + FEED_SLICE) + 1 or min(end, pos + FEED_SLICE)
        else:
            stop = min(end, pos + FEED_SLICE)
        try:
            stream.feed(strip_unsupported(text[pos:stop]))
        except Exception:  # an escape pyte cannot handle must not cost the transcript
            pass
        pos = stop
