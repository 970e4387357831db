"""Every `--json` command against the schema of docs/guide.md: same fields and formats everywhere.

The schema below is the guide's tables written as data. A new `--json` command fails
`test_every_json_command_is_covered` until it is added here (and documented).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git
from tests.helpers import run_ctx

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
STR, INT, BOOL, NUM = str, int, bool, (int, float)
OPT_STR = (str, type(None))
OPT_INT = (int, type(None))
ANY = object()


class Iso:
    """An ISO-8601 UTC time string (or None when `optional`)."""

    def __init__(self, optional: bool = False) -> None:
        self.optional = optional


TIME, OPT_TIME = Iso(), Iso(optional=True)

MEMORY = {
    "kind": STR,
    "id": STR,
    "type": STR,
    "content": STR,
    "tags": [STR],
    "author": STR,
    "branch": OPT_STR,
    "commit": OPT_STR,
    "created_at": TIME,
    "updated_at": TIME,
    "source_session": OPT_STR,
    "source_turn": OPT_INT,
    "private": BOOL,
    "cites": [STR],
    "supersedes": OPT_STR,
    "superseded_by": [STR],
    "stale": (dict, type(None)),
}
SIMILAR = {"id": STR, "score": NUM, "method": STR, "content": STR}
SESSION_SUMMARY = {
    "kind": STR,
    "id": STR,
    "tool": STR,
    "title": STR,
    "status": STR,
    "started_at": TIME,
    "ended_at": OPT_TIME,
    "branch": OPT_STR,
    "commit": OPT_STR,
    "commit_end": OPT_STR,
    "author": STR,
    "exit_status": OPT_INT,
    "external_id": OPT_STR,
    "tags": [STR],
    "private": BOOL,
    "turn_count": INT,
}
SESSION = {**SESSION_SUMMARY, "cwd": OPT_STR, "command": ([STR], type(None)), "meta": dict}
TURN = {"n": INT, "role": STR, "text": STR, "ts": OPT_TIME, "id": OPT_STR, "meta": dict}
SESSION_FULL = {**SESSION, "turns": [TURN]}
HIT = {
    "id": STR,
    "doc_id": STR,
    "kind": STR,
    "score": NUM,
    "text": STR,
    "snippet": STR,
    "memory_id": OPT_STR,
    "memory_type": OPT_STR,
    "tags": [STR],
    "session_id": OPT_STR,
    "turn_n": OPT_INT,
    "turn_ext_id": OPT_STR,
    "role": OPT_STR,
    "tool": OPT_STR,
    "title": OPT_STR,
    "author": OPT_STR,
    "branch": OPT_STR,
    "ts": OPT_TIME,
    "matched": [STR],
    "private": BOOL,
    "relevance": NUM,
    "stale": BOOL,
    "superseded_by": [STR],
}
SEARCH = {"query": STR, "mode": STR, "notice": OPT_STR, "min_relevance": NUM, "hits": [HIT]}
CHECK = {"name": STR, "status": STR, "detail": STR, "fix": STR}
SCHEMAS: dict[str, Any] = {
    "init": {"root": STR, "store": STR, "created": [STR], "mended": [STR]},
    "status": {
        "root": STR,
        "store": STR,
        "format": INT,
        "replica": STR,
        "branch": OPT_STR,
        "head": OPT_STR,
        "counts": {"memories": INT, "sessions": INT, "open_sessions": INT, "private_memories": INT},
        "open_sessions": [STR],
        "uncommitted": [STR],
        "index": ANY,
        "model": ANY,
        "problems": [STR],
        "sync": ANY,
        "agents_not_stored": ANY,
    },
    "doctor": {"checks": [CHECK], "ok": BOOL},
    "memory add": {**MEMORY, "similar": [SIMILAR]},
    "memory review": [MEMORY],
    "memory list": [MEMORY],
    "memory ls": [MEMORY],
    "memory show": MEMORY,
    "memory edit": MEMORY,
    "memory rm": {"removed": [STR]},
    "memory delete": {"removed": [STR]},
    "memory remove": {"removed": [STR]},
    "capture": SESSION,
    "append": TURN,
    "complete": SESSION,
    "sessions list": [SESSION_SUMMARY],
    "sessions ls": [SESSION_SUMMARY],
    "sessions show": SESSION_FULL,
    "sessions edit": SESSION_SUMMARY,
    "search": SEARCH,
    "show": (MEMORY, SESSION_FULL),
    "import": {
        "source": STR,
        "sessions": [
            {"file": STR, "session_id": OPT_STR, "created": BOOL, "added_turns": INT, "note": STR}
        ],
        "created": INT,
        "added_turns": INT,
        "problems": [STR],
        "skipped_lines": [STR],
    },
    "forget": {"forgotten": [{"kind": STR, "id": STR}], "note": STR},
    "index": {
        "indexed": INT,
        "removed": INT,
        "sessions_read": INT,
        "unchanged": BOOL,
        "busy": BOOL,
        "rebuilt": OPT_STR,
        "seconds": NUM,
        "stats": ANY,
    },
    "gc": {"logs": [ANY], "dry_run": BOOL, "notes": [STR]},
    "sync": {
        "commits": [ANY],
        "upstream": OPT_STR,
        "pulled": ANY,
        "arrived": ANY,
        "pushed": BOOL,
        "lost_edits": [ANY],
        "purged": [STR],
        "notes": [STR],
        "head": OPT_STR,
        "written_as_you": [STR],
    },
    "hooks install": {"done": [STR]},
    "hooks uninstall": {"done": [STR]},
    "hooks status": {"checks": [CHECK]},
    "hooks log": {"logs": [STR], "entries": [ANY]},
    "sessions retitle": SESSION_SUMMARY,
    "diff": {
        "base": STR,
        "head": STR,
        "records": [
            {
                "kind": STR,
                "id": STR,
                "action": STR,
                "replica": STR,
                "fields": dict,
                "summary": STR,
            }
        ],
        "logs": [ANY],
        "transcripts": [ANY],
        "other_files": [STR],
        "findings": [ANY],
        "ok": BOOL,
    },
    "verify": {"ok": BOOL, "range": STR, "findings": [ANY]},
    "why": {
        "path": STR,
        "start": OPT_INT,
        "end": OPT_INT,
        "commits": [ANY],
        "sessions": [ANY],
        "memories": [ANY],
        "uncommitted_lines": [INT],
    },
    "log": [
        {
            "commit": OPT_STR,
            "author": STR,
            "date": STR,
            "replica": STR,
            "kind": STR,
            "id": STR,
            "action": STR,
            "summary": STR,
            "fields": [STR],
        }
    ],
    "resume": {
        "agent": STR,
        "session_id": STR,
        "path": STR,
        "command": STR,
        "argv": [STR],
        "source": STR,
        "messages": INT,
    },
}


def conforms(value: Any, spec: Any, where: str = "$") -> list[str]:
    """Problems of `value` against `spec` (empty: it conforms). Dicts must have exactly the keys."""
    if spec is ANY:
        return []
    if isinstance(spec, Iso):
        if value is None and spec.optional:
            return []
        ok = isinstance(value, str) and ISO.match(value)
        return [] if ok else [f"{where}: {value!r} is not an ISO-8601 UTC time"]
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        out = []
        if set(value) != set(spec):
            out.append(
                f"{where}: keys differ: extra {set(value) - set(spec)}, "
                f"missing {set(spec) - set(value)}"
            )
        for k, sub in spec.items():
            if k in value:
                out += conforms(value[k], sub, f"{where}.{k}")
        return out
    if isinstance(spec, list):
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        return [p for i, v in enumerate(value) for p in conforms(v, spec[0], f"{where}[{i}]")]
    if isinstance(spec, tuple):
        for alt in spec:
            if not conforms(value, alt, where):
                return []
        return [f"{where}: {value!r} matches none of {spec}"]
    if spec is dict:
        return [] if isinstance(value, dict) else [f"{where}: not an object"]
    if spec is int and isinstance(value, bool):
        return [f"{where}: a bool where an int belongs"]
    return [] if isinstance(value, spec) else [f"{where}: {value!r} is not {spec}"]


def _times_are_iso(value: Any, where: str = "$") -> list[str]:
    """Any field that names a time (`ts`, `*_at`, `at`) is an ISO string wherever it appears."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            timed = (k in ("ts", "at") or k.endswith("_at")) and v is not None
            if timed and not (isinstance(v, str) and ISO.match(v)):
                out.append(f"{where}.{k}: {v!r} is not an ISO-8601 UTC time")
            out += _times_are_iso(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _times_are_iso(v, f"{where}[{i}]")
    return out


def test_every_json_command_is_covered() -> None:
    from typer.main import get_command

    from ctx.cli.app import app

    found = []

    def walk(cmd: Any, path: list[str]) -> None:
        sub = getattr(cmd, "commands", None)
        if sub:
            for name, child in sub.items():
                walk(child, [*path, name])
        elif any("--json" in p.opts for p in cmd.params):
            found.append(" ".join(path))

    walk(get_command(app), [])
    assert sorted(found) == sorted(SCHEMAS), "document the new --json command and add it here"


def test_json_output_follows_the_documented_schema(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    bare = repo.parent / "remote.git"
    git(repo.parent, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    seen: dict[str, Any] = {}

    def j(name: str, *args: str) -> Any:
        r = run_ctx(capsys, *name.split(), *args, "--json")
        assert r.code == 0, (name, r.err)
        data = r.json()
        problems = conforms(data, SCHEMAS[name]) + _times_are_iso(data)
        assert not problems, (name, problems)
        seen[name] = data
        return data

    j("init")
    mid = j("memory add", "--tag", "auth", "We sign JWTs with RS256")["id"]
    pid = j("memory add", "--private", "my private JWT reminder")["id"]
    j("memory edit", mid, "--tag", "jwt")
    j("memory show", mid)
    assert j("memory list")[0]["private"] in (True, False)
    j("memory ls")
    j("memory review")
    sid = j("capture", "--title", "JWT talk")["id"]
    j("append", "why RS256 for JWT?")
    j("append", "--role", "assistant", "public keys verify")
    j("complete")
    turn = {"type": "turn", "role": "user", "text": "JWT rotation", "ts": "2026-03-01T10:00:00Z"}
    (repo / "chat.jsonl").write_text(json.dumps(turn) + "\n")
    j("import", "jsonl", "chat.jsonl")
    listed = j("sessions list")
    show = j("sessions show", sid)
    j("sessions ls")
    assert j("show", mid)["id"] == mid and j("show", sid)["turns"]
    j("sessions edit", sid, "--tag", "security")
    j("sessions retitle", sid, "JWT talk, retitled")
    j("resume", sid, "--agent", "claude")
    j("diff")
    j("verify")
    j("log")
    (repo / "app.py").write_text("print('hi')\n")
    git(repo, "add", "app.py")
    git(repo, "commit", "-qm", "app")
    j("why", "app.py:1")
    j("hooks log")
    # the same session: the same values in the listing and in show
    same = next(s for s in listed if s["id"] == sid)
    assert {k: v for k, v in show.items() if k in same and k != "tags"} == {
        k: v for k, v in same.items() if k != "tags"
    }
    j("index", "--keyword-only")
    hits = j("search", "JWT", "--mode", "keyword")["hits"]
    assert {h["kind"] for h in hits} == {"memory", "turn"}
    assert {h["id"]: h["private"] for h in hits if h["kind"] == "memory"} == {
        mid: False,
        pid: True,
    }
    assert all(h["ts"] for h in hits)
    j("status")
    j("doctor")
    j("hooks install")
    j("hooks status")
    j("hooks uninstall")
    j("sync")
    j("gc", "--dry-run")
    j("memory rm", "--yes", pid)
    extra = j("memory add", "x")["id"]
    j("memory delete", "--yes", extra)
    extra = j("memory add", "y")["id"]
    j("memory remove", "--yes", extra)
    j("forget", "--yes", mid)
    assert sorted(seen) == sorted(SCHEMAS)


def test_batch_lines_are_search_objects(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    run_ctx(capsys, "init")
    run_ctx(capsys, "memory", "add", "tabs versus spaces: we use spaces")
    (repo / "q.txt").write_text("spaces\ntabs\n")
    r = run_ctx(capsys, "search", "--batch", "q.txt", "--mode", "keyword")
    assert r.code == 0, r.err
    lines = [json.loads(x) for x in r.out.splitlines()]
    assert len(lines) == 2
    for rec in lines:
        assert not conforms(rec, SEARCH), conforms(rec, SEARCH)
