"""`ctx status` runs without typer (ctx/cli/fast_status.py): the same bytes on stdout and
stderr and the same exit code as the typer command, for answers, warnings and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ctx.cli.fast_status import parse

TYPER_APP = "import sys; from ctx.cli.app import main; sys.argv = ['ctx', *sys.argv[1:]]; main()"
FAST_PROBE = (
    "import os, sys, json\n"
    "from ctx.launch import main\n"
    "code = main(sys.argv[1:])\n"
    "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click'))\n"
    "with open(os.environ['PROBE_OUT'], 'w') as fh:\n"
    "    json.dump(loaded, fh)\n"
    "sys.exit(code)\n"
)


def _run(cwd: Path, argv: list[str], **env: str) -> tuple[int, str, str]:
    r = subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env},
    )
    return r.returncode, r.stdout, r.stderr


def both(cwd: Path, *args: str) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """(the fast path, as `python -m ctx` runs it; the typer command) for one command line.
    The fast path must not have loaded typer or click."""
    probe = cwd.parent / "probe.json"
    fast = _run(cwd, [sys.executable, "-c", FAST_PROBE, *args], PROBE_OUT=str(probe))
    assert json.loads(probe.read_text()) == [], f"typer loaded by `ctx {' '.join(args)}`"
    return fast, _run(cwd, [sys.executable, "-c", TYPER_APP, *args])


def test_the_same_answer_warnings_and_json_as_the_typer_command(repo: Path) -> None:
    subprocess.run([sys.executable, "-m", "ctx", "init"], cwd=repo, check=True)
    subprocess.run(
        [sys.executable, "-m", "ctx", "memory", "add", "-t", "decision", "RS256 \x1b[31m red"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    log = next((repo / ".contextfs" / "state").glob("*.log"))
    with log.open("a") as fh:
        fh.write("a damaged line\n")  # a warning on stderr, from every command
    (repo / "notes.txt").write_text("uncommitted\n")
    for args in (("status",), ("status", "--json"), ("-q", "status"), ("--no-pager", "status")):
        fast, full = both(repo, *args)
        assert fast == full, args
        assert fast[0] == 0
    fast, _ = both(repo, "status")
    assert "1 memories" in fast[1] and "warning" in fast[2]
    fast, _ = both(repo, "-q", "status")
    assert fast[2] == ""


def test_the_same_errors_as_the_typer_command(tmp_path: Path, repo: Path) -> None:
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    for cwd, args in (
        (outside, ("status",)),
        (outside, ("status", "--json")),
        (repo, ("status",)),  # a repository without a store
        (repo, ("-C", str(tmp_path / "missing"), "status")),
    ):
        fast, full = both(cwd, *args)
        assert fast == full, args
        assert fast[0] not in (0, 70) and fast[1] == "" and fast[2], (args, fast)


def test_only_the_plain_forms_are_taken() -> None:
    assert parse(["status"]) == (None, False, False, False)
    assert parse(["-C", "x", "-q", "status", "--json"]) == (Path("x"), True, True, False)
    for args in (
        ["hooks", "status"],  # another command's subcommand
        ["status", "--help"],
        ["--color", "never", "status"],
        ["status", "extra"],
        ["status", "--json", "--json"],
        ["-C"],
    ):
        assert parse(args) is None, args
