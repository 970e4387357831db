"""`ctx wrap` with stdin or stdout not a terminal: the program's output is exactly what it is
without ctx, byte for byte, and the session is still recorded.

Real children: python3 -i, and the real Claude Code CLI against the fake Anthropic server.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.fakes import claude_harness as harness
from tests.fakes.anthropic_server import FakeAnthropic
from tests.wrap.conftest import Terminal, ctx_argv, session_json

REPLY = "Keys rotate every 90 days; the old key stays valid for a day (fake reply)."
PY_INPUT = "print(6*7)\ndef f():\n  return 1\n\nf()\n"
PY_TURNS = [
    ("user", "print(6*7)"),
    ("assistant", "42"),
    ("user", "def f():\n  return 1"),
    ("user", "f()"),
    ("assistant", "1"),
]


def _sh(terminal: type[Terminal], script: str, cwd: Path, env: dict[str, str]) -> bytes:
    """Run ``script`` with sh in a real terminal (stdin, stdout, stderr: its pty)."""
    term = terminal(["sh", "-c", script], cwd, env=env)
    assert term.wait(timeout=120) == 0, term.output()[-2000:]
    return term.output()


def _turns(store: Path, env: dict[str, str] | None = None) -> list[tuple[str, str]]:
    return [(t["role"], t["text"]) for t in session_json(store, env=env)["turns"]]


def test_python_with_piped_stdin_exits_at_eof_and_keeps_turns(store: Path) -> None:
    # stdin and stdout pipes: no pty at all; prompts go to stderr, which stays ctx's own.
    plain = subprocess.run(
        ["python3", "-i"], input=PY_INPUT, capture_output=True, text=True, timeout=30
    )
    wrapped = subprocess.run(
        [*ctx_argv("wrap", "-q", "--", "python3", "-i")],
        input=PY_INPUT,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=store,
    )
    assert wrapped.returncode == plain.returncode == 0
    assert wrapped.stdout == plain.stdout == "42\n1\n"
    assert wrapped.stderr == plain.stderr  # banner and prompts, untouched
    s = session_json(store)
    assert s["exit_status"] == 0
    assert [(t["role"], t["text"]) for t in s["turns"]] == [
        ("user", PY_INPUT.strip()),
        ("assistant", "42\n1"),
    ]


def test_python_with_piped_stdin_on_a_terminal(store: Path, terminal: type[Terminal]) -> None:
    """stdout a terminal, stdin a pipe: the terminal shows exactly what python alone shows,
    and the stored turns pair each input line with its output (prompts not in the text)."""
    env = dict(os.environ, TERM="xterm")
    feed = f"printf {shlex.quote(PY_INPUT)} | "
    plain = _sh(terminal, feed + "python3 -i", store, env)
    wrapped = _sh(terminal, feed + shlex.join(ctx_argv("wrap", "-q", "python3", "-i")), store, env)
    assert wrapped == plain
    assert b">>> 42\r\n" in plain
    turns = _turns(store)
    assert turns[1:] == PY_TURNS
    assert turns[0][0] == "assistant" and turns[0][1].startswith("Python 3")
    assert not any(">>>" in text or "..." in text for _, text in turns)


@pytest.mark.claude
@pytest.mark.slow
@pytest.mark.xdist_group("claude-live")
def test_claude_print_mode_is_byte_for_byte_the_same(
    claude_bin: Path, store: Path, tmp_path: Path, terminal: type[Terminal]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    prompt = "How often do we rotate the signing keys?"
    with FakeAnthropic(responder=lambda body: REPLY) as server:
        env = harness.claude_env(home, store, server.url)
        env["PATH"] = f"{claude_bin.parent}{os.pathsep}{env['PATH']}"
        claude = shlex.join(["claude", "-p", prompt])
        ctx_wrap = shlex.join(ctx_argv("wrap", "-q", "--"))
        # 1. `claude -p x > out` typed at a terminal (stdin and stderr the terminal).
        _sh(terminal, f"{claude} > plain.txt && {ctx_wrap} {claude} > wrapped.txt", store, env)
        plain = (store / "plain.txt").read_bytes()
        assert plain == f"{REPLY}\n".encode()
        assert (store / "wrapped.txt").read_bytes() == plain
        assert _turns(store, env) == [("user", prompt), ("assistant", REPLY)]
        # 2. `--output-format json` into a parser: the same JSON document.
        as_json = ["claude", "-p", prompt, "--output-format", "json"]
        runs = [
            subprocess.run(argv, capture_output=True, cwd=store, env=env, timeout=120)
            for argv in (as_json, [*ctx_argv("wrap", "-q", "--"), *as_json])
        ]
        assert [r.returncode for r in runs] == [0, 0]
        docs = [json.loads(r.stdout) for r in runs]
        assert docs[0]["result"] == docs[1]["result"] == REPLY
        assert sorted(docs[0]) == sorted(docs[1])
        assert runs[0].stdout.endswith(b"}\n") and runs[1].stdout.endswith(b"}\n")
        assert b"\r" not in runs[1].stdout and b"\x1b" not in runs[1].stdout
        # 3. The prompt on stdin (`echo prompt | claude -p`), stdout a pipe.
        piped = [
            subprocess.run(
                argv, input=prompt.encode(), capture_output=True, cwd=store, env=env, timeout=120
            )
            for argv in (["claude", "-p"], [*ctx_argv("wrap", "-q", "--"), "claude", "-p"])
        ]
        assert [r.returncode for r in piped] == [0, 0], piped[1].stderr
        assert piped[1].stdout == piped[0].stdout == f"{REPLY}\n".encode()
        assert _turns(store, env) == [("user", prompt), ("assistant", REPLY)]
        # 4. The same with stdout a terminal: what the terminal shows is the same too.
        feed = f"printf %s {shlex.quote(prompt)} | "
        shown_plain = _sh(terminal, feed + "claude -p", store, env)
        shown_wrapped = _sh(terminal, feed + ctx_wrap + " claude -p", store, env)
        assert shown_wrapped == shown_plain
        assert REPLY.encode() in shown_plain


def _codex_bin() -> str:
    """The pinned Codex CLI (scripts/install-test-tools.sh installs it); $CTX_TEST_CODEX wins."""
    from tests.fakes import codex_harness

    if os.environ.get("CTX_TEST_CODEX"):
        return os.environ["CTX_TEST_CODEX"]
    return str(harness.require(codex_harness.find_or_install_codex))


@pytest.mark.slow
def test_codex_exec_output_is_byte_for_byte_the_same(store: Path, tmp_path: Path) -> None:
    codex = _codex_bin()
    from tests.fakes.openai_server import FakeOpenAI

    reply = "Rotated the keys (fake codex reply)."
    home = tmp_path / "codex-home"
    home.mkdir()
    with FakeOpenAI(responder=lambda body: reply) as server:
        provider = (
            f'model_providers.fake={{name="fake", base_url="{server.base_url}", '
            'wire_api="responses", env_key="OPENAI_API_KEY"}'
        )
        argv = [codex, "exec", "--skip-git-repo-check", "-c", 'model_provider="fake"']
        argv += ["-c", provider, "-c", 'model="gpt-4o"', "rotate the keys"]
        env = dict(os.environ, CODEX_HOME=str(home), OPENAI_API_KEY="sk-fake-key")
        runs = [
            subprocess.run(
                cmd, capture_output=True, cwd=store, env=env, timeout=120, stdin=subprocess.DEVNULL
            )
            for cmd in (argv, [*ctx_argv("wrap", "-q", "--tool", "codex", "--"), *argv])
        ]
    assert [r.returncode for r in runs] == [0, 0], runs[1].stderr[-2000:]
    assert runs[1].stdout == runs[0].stdout == f"{reply}\n".encode()  # stdout alone, exact
    assert b"OpenAI Codex" in runs[1].stderr  # the banner stays on stderr, not merged
    turns = _turns(store, env)
    assert turns[-1] == ("assistant", reply)


@pytest.mark.slow
def test_huge_output_commits_a_bounded_transcript_and_records_everything(
    store: Path, tmp_path: Path
) -> None:
    import time

    big = tmp_path / "big.log"
    with open(big, "w") as f:
        for i in range(300_000):  # ~22 MB: above the size converted in the background
            f.write(f"log line {i:07d} " + "x" * 56 + "\n")
    r = subprocess.run(
        [*ctx_argv("wrap", "-q", "--", "cat", str(big))],
        capture_output=True,
        cwd=store,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 0
    assert r.stdout == big.read_bytes()
    s = session_json(store)
    (turn,) = s["turns"]
    lines = turn["text"].split("\n")
    assert lines[0] == "log line 0000000 " + "x" * 56
    assert lines[-1] == "log line 0299999 " + "x" * 56
    (note,) = [line for line in lines if line.startswith("[… ")]
    size, unit, rest = note[3:].split(" ", 2)
    assert unit == "MB" and float(size) > 20  # nearly all of the 22 MB
    assert rest == f"of output dropped; full stream in local/recordings/{s['id']}.cast]"
    parts = (store / ".contextfs" / "sessions" / s["id"]).iterdir()
    committed = sum(p.stat().st_size for p in parts)
    assert committed < 100_000
    recordings = store / ".contextfs" / "local" / "recordings"
    deadline = time.monotonic() + 60
    while (recordings / f"{s['id']}.journal").exists():  # converted after ctx exited
        assert time.monotonic() < deadline
        time.sleep(0.1)
    from ctx.capture.asciicast import read_cast

    rec = read_cast(recordings / f"{s['id']}.cast")
    shown = "".join(str(e.data) for e in rec.events if e.code == "o")
    assert shown.encode() == big.read_bytes()
