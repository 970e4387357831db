"""`ctx wrap` of generic programs, end to end: a real ctx process in a real outer terminal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.wrap.conftest import (
    Terminal,
    child,
    committed_files,
    ctx_argv,
    run_ctx,
    session_json,
    tool_on_path,
)

EXCHANGES = [
    ("what is two plus two", "You asked 5 words.\nReversed: two plus two is what"),
    ("tell me more please", "You asked 4 words.\nReversed: please more me tell"),
]


def _chat(term: Terminal, lines: list[str]) -> None:
    """Answer each `ask>` prompt with the next line, then quit."""
    for n, line in enumerate([*lines, "quit"], start=1):
        term.read_until(b"ask>", count=n)
        term.send(line.encode() + b"\r")


def _no_dir_entries(path: Path) -> list[str]:
    return sorted(os.listdir(path)) if path.exists() else []


def test_generic_program_gives_clean_exact_turns(store: Path, terminal: type[Terminal]) -> None:
    term = terminal(ctx_argv("wrap", *child("asker")), store)
    _chat(term, [q for q, _ in EXCHANGES])
    assert term.wait() == 0
    # The program ran in the terminal as it would without ctx, then one summary line.
    shown = term.output()
    assert b"\x1b[32mYou asked 5 words." in shown
    assert b"ctx: session s-" in shown and b"7 turns" in shown

    s = session_json(store)
    assert s["status"] == "complete" and s["exit_status"] == 0
    assert [(t["role"], t["text"]) for t in s["turns"]] == [
        ("assistant", "Toy assistant 1.0 (type quit to leave)"),
        ("user", EXCHANGES[0][0]),
        ("assistant", EXCHANGES[0][1]),
        ("user", EXCHANGES[1][0]),
        ("assistant", EXCHANGES[1][1]),
        ("user", "quit"),
        ("assistant", "bye"),
    ]
    assert not any("\x1b" in t["text"] or "thinking" in t["text"] for t in s["turns"])
    assert s["title"] == EXCHANGES[0][0]
    assert s["tool"] == Path(sys.executable).name and s["branch"] == "main" and s["cwd"] == "."
    assert s["meta"]["adapter"] == "generic" and s["meta"]["source"] == "terminal"
    assert s["meta"]["terminal"] == {"cols": 80, "rows": 24}
    assert s["commit"] and s["commit_end"] == s["commit"]
    # Committed: the transcript. Local only: a replayable recording, no journal left.
    part = store / ".contextfs" / "sessions" / s["id"] / "000.jsonl"
    assert part in committed_files(store)
    rec_dir = store / ".contextfs" / "local" / "recordings"
    assert _no_dir_entries(rec_dir) == [f"{s['id']}.cast"]
    assert _no_dir_entries(store / ".contextfs" / "local" / "active") == []
    cast = (rec_dir / f"{s['id']}.cast").read_text().splitlines()
    head = json.loads(cast[0])
    assert head["version"] == 2 and (head["width"], head["height"]) == (80, 24)
    events = [json.loads(line) for line in cast[1:]]
    assert {e[1] for e in events} == {"o"}  # keystrokes are not recorded by default
    assert "Reversed: please more me tell" in "".join(e[2] for e in events)


def test_exit_status_passes_through(store: Path, terminal: type[Terminal]) -> None:
    term = terminal(ctx_argv("wrap", "--", *child("exit_with", "7")), store)
    assert term.wait() == 7
    assert session_json(store)["exit_status"] == 7
    term = terminal(ctx_argv("wrap", *child("exit_with", "SIGTERM")), store)
    assert term.wait() == 128 + signal.SIGTERM
    s = session_json(store)
    assert s["exit_status"] == 128 + signal.SIGTERM and s["meta"]["signal"] == signal.SIGTERM
    assert s["turns"][0]["text"] == "about to exit"


def test_missing_command_is_127_and_creates_nothing(store: Path, tmp_path: Path) -> None:
    r = run_ctx(store, "wrap", "no-such-command-xyz", "--flag")
    assert r.code == 127
    assert "command not found: no-such-command-xyz" in r.err
    not_exec = tmp_path / "notes.txt"
    not_exec.write_text("not a program\n")
    r = run_ctx(store, "wrap", "--", str(not_exec))
    assert r.code == 126 and "not an executable" in r.err
    assert run_ctx(store, "sessions", "list", "--json").json() == []
    local = store / ".contextfs" / "local"
    assert _no_dir_entries(local / "active") == []
    assert _no_dir_entries(local / "recordings") == []
    assert run_ctx(store, "wrap").code == 2  # no command at all: a usage error


def test_flags_after_the_command_pass_through_untouched(store: Path, tmp_path: Path) -> None:
    env = tool_on_path(tmp_path, "claude", "show_argv.py")
    passed = ["--resume", "abc", "--tool", "x", "--title", "y", "-q", "--json", "--", "-C"]
    r = run_ctx(store, "wrap", "claude", *passed, env=env)
    assert r.code == 0, r.err
    assert "ARGV " + json.dumps(passed) in r.out
    # ctx's own options before the command; `--` is optional and not passed on.
    r = run_ctx(store, "wrap", "--title", "Resume it", "--", "claude", "--resume", "abc", env=env)
    assert r.code == 0 and 'ARGV ["--resume", "abc"]' in r.out
    s = session_json(store, env=env)
    assert s["title"] == "Resume it" and s["tool"] == "claude"
    assert s["command"] == ["claude", "--resume", "abc"]
    # No Claude Code transcript was written: ctx says so and keeps the terminal text.
    assert s["meta"]["adapter"] == "claude" and s["meta"]["source"] == "terminal"
    assert "claude wrote no transcript" in r.err
    assert [t["text"] for t in s["turns"]] == ['ARGV ["--resume", "abc"]']
    # --tool picks the adapter; the exit status still comes through; --quiet: no summary.
    env["SHOW_ARGV_EXIT"] = "3"
    r = run_ctx(store, "wrap", "--quiet", "--tool", "aider", "claude", "x", env=env)
    assert r.code == 3 and "ctx: session" not in r.err
    assert session_json(store, env=env)["tool"] == "aider"


def test_killed_wrap_is_recovered_by_the_next_command(
    store: Path, terminal: type[Terminal]
) -> None:
    term = terminal(ctx_argv("wrap", *child("asker")), store)
    _chat_until_answer(term, EXCHANGES[0][0])
    open_list = run_ctx(store, "sessions", "list", "--json").json()
    assert [s["status"] for s in open_list] == ["open"]  # the owner is alive: left alone
    os.kill(term.proc.pid, signal.SIGKILL)
    assert term.wait() == -signal.SIGKILL

    r = run_ctx(store, "sessions", "list", "--json")
    assert "recovered interrupted session" in r.err
    (listed,) = r.json()
    assert listed["status"] == "recovered"
    s = session_json(store, listed["id"])
    assert [(t["role"], t["text"]) for t in s["turns"]][:3] == [
        ("assistant", "Toy assistant 1.0 (type quit to leave)"),
        ("user", EXCHANGES[0][0]),
        ("assistant", EXCHANGES[0][1]),
    ]
    assert s["meta"]["source"] == "terminal" and s["meta"]["capture"] == "wrap"
    local = store / ".contextfs" / "local"
    assert _no_dir_entries(local / "active") == []
    assert _no_dir_entries(local / "recordings") == [f"{s['id']}.cast"]
    # Recovered once: the next command has nothing to do.
    assert "recovered" not in run_ctx(store, "sessions", "list").err


def _chat_until_answer(term: Terminal, line: str) -> None:
    term.read_until(b"ask>")
    term.send(line.encode() + b"\r")
    term.read_until(b"Reversed:")
    term.read_until(b"ask>", count=2)
    time.sleep(0.1)


def test_private_session_never_reaches_committed_files(
    store: Path, terminal: type[Terminal]
) -> None:
    marker = "private-marker-4711"
    term = terminal(ctx_argv("wrap", "--private", "--title", marker, *child("asker")), store)
    _chat(term, [f"{marker} please"])
    assert term.wait() == 0
    s = session_json(store)
    assert s["private"] is True and s["turn_count"] == 5
    assert (store / ".contextfs" / "local" / "private" / "sessions" / s["id"]).is_dir()
    for path in committed_files(store):
        data = path.read_bytes()
        assert marker.encode() not in data and s["id"].encode() not in data, path


def test_stdin_and_stdout_not_a_terminal(store: Path) -> None:
    r = run_ctx(store, "wrap", *child("asker"), input="hello there\nquit\n")
    assert r.code == 0, r.err
    assert "Reversed: there hello" in r.out and "bye" in r.out
    # The child gets pipes, as it would without ctx: its output is exactly the same.
    plain = subprocess.run(
        child("asker"), input="hello there\nquit\n", capture_output=True, text=True, timeout=30
    )
    assert r.out == plain.stdout
    s = session_json(store)
    assert s["exit_status"] == 0
    texts = "\n".join(t["text"] for t in s["turns"])
    assert "Reversed: there hello" in texts and "\x1b" not in texts


def test_record_input_and_no_recordings(store: Path, terminal: type[Terminal]) -> None:
    term = terminal(ctx_argv("wrap", "--record-input", *child("asker")), store)
    _chat(term, ["typed and recorded"])
    assert term.wait() == 0
    s = session_json(store)
    assert ("user", "typed and recorded") in [(t["role"], t["text"]) for t in s["turns"]]
    cast = store / ".contextfs" / "local" / "recordings" / f"{s['id']}.cast"
    inputs = [json.loads(line) for line in cast.read_text().splitlines()[1:]]
    assert "".join(e[2] for e in inputs if e[1] == "i") == "typed and recorded\rquit\r"

    config = store / ".contextfs" / "config.toml"
    config.write_text(config.read_text() + "\n[capture]\nkeep_recordings = false\n")
    r = run_ctx(store, "wrap", *child("exit_with", "0"))
    assert r.code == 0
    assert os.listdir(store / ".contextfs" / "local" / "recordings") == [cast.name]


def test_headless_api(store: Path) -> None:
    """The core entry point the CLI calls, with no terminal at all."""
    from ctx.capture.wrap import wrap
    from ctx.core.errors import CtxError
    from ctx.store.project import Project

    project = Project.open(store)
    with open(os.devnull, "wb") as devnull:
        out = wrap(project, child("exit_with", "5"), stdin_fd=None, stdout_fd=devnull.fileno())
        with pytest.raises(CtxError) as err:
            wrap(project, ["no-such-command-xyz"], stdin_fd=None, stdout_fd=devnull.fileno())
    assert (out.exit_code, out.adapter, out.notes) == (5, "generic", [])
    assert out.session is not None and out.session.exit_status == 5
    assert [t.text for t in project.get_session(out.session.id).turns or []] == ["about to exit"]
    assert err.value.exit_code == 127
    assert [s.id for s in project.list_sessions()] == [out.session.id]


def test_a_run_that_failed_before_any_conversation_is_not_shared(store: Path) -> None:
    """A typo'd flag, a missing key: the tool only printed an error and exited non-zero. That
    is no session for the team: kept on this machine, out of the default list."""
    r = run_ctx(store, "wrap", *child("exit_with", "3"))
    assert r.code == 3
    assert "before any conversation: kept on this machine only" in r.err
    assert run_ctx(store, "sessions", "list", "--json").json() == []
    (failed,) = run_ctx(store, "sessions", "list", "--all", "--json").json()
    assert failed["status"] == "failed" and failed["private"] is True
    assert not any("/sessions/s-" in str(f) for f in committed_files(store))
    recordings = store / ".contextfs" / "local" / "recordings"
    assert f"{failed['id']}.cast" in os.listdir(recordings)
    # A run that talked and then failed, or that ended well, is a normal session.
    from ctx.capture.wrap import failed_without_conversation
    from ctx.core.models import TranscriptTurn

    said = [TranscriptTurn("assistant", "banner"), TranscriptTurn("user", "hello")]
    assert not failed_without_conversation(1, said)
    assert not failed_without_conversation(0, said[:1])
    assert failed_without_conversation(130, [*said[:1], TranscriptTurn("system", "/exit")])


@pytest.mark.parametrize(
    "args",
    [
        ["--", "echo", "hi"],
        ["echo", "--title", "x"],
        ["--title", "My title", "--tool=aider", "-q", "claude", "--resume", "abc"],
        ["--title=t", "--private", "--no-record-input", "--quiet", "--", "python3", "-i"],
        ["--record-input", "--tool", "codex", "codex", "exec", "--json"],
    ],
)
def test_fast_path_reads_the_options_as_typer_does(args: list[str]) -> None:
    """`ctx wrap` starts without typer (ctx/cli/wrap_run.py): what it reads from a command
    line must be exactly what the typer command reads."""
    from typer.main import get_command

    from ctx.cli.app import app
    from ctx.cli.wrap_run import parse_fast

    fast = parse_fast(list(args))
    assert fast is not None
    click_ctx = get_command(app).commands["wrap"].make_context("wrap", list(args))  # type: ignore[attr-defined]
    typer_argv = list(click_ctx.args)
    if typer_argv and typer_argv[0] == "--":
        typer_argv = typer_argv[1:]
    fast_argv = fast.pop("argv")
    assert (fast_argv[1:] if fast_argv[0] == "--" else fast_argv) == typer_argv
    defaults = {"tool": None, "title": None, "private": False, "record_input": None, "quiet": False}
    assert {**defaults, **fast} == click_ctx.params


@pytest.mark.parametrize(
    "args", [["--help"], ["--bogus", "x"], ["--"], [], ["--tool"], ["-qx", "a"]]
)
def test_fast_path_leaves_the_rest_to_typer(args: list[str]) -> None:
    from ctx.cli.wrap_run import parse_fast

    assert parse_fast(args) is None


def test_wrap_runs_without_importing_typer(store: Path) -> None:
    probe = (
        "import sys, json\n"
        "from ctx.launch import main\n"
        "code = main(['wrap', '-q', '--', 'true'])\n"
        "print(json.dumps([code, 'typer' in sys.modules, 'click' in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=store,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert json.loads(out.stdout.splitlines()[-1]) == [0, False, False], out.stderr
    assert [s["tool"] for s in run_ctx(store, "sessions", "list", "--all", "--json").json()] == [
        "true"
    ]


def test_wrap_starts_the_program_before_loading_the_crdt_library(store: Path) -> None:
    """What only storing the session needs (pycrdt, and asyncio under anyio; the vendor token
    regexes) is loaded while the program runs, not before it starts: the user's tool comes up
    that much sooner. Observed at the moment ctx spawns the program."""
    probe = (
        "import sys, json\n"
        "from ctx.capture import pty_proxy\nfrom ctx.privacy import rules\nseen = []\n"
        "spawn = pty_proxy._Proxy._spawn\n"
        "def watched(self, path):\n"
        "    seen.append(sorted(m for m in ('pycrdt', 'anyio', 'asyncio') if m in sys.modules))\n"
        "    seen.append(rules._compiled.cache_info().currsize)\n"
        "    return spawn(self, path)\n"
        "pty_proxy._Proxy._spawn = watched\n"
        "from ctx.launch import main\n"
        "code = main(['wrap', '-q', '--', 'true'])\n"
        "print(json.dumps([code, seen, 'asyncio' in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=store,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    # stored all the same (pycrdt loaded by then), and anyio never needed asyncio (sniffio)
    assert json.loads(out.stdout.splitlines()[-1]) == [0, [[], 0], False], out.stderr
    assert [s["tool"] for s in run_ctx(store, "sessions", "list", "--all", "--json").json()] == [
        "true"
    ]
