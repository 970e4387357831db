"""What a careless pipe or a hostile teammate must not do: delete without asking, store binary
junk, drive the reader's terminal, or reach "internal error"."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import git
from tests.helpers import Result, ctx_proc, run_ctx

PAYLOAD = "\x1b]0;pwned\x07\x1b[2J\x1b[H"  # retitle the terminal, clear it, home the cursor
C1_CSI = "\x9b2J"  # the one-byte CSI of C1
BIDI = "rm -rf build \u202e\u2066 # safe \u2069"  # reorders what follows on the line


def _add(capsys: pytest.CaptureFixture[str], text: str = "keep me") -> str:
    r = run_ctx(capsys, "memory", "add", text)
    assert r.code == 0, r.err
    return r.out.strip()


def _ids(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [m["id"] for m in run_ctx(capsys, "memory", "list", "--json").json()]


# ---- confirmation -----------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["n\n", "y\n", ""])
def test_piped_stdin_never_confirms_a_delete(
    store: Path, capsys: pytest.CaptureFixture[str], answer: str
) -> None:
    mid = _add(capsys)
    for args in (["forget", mid], ["memory", "rm", mid]):
        r = ctx_proc(store, *args, input=answer)
        assert r.code == 2, r
        assert "stdin is not a terminal" in r.err and "--yes" in r.err
        assert len(r.err.strip().splitlines()) == 1
    assert _ids(capsys) == [mid]
    r = ctx_proc(store, "gc", "--force", input=answer)
    assert r.code == 2 and "--yes" in r.err


def test_yes_deletes_without_a_terminal(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = _add(capsys, "one"), _add(capsys, "two")
    assert ctx_proc(store, "memory", "rm", "-y", a, input="").code == 0
    assert ctx_proc(store, "forget", "--yes", b, input="").code == 0
    assert _ids(capsys) == []


def test_unknown_id_fails_before_asking(store: Path) -> None:
    r = ctx_proc(store, "memory", "rm", "m-nosuchthing", input="")
    assert r.code == 1 and "no memory matches" in r.err


def _spawn(cwd: Path, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    import pexpect

    return pexpect.spawn(
        sys.executable,
        ["-m", "ctx", *args],
        cwd=str(cwd),
        env={**os.environ, **(env or {})},
        encoding="utf-8",
        timeout=30,
        dimensions=(24, 100),
    )


def test_terminal_answer_decides(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mid = _add(capsys)
    child = _spawn(store, "forget", mid)
    child.expect(r"\[y/N\]")
    child.sendline("n")
    child.expect("nothing changed")
    child.expect(pytest.importorskip("pexpect").EOF)
    child.close()
    assert child.exitstatus == 1
    assert _ids(capsys) == [mid]

    child = _spawn(store, "memory", "rm", mid)
    child.expect(r"\[y/N\]")
    child.sendline("y")
    child.expect(f"removed {mid}")
    child.expect(pytest.importorskip("pexpect").EOF)
    child.close()
    assert child.exitstatus == 0
    assert _ids(capsys) == []


# ---- bad input is a user error ------------------------------------------------------------------


def test_binary_input_is_refused(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elf = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 20
    for args in (["memory", "add"], ["memory", "add", "-"], ["append", "-"]):
        if args[0] == "append":
            assert run_ctx(capsys, "capture").code == 0
        proc = _run_bytes(store, args, elf)
        assert proc.code == 1, proc
        assert "not UTF-8 text" in proc.err and len(proc.err.strip().splitlines()) == 1
    proc = _run_bytes(store, ["memory", "add"], "caf\xe9".encode("latin-1"))
    assert proc.code == 1 and "not UTF-8 text" in proc.err
    assert _ids(capsys) == []

    (store / "queries.bin").write_bytes(elf)
    r = run_ctx(capsys, "search", "--batch", "queries.bin")
    assert r.code == 1 and "not UTF-8 text" in r.err
    (store / "chat.jsonl").write_bytes(elf)
    r = run_ctx(capsys, "import", "jsonl", "chat.jsonl")
    assert r.code == 1 and "not UTF-8 text" in r.err and "chat.jsonl" in r.err


def _run_bytes(cwd: Path, args: list[str], data: bytes) -> Result:
    import subprocess

    p = subprocess.run(
        [sys.executable, "-m", "ctx", *args], cwd=cwd, input=data, capture_output=True
    )
    return Result(p.returncode, p.stdout.decode(), p.stderr.decode())


def test_user_mistakes_are_one_line_errors(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sid = run_ctx(capsys, "capture").out.strip()
    run_ctx(capsys, "append", "hello")
    run_ctx(capsys, "complete")
    for turns in ("abc", "1:x", "-1:"):
        r = run_ctx(capsys, "sessions", "show", sid, "--turns", turns)
        assert r.code == 2 and "--turns" in r.err and len(r.err.strip().splitlines()) == 1
    r = run_ctx(capsys, "sessions", "show", sid, "--turns", "0", "--json")
    assert [t["n"] for t in r.json()["turns"]] == [0]
    for args in (["memory", "add", "caf\udce9"], ["memory", "show", "m-\udcff"]):
        bad = run_ctx(capsys, *args)  # invalid UTF-8 in argv (as Python decodes it)
        assert bad.code == 2 and "argument 3 is not UTF-8 text" in bad.err
    assert _ids(capsys) == []
    r = run_ctx(capsys, "-C", "/nonexistent/dir", "status")
    assert r.code == 2 and "no such directory: /nonexistent/dir" in r.err


# ---- terminal escapes in stored text -------------------------------------------------------------


def test_stored_escape_sequences_never_reach_the_terminal(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = f"deploy notes {PAYLOAD} and {C1_CSI} end {BIDI}"
    mid = _add(capsys, hostile)
    sid = run_ctx(capsys, "capture", "--title", f"title {PAYLOAD}").out.strip()
    run_ctx(capsys, "append", f"deploy turn {PAYLOAD}")
    run_ctx(capsys, "complete")
    git(store, "add", ".contextfs")
    git(store, "commit", "-q", "-m", "hostile")
    commands = [
        ["memory", "list"],
        ["memory", "show", mid],
        ["sessions", "list"],
        ["sessions", "show", sid],
        ["search", "deploy", "--mode", "keyword"],
        ["--color", "always", "search", "deploy", "--mode", "keyword"],
        ["status"],
        ["memory", "show", "m-" + PAYLOAD],  # an id echoed in an error
    ]
    for args in commands:
        r = run_ctx(capsys, *args)  # in process: the same stdout wrapper as the real thing
        for stream in (r.out, r.err):
            assert "\x1b]" not in stream and "\x1b[2J" not in stream and "\x07" not in stream
            assert "\x9b" not in stream, args
            assert not {"\u202e", "\u2066", "\u2069"} & set(stream), args
        if "--color" not in args:
            assert "\x1b" not in r.out, args
    shown = ctx_proc(store, "memory", "show", mid, input="").out  # and one real process
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[H" in shown and "\\x9b2J" in shown
    assert "\\u202e\\u2066 # safe \\u2069" in shown
    coloured = run_ctx(capsys, "--color", "always", "search", "deploy", "--mode", "keyword")
    assert "\x1b[1;33m" in coloured.out  # ctx's own colour still works
    # JSON stays exact: the text comes back byte for byte, every control escaped
    data = run_ctx(capsys, "memory", "show", mid, "--json")
    assert "\x1b" not in data.out and "\x9b" not in data.out and "\u202e" not in data.out
    assert data.json()["content"] == hostile
    exported = run_ctx(capsys, "export").out
    assert "\x1b" not in exported and "\x9b" not in exported
    records = [json.loads(line) for line in exported.splitlines()]
    assert [r["content"] for r in records if r.get("id") == mid] == [hostile]
