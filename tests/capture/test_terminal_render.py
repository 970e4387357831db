"""The terminal renderer: clean text from escape-laden streams, and turns from sessions."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from ctx.capture import terminal_render as tr
from ctx.capture import terminal_screen
from ctx.capture.journal import Event, JournalWriter, read_journal
from ctx.capture.terminal_render import (
    find_prompt,
    render_text,
    render_transcript,
    transcript_from_journal,
    transcript_from_recording,
)

from .conftest import OuterTerminal, child, proxy_argv


def out(*chunks: str | bytes, gap: float = 0.01) -> list[tuple[float, str, str | bytes]]:
    return [(i * gap, "o", c) for i, c in enumerate(chunks)]


def roles(turns: list) -> list[tuple[str, str]]:
    return [(t.role, t.text) for t in turns]


def test_colours_spinners_and_cursor_movement_disappear() -> None:
    stream = out(
        "\x1b[1;31mError:\x1b[0m \x1b[38;5;208mdisk\x1b[0m full\r\n",
        "Working |",
        "\rWorking /",
        "\rWorking -",
        "\r\x1b[2KDone in 3s\r\n",
        "progress 10%\x1b[3D50%\x1b[3D100%\r\n",
        "first\r\nsecond\r\n\x1b[2A\x1b[2Kfirst, rewritten\r\n\x1b[B",
        "\x1b]0;window title\x07tab\there\r\n",
    )
    assert render_text(stream, 80, 24) == (
        "Error: disk full\nDone in 3s\nprogress 100%\nfirst, rewritten\nsecond\ntab     here"
    )


def test_utf8_split_across_chunks_and_invalid_bytes() -> None:
    text = render_text(out(b"caf\xc3", b"\xa9 \xe6\x97\xa5\xe6\x9c\xac ok \xff!\r\n"), 80, 24)
    assert text == "café 日本 ok \ufffd!"


def test_wrapped_lines_are_joined_and_scrolled_lines_kept() -> None:
    long = "word " * 40  # 200 characters on a 50-column screen
    lines = "".join(f"row {i}\r\n" for i in range(200))  # scrolls far past 10 rows
    text = render_text(out(long.strip() + "\r\n", lines), 50, 10)
    got = text.splitlines()
    assert got[0] == long.strip()
    assert got[1:] == [f"row {i}" for i in range(200)]


def test_clear_screen_and_alternate_screen_keep_what_was_shown() -> None:
    stream = out(
        "before clear\r\n",
        "\x1b[H\x1b[2J\x1b[3Jafter clear\r\n",
        "\x1b[?1049h\x1b[Hfull-screen view\r\n",
        "\x1b[?1049lback on the main screen\r\n",
    )
    assert render_text(stream, 40, 10).split("\n") == [
        "before clear",
        "after clear",
        "full-screen view",
        "back on the main screen",
    ]


def test_turns_from_recorded_input() -> None:
    events = [
        (0.0, "o", "Toy 1.0\r\n> "),
        (1.0, "i", "hel"),
        (1.01, "o", "hel"),
        (1.2, "i", "p\x7flo"),  # a typo fixed with backspace
        (1.21, "o", "p\b \blo"),
        (1.5, "i", "\r"),
        (1.51, "o", "\r\n\x1b[32mhi there\x1b[0m\r\nsecond line\r\n> "),
        (3.0, "i", "\x1b[A"),  # history recall: the screen shows what was submitted
        (3.01, "o", "hello"),
        (3.2, "i", "\r"),
        (3.21, "o", "\r\nhi again\r\n> "),
        (4.0, "i", "quit\r"),  # typed and submitted at once, before any echo
        (4.01, "o", "quit\r\nbye\r\n"),
    ]
    turns = render_transcript(events, 80, 24, started_at=1_700_000_000.0)
    assert roles(turns) == [
        ("assistant", "Toy 1.0"),
        ("user", "hello"),
        ("assistant", "hi there\nsecond line"),
        ("user", "hello"),
        ("assistant", "hi again"),
        ("user", "quit"),
        ("assistant", "bye"),
    ]
    assert turns[1].ts == "2023-11-14T22:13:21.500Z"
    assert turns[2].meta == {"t": 1.51}


def test_input_given_separately_and_unechoed_input_is_not_kept() -> None:
    output = [
        (0.0, "o", "Password: "),
        (1.1, "o", "\r\nwelcome\r\n$ "),
        (2.1, "o", "ls\r\nfile.txt\r\n$ "),
    ]
    inputs = [(1.0, b"hunter2\r"), (2.0, b"ls\r")]
    turns = render_transcript(output, 80, 24, input_events=inputs)
    assert "hunter2" not in " ".join(t.text for t in turns)
    assert roles(turns)[-3:] == [
        ("assistant", "welcome"),
        ("user", "ls"),
        ("assistant", "file.txt"),
    ]


def test_full_screen_program_falls_back_to_screen_snapshots() -> None:
    def frame(conversation: list[str], typed: str) -> str:
        body = "".join(f"\x1b[{i + 1};1H\x1b[2K{line}" for i, line in enumerate(conversation))
        return f"{body}\x1b[10;1H\x1b[2K│ > {typed}"

    events = [
        (0.0, "o", "\x1b[?1049h" + frame(["Chat 2.0"], "")),
        (1.0, "i", "hello"),
        (1.01, "o", frame(["Chat 2.0"], "hello")),
        (1.5, "i", "\r"),
        (1.6, "o", frame(["Chat 2.0", "you: hello", "bot: hi, how can I help?"], "")),
        (3.0, "i", "bye"),
        (3.01, "o", frame(["Chat 2.0", "you: hello", "bot: hi, how can I help?"], "bye")),
        (3.5, "i", "\r"),
        (3.6, "o", frame(["Chat 2.0", "you: hello", "bot: hi, how can I help?", "bot: bye!"], "")),
    ]
    turns = render_transcript(events, 60, 12)
    assert [t.role for t in turns] == ["assistant", "user", "assistant", "user", "assistant"]
    assert turns[1].text == "hello" and turns[3].text == "bye"
    assert "bot: hi, how can I help?" in turns[2].text
    assert "bot: bye!" in turns[4].text and "Chat 2.0" not in turns[4].text


def test_prompt_heuristics_without_input() -> None:
    shell = out(
        "user@box:~/proj$ ls\r\nREADME.md  src\r\n",
        "user@box:~/proj/src$ cat notes.md\r\n# Notes\r\n> quoted\r\n",
        "user@box:~/proj/src$ \r\n",
    )
    assert roles(render_transcript(shell, 80, 24)) == [
        ("user", "ls"),
        ("assistant", "README.md  src"),
        ("user", "cat notes.md"),
        ("assistant", "# Notes\n> quoted"),
    ]
    python = out(
        "Python 3.11\r\n>>> def f(x):\r\n...     return x * 2\r\n...\r\n>>> f(21)\r\n42\r\n>>> "
    )
    assert roles(render_transcript(python, 80, 24)) == [
        ("assistant", "Python 3.11"),
        ("user", "def f(x):\n    return x * 2"),  # no output: still a turn of its own
        ("user", "f(21)"),
        ("assistant", "42"),
    ]
    assert find_prompt(["plain output", "no prompt here"]) is None
    assert roles(render_transcript(out("just some output\r\n"), 80, 24)) == [
        ("assistant", "just some output")
    ]


def test_fast_paths_give_what_pyte_gives(monkeypatch) -> None:
    rng = random.Random(5)
    kinds = [
        lambda i: "w" * rng.randint(0, 130) + f" {i}\r\n",  # wraps on narrow screens
        lambda i: f"\x1b[3{i % 8}mcolour {i}\x1b[0m\r\n",
        lambda i: f"spin |\rspin /\rspin {i}\r\n",
        lambda i: "\x1b[2A\x1b[2Kup\r\n\r\n",
        lambda i: "héllo 日本 wide\r\n",
        lambda i: "\x1b[H\x1b[2Jcleared\r\n",
        lambda i: "no newline ",
        lambda i: "x" * 80 + "\r\n",
        lambda i: "\r\n",
    ]
    text = "".join(rng.choice(kinds)(i) for i in range(1500))
    cuts = sorted(rng.sample(range(1, len(text)), 300))
    events = [
        (n * 0.001, "o", text[a:b])
        for n, (a, b) in enumerate(zip([0, *cuts], [*cuts, None], strict=True))
    ]
    for cols, rows in ((80, 24), (40, 5)):
        monkeypatch.setattr(terminal_screen, "FAST_LINES", False)
        plain = render_text(events, cols, rows)
        monkeypatch.setattr(terminal_screen, "FAST_LINES", True)
        assert render_text(events, cols, rows) == plain
        assert "cleared" in plain and "\x1b" not in plain


def test_huge_output_renders_quickly_with_head_and_tail() -> None:
    lines = [f"log line {i:08d} " + "x" * 60 + "\r\n" for i in range(400_000)]  # ~30 MB
    chunks = ["".join(lines[i : i + 2000]) for i in range(0, len(lines), 2000)]
    events = [Event(i * 0.001, "o", c) for i, c in enumerate(chunks)]
    text = render_text(events, 120, 40)
    got = text.splitlines()
    assert got[0].startswith("log line 00000000")
    assert got[-1].startswith("log line 00399999")
    assert any("of output dropped; full stream in" in line for line in got)
    assert len(text) < tr.BURST_HEAD + tr.BURST_TAIL + 1000


def test_a_just_closed_journal_is_rendered_reading_only_what_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a 100 MB `cat`, the renderer reads the head and tail it keeps, not the middle:
    the same turns as a full (checked) read, from a small part of the file."""
    journal = tmp_path / "s.journal"
    writer = JournalWriter(journal, command=["cat", "big"], fsync_interval=0)
    writer.on_start(100, 30)
    line = "z" * 70 + "\r\n"
    for i in range(160):  # one burst of ~11 MB
        writer.on_output((f"chunk {i:04d} " + line * 1000).encode(), i * 0.001)
    writer.on_output(b"$ ", 2.0)  # after a pause: a burst of its own
    writer.on_input(b"exit\r", 2.5)
    writer.on_output(b"exit\r\n", 2.6)
    writer.finish(exit_code=0)
    full = transcript_from_journal(journal, recording="r.cast")
    read = [0]
    pread = os.pread

    def counting(fd: int, n: int, offset: int) -> bytes:
        data = pread(fd, n, offset)
        read[0] += len(data)
        return data

    monkeypatch.setattr(os, "pread", counting)
    lean = transcript_from_journal(journal, verify=False, recording="r.cast")
    assert roles(lean) == roles(full)
    assert "of output dropped; full stream in r.cast" in lean[0].text
    assert lean[0].text.startswith("chunk 0000 ")
    assert 0 < read[0] < 2 * (tr.BURST_HEAD + tr.BURST_TAIL) + 200_000
    assert journal.stat().st_size > 10_000_000


def test_render_budget_keeps_the_most_recent_output() -> None:
    bursts = [(float(i), "o", f"burst {i}\r\n" + "y" * 90 + "\r\n") for i in range(200)]
    text = render_text(bursts, 100, 24, max_render_chars=5_000)
    got = text.splitlines()
    assert "of output dropped; full stream in" in got[0]
    assert got[-2] == "burst 199"
    assert "burst 0" not in got


def test_real_session_through_the_proxy(outer: type[OuterTerminal], tmp_path: Path) -> None:
    journal = tmp_path / "repl.ctxj"
    term = outer(proxy_argv(child("repl"), journal, record_input=True), cols=70, rows=12)
    term.read_until(b"> ")
    for word in ("what is ctx", "tell me more"):
        for ch in word:  # typed key by key, as a person would
            term.send(ch.encode())
        term.read_until(word.encode())
        term.send(b"\r")
        term.read_until(f"you said:\x1b[0m {word}\r\n> ".encode())  # no typing ahead
    term.send(b"quit\r")
    term.read_until(b"bye")
    assert term.wait() == 0
    rec = read_journal(journal)
    assert rec.complete and rec.exit and rec.exit["exit_code"] == 0
    expected = [
        ("assistant", "Toy REPL 1.0"),
        ("user", "what is ctx"),
        ("assistant", "you said: what is ctx"),
        ("user", "tell me more"),
        ("assistant", "you said: tell me more"),
        ("user", "quit"),
        ("assistant", "bye"),
    ]
    assert roles(transcript_from_recording(rec)) == expected
    assert roles(transcript_from_journal(journal)) == expected  # streamed from disk
    # Without the recorded input, the "> " prompt is recognised instead.
    rec.events = [e for e in rec.events if e.code != "i"]
    assert roles(transcript_from_recording(rec)) == expected


def test_a_full_screen_program_inside_a_shell_session_keeps_the_shell_turns() -> None:
    events = [
        (0.0, "o", "$ "),
        (1.0, "i", "vim notes\r"),
        (1.1, "o", "vim notes\r\n\x1b[?1049h\x1b[H\x1b[2Jline one\r\nline two\x1b[1;1H"),
        (2.0, "i", "\r"),  # Enter inside vim, at the top of its screen
        (2.1, "o", "\x1b[2;1H"),
        (3.0, "i", ":wq\r"),
        (3.1, "o", "\x1b[24;1H:wq\x1b[?1049l\r\n$ "),
        (4.0, "i", "echo done\r"),
        (4.1, "o", "echo done\r\ndone\r\n$ "),
    ]
    turns = render_transcript(events, 80, 24)
    texts = roles(turns)
    assert texts[0] == ("user", "vim notes")
    assert "line one\nline two" in texts[1][1]
    assert texts[-2:] == [("user", "echo done"), ("assistant", "done")]


def test_sequences_real_tuis_send() -> None:
    """Scroll up/down, the kitty keyboard protocol, DCS/APC strings, OSC, bracketed paste."""
    kitty = "\x1b[>1u\x1b[?u\x1b[=5;1u\x1b[<u\x1b[>4;2m\x1bP+q544e\x1b\\\x1b_Gf=24\x1b\\"
    stream = out(
        kitty,
        "\x1b[?2004h\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\ text\r\n",
        "\x1b[?1049h\x1b[H\x1b[2Jrow1\r\nrow2\r\nrow3",
        "\x1b[1T",  # scroll down one row: a blank row on top, row3 moves off the bottom
        "\x1b[1;1Hnew top",
        "\x1b[?1049l\x1b[?2004l",
    )
    text = render_text(stream, 20, 3)
    assert text.split("\n") == ["link text", "new top", "row1", "row2"]
    assert "u" not in text.replace("link text", "")  # no stray kitty `u`
    up = out("a\r\nb\r\nc", "\x1b[2S", "\x1b[3;1Hd")  # scroll up two: a and b leave the top
    assert render_text(up, 20, 3).split("\n") == ["a", "b", "c", "", "d"]


def test_vim_filler_and_trailing_blank_lines_are_dropped() -> None:
    screen = "\x1b[?1049h\x1b[H\x1b[2Jline one\r\nline two\r\n" + "~\r\n" * 5 + "\r\n\r\n"
    text = render_text(out(screen, "\x1b[?1049l"), 40, 10)
    assert text == "line one\nline two"


def test_piped_input_pairs_each_prompt_with_its_line() -> None:
    events = [
        (0.0, "i", b"print(6*7)\ndef f():\n  return 1\n\nf()\n"),
        (0.1, "o", b"Python 3\n>>> 42\n>>> ... ... >>> 1\n>>> \n"),
    ]
    io = {"stdin": "pipe", "stdout": "tty"}
    assert roles(render_transcript(events, 80, 24, io=io)) == [
        ("assistant", "Python 3"),
        ("user", "print(6*7)"),
        ("assistant", "42"),
        ("user", "def f():\n  return 1"),
        ("user", "f()"),
        ("assistant", "1"),
    ]
    # Input passed as is (a file): not seen, so what follows a prompt is output.
    direct = [(0.1, "o", b">>> 42\n>>> \n")]
    io = {"stdin": "direct", "stdout": "pipe"}
    assert roles(render_transcript(direct, 80, 24, io=io)) == [("assistant", "42")]


def test_a_huge_turn_keeps_head_and_tail_and_says_what_it_dropped() -> None:
    lines = [f"line {i:07d} " + "z" * 60 for i in range(400_000)]  # ~29 MB, one burst
    events = [
        (0.0, "o", "\r\n".join(lines[i : i + 5000]) + "\r\n") for i in range(0, 400_000, 5000)
    ]
    turns = render_transcript(events, 100, 30, recording="local/recordings/s-x.cast")
    (turn,) = turns
    assert len(turn.text) <= tr.TURN_HEAD + tr.TURN_TAIL + 200
    got = turn.text.split("\n")
    assert got[0] == lines[0] and got[-1] == lines[-1]
    notes = [line for line in got if line.startswith("[…")]
    assert notes and all("full stream in local/recordings/s-x.cast]" in n for n in notes)
    assert any(" MB of output dropped" in n for n in notes)
