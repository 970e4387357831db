"""Memories that cite code: the may-be-stale flag from real commits, hostile cites refused,
near-duplicate suggestions (lexical and with the real model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git
from tests.helpers import run_ctx

LINES = "".join(f"line {i}\n" for i in range(1, 21))


@pytest.fixture
def store(repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(repo)
    (repo / "src").mkdir()
    (repo / "src" / "auth.py").write_text(LINES)
    git(repo, "add", "src")
    git(repo, "commit", "-q", "-m", "auth module")
    assert run_ctx(capsys, "init").code == 0
    return repo


def _edit_line(repo: Path, n: int, msg: str) -> str:
    path = repo / "src" / "auth.py"
    lines = path.read_text().splitlines(keepends=True)
    lines[n - 1] = f"changed {n}\n"
    path.write_text("".join(lines))
    git(repo, "commit", "-q", "-am", msg)
    return git(repo, "rev-parse", "HEAD").strip()


def _mem(capsys: pytest.CaptureFixture[str], mid: str) -> dict:
    r = run_ctx(capsys, "memory", "show", mid, "--json")
    assert r.code == 0, r.err
    return r.json()


def test_cited_lines_changed_make_the_memory_may_be_stale(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_ctx(capsys, "memory", "add", "--cite", "src/auth.py:3-5", "tokens expire fast")
    assert r.code == 0, r.err
    mid = r.out.strip()
    whole = run_ctx(capsys, "memory", "add", "--cite", "src/auth.py", "auth is one module")
    wid = whole.out.strip()
    assert _mem(capsys, mid)["cites"] == ["src/auth.py:3-5"]
    assert _mem(capsys, mid)["stale"]["status"] == "fresh"

    # other lines of the file: the line cite stays fresh, the whole-file cite does not
    _edit_line(store, 12, "unrelated edit")
    assert _mem(capsys, mid)["stale"]["status"] == "fresh"
    assert "may be stale" not in run_ctx(capsys, "memory", "show", mid).out
    assert _mem(capsys, wid)["stale"]["status"] == "stale"

    # insert lines above: the cited lines move but do not change
    path = store / "src" / "auth.py"
    path.write_text("new top\n" + path.read_text())
    git(store, "commit", "-q", "-am", "shift")
    assert _mem(capsys, mid)["stale"]["status"] == "fresh"

    sha = _edit_line(store, 5, "rework expiry")  # old line 4, now at 5
    st = _mem(capsys, mid)["stale"]
    assert st["status"] == "stale" and st["changed"] == ["src/auth.py:3-5"]
    assert [c["commit"] for c in st["commits"]] == [sha]  # not the unrelated ones
    assert st["commits"][0]["subject"] == "rework expiry"

    shown = run_ctx(capsys, "memory", "show", mid).out
    assert "may be stale" in shown and sha[:10] in shown and "rework expiry" in shown
    listed = run_ctx(capsys, "memory", "list").out
    line = next(ln for ln in listed.splitlines() if ln.startswith(mid))
    assert "may be stale" in line
    listed_json = {m["id"]: m for m in run_ctx(capsys, "memory", "list", "--json").json()}
    assert listed_json[mid]["stale"]["status"] == "stale"

    hits = run_ctx(capsys, "search", "--json", "--mode", "keyword", "tokens expire").json()["hits"]
    assert [h["stale"] for h in hits if h["memory_id"] == mid] == [True]
    text = run_ctx(capsys, "search", "--mode", "keyword", "tokens expire").out
    assert "may be stale" in text

    # review lists it (no terminal); keeping it re-anchors it at HEAD
    review = run_ctx(capsys, "memory", "review", "--json").json()
    assert {m["id"] for m in review} == {mid, wid}
    assert mid in run_ctx(capsys, "memory", "review").out
    from ctx.store.project import Project

    Project.open(store).edit_memory(mid, reanchor=True)
    assert _mem(capsys, mid)["stale"]["status"] == "fresh"
    assert [m["id"] for m in run_ctx(capsys, "memory", "review", "--json").json()] == [wid]


def test_unknown_commit_is_not_stale(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ctx.store.project import Project

    mid = run_ctx(capsys, "memory", "add", "--cite", "src/auth.py:1", "x").out.strip()
    project = Project.open(store)
    project.mutate(False, lambda doc: doc.set_fields(doc.memories[mid], {"commit": "ab" * 20}))
    _edit_line(store, 1, "edit")
    assert _mem(capsys, mid)["stale"]["status"] == "unknown"


@pytest.mark.parametrize(
    "cite", ["../../etc/passwd", "/etc/passwd", "src/../../x", "-p", ".git/config", "a:5-2"]
)
def test_hostile_cites_are_refused(
    store: Path, capsys: pytest.CaptureFixture[str], cite: str
) -> None:
    r = run_ctx(capsys, "memory", "add", "--cite", cite, "x")
    assert r.code == 2 and "invalid cite" in r.err
    assert run_ctx(capsys, "memory", "list", "--json").json() == []


def test_hostile_cites_in_pulled_state_are_dropped(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cite written into the shared log by someone else is never used to read a file."""
    from pycrdt import Map

    from ctx.store.project import Project

    mid = run_ctx(capsys, "memory", "add", "--cite", "src/auth.py:2", "x").out.strip()
    project = Project.open(store)

    def plant(doc):  # type: ignore[no-untyped-def]
        rec = doc.memories[mid]
        rec["cites"] = Map({c: True for c in ["../../etc/passwd", "/etc/shadow", "src/auth.py:2"]})
        rec["superseded_by/../x"] = True
        rec["superseded_by/m-aaaaaaaaaaaa"] = True
        rec["supersedes"] = "; rm -rf /"

    project.mutate(False, plant)
    m = _mem(capsys, mid)
    assert m["cites"] == ["src/auth.py:2"]
    assert m["superseded_by"] == ["m-aaaaaaaaaaaa"] and m["supersedes"] is None


def test_cite_relative_to_the_current_directory(
    store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(store / "src")
    mid = run_ctx(capsys, "memory", "add", "--cite", "auth.py:2-3", "x").out.strip()
    assert _mem(capsys, mid)["cites"] == ["src/auth.py:2-3"]
    r = run_ctx(capsys, "memory", "edit", mid, "--cite", "auth.py", "--uncite", "auth.py:2-3")
    assert r.code == 0, r.err
    assert _mem(capsys, mid)["cites"] == ["src/auth.py"]


def test_near_duplicate_suggested_lexically(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_ctx(capsys, "memory", "add", "The staging database is reset every Sunday night")
    fid = first.out.strip()
    again = "Every Sunday night the staging database is reset"
    r = run_ctx(capsys, "memory", "add", "--json", again)
    sim = r.json()["similar"]
    assert [s["id"] for s in sim] == [fid] and sim[0]["method"] == "lexical"
    r = run_ctx(capsys, "memory", "add", "Passwords are hashed with argon2id")
    assert "similar to" not in r.err
    r = run_ctx(capsys, "memory", "add", "the staging database is reset every sunday night!")
    assert f"similar to {fid}" in r.err


def test_near_duplicate_suggested_with_the_real_model(
    store: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    model_dir: Path,
) -> None:
    monkeypatch.setenv("CTX_EMBED_MODEL_PATH", str(model_dir))
    monkeypatch.setenv("CTX_EMBED_PRECISION", "fp32")
    jwt = run_ctx(
        capsys, "memory", "add", "We sign JWTs with RS256 so services verify with the public key"
    ).out.strip()
    run_ctx(capsys, "memory", "add", "JWTs expire after 15 minutes and are refreshed")
    r = run_ctx(
        capsys,
        "memory",
        "add",
        "--json",
        "JWT tokens are signed using RS256; services only need the public key to verify them",
    )
    sim = r.json()["similar"]
    assert [s["id"] for s in sim] == [jwt] and sim[0]["method"] == "embedding"
    assert sim[0]["score"] >= 0.75
    out = json.dumps(sim)
    assert "expire" not in out  # related but different: not suggested


def test_brief_marks_stale_and_leaves_superseded_out(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ctx.core.brief_cache import fingerprint
    from ctx.integrations.brief import build_brief
    from ctx.store.project import Project

    mid = run_ctx(capsys, "memory", "add", "--cite", "src/auth.py:2", "line two rules").out
    old = run_ctx(capsys, "memory", "add", "deploy on fridays").out.strip()
    new = run_ctx(capsys, "memory", "add", "--supersedes", old, "deploy on tuesdays").out.strip()
    before = fingerprint(store)
    sha = _edit_line(store, 2, "change line two")
    assert fingerprint(store) != before  # a commit makes the cached brief out of date
    text = build_brief(Project.open(store)).text
    line = next(ln for ln in text.splitlines() if mid.strip() in ln)
    assert "may be stale" in line and sha[:8] in line
    assert new in text and old not in text


def test_tui_memories_screen_data_marks_stale(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ctx.store.project import Project
    from ctx.tui.data import Store
    from ctx.tui.widgets.info import memory_facts

    mid = run_ctx(capsys, "memory", "add", "--cite", "src/auth.py:7", "seven").out.strip()
    sha = _edit_line(store, 7, "seven changed")
    m = next(m for m in Store(Project.open(store)).memories() if m.id == mid)
    facts = dict(memory_facts(m))
    assert facts["cites"] == "src/auth.py:7" and sha[:10] in str(facts["stale"])


def test_export_import_keeps_cites_and_links_and_drops_hostile_ones(
    store: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from ctx.store.project import Project
    from ctx.store.transfer import import_memory

    old = run_ctx(capsys, "memory", "add", "--cite", "src/auth.py:2-3", "old").out.strip()
    new = run_ctx(capsys, "memory", "add", "--supersedes", old, "new").out.strip()
    exported = {r["id"]: r for r in Project.open(store).export_records() if r.get("id")}
    run_ctx(capsys, "memory", "rm", "--yes", old, new)
    project = Project.open(store)
    rec = dict(exported[old], cites=["src/auth.py:2-3", "../../etc/passwd", "/abs"])
    rec["superseded_by"] = [new, "not-an-id"]
    assert import_memory(project, rec) and import_memory(project, exported[new])
    assert _mem(capsys, old)["cites"] == ["src/auth.py:2-3"]
    assert _mem(capsys, old)["superseded_by"] == [new]
    assert _mem(capsys, new)["supersedes"] == old


def test_memory_from_a_session_cites_the_files_it_touched(
    store: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = tmp_path / "s.jsonl"
    turn = {
        "kind": "tool_use",
        "tool": "Edit",
        "input": {"file_path": "/elsewhere/ada/repo/src/auth.py", "old_string": "a"},
    }
    lines = [
        {"type": "session", "tool": "claude", "id": "t1", "title": "auth work"},
        {"type": "turn", "role": "user", "text": "fix auth"},
        {"type": "turn", "role": "tool", "text": "[Edit] src/auth.py", "meta": turn},
        {
            "type": "turn",
            "role": "tool",
            "text": "[Read] /etc/passwd",
            "meta": {"kind": "tool_use", "tool": "Read", "input": {"file_path": "/etc/passwd"}},
        },
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert run_ctx(capsys, "import", "jsonl", str(src)).code == 0
    sid = run_ctx(capsys, "sessions", "list", "--json").json()[0]["id"]
    mid = run_ctx(capsys, "memory", "add", "--session", sid, "auth learned").out.strip()
    assert _mem(capsys, mid)["cites"] == ["src/auth.py"]


def test_mcp_remember_takes_cites_and_returns_similar(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ctx.core.errors import CtxError
    from mcp_server.tools import ProjectHandle, call_tool

    h = ProjectHandle(store)
    first = call_tool(h, "remember", {"content": "The staging database is reset every Sunday"})
    fid = first.data["memory"]["id"]
    out = call_tool(
        h,
        "remember",
        {"content": "Every Sunday the staging database is reset", "cites": ["src/auth.py:1-2"]},
    ).data
    assert out["memory"]["cites"] == ["src/auth.py:1-2"]
    assert [s["id"] for s in out["similar"]] == [fid]
    with pytest.raises(CtxError, match="invalid cite"):
        call_tool(h, "remember", {"content": "x", "cites": ["../../etc/passwd"]})
    sup = call_tool(h, "remember", {"content": "reset on Mondays now", "supersedes": fid}).data
    assert sup["memory"]["supersedes"] == fid


def test_review_on_a_terminal_keeps_and_removes(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The interactive walk, in a real pty: keep re-anchors one memory, remove drops the other."""
    import os
    import sys

    import pexpect

    keep = run_ctx(capsys, "memory", "add", "--cite", "src/auth.py:1", "one").out.strip()
    drop = run_ctx(capsys, "memory", "add", "--cite", "src/auth.py:2", "two").out.strip()
    _edit_line(store, 1, "c1")
    _edit_line(store, 2, "c2")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAGER", "CTX_PAGER"))}
    env["CTX_PAGER"] = "cat"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "ctx", "memory", "review"],
        cwd=str(store),
        env=env,
        encoding="utf-8",
        timeout=30,
    )
    answers = {keep: "k", drop: "r"}
    for _ in range(2):
        child.expect(r"\] (m-[a-z2-7]{12})")
        mid = child.match.group(1)
        child.expect(r"\[k/e/s/r/q\]")
        child.sendline(answers[mid])
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    ids = {m["id"] for m in run_ctx(capsys, "memory", "list", "--json").json()}
    assert ids == {keep}
    assert _mem(capsys, keep)["stale"]["status"] == "fresh"


def test_a_folder_cite_goes_stale_when_a_file_in_it_changes(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mid = run_ctx(capsys, "memory", "add", "--cite", "src", "the src layout").out.strip()
    (store / "README.md").write_text("changed\n")
    git(store, "commit", "-q", "-am", "readme")
    assert _mem(capsys, mid)["stale"]["status"] == "fresh"
    sha = _edit_line(store, 9, "nine")
    st = _mem(capsys, mid)["stale"]
    assert st["status"] == "stale" and [c["commit"] for c in st["commits"]] == [sha]


def test_a_glob_cite_is_a_literal_path(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Pathspec magic in a cite (`*`, `:(top)`) matches nothing: it names a file, or no file."""
    from ctx.codelinks.staleness import compute

    base = git(store, "rev-parse", "HEAD").strip()
    head = _edit_line(store, 3, "three")
    assert compute(store, base, head, ["src/*"]).status == "fresh"
    assert compute(store, base, head, ["src/auth.py"]).status == "stale"


def test_the_similarity_threshold_is_configurable(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = store / ".contextfs" / "config.toml"
    base = config.read_text() if config.exists() else ""
    config.write_text(base + "\n[memory]\nsimilar_lexical_threshold = 0.99\n")
    run_ctx(capsys, "memory", "add", "The staging database is reset every Sunday night")
    r = run_ctx(capsys, "memory", "add", "Every Sunday night the staging database is reset")
    assert r.code == 0 and "similar to" not in r.err
    config.write_text(base + "\n[memory]\nsimilar_lexical_threshold = 2\n")
    r = run_ctx(capsys, "memory", "list")
    assert r.code != 0 and "memory.similar_lexical_threshold" in r.err and "0 to 1" in r.err
