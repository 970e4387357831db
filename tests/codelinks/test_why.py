"""`ctx why` / `ctx log` on real git history without an agent: renames, trailers, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from tests.sync.conftest import ctx_in, git, make_team
from tests.wrap.conftest import run_ctx


def _session(repo: Path, tmp: Path, path: str, content: str, title: str) -> str:
    src = tmp / f"{title}.jsonl"
    lines = [
        {"type": "session", "tool": "claude", "id": title, "title": title},
        {"type": "turn", "role": "user", "text": f"please write {path}"},
        {
            "type": "turn",
            "role": "tool",
            "text": f"[Write] /elsewhere/on/ada/machine/{path}",
            "meta": {
                "kind": "tool_use",
                "tool": "Write",
                "input": {"file_path": f"/elsewhere/on/ada/machine/{path}", "content": content},
            },
        },
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    ctx_in(repo, "import", "jsonl", str(src))
    return next(
        s["id"]
        for s in json.loads(ctx_in(repo, "sessions", "list", "--json"))
        if s["title"] == title
    )


def test_trailer_links_a_commit_and_renames_are_followed(tmp_path: Path) -> None:
    repo = make_team(tmp_path).clone("ada")
    sid = _session(repo, tmp_path, "lib/old.py", "x = compute()\n", "writer")
    (repo / "lib").mkdir()
    (repo / "lib" / "old.py").write_text("x = compute()\n")
    git(repo, "add", "lib")
    git(repo, "commit", "-qm", f"Add x\n\nCtx-Session: {sid}")
    git(repo, "mv", "lib/old.py", "lib/new.py")
    git(repo, "commit", "-qm", "rename")
    data = json.loads(ctx_in(repo, "why", "lib/new.py:1", "--json"))
    (link,) = data["sessions"]
    assert link["id"] == sid and link["how"] == "trailer"
    assert data["commits"][0]["summary"] == "Add x"  # blame followed the rename


def test_why_reports_bad_input_as_user_errors(tmp_path: Path) -> None:
    repo = make_team(tmp_path).clone("bob")
    r = run_ctx(repo, "why", "README.md:99")
    assert r.code == 2 and "no such lines" in r.err
    r = run_ctx(repo, "why", "nope.py")
    assert r.code == 1 and "nope.py" in r.err
    r = run_ctx(repo, "why", "README.md:0")
    assert r.code == 2
    r = run_ctx(repo, "why", "/etc/passwd")
    assert r.code == 2 and "outside this repository" in r.err
    (repo / "src").mkdir()
    for folder, named in ((".", "the repository's root"), ("src", "src")):
        r = run_ctx(repo, "why", folder)  # git said "no such path ''": a folder, and what to do
        assert r.code == 2 and f"{named} is a folder" in r.err and "ctx log" in r.err, r
    out = run_ctx(repo, "why", "README.md")
    assert out.code == 0 and "no session is linked" in out.out


def test_log_is_the_audit_trail_with_authors_and_filters(tmp_path: Path) -> None:
    team = make_team(tmp_path)
    ada, bob = team.clone("ada"), team.clone("bob")
    mid = ctx_in(ada, "memory", "add", "-t", "decision", "Use RS256").strip()
    git(ada, "add", ".contextfs")
    git(ada, "commit", "-qm", "ada context")
    git(ada, "push", "-q", "origin", "HEAD:main")
    git(bob, "pull", "-q")
    ctx_in(bob, "memory", "edit", mid, "--content", "Use EdDSA")
    git(bob, "add", ".contextfs")
    git(bob, "commit", "-qm", "bob context")
    ctx_in(bob, "memory", "add", "-t", "fact", "uncommitted note")

    log = json.loads(ctx_in(bob, "log", "--json"))
    assert [(e["action"], e["author"].split()[0]) for e in log if e["id"] == mid] == [
        ("edited", "Bob"),
        ("added", "Ada"),
    ]
    assert log[0]["commit"] is None and log[0]["summary"] == "[fact] uncommitted note"
    only_ada = json.loads(ctx_in(bob, "log", "--author", "ada", "--json"))
    assert {e["action"] for e in only_ada} == {"added"}
    for pattern in ("^ada", "[", "ada ("):  # a regex, as git log --author; not one: plain text
        got = json.loads(ctx_in(bob, "log", "--author", pattern, "--json"))
        assert got == (only_ada if pattern == "^ada" else []), pattern
    facts = json.loads(ctx_in(bob, "log", "--type", "fact", "--json"))
    assert [e["summary"] for e in facts] == ["[fact] uncommitted note"]
    text = ctx_in(bob, "log", "-n", "1")
    assert text.count("\n") == 1 and "(working tree)" in text


def test_mcp_why_and_log(tmp_path: Path) -> None:
    from mcp_server.tools import ProjectHandle, call_tool

    repo = make_team(tmp_path).clone("cat")
    sid = _session(repo, tmp_path, "app.py", "print('hi')\n", "app")
    (repo / "app.py").write_text("print('hi')\n")
    git(repo, "add", "app.py")
    git(repo, "commit", "-qm", f"app\n\nCtx-Session: {sid}")
    out = call_tool(ProjectHandle(repo), "why", {"target": "app.py:1"})
    assert out.data["sessions"][0]["id"] == sid
    entries = call_tool(ProjectHandle(repo), "log", {"paths": ["app.py"]}).data["entries"]
    assert [e["id"] for e in entries] == [sid]
