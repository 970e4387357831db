"""`ctx diff` and `ctx verify`: a reviewer reads a pull request's state changes in words, and CI
refuses a change that steps outside the format. The hostile inputs are built as an attacker
would: pycrdt updates written straight into a log line, symlinks, rewritten history."""

from __future__ import annotations

import base64
import json
import os
import zlib
from pathlib import Path

from pycrdt import Doc, Map

from ctx.cli.app import main
from ctx.store.project import Project
from tests.sync.conftest import Team, ctx_in, git

EVIL_REPLICA = "zzzzzzzzzzzzzzzz"


def _line(update: bytes) -> bytes:
    return b"%08x %s\n" % (zlib.crc32(update), base64.b64encode(update))


def _forged_log(path: Path, build) -> None:  # type: ignore[no-untyped-def]
    """Append one update made with plain pycrdt (no ctx code) to a replica log."""
    doc = Doc()
    roots = {
        "memories": doc.get("memories", type=Map),
        "sessions": doc.get("sessions", type=Map),
        "forgotten": doc.get("forgotten", type=Map),
    }
    build(doc, roots)
    path.parent.mkdir(parents=True, exist_ok=True)
    head = b"" if path.exists() else f"#ctx-state v1 replica={path.stem}\n".encode()
    with open(path, "ab") as fh:
        fh.write(head + _line(doc.get_update()))


def _run(cwd: Path, *args: str) -> tuple[int, str, str]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["-C", str(cwd), *args])
    return code, out.getvalue(), err.getvalue()


def test_diff_says_what_a_pull_request_does_to_memories(team: Team) -> None:
    ada = team.clone("ada")
    keep = ctx_in(ada, "memory", "add", "-t", "decision", "Sign JWTs with RS256").strip()
    drop = ctx_in(ada, "memory", "add", "-t", "fact", "The cache is redis").strip()
    git(ada, "add", ".contextfs")
    git(ada, "commit", "-qm", "context")
    git(ada, "push", "-q", "origin", "HEAD:main")
    git(ada, "checkout", "-qb", "feature")
    ctx_in(ada, "memory", "edit", keep, "--content", "Sign JWTs with EdDSA", "--tag", "auth")
    Project.open(ada).remove_memory(drop)
    new = ctx_in(ada, "memory", "add", "-t", "procedure", "Rotate keys with make rotate").strip()
    git(ada, "add", ".contextfs")
    git(ada, "commit", "-qm", "feature context")

    text = ctx_in(ada, "diff", "main...HEAD")
    assert f"+ memory {new} added  [procedure] Rotate keys with make rotate" in text
    assert f"~ memory {keep} edited" in text
    assert "content: 'Sign JWTs with RS256' -> 'Sign JWTs with EdDSA'" in text
    assert "tag auth added" in text
    assert f"- memory {drop} removed  [fact] The cache is redis" in text
    replica = Project.open(ada).replica
    assert f"(replica {replica})" in text

    data = json.loads(ctx_in(ada, "diff", "main...HEAD", "--json"))
    actions = {(r["id"], r["action"]) for r in data["records"]}
    assert actions == {(new, "added"), (keep, "edited"), (drop, "removed")}
    assert data["ok"] is True
    code, out, _ = _run(ada, "verify", "main...HEAD")
    assert code == 0, out
    assert "0 errors" in out


def test_verify_refuses_a_forged_log_and_names_the_commit(team: Team) -> None:
    eve = team.clone("eve")
    victim = team.base / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me\n")
    log = eve / ".contextfs" / "state" / f"{EVIL_REPLICA}.log"

    def build(doc, roots):  # type: ignore[no-untyped-def]
        roots["forgotten"][str(victim)] = "2026-01-01T00:00:00.000Z"
        roots["forgotten"]["../../victim"] = "2026-01-01T00:00:00.000Z"
        roots["memories"]["../escape"] = Map({"type": "fact", "content": "x"})
        roots["memories"]["m-aaaaaaaaaaaa"] = Map({"type": "rootkit", "content": "x"})
        doc.get("evil", type=Map)["k"] = "v"

    _forged_log(log, build)
    git(eve, "add", ".contextfs")
    git(eve, "commit", "-qm", "innocent looking")
    bad = git(eve, "rev-parse", "--short=10", "HEAD").stdout.strip()

    code, out, _ = _run(eve, "verify", "origin/main..HEAD")
    assert code == 1
    assert f"forgets '{victim}', which is not a memory or session id" in out
    assert "forgets '../../victim'" in out
    assert "memory id '../escape' is outside the grammar" in out
    assert "type 'rootkit' is not one of" in out
    assert "adds an unknown root 'evil'" in out
    assert f"(commit {bad})" in out
    # reading the range touched nothing outside the store
    assert (victim / "precious.txt").read_text() == "keep me\n"

    diff = ctx_in(eve, "diff", "origin/main..HEAD")
    assert "problems:" in diff and "error:" in diff


def test_verify_refuses_symlinks_unknown_files_and_rewritten_history(team: Team) -> None:
    bob = team.clone("bob")
    for text in ("one", "two", "three"):
        ctx_in(bob, "memory", "add", text)
    git(bob, "add", ".contextfs")
    git(bob, "commit", "-qm", "memories")
    base = git(bob, "rev-parse", "HEAD").stdout.strip()
    store = bob / ".contextfs"
    log = next((store / "state").glob("*.log"))
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:2]))  # history truncated: two memories gone
    (store / "sessions").mkdir(exist_ok=True)
    os.symlink("/etc", store / "sessions" / "s-aaaaaaaaaaaa")
    (store / "notes.sh").write_text("#!/bin/sh\n")
    git(bob, "add", ".contextfs")
    git(bob, "commit", "-qm", "tidy")

    code, out, _ = _run(bob, "verify", f"{base}..HEAD")
    assert code == 1
    assert "line(s) of history removed" in out
    assert "s-aaaaaaaaaaaa: is a symlink (to '/etc')" in out
    assert "notes.sh: is not part of the .contextfs format" in out


def test_compaction_by_gc_is_not_flagged(team: Team) -> None:
    cat = team.clone("cat")
    mid = ctx_in(cat, "memory", "add", "first").strip()
    for n in range(5):
        ctx_in(cat, "memory", "edit", mid, "--content", f"edit {n}")
    git(cat, "add", ".contextfs")
    git(cat, "commit", "-qm", "edits")
    ctx_in(cat, "gc")
    code, out, _ = _run(cat, "verify")
    assert code == 0, out
    text = ctx_in(cat, "diff")
    assert "compacted by ctx gc" in text


def test_diff_escapes_terminal_sequences_from_pulled_text(team: Team) -> None:
    eve = team.clone("eve")
    log = eve / ".contextfs" / "state" / f"{EVIL_REPLICA}.log"

    def build(doc, roots):  # type: ignore[no-untyped-def]
        roots["memories"]["m-bbbbbbbbbbbb"] = Map(
            {"type": "fact", "content": "\x1b]0;pwned\x07\x1b[2Jhello", "tags": Map({})}
        )

    _forged_log(log, build)
    text = ctx_in(eve, "diff")
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b]0;pwned\\x07\\x1b[2Jhello" in text


def test_verify_all_checks_the_whole_store_and_bad_revisions_are_user_errors(team: Team) -> None:
    dan = team.clone("dan")
    ctx_in(dan, "memory", "add", "fine")
    code, out, _ = _run(dan, "verify", "--all")
    assert code == 0, out
    (dan / ".contextfs" / "sessions").mkdir(exist_ok=True)
    (dan / ".contextfs" / "sessions" / "not-an-id").mkdir()
    (dan / ".contextfs" / "sessions" / "not-an-id" / "000.jsonl").write_text("{}\n")
    code, out, _ = _run(dan, "verify", "--all")
    assert code == 1 and "not-an-id/000.jsonl: is not part of the .contextfs format" in out
    code, _, err = _run(dan, "diff", "no-such-branch..HEAD")
    assert code == 2 and "unknown revision 'no-such-branch'" in err
