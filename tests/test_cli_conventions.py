"""The habits of git and gh users: completion, `help`, aliases, colour, pager, $EDITOR, honest
messages (identity, redaction, sizes, grammar)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git
from tests.helpers import ctx_proc, run_ctx


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for k in ("NO_COLOR", "CLICOLOR_FORCE", "PAGER", "CTX_PAGER", "VISUAL", "EDITOR"):
        if k not in extra:
            env.pop(k, None)
    return env


def _spawn(cwd: Path, *args: str, rows: int = 24, **env: str):  # type: ignore[no-untyped-def]
    import pexpect

    return pexpect.spawn(
        sys.executable,
        ["-m", "ctx", *args],
        cwd=str(cwd),
        env=_env(**env),
        encoding="utf-8",
        timeout=30,
        dimensions=(rows, 100),
    )


def _finish(child) -> str:  # type: ignore[no-untyped-def]
    import pexpect

    child.expect(pexpect.EOF)
    child.close()
    return str(child.before)


# ---- completion, help, aliases ---------------------------------------------------------------


def test_bash_completion_script_completes_command_names(tmp_path: Path) -> None:
    script = subprocess.run(
        [sys.executable, "-m", "ctx", "completion", "bash"], capture_output=True, text=True
    )
    assert (
        script.returncode == 0 and "complete " in script.stdout and "_CTX_COMPLETE" in script.stdout
    )
    # the protocol the script speaks: COMP_WORDS/COMP_CWORD in, candidates out
    env = _env(_CTX_COMPLETE="complete_bash", COMP_WORDS="ctx mem", COMP_CWORD="1")
    proc = subprocess.run([sys.executable, "-m", "ctx"], capture_output=True, text=True, env=env)
    assert proc.stdout.split() == ["memory"]
    # and a real bash, with the script sourced, fills COMPREPLY
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "ctx").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ctx "$@"\n')
    (shim / "ctx").chmod(0o755)
    (tmp_path / "c.sh").write_text(script.stdout)
    bash = (
        f"source {tmp_path / 'c.sh'}; COMP_WORDS=(ctx sessions s); COMP_CWORD=2; "
        '_ctx_completion ctx; echo "${COMPREPLY[@]}"'
    )
    env = _env(PATH=f"{shim}{os.pathsep}{os.environ['PATH']}")
    out = subprocess.run(["bash", "-c", bash], capture_output=True, text=True, env=env)
    assert out.stdout.split() == ["show"], out.stderr
    for shell in ("zsh", "fish"):
        r = subprocess.run(
            [sys.executable, "-m", "ctx", "completion", shell], capture_output=True, text=True
        )
        assert r.returncode == 0 and "_CTX_COMPLETE" in r.stdout
    # typer's --show-completion detects the shell it runs in (the "bash" argument is ignored), so
    # run it from a real bash, as a user would; `; true` keeps bash from exec-ing into python
    r = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m ctx --show-completion; true'],
        capture_output=True,
        text=True,
    )
    assert "_ctx_completion" in r.stdout, r.stderr


def test_help_command_and_full_help_text(capsys: pytest.CaptureFixture[str]) -> None:
    direct = run_ctx(capsys, "memory", "add", "--help")
    via_help = run_ctx(capsys, "help", "memory", "add")
    assert via_help.code == 0 and via_help.out == direct.out
    top = run_ctx(capsys, "help")
    assert top.code == 0 and "Commands:" in top.out
    for text in (top.out, run_ctx(capsys, "memory", "--help").out):
        listing = text.split("Commands:", 1)[1]
        assert "..." not in listing, listing
    assert "not yet committed, index and model state" in " ".join(top.out.split())
    r = run_ctx(capsys, "help", "nosuchcommand")
    assert r.code == 2


def test_aliases(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mid = run_ctx(capsys, "memory", "add", "alias me").out.strip()
    assert mid in run_ctx(capsys, "memory", "ls").out
    assert run_ctx(capsys, "sessions", "ls").code == 0
    sid = run_ctx(capsys, "capture").out.strip()
    run_ctx(capsys, "append", "a turn")
    run_ctx(capsys, "complete")
    assert "alias me" in run_ctx(capsys, "show", mid).out  # `ctx show ID`, like git show
    assert "a turn" in run_ctx(capsys, "show", sid).out
    assert "alias me" in run_ctx(capsys, "show", mid[2:8]).out  # a bare prefix
    r = run_ctx(capsys, "show", "zzzzzz")
    assert r.code == 1 and "no memory or session matches" in r.err
    assert run_ctx(capsys, "memory", "delete", "--yes", mid).code == 0
    assert run_ctx(capsys, "memory", "ls", "--json").json() == []


# ---- colour and pager ----------------------------------------------------------------------


def test_color_follows_flags_and_environment(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ctx(capsys, "memory", "add", "colourful deploy notes")

    def coloured(*args: str, **env: str) -> bool:
        with pytest.MonkeyPatch.context() as mp:
            for k in ("NO_COLOR", "CLICOLOR_FORCE"):
                mp.delenv(k, raising=False)
            for k, v in env.items():
                mp.setenv(k, v)
            r = run_ctx(capsys, *args, "search", "deploy", "--mode", "keyword")
        assert r.code == 0, r.err
        return "\x1b[1;33m" in r.out

    assert not coloured()  # piped: no colour
    assert coloured("--color", "always")
    assert coloured(CLICOLOR_FORCE="1")
    assert not coloured(CLICOLOR_FORCE="1", NO_COLOR="1")
    assert not coloured("--color", "never", CLICOLOR_FORCE="1")
    child = _spawn(store, "search", "deploy", "--mode", "keyword", NO_COLOR="1")
    assert "\x1b[1;33m" not in _finish(child)
    child = _spawn(store, "search", "deploy", "--mode", "keyword")
    assert "\x1b[1;33m" in _finish(child)  # a terminal: colour by default


def test_long_output_goes_through_the_pager_on_a_terminal_only(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(30):
        run_ctx(capsys, "memory", "add", f"note number {i}")
    pager = "sed s/^/PAGED:/"
    child = _spawn(store, "memory", "list", rows=10, PAGER=pager)
    assert "PAGED:m-" in _finish(child)
    child = _spawn(store, "memory", "list", rows=10, PAGER="nope", CTX_PAGER=pager)
    assert "PAGED:m-" in _finish(child)  # CTX_PAGER wins
    child = _spawn(store, "--no-pager", "memory", "list", rows=10, PAGER=pager)
    out = _finish(child)
    assert "PAGED" not in out and out.count("note number") == 30
    child = _spawn(store, "memory", "list", "-n", "3", rows=10, PAGER=pager)
    assert "PAGED" not in _finish(child)  # fits the screen
    piped = subprocess.run(
        [sys.executable, "-m", "ctx", "memory", "list"],
        cwd=store,
        capture_output=True,
        text=True,
        env=_env(PAGER=pager),
    )
    assert "PAGED" not in piped.stdout and piped.stdout.count("note number") == 30


# ---- $EDITOR and stdin ---------------------------------------------------------------------


def test_memory_edit_opens_the_editor(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mid = run_ctx(capsys, "memory", "add", "we use tabs").out.strip()
    modes = tmp_path / "modes"
    editor = tmp_path / "ed.sh"
    editor.write_text(f'#!/bin/sh\nstat -c %a "$1" >> {modes}\nsed -i "s/tabs/spaces/" "$1"\n')
    editor.chmod(0o755)
    child = _spawn(store, "memory", "edit", mid, EDITOR=str(editor))
    assert f"updated {mid}" in _finish(child)
    assert child.exitstatus == 0
    assert run_ctx(capsys, "memory", "show", mid, "--json").json()["content"] == "we use spaces"
    assert modes.read_text().split() == ["600"]

    child = _spawn(store, "memory", "edit", mid, VISUAL="true", EDITOR=str(editor))
    assert "no change" in _finish(child)  # VISUAL first; saved unchanged
    child = _spawn(store, "memory", "edit", mid, EDITOR="truncate -s 0")
    out = _finish(child)
    assert child.exitstatus == 1 and "empty text: nothing changed" in out
    assert run_ctx(capsys, "memory", "show", mid, "--json").json()["content"] == "we use spaces"
    r = ctx_proc(store, "memory", "edit", mid, input="")  # no terminal: say what to pass
    assert r.code == 2 and "--content" in r.err


def test_terminal_stdin_gets_a_hint(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    child = _spawn(store, "memory", "add", "-")
    child.expect("reading memory text from stdin; end with Ctrl-D")
    child.sendline("typed at the terminal")
    child.sendeof()
    _finish(child)
    mems = run_ctx(capsys, "memory", "list", "--json").json()
    assert [m["content"] for m in mems] == ["typed at the terminal"]
    r = ctx_proc(store, "memory", "add", "-", input="piped")
    assert r.code == 0 and "reading" not in r.err  # no hint for a pipe


# ---- honest messages -----------------------------------------------------------------------


def test_redaction_is_announced(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = run_ctx(
        capsys,
        "memory",
        "add",
        "keys AKIAQWERTY234567ABCD and ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked",
    )
    assert r.code == 0 and "2 secrets redacted" in r.err
    r = run_ctx(capsys, "memory", "add", "nothing secret here")
    assert "redacted" not in r.err


def test_grammar_and_import_warnings_name_the_users_file(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ctx(capsys, "capture")
    run_ctx(capsys, "append", "only turn")
    assert "(1 turn)" in run_ctx(capsys, "complete").out
    lines = '{"type":"turn","role":"user","text":"hello"}\nnot json\n'
    (store / "chat.jsonl").write_text(lines)
    r = run_ctx(capsys, "import", "jsonl", "chat.jsonl")
    assert "new session, 1 turn " in r.out
    assert "ctx: warning: skipped 1 bad line (chat.jsonl:2:" in r.err
    piped = ctx_proc(store, "import", "jsonl", "-", input=lines.replace("hello", "hi"))
    assert "ctx: warning: skipped 1 bad line (stdin:2:" in piped.err
    assert "/tmp" not in piped.err and "/tmp" not in piped.out


def test_large_session_warning(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = json.dumps({"type": "turn", "role": "user", "text": "x " * 600_000})
    (store / "big.jsonl").write_text(big + "\n")
    r = run_ctx(capsys, "import", "jsonl", "big.jsonl")
    assert r.code == 0 and "1.2 MB" in r.err and "committed" in r.err
    (store / "small.jsonl").write_text('{"type":"turn","role":"user","text":"hi"}\n')
    assert "MB" not in run_ctx(capsys, "import", "jsonl", "small.jsonl").err


def test_no_git_identity(
    store: Path,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (isolated_home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    for var in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("USER", "ada")
    # a child process: libgit2 reads the global config's location once per process
    r = ctx_proc(store, "memory", "add", "who wrote this?", input="")
    assert r.code == 0, r.err
    assert r.err.count("no user identity") == 1
    assert "'ada'" in r.err and "git config --global user.email" in r.err
    before = git(store, "rev-parse", "HEAD")
    r = ctx_proc(store, "sync", "--no-pull", "--no-push", input="")
    assert r.code == 1
    assert "Please tell me who you are" in r.err  # git's own words, verbatim
    assert "safe" not in r.err
    assert "nothing was committed" in r.err or "the repository is as it was before" in r.err
    assert git(store, "rev-parse", "HEAD") == before
    assert stat.S_ISREG(os.stat(store / ".contextfs" / "config.toml").st_mode)


def test_why_into_a_closed_pipe_ends_quietly(repo: Path) -> None:
    """`ctx why FILE | head` whose reader is gone: exit 0, no traceback, both when the answer
    is computed and when it comes from the answer cache (ctx/cli/fast_why.py)."""
    subprocess.run([sys.executable, "-m", "ctx", "init"], cwd=repo, check=True, capture_output=True)
    for _ in range(2):  # computed, then cached
        proc = subprocess.Popen(
            [sys.executable, "-m", "ctx", "why", "README.md"],
            cwd=repo,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # the reader leaves before ctx has written a byte
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 0, err
        assert "Traceback" not in err and "bug in ctx" not in err, err
