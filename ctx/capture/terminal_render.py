"""Turn a recorded terminal stream into clean text and user/assistant turns.

A raw pty stream is not a transcript: programs move the cursor, redraw, colour and animate.
The output is played through a terminal emulator (pyte) of the recorded size, so what is
left is what the screen showed: spinners drawn over with ``\\r`` and lines rewritten by
cursor movement end in their final state, colours and other attributes are dropped.

The emulated screen (:mod:`ctx.capture.terminal_screen`) keeps a *document*: every row
that scrolled off the top, rows shown before a clear or a switch to or from the alternate
screen, then the screen; wrapped rows are joined back into the lines the program wrote.

Splitting into turns:

- **With recorded input** (``ctx wrap --record-input``): every Enter the user pressed is a
  submission. The cursor position when they started typing that line marks the prompt in the
  document; the user turn is the text on screen from there to the end of that logical line
  (what the program echoed, so line editing and history recall come out right), and the
  output between one submitted line and the next prompt is an "assistant" turn (for a
  generic program: its output). Input that was never echoed (a password) is not used.
  Enter pressed on the alternate screen (in a full-screen program such as an editor run
  from a shell) or with the cursor not below the previous submitted line is not a turn;
  if that is most of them (the program itself is full-screen), each assistant turn is
  instead the screen as it was when the user answered, minus lines already shown before.
- **Without input** (the default): prompt lines are recognised in the document: a line
  made of an optional ``(env) `` prefix, a word of up to 60 non-space characters ending in
  ``$ # % > ❯ › » λ`` or ``>>>``, or ``In [n]:``, then a space and the user's text
  (``user@host:~/dir$ ls``, ``>>> 1 + 1``, ``> hello``). Lines are grouped by their prompt
  (paths in shell prompts ignored), and the prompt seen on the most lines (at least two,
  counting an empty prompt waiting for input) is taken as the program's; a prompt longer
  than one character wins over a bare ``#`` or ``>`` (which are also Markdown). Each such
  line starts a user turn (``...`` lines after a ``>>>`` prompt continue it); the lines up
  to the next prompt are an assistant turn. No prompt: one assistant turn with everything.

With input that was not typed (``io["stdin"]`` "pipe", "direct" or "none": ctx's stdin was
a pipe or a file), nothing echoes it: each prompt the program printed read the next input
line, which becomes the user turn, and what follows the prompt is the answer.

Every submitted line is a user turn of its own (a silent ``cd src`` too); a Python block's
``...`` continuation lines join its turn. Output read from a pipe (``io["stdout"]`` "pipe" or
"tty") has bare newlines and is shown as a terminal would (CRLF).

Huge outputs: pyte costs about a microsecond per character, so 100 MB would take minutes.
Output is cut into *bursts* (no pause longer than ``BURST_GAP_S``, no input or resize
between), kept as bytes; of a burst longer than ``BURST_HEAD + BURST_TAIL`` bytes only the
head and the tail are decoded and rendered, around a line ``[… 99.7 MB of output dropped;
full stream in local/recordings/<id>.cast]`` (:func:`dropped_note`). Each turn then keeps at
most its first ``TURN_HEAD`` and last ``TURN_TAIL`` characters (:func:`cap_text`, which
counts what an earlier note inside the cut had dropped). If what is left still exceeds
``max_render_chars``, only its most recent part is rendered. Plain log-like output is cheap
anyway (see the fast paths of :mod:`ctx.capture.terminal_screen`).
"""

from __future__ import annotations

import codecs
import itertools
import os
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ctx.capture.journal import (
    Event,
    JournalDamaged,
    Recording,
    Unread,
    iter_records,
    parse_size,
)
from ctx.capture.journal import json_object as _header
from ctx.capture.terminal_screen import feed, screen_class, stream_class
from ctx.core.models import TranscriptTurn

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

BURST_GAP_S = 0.5
BURST_HEAD = 32_000
BURST_TAIL = 128_000
MAX_RENDER_CHARS = 8_000_000
#: The committed transcript keeps at most this much of one turn: its head and its tail.
TURN_HEAD = 16_000
TURN_TAIL = 48_000


# ---- preparing the stream: decode, cut into bursts, elide the middle of huge ones -----------


@dataclass
class _Op:
    kind: str  # "o" output, "i" input, "r" resize
    t: float
    text: str = ""
    size: tuple[int, int] | None = None


def _prepare(
    events: Iterable[Event | Sequence[Any]],
    input_events: Iterable[tuple[float, bytes | str]] | None,
    max_render_chars: int,
    io: dict[str, Any] | None = None,
    recording: str | None = None,
    piped: list[str] | None = None,
) -> list[_Op]:
    """Decode, cut into bursts and elide; streams ``events`` (bounded memory per burst).

    ``io`` is how the program was connected (:meth:`ctx.capture.spawn.IOPlan.describe`):
    output read from a pipe has bare newlines, which a terminal shows as CRLF; input copied
    from a pipe is not typing (nothing echoes it) and goes to ``piped`` instead."""
    io = io or {}
    lf_only = io.get("stdout") in ("pipe", "tty")  # no pty output processing: bare \n
    pipe_input = io.get("stdin") == "pipe"
    stream: Iterable[tuple[float, int, str, bytes | str]] = (
        (float(ev[0]), n, ev[1], ev[2]) for n, ev in enumerate(events) if ev[1] in ("o", "i", "r")
    )
    if input_events is not None:
        merged = list(stream)
        base = len(merged)
        merged.extend((float(t), base + n, "i", d) for n, (t, d) in enumerate(input_events))
        merged.sort(key=lambda m: (m[0], m[1]))
        stream = merged
    decoders = {"i": codecs.getincrementaldecoder("utf-8")(errors="replace")}
    ops: list[_Op] = []
    burst: _Burst | None = None
    last_t = 0.0

    def close_burst() -> None:
        nonlocal burst
        if burst is not None:
            text = burst.text()
            ops.append(_Op("o", burst.t, text.replace("\n", "\r\n") if lf_only else text))
            burst = None

    for t, _, code, data in stream:
        if code == "r":
            size = parse_size(data.decode("ascii", "replace") if isinstance(data, bytes) else data)
            if size:
                close_burst()
                ops.append(_Op("r", t, size=size))
            continue
        if code == "o":  # kept as bytes: the middle of a huge burst is never decoded
            if burst is not None and t - last_t > BURST_GAP_S:
                close_burst()
            if burst is None:
                burst = _Burst(t, recording)
            burst.add(data if isinstance(data, (bytes, Unread)) else str(data).encode("utf-8"))
            last_t = t
            continue
        text = decoders[code].decode(data) if isinstance(data, bytes) else str(data)
        if pipe_input:
            if piped is not None:
                piped.append(text)
            continue
        close_burst()
        ops.append(_Op("i", t, text))
    close_burst()
    return _keep_recent(ops, max_render_chars, recording)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{max(n, 1) / 1e3:.1f} KB"


def dropped_note(n: int, recording: str | None = None) -> str:
    """The line that stands where output was dropped, and where the rest is."""
    where = recording or "the local recording"
    return f"[… {_size(n)} of output dropped; full stream in {where}]"


def _marker(n: int, recording: str | None = None) -> str:
    return f"\r\n{dropped_note(n, recording)}\r\n"


def cap_text(text: str, recording: str | None = None) -> str:
    """At most TURN_HEAD + TURN_TAIL characters of ``text``: its head and tail, cut at line
    ends, around a :func:`dropped_note` line."""
    if len(text) <= TURN_HEAD + TURN_TAIL + 200:
        return text
    nl = text.rfind("\n", 0, TURN_HEAD)
    head_end = nl if nl > 0 else TURN_HEAD
    start = len(text) - TURN_TAIL
    nl = text.find("\n", start)
    tail_start = nl + 1 if 0 <= nl < len(text) - 1 else start
    middle = text[head_end:tail_start]
    dropped = len(middle)
    for m in _NOTE.finditer(middle):  # an earlier cut inside this one: count what it dropped
        dropped += int(float(m.group(1)) * (1e6 if m.group(2) == "MB" else 1e3)) - len(m[0])
    return f"{text[:head_end]}\n{dropped_note(dropped, recording)}\n{text[tail_start:]}"


_NOTE = re.compile(r"\[… ([\d.]+) (KB|MB) of output dropped; full stream in [^\]\n]*\]")


class _Burst:
    """Output without a pause: keeps its first BURST_HEAD and last BURST_TAIL bytes."""

    def __init__(self, t: float, recording: str | None = None) -> None:
        self.t = t
        self.recording = recording
        self.head: list[bytes | Unread] = []  # Unread: still on disk (a journal's payload)
        self.head_len = 0
        self.tail: deque[bytes | Unread] = deque()
        self.tail_len = 0
        self.dropped = 0

    def add(self, text: bytes | Unread) -> None:
        if self.head_len < BURST_HEAD:
            take = text[: BURST_HEAD - self.head_len]
            self.head.append(take)
            self.head_len += len(take)
            text = text[len(take) :]
        if not text:
            return
        self.tail.append(text)
        self.tail_len += len(text)
        while self.tail_len - len(self.tail[0]) >= BURST_TAIL:
            self.dropped += len(self.tail[0])
            self.tail_len -= len(self.tail.popleft())

    def text(self) -> str:
        if not self.dropped and self.head_len + self.tail_len <= BURST_HEAD + BURST_TAIL:
            return b"".join(map(bytes, [*self.head, *self.tail])).decode("utf-8", "replace")
        head = b"".join(map(bytes, self.head)).decode("utf-8", "replace")
        tail = b"".join(map(bytes, self.tail)).decode("utf-8", "replace")
        # Cut both at line ends, so no line (or escape sequence) is broken in two.
        nl = tail.find("\n", 0, BURST_HEAD)
        head, tail = (head + tail[: nl + 1], tail[nl + 1 :]) if nl >= 0 else (head, tail)
        cut = tail.find("\n", max(0, len(tail) - BURST_TAIL))
        cut = max(0, len(tail) - BURST_TAIL) if cut < 0 else cut + 1
        return head + _marker(self.dropped + cut, self.recording) + tail[cut:]


def _keep_recent(ops: list[_Op], budget: int, recording: str | None = None) -> list[_Op]:
    total = sum(len(op.text) for op in ops if op.kind == "o")
    if total <= budget:
        return ops
    dropped = 0
    left = budget
    for i in range(len(ops) - 1, -1, -1):
        op = ops[i]
        if op.kind != "o":
            continue
        if left <= 0:
            dropped += len(op.text)
            op.text = ""
        elif len(op.text) > left:
            cut = op.text.find("\n", len(op.text) - left)
            cut = len(op.text) - left if cut < 0 else cut + 1
            dropped += cut
            op.text = op.text[cut:]
            left = 0
        else:
            left -= len(op.text)
    first = next(i for i, op in enumerate(ops) if op.kind == "o")
    ops[first].text = _marker(dropped, recording).lstrip("\r\n") + ops[first].text
    return ops


# ---- playing it through the screen ----------------------------------------------------------


@dataclass
class _Submission:
    t: float
    row: int | None  # where typing started in the document (None: not known)
    x: int
    typed: str
    visible: bool  # the typed text was on screen when Enter was pressed
    committed: int  # rows in the document at Enter (for the screen-snapshot fallback)
    screen: list[str] = field(default_factory=list)
    alt: bool = False  # typed into a program on the alternate screen
    first_output_t: float | None = None


class _LineEditor:
    """Follows what the user types well enough to know each submitted line."""

    def __init__(self) -> None:
        self.buf: list[str] = []
        self.started = False
        self.esc = ""  # an escape sequence being skipped
        self.paste = False

    def feed(self, text: str, on_start: Any, on_submit: Any) -> None:
        for ch in text:
            if self.esc:
                self.esc += ch
                if self._esc_done():
                    seq, self.esc = self.esc, ""
                    if seq == "\x1b[200~":
                        self.paste = True
                    elif seq == "\x1b[201~":
                        self.paste = False
                continue
            if not self.started:
                self.started = True
                on_start()
            if ch == "\x1b":
                self.esc = ch
            elif ch in "\r\n":
                if self.paste:
                    self.buf.append("\n")
                else:
                    on_submit("".join(self.buf))
                    self.buf.clear()
                    self.started = False
            elif ch in "\x7f\x08":
                if self.buf:
                    self.buf.pop()
            elif ch == "\x15":  # Ctrl-U
                self.buf.clear()
            elif ch == "\x17":  # Ctrl-W
                text_now = "".join(self.buf).rstrip()
                cut = text_now.rfind(" ")
                self.buf = list(text_now[: cut + 1]) if cut >= 0 else []
            elif ch == "\x03":  # Ctrl-C abandons the line
                self.buf.clear()
                self.started = False
            elif ch == "\t" or ch >= " ":
                self.buf.append(ch)

    def _esc_done(self) -> bool:
        s = self.esc
        if len(s) < 2:
            return False
        if s[1] == "[":
            return len(s) > 2 and "\x40" <= s[-1] <= "\x7e"
        if s[1] == "O":
            return len(s) >= 3
        return True


def _play(ops: list[_Op], cols: int, rows: int) -> tuple[Any, list[_Submission]]:
    screen = screen_class()(max(cols, 1), max(rows, 1))
    stream = stream_class()(screen)
    editor = _LineEditor()
    subs: list[_Submission] = []
    start: list[Any] = [None, 0]
    chunk_t = 0.0
    chunk_first = [True]

    def on_start() -> None:
        if chunk_first[0]:
            row, x = screen.abs_cursor()
            start[0], start[1] = row, x
        else:  # a later line of the same paste: the echo of the earlier ones is not drawn yet
            start[0] = None

    def on_submit(typed: str) -> None:
        shown = screen.screen_rows()
        visible = bool(typed.strip()) and typed.strip() in "\n".join(shown)
        if not chunk_first[0] and subs and subs[-1].t == chunk_t:
            prev = subs[-1]
            prev.typed = f"{prev.typed}\n{typed}" if typed else prev.typed
            return
        subs.append(
            _Submission(
                chunk_t,
                start[0],
                start[1],
                typed,
                visible,
                len(screen.committed),
                shown,
                alt=screen.in_alt,
            )
        )
        chunk_first[0] = False
        start[0] = None

    for op in ops:
        if op.kind == "o":
            if subs and subs[-1].first_output_t is None:
                subs[-1].first_output_t = op.t
            feed(stream, screen, op.text)
        elif op.kind == "r" and op.size:
            screen.resize(op.size[1], op.size[0])
        elif op.kind == "i":
            chunk_t = op.t
            chunk_first[0] = True
            if not editor.started:
                start[0] = None
            else:
                chunk_first[0] = start[0] is not None
            editor.feed(op.text, on_start, on_submit)
    return screen, subs


# ---- the document → turns ---------------------------------------------------------------------


def _logical(rows: list[str], flags: list[bool], lo: int, hi: int) -> list[str]:
    """Rows lo..hi-1 with wrapped rows joined into the lines the program wrote."""
    lines: list[str] = []
    buf = ""
    for i in range(max(lo, 0), min(hi, len(rows))):
        buf += rows[i]
        if not flags[i]:
            lines.append(buf.rstrip())
            buf = ""
    if buf:
        lines.append(buf.rstrip())
    return lines


def _clean(lines: Iterable[str]) -> str:
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue  # no leading or repeated blank lines
        out.append(line)
    out = _drop_filler(out)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _drop_filler(lines: list[str]) -> list[str]:
    """Full-screen filler: runs of lines that are only ``~`` (vim's rows past the end of
    the file) are not text anyone wrote."""
    if "~" not in lines:
        return lines
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j] == "~":
            j += 1
        if j - i >= 2:
            i = j
            continue
        out.append(lines[i])
        i += 1
    return out


def _cells_from(text: str, x: int) -> str:
    """``text`` from screen column ``x`` on (wide characters take two columns)."""
    from wcwidth import wcwidth

    col = 0
    for i, ch in enumerate(text):
        if col >= x:
            return text[i:]
        col += max(wcwidth(ch), 0)
    return ""


def _line_end(flags: list[bool], row: int) -> int:
    while row < len(flags) and flags[row]:
        row += 1
    return row


def _iso(started_at: float | None, t: float | None) -> str | None:
    if started_at is None or t is None:
        return None
    dt = datetime.fromtimestamp(started_at + t, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class _Turns:
    def __init__(self, started_at: float | None) -> None:
        self.turns: list[TranscriptTurn] = []
        self.started_at = started_at

    def add(self, role: str, text: str, t: float | None) -> None:
        """Each user line submitted is a turn of its own (a silent command too); output
        pieces of one answer join."""
        if not text.strip():
            return
        if self.turns and self.turns[-1].role == role == "assistant":
            self.turns[-1].text += "\n" + text
            return
        meta = {"t": round(t, 3)} if t is not None else {}
        self.turns.append(TranscriptTurn(role, text, ts=_iso(self.started_at, t), meta=meta))


def _turns_from_input(
    screen: Any, subs: list[_Submission], first_t: float | None, started_at: float | None
) -> list[TranscriptTurn]:
    rows, flags = screen.document()
    out = _Turns(started_at)
    # Submissions whose prompt lies below the previous one's line mark turns in the
    # document; others (Enter inside a full-screen program run from a shell) are skipped.
    kept: list[tuple[_Submission, int]] = []
    prev_end = -1
    for sub in subs:
        if sub.alt or sub.row is None or sub.row <= prev_end or sub.row >= len(rows):
            continue
        prev_end = _line_end(flags, sub.row)
        kept.append((sub, prev_end))
    if kept and 2 * len(kept) > sum(not sub.alt for sub in subs):
        prev_end = -1
        prompts = set()
        for sub, end in kept:
            assert sub.row is not None
            between = _clean(_logical(rows, flags, prev_end + 1, sub.row))
            out.add("assistant", between, first_t)
            first_t = sub.first_output_t
            first = _cells_from(rows[sub.row], sub.x)
            echoed = first + "".join(rows[sub.row + 1 : end + 1])
            user = echoed.rstrip() or (sub.typed.rstrip() if sub.visible else "")
            prompt = rows[sub.row][: len(rows[sub.row]) - len(first)].strip()
            last = out.turns[-1] if out.turns else None
            if prompt == "..." and not between and last is not None and last.role == "user":
                last.text = f"{last.text}\n{user}".rstrip()  # a continuation line
            else:
                out.add("user", user.strip(), sub.t)
            prompts.add(prompt)
            prev_end = end
        tail = _logical(rows, flags, prev_end + 1, len(rows))
        while tail and (not tail[-1].strip() or tail[-1].strip() in prompts):
            tail.pop()  # the prompt left waiting when the program ended
        out.add("assistant", _clean(tail), first_t)
        return out.turns
    # The cursor went back (a full-screen program): use what the screen showed at each Enter.
    seen: set[str] = set()
    committed = 0
    for sub in subs:
        typed = sub.typed.strip()
        lines = screen.committed[committed : sub.committed] + [
            line for line in sub.screen if not typed or typed not in line
        ]
        fresh = [line for line in lines if line.strip() and line not in seen]
        seen.update(lines)
        out.add("assistant", _clean(fresh), first_t)
        out.add("user", typed if sub.visible else "", sub.t)
        first_t = sub.first_output_t
        committed = sub.committed
    final = screen.committed[committed:] + screen.screen_rows()
    out.add("assistant", _clean(line for line in final if line not in seen), first_t)
    return out.turns


_PROMPT = re.compile(
    r"^(?P<prefix>(?:\([^()\s]{1,40}\) )?(?:In \[\d+\]:|\.\.\.|\S{0,60}?(?:>>>|[$#%>❯›»λ])))"
    r"(?: (?P<text>.*))?$"
)
_PATH_IN_PROMPT = re.compile(r":\S*(?=[$#%]$)")


def _prompt_key(prefix: str) -> str:
    key = _PATH_IN_PROMPT.sub(":", prefix)
    return re.sub(r"^In \[\d+\]:", "In [N]:", key)


def find_prompt(lines: Sequence[str]) -> str | None:
    """The prompt key (see the module docstring) most lines start with, or None."""
    counts: dict[str, int] = {}
    for line in lines:
        m = _PROMPT.match(line)
        if m:
            key = _prompt_key(m.group("prefix"))
            counts[key] = counts.get(key, 0) + 1
    ranked = sorted(
        ((len(k) > 1, n, len(k), k) for k, n in counts.items() if n >= 2 and k != "..."),
        reverse=True,
    )
    return ranked[0][3] if ranked else None


def _turns_from_prompts(
    lines: list[str], first_t: float | None, started_at: float | None
) -> list[TranscriptTurn]:
    out = _Turns(started_at)
    key = find_prompt(lines)
    if key is None:
        out.add("assistant", _clean(lines), first_t)
        return out.turns
    block: list[str] = []
    user: list[str] | None = None
    for line in lines:
        m = _PROMPT.match(line)
        prefix = m.group("prefix") if m else None
        if user is not None and key == ">>>" and prefix == "..." and m:
            user.append(m.group("text") or "")
            continue
        if m and prefix is not None and _prompt_key(prefix) == key:
            if user is not None:
                out.add("user", _clean(user), None)
                user = None
            out.add("assistant", _clean(block), first_t if not out.turns else None)
            block = []
            text = (m.group("text") or "").strip()
            user = [text] if text else None
            continue
        if user is not None:
            out.add("user", _clean(user), None)
            user = None
        block.append(line)
    if user is not None:
        out.add("user", _clean(user), None)
    out.add("assistant", _clean(block), None)
    return out.turns


def _turns_from_piped(
    lines: list[str], inputs: list[str], first_t: float | None, started_at: float | None
) -> list[TranscriptTurn]:
    """Input that was not typed (a pipe or a file) is not echoed: each prompt the program
    printed read the next input line, so that line is the user turn and what follows the
    prompt, up to the next one, is the answer (``>>> 42`` is the answer 42, not input)."""
    out = _Turns(started_at)
    key = find_prompt(lines)
    queue = deque(line.rstrip("\r") for line in "".join(inputs).split("\n"))
    if queue and queue[-1] == "":
        queue.pop()  # the newline that ended the last line
    if key is None:
        out.add("user", _clean(queue), None)
        out.add("assistant", _clean(lines), first_t)
        return out.turns
    block: list[str] = []
    for line in lines:
        rest = line
        while m := _PROMPT.match(rest):
            prefix = m.group("prefix")
            cont = key == ">>>" and prefix == "..."
            if not cont and _prompt_key(prefix) != key:
                break
            if queue:
                text = queue.popleft()
                last = out.turns[-1] if out.turns else None
                if cont and not block and last is not None and last.role == "user":
                    last.text = f"{last.text}\n{text}".rstrip()
                else:
                    out.add("assistant", _clean(block), first_t)
                    block.clear()
                    out.add("user", text.rstrip(), None)
            rest = m.group("text") or ""
        if rest.strip() or block:
            block.append(rest)
    out.add("assistant", _clean(block), None)
    return out.turns


# ---- the public functions ---------------------------------------------------------------------


def render_transcript(
    events: Iterable[Event | Sequence[Any]],
    cols: int,
    rows: int,
    input_events: Iterable[tuple[float, bytes | str]] | None = None,
    *,
    started_at: float | None = None,
    max_render_chars: int = MAX_RENDER_CHARS,
    io: dict[str, Any] | None = None,
    recording: str | None = None,
) -> list[TranscriptTurn]:
    """Clean user/assistant turns from a recorded stream (see the module docstring).

    ``events`` are ``(t, code, data)`` with code "o" (output), "i" (input) or "r"
    ("COLSxROWS"), data bytes or str; ``input_events`` are extra ``(t, data)`` inputs.
    ``started_at`` (epoch seconds) gives each turn an ISO ``ts``. ``io`` says how the
    program was connected (None: a terminal); ``recording`` names the full stream in the
    note that replaces what a huge turn drops (:func:`cap_text`).
    """
    piped: list[str] = []
    ops = _prepare(events, input_events, max_render_chars, io, recording, piped)
    screen, subs = _play(ops, cols, rows)
    first_t = next((op.t for op in ops if op.kind == "o" and op.text), None)
    if io and io.get("stdin", "pty") != "pty":
        doc_rows, flags = screen.document()
        lines = _logical(doc_rows, flags, 0, len(doc_rows))
        turns = _turns_from_piped(lines, piped, first_t, started_at)
    elif any(s.row is not None for s in subs):
        turns = _turns_from_input(screen, subs, first_t, started_at)
    else:
        doc_rows, flags = screen.document()
        lines = _logical(doc_rows, flags, 0, len(doc_rows))
        turns = _turns_from_prompts(lines, first_t, started_at)
    for turn in turns:
        turn.text = cap_text(turn.text, recording)
    return turns


def render_text(
    events: Iterable[Event | Sequence[Any]],
    cols: int,
    rows: int,
    *,
    max_render_chars: int = MAX_RENDER_CHARS,
    io: dict[str, Any] | None = None,
) -> str:
    """Everything the terminal showed, as clean text (the document of the module docstring)."""
    ops = [op for op in _prepare(events, None, max_render_chars, io) if op.kind != "i"]
    screen, _ = _play(ops, cols, rows)
    doc_rows, flags = screen.document()
    return _clean(_logical(doc_rows, flags, 0, len(doc_rows)))


def transcript_from_recording(rec: Recording, **kwargs: Any) -> list[TranscriptTurn]:
    """:func:`render_transcript` of a journal or cast, with its size and start time."""
    return render_transcript(rec.events, rec.cols, rec.rows, started_at=rec.started_at, **kwargs)


def transcript_from_journal(
    path: str | os.PathLike[str], *, verify: bool = True, **kwargs: Any
) -> list[TranscriptTurn]:
    """Like :func:`transcript_from_recording`, streaming the journal from disk: memory stays
    bounded however much output the session had. A damaged tail ends the stream early.

    ``verify=False`` (a journal this process has just closed): output payloads stay on disk
    until rendering needs them, so of a huge burst only the head and tail kept are read."""
    header: dict[str, Any] = {}
    fd = -1 if verify else os.open(path, os.O_RDONLY | os.O_CLOEXEC)

    def events() -> Iterator[Event]:
        records: Iterator[tuple[str, float, bytes | Unread]]
        try:
            if fd < 0:
                records = iter_records(path, verify=verify)
            else:
                records = iter_records(path, verify=False, skip=b"o", unread_fd=fd)
            for code, t, payload in records:
                if code == "h":
                    header.update(_header(bytes(payload)))
                elif code in ("o", "i"):
                    yield Event(t, code, payload)  # type: ignore[arg-type]  # Unread: see _Burst
                elif code == "r":
                    yield Event(t, code, bytes(payload).decode("ascii", "replace"))
        except JournalDamaged:
            return

    try:
        stream = events()
        first = next(stream, None)  # reads the header record first
        rec = Recording(header=header)
        evs = itertools.chain([first] if first is not None else [], stream)
        meta = header.get("meta")
        if isinstance(meta, dict) and isinstance(meta.get("io"), dict):
            kwargs.setdefault("io", meta["io"])
        return render_transcript(evs, rec.cols, rec.rows, started_at=rec.started_at, **kwargs)
    finally:
        if fd >= 0:
            os.close(fd)
