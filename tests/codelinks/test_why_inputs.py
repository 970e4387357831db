"""What `ctx why` reads of the store, kept in `.contextfs/local/cache/why-inputs.json`
(ctx/codelinks/why_inputs.py), and the trailer cache (trailer_cache.py): a new question is
answered from them without loading the store, with the bytes the full command prints; a store
change answers from the store again; forged files are misses that read and write nothing
outside `.contextfs/`."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ctx.codelinks import why_inputs
from ctx.codelinks.answer_key import store_digest
from ctx.core.gitfiles import locate
from tests.codelinks.test_answer_cache import answers, fast, setup
from tests.sync.conftest import ctx_in, git

CACHE = Path(".contextfs") / "local" / "cache"


def kept(repo: Path) -> Path:
    return repo / CACHE / "why-inputs.json"


def forget_answers(repo: Path) -> None:
    for f in answers(repo):
        f.unlink()


def read_kept(repo: Path) -> dict[str, Any]:
    """The kept inputs (the file's second line; its first is the key)."""
    head, body = kept(repo).read_text().splitlines()
    assert json.loads(head)["v"] == why_inputs.CACHE_VERSION
    data: dict[str, Any] = json.loads(body)
    return data


def rekey(repo: Path, body: object, v: int = why_inputs.CACHE_VERSION) -> None:
    """Write `body` as the kept inputs under the key the store has now."""
    repo_info = locate(repo.resolve())
    assert repo_info is not None
    store = store_digest(repo_info.root)
    assert store is not None
    head = {"v": v, "key": why_inputs.inputs_key(repo_info, store)}
    kept(repo).write_text(json.dumps(head) + "\n" + json.dumps(body) + "\n")


def test_a_new_question_is_answered_from_the_kept_inputs_as_the_store_would(
    tmp_path: Path,
) -> None:
    repo, sid = setup(tmp_path)
    ctx_in(repo, "memory", "add", "-t", "decision", "app.py prints hi")
    questions = [("app.py",), ("app.py", "--json"), ("app.py:2",), ("app.py:1-2", "--json")]
    full = {q: ctx_in(repo, "why", *q) for q in questions}  # the store loaded; inputs kept
    assert kept(repo).is_file()
    for q in questions:
        forget_answers(repo)
        assert fast(repo, *q) == full[q]  # a new question, from the kept inputs
    # it was the kept inputs that answered: a title changed in them shows
    body = read_kept(repo)
    body["sessions"][0][1] = "KEPT TITLE"
    rekey(repo, body)
    forget_answers(repo)
    assert "KEPT TITLE" in (fast(repo, "app.py:2") or "")
    # the store changes (a memory): loaded again, the answer is the full command's
    ctx_in(repo, "memory", "add", "-t", "fact", "app.py also says bye")
    forget_answers(repo)
    out = fast(repo, "app.py:2")
    assert out is not None and "KEPT TITLE" not in out and "also says bye" in out
    forget_answers(repo)
    assert out == ctx_in(repo, "why", "app.py:2")
    assert sid in out


HEAVY = ("pycrdt", "pygit2", "typer", "ctx.store.project")


def light_answer(repo: Path, question: str) -> tuple[int, list[str], str]:
    """`ctx why QUESTION` through the fast path in a fresh process: its exit code, which of
    HEAVY it loaded, and what it printed."""
    probe = (
        "import io, sys, contextlib\n"
        "from ctx.cli.fast_why import run\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    code = run(['-C', {str(repo)!r}, 'why', {question!r}])\n"
        f"print(code, [m for m in {HEAVY!r} if m in sys.modules])\n"
        "sys.stdout.write(out.getvalue())\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=True
    )
    first, _, rest = r.stdout.partition("\n")
    code, _, loaded = first.partition(" ")
    return int(code), ast.literal_eval(loaded), rest


def test_kept_inputs_need_neither_the_store_nor_a_git_library(tmp_path: Path) -> None:
    repo, _sid = setup(tmp_path)
    want = ctx_in(repo, "why", "app.py")  # blame and inputs cached
    forget_answers(repo)
    assert light_answer(repo, "app.py") == (0, [], want)


def test_forged_kept_inputs_are_misses_and_reach_nothing_outside_the_store(
    tmp_path: Path,
) -> None:
    repo, sid = setup(tmp_path)
    good = ctx_in(repo, "why", "app.py")
    body = read_kept(repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jsonl").write_text("SECRET-OUTSIDE\n")
    row = body["sessions"][0]
    forged: list[dict[str, object]] = [
        {**body, "sessions": [["../../outside", *row[1:]]]},
        {**body, "sessions": [[*row[:9], ["../x"]]]},
        {**body, "sessions": [[*row[:8], "yes", row[9]]]},
        {**body, "sessions": [row, row]},
        {**body, "files": {"s-aaaaaaaaaaaa": []}},
        {**body, "files": {sid: [["app.py", "edit", "1"]]}},
        {**body, "files": {sid: "app.py"}},
        {**body, "memories": [["../m", "fact", "x", "a", "t", None]]},
        {**body, "memories": [["m-aaaaaaaaaaaa", "fact", 1, "a", "t", None]]},
        {**body, "sessions": {}},
        {k: v for k, v in body.items() if k != "memories"},
    ]
    for data in forged:
        rekey(repo, data)
        forget_answers(repo)
        assert fast(repo, "app.py") == good, data  # the store loaded instead
    for raw in ("not json", "[1, 2]"):
        rekey(repo, body)
        kept(repo).write_text(kept(repo).read_text().splitlines()[0] + "\n" + raw)
        forget_answers(repo)
        assert fast(repo, "app.py") == good, raw
    rekey(repo, body, v=99)
    forget_answers(repo)
    assert fast(repo, "app.py") == good
    # a link where the kept inputs would be: not followed, replaced (not written through)
    planted = outside / "planted.json"
    rekey(repo, body)
    planted.write_text(kept(repo).read_text())
    kept(repo).unlink()
    kept(repo).symlink_to(planted)
    rekey_target = planted.read_text()
    forget_answers(repo)
    assert fast(repo, "app.py") == good
    assert planted.read_text() == rekey_target and not kept(repo).is_symlink()
    # a session folder that is a link out of the store: its turns are never read
    fake = "s-" + "b" * 12
    (repo / ".contextfs" / "sessions" / fake).symlink_to(outside, target_is_directory=True)
    (outside / "000.jsonl").write_text(
        json.dumps({"type": "session", "tool": "x", "id": fake})
        + "\n"
        + json.dumps({"type": "turn", "role": "user", "text": "SECRET-OUTSIDE"})
        + "\n"
        + json.dumps(
            {
                "type": "turn",
                "role": "tool",
                "text": "x",
                "meta": {
                    "kind": "tool_use",
                    "tool": "Write",
                    "input": {"file_path": "app.py", "content": "print('hi')\n"},
                },
            }
        )
        + "\n"
    )
    trusted = json.loads(json.dumps(body))
    trusted["sessions"].append([fake, "linked", "x", "x", row[4], row[5], None, None, False, []])
    trusted["files"][fake] = [["app.py", "write", 1]]
    rekey(repo, trusted)
    forget_answers(repo)
    out = fast(repo, "app.py")
    assert out is not None and f"session {fake}  linked" in out  # linked, from the kept inputs
    assert "SECRET-OUTSIDE" not in out  # but its turns were not read through the link
    # a cache folder that is a link: nothing is read or written through it (the full command
    # refuses the store, as every command does)
    (repo / ".contextfs" / "sessions" / fake).unlink()
    cache = repo / CACHE
    for f in list(cache.iterdir()):
        if f.is_file():
            (outside / f.name).write_bytes(f.read_bytes())  # good caches, planted out there
    before = {p.name: p.read_bytes() for p in outside.iterdir() if p.is_file()}
    cache.rename(tmp_path / "real-cache")
    cache.symlink_to(outside, target_is_directory=True)
    assert fast(repo, "app.py:1") is None
    assert "symbolic link" in ctx_in(repo, "why", "app.py:1", ok=False) + str(
        subprocess.run(
            [sys.executable, "-m", "ctx", "why", "app.py:1"], cwd=repo, capture_output=True
        ).stderr
    )
    assert {p.name: p.read_bytes() for p in outside.iterdir() if p.is_file()} == before


def test_forged_trailer_cache_entries_are_dropped(tmp_path: Path) -> None:
    repo, sid = setup(tmp_path)
    good = ctx_in(repo, "why", "app.py", "--json")
    trailers = repo / CACHE / "trailers.json"
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    assert json.loads(trailers.read_text())["commits"][head] == [sid]
    for data in (
        {"v": 1, "commits": {head: ["../../etc"], "../x": [sid]}},
        {"v": 1, "commits": {head: "s-aaaaaaaaaaaa"}},
        {"v": 1, "commits": [head]},
        {"v": 2, "commits": {}},
        "not json",
    ):
        trailers.write_text(json.dumps(data) if not isinstance(data, str) else data)
        forget_answers(repo)
        assert fast(repo, "app.py", "--json") == good
        assert json.loads(trailers.read_text())["commits"][head] == [sid]  # read from git again
    elsewhere = tmp_path / "trailers-elsewhere.json"
    elsewhere.write_text(json.dumps({"v": 1, "commits": {head: []}}))
    trailers.unlink()
    trailers.symlink_to(elsewhere)
    forget_answers(repo)
    assert fast(repo, "app.py", "--json") == good
    assert json.loads(elsewhere.read_text()) == {"v": 1, "commits": {head: []}}


def test_a_long_lived_process_keeps_inputs_no_older_than_their_key(tmp_path: Path) -> None:
    """A process that loaded the store earlier (the MCP server, the TUI) answers after another
    process wrote: what it keeps must hold that write, as its key says."""
    from ctx.codelinks.answer_cache import answer
    from ctx.store.project import Project

    repo, _sid = setup(tmp_path)
    project = Project.open(repo)
    assert project.list_memories() == []  # loaded now
    ctx_in(repo, "memory", "add", "-t", "fact", "a late note about app.py")
    answer(project, "app.py", repo)  # (its state predates the note: its inputs are not kept)
    assert not kept(repo).exists()
    forget_answers(repo)
    assert fast(repo, "app.py") == ctx_in(repo, "why", "app.py")  # the store loaded, kept
    forget_answers(repo)
    out = fast(repo, "app.py:2")  # from the kept inputs
    assert out is not None and "a late note about app.py" in out
    forget_answers(repo)
    assert out == ctx_in(repo, "why", "app.py:2")
