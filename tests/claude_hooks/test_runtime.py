"""`ctx hook claude-session-start|end` as Claude Code runs them: a process, JSON on stdin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ctx.store.project import Project

FIXTURE = next((Path(__file__).parents[1] / "adapters" / "fixtures" / "claude").glob("*.jsonl"))
CLAUDE_SESSION_ID = FIXTURE.stem
HEAVY = ("fastembed", "onnxruntime", "mcp", "mcp_server", "textual", "pexpect", "pyte", "numpy")


@pytest.fixture
def project(repo: Path) -> Project:
    p = Project.open(repo, require_store=False)
    p.init()
    return Project.open(repo)


def _event(event: str, cwd: Path, transcript: Path | None = None, **extra: str) -> str:
    data = {
        "session_id": CLAUDE_SESSION_ID,
        "transcript_path": str(transcript or cwd / "missing.jsonl"),
        "cwd": str(cwd),
        "hook_event_name": event,
        "permission_mode": "default",
        **extra,
    }
    return json.dumps(data)


def _hook(name: str, stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctx", "hook", name],
        input=stdin,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_session_start_prints_the_brief_as_additional_context(
    project: Project, tmp_path: Path
) -> None:
    project.add_memory("We sign JWTs with RS256", "decision", ["auth"])
    elsewhere = tmp_path / "elsewhere"  # the hook's own cwd does not matter: stdin's cwd does
    elsewhere.mkdir()
    out = _hook(
        "claude-session-start", _event("SessionStart", project.root, source="startup"), elsewhere
    )
    assert out.returncode == 0 and out.stderr == ""
    data = json.loads(out.stdout)
    assert data["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    ctx_text = data["hookSpecificOutput"]["additionalContext"]
    assert "We sign JWTs with RS256" in ctx_text and "Decisions:" in ctx_text
    assert len(ctx_text) <= 4000


def test_session_start_is_silent_without_anything_to_say(project: Project, tmp_path: Path) -> None:
    empty = _hook("claude-session-start", _event("SessionStart", project.root), project.root)
    assert (empty.returncode, empty.stdout, empty.stderr) == (0, "", "")
    plain = tmp_path / "not-a-repo"
    plain.mkdir()
    for stdin in (_event("SessionStart", plain), "garbage{", ""):
        out = _hook("claude-session-start", stdin, plain)
        assert (out.returncode, out.stdout, out.stderr) == (0, "", "")


def test_session_end_imports_the_transcript_once(project: Project) -> None:
    stdin = _event("SessionEnd", project.root, FIXTURE, reason="prompt_input_exit")
    first = _hook("claude-session-end", stdin, project.root)
    assert first.returncode == 0 and first.stdout == "" and first.stderr == ""
    project.refresh()
    (session,) = project.list_sessions()
    assert session.tool == "claude" and session.external_id == CLAUDE_SESSION_ID
    full = project.get_session(session.id)
    assert full.turns and full.turns[0].text == "Why did we pick RS256 for JWT?"
    log = (project.layout.local / "hooks.log").read_text()
    assert f"{session.id} new session, {len(full.turns)} turns" in log
    again = _hook("claude-session-end", stdin, project.root)  # idempotent
    assert again.returncode == 0
    project.refresh()
    assert [s.id for s in project.list_sessions()] == [session.id]
    assert project.get_session(session.id).turn_count == len(full.turns)
    assert "0 turns" in (project.layout.local / "hooks.log").read_text().splitlines()[-1]


def test_session_end_without_a_transcript_logs_and_exits_zero(project: Project) -> None:
    out = _hook("claude-session-end", _event("SessionEnd", project.root), project.root)
    assert (out.returncode, out.stderr) == (0, "")
    assert "no transcript" in (project.layout.local / "hooks.log").read_text()
    assert project.list_sessions() == []


def test_a_failing_hook_never_fails_the_session(project: Project) -> None:
    # A store written by a newer ctx: the import refuses, the hook must still exit 0.
    project.layout.config.write_text("[store]\nformat = 99\n")
    out = _hook("claude-session-end", _event("SessionEnd", project.root, FIXTURE), project.root)
    assert out.returncode == 0
    assert out.stderr.startswith("ctx: claude-session-end hook failed: CtxError")
    assert len(out.stderr.splitlines()) == 1 and "hooks.log" in out.stderr
    log = (project.layout.local / "hooks.log").read_text()
    assert "format 99" in log and "Traceback" in log
    start = _hook("claude-session-start", _event("SessionStart", project.root), project.root)
    assert start.returncode == 0 and start.stdout == ""


def test_hooks_import_no_heavy_library(project: Project) -> None:
    project.add_memory("something to print", "fact")
    probe = (
        "import sys, json\nfrom ctx.cli.app import main\n"
        "code = main(['hook', sys.argv[1]])\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    cases = [
        ("claude-session-start", _event("SessionStart", project.root)),
        ("claude-session-end", _event("SessionEnd", project.root, FIXTURE)),
    ]
    for name, stdin in cases:
        out = subprocess.run(
            [sys.executable, "-c", probe, name],
            input=stdin,
            cwd=project.root,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        mods = json.loads(out.stdout.splitlines()[-1])
        bad = sorted(m for m in mods if m.split(".")[0] in HEAVY)
        assert bad == [], f"{name} imported {bad[:10]}"
    project.refresh()
    assert len(project.list_sessions()) == 1  # and the end hook really did its work
